// Script runs paused between slices in the simulator (SimOptions.scriptSlices): each node
// pauses its runs at points of its own, some scripts run long enough to pause many times and
// some past the kill point (their writes wait for the leader's "continue" decision entry),
// under every fault kind. Each seed must pass the safety monitor (digests equal at sampled
// applied indexes whatever each node paused where) and its history's check; across the seeds,
// pauses, slices and decisions must all have happened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaults, runSimulation, sweepSeeds } from '../../src/sim/index.js';
import { simOptions } from './helpers.js';

const SEEDS = 12;
/** The CI sweep of the profile: 2 virtual seconds each, over 2 child processes (about 20 s). */
const SWEEP_SEEDS = 200;
const SWEEP_FROM = 11_000;

test('with runs paused between slices, every seed passes under every fault kind, and pauses, slices and decisions all happened', async () => {
  const faults = parseFaults('all,cut-leader');
  assert.ok(!(faults instanceof Error));
  const totals = { paused: 0, slices: 0, decisions: 0 };
  for (let seed = 1; seed <= SEEDS; seed++) {
    const result = await runSimulation(simOptions(seed, { scriptSlices: true, faults, durationMs: 2_000, ...(seed % 3 === 0 ? { pipeline: 4 } : {}) }));
    assert.equal(result.failure, null, `SEED=${seed}\n  reproduce: ${result.reproduce}`);
    assert.match(result.reproduce, /--script-slices/);
    totals.paused += result.scriptEntries.paused;
    totals.slices += result.scriptEntries.slices;
    totals.decisions += result.scriptEntries.decisions;
  }
  assert.ok(totals.paused > 0 && totals.slices > totals.paused && totals.decisions > 0, `every part ran: ${JSON.stringify(totals)}`);
});

test('a seed with runs paused replays exactly', async () => {
  const options = simOptions(4, { scriptSlices: true, durationMs: 2_000 });
  const [first, second] = [await runSimulation(options), await runSimulation(options)];
  assert.ok(first.scriptEntries.paused > 0, 'the seed paused runs');
  assert.equal(second.traceHash, first.traceHash);
});

test('without scriptSlices no run pauses', async () => {
  const result = await runSimulation(simOptions(4, { durationMs: 2_000 }));
  assert.deepEqual([result.scriptEntries.paused, result.scriptEntries.slices, result.scriptEntries.decisions], [0, 0, 0]);
});

test(`CI sweep: ${SWEEP_SEEDS} seeds of every fault kind with script runs paused between slices find no violation`, async () => {
  const seeds = Array.from({ length: SWEEP_SEEDS }, (_, i) => SWEEP_FROM + i);
  const verdicts = await sweepSeeds({ base: simOptions(0, { scriptSlices: true, durationMs: 2_000 }), seeds, jobs: 2 });
  const failures = verdicts.filter((v) => !v.ok).map((v) => `SEED=${v.seed} ${v.failure ?? ''}\n  reproduce: ${v.reproduce}`);
  assert.equal(failures.join('\n'), '');
  assert.ok(verdicts.every((v) => v.reproduce.includes('--script-slices')), 'a reproduce line without --script-slices');
});
