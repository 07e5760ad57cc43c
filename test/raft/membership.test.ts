// Membership (thesis §4.1, single-server changes): learners, adding and removing voters, one
// change at a time, the newest configuration in the log (reverted on truncation), removing the
// leader, and a removed node that cannot disrupt the cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfChangeType, StateRole, nodeId, type ConfChange } from '../../src/raft/types.js';
import { Cluster } from './harness.js';

const cc = (type: ConfChangeType, id: string): ConfChange => ({ type, nodeId: nodeId(id), context: new Uint8Array() });

test('learners receive the log, never campaign, and do not count toward the quorum; a promoted learner does', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { learners: ['n4'] });
  c.campaign('n1');
  c.propose('n1', 'x');
  c.stabilize();
  assert.deepEqual(c.appliedData('n4'), ['x']);
  // Never campaigns, however long it hears nothing.
  c.isolate('n4');
  c.tick('n4', 200);
  c.stabilize();
  assert.equal(c.raft('n4').status().role, StateRole.Follower);
  assert.equal(c.raft('n4').status().term, 1);
  c.heal();
  // Leader + learner are not a quorum of {n1, n2, n3}.
  c.partition(['n1', 'n4'], ['n2', 'n3']);
  c.propose('n1', 'y');
  c.stabilize();
  assert.equal(c.raft('n1').status().commit, 2);
  assert.equal(c.raft('n4').status().lastIndex, 3);
  c.heal();
  c.tickAll(2);
  assert.deepEqual(c.appliedData('n4'), ['x', 'y']);
  // Promote n4; then n1 + n4 + one more is a quorum of four... and n1 + n4 alone is not.
  assert.deepEqual(c.raft('n1').proposeConfChange(cc(ConfChangeType.PromoteLearner, 'n4')).ok, true);
  c.stabilize();
  assert.deepEqual(c.raft('n4').status().confState, { voters: ['n1', 'n2', 'n3', 'n4'], learners: [] });
  c.partition(['n1', 'n4', 'n2'], ['n3']);
  c.propose('n1', 'z');
  c.stabilize();
  assert.deepEqual(c.appliedData('n4'), ['x', 'y', 'conf', 'z']);
});

test('§4.1 adding a voter: the new node starts from the bootstrap configuration and learns the log', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.propose('n1', 'x');
  c.stabilize();
  // The log does not hold the bootstrap configuration (it is the base at index 0), so a node
  // that replays the log from index 1 starts from it, as etcd's --initial-cluster does. A
  // node joining after compaction gets it from the snapshot instead (snapshot.test.ts).
  c.addNode('n4', c.get('n1').baseConf, 99);
  const r = c.raft('n1').proposeConfChange(cc(ConfChangeType.AddVoter, 'n4'));
  assert.equal(r.ok, true);
  // The configuration takes effect when appended, before it commits.
  assert.deepEqual(c.raft('n1').status().confState.voters, ['n1', 'n2', 'n3', 'n4']);
  c.stabilize();
  c.tickAll(2);
  for (const n of ['n1', 'n2', 'n3', 'n4']) assert.deepEqual(c.raft(n).status().confState.voters, ['n1', 'n2', 'n3', 'n4'], n);
  assert.deepEqual(c.appliedData('n4'), ['x', 'conf']);
});

test('one membership change at a time, and none before the leader commits an entry of its term', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  assert.equal(c.raft('n1').proposeConfChange(cc(ConfChangeType.AddLearner, 'n4')).ok, true);
  const second = c.raft('n1').proposeConfChange(cc(ConfChangeType.AddLearner, 'n5'));
  assert.equal(second.ok, false);
  assert.equal(second.ok === false && second.error, 'conf-change-pending');
  c.stabilize();
  assert.equal(c.raft('n1').proposeConfChange(cc(ConfChangeType.AddLearner, 'n5')).ok, true);
  const invalid = c.raft('n1').proposeConfChange(cc(ConfChangeType.PromoteLearner, 'n2'));
  assert.equal(invalid.ok === false && invalid.error, 'conf-change-pending');

  const d = new Cluster(['n1', 'n2', 'n3'], { config: { preVote: false } });
  d.raft('n1').campaignNow();
  d.processAllReadys();
  d.deliverAll();
  d.processAllReadys();
  d.deliverAll();
  assert.equal(d.raft('n1').status().role, StateRole.Leader);
  const early = d.raft('n1').proposeConfChange(cc(ConfChangeType.AddLearner, 'n4'));
  assert.equal(early.ok === false && early.error, 'leader-not-ready');
  d.stabilize();
  const bad = d.raft('n1').proposeConfChange(cc(ConfChangeType.RemoveNode, 'n9'));
  assert.deepEqual(bad, { ok: false, error: 'invalid-conf-change', detail: 'n9 is not a member' });
});

test('§4.2.2 removing the leader: it steps down once the change commits and the rest elect a new leader', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  assert.equal(c.raft('n1').proposeConfChange(cc(ConfChangeType.RemoveNode, 'n1')).ok, true);
  // Until the removal commits, n1 still leads (a configuration that excludes it).
  assert.equal(c.raft('n1').status().role, StateRole.Leader);
  c.stabilize();
  assert.equal(c.raft('n1').status().role, StateRole.Follower);
  assert.deepEqual(c.raft('n2').status().confState.voters, ['n2', 'n3']);
  for (let i = 0; i < 60 && c.leader() === null; i++) c.tickAll();
  const leader = c.leader();
  assert.ok(leader === 'n2' || leader === 'n3', `leader ${leader}`);
  // n1 is no longer promotable: it never campaigns.
  const termBefore = c.raft('n1').status().term;
  c.isolate('n1');
  c.tick('n1', 100);
  c.stabilize();
  assert.equal(c.raft('n1').status().role, StateRole.Follower);
  assert.equal(c.raft('n1').status().term, termBefore);
  assert.deepEqual(c.raft('n1').propose(new Uint8Array([1])), { ok: false, error: 'removed' });
});

