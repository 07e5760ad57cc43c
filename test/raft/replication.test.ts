// Log replication: the no-op on election, log matching (§5.3) with fast backtracking, the
// current-term commit rule (§5.4.2, Figure 8), the Ready contract (group commit, what may be
// sent before persistence, the leader's own durability), pipelining and batching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryType, MessageType, StateRole, type AppendMessage, type Message } from '../../src/raft/types.js';
import { RaftInvariantError } from '../../src/raft/assert.js';
import { Cluster, bytes, loadLog, logTerms, text } from './harness.js';

const appends = (ms: readonly Message[], to?: string): AppendMessage[] =>
  ms.filter((m): m is AppendMessage => m.type === MessageType.Append && (to === undefined || m.to === to));

test('a new leader appends an empty no-op entry of its term and commits it', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  const e = c.get('n2').disk.entries[0];
  assert.ok(e !== undefined);
  assert.equal(e.type, EntryType.Normal);
  assert.equal(e.data.length, 0);
  assert.equal(e.term, 1);
  assert.equal(c.raft('n2').status().commit, 1);
});

test('§5.3 log matching: a follower\'s conflicting suffix is replaced by the leader\'s log (Figure 7 f)', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { preVote: false, checkQuorum: false } });
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  loadLog(c, 'n1', leaderLog, 7, 3);
  loadLog(c, 'n2', leaderLog, 7, 3);
  loadLog(c, 'n3', [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], 7, 3);
  c.campaign('n1');
  assert.equal(c.leader(), 'n1');
  assert.deepEqual(logTerms(c, 'n3'), [...leaderLog, 8]);
  assert.deepEqual(logTerms(c, 'n2'), [...leaderLog, 8]);
  // Fast backtracking: the reject hints skip whole terms, not one entry per round trip.
  const rejects = c.delivered.filter((m) => m.type === MessageType.AppendResponse && m.reject && m.from === 'n3');
  assert.ok(rejects.length >= 1 && rejects.length <= 2, `n3 rejected ${rejects.length} times`);
});

test('fast backtracking: the reject carries hintIndex/hintTerm and the leader jumps back by term', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { preVote: false, checkQuorum: false } });
  loadLog(c, 'n1', [1, 1, 5, 5, 5, 5, 5, 5], 6, 2);
  loadLog(c, 'n2', [1, 1, 5, 5, 5, 5, 5, 5], 6, 2);
  loadLog(c, 'n3', [1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], 6, 2);
  c.campaign('n1');
  const rejects = c.delivered.filter((m) => m.type === MessageType.AppendResponse && m.reject && m.from === 'n3');
  assert.equal(rejects.length, 1);
  const r = rejects[0];
  assert.ok(r !== undefined && r.type === MessageType.AppendResponse);
  // The leader first probes after its pre-election last index 8; n3's last entry at or below 8
  // with term <= 5 is 8 (term 2); the leader's last entry with term <= 2 is 2: next probe at 2.
  assert.equal(r.index, 8);
  assert.equal(r.hintIndex, 8);
  assert.equal(r.hintTerm, 2);
  const next = c.delivered.filter((m) => m.type === MessageType.Append && m.to === 'n3')[1];
  assert.ok(next !== undefined && next.type === MessageType.Append);
  assert.equal(next.prevIndex, 2);
  assert.deepEqual(logTerms(c, 'n3'), [1, 1, 5, 5, 5, 5, 5, 5, 7]);
});

