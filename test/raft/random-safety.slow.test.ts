// Randomized safety test (long, RAFTIS_SLOW_TESTS=1): 400 seeds x 4000 random steps over 3 and
// 5 nodes, starting after the seeds the fast test covers.
import { test } from 'node:test';
import { runSeeds } from './random-cluster.js';

for (const size of [3, 5] as const) {
  test(`long random faults over ${size} nodes keep election safety, log matching and state machine safety`, () => {
    runSeeds(size, 1000, 1399, 4000);
  });
}