test('a removed node that never learned of its removal does not disrupt the cluster', () => {
  for (const preVote of [true, false]) {
    const c = new Cluster(['n1', 'n2', 'n3', 'n4'], { config: { preVote } });
    c.campaign('n1');
    c.isolate('n4');
    assert.equal(c.raft('n1').proposeConfChange(cc(ConfChangeType.RemoveNode, 'n4')).ok, true);
    c.stabilize();
    const term = c.raft('n1').status().term;
    // n4 still believes it is a voter; it campaigns over and over, then rejoins.
    c.tick('n4', 100);
    c.stabilize();
    c.heal();
    c.tickAll(50);
    assert.equal(c.leader(), 'n1', `preVote=${preVote}`);
    assert.equal(c.raft('n1').status().term, term, `preVote=${preVote}: the removed node raised the term`);
    assert.equal(c.raft('n2').status().term, term);
  }
});

test('the newest configuration in the log is used, and a truncated uncommitted change reverts it', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.isolate('n1');
  assert.equal(c.raft('n1').proposeConfChange(cc(ConfChangeType.RemoveNode, 'n3')).ok, true);
  c.processReady('n1');
  assert.deepEqual(c.raft('n1').status().confState.voters, ['n1', 'n2']);
  // n2 and n3 elect a new leader that never saw the change.
  for (let i = 0; i < 100 && c.leader() === 'n1'; i++) {
    c.tick('n2');
    c.tick('n3');
    c.stabilize();
  }
  c.tickAll(1);
  c.heal();
  c.tickAll(5);
  assert.notEqual(c.leader(), 'n1');
  // n1's uncommitted RemoveNode was overwritten: its configuration is back to three voters.
  assert.deepEqual(c.raft('n1').status().confState.voters, ['n1', 'n2', 'n3']);
  assert.equal(c.raft('n1').status().pendingConfIndex, 0);
});

test('thesis §4.2.2 a node whose own removal is uncommitted still campaigns: it may hold the only electable log', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  assert.equal(c.raft('n1').proposeConfChange(cc(ConfChangeType.RemoveNode, 'n2')).ok, true);
  c.stabilize();
  c.tickAll(1);
  c.raft('n1').transferLeadership(nodeId('n3'));
  c.stabilize();
  assert.equal(c.leader(), 'n3');
  assert.deepEqual(c.raft('n3').status().confState.voters, ['n1', 'n3']);
  // n3 removes itself, but the entry reaches nobody; n3 loses its quorum and steps down.
  c.isolate('n3');
  assert.equal(c.raft('n3').proposeConfChange(cc(ConfChangeType.RemoveNode, 'n3')).ok, true);
  c.tick('n3', 20);
  c.stabilize();
  assert.equal(c.raft('n3').status().role, StateRole.Follower);
  assert.deepEqual(c.raft('n3').status().confState.voters, ['n1']);
  // n1 cannot win without n3 (whose log is longer); n3 must campaign, win with n1's vote
  // alone, commit its removal and step down; then n1 leads the one-voter cluster.
  c.heal();
  for (let i = 0; i < 200 && !(c.leader() === 'n1' && c.raft('n1').status().confState.voters.length === 1); i++) c.tickAll();
  assert.equal(c.leader(), 'n1');
  assert.deepEqual(c.raft('n1').status().confState.voters, ['n1']);
  assert.deepEqual(c.raft('n3').status().confState.voters, ['n1']);
});

test('an UpdateNode change goes through the log like any change: one at a time, voters kept, applied on every node', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.stabilize();
  const update: ConfChange = { type: ConfChangeType.UpdateNode, nodeId: nodeId('n2'), context: new Uint8Array([1, 2, 3]) };
  assert.equal(c.raft('n1').proposeConfChange(update).ok, true);
  const second = c.raft('n1').proposeConfChange({ ...update, nodeId: nodeId('n3') });
  assert.equal(second.ok === false && second.error, 'conf-change-pending', 'an address change waits for the previous change like any other');
  c.stabilize();
  for (const n of ['n1', 'n2', 'n3']) {
    assert.deepEqual(c.raft(n).status().confState, { voters: ['n1', 'n2', 'n3'], learners: [] }, `${n} keeps the voter set`);
    assert.deepEqual(c.appliedData(n).slice(-1), ['conf'], `${n} applied the change as a conf entry`);
  }
  // n2 is still a voter after its update: with n3 cut off, n1 and n2 commit together.
  c.isolate('n3');
  c.propose('n1', 'after-update');
  c.stabilize();
  assert.deepEqual(c.appliedData('n2').slice(-1), ['after-update']);
  const invalid = c.raft('n1').proposeConfChange({ ...update, nodeId: nodeId('n9') });
  assert.deepEqual(invalid, { ok: false, error: 'invalid-conf-change', detail: 'n9 is not a member' });
});
