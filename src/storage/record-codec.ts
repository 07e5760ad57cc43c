// WAL record encoding. A record is `length u32 | crc32c u32 | type u8 | payload`, all little
// endian; `length` counts payload bytes only and the CRC covers type and payload. Payloads:
//   entries (1):          count u32, then count × (index u64, term u64, type u8, dataBytes u32, data)
//                         with consecutive indexes;
//   hard state (2):       term u64, commit u64, voteBytes u16, vote (UTF-8);
//   snapshot marker (3):  index u64, term u64.
// An all-zero record header marks the end of the data in a preallocated segment.

import { ByteWriter, readU16, readU32, readU64 } from './byte-buffer.js';
import { crc32c } from './crc32c.js';
import { storageAssert } from './errors.js';
import type { StoredEntry, StoredHardState } from './types.js';

export const RECORD_HEADER_BYTES = 9;
export const ENTRY_HEADER_BYTES = 21;
/** Largest record payload; larger appends are split over several records. */
export const RECORD_PAYLOAD_BYTES_MAX = 64 * 1024 * 1024;
/** Largest entry data that fits one record with its headers. */
export const ENTRY_DATA_BYTES_MAX = RECORD_PAYLOAD_BYTES_MAX - ENTRY_HEADER_BYTES - 4;
export const VOTE_BYTES_MAX = 1024;

export const RecordType = {
  entries: 1,
  hardState: 2,
  snapshotMarker: 3,
} as const;
export type RecordTypeCode = (typeof RecordType)[keyof typeof RecordType];

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function beginRecord(writer: ByteWriter, type: RecordTypeCode): number {
  const start = writer.length;
  writer.u32(0); // length, patched by endRecord
  writer.u32(0); // crc, patched by endRecord
  writer.u8(type);
  return start;
}

function endRecord(writer: ByteWriter, start: number): void {
  const payloadBytes = writer.length - start - RECORD_HEADER_BYTES;
  storageAssert(payloadBytes <= RECORD_PAYLOAD_BYTES_MAX, `record payload ${payloadBytes} > max ${RECORD_PAYLOAD_BYTES_MAX}`);
  writer.setU32At(start, payloadBytes);
  writer.setU32At(start + 4, crc32c(writer.bytes, start + 8, writer.length));
}

/** Bytes one entry takes inside an entries record. */
export function entryEncodedBytes(entry: StoredEntry): number {
  return ENTRY_HEADER_BYTES + entry.data.length;
}

/**
 * Encodes entries[from, to) as one record. `onEntry(i, dataOffset)` reports where each entry's
 * data starts in writer.bytes, for the index of record offsets.
 */
export function encodeEntriesRecord(
  writer: ByteWriter,
  entries: readonly StoredEntry[],
  from: number,
  to: number,
  onEntry?: (i: number, dataOffset: number) => void,
): void {
  storageAssert(to > from, `empty entries record [${from}, ${to})`);
  const start = beginRecord(writer, RecordType.entries);
  writer.u32(to - from);
  for (let i = from; i < to; i++) {
    const entry = entries[i]!;
    storageAssert(entry.type >= 0 && entry.type <= 255 && Number.isInteger(entry.type), `entry ${entry.index} type ${entry.type} not a u8`);
    storageAssert(entry.data.length <= ENTRY_DATA_BYTES_MAX, `entry ${entry.index} data ${entry.data.length} bytes > max ${ENTRY_DATA_BYTES_MAX}`);
    writer.u64(entry.index);
    writer.u64(entry.term);
    writer.u8(entry.type);
    writer.u32(entry.data.length);
    if (onEntry) onEntry(i, writer.length);
    writer.raw(entry.data);
  }
  endRecord(writer, start);
}

export function encodeHardStateRecord(writer: ByteWriter, hardState: StoredHardState): void {
  const vote = utf8.encode(hardState.vote);
  storageAssert(vote.length <= VOTE_BYTES_MAX, `vote ${vote.length} bytes > max ${VOTE_BYTES_MAX}`);
  const start = beginRecord(writer, RecordType.hardState);
  writer.u64(hardState.term);
  writer.u64(hardState.commit);
  writer.u16(vote.length);
  writer.raw(vote);
  endRecord(writer, start);
}

