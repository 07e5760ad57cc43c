// An entry whose apply runs a long script, applied in slices (--script-slice-ms): between
// slices the event loop turns; the entries committed after it wait, and are applied in order
// once it ends; reads, stale ones too, see no state in the middle of it; no snapshot begins
// meanwhile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PausedEntry, StateMachine } from '../../src/node/ports.js';
import type { NodeError } from '../../src/node/errors.js';
import { EntryType, MessageType, logIndex, term, type Entry } from '../../src/raft/types.js';
import { GatedLogStore, N1, N2, startFollower, type FollowerUnderTest } from './harness.js';

const SLOW = 0x4c; // an entry whose apply takes data[1] steps of STEP_MS each
const STEP_MS = 5;
const SLICE_MS = 12;

interface Slicing {
  /** Indexes in the order their applies ended. */
  readonly order: number[];
  /** Slices each slow entry took. */
  readonly slices: number[];
  /** Called before each later slice of a slow entry, with the slice's number (2, 3, ...). */
  onResume: (entry: Entry, slice: number) => void;
  snapshotsBegun: number;
  pausableApplies: number;
}

function slicingStateMachine(follower: () => FollowerUnderTest, withEffects: boolean): StateMachine<null> & { appliedIndex: number } & Slicing {
  let running: number | null = null;
  const sm = {
    appliedIndex: 0,
    order: [] as number[],
    slices: [] as number[],
    onResume: (() => undefined) as Slicing['onResume'],
    snapshotsBegun: 0,
    pausableApplies: 0,
    apply(entry: Entry) {
      sm.order.push(entry.index);
      sm.appliedIndex = entry.index;
      return null;
    },
    applyPausable(entry: Entry, pauseWhen: () => boolean): null | PausedEntry<null> {
      sm.pausableApplies++;
      if (entry.data[0] !== SLOW) return sm.apply(entry);
      running = entry.index;
      let steps = entry.data[1] as number;
      let slice = 1;
      const run = (): null | PausedEntry<null> => {
        while (steps > 0) {
          follower().clock.spend(STEP_MS);
          steps--;
          if (steps > 0 && pauseWhen()) {
            return {
              run: { isFunction: false, name: 'slow', command: [], wrote: true, hasKillPoint: false, killable: false, awaitingDecision: false },
              resume: () => {
                slice++;
                sm.onResume(entry, slice);
                return run();
              },
            };
          }
        }
        running = null;
        sm.slices.push(slice);
        return sm.apply(entry);
      };
      return run();
    },
    applyNoop(entry: Entry) {
      sm.appliedIndex = entry.index;
    },
    beginSnapshot: () => {
      if (running !== null) throw new Error(`a snapshot begun while entry ${running} is paused`);
      sm.snapshotsBegun++;
      return { next: () => null, close: () => undefined };
    },
    restore: async () => null,
  };
  if (!withEffects) return sm;
  // Deferred effects present, as on a server (entries then pass through the held queue), with no entry awaiting a record.
  return Object.assign(sm, {
    effects: {
      awaitsRecord: () => false,
      recordsIn: () => null,
      applyRecording: () => { throw new Error('nothing is recorded'); },
      applyReplaying: () => { throw new Error('nothing is replayed'); },
      encode: () => new Uint8Array(0),
    },
  });
}

function start(sliceMs: number, snapshotEntries = 0, withEffects = false): { follower: FollowerUnderTest; sm: ReturnType<typeof slicingStateMachine>; errors: string[] } {
  const errors: string[] = [];
  const sm = slicingStateMachine(() => follower, withEffects);
  const follower: FollowerUnderTest = startFollower(N2, new GatedLogStore(false), {
    stateMachine: sm, scriptSliceMs: sliceMs, snapshotEntries,
    logger: { info: () => undefined, warn: () => undefined, error: (fields) => errors.push(JSON.stringify(fields)) },
  });
  return { follower, sm, errors };
}

const entry = (index: number, data: number[]): Entry => ({ term: term(1), index: logIndex(index), type: EntryType.Normal, data: Uint8Array.from(data) });

