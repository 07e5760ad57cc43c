// Record codec: round trips of every record type (fast-check), and scanRecord's verdicts on
// zero fill, short headers, overlong lengths and flipped bits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteWriter } from '../../src/storage/byte-buffer.js';
import {
  RECORD_HEADER_BYTES,
  RecordType,
  decodeEntriesPayload,
  decodeHardStatePayload,
  decodeSnapshotMarkerPayload,
  encodeEntriesRecord,
  encodeHardStateRecord,
  encodeSnapshotMarkerRecord,
  scanRecord,
  type EntryLocation,
} from '../../src/storage/record-codec.js';
import { decodeSegmentHeader, encodeSegmentHeader, parseSegmentFileName, segmentFileName } from '../../src/storage/segment-file.js';
import type { StoredEntry } from '../../src/storage/types.js';

const safeU64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

const entriesArbitrary = fc
  .tuple(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER - 100 }), fc.array(fc.tuple(safeU64, fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 64 })), { minLength: 1, maxLength: 20 }))
  .map(([first, list]): StoredEntry[] => list.map(([term, type, data], i) => ({ index: first + i, term, type, data })));

test('entries record round trip, with data offsets pointing at the data', () => {
  fc.assert(
    fc.property(entriesArbitrary, fc.nat({ max: 16 }), (list, lead) => {
      const writer = new ByteWriter(16);
      for (let i = 0; i < lead; i++) writer.u8(0xaa);
      const offsets: number[] = [];
      encodeEntriesRecord(writer, list, 0, list.length, (_i, at) => offsets.push(at));
      const bytes = writer.bytes.subarray(0, writer.length);
      const scanned = scanRecord(bytes, lead, bytes.length);
      assert.equal(scanned.kind, 'record');
      if (scanned.kind !== 'record') return;
      assert.equal(scanned.type, RecordType.entries);
      assert.equal(scanned.payloadEnd, bytes.length);
      const decoded: EntryLocation[] = [];
      assert.equal(decodeEntriesPayload(bytes, scanned.payloadStart, scanned.payloadEnd, (e) => decoded.push(e)), null);
      assert.equal(decoded.length, list.length);
      decoded.forEach((e, i) => {
        const original = list[i]!;
        assert.deepEqual([e.index, e.term, e.type], [original.index, original.term, original.type]);
        assert.equal(e.dataStart, offsets[i]);
        assert.deepEqual(bytes.subarray(e.dataStart, e.dataStart + e.dataBytes), original.data);
      });
    }),
    { numRuns: 200 },
  );
});

test('hard state and snapshot marker records round trip', () => {
  fc.assert(
    fc.property(safeU64, safeU64, fc.string({ maxLength: 40 }), safeU64, safeU64, (term, commit, vote, index, markerTerm) => {
      const writer = new ByteWriter(8);
      encodeHardStateRecord(writer, { term, vote, commit });
      encodeSnapshotMarkerRecord(writer, index, markerTerm);
      const bytes = writer.bytes.subarray(0, writer.length);
      const first = scanRecord(bytes, 0, bytes.length);
      assert.ok(first.kind === 'record' && first.type === RecordType.hardState);
      assert.deepEqual(decodeHardStatePayload(bytes, first.payloadStart, first.payloadEnd), { term, vote, commit });
      const second = scanRecord(bytes, first.payloadEnd, bytes.length);
      assert.ok(second.kind === 'record' && second.type === RecordType.snapshotMarker);
      assert.deepEqual(decodeSnapshotMarkerPayload(bytes, second.payloadStart, second.payloadEnd), { index, term: markerTerm });
    }),
    { numRuns: 200 },
  );
});

test('any single flipped bit in a record is detected', () => {
  fc.assert(
    fc.property(entriesArbitrary, fc.nat(), fc.nat({ max: 7 }), (list, at, bit) => {
      const writer = new ByteWriter(16);
      encodeEntriesRecord(writer, list, 0, list.length);
      const bytes = writer.bytes.slice(0, writer.length);
      const offset = at % bytes.length;
      bytes[offset] = bytes[offset]! ^ (1 << bit);
      assert.notEqual(scanRecord(bytes, 0, bytes.length).kind, 'record');
    }),
    { numRuns: 300 },
  );
});

test('zero fill is the end of data; a partial record is bad', () => {
  assert.deepEqual(scanRecord(new Uint8Array(100), 0, 100), { kind: 'end' });
  assert.deepEqual(scanRecord(new Uint8Array(5), 0, 5), { kind: 'end' });
  const writer = new ByteWriter(16);
  encodeSnapshotMarkerRecord(writer, 5, 2);
  const bytes = writer.bytes.slice(0, writer.length);
  for (let cut = 1; cut < bytes.length; cut++) {
    assert.equal(scanRecord(bytes, 0, cut).kind, 'bad', `cut at ${cut}`);
  }
  assert.equal(bytes.length, RECORD_HEADER_BYTES + 16);
});

test('segment header and file name round trip; foreign magic and versions are named', () => {
  const header = encodeSegmentHeader({ seq: 7, clusterId: 'cluster-α', nodeId: 'n3' });
  const decoded = decodeSegmentHeader(header);
  assert.ok(typeof decoded !== 'string');
  assert.deepEqual([decoded.seq, decoded.clusterId, decoded.nodeId, decoded.headerBytes], [7, 'cluster-α', 'n3', header.length]);
  const versioned = header.slice();
  versioned[8] = 9;
  assert.match(String(decodeSegmentHeader(versioned)), /unknown WAL format version 9/);
  const foreign = header.slice();
  foreign[0] = 0x41;
  assert.match(String(decodeSegmentHeader(foreign)), /bad magic/);
  assert.deepEqual(parseSegmentFileName(segmentFileName(0x1f, 12345)), { seq: 0x1f, firstIndex: 12345 });
  assert.equal(parseSegmentFileName('0000000000000001.wal'), null);
});
