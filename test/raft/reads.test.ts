// Linearizable reads: ReadIndex (thesis §6.4) batched into heartbeat rounds, the stale-leader
// case, follower reads, reads before the leader's first commit, and the leader lease.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfChangeType, MessageType, StateRole, nodeId, type HeartbeatMessage } from '../../src/raft/types.js';
import { Cluster, bytes, text } from './harness.js';

const heartbeatRounds = (c: Cluster, from: string): Set<number> =>
  new Set(c.delivered.filter((m): m is HeartbeatMessage => m.type === MessageType.Heartbeat && m.from === from).map((m) => m.readRound));

test('thesis §6.4 ReadIndex: reads queued before the round completes share one heartbeat round', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.propose('n1', 'x');
  c.stabilize();
  const before = heartbeatRounds(c, 'n1').size;
  for (const ctx of ['r1', 'r2', 'r3']) assert.deepEqual(c.raft('n1').readIndex(bytes(ctx)), { ok: true });
  c.stabilize();
  assert.equal(heartbeatRounds(c, 'n1').size, before + 1, 'three reads used more than one round');
  const rs = c.get('n1').readStates;
  assert.deepEqual(rs.map((r) => text(r.context)), ['r1', 'r2', 'r3']);
  assert.ok(rs.every((r) => r.index === 2));
});

test('ReadIndex: a read arriving while a round is in flight waits for the next round', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.raft('n1').readIndex(bytes('a'));
  c.processReady('n1'); // round 1 heartbeats are out
  c.raft('n1').readIndex(bytes('b'));
  c.raft('n1').readIndex(bytes('c'));
  c.deliverAll(); // followers receive round 1
  c.processAllReadys();
  c.deliverAll(); // the leader hears round 1 acknowledged: 'a' is released, 'b' and 'c' start round 2
  c.processReady('n1');
  assert.deepEqual(c.get('n1').readStates.map((r) => text(r.context)), ['a']);
  c.stabilize();
  assert.deepEqual(c.get('n1').readStates.map((r) => text(r.context)), ['a', 'b', 'c']);
});

test('thesis §6.4 a deposed leader cannot complete a ReadIndex round', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.isolate('n1');
  // n2 and n3 elect a new leader and commit a write that n1 does not have.
  const newLeader = (): string | undefined => ['n2', 'n3'].find((n) => c.raft(n).status().role === StateRole.Leader);
  for (let i = 0; i < 100 && newLeader() === undefined; i++) {
    c.tick('n2');
    c.tick('n3');
    c.stabilize();
  }
  const leader = newLeader();
  assert.ok(leader !== undefined);
  c.propose(leader, 'new');
  c.stabilize();
  // n1 still believes it leads: its read must never be answered.
  assert.equal(c.raft('n1').status().role, StateRole.Leader);
  assert.deepEqual(c.raft('n1').readIndex(bytes('stale?')), { ok: true });
  c.stabilize();
  c.heal();
  c.tick('n1'); // its next heartbeats meet the new term and it steps down
  c.stabilize();
  assert.notEqual(c.raft('n1').status().role, StateRole.Leader);
  assert.deepEqual(c.get('n1').readStates, []);
});

test('a new leader answers no read until it has committed an entry of its term', () => {
  // Without CheckQuorum n3 grants n2's vote at once (no stickiness to wait out).
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { checkQuorum: false } });
  c.campaign('n1');
  c.propose('n1', 'x');
  c.stabilize();
  // n2 takes over but cannot reach anyone to commit its no-op yet.
  c.isolate('n2');
  c.raft('n2').campaignNow();
  c.heal();
  c.partition(['n2'], ['n1']);
  c.processReady('n2');
  c.deliverAll(); // the pre-vote reaches n3
  c.processAllReadys();
  c.deliverAll();
  c.processAllReadys();
  c.deliverAll(); // the vote reaches n3
  c.processAllReadys();
  c.deliverAll();
  assert.equal(c.raft('n2').status().role, StateRole.Leader);
  const noopIndex = c.raft('n2').status().lastIndex;
  c.raft('n2').readIndex(bytes('r'));
  c.processReady('n2');
  c.queue = c.queue.filter((m) => m.type !== MessageType.Append); // the no-op is lost for now
  c.deliverAll();
  c.processAllReadys();
  c.deliverAll();
  c.processReady('n2');
  assert.deepEqual(c.get('n2').readStates, [], 'answered a read before committing in its term');
  c.tickAll(3);
  const rs = c.get('n2').readStates;
  assert.equal(rs.length, 1);
  assert.ok((rs[0]?.index ?? 0) >= noopIndex);
});

