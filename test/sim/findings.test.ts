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

/**
 * Finding 4 (fixed): a leader paused longer than its lease served lease reads from a stale state. The
 * core counts the lease in ticks; a paused process does not tick, so when it runs again (or,
 * in the simulator, when a client call reaches it during the pause) its lease still looks
 * valid although a new leader has been elected and has committed writes meanwhile.
 */

test('a lease read on a leader paused past its lease is not stale (SEED=507)', async () => {
  // n2, leader of term 2, paused 773-1,511 ms; n3 leads term 3 from 915 ms and acknowledges a PUT to k0 at
  // 1,234 ms; without the fix a GET k0 called on n2 at 1,285 ms is answered at 1,511 ms without it. (SEED=299,
  // found first with this profile, lost the shape as the simulator changed; this one fails so with the lease
  // check and the tick catch-up taken out.)
  const faults = parseFaults('network,partition,crash,pause,drift,election');
  assert.ok(!(faults instanceof Error));
  const result = await runSimulation(simOptions(507, { faults, durationMs: 10_000, snapshotEntries: 0 }));
  assert.equal(failureOf(result), '');
});

test('a lease read on a leader paused past its lease is not stale (SEED=305)', async () => {
  // n2, leader of term 2, paused 2,160-2,626 ms; n1 leads term 3 from 2,310 ms and acknowledges APPENDs to k1 at
  // 2,364 and 2,425 ms; without the fix a GET k1 called on n2 at 2,454 ms is answered at 2,626 ms without them.
  // (Seeds 20007 and 396, found first, lost this shape as the simulator changed; this one fails so with the
  // lease check and the tick catch-up taken out, on the simulator with snapshot-reset.)
  const result = await runSimulation(simOptions(305, { durationMs: 10_000 }));
  assert.equal(failureOf(result), '');
});

/**
 * Liveness failures of the 2-s sweep that were the simulator's own doing: a pause begun just
 * before faults stopped outlasted them, past the settle time, while the only other voter of
 * the configuration (a leader had removed itself) waited for the paused one. Faults now end
 * with every paused process resumed, as the chaos suite's heal does. The seeds first found
 * (102962, 107516) lost this shape as the simulator changed; this one fails so with the
 * resume at the end of the faults taken out, on the simulator with snapshot-reset.
 */
test('a pause begun before faults stop ends with them: writes after the settle time find a leader (SEED=101148)', async () => {
  // n3 leads term 2 from 590 ms and is being removed from 751 ms; the other voter n2 was
  // paused 1,071-1,721 ms, past the faults' end (1,333 ms) and the settle time; without the
  // resume a CAS called at 1,930 ms got TRYAGAIN no leader at 2,437 ms.
  const result = await runSimulation(simOptions(101148, { durationMs: 2_000 }));
  assert.equal(failureOf(result), '');
});

/**
 * Bug 12 of docs/testing.md, found by the chaos suite and caught by the simulator since its
 * fault kind snapshot-reset: a transfer that fails on the sender's side after the receiver
 * read the whole stream leaves the leader sending a follower a snapshot it already holds. The
 * follower must answer it, so the leader appends from there; with the refusal told to the
 * transport only, the leader sends it again and again until it has a newer one (this seed,
 * with the fix reverted: "replication progress: n2 refused snapshot 128 from n1, which it
 * holds, and sent no answer within 50 ms"). Seed 45 had the shape until read barriers were
 * asked again after a timeout (their messages move the random draws).
 */
test('a leader that sends a follower a snapshot it holds learns where the follower is (SEED=5)', async () => {
  const result = await runSimulation(simOptions(5, { durationMs: 10_000 }));
  assert.equal(failureOf(result), '');
  // The seed still has the shape: a reset after delivery, then the snapshot sent again and refused.
  assert.ok(result.faults.snapshotResets > 0, 'no snapshot transfer was reset');
  assert.ok(result.snapshots.refusedAsHeld > 0, 'no snapshot was sent again to a node that held it');
});
