// WAL segment naming and the segment header. A segment is `wal/<seq:016x>-<firstIndex:016x>.wal`
// (lower-case hex, so names sort in seq order); firstIndex is the index the segment was
// opened to receive next (informational: recovery trusts the records, not the name). Header:
//   magic "RAFTISWL" (8) | formatVersion u32 | headerBytes u32 | seq u64 |
//   clusterIdBytes u16 | clusterId | nodeIdBytes u16 | nodeId | crc32c u32 of all before it
// Records follow at offset headerBytes.

import { ByteWriter, readU16, readU32, readU64 } from './byte-buffer.js';
import { crc32c } from './crc32c.js';

export const SEGMENT_MAGIC = 'RAFTISWL';
export const SEGMENT_FORMAT_VERSION = 1;
export const ID_BYTES_MAX = 255;
/** Upper bound of a header (two ids at their max), so one read always covers it. */
export const SEGMENT_HEADER_BYTES_MAX = 8 + 4 + 4 + 8 + 2 + ID_BYTES_MAX + 2 + ID_BYTES_MAX + 4;
export const SEGMENT_SUFFIX = '.wal';
export const TEMPORARY_SUFFIX = '.tmp';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
const magicBytes = utf8.encode(SEGMENT_MAGIC);

export interface SegmentHeader {
  formatVersion: number;
  seq: number;
  clusterId: string;
  nodeId: string;
}

function hex16(value: number): string {
  return value.toString(16).padStart(16, '0');
}

export function segmentFileName(seq: number, firstIndex: number): string {
  return `${hex16(seq)}-${hex16(firstIndex)}${SEGMENT_SUFFIX}`;
}

export function parseSegmentFileName(name: string): { seq: number; firstIndex: number } | null {
  const match = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/.exec(name);
  if (!match) return null;
  const seq = Number.parseInt(match[1]!, 16);
  const firstIndex = Number.parseInt(match[2]!, 16);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstIndex)) return null;
  return { seq, firstIndex };
}

export function encodeSegmentHeader(header: Omit<SegmentHeader, 'formatVersion'>): Uint8Array {
  const clusterId = utf8.encode(header.clusterId);
  const nodeId = utf8.encode(header.nodeId);
  const writer = new ByteWriter(SEGMENT_HEADER_BYTES_MAX);
  writer.raw(magicBytes);
  writer.u32(SEGMENT_FORMAT_VERSION);
  writer.u32(8 + 4 + 4 + 8 + 2 + clusterId.length + 2 + nodeId.length + 4);
  writer.u64(header.seq);
  writer.u16(clusterId.length);
  writer.raw(clusterId);
  writer.u16(nodeId.length);
  writer.raw(nodeId);
  writer.u32(crc32c(writer.bytes, 0, writer.length));
  return writer.bytes.slice(0, writer.length);
}

/** Decodes a header from the first bytes of a segment; a string describes what is wrong. */
export function decodeSegmentHeader(bytes: Uint8Array): (SegmentHeader & { headerBytes: number }) | string {
  if (bytes.length < 16) return 'segment shorter than its header';
  for (let i = 0; i < magicBytes.length; i++) {
    if (bytes[i] !== magicBytes[i]) return 'not a raftis WAL segment (bad magic)';
  }
  const formatVersion = readU32(bytes, 8);
  if (formatVersion !== SEGMENT_FORMAT_VERSION) {
    return `unknown WAL format version ${formatVersion} (this build reads version ${SEGMENT_FORMAT_VERSION})`;
  }
  const headerBytes = readU32(bytes, 12);
  if (headerBytes < 32 || headerBytes > SEGMENT_HEADER_BYTES_MAX || headerBytes > bytes.length) return `bad header length ${headerBytes}`;
  if (readU32(bytes, headerBytes - 4) !== crc32c(bytes, 0, headerBytes - 4)) return 'segment header checksum mismatch';
  const seq = readU64(bytes, 16);
  const clusterIdBytes = readU16(bytes, 24);
  const nodeIdAt = 26 + clusterIdBytes;
  if (nodeIdAt + 2 > headerBytes - 4) return 'segment header ids overrun the header';
  const nodeIdBytes = readU16(bytes, nodeIdAt);
  if (nodeIdAt + 2 + nodeIdBytes !== headerBytes - 4) return 'segment header ids do not match its length';
  return {
    formatVersion,
    seq,
    clusterId: utf8Decoder.decode(bytes.subarray(26, 26 + clusterIdBytes)),
    nodeId: utf8Decoder.decode(bytes.subarray(nodeIdAt + 2, nodeIdAt + 2 + nodeIdBytes)),
    headerBytes,
  };
}