test('a follower read goes through the leader and carries the leader\'s cluster time', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  assert.deepEqual(c.raft('n2').readIndex(bytes('f')), { ok: false, error: 'not-leader-no-leader' });
  c.campaign('n1');
  c.propose('n1', 'x');
  c.stabilize();
  c.raft('n1').setClusterTime(1000);
  c.raft('n1').setClusterTime(900); // never runs backwards
  assert.deepEqual(c.raft('n2').readIndex(bytes('f')), { ok: true });
  c.stabilize();
  assert.deepEqual(c.get('n2').readStates.map((r) => [text(r.context), r.index, r.clusterTime]), [['f', 2, 1000]]);
});

test('leader lease: with a valid lease a lease read is answered at once without a heartbeat round', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.tickAll(1);
  assert.equal(c.raft('n1').status().leaseValid, true);
  const rounds = heartbeatRounds(c, 'n1').size;
  c.raft('n1').readIndex(bytes('l'), 'lease');
  c.stabilize();
  assert.equal(heartbeatRounds(c, 'n1').size, rounds);
  assert.deepEqual(c.get('n1').readStates.map((r) => text(r.context)), ['l']);
});

test('leader lease expiry: after electionTicks - leaseDriftTicks ticks without acknowledgment, lease reads fall back to a round', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { electionTicks: 10, leaseDriftTicks: 2 } });
  c.campaign('n1');
  c.tickAll(1);
  c.isolate('n1');
  c.tick('n1', 7);
  assert.equal(c.raft('n1').status().leaseValid, true);
  c.tick('n1', 1); // 8 ticks since the last acknowledged round started
  assert.equal(c.raft('n1').status().leaseValid, false);
  assert.equal(c.raft('n1').status().role, StateRole.Leader);
  c.raft('n1').readIndex(bytes('l'), 'lease');
  c.stabilize();
  assert.deepEqual(c.get('n1').readStates, [], 'an expired lease answered a read');
  // Once the followers answer again, the round confirms the read.
  c.heal();
  c.tickAll(1);
  assert.deepEqual(c.get('n1').readStates.map((r) => text(r.context)), ['l']);
});

test('no lease without CheckQuorum (followers would not refuse votes) nor during a leadership transfer', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { checkQuorum: false } });
  c.campaign('n1');
  c.tickAll(1);
  assert.equal(c.raft('n1').status().leaseValid, false);
  const d = new Cluster(['n1', 'n2', 'n3']);
  d.campaign('n1');
  d.tickAll(1);
  d.isolate('n3');
  d.raft('n1').transferLeadership(d.raft('n3').id);
  assert.equal(d.raft('n1').status().leaseValid, false);
  assert.deepEqual(d.raft('n1').readIndex(bytes('t'), 'lease'), { ok: false, error: 'transfer-in-progress' });
});

test('leaseReadIndex: the commit index exactly when a lease read would be answered at once', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { electionTicks: 10, leaseDriftTicks: 2 } });
  c.campaign('n1');
  c.propose('n1', 'x');
  c.stabilize();
  c.tickAll(1);
  const leader = c.raft('n1');
  assert.equal(leader.status().leaseValid, true);
  assert.equal(leader.leaseReadIndex(), leader.status().commit, 'a valid lease reads at the commit index');
  assert.equal(c.raft('n2').leaseReadIndex(), null, 'a follower has no lease of its own');
  // An expired lease: the read needs a round.
  c.isolate('n1');
  c.tick('n1', 8);
  assert.equal(leader.status().role, StateRole.Leader);
  assert.equal(leader.leaseReadIndex(), null);
  c.heal();
  c.tickAll(1);
  assert.equal(leader.leaseReadIndex(), leader.status().commit);
  // A transfer in progress ends the lease.
  c.isolate('n3');
  leader.transferLeadership(c.raft('n3').id);
  assert.equal(leader.leaseReadIndex(), null);
  // Without CheckQuorum there is no lease.
  const d = new Cluster(['n1', 'n2', 'n3'], { config: { checkQuorum: false } });
  d.campaign('n1');
  d.tickAll(1);
  assert.equal(d.raft('n1').leaseReadIndex(), null);
});

test('a single-node cluster answers reads immediately', () => {
  const c = new Cluster(['n1']);
  c.campaign('n1');
  c.raft('n1').readIndex(bytes('solo'));
  c.stabilize();
  assert.deepEqual(c.get('n1').readStates.map((r) => text(r.context)), ['solo']);
});

test('appending a membership change revokes the lease until a later round is acknowledged', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.tickAll(1);
  assert.equal(c.raft('n1').status().leaseValid, true);
  const change = { type: ConfChangeType.AddLearner, nodeId: nodeId('n4'), context: new Uint8Array() };
  assert.equal(c.raft('n1').proposeConfChange(change).ok, true);
  assert.equal(c.raft('n1').status().leaseValid, false);
  c.stabilize();
  assert.equal(c.raft('n1').status().leaseValid, false);
  c.tickAll(1);
  assert.equal(c.raft('n1').status().leaseValid, true);
});