export function encodeSnapshotMarkerRecord(writer: ByteWriter, index: number, term: number): void {
  const start = beginRecord(writer, RecordType.snapshotMarker);
  writer.u64(index);
  writer.u64(term);
  endRecord(writer, start);
}

export type RecordScan =
  | { kind: 'record'; type: number; payloadStart: number; payloadEnd: number }
  | { kind: 'end' }
  | { kind: 'bad'; reason: string };

function allZero(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Checks the record at bytes[position, end) without decoding its payload. */
export function scanRecord(bytes: Uint8Array, position: number, end: number): RecordScan {
  if (end - position < RECORD_HEADER_BYTES) {
    return allZero(bytes, position, end) ? { kind: 'end' } : { kind: 'bad', reason: `record header cut short at ${end - position} bytes` };
  }
  if (allZero(bytes, position, position + RECORD_HEADER_BYTES)) return { kind: 'end' };
  const payloadBytes = readU32(bytes, position);
  if (payloadBytes > RECORD_PAYLOAD_BYTES_MAX) return { kind: 'bad', reason: `record length ${payloadBytes} > max ${RECORD_PAYLOAD_BYTES_MAX}` };
  const payloadEnd = position + RECORD_HEADER_BYTES + payloadBytes;
  if (payloadEnd > end) return { kind: 'bad', reason: `record of ${payloadBytes} payload bytes runs past the end of the file` };
  const stored = readU32(bytes, position + 4);
  const computed = crc32c(bytes, position + 8, payloadEnd);
  if (stored !== computed) return { kind: 'bad', reason: `checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${computed.toString(16)})` };
  return { kind: 'record', type: bytes[position + 8]!, payloadStart: position + RECORD_HEADER_BYTES, payloadEnd };
}

/** One entry as found in a record: where its data lies in the scanned bytes. */
export interface EntryLocation {
  index: number;
  term: number;
  type: number;
  dataStart: number;
  dataBytes: number;
}

/** Decodes an entries payload; returns an error message for a malformed one. */
export function decodeEntriesPayload(bytes: Uint8Array, start: number, end: number, visit: (entry: EntryLocation) => void): string | null {
  if (end - start < 4) return 'entries payload shorter than its count';
  const count = readU32(bytes, start);
  if (count === 0) return 'entries record with no entries';
  let position = start + 4;
  let previousIndex = -1;
  for (let n = 0; n < count; n++) {
    if (end - position < ENTRY_HEADER_BYTES) return `entry ${n} header runs past the record`;
    const index = readU64(bytes, position);
    const term = readU64(bytes, position + 8);
    const type = bytes[position + 16]!;
    const dataBytes = readU32(bytes, position + 17);
    position += ENTRY_HEADER_BYTES;
    if (index < 1 || term < 0) return `entry ${n} has index ${index} term ${term}`;
    if (previousIndex !== -1 && index !== previousIndex + 1) return `entry indexes not consecutive: ${previousIndex} then ${index}`;
    if (dataBytes > end - position) return `entry ${index} data runs past the record`;
    visit({ index, term, type, dataStart: position, dataBytes });
    position += dataBytes;
    previousIndex = index;
  }
  if (position !== end) return `${end - position} stray bytes after the entries`;
  return null;
}

export function decodeHardStatePayload(bytes: Uint8Array, start: number, end: number): StoredHardState | string {
  if (end - start < 18) return 'hard state payload too short';
  const term = readU64(bytes, start);
  const commit = readU64(bytes, start + 8);
  const voteBytes = readU16(bytes, start + 16);
  if (term < 0 || commit < 0) return 'hard state term or commit out of range';
  if (start + 18 + voteBytes !== end) return 'hard state vote length does not match the record';
  let vote: string;
  try {
    vote = utf8Decoder.decode(bytes.subarray(start + 18, end));
  } catch {
    return 'hard state vote is not UTF-8';
  }
  return { term, vote, commit };
}

export function decodeSnapshotMarkerPayload(bytes: Uint8Array, start: number, end: number): { index: number; term: number } | string {
  if (end - start !== 16) return 'snapshot marker payload is not 16 bytes';
  const index = readU64(bytes, start);
  const term = readU64(bytes, start + 8);
  if (index < 0 || term < 0) return 'snapshot marker index or term out of range';
  return { index, term };
}
