// The runtime's held apply under deferred effects (docs/internals/scripting.md, "Deferred
// effects"): a follower holds a script entry, and everything after it, until the leader's
// record is committed, then replays it; it runs the entry itself once it has waited or held
// too much; a new leader resolves unresolved entries once its own term has begun, and
// proposes their records; records for indexes already applied are dropped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EffectsRecord, StateMachine } from '../../src/node/ports.js';
import { RaftNode, type ScriptEffectsLimits } from '../../src/node/raft-node.js';
import { defaultRaftConfig } from '../../src/raft/config.js';
import { seededPrng } from '../../src/raft/prng.js';
import { Raft } from '../../src/raft/raft.js';
import { EntryType, MessageType, StateRole, logIndex, term, type ConfState, type Entry } from '../../src/raft/types.js';
import { CONF, GatedLogStore, ManualClock, N1, N2 } from './harness.js';

const SCRIPT = 0x53; // 'S': an entry that runs a script
const EFFECTS = 0x45; // 'E': an effects entry, its records as JSON after the first byte

interface Applied {
  readonly index: number;
  readonly how: 'run' | 'record' | 'replay';
}

/** A state machine that notes how each script entry was applied; its effects entries carry JSON. */
function notingStateMachine(): StateMachine<null> & { appliedIndex: number; applied: Applied[]; proposedRecords: EffectsRecord[][] } {
  const note = (entry: Entry, how: Applied['how']): void => {
    sm.appliedIndex = entry.index;
    if (entry.data[0] === SCRIPT) sm.applied.push({ index: entry.index, how });
  };
  const sm = {
    appliedIndex: 0,
    applied: [] as Applied[],
    proposedRecords: [] as EffectsRecord[][],
    apply(entry: Entry) {
      note(entry, 'run');
      return null;
    },
    applyNoop(entry: Entry) {
      sm.appliedIndex = entry.index;
    },
    beginSnapshot: () => ({ next: () => null, close: () => undefined }),
    restore: async () => null,
    effects: {
      awaitsRecord: (entry: Entry) => entry.data[0] === SCRIPT,
      recordsIn: (entry: Entry) => (entry.data[0] === EFFECTS ? (JSON.parse(Buffer.from(entry.data.subarray(1)).toString()) as EffectsRecord[]) : null),
      applyRecording: (entry: Entry) => {
        note(entry, 'record');
        return { result: null, record: { index: entry.index, runs: [] } };
      },
      applyReplaying: (entry: Entry) => {
        note(entry, 'replay');
        return null;
      },
      encode: (records: readonly EffectsRecord[]) => {
        sm.proposedRecords.push([...records]);
        return effectsData(records);
      },
    },
  };
  return sm;
}

function effectsData(records: readonly EffectsRecord[]): Uint8Array {
  return Buffer.concat([Buffer.from([EFFECTS]), Buffer.from(JSON.stringify(records))]);
}

const limits: ScriptEffectsLimits = { waitMs: 1000, holdEntriesMax: 100, holdBytesMax: 1 << 20 };

