// A full disk is no reason to stop: a sync that meets ENOSPC (on a write, or creating the next
// WAL segment) rejects with RAFTIS_STORAGE_NO_SPACE and loses nothing; storage stays usable,
// and once space returns the next sync writes everything, the failed batch included, in
// order. EIO on a sync stays final (RAFTIS_STORAGE_WRITE_FAILED, naming the file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaultDisk } from '../../src/storage/fault-disk.js';
import { SimDisk } from '../../src/storage/sim-disk.js';
import { STORAGE_NO_SPACE } from '../../src/storage/errors.js';
import { entries, openSim, plain } from './helpers.js';

test('ENOSPC on a write or a segment roll is retried by the next sync, and nothing is lost', async () => {
  const disk = new SimDisk({ seed: 7 });
  const faults = new FaultDisk(disk);
  // Small segments, so the batches below roll to new segment files while the disk is full.
  const { storage } = await openSim(faults, { segmentBytes: 4096 });
  storage.append(entries(1, 10, 1, 100), { term: 1, vote: 'n1', commit: 0 });
  await storage.sync();
  faults.set({ noSpace: true });
  storage.append(entries(11, 60, 1, 100), null);
  await assert.rejects(storage.sync(), (error: Error & { code?: string }) => error.code === STORAGE_NO_SPACE && /no space left on device/.test(error.message));
  storage.append(entries(61, 70, 1, 100), { term: 1, vote: 'n1', commit: 50 });
  await assert.rejects(storage.sync(), (error: Error & { code?: string }) => error.code === STORAGE_NO_SPACE);
  faults.heal();
  await storage.sync();
  await storage.close();
  const { recovered } = await openSim(disk, { segmentBytes: 4096 });
  assert.deepEqual(plain(recovered.entries), plain(entries(1, 70, 1, 100)));
  assert.equal(recovered.hardState.commit, 50);
});

test('EIO on a sync is final and names the WAL file', async () => {
  const faults = new FaultDisk(new SimDisk({ seed: 1 }));
  const { storage } = await openSim(faults);
  storage.append(entries(1, 3, 1), null);
  faults.set({ failSyncs: 'EIO' });
  await assert.rejects(storage.sync(), /writing \d+ bytes at offset \d+ and fdatasync of \S+\.wal failed: EIO: i\/o error, fdatasync/);
  faults.heal();
  await assert.rejects(storage.sync(), /fdatasync of \S+\.wal failed: EIO/);
  assert.throws(() => storage.append(entries(4, 4, 1), null), /storage failed earlier and must be reopened/);
});
