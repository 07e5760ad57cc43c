// Recovery rules: a torn or zero-filled record at the tail of the last segment is dropped
// (and logged); damage anywhere else, a gap, a foreign or unknown segment refuses to start
// with a StorageCorruptionError naming the file and offset.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SimDisk } from '../../src/storage/sim-disk.js';
import { StorageCorruptionError } from '../../src/storage/errors.js';
import { ByteWriter } from '../../src/storage/byte-buffer.js';
import { ENTRY_HEADER_BYTES, RECORD_HEADER_BYTES, encodeEntriesRecord } from '../../src/storage/record-codec.js';
import { encodeSegmentHeader } from '../../src/storage/segment-file.js';
import { lastNonZero } from '../../src/storage/wal-recovery.js';
import { DIR, entries, openSim, plain, type LogMessages } from './helpers.js';

const walFiles = (disk: SimDisk): string[] => disk.listFiles().filter((f) => f.endsWith('.wal'));

// Writes batches of 5 entries (index i..i+4), one sync each; returns the disk and the end
// offset of the data in the newest segment after every batch.
async function writeLog(batches: number, segmentBytes = 1 << 20): Promise<{ disk: SimDisk; ends: number[] }> {
  const disk = new SimDisk({ seed: 11 });
  const { storage } = await openSim(disk, { segmentBytes });
  const ends: number[] = [];
  for (let b = 0; b < batches; b++) {
    storage.append(entries(b * 5 + 1, b * 5 + 5, 1, 30), null);
    await storage.sync();
    const file = disk.readFile(walFiles(disk).at(-1)!);
    let end = file.length;
    while (end > 0 && file[end - 1] === 0) end--;
    ends.push(end);
  }
  await storage.close();
  return { disk, ends };
}

function assertCorruption(error: unknown, file: string, offset: number | null): true {
  assert.ok(error instanceof StorageCorruptionError, String(error));
  assert.equal(error.file, file);
  if (offset !== null) assert.equal(error.offset, offset);
  assert.match(error.message, /re-add the node with an empty data directory/);
  return true;
}

test('a torn record at the tail of the last segment is dropped and logged', async () => {
  const { disk, ends } = await writeLog(4);
  const file = walFiles(disk).at(-1)!;
  const bytes = disk.readFile(file);
  // Tear the last batch: zero its second half, as a write cut short would leave it.
  const lastStart = ends[2]!;
  const torn = bytes.slice();
  torn.fill(0, lastStart + Math.floor((ends[3]! - lastStart) / 2), ends[3]);
  disk.writeFileDurably(file, torn);
  const messages: LogMessages = [];
  const { storage, recovered } = await openSim(disk, {}, messages);
  assert.equal(recovered.lastIndex, 15);
  assert.deepEqual(plain(recovered.entries), plain(entries(1, 15, 1, 30)));
  const warning = messages.find((m) => m.msg.includes('torn record'));
  assert.ok(warning, JSON.stringify(messages));
  assert.equal(warning.fields?.['offset'], lastStart);
  assert.equal(warning.fields?.['file'], file);
  // The torn bytes are gone: appending and reopening works and keeps the new entries.
  storage.append(entries(16, 18, 2, 30), null);
  await storage.sync();
  await storage.close();
  const { recovered: again } = await openSim(disk);
  assert.deepEqual(plain(again.entries), plain([...entries(1, 15, 1, 30), ...entries(16, 18, 2, 30)]));
});

test('a record whose header was cut short at the tail is dropped', async () => {
  const { disk, ends } = await writeLog(3);
  const file = walFiles(disk).at(-1)!;
  const bytes = disk.readFile(file);
  bytes.fill(0, ends[1]! + 4, ends[2]);
  disk.writeFileDurably(file, bytes);
  const { recovered } = await openSim(disk);
  assert.equal(recovered.lastIndex, 10);
});

test('a bit flip in the last record is a torn tail: truncated', async () => {
  const { disk, ends } = await writeLog(3);
  const file = walFiles(disk).at(-1)!;
  disk.flipBit(file, ends[2]! - 3);
  const { recovered } = await openSim(disk);
  assert.equal(recovered.lastIndex, 10);
});

test('a bit flip in the middle of the last segment is corruption naming file and offset', async () => {
  const { disk, ends } = await writeLog(4);
  const file = walFiles(disk).at(-1)!;
  disk.flipBit(file, ends[1]! - 5, 3);
  await assert.rejects(openSim(disk), (error) => assertCorruption(error, file, ends[0]!));
});

test('a bit flip in the length field of a middle record is corruption, not a tail', async () => {
  const { disk, ends } = await writeLog(4);
  const file = walFiles(disk).at(-1)!;
  disk.flipBit(file, ends[1]! + 2, 7);
  await assert.rejects(openSim(disk), (error) => assertCorruption(error, file, ends[1]!));
});

test('a bit flip in an older segment is corruption even at its end', async () => {
  const { disk } = await writeLog(40, 4096);
  const files = walFiles(disk);
  assert.ok(files.length >= 3);
  const older = files[1]!;
  const bytes = disk.readFile(older);
  let end = bytes.length;
  while (bytes[end - 1] === 0) end--;
  disk.flipBit(older, end - 2);
  await assert.rejects(openSim(disk), (error) => assertCorruption(error, older, null));
});