function append(follower: FollowerUnderTest, prev: number, entries: Entry[], commit: number): void {
  follower.node.receive({ type: MessageType.Append, from: N1, to: N2, term: term(1), prevIndex: logIndex(prev), prevTerm: term(prev === 0 ? 0 : 1), entries, commit: logIndex(commit) });
}

for (const withEffects of [false, true]) {
test(`a long apply goes in slices; entries after it wait and follow in order; a stale read waits for its end${withEffects ? ' (held queue of deferred effects)' : ''}`, async () => {
  const { follower, sm, errors } = start(SLICE_MS, 0, withEffects);
  const seen: { slice: number; order: number[]; applied: number }[] = [];
  let staleAnsweredAfter: number[] | null = null;
  sm.onResume = (_entry, slice) => {
    seen.push({ slice, order: [...sm.order], applied: follower.node.appliedIndex });
    if (slice === 2) {
      follower.node.read('stale', (error: NodeError | null) => {
        assert.equal(error, null);
        staleAnsweredAfter = [...sm.order];
      });
      // More entries committed while the apply is paused wait behind it too.
      append(follower, 4, [entry(5, [1])], 5);
    }
  };
  append(follower, 0, [entry(1, [1]), entry(2, [SLOW, 10]), entry(3, [1]), entry(4, [1])], 4);
  await follower.clock.pump();
  assert.deepEqual(sm.order, [1, 2, 3, 4, 5]);
  assert.ok(sm.slices[0]! >= 3, `slices: ${sm.slices[0]}`);
  assert.ok(seen.length >= 2);
  for (const between of seen) assert.deepEqual({ order: between.order, applied: between.applied }, { order: [1], applied: 1 }, `between slices (slice ${between.slice})`);
  assert.deepEqual(staleAnsweredAfter, [1, 2, 3, 4, 5], 'the stale read is served once the paused entry and those behind it are applied');
  assert.deepEqual(errors, []);
  assert.deepEqual(follower.fatal, []);
  follower.node.stop();
});
}

test('a read whose read index is below a paused entry waits for its end: no read sees a state in the middle of an entry', async () => {
  const { follower, sm, errors } = start(SLICE_MS);
  let answeredAfter: number[] | null = null;
  let answeredBetweenSlices = false;
  sm.onResume = (_entry, slice) => {
    if (slice === 2) {
      follower.node.read('linearizable', (error: NodeError | null) => {
        assert.equal(error, null);
        answeredAfter = [...sm.order];
      });
    }
    if (slice === 3) {
      // The leader fixed this read's index (1) before entry 2 committed; its answer comes between two slices.
      const request = follower.sent.find((m) => m.type === MessageType.ReadIndex);
      assert.ok(request !== undefined && request.type === MessageType.ReadIndex, 'the read asked the leader for its index');
      follower.clock.defer(() => follower.node.receive({ type: MessageType.ReadIndexResponse, from: N1, to: N2, term: term(1), context: request.context, index: logIndex(1), clusterTime: 0, reject: false }));
    }
    // The answer's Ready is processed in the turn after it arrives: from slice 5 on, a read
    // released while paused would have been answered.
    if (slice >= 5) answeredBetweenSlices ||= answeredAfter !== null;
  };
  append(follower, 0, [entry(1, [1]), entry(2, [SLOW, 30])], 2);
  await follower.clock.pump();
  assert.ok(sm.slices[0]! >= 6, `slices: ${sm.slices[0]}`);
  assert.equal(answeredBetweenSlices, false, 'not served while entry 2 is paused');
  assert.deepEqual(answeredAfter, [1, 2], 'served once entry 2 is applied');
  assert.deepEqual(errors, []);
  follower.node.stop();
});

test('no snapshot begins while an apply is paused; one follows once it ends', async () => {
  const { follower, sm, errors } = start(SLICE_MS, 1);
  let begunWhilePaused = 0;
  sm.onResume = () => {
    begunWhilePaused = sm.snapshotsBegun;
  };
  // A snapshot is due after every entry: after entry 1, entry 2's apply is already paused.
  append(follower, 0, [entry(1, [1]), entry(2, [SLOW, 10])], 2);
  await follower.clock.pump();
  assert.ok(sm.slices[0]! >= 3);
  assert.equal(begunWhilePaused, 0);
  assert.equal(sm.snapshotsBegun, 1, 'the snapshot due is taken once the entry is applied');
  assert.deepEqual(errors, []);
  follower.node.stop();
});

