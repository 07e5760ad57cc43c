// Snapshot files (write, stream back, verify, retention, abort) and how recovery reconciles
// the newest valid snapshot with the WAL by Raft's rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { SimDisk } from '../../src/storage/sim-disk.js';
import { StorageCorruptionError } from '../../src/storage/errors.js';
import { crc32c } from '../../src/storage/crc32c.js';
import { ByteWriter } from '../../src/storage/byte-buffer.js';
import { encodeSnapshotHeader, snapshotFileName } from '../../src/storage/snapshot-file.js';
import type { RaftStorage } from '../../src/storage/raft-storage.js';
import { DIR, entries, openSim, plain, type LogMessages } from './helpers.js';

const snapFiles = (disk: SimDisk): string[] => disk.listFiles().filter((f) => f.includes('/snap/'));

function payload(bytes: number, salt: number): Uint8Array {
  return Uint8Array.from({ length: bytes }, (_, i) => (i * 13 + salt) & 0xff);
}

async function writeSnapshot(storage: RaftStorage, index: number, term: number, body: Uint8Array, chunkBytes = 1000): Promise<void> {
  const writer = storage.saveSnapshot({ index, term, membership: new Uint8Array([index & 0xff, 7]) });
  for (let at = 0; at < body.length; at += chunkBytes) await writer.write(body.subarray(at, at + chunkBytes));
  await writer.commit();
}

function readAll(storage: RaftStorage, maxBytes: number, meta?: { index: number; term: number }): { data: Uint8Array; chunks: number; index: number } {
  const reader = storage.openSnapshot(meta);
  assert.ok(reader);
  const parts: Uint8Array[] = [];
  for (let chunk = reader.readChunk(maxBytes); chunk !== null; chunk = reader.readChunk(maxBytes)) {
    assert.ok(chunk.length <= maxBytes);
    parts.push(chunk);
  }
  reader.close();
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  assert.equal(data.length, reader.size);
  return { data, chunks: parts.length, index: reader.meta.index };
}

// A snapshot file built by hand, for crash windows the API does not leave behind. Format 2
// checksums header and payload with zlib's CRC-32; format 1 (still read) with crc32c.
function snapshotBytes(index: number, term: number, body: Uint8Array, version: 1 | 2 = 2): Uint8Array {
  const writer = new ByteWriter();
  const header = encodeSnapshotHeader({ index, term, membership: new Uint8Array([1]) });
  if (version === 1) {
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    view.setUint32(8, 1, true);
    view.setUint32(header.length - 4, crc32c(header, 0, header.length - 4), true);
  }
  writer.raw(header);
  writer.raw(body);
  const crc = version === 1 ? crc32c(writer.bytes, 0, writer.length) : crc32(writer.bytes.subarray(0, writer.length));
  writer.u64(body.length);
  writer.u32(crc);
  writer.raw(new TextEncoder().encode('SEND'));
  return writer.bytes.slice(0, writer.length);
}

test('a snapshot is written in chunks, named term-index, streamed back in bounded chunks and verified', async () => {
  const disk = new SimDisk({ seed: 21 });
  const { storage } = await openSim(disk);
  storage.append(entries(1, 20, 2), null);
  await storage.sync();
  const body = payload(10_000, 1);
  await writeSnapshot(storage, 15, 2, body);
  assert.deepEqual(snapFiles(disk), [`${DIR}/snap/${snapshotFileName(2, 15)}`]);
  const read = readAll(storage, 3000);
  assert.deepEqual(read.data, body);
  assert.equal(read.chunks, 4);
  const reader = storage.openSnapshot()!;
  assert.deepEqual([reader.meta.index, reader.meta.term, [...reader.meta.membership]], [15, 2, [15, 7]]);
  assert.equal(reader.size, 10_000);
  assert.equal(typeof reader.checksum, 'number');
  reader.close();
  await storage.close();
  const { recovered } = await openSim(disk);
  assert.equal(recovered.snapshot?.index, 15);
  assert.deepEqual(plain(recovered.entries), plain(entries(16, 20, 2)));
});

