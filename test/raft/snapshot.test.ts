// Log compaction and snapshots: a follower behind the compaction point is sent a snapshot
// (meta only; bytes out of band) and waits in snapshot state; a follower installs it, emits it
// in Ready.snapshot with its configuration; restarts recover from snapshot + log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfChangeType, MessageType, nodeId } from '../../src/raft/types.js';
import { DEFAULT_ELECTION_TICKS, DEFAULT_HEARTBEAT_TICKS } from '../../src/raft/config.js';
import { Cluster, bytes } from './harness.js';

function laggingFollowerCluster(): Cluster {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.isolate('n3');
  for (const x of ['a', 'b', 'c', 'd']) c.propose('n1', x);
  c.stabilize();
  c.snapshotAndCompact('n1');
  assert.equal(c.raft('n1').status().firstIndex, 6);
  c.heal();
  return c;
}

/** Lets the leader's heartbeat round find the lagging follower, up to the leader's reaction. */
function probeFollower(c: Cluster): void {
  c.tick('n1');
  for (let i = 0; i < 10 && !c.queue.some((m) => m.type === MessageType.Snapshot); i++) {
    c.processAllReadys();
    c.deliverAll();
    c.processReady('n1');
  }
}

test('a follower whose next entry is compacted is sent a snapshot and waits in snapshot state', () => {
  const c = laggingFollowerCluster();
  probeFollower(c);
  const snaps = c.queue.filter((m) => m.type === MessageType.Snapshot);
  assert.equal(snaps.length, 1);
  const s = snaps[0];
  assert.ok(s !== undefined && s.type === MessageType.Snapshot);
  assert.equal(s.snapshot.index, 5);
  assert.deepEqual(s.snapshot.confState.voters, ['n1', 'n2', 'n3']);
  assert.equal(c.raft('n1').status().progress.find((p) => p.id === 'n3')?.state, 'snapshot');
  // Nothing else goes to it meanwhile.
  c.propose('n1', 'e');
  c.processReady('n1');
  assert.equal(c.queue.filter((m) => m.to === 'n3' && m.type === MessageType.Append).length, 0);
  c.stabilize();
  c.tickAll(2);
  // The follower installed it: Ready.snapshot, its state machine replaced, then the rest of the log.
  assert.ok(c.get('n3').readies.some((rd) => rd.snapshot?.index === 5 && rd.snapshot.confState.voters.length === 3));
  assert.deepEqual(c.appliedData('n3'), ['a', 'b', 'c', 'd', 'e']);
  assert.equal(c.raft('n3').status().firstIndex, 6);
  assert.equal(c.raft('n1').status().progress.find((p) => p.id === 'n3')?.state, 'replicate');
});

test('a failed snapshot transfer returns the follower to probe and the snapshot is sent again', () => {
  const c = laggingFollowerCluster();
  probeFollower(c);
  const snap = c.queue.find((m) => m.type === MessageType.Snapshot);
  assert.ok(snap !== undefined);
  c.queue = c.queue.filter((m) => m !== snap);
  c.drop(snap); // the transport reports the failure
  assert.equal(c.raft('n1').status().progress.find((p) => p.id === 'n3')?.state, 'probe');
  probeFollower(c);
  assert.equal(c.queue.filter((m) => m.type === MessageType.Snapshot).length, 1);
  c.stabilize();
  c.tickAll(2);
  assert.deepEqual(c.appliedData('n3'), ['a', 'b', 'c', 'd']);
});

test('a snapshot that keeps failing is sent again after a wait that doubles, not on every heartbeat answer', () => {
  const c = laggingFollowerCluster();
  const [heartbeatTicks, electionTicks] = [DEFAULT_HEARTBEAT_TICKS, DEFAULT_ELECTION_TICKS];
  const sent = (): number => c.queue.filter((m) => m.type === MessageType.Snapshot).length;
  /** Fails each snapshot the leader sends; returns how many ticks passed until the next one. */
  const ticksToNextSnapshot = (): number => {
    for (let ticks = 0; ticks <= 4 * electionTicks; ticks++) {
      // Read rounds are heartbeat rounds: each answer would probe the follower again.
      for (let round = 0; round < 3; round++) {
        c.raft('n1').readIndex(bytes(`r${ticks}.${round}`));
        for (let i = 0; i < 4; i++) {
          c.processAllReadys();
          c.deliverAll((m) => m.type !== MessageType.Snapshot);
        }
        const snapshot = c.queue.find((m) => m.type === MessageType.Snapshot);
        if (snapshot !== undefined) {
          c.queue = c.queue.filter((m) => m !== snapshot);
          c.drop(snapshot);
          return ticks;
        }
      }
      c.tick('n1');
    }
    return Number.POSITIVE_INFINITY;
  };
  assert.equal(ticksToNextSnapshot(), 0, 'the first is sent at once');
  const waits = [1, 2, 3, 4, 5, 6].map(() => ticksToNextSnapshot());
  assert.deepEqual(waits, waits.map((_, i) => Math.min(heartbeatTicks * 2 ** i, electionTicks)));
  assert.equal(sent(), 0);
  // One that arrives resets the wait.
  c.raft('n1').readIndex(bytes('last'));
  for (let ticks = 0; ticks <= electionTicks && c.appliedData('n3').length === 0; ticks++) {
    c.tick('n1');
    c.stabilize();
  }
  assert.deepEqual(c.appliedData('n3'), ['a', 'b', 'c', 'd']);
});

test('a node joining after compaction with an empty configuration takes the membership from the snapshot', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  c.propose('n1', 'a');
  c.stabilize();
  c.addNode('n4', { voters: [], learners: [] }, 77);
  assert.equal(c.raft('n1').proposeConfChange({ type: ConfChangeType.AddLearner, nodeId: nodeId('n4'), context: new Uint8Array() }).ok, true);
  c.isolate('n4');
  c.stabilize();
  c.snapshotAndCompact('n1');
  c.heal();
  c.tickAll(3);
  assert.deepEqual(c.raft('n4').status().confState, { voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
  assert.deepEqual(c.appliedData('n4'), ['a', 'conf']);
  c.propose('n1', 'b');
  c.stabilize();
  assert.deepEqual(c.appliedData('n4'), ['a', 'conf', 'b']);
});

test('a restarted node recovers from its snapshot and the log after it', () => {
  const c = new Cluster(['n1', 'n2', 'n3']);
  c.campaign('n1');
  for (const x of ['a', 'b', 'c']) c.propose('n1', x);
  c.stabilize();
  c.tickAll(1);
  c.snapshotAndCompact('n2', 3);
  c.propose('n1', 'd');
  c.stabilize();
  c.restart('n2');
  const s = c.raft('n2').status();
  // The snapshot was taken at the applied index 4 (no-op + a, b, c), so the log starts after it.
  assert.equal(s.firstIndex, 5);
  assert.equal(s.lastIndex, 5);
  c.tickAll(2);
  assert.deepEqual(c.appliedData('n2'), ['a', 'b', 'c', 'd']);
  assert.throws(() => c.raft('n2').compact(5 as never), /compact 5 beyond the latest snapshot 4/);
});