test('§5.4.2 Figure 8: a leader does not commit an entry of an earlier term by counting replicas', () => {
  const names = ['s1', 's2', 's3', 's4', 's5'];
  const c = new Cluster(names, { config: { preVote: false, checkQuorum: false, maxEntriesPerMessage: 1 } });
  // (b) after s1 (term 2) put index 2 on s2 and crashed, s5 led term 3 and wrote index 2 locally.
  loadLog(c, 's1', [1, 2], 3, 1);
  loadLog(c, 's2', [1, 2], 3, 1);
  loadLog(c, 's3', [1], 3, 1);
  loadLog(c, 's4', [1], 3, 1);
  loadLog(c, 's5', [1, 3], 3, 1);
  // (c) s1 is elected for term 4 (votes of s2, s3) and replicates index 2 (term 2) to s3;
  // its own no-op (index 3, term 4) reaches only s2, so it is on 2 of 5 nodes.
  c.isolate('s4');
  c.isolate('s5');
  c.raft('s1').campaignNow();
  for (let i = 0; i < 20; i++) {
    c.processAllReadys();
    c.queue = c.queue.map((m) =>
      m.type === MessageType.Append && m.to === 's3' ? { ...m, entries: m.entries.filter((e) => e.index !== 3) } : m);
    c.deliverAll();
  }
  assert.equal(c.raft('s1').status().role, StateRole.Leader);
  assert.equal(c.raft('s1').status().term, 4);
  for (const s of ['s1', 's2', 's3']) assert.deepEqual(logTerms(c, s).slice(0, 2), [1, 2], s);
  assert.deepEqual(logTerms(c, 's3'), [1, 2]);
  // Index 2 is on a majority (s1, s2, s3) yet must not be committed: it is from term 2.
  assert.equal(c.raft('s1').status().commit, 1);
  // (d) s1 crashes; s5 is elected for term 5 and overwrites index 2 everywhere, as it may.
  c.queue = [];
  c.heal();
  c.isolate('s1');
  // Term 4: s2 and s3 already voted for s1. Term 5: s3 and s4 grant (s5's log ends in term 3).
  c.raft('s5').campaignNow();
  c.stabilize();
  c.raft('s5').campaignNow();
  c.stabilize();
  assert.equal(c.leader(), 's5');
  for (const s of ['s2', 's3', 's4', 's5']) assert.deepEqual(logTerms(c, s).slice(0, 2), [1, 3], s);
  c.heal();
  c.tickAll(5);
  assert.deepEqual(logTerms(c, 's1').slice(0, 2), [1, 3]);
  // State machine safety: nobody ever applied the term-2 entry.
  for (const s of names) assert.ok(!c.appliedData(s).includes('i2t2'), s);
});

test('group commit: proposals made before ready() go out in one Ready and one Append per follower, sent before the leader persists', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  for (const x of ['a', 'b', 'c']) assert.deepEqual(c.propose('n1', x).ok, true);
  const rd = c.raft('n1').ready();
  assert.deepEqual(rd.entries.map((e) => text(e.data)), ['a', 'b', 'c']);
  const sent = appends(rd.messages);
  assert.equal(sent.length, 2);
  for (const m of sent) assert.deepEqual(m.entries.map((e) => text(e.data)), ['a', 'b', 'c']);
  assert.equal(appends(rd.messagesAfterPersist).length, 0);
  c.raft('n1').advance(rd);
});

test('a follower acknowledges appended entries only after persisting them (messagesAfterPersist)', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.propose('n1', 'a');
  c.processReady('n1');
  c.deliverAll();
  const rd = c.raft('n2').ready();
  assert.equal(rd.entries.length, 1);
  assert.equal(rd.messages.filter((m) => m.type === MessageType.AppendResponse).length, 0);
  assert.equal(rd.messagesAfterPersist.filter((m) => m.type === MessageType.AppendResponse).length, 1);
  c.raft('n2').advance(rd);
});

test('the leader counts itself toward the quorum only once its own Ready is advanced', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.propose('n1', 'a');
  const rd = c.raft('n1').ready();
  for (const m of rd.messages) c.send(m);
  // n2 persists and acknowledges while n1's own write is still in flight.
  c.deliverAll((m) => m.to === 'n2');
  c.processReady('n2');
  c.deliverAll((m) => m.to === 'n1');
  assert.equal(c.raft('n1').status().commit, 1, 'committed with only one durable copy of three');
  c.raft('n1').advance(rd);
  assert.equal(c.raft('n1').status().commit, 2);
  // Committed entries come out only after they are durable here, exactly once, in order.
  const next = c.raft('n1').ready();
  assert.deepEqual(next.committedEntries.map((e) => text(e.data)), ['a']);
  c.raft('n1').advance(next);
  for (const m of next.messages) c.send(m);
  assert.equal(c.raft('n1').status().applied, 2);
  c.stabilize();
  assert.deepEqual(c.appliedData('n2'), ['a']);
});

test('committedEntries never include entries not yet persisted on this node', () => {
  const c = new Cluster(['n1']);
  c.campaign('n1');
  c.propose('n1', 'a');
  const rd = c.raft('n1').ready();
  assert.deepEqual(rd.entries.map((e) => text(e.data)), ['a']);
  assert.deepEqual(rd.committedEntries.map((e) => text(e.data)), []);
  assert.throws(() => c.raft('n1').ready(), RaftInvariantError);
  c.raft('n1').advance(rd);
  const rd2 = c.raft('n1').ready();
  assert.deepEqual(rd2.committedEntries.map((e) => text(e.data)), ['a']);
  c.raft('n1').advance(rd2);
  assert.equal(c.raft('n1').hasReady(), false);
});

