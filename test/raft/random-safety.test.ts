// Randomized safety test (fast): 25 seeds x 1500 random steps over 3 and 5 nodes; see
// random-cluster.ts for what is injected and checked. RAFTIS_RAFT_FIRST_SEED,
// RAFTIS_RAFT_SEEDS (last seed) and RAFTIS_RAFT_STEPS replay or widen a run.
import { test } from 'node:test';
import { runSeeds } from './random-cluster.js';

const FIRST_SEED = Number(process.env['RAFTIS_RAFT_FIRST_SEED'] ?? 1);
const LAST_SEED = Number(process.env['RAFTIS_RAFT_SEEDS'] ?? 25);
const STEPS = Number(process.env['RAFTIS_RAFT_STEPS'] ?? 1500);

for (const size of [3, 5] as const) {
  test(`random faults over ${size} nodes keep election safety, log matching and state machine safety`, () => {
    runSeeds(size, FIRST_SEED, LAST_SEED, STEPS);
  });
}
