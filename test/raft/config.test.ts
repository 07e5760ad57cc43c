// Config validation and the seeded PRNG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRaftConfig, raftConfigProblems, validateRaftConfig } from '../../src/raft/config.js';
import { seededPrng } from '../../src/raft/prng.js';
import { nodeId } from '../../src/raft/types.js';

test('validateRaftConfig accepts the defaults and names each problem precisely', () => {
  const ok = defaultRaftConfig(nodeId('n1'), seededPrng(1));
  assert.equal(validateRaftConfig(ok), ok);
  assert.throws(() => validateRaftConfig({ ...ok, electionTicks: 1, heartbeatTicks: 1 }),
    /electionTicks must be > heartbeatTicks \(got 1 <= 1\)/);
  assert.deepEqual(raftConfigProblems({ ...ok, maxInflightMessages: 0, leaseDriftTicks: 10 }), [
    'maxInflightMessages must be an integer >= 1 (got 0)',
    'leaseDriftTicks must be an integer in [0, electionTicks) (got 10, electionTicks 10)',
  ]);
  assert.deepEqual(raftConfigProblems({ ...ok, id: nodeId('') }), ['id must not be empty']);
});

test('seededPrng is deterministic per seed and stays in bounds', () => {
  const draw = (seed: number): number[] => {
    const p = seededPrng(seed);
    return Array.from({ length: 50 }, () => p.nextInt(10));
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  assert.ok(draw(3).every((x) => x >= 0 && x < 10));
  assert.equal(new Set(draw(3)).size > 5, true);
  assert.throws(() => seededPrng(1).nextInt(0), /bound must be an integer/);
});