test('pipelining: a follower in replicate state gets up to maxInflightMessages Appends before acknowledging', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { maxInflightMessages: 2, maxEntriesPerMessage: 1 } });
  c.campaign('n1');
  for (let i = 0; i < 5; i++) c.propose('n1', `e${i}`);
  const rd = c.raft('n1').ready();
  assert.equal(appends(rd.messages, 'n2').length, 2);
  const pr = c.raft('n1').status().progress.find((p) => p.id === 'n2');
  assert.equal(pr?.state, 'replicate');
  assert.equal(pr?.inflight, 2);
  c.raft('n1').advance(rd);
  for (const m of rd.messages) c.send(m);
  c.stabilize();
  assert.deepEqual(c.appliedData('n2'), ['e0', 'e1', 'e2', 'e3', 'e4']);
});

test('a follower starts in probe state: one Append until it answers', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { preVote: false } });
  c.raft('n1').campaignNow();
  c.processAllReadys();
  c.deliverAll();
  c.processReady('n2');
  c.processReady('n3');
  c.deliverAll();
  assert.equal(c.raft('n1').status().role, StateRole.Leader);
  c.propose('n1', 'x');
  const first = c.raft('n1').ready();
  assert.equal(appends(first.messages, 'n2').length, 1);
  c.raft('n1').advance(first);
  c.propose('n1', 'y');
  const rd = c.raft('n1').ready();
  // The first probe is unanswered: nothing more goes to a probing follower.
  assert.equal(appends(rd.messages).length, 0);
  assert.ok(c.raft('n1').status().progress.every((p) => p.state === 'probe'));
  for (const m of first.messages) c.send(m);
  c.raft('n1').advance(rd);
  c.stabilize();
  assert.ok(c.raft('n1').status().progress.every((p) => p.state === 'replicate'));
});

test('batching: Appends are split by entry count and by bytes, but always carry at least one entry', () => {
  const byCount = new Cluster(['n1', 'n2'], { config: { maxEntriesPerMessage: 3 } });
  byCount.campaign('n1');
  for (let i = 0; i < 7; i++) byCount.propose('n1', `e${i}`);
  const rd = byCount.raft('n1').ready();
  assert.deepEqual(appends(rd.messages).map((m) => m.entries.length), [3, 3, 1]);
  byCount.raft('n1').advance(rd);

  const byBytes = new Cluster(['n1', 'n2'], { config: { maxBytesPerMessage: 10 } });
  byBytes.campaign('n1');
  for (const x of ['aaaa', 'bbbb', 'cccc', 'dddddddddddddddd', 'e']) byBytes.propose('n1', x);
  const rd2 = byBytes.raft('n1').ready();
  assert.deepEqual(appends(rd2.messages).map((m) => m.entries.map((e) => text(e.data)).join(',')), ['aaaa,bbbb', 'cccc', 'dddddddddddddddd', 'e']);
  byBytes.raft('n1').advance(rd2);
});

test('the leader refuses proposals beyond maxUncommittedBytes until entries commit', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { maxUncommittedBytes: 10 } });
  c.campaign('n1');
  c.isolate('n1');
  assert.equal(c.propose('n1', 'aaaaaa').ok, true);
  assert.deepEqual(c.propose('n1', 'bbbbbb'), { ok: false, error: 'too-many-uncommitted' });
  c.heal();
  c.tickAll(2);
  assert.deepEqual(c.appliedData('n2'), ['aaaaaa']);
  assert.equal(c.propose('n1', 'bbbbbb').ok, true);
});

test('a follower forwards proposals to the leader; with no leader it refuses', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  assert.deepEqual(c.propose('n2', 'x'), { ok: false, error: 'not-leader-no-leader' });
  c.campaign('n1');
  assert.deepEqual(c.propose('n2', 'x'), { ok: true });
  c.stabilize();
  assert.deepEqual(c.appliedData('n3'), ['x']);
});

test('invariants crash loudly with the numbers', () => {
  const c = new Cluster(['n1', 'n2']);
  c.campaign('n1');
  assert.throws(
    () => c.raft('n2').step({ type: MessageType.Heartbeat, from: c.raft('n1').id, to: c.raft('n2').id, term: c.raft('n2').status().term, commit: 50 as never, readRound: 0 }),
    /commit 50 is out of range \[lastIndex 1\]/,
  );
  assert.throws(() => c.raft('n1').compact(5 as never), /compact 5 beyond the latest snapshot 0/);
  assert.equal(bytes('').length, 0);
});

test('a proposal forwarded under an older term is still accepted by the current leader', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.raft('n1').step({
    type: MessageType.Propose, from: c.raft('n2').id, to: c.raft('n1').id, term: 0 as never,
    entries: [{ term: 0 as never, index: 0 as never, type: EntryType.Normal, data: bytes('old-term') }],
  });
  c.stabilize();
  assert.deepEqual(c.appliedData('n3'), ['old-term']);
});
