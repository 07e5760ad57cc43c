// Leader election: the rules of Raft §5.2 and §5.4.1, PreVote (thesis §9.6), CheckQuorum and
// leader stickiness (thesis §6.2 / §9.6), randomized timeouts, and restart behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType, StateRole, logIndex, nodeId, term, type VoteMessage } from '../../src/raft/types.js';
import { Cluster, loadLog } from './harness.js';

test('§5.2 election safety: of two simultaneous candidates at most one wins a term', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const c = new Cluster(['n1', 'n2', 'n3', 'n4', 'n5'], { seed, config: { preVote: false } });
    c.raft('n1').campaignNow();
    c.raft('n2').campaignNow();
    c.stabilize();
    const leadersByTerm = new Map<number, string[]>();
    for (const [id, node] of c.nodes) {
      const s = node.raft.status();
      if (s.role === StateRole.Leader) leadersByTerm.set(s.term, [...(leadersByTerm.get(s.term) ?? []), id]);
    }
    for (const [t, ls] of leadersByTerm) assert.equal(ls.length, 1, `term ${t} has leaders ${ls.join(',')}`);
  }
});

test('§5.2 a candidate that gets a majority becomes leader and the others follow it', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  for (const n of ['n1', 'n2', 'n3']) {
    const s = c.raft(n).status();
    assert.equal(s.leader, 'n1');
    assert.equal(s.term, 1);
  }
  assert.equal(c.raft('n1').status().role, StateRole.Leader);
  // Heartbeats keep followers from campaigning for as long as the leader lives.
  c.tickAll(100);
  assert.equal(c.leader(), 'n1');
  assert.equal(c.raft('n2').status().term, 1);
});

test('§5.2 randomized election timeout: followers time out in [electionTicks, 2*electionTicks) at different ticks', () => {
  const timeouts = new Set<number>();
  for (let seed = 1; seed <= 30; seed++) {
    const c = new Cluster(['n1', 'n2', 'n3'], { seed });
    let ticks = 0;
    while (c.raft('n1').status().role === StateRole.Follower) {
      c.tick('n1');
      ticks++;
      assert.ok(ticks < 100, 'never campaigned');
    }
    assert.ok(ticks >= 10 && ticks < 20, `timeout ${ticks} outside [10, 20)`);
    timeouts.add(ticks);
  }
  assert.ok(timeouts.size >= 5, `only ${timeouts.size} distinct timeouts: ${[...timeouts].join(',')}`);
});

test('§5.4.1 election restriction: a candidate whose log lacks committed entries cannot win', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { checkQuorum: false } });
  c.campaign('n1');
  c.isolate('n3');
  c.propose('n1', 'x');
  c.stabilize();
  assert.deepEqual(c.appliedData('n2'), ['x']);
  // The leader fails; n3 (stale log) campaigns: n2 refuses it, so n3 cannot win.
  c.heal();
  c.isolate('n1');
  c.raft('n3').campaignNow();
  c.stabilize();
  assert.notEqual(c.raft('n3').status().role, StateRole.Leader);
  // §5.4 leader completeness: the node that can win has the committed entry.
  c.raft('n2').campaignNow();
  c.stabilize();
  assert.equal(c.leader(), 'n2');
  c.propose('n2', 'y');
  c.stabilize();
  assert.deepEqual(c.appliedData('n3'), ['x', 'y']);
});

test('thesis §9.6 PreVote: a partitioned node that rejoins does not raise its term or depose the leader', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.isolate('n3');
  for (let i = 0; i < 100; i++) c.tickAll();
  // Its pre-votes found no majority, so its term never rose.
  assert.equal(c.raft('n3').status().term, 1);
  c.heal();
  c.tickAll(30);
  assert.equal(c.leader(), 'n1');
  assert.equal(c.raft('n1').status().term, 1);
});

test('without PreVote the same rejoining node does raise the term (what PreVote prevents)', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { preVote: false, checkQuorum: false } });
  c.campaign('n1');
  c.isolate('n3');
  c.tickAll(100);
  assert.ok(c.raft('n3').status().term > 1);
  c.heal();
  c.tickAll(30);
  assert.ok(c.raft('n1').status().term > 1, 'the rejoining node disrupted the cluster');
});

test('CheckQuorum: a leader that hears no quorum within an election timeout steps down', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.isolate('n1');
  c.tick('n1', 9);
  assert.equal(c.raft('n1').status().role, StateRole.Leader);
  c.tick('n1', 11);
  assert.equal(c.raft('n1').status().role, StateRole.Follower);
  assert.equal(c.raft('n1').status().leader, '');

  const without = new Cluster(['n1', 'n2', 'n3'], { config: { checkQuorum: false } });
  without.campaign('n1');
  without.isolate('n1');
  without.tick('n1', 50);
  assert.equal(without.raft('n1').status().role, StateRole.Leader);
});

