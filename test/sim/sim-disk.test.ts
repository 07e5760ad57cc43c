// The simulated disk keeps what the storage layer keeps across a crash: an unsynced snapshot
// is lost, a stale snapshot never hides a newer one, and an installed snapshot the log does
// not continue replaces the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimDisk } from '../../src/sim/sim-disk.js';
import { SimLogStore } from '../../src/sim/sim-log-store.js';
import { EntryType, logIndex, nodeId, term, type Entry, type SnapshotMeta } from '../../src/raft/types.js';

function entry(index: number, t: number): Entry {
  return { index: logIndex(index), term: term(t), type: EntryType.Normal, data: Buffer.from(`e${index}`) };
}

function meta(index: number, t: number): SnapshotMeta {
  return { index: logIndex(index), term: term(t), confState: { voters: [nodeId('n1')], learners: [] } };
}

/** A store whose syncs complete only when the test runs them. */
function store(disk: SimDisk): { log: SimLogStore; syncs: (() => void)[] } {
  const syncs: (() => void)[] = [];
  return { log: new SimLogStore(disk, { scheduleSync: (done) => syncs.push(done) }), syncs };
}

test('a crash during a snapshot write loses the snapshot; a completed one survives', async () => {
  const disk = new SimDisk();
  const first = store(disk);
  const sink = first.log.saveSnapshot(meta(10, 2));
  await sink.write(Buffer.from('state'));
  void sink.commit();
  first.log.crash(0);
  for (const done of first.syncs) done();
  assert.equal(disk.snapshot, null);
  const second = store(disk);
  const again = second.log.saveSnapshot(meta(10, 2));
  await again.write(Buffer.from('state'));
  const committed = again.commit();
  for (const done of second.syncs) done();
  await committed;
  assert.equal(disk.findSnapshot()?.meta.index, 10);
  assert.notEqual(second.log.openSnapshot(meta(10, 2)), null);
  assert.equal(second.log.openSnapshot(meta(10, 3)), null);
});

test('an older snapshot saved later does not hide the newest', () => {
  const disk = new SimDisk();
  disk.saveSnapshot({ meta: meta(20, 2), bytes: Buffer.from('b') });
  disk.saveSnapshot({ meta: meta(10, 2), bytes: Buffer.from('a') });
  assert.equal(disk.snapshot?.meta.index, 20);
  assert.equal(disk.findSnapshot(meta(10, 2))?.meta.index, 10);
});

test('a snapshot the log continues keeps the log; one it does not replaces it', () => {
  const disk = new SimDisk();
  disk.write([{ kind: 'entries', entries: [1, 2, 3, 4, 5].map((i) => entry(i, 1)) }]);
  disk.saveSnapshot({ meta: meta(3, 1), bytes: Buffer.from('x') });
  assert.deepEqual(disk.recover().entries.map((e) => e.index), [4, 5]);
  disk.saveSnapshot({ meta: meta(4, 2), bytes: Buffer.from('y') });
  assert.equal(disk.lastIndex, 4);
  assert.deepEqual(disk.recover().entries, []);
  disk.write([{ kind: 'entries', entries: [entry(5, 2)] }]);
  assert.deepEqual(disk.recover().entries.map((e) => e.index), [5]);
});
