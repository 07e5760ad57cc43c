// Bugs the simulator found in the runtime (now fixed), each pinned by its seed as a
// regression test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaults, runSimulation, type SimResult } from '../../src/sim/index.js';
import { simOptions } from './helpers.js';

function failureOf(result: SimResult): string {
  return result.failure === null ? '' : `SEED=${result.seed} ${result.failure}\n  reproduce: ${result.reproduce}`;
}

test(
  'a proposal gets the reply of its own entry, not of another entry at its index',
  async () => {
    const result = await runSimulation(simOptions(13, { snapshotEntries: 0 }));
    assert.equal(failureOf(result), '');
  },
);

test(
  'a node that stepped down within the turn refuses a proposal instead of throwing',
  async () => {
    const result = await runSimulation(simOptions(129, { snapshotEntries: 0 }));
    assert.equal(failureOf(result), '');
  },
);

test(
  'a snapshot taken while applying waits for the Ready to be advanced',
  async () => {
    const faults = parseFaults('none');
    assert.ok(!(faults instanceof Error));
    const result = await runSimulation(simOptions(2, { faults, snapshotEntries: 64 }));
    assert.equal(failureOf(result), '');
  },
);

test(
  'a lease read while no leader is up does not return state older than an acknowledged write',
  {
    todo:
      'open: SEED=299 (10 s, faults without membership, lease reads; fails with snapshots on and off): ' +
      'append k2 "8" acknowledged at 543 ms by the term-2 leader n1; n1 crashed at 565 ms; a GET k2 called at 585 ms ' +
      'was answered at 984 ms with "8" (state before the append) while no new leader had been elected',
  },
  async () => {
    const faults = parseFaults('network,partition,crash,pause,drift,election');
    assert.ok(!(faults instanceof Error));
    const result = await runSimulation(simOptions(299, { faults, durationMs: 10_000, snapshotEntries: 0 }));
    assert.equal(failureOf(result), '');
  },
);

test(
  'lease reads on a leader that is paused stay linearizable',
  {
    todo:
      'open: SEED=20007 (10 s, all faults with membership and snapshots every 64, lease reads): n3 is paused ' +
      '2200-2962 ms; GETs of k0 by p0 (called 2200.55) and p5 (called 2236) are both answered at 2962 with "5" ' +
      '(the PUT of 2148-2159), after APPENDs acknowledged at 2343 and 2401; the checker finds no order. The ' +
      'client calls reach the paused node synchronously (client events are not node events), which a real ' +
      'paused process would not do: diagnose sim fidelity first',
  },
  async () => {
    const result = await runSimulation(simOptions(20007, { durationMs: 10_000 }));
    assert.equal(failureOf(result), '');
  },
);
