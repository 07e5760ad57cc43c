// Leadership transfer (thesis §3.10): the leader catches the target up, sends TimeoutNow, and
// the target wins an election its peers' leader stickiness would otherwise refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, StateRole, nodeId } from '../../src/raft/types.js';
import { Cluster } from './harness.js';

test('§3.10 transfer to an up-to-date follower: it becomes leader in the next term', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.propose('n1', 'x');
  c.stabilize();
  c.raft('n1').transferLeadership(nodeId('n2'));
  c.stabilize();
  assert.equal(c.leader(), 'n2');
  assert.equal(c.raft('n2').status().term, 2);
  assert.equal(c.raft('n1').status().role, StateRole.Follower);
  assert.equal(c.countDelivered(MessageType.TimeoutNow), 1);
  c.propose('n2', 'y');
  c.stabilize();
  assert.deepEqual(c.appliedData('n1'), ['x', 'y']);
});

test('§3.10 transfer to a lagging follower: catch up first, refuse proposals meanwhile', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.isolate('n3');
  for (const x of ['a', 'b', 'c']) c.propose('n1', x);
  c.stabilize();
  c.heal();
  c.raft('n1').transferLeadership(nodeId('n3'));
  assert.equal(c.raft('n1').status().transferee, 'n3');
  assert.deepEqual(c.propose('n1', 'refused'), { ok: false, error: 'transfer-in-progress' });
  // TimeoutNow waits until n3 has the whole log.
  c.processReady('n1');
  assert.equal(c.queue.filter((m) => m.type === MessageType.TimeoutNow).length, 0);
  c.stabilize();
  assert.equal(c.leader(), 'n3');
  assert.deepEqual(c.appliedData('n3'), ['a', 'b', 'c']);
});

test('a transfer to an unreachable node is aborted after an election timeout', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.isolate('n3');
  c.raft('n1').transferLeadership(nodeId('n3'));
  assert.deepEqual(c.propose('n1', 'x'), { ok: false, error: 'transfer-in-progress' });
  c.tickAll(10);
  assert.equal(c.leader(), 'n1');
  assert.equal(c.raft('n1').status().transferee, '');
  assert.equal(c.propose('n1', 'x').ok, true);
});

test('an aborted transfer accepts proposals at once, and the target, caught up later, is not sent TimeoutNow', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.isolate('n3');
  c.propose('n1', 'a');
  c.stabilize();
  c.raft('n1').transferLeadership(nodeId('n3'));
  assert.deepEqual(c.propose('n1', 'x'), { ok: false, error: 'transfer-in-progress' });
  assert.equal(c.raft('n1').abortLeadershipTransfer(), true);
  assert.equal(c.raft('n1').abortLeadershipTransfer(), false, 'nothing left to abort');
  assert.equal(c.raft('n1').status().transferee, '');
  assert.equal(c.propose('n1', 'b').ok, true);
  c.heal();
  c.stabilize();
  assert.equal(c.leader(), 'n1');
  assert.equal(c.countDelivered(MessageType.TimeoutNow), 0);
  assert.deepEqual(c.appliedData('n3'), ['a', 'b']);
});

test('after sending TimeoutNow the leader never serves lease reads again in that term, even if the transfer aborts', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.tickAll(1);
  assert.equal(c.raft('n1').status().leaseValid, true);
  c.raft('n1').transferLeadership(nodeId('n2'));
  c.processReady('n1');
  // The TimeoutNow is delayed in the network; the transfer times out and is abandoned.
  const timeoutNow = c.queue.filter((m) => m.type === MessageType.TimeoutNow);
  assert.equal(timeoutNow.length, 1);
  c.queue = c.queue.filter((m) => m.type !== MessageType.TimeoutNow);
  c.tickAll(10);
  assert.equal(c.raft('n1').status().transferee, '');
  assert.equal(c.raft('n1').status().role, StateRole.Leader);
  assert.equal(c.raft('n1').status().leaseValid, false);
  // Delivered late, it still makes n2 win over followers that just acknowledged n1.
  for (const m of timeoutNow) c.send(m);
  c.stabilize();
  assert.equal(c.leader(), 'n2');
});
