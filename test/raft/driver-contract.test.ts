// The driver-facing edges of the core: one Ready at a time, messages from unknown nodes,
// reportUnreachable, and the status the driver reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, nodeId, term, logIndex } from '../../src/raft/types.js';
import { RaftInvariantError } from '../../src/raft/assert.js';
import { Cluster } from './harness.js';

test('one Ready at a time: hasReady() is false and ready() throws until advance()', () => {
  const c = new Cluster(['n1']);
  c.campaign('n1');
  c.propose('n1', 'a');
  const rd = c.raft('n1').ready();
  c.propose('n1', 'b');
  assert.equal(c.raft('n1').hasReady(), false);
  assert.throws(() => c.raft('n1').ready(), RaftInvariantError);
  assert.throws(() => c.raft('n1').advance({ ...rd }), /not the outstanding one/);
  c.raft('n1').advance(rd);
  assert.equal(c.raft('n1').hasReady(), true);
  // Proposals made while a Ready was outstanding come out together in the next one.
  const next = c.raft('n1').ready();
  assert.equal(next.entries.length, 1);
  c.raft('n1').advance(next);
});

test('responses from nodes that are not members are ignored by the leader', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  const before = c.raft('n1').status();
  c.raft('n1').step({
    type: MessageType.AppendResponse, from: nodeId('n9'), to: nodeId('n1'), term: term(1),
    reject: false, index: logIndex(100), hintTerm: term(0), hintIndex: logIndex(0),
  });
  c.raft('n1').step({ type: MessageType.HeartbeatResponse, from: nodeId('n9'), to: nodeId('n1'), term: term(1), readRound: 5 });
  assert.deepEqual(c.raft('n1').status(), before);
  // A message addressed to another node is dropped too.
  c.raft('n2').step({ type: MessageType.TimeoutNow, from: nodeId('n1'), to: nodeId('n3'), term: term(1) });
  assert.equal(c.raft('n2').status().term, 1);
});

test('reportUnreachable sends a replicating follower back to probe', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  assert.equal(c.raft('n1').status().progress.find((p) => p.id === 'n2')?.state, 'replicate');
  c.raft('n1').reportUnreachable(nodeId('n2'));
  assert.equal(c.raft('n1').status().progress.find((p) => p.id === 'n2')?.state, 'probe');
  c.propose('n1', 'x');
  c.stabilize();
  assert.equal(c.raft('n1').status().progress.find((p) => p.id === 'n2')?.state, 'replicate');
  assert.deepEqual(c.appliedData('n2'), ['x']);
});