function start(id: typeof N1, confState: ConfState, entries: Entry[], commit: number, effects = limits) {
  const clock = new ManualClock();
  const sm = notingStateMachine();
  const log = new GatedLogStore();
  const raft = new Raft(defaultRaftConfig(id, seededPrng(1)), {
    hardState: { term: term(1), vote: N1, commit: logIndex(commit) }, snapshot: null, entries, confState, applied: logIndex(0),
  });
  const node = new RaftNode<null>({
    id, raft, log, clock, stateMachine: sm,
    network: { send: () => undefined, sendSnapshot: async () => undefined },
    tickMs: 10, requestTimeoutMs: 1000, snapshotEntries: 0, logRetainEntries: 16, snapshotChunkBytes: 4096,
    pendingRequestsMax: 100, initialAppliedTerm: 0, scriptEffects: effects,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  node.start();
  return { node, raft, clock, sm };
}

const entry = (index: number, data: number[] | Uint8Array): Entry => ({ term: term(1), index: logIndex(index), type: EntryType.Normal, data: Uint8Array.from(data) });

/** Appends `entries` after `prev` from leader n1 in term 1, committing up to `commit`. */
function append(node: RaftNode<null>, prev: number, entries: Entry[], commit: number): void {
  node.receive({ type: MessageType.Append, from: N1, to: N2, term: term(1), prevIndex: logIndex(prev), prevTerm: term(prev === 0 ? 0 : 1), entries, commit: logIndex(commit) });
}

test('a follower holds a script entry and everything after it until its record commits, then replays it', async () => {
  const { node, clock, sm } = start(N2, CONF, [], 0);
  append(node, 0, [entry(1, [1]), entry(2, [SCRIPT]), entry(3, [1]), entry(4, [SCRIPT])], 4);
  await clock.pump();
  assert.equal(sm.appliedIndex, 1, 'the plain entry before the script is applied; the script entry and those after it wait');
  assert.deepEqual(sm.applied, []);
  assert.equal(node.appliedIndex, 1, 'reads wait on the applied index, which stays below the held entry');
  append(node, 4, [entry(5, effectsData([{ index: 2, runs: [] }]))], 5);
  await clock.pump();
  assert.deepEqual(sm.applied, [{ index: 2, how: 'replay' }], 'the record resolves entry 2; entry 4 waits for its own');
  assert.equal(sm.appliedIndex, 3);
  append(node, 5, [entry(6, effectsData([{ index: 4, runs: [] }, { index: 2, runs: [] }]))], 6);
  await clock.pump();
  assert.deepEqual(sm.applied, [{ index: 2, how: 'replay' }, { index: 4, how: 'replay' }], 'a record for an applied index (2) is dropped');
  assert.equal(sm.appliedIndex, 6);
  assert.equal(node.stats().scriptEntriesReplayed, 2);
  node.stop();
});

test('a record and its script entry committed in one batch: the look-ahead files it before the entry is reached', async () => {
  const { node, clock, sm } = start(N2, CONF, [], 0);
  append(node, 0, [entry(1, [SCRIPT]), entry(2, [SCRIPT]), entry(3, effectsData([{ index: 2, runs: [] }, { index: 1, runs: null }]))], 3);
  await clock.pump();
  assert.deepEqual(sm.applied, [{ index: 1, how: 'replay' }, { index: 2, how: 'replay' }], 'a "run it" record goes through applyReplaying too (which runs it)');
  assert.equal(node.stats().scriptEntriesRunUnrecorded, 1);
  assert.equal(node.stats().scriptEntriesReplayed, 1);
  node.stop();
});

test('a follower runs a held script entry itself once it has waited script-effects-wait-ms; the late record is dropped', async () => {
  const { node, clock, sm } = start(N2, CONF, [], 0, { ...limits, waitMs: 50 });
  append(node, 0, [entry(1, [SCRIPT]), entry(2, [1])], 2);
  await clock.pump();
  assert.equal(sm.appliedIndex, 0);
  await clock.advance(40);
  assert.equal(sm.appliedIndex, 0, 'still waiting before script-effects-wait-ms');
  await clock.advance(20);
  assert.deepEqual(sm.applied, [{ index: 1, how: 'run' }]);
  assert.equal(sm.appliedIndex, 2, 'the entries behind it follow');
  assert.equal(node.stats().scriptEntriesRunUnrecorded, 1);
  append(node, 2, [entry(3, effectsData([{ index: 1, runs: [] }]))], 3);
  await clock.pump();
  assert.deepEqual(sm.applied, [{ index: 1, how: 'run' }], 'the record for an applied index is dropped');
  assert.equal(sm.appliedIndex, 3);
  node.stop();
});

test('a follower holding more entries than script-effects-hold-entries-max runs the script entry itself', async () => {
  const { node, clock, sm } = start(N2, CONF, [], 0, { ...limits, holdEntriesMax: 3 });
  append(node, 0, [entry(1, [SCRIPT]), entry(2, [1]), entry(3, [1])], 3);
  await clock.pump();
  assert.equal(sm.appliedIndex, 0, 'three held entries: within the limit');
  append(node, 3, [entry(4, [1])], 4);
  await clock.pump();
  assert.deepEqual(sm.applied, [{ index: 1, how: 'run' }]);
  assert.equal(sm.appliedIndex, 4);
  node.stop();
});

test('a new leader holds until its term has begun, then runs and records the unresolved script entries and proposes their records', async () => {
  const alone: ConfState = { voters: [N1], learners: [] };
  // n1 restarts alone with a committed script entry whose record never made it into the log.
  const { node, raft, clock, sm } = start(N1, alone, [entry(1, [SCRIPT]), entry(2, [1])], 2);
  await clock.pump();
  assert.equal(sm.appliedIndex, 0, 'as a follower it holds the script entry');
  raft.campaignNow();
  await clock.advance(10); // the next tick takes the Ready that carries the election's outcome
  assert.equal(raft.currentRole, StateRole.Leader);
  assert.deepEqual(sm.applied, [{ index: 1, how: 'record' }], 'once its no-op commits, the leader runs and records it');
  assert.deepEqual(sm.proposedRecords, [[{ index: 1, runs: [] }]], 'and proposes the record');
  assert.ok(sm.appliedIndex >= 4, 'its no-op and its effects entry are applied after it');
  assert.deepEqual(sm.applied, [{ index: 1, how: 'record' }], 'its own record, for an applied index, is dropped');
  assert.equal(node.stats().effectsEntriesProposed, 1);
  node.stop();
});