test('abort leaves no file behind; older snapshots beyond snapshotsRetained are removed', async () => {
  const disk = new SimDisk({ seed: 22 });
  const { storage } = await openSim(disk, { snapshotsRetained: 2 });
  storage.append(entries(1, 40, 1), null);
  await storage.sync();
  const aborted = storage.saveSnapshot({ index: 5, term: 1, membership: new Uint8Array() });
  await aborted.write(payload(100, 0));
  await aborted.abort();
  assert.deepEqual(snapFiles(disk), []);
  for (const index of [10, 20, 30, 40]) await writeSnapshot(storage, index, 1, payload(500, index));
  assert.deepEqual(snapFiles(disk), [`${DIR}/snap/${snapshotFileName(1, 30)}`, `${DIR}/snap/${snapshotFileName(1, 40)}`]);
  assert.deepEqual(readAll(storage, 100).data, payload(500, 40));
  assert.deepEqual(readAll(storage, 100, { index: 30, term: 1 }).data, payload(500, 30));
  assert.equal(storage.openSnapshot({ index: 20, term: 1 }), null);
  await storage.close();
});

test('a damaged newest snapshot is skipped for an older valid one when the WAL covers the gap', async () => {
  const disk = new SimDisk({ seed: 23 });
  const { storage } = await openSim(disk);
  storage.append(entries(1, 30, 1), null);
  await storage.sync();
  await writeSnapshot(storage, 10, 1, payload(2000, 10));
  await writeSnapshot(storage, 20, 1, payload(2000, 20));
  await storage.close();
  disk.flipBit(`${DIR}/snap/${snapshotFileName(1, 20)}`, 1500);
  const messages: LogMessages = [];
  const { storage: again, recovered } = await openSim(disk, {}, messages);
  assert.equal(recovered.snapshot?.index, 10);
  assert.deepEqual(plain(recovered.entries), plain(entries(11, 30, 1)));
  assert.ok(messages.some((m) => m.level === 'warn' && m.msg.includes('invalid snapshot')), JSON.stringify(messages));
  assert.deepEqual(readAll(again, 4096).data, payload(2000, 10));
  await again.close();
});

test('a truncated newest snapshot is skipped too', async () => {
  const disk = new SimDisk({ seed: 24 });
  const { storage } = await openSim(disk);
  storage.append(entries(1, 30, 1), null);
  await storage.sync();
  await writeSnapshot(storage, 10, 1, payload(2000, 10));
  await writeSnapshot(storage, 20, 1, payload(2000, 20));
  await storage.close();
  const path = `${DIR}/snap/${snapshotFileName(1, 20)}`;
  disk.writeFileDurably(path, disk.readFile(path).subarray(0, 1200));
  const { recovered } = await openSim(disk);
  assert.equal(recovered.snapshot?.index, 10);
});

test('a damaged newest snapshot whose gap the WAL no longer covers refuses to start, explaining why', async () => {
  const disk = new SimDisk({ seed: 25 });
  const { storage } = await openSim(disk, { segmentBytes: 4096 });
  for (let i = 1; i <= 200; i += 10) {
    storage.append(entries(i, i + 9, 1, 100), null);
    await storage.sync();
  }
  await writeSnapshot(storage, 50, 1, payload(100, 50));
  await writeSnapshot(storage, 190, 1, payload(100, 190));
  await storage.compact(180);
  assert.ok(storage.firstIndex > 51);
  await storage.close();
  disk.flipBit(`${DIR}/snap/${snapshotFileName(1, 190)}`, 60);
  await assert.rejects(openSim(disk, { segmentBytes: 4096 }), (error) => {
    assert.ok(error instanceof StorageCorruptionError);
    assert.match(error.message, /newest valid snapshot ends at index 50/);
    assert.match(error.message, /invalid snapshot files were skipped/);
    return true;
  });
});

test('a log compacted with no snapshot to cover its start refuses to start', async () => {
  const disk = new SimDisk({ seed: 26 });
  const { storage } = await openSim(disk, { segmentBytes: 4096 });
  for (let i = 1; i <= 200; i += 10) {
    storage.append(entries(i, i + 9, 1, 100), null);
    await storage.sync();
  }
  await storage.compact(150);
  await storage.close();
  await assert.rejects(openSim(disk), /no valid snapshot covers indexes 1\.\./);
});

