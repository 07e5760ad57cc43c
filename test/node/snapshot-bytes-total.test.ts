// A node counts the bytes of the snapshots it receives (snapshotBytesTotal): the idle
// collection (src/server/idle-collection.ts) counts them as work as it counts applied
// entries, so the garbage a snapshot's transfer leaves on an otherwise idle node is collected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType, logIndex, term, type SnapshotMeta } from '../../src/raft/types.js';
import { CONF, GatedLogStore, N1, N2, startFollower } from './harness.js';

test('a received snapshot adds its bytes to snapshotBytesTotal, and nothing to appliedLogBytes', async () => {
  const { node, clock, sm } = startFollower(N2, new GatedLogStore(false));
  assert.equal(node.snapshotBytesTotal, 0);
  const snapshot: SnapshotMeta = { index: logIndex(100), term: term(1), confState: CONF };
  const streamed = [new Uint8Array(3), new Uint8Array(4)];
  const receiving = node.receiveSnapshot(
    { type: MessageType.Snapshot, from: N1, to: N2, term: term(1), snapshot },
    { read: async () => streamed.shift() ?? null },
  );
  await clock.pump();
  assert.equal(await receiving, null);
  await clock.pump();
  assert.equal(sm.appliedIndex, 100);
  assert.equal(node.snapshotBytesTotal, 7);
  assert.equal(node.appliedLogBytes, 0);
  node.stop();
});
