// The kill -9 durability test at length: 300 rounds (RAFTIS_SLOW_TESTS=1).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKillRounds } from './kill9-harness.js';

const SEED = Number(process.env['RAFTIS_KILL9_SEED'] ?? 0x9e3779b9);

test(`every entry acknowledged before kill -9 survives (300 rounds, seed ${SEED})`, async () => {
  const result = await runKillRounds(300, SEED);
  assert.ok(result.lastIndex > 0);
});