test('a segment of another cluster or node, or of an unknown version, refuses to start', async () => {
  for (const [mutate, pattern] of [
    [(b: Uint8Array) => b.set(encodeSegmentHeader({ seq: 1, clusterId: 'c2', nodeId: 'n1' })), /cluster 'c2'/],
    [(b: Uint8Array) => b.set(encodeSegmentHeader({ seq: 1, clusterId: 'c1', nodeId: 'n9' })), /node 'n9'/],
    [(b: Uint8Array) => { b[8] = 2; }, /unknown WAL format version 2/],
  ] as const) {
    const { disk } = await writeLog(2);
    const file = walFiles(disk)[0]!;
    const bytes = disk.readFile(file);
    mutate(bytes);
    disk.writeFileDurably(file, bytes);
    await assert.rejects(openSim(disk), (error) => {
      assertCorruption(error, file, null);
      assert.match((error as Error).message, pattern);
      return true;
    });
  }
});

test('a gap in indexes is corruption', async () => {
  const { disk, ends } = await writeLog(2);
  const file = walFiles(disk)[0]!;
  const bytes = disk.readFile(file);
  const writer = new ByteWriter();
  const skipping = entries(12, 13, 1);
  encodeEntriesRecord(writer, skipping, 0, skipping.length);
  bytes.set(writer.bytes.subarray(0, writer.length), ends[1]);
  disk.writeFileDurably(file, bytes);
  await assert.rejects(openSim(disk), (error) => {
    assertCorruption(error, file, ends[1]!);
    assert.match((error as Error).message, /entry 12 follows entry 10/);
    return true;
  });
});

test('a missing segment in the middle is corruption', async () => {
  const { disk } = await writeLog(40, 4096);
  const files = walFiles(disk);
  const { storage } = await openSim(disk);
  await storage.close();
  await disk.unlink(files[1]!);
  await disk.fsyncDir(`${DIR}/wal`);
  await assert.rejects(openSim(disk), (error) => assertCorruption(error, files[2]!, 0));
});

test('a refused start changes nothing on disk', async () => {
  const { disk, ends } = await writeLog(4);
  const file = walFiles(disk).at(-1)!;
  disk.flipBit(file, ends[1]! - 5);
  const before = disk.readFile(file);
  await assert.rejects(openSim(disk), StorageCorruptionError);
  assert.deepEqual(disk.readFile(file), before);
  await assert.rejects(openSim(disk), StorageCorruptionError);
});

test('lastNonZero finds the last non-zero byte across zero runs of any length and alignment', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 300_000 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
    fc.nat(),
    fc.nat(),
    (length, marks, fromSeed, offsetSeed) => {
      // A view at an odd offset into a larger buffer, as the segment bytes may be.
      const offset = offsetSeed % 7;
      const backing = new Uint8Array(length + offset);
      const bytes = backing.subarray(offset);
      for (const [at, value] of marks) if (length > 0) bytes[at % length] = value;
      const from = length === 0 ? 0 : fromSeed % length;
      let expected = -1;
      for (let i = length - 1; i >= from; i--) if (bytes[i] !== 0) { expected = i; break; }
      assert.equal(lastNonZero(bytes, from, length), expected);
    },
  ), { numRuns: 200 });
});

test('a segment opened by an older snapshot\'s marker, its predecessor compacted away, recovers from the newer snapshot', async () => {
  // The WAL as a full segment leaves it: segment 1 holds entries 1..3 with no room left, so the
  // marker of a snapshot at 2 opens segment 2 (named for entry 4, the next to come), and
  // entries 4.. follow it there. A snapshot at 8 then lets compaction delete segment 1: the
  // oldest segment left starts with marker 2 followed by entry 4.
  const disk = new SimDisk({ seed: 12 });
  const { storage } = await openSim(disk, { segmentBytes: 4096 });
  storage.append(entries(1, 2, 1, 1000), null);
  await storage.sync();
  const file = disk.readFile(walFiles(disk)[0]!);
  let end = file.length;
  while (end > 0 && file[end - 1] === 0) end--;
  const fill = 4096 - end - RECORD_HEADER_BYTES - 4 - ENTRY_HEADER_BYTES - 8;
  storage.append([{ ...entries(3, 3, 1)[0]!, data: new Uint8Array(fill).fill(3) }], null);
  await storage.sync();
  const snapshot = async (index: number): Promise<void> => {
    const writer = storage.saveSnapshot({ index, term: 1, membership: new Uint8Array([1]) });
    await writer.write(new Uint8Array([index]));
    await writer.commit();
  };
  await snapshot(2);
  assert.equal(walFiles(disk).length, 2, 'the marker opened a second segment');
  storage.append(entries(4, 10, 1, 100), null);
  await storage.sync();
  await snapshot(8);
  await storage.compact(6);
  assert.equal(walFiles(disk).length, 1, 'the first segment is compacted away');
  await storage.close();
  const { recovered } = await openSim(disk);
  assert.equal(recovered.snapshot?.index, 8);
  assert.deepEqual(plain(recovered.entries), plain(entries(9, 10, 1, 100)));
});
