// RaftStorage on SimDisk: persistence across reopen, conflicting-suffix truncation, group
// commit (one write and one sync per batch, queued syncs), entries() from disk, compaction
// deleting whole segments, and option validation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimDisk } from '../../src/storage/sim-disk.js';
import { StorageError, StorageOptionsError } from '../../src/storage/errors.js';
import { DIR, entries, entry, openSim, plain } from './helpers.js';

test('appended and synced entries and hard state survive a reopen', async () => {
  const disk = new SimDisk({ seed: 1 });
  const { storage } = await openSim(disk);
  storage.append(entries(1, 10, 1), { term: 1, vote: 'n1', commit: 3 });
  await storage.sync();
  await storage.close();
  const { storage: again, recovered } = await openSim(disk);
  assert.deepEqual(recovered.hardState, { term: 1, vote: 'n1', commit: 3 });
  assert.deepEqual(plain(recovered.entries), plain(entries(1, 10, 1)));
  assert.deepEqual([recovered.firstIndex, recovered.lastIndex], [1, 10]);
  await again.close();
});

test('appending at an index <= lastIndex truncates the conflicting suffix, in memory and on disk', async () => {
  const disk = new SimDisk({ seed: 2 });
  const { storage } = await openSim(disk);
  storage.append(entries(1, 10, 1), null);
  await storage.sync();
  storage.append(entries(6, 7, 2), null);
  await storage.sync();
  assert.equal(storage.lastIndex, 7);
  const expected = [...entries(1, 5, 1), ...entries(6, 7, 2)];
  assert.deepEqual(plain(storage.entries(1, 8)), plain(expected));
  storage.dropCache();
  assert.deepEqual(plain(storage.entries(1, 8)), plain(expected));
  await storage.close();
  const { recovered } = await openSim(disk);
  assert.deepEqual(plain(recovered.entries), plain(expected));
});

test('sync writes everything appended since the last one with one write and one fdatasync', async () => {
  const disk = new SimDisk({ seed: 3 });
  const { storage } = await openSim(disk, { segmentBytes: 1 << 20 });
  const writesBefore = disk.writes;
  const syncsBefore = disk.fileSyncs;
  for (let i = 1; i <= 50; i++) storage.append([entry(i, 1)], { term: 1, vote: '', commit: i - 1 });
  await storage.sync();
  assert.equal(disk.writes - writesBefore, 1);
  assert.equal(disk.fileSyncs - syncsBefore, 1);
  await storage.sync(); // nothing appended: no I/O
  assert.equal(disk.writes - writesBefore, 1);
  await storage.close();
});

test('a sync called while one is in flight resolves after the next write, which covers appends made meanwhile', async () => {
  const disk = new SimDisk({ seed: 4 });
  const { storage } = await openSim(disk, { segmentBytes: 1 << 20 });
  const writesBefore = disk.writes;
  storage.append([entry(1, 1)], null);
  const first = storage.sync();
  storage.append([entry(2, 1)], null);
  const second = storage.sync();
  storage.append([entry(3, 1)], null);
  const third = storage.sync();
  assert.equal(second, third, 'syncs queued behind one in flight share the next one');
  await first;
  await second;
  assert.equal(disk.writes - writesBefore, 2);
  disk.crash();
  const { recovered } = await openSim(disk);
  assert.equal(recovered.lastIndex, 3);
});

test('entries() reads from disk once the cache is dropped, honouring maxBytes and returning at least one', async () => {
  const disk = new SimDisk({ seed: 5 });
  const { storage } = await openSim(disk, { segmentBytes: 8192 });
  for (let i = 1; i <= 200; i += 10) {
    storage.append(entries(i, i + 9, 1 + Math.floor(i / 50), 40), null);
    await storage.sync();
  }
  storage.dropCache();
  const all = storage.entries(1, 201);
  assert.equal(all.length, 200);
  all.forEach((e, k) => assert.deepEqual(plain([e]), plain([entry(k + 1, 1 + Math.floor((Math.floor(k / 10) * 10 + 1) / 50), 40)])));
  assert.equal(storage.entries(5, 100, 100).length, 2);
  assert.equal(storage.entries(5, 100, 1).length, 1);
  assert.equal(storage.entries(5, 5).length, 0);
  assert.throws(() => storage.entries(0, 3), StorageError);
  assert.throws(() => storage.entries(5, 202), StorageError);
  await storage.close();
});