test('with script-slice-ms 0 every entry is applied in one go', async () => {
  const { follower, sm } = start(0);
  append(follower, 0, [entry(1, [SLOW, 10]), entry(2, [1])], 2);
  await follower.clock.pump();
  assert.deepEqual(sm.order, [1, 2]);
  assert.equal(sm.pausableApplies, 0);
  follower.node.stop();
});

// A script run past its kill point waits for its decision entry (kill-decisions.ts in
// src/kv/script): the runtime files decisions as they commit behind the paused apply and
// resumes it once its own is filed, with slices on or off.

const AWAITS = 0x61; // an entry whose run waits for the decision entry naming its index
const DECIDES = 0x64; // [DECIDES, target, 1 = kill | 0 = continue]

function decidingStateMachine(): StateMachine<null> & { appliedIndex: number; order: number[]; decided: Map<number, string> } {
  const filed = new Map<number, string>();
  const sm = {
    appliedIndex: 0,
    order: [] as number[],
    decided: new Map<number, string>(),
    apply(entry: Entry) {
      sm.order.push(entry.index);
      sm.appliedIndex = entry.index;
      return null;
    },
    applyPausable(entry: Entry): null | PausedEntry<null> {
      if (entry.data[0] !== AWAITS) return sm.apply(entry);
      const waiting = (): null | PausedEntry<null> => {
        const decision = filed.get(entry.index);
        if (decision !== undefined) {
          sm.decided.set(entry.index, decision);
          return sm.apply(entry);
        }
        return { run: { isFunction: false, name: 'awaits', command: [], wrote: false, hasKillPoint: true, killable: true, awaitingDecision: true }, resume: waiting };
      };
      return waiting();
    },
    killDecisions: {
      encode: (target: number, decision: 'kill' | 'continue') => Uint8Array.from([DECIDES, target, decision === 'kill' ? 1 : 0]),
      file: (decision: Entry) => {
        if (decision.data[0] !== DECIDES) return 0;
        const target = decision.data[1] as number;
        if (!filed.has(target)) filed.set(target, decision.data[2] === 1 ? 'kill' : 'continue');
        return target;
      },
    },
    applyNoop(entry: Entry) {
      sm.appliedIndex = entry.index;
    },
    beginSnapshot: () => ({ next: () => null, close: () => undefined }),
    restore: async () => null,
  };
  return sm;
}

for (const sliceMs of [SLICE_MS, 0]) {
  test(`a run waiting for its decision resumes once the decision entry commits, the entries before it applied after it (slices ${sliceMs === 0 ? 'off' : 'on'})`, async () => {
    const sm = decidingStateMachine();
    const follower = startFollower(N2, new GatedLogStore(false), { stateMachine: sm, scriptSliceMs: sliceMs });
    append(follower, 0, [entry(1, [1]), entry(2, [AWAITS]), entry(3, [1])], 3);
    await follower.clock.pump();
    assert.deepEqual(sm.order, [1], 'the waiting entry and those behind it wait');
    assert.equal(follower.node.applyPausedIndex, 2);
    // A decision for another index is filed, and changes nothing here.
    append(follower, 3, [entry(4, [DECIDES, 9, 1])], 4);
    await follower.clock.pump();
    assert.deepEqual(sm.order, [1]);
    append(follower, 4, [entry(5, [DECIDES, 2, 1]), entry(6, [DECIDES, 2, 0])], 6);
    await follower.clock.pump();
    assert.deepEqual(sm.order, [1, 2, 3, 4, 5, 6]);
    assert.equal(sm.decided.get(2), 'kill', 'the first decision filed for the index decides');
    assert.equal(follower.node.stats().scriptDecisionsProposed, 0, 'a follower proposes none');
    assert.deepEqual(follower.fatal, []);
    follower.node.stop();
  });
}
