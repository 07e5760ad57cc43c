// Seed sweeps: the fixed 1,000-seed sweep CI runs (every fault kind), and clean runs that must all pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaults, runSimulation, sweepSeeds } from '../../src/sim/index.js';
import { simOptions } from './helpers.js';

/**
 * The fixed sweep CI runs: 1,000 seeds of 2 virtual seconds (faults in the first 1.3 s), about
 * 0.05 s of CPU each, spread over 2 child processes (about 30 s on an idle 2-core machine).
 */
const CI_SWEEP_SEEDS = 1_000;
const CI_SWEEP_FROM = 1_000;
const CI_SWEEP_DURATION_MS = 2_000;
const CI_SWEEP_JOBS = 2;
/** And a shorter sweep of the targeted Figure 8 profile (cheaper: cut leaders serve fewer operations). */
const CUT_LEADER_SEEDS = 200;
const CUT_LEADER_FROM = 5_000;
/** And pipelining clients: four operations in flight each, retried out of order across faults. */
const PIPELINE_SEEDS = 200;
const PIPELINE_FROM = 7_000;
const PIPELINE_DEPTH = 4;
/** And the list-append workload: transactions checked for strict serializability by the cycle checker on every seed. */
const LIST_APPEND_SEEDS = 200;
const LIST_APPEND_FROM = 9_000;

async function sweep(from: number, count: number, options: Parameters<typeof simOptions>[1] = {}): Promise<string[]> {
  const failures: string[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const result = await runSimulation(simOptions(seed, options));
    if (!result.ok) failures.push(`SEED=${seed} ${result.failure ?? ''}\n  reproduce: ${result.reproduce}`);
  }
  return failures;
}

test('without faults every run is safe, linearizable and live', async () => {
  const faults = parseFaults('none');
  assert.ok(!(faults instanceof Error));
  assert.deepEqual(await sweep(1, 5, { faults, durationMs: 2_000 }), []);
});

test('five nodes without faults', async () => {
  const faults = parseFaults('none');
  assert.ok(!(faults instanceof Error));
  assert.deepEqual(await sweep(1, 2, { faults, nodes: 5, durationMs: 2_000 }), []);
});

test(
  'CI sweep: 1,000 seeds of 2 virtual seconds with every fault kind, over 2 child processes, find no violation',
  async () => {
    const seeds = Array.from({ length: CI_SWEEP_SEEDS }, (_, i) => CI_SWEEP_FROM + i);
    const verdicts = await sweepSeeds({ base: { ...simOptions(0, { durationMs: CI_SWEEP_DURATION_MS }) }, seeds, jobs: CI_SWEEP_JOBS });
    assert.equal(verdicts.length, CI_SWEEP_SEEDS);
    const failures = verdicts.filter((v) => !v.ok).map((v) => `SEED=${v.seed} ${v.failure ?? ''}\n  reproduce: ${v.reproduce}`);
    assert.equal(failures.join('\n'), '');
    // Every seed really ran a cluster under load, and snapshots (on by default) caught some lagging node up.
    assert.ok(verdicts.every((v) => v.events > 1_000), 'a run with almost no events');
    assert.ok(verdicts.some((v) => v.snapshotsInstalled > 0), 'no snapshot was installed in the sweep');
  },
);

test(
  'CI sweep: 200 seeds of every fault kind plus cut-leader, one entry per Append (the Figure 8 profile), find no violation',
  async () => {
    // The profile that catches the old-term commit (broken-variants.test.ts) must never fire on the correct core.
    const faults = parseFaults('all,cut-leader');
    assert.ok(!(faults instanceof Error));
    const seeds = Array.from({ length: CUT_LEADER_SEEDS }, (_, i) => CUT_LEADER_FROM + i);
    const base = simOptions(0, { faults, durationMs: CI_SWEEP_DURATION_MS, appendEntriesMax: 1 });
    const verdicts = await sweepSeeds({ base, seeds, jobs: CI_SWEEP_JOBS });
    const failures = verdicts.filter((v) => !v.ok).map((v) => `SEED=${v.seed} ${v.failure ?? ''}\n  reproduce: ${v.reproduce}`);
    assert.equal(failures.join('\n'), '');
  },
);

test(
  'CI sweep: 200 seeds of every fault kind with clients pipelining 4 operations each find no violation',
  async () => {
    // Each write names its client's oldest unanswered one, so the exactly-once window
    // (kv/dedup-table.ts) drops replies and refuses stale attempts under every fault.
    const seeds = Array.from({ length: PIPELINE_SEEDS }, (_, i) => PIPELINE_FROM + i);
    const base = simOptions(0, { durationMs: CI_SWEEP_DURATION_MS, pipeline: PIPELINE_DEPTH });
    const verdicts = await sweepSeeds({ base, seeds, jobs: CI_SWEEP_JOBS });
    const failures = verdicts.filter((v) => !v.ok).map((v) => `SEED=${v.seed} ${v.failure ?? ''}\n  reproduce: ${v.reproduce}`);
    assert.equal(failures.join('\n'), '');
    assert.ok(verdicts.every((v) => v.reproduce.includes(`--pipeline ${PIPELINE_DEPTH}`)), 'a reproduce line without the pipeline depth');
  },
);

test(
  'CI sweep: 200 seeds of every fault kind running list-append transactions are strict serializable',
  async () => {
    const seeds = Array.from({ length: LIST_APPEND_SEEDS }, (_, i) => LIST_APPEND_FROM + i);
    const base = simOptions(0, { durationMs: CI_SWEEP_DURATION_MS, workload: 'list-append' });
    const verdicts = await sweepSeeds({ base, seeds, jobs: CI_SWEEP_JOBS });
    const failures = verdicts.filter((v) => !v.ok).map((v) => `SEED=${v.seed} ${v.failure ?? ''}\n  reproduce: ${v.reproduce}`);
    assert.equal(failures.join('\n'), '');
  },
);
