// Deferred script effects in the simulator (docs/internals/scripting.md): with the replicated
// setting script-effects on from the start, leaders record the scripts of the register and
// list-append workloads and followers replay them, under every fault kind plus cut-off
// leaders. Each seed must pass the safety monitor (digests equal at sampled applied indexes,
// whichever way each node resolved each script) and its history's check, as with the setting
// off; across the seeds all three ways of resolving a script entry must have run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaults, runSimulation } from '../../src/sim/index.js';
import type { SimWorkload } from '../../src/sim/sim-options.js';
import { simOptions } from './helpers.js';

const SEEDS = 10;

test('with script-effects on, every seed passes under every fault kind, and recording, replaying and the fallback all ran', async () => {
  const faults = parseFaults('all,cut-leader');
  assert.ok(!(faults instanceof Error));
  const totals = { recorded: 0, replayed: 0, runUnrecorded: 0 };
  for (let seed = 1; seed <= SEEDS; seed++) {
    const workload: SimWorkload = seed % 2 === 0 ? 'list-append' : 'register';
    const result = await runSimulation(simOptions(seed, { scriptEffects: true, faults, workload, durationMs: 3_000 }));
    assert.equal(result.failure, null, `SEED=${seed}\n  reproduce: ${result.reproduce}`);
    assert.match(result.reproduce, /--script-effects/);
    totals.recorded += result.scriptEntries.recorded;
    totals.replayed += result.scriptEntries.replayed;
    totals.runUnrecorded += result.scriptEntries.runUnrecorded;
  }
  assert.ok(totals.recorded > 0 && totals.replayed > 0 && totals.runUnrecorded > 0, `every path ran: ${JSON.stringify(totals)}`);
});

test('with script-effects off, no script entry is recorded or replayed', async () => {
  const result = await runSimulation(simOptions(1, { durationMs: 2_000 }));
  assert.equal(result.failure, null);
  assert.deepEqual(result.scriptEntries, { recorded: 0, replayed: 0, runUnrecorded: 0, paused: 0, slices: 0, decisions: 0 });
});
