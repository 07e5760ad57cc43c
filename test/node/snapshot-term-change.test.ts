// A follower writing a snapshot from its leader while the term moves on (a slow disk outlasts
// an election timeout, or another node campaigns): found by the chaos suite's disk nemesis
// (docs/testing.md). Storage committed the snapshot file and started its log after it, but
// the core dropped the snapshot's message as one of an earlier term; the next leader's
// snapshot, older than the file, was taken by the core, and its first append below the
// storage's first index ended the node (RAFTIS_STORAGE_APPEND_RANGE).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EntryType, MessageType, logIndex, term, type Entry, type Message, type SnapshotMeta } from '../../src/raft/types.js';
import { CONF, N1, N2, N3, startFollower } from './harness.js';

test('a snapshot committed to storage while the term moved on is taken by the core: storage and log start at the same index', async () => {
  const { node, raft, log, clock, sm, fatal } = startFollower(N2);
  const snapshot: SnapshotMeta = { index: logIndex(100), term: term(1), confState: CONF };
  const streamed = [new Uint8Array([1, 2, 3])];
  const receiving = node.receiveSnapshot(
    { type: MessageType.Snapshot, from: N1, to: N2, term: term(1), snapshot },
    { read: async () => streamed.shift() ?? null },
  );
  await clock.pump();
  assert.notEqual(log.releaseCommit, null, 'the snapshot file is being committed');
  // Meanwhile n1 hands leadership to n3, which campaigns in term 2: the core moves to term 2.
  const vote: Message = { type: MessageType.Vote, from: N3, to: N2, term: term(2), lastIndex: logIndex(100), lastTerm: term(1), transfer: true };
  node.receive(vote);
  await clock.pump();
  assert.equal(raft.status().term, 2);
  log.releaseCommit?.();
  assert.equal(await receiving, null);
  await clock.pump();
  assert.equal(log.firstIndex, 101);
  assert.equal(sm.appliedIndex, 100, 'the state machine is restored to the snapshot storage holds');
  // n3 leads term 2 and appends after the snapshot: storage takes it, the node applies it.
  const entry: Entry = { term: term(2), index: logIndex(101), type: EntryType.Normal, data: new Uint8Array(0) };
  node.receive({ type: MessageType.Append, from: N3, to: N2, term: term(2), prevIndex: logIndex(100), prevTerm: term(1), entries: [entry], commit: logIndex(101) });
  await clock.pump();
  assert.deepEqual(fatal, []);
  assert.equal(sm.appliedIndex, 101);
  node.stop();
});
