// sweepSeeds: a sweep over child processes gives every seed the verdict it gets in this
// process (a run depends on its seed only), in seed order, each seed run once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaults, sweepSeeds, type SweepVerdict } from '../../src/sim/index.js';
import { simOptions } from './helpers.js';

test('child processes find what one process finds, seed by seed', async () => {
  const faults = parseFaults('crash,partition');
  assert.ok(!(faults instanceof Error));
  const base = simOptions(0, { faults, durationMs: 1_500 });
  const seeds = [9, 3, 5, 4, 8];
  const arrived: number[] = [];
  const parallel = await sweepSeeds({ base, seeds, jobs: 2, onVerdict: (v: SweepVerdict) => arrived.push(v.seed) });
  const serial = await sweepSeeds({ base, seeds, jobs: 1 });
  assert.deepEqual(parallel.map((v) => v.seed), seeds);
  assert.deepEqual([...arrived].sort((a, b) => a - b), [...seeds].sort((a, b) => a - b));
  assert.deepEqual(parallel, serial);
  assert.ok(serial.every((v) => v.events > 100));
});

test('a sweep refuses a bad job count and a seed listed twice', async () => {
  const base = simOptions(0, { durationMs: 1_500 });
  await assert.rejects(sweepSeeds({ base, seeds: [1], jobs: 0 }), /jobs must be in/);
  await assert.rejects(sweepSeeds({ base, seeds: [1, 2, 1], jobs: 2 }), /listed twice/);
});