test('a snapshot beyond the end of the log (installed from the leader) replaces the log', async () => {
  const disk = new SimDisk({ seed: 27 });
  const { storage } = await openSim(disk);
  storage.append(entries(1, 10, 1), null);
  await storage.sync();
  await writeSnapshot(storage, 50, 3, payload(300, 50));
  assert.deepEqual([storage.firstIndex, storage.lastIndex], [51, 50]);
  storage.append(entries(51, 55, 3), { term: 3, vote: 'n2', commit: 55 });
  await storage.sync();
  await storage.close();
  const { recovered } = await openSim(disk);
  assert.equal(recovered.snapshot?.index, 50);
  assert.deepEqual(plain(recovered.entries), plain(entries(51, 55, 3)));
  assert.deepEqual([recovered.firstIndex, recovered.lastIndex], [51, 55]);
});

test('a snapshot file with no WAL marker (crash right after the rename) is reconciled by Raft rules', async () => {
  // Log 1..10 at term 1; snapshot at 30 (beyond the log): the log is discarded.
  const disk = new SimDisk({ seed: 28 });
  const { storage } = await openSim(disk);
  storage.append(entries(1, 10, 1), null);
  await storage.sync();
  await storage.close();
  disk.writeFileDurably(`${DIR}/snap/${snapshotFileName(2, 30)}`, snapshotBytes(30, 2, payload(64, 1)));
  const { storage: again, recovered } = await openSim(disk);
  assert.deepEqual([recovered.snapshot?.index, recovered.firstIndex, recovered.lastIndex, recovered.entries.length], [30, 31, 30, 0]);
  // The restarted log continues after the snapshot and survives another restart.
  again.append(entries(31, 33, 2), null);
  await again.sync();
  await again.close();
  const { recovered: third } = await openSim(disk);
  assert.deepEqual(plain(third.entries), plain(entries(31, 33, 2)));
});

test('a snapshot inside the log keeps the entries after it when the terms match and discards the log when they differ', async () => {
  const matching = new SimDisk({ seed: 29 });
  const { storage } = await openSim(matching);
  storage.append(entries(1, 10, 1), null);
  await storage.sync();
  await storage.close();
  matching.writeFileDurably(`${DIR}/snap/${snapshotFileName(1, 6)}`, snapshotBytes(6, 1, payload(64, 1)));
  const { recovered } = await openSim(matching);
  assert.deepEqual(plain(recovered.entries), plain(entries(7, 10, 1)));

  const conflicting = new SimDisk({ seed: 30 });
  const { storage: other } = await openSim(conflicting);
  other.append(entries(1, 10, 1), null);
  await other.sync();
  await other.close();
  conflicting.writeFileDurably(`${DIR}/snap/${snapshotFileName(2, 6)}`, snapshotBytes(6, 2, payload(64, 1)));
  const { recovered: replaced } = await openSim(conflicting);
  assert.deepEqual([replaced.firstIndex, replaced.lastIndex, replaced.entries.length], [7, 6, 0]);
});

test('a snapshot file in format 1 (crc32c trailer) still verifies and reads back', async () => {
  const disk = new SimDisk({ seed: 31 });
  const { storage } = await openSim(disk);
  storage.append(entries(1, 10, 1), null);
  await storage.sync();
  await storage.close();
  const body = payload(5000, 3);
  disk.writeFileDurably(`${DIR}/snap/${snapshotFileName(2, 30)}`, snapshotBytes(30, 2, body, 1));
  const { storage: again, recovered } = await openSim(disk);
  assert.equal(recovered.snapshot?.index, 30);
  assert.deepEqual(readAll(again, 700).data, body);
  const damaged = snapshotBytes(30, 2, body, 1);
  damaged[100] = (damaged[100] as number) ^ 1;
  const other = new SimDisk({ seed: 32 });
  const { storage: fresh } = await openSim(other);
  await fresh.close();
  other.writeFileDurably(`${DIR}/snap/${snapshotFileName(2, 30)}`, damaged);
  const { recovered: skipped } = await openSim(other);
  assert.equal(skipped.snapshot?.index, undefined, 'a damaged format 1 file fails its crc32c and is skipped');
});