test('segments roll when full, and every segment begins with the current hard state', async () => {
  const disk = new SimDisk({ seed: 6 });
  const { storage } = await openSim(disk, { segmentBytes: 4096 });
  for (let i = 1; i <= 300; i += 5) {
    storage.append(entries(i, i + 4, 1, 100), { term: 1, vote: 'n1', commit: i });
    await storage.sync();
  }
  const segments = disk.listFiles().filter((f) => f.endsWith('.wal'));
  assert.ok(segments.length > 5, `expected many segments, got ${segments.length}`);
  const writer = storage.saveSnapshot({ index: 295, term: 1, membership: new Uint8Array([1]) });
  await writer.write(new Uint8Array([9, 9]));
  await writer.commit();
  await storage.compact(290);
  const left = disk.listFiles().filter((f) => f.endsWith('.wal'));
  assert.ok(left.length < segments.length);
  assert.ok(left.length >= 1);
  await storage.close();
  const { recovered } = await openSim(disk);
  assert.deepEqual(recovered.hardState, { term: 1, vote: 'n1', commit: 296 });
  assert.equal(recovered.snapshot?.index, 295);
  assert.equal(recovered.firstIndex, 296);
  assert.equal(recovered.lastIndex, 300);
});

test('compact deletes only segments wholly at or below the index, never the newest', async () => {
  const disk = new SimDisk({ seed: 7 });
  const { storage } = await openSim(disk, { segmentBytes: 4096 });
  for (let i = 1; i <= 100; i += 10) {
    storage.append(entries(i, i + 9, 1, 200), null);
    await storage.sync();
  }
  const before = disk.listFiles().filter((f) => f.endsWith('.wal'));
  await storage.compact(0);
  assert.deepEqual(disk.listFiles().filter((f) => f.endsWith('.wal')), before);
  await storage.compact(55);
  assert.equal(storage.firstIndex, 56);
  assert.deepEqual(plain(storage.entries(56, 101)), plain(entries(56, 100, 1, 200)));
  storage.dropCache();
  assert.deepEqual(plain(storage.entries(56, 101)), plain(entries(56, 100, 1, 200)));
  const after = disk.listFiles().filter((f) => f.endsWith('.wal'));
  assert.ok(after.length < before.length);
  await storage.compact(1000);
  assert.equal(disk.listFiles().filter((f) => f.endsWith('.wal')).length, 1);
  await storage.close();
});

test('an append outside [firstIndex, lastIndex + 1] is refused', async () => {
  const { storage } = await openSim(new SimDisk({ seed: 8 }));
  storage.append(entries(1, 3, 1), null);
  assert.throws(() => storage.append([entry(5, 1)], null), /append at index 5/);
  await storage.close();
});

test('options are validated with the field name', async () => {
  const disk = new SimDisk();
  await assert.rejects(openSim(disk, { segmentBytes: 10 }), StorageOptionsError);
  await assert.rejects(openSim(disk, { snapshotsRetained: 0 }), /snapshotsRetained/);
  await assert.rejects(openSim(disk, { nodeId: '' }), /nodeId/);
  assert.equal(disk.stat(`${DIR}/LOCK`), null);
});

test('a truncation while a sync is in flight keeps the new, unwritten entries readable', async () => {
  const disk = new SimDisk({ seed: 9 });
  const { storage } = await openSim(disk, { cacheBytes: 0 });
  storage.append(entries(1, 10, 1), null);
  const first = storage.sync();
  storage.append(entries(5, 12, 2), null);
  await first;
  storage.dropCache();
  const expected = [...entries(1, 4, 1), ...entries(5, 12, 2)];
  assert.deepEqual(plain(storage.entries(1, 13)), plain(expected));
  await storage.sync();
  storage.dropCache();
  assert.deepEqual(plain(storage.entries(1, 13)), plain(expected));
  await storage.close();
});

test('with a zero cache every durable entry is read back from disk correctly', async () => {
  const disk = new SimDisk({ seed: 10 });
  const { storage } = await openSim(disk, { cacheBytes: 0, segmentBytes: 4096 });
  for (let i = 1; i <= 120; i += 6) {
    storage.append(entries(i, i + 5, 1, 90), null);
    await storage.sync();
  }
  assert.deepEqual(plain(storage.entries(1, 121)), plain(entries(1, 120, 1, 90)));
  await storage.close();
});
