// The list-append workload in the simulator: transactions of appends and reads (MULTI/EXEC
// entries and scripts) under every fault kind, checked for strict serializability by the
// cycle checker on every seed; and the check has teeth: reads that skip the read barrier
// are caught as an anomaly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaults, runSimulation } from '../../src/sim/index.js';
import { simOptions } from './helpers.js';

/** Seeds tried for the stale-read variant; it shows within a few (first: seed 1 at this writing). */
const STALE_SEEDS_MAX = 40;

test('list-append transactions under every fault kind are strict serializable, and the runs are deterministic', async () => {
  for (let seed = 1; seed <= 8; seed++) {
    const result = await runSimulation(simOptions(seed, { workload: 'list-append', durationMs: 2_000 }));
    assert.equal(result.failure, null, `SEED=${seed}\n  reproduce: ${result.reproduce}`);
    assert.ok(result.ops.ok > 50, `seed ${seed}: only ${result.ops.ok} transactions succeeded`);
    assert.match(result.reproduce, /--workload list-append/);
  }
  const again = await runSimulation(simOptions(3, { workload: 'list-append', durationMs: 2_000 }));
  const first = await runSimulation(simOptions(3, { workload: 'list-append', durationMs: 2_000 }));
  assert.equal(again.traceHash, first.traceHash);
});

test('reads that skip the read barrier are caught by the cycle checker, and the seed passes without them', async () => {
  const faults = parseFaults('partition,pause');
  assert.ok(!(faults instanceof Error));
  const base = { workload: 'list-append' as const, faults, durationMs: 3_000 };
  for (let seed = 1; seed <= STALE_SEEDS_MAX; seed++) {
    const result = await runSimulation(simOptions(seed, { ...base, bugs: { staleReads: true } }));
    if (result.failure === null) continue;
    assert.match(result.failure, /^strict serializability: NOT strict serializable: /);
    const clean = await runSimulation(simOptions(seed, base));
    assert.equal(clean.failure, null, `seed ${seed} must pass with the read barrier`);
    return;
  }
  assert.fail(`stale reads not caught within ${STALE_SEEDS_MAX} seeds`);
});