test('a stall (ticks missed at once) ends the lease but starts no election and fails no CheckQuorum until the peers had as long again', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.tickAll(1);
  assert.equal(c.raft('n1').status().leaseValid, true);
  // Every node stalls for ten election timeouts (a long apply runs everywhere), then ticks
  // once with the missed ticks before any message is delivered.
  for (const name of ['n1', 'n2', 'n3']) c.raft(name).tick(100);
  c.processAllReadys();
  assert.equal(c.raft('n1').status().role, StateRole.Leader, 'the leader failed CheckQuorum on acknowledgements it had not read');
  assert.equal(c.raft('n1').status().leaseValid, false, 'the lease outlived the stall');
  for (const name of ['n2', 'n3']) assert.equal(c.raft(name).status().role, StateRole.Follower, `${name} campaigned`);
  assert.ok(c.queue.some((m) => m.type === MessageType.Heartbeat && m.from === nodeId('n1')), 'the leader did not announce itself at once');
  c.stabilize();
  c.tickAll(30);
  assert.deepEqual(['n1', 'n2', 'n3'].map((name) => c.raft(name).status().term), [1, 1, 1]);
  assert.equal(c.raft('n1').status().leaseValid, true);

  // A follower that hears nothing after its stall still campaigns: after as long again as
  // the stall (the leader may still be applying what it applied), then a timeout.
  c.isolate('n1');
  c.raft('n2').tick(100);
  c.tick('n2', 95);
  assert.equal(c.raft('n2').status().role, StateRole.Follower);
  c.tick('n2', 30);
  assert.notEqual(c.raft('n2').status().role, StateRole.Follower);
});

test('leader stickiness: a follower that heard the leader within the election timeout ignores a vote request, unless it is a transfer', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { preVote: false } });
  c.campaign('n1');
  const vote = (transfer: boolean): VoteMessage => ({
    type: MessageType.Vote, from: nodeId('n3'), to: nodeId('n2'), term: term(5),
    lastIndex: logIndex(100), lastTerm: term(4), transfer,
  });
  c.raft('n2').step(vote(false));
  assert.equal(c.raft('n2').status().term, 1);
  c.processAllReadys();
  assert.equal(c.queue.filter((m) => m.type === MessageType.VoteResponse).length, 0);
  c.raft('n2').step(vote(true));
  assert.equal(c.raft('n2').status().term, 5);
  assert.equal(c.raft('n2').status().vote, 'n3');
});

test('a restarted node keeps leader stickiness for one election timeout (it may have acknowledged a lease)', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { preVote: false } });
  c.campaign('n1');
  c.restart('n2');
  const vote: VoteMessage = {
    type: MessageType.Vote, from: nodeId('n3'), to: nodeId('n2'), term: term(2), lastIndex: logIndex(100), lastTerm: term(1), transfer: false,
  };
  c.raft('n2').step(vote);
  assert.equal(c.raft('n2').status().term, 1);
  c.tick('n2', 10);
  c.raft('n2').step(vote);
  assert.equal(c.raft('n2').status().term, 2);
  assert.equal(c.raft('n2').status().vote, 'n3');
});

test('votes are durable before they are sent: VoteResponse and Vote go in messagesAfterPersist', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { preVote: false } });
  c.raft('n1').campaignNow();
  const rd = c.raft('n1').ready();
  assert.deepEqual(rd.hardState, { term: 1, vote: 'n1', commit: 0 });
  assert.equal(rd.messages.length, 0);
  assert.deepEqual(rd.messagesAfterPersist.map((m) => m.type), [MessageType.Vote, MessageType.Vote]);
  c.raft('n1').advance(rd);
  for (const m of rd.messagesAfterPersist) c.send(m);
  c.deliverAll();
  const voter = c.raft('n2').ready();
  assert.deepEqual(voter.hardState, { term: 1, vote: 'n1', commit: 0 });
  assert.equal(voter.messages.length, 0);
  assert.deepEqual(voter.messagesAfterPersist.map((m) => m.type), [MessageType.VoteResponse]);
  c.raft('n2').advance(voter);
});

test('a restarted node recovers term, vote and log from its disk', () => {
  const c = new Cluster(['n1', 'n2', 'n3'], { config: { checkQuorum: false } });
  loadLog(c, 'n1', [1, 1, 2], 2, 2);
  const s = c.raft('n1').status();
  assert.equal(s.term, 2);
  assert.equal(s.lastIndex, 3);
  assert.equal(s.commit, 2);
});
