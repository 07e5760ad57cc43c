// Real-process durability: a writer child is killed with SIGKILL at seeded moments; every
// entry it acknowledged (printed after sync() resolved) must be there after reopening.
// kill9.slow.test.ts runs the same for 300 rounds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKillRounds } from './kill9-harness.js';

test('every entry acknowledged before kill -9 survives (20 rounds)', async () => {
  const result = await runKillRounds(20, 0x5eed);
  assert.ok(result.lastIndex > 0);
});
