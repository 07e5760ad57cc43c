// A follower refusing a snapshot it does not need must still tell the leader where its log is.
// A transfer can fail on the leader's side after the follower installed it (the connection
// resets while the follower stores the file, so its "complete" has no way back), and the
// follower's answer to the install can be lost with it. The leader then sends the snapshot
// again; were the follower to refuse it silently, the leader would know nothing newer of it
// and send the same snapshot on every heartbeat, appending nothing to it, until it had a newer
// snapshot: with the third node down, nothing commits (the stall of the 600-s snapshot run,
// docs/testing.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EntryType, MessageType, logIndex, term, type Entry, type SnapshotMeta } from '../../src/raft/types.js';
import { CONF, GatedLogStore, N1, N2, startFollower, type FollowerUnderTest } from './harness.js';

const SNAPSHOT: SnapshotMeta = { index: logIndex(100), term: term(1), confState: CONF };

function offerSnapshot(follower: FollowerUnderTest, snapshot: SnapshotMeta): Promise<string | null> {
  const streamed = [new Uint8Array([1, 2, 3])];
  return follower.node.receiveSnapshot(
    { type: MessageType.Snapshot, from: N1, to: N2, term: term(1), snapshot },
    { read: async () => streamed.shift() ?? null },
  );
}

/** The indexes of the successful AppendResponses the follower sent to n1. */
function acknowledged(follower: FollowerUnderTest): number[] {
  return follower.sent.flatMap((m) => (m.type === MessageType.AppendResponse && m.to === N1 && !m.reject ? [m.index] : []));
}

test('a snapshot refused because it is installed already is answered with the index the follower holds', async () => {
  const follower = startFollower(N2, new GatedLogStore(false));
  assert.equal(await offerSnapshot(follower, SNAPSHOT), null);
  await follower.clock.pump();
  assert.equal(follower.sm.appliedIndex, 100);
  // Its answer to the install is lost, and the leader, whose transfer failed, sends it again.
  follower.sent.length = 0;
  const refusal = await offerSnapshot(follower, SNAPSHOT);
  assert.match(refusal ?? '', /refused: this node has committed 100/);
  await follower.clock.pump();
  assert.deepEqual(acknowledged(follower), [100], 'the leader learns the follower holds 100 and appends after it');
  assert.deepEqual(follower.fatal, []);
  follower.node.stop();
});

test('a snapshot refused because the log already holds its last entry commits it and says so', async () => {
  const follower = startFollower(N2, new GatedLogStore(false));
  const entries: Entry[] = Array.from({ length: 5 }, (_, i) => ({ term: term(1), index: logIndex(i + 1), type: EntryType.Normal, data: new Uint8Array(0) }));
  follower.node.receive({ type: MessageType.Append, from: N1, to: N2, term: term(1), prevIndex: logIndex(0), prevTerm: term(0), entries, commit: logIndex(3) });
  await follower.clock.pump();
  assert.equal(follower.raft.status().commit, 3);
  follower.sent.length = 0;
  const refusal = await offerSnapshot(follower, { index: logIndex(5), term: term(1), confState: CONF });
  assert.match(refusal ?? '', /refused/);
  await follower.clock.pump();
  assert.equal(follower.raft.status().commit, 5);
  assert.deepEqual(acknowledged(follower), [5]);
  follower.node.stop();
});
