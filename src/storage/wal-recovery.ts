// Reads the WAL back at startup: validates every segment header, replays every record into
// a LogIndex (a later record for index i supersedes i and all after it), and decides whether
// a bad record is a torn tail (crash mid-write: droppable) or corruption (refuse to start).
// Reads only; the caller repairs a torn tail after every check has passed.

import { join } from 'node:path';
import type { Disk } from './disk.js';
import { StorageCorruptionError } from './errors.js';
import { LogIndex } from './log-index.js';
import {
  RecordType,
  decodeEntriesPayload,
  decodeHardStatePayload,
  decodeSnapshotMarkerPayload,
  scanRecord,
  type EntryLocation,
} from './record-codec.js';
import { decodeSegmentHeader, parseSegmentFileName } from './segment-file.js';
import { EMPTY_HARD_STATE, type StoredHardState } from './types.js';

export interface ScannedSegment {
  seq: number;
  name: string;
  path: string;
  headerBytes: number;
  sizeBytes: number;
  /** Offset just past the last intact record. */
  dataEnd: number;
}

export interface TornTail {
  path: string;
  offset: number;
  /** Bytes from offset to the last non-zero byte, inclusive. */
  bytes: number;
  reason: string;
}

export interface WalScan {
  segments: ScannedSegment[];
  log: LogIndex;
  /** True when the log's start was fixed by a snapshot marker rather than by its first entry. */
  logStartFromMarker: boolean;
  /** Whether any entry or marker fixed where the log starts. */
  logStarted: boolean;
  hardState: StoredHardState;
  lastMarker: { index: number; term: number } | null;
  torn: TornTail | null;
  /** Where the first record of the first segment lies, to name it in a gap error. */
  firstRecordAt: { path: string; offset: number } | null;
}

export interface WalIdentity {
  clusterId: string;
  nodeId: string;
}

/** Bytes compared at once while skipping the zero tail of a preallocated segment. */
const ZERO_RUN_BYTES = 64 * 1024;
const ZEROS = Buffer.alloc(ZERO_RUN_BYTES);

/**
 * Offset of the last non-zero byte in [from, end), or -1. The newest segment is mostly
 * preallocated zeros (64 MiB by default): whole runs are compared with memcmp, and only the
 * run holding the last non-zero byte is scanned byte by byte (a byte loop took ~130 ms per
 * segment on the benchmark machine, about 7% of a restart).
 */
export function lastNonZero(bytes: Uint8Array, from: number, end: number): number {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let high = end;
  while (high - from >= ZERO_RUN_BYTES && view.subarray(high - ZERO_RUN_BYTES, high).equals(ZEROS)) high -= ZERO_RUN_BYTES;
  for (let i = high - 1; i >= from; i--) if (bytes[i] !== 0) return i;
  return -1;
}

/** Lists segments in seq order; names that are not segments are ignored by the caller. */
export function listSegments(disk: Disk, walDir: string): { seq: number; name: string }[] {
  const found: { seq: number; name: string }[] = [];
  for (const name of disk.readdir(walDir)) {
    const parsed = parseSegmentFileName(name);
    if (parsed) found.push({ seq: parsed.seq, name });
  }
  found.sort((a, b) => a.seq - b.seq);
  return found;
}

export function scanWal(disk: Disk, walDir: string, identity: WalIdentity): WalScan {
  const listed = listSegments(disk, walDir);
  const scan: WalScan = {
    segments: [],
    log: new LogIndex(),
    logStartFromMarker: false,
    logStarted: false,
    hardState: { ...EMPTY_HARD_STATE },
    lastMarker: null,
    torn: null,
    firstRecordAt: null,
  };
  for (let k = 0; k < listed.length; k++) {
    const { seq, name } = listed[k]!;
    const path = join(walDir, name);
    if (k > 0 && seq !== listed[k - 1]!.seq + 1) {
      throw new StorageCorruptionError(path, 0, `segment seq ${seq} follows seq ${listed[k - 1]!.seq}: a segment is missing`);
    }
    scanSegment(disk, path, seq, name, identity, k === listed.length - 1, scan);
  }
  return scan;
}

function readWhole(disk: Disk, path: string): Uint8Array {
  const file = disk.openRead(path);
  try {
    const bytes = new Uint8Array(disk.fileSize(file));
    const got = disk.pread(file, bytes, 0);
    if (got !== bytes.length) throw new StorageCorruptionError(path, got, `short read: ${got} of ${bytes.length} bytes`);
    return bytes;
  } finally {
    disk.close(file);
  }
}

function scanSegment(disk: Disk, path: string, seq: number, name: string, identity: WalIdentity, isLast: boolean, scan: WalScan): void {
  const bytes = readWhole(disk, path);
  const header = decodeSegmentHeader(bytes);
  if (typeof header === 'string') throw new StorageCorruptionError(path, 0, header);
  if (header.seq !== seq) throw new StorageCorruptionError(path, 16, `header seq ${header.seq} does not match the file name seq ${seq}`);
  if (header.clusterId !== identity.clusterId) {
    throw new StorageCorruptionError(path, 24, `segment belongs to cluster '${header.clusterId}', this node is in cluster '${identity.clusterId}'`);
  }
  if (header.nodeId !== identity.nodeId) {
    throw new StorageCorruptionError(path, 24, `segment belongs to node '${header.nodeId}', this node is '${identity.nodeId}'`);
  }
  let position = header.headerBytes;
  let stop: { reason: string } | null = null;
  while (position < bytes.length) {
    const record = scanRecord(bytes, position, bytes.length);
    if (record.kind === 'end') break;
    if (record.kind === 'bad') {
      stop = { reason: record.reason };
      break;
    }
    scan.firstRecordAt ??= { path, offset: position };
    applyRecord(bytes, record.type, record.payloadStart, record.payloadEnd, seq, path, position, scan);
    position = record.payloadEnd;
  }
  const nonZeroAt = lastNonZero(bytes, position, bytes.length);
  if (stop !== null || nonZeroAt >= 0) {
    const reason = stop?.reason ?? `non-zero bytes after the end of the data (last at offset ${nonZeroAt})`;
    if (!isLast) throw new StorageCorruptionError(path, position, `${reason}, in a segment that is not the last one`);
    for (let at = position + 1; at <= nonZeroAt; at++) {
      const later = scanRecord(bytes, at, bytes.length);
      if (later.kind === 'record') {
        throw new StorageCorruptionError(path, position, `${reason}, yet an intact record follows at offset ${at}: damage inside the log, not a torn tail`);
      }
    }
    scan.torn = { path, offset: position, bytes: nonZeroAt + 1 - position, reason };
  }
  if (isLast && position < bytes.length / 2) {
    // Most of the newest segment is still preallocated zeros: keep only its data in memory.
    scan.log.rebaseTail(seq, bytes.slice(0, position));
  }
  scan.segments.push({ seq, name, path, headerBytes: header.headerBytes, sizeBytes: bytes.length, dataEnd: position });
}

function applyRecord(bytes: Uint8Array, type: number, start: number, end: number, seq: number, path: string, recordAt: number, scan: WalScan): void {
  const log = scan.log;
  switch (type) {
    case RecordType.entries: {
      const problem = decodeEntriesPayload(bytes, start, end, (entry: EntryLocation) => {
        if (!scan.logStarted || entry.index < log.firstIndex || (scan.logStartFromMarker && log.count === 0)) {
          // The first entry seen (older segments were compacted away), or a rewrite reaching
          // below where a marker placed the log: the log now starts here. So it does when only
          // a marker came before: an older snapshot's marker can open a segment whose entries
          // continue from a compacted one (the marker was written as the segment rolled, after
          // entries past its index). Whether a snapshot covers the entries before is checked
          // once the snapshot is chosen (chooseSnapshot).
          log.reset(entry.index);
          scan.logStarted = true;
          scan.logStartFromMarker = false;
        } else if (entry.index > log.lastIndex + 1) {
          throw new StorageCorruptionError(path, recordAt, `entry ${entry.index} follows entry ${log.lastIndex}: a gap in the log`);
        } else if (entry.index <= log.lastIndex) {
          log.truncateFrom(entry.index);
        }
        log.push(entry.term, entry.type, seq, entry.dataStart, entry.dataBytes, bytes.subarray(entry.dataStart, entry.dataStart + entry.dataBytes));
      });
      if (problem !== null) throw new StorageCorruptionError(path, recordAt, `malformed entries record with a valid checksum: ${problem}`);
      return;
    }
    case RecordType.hardState: {
      const decoded = decodeHardStatePayload(bytes, start, end);
      if (typeof decoded === 'string') throw new StorageCorruptionError(path, recordAt, `malformed hard state record: ${decoded}`);
      scan.hardState = decoded;
      return;
    }
    case RecordType.snapshotMarker: {
      const marker = decodeSnapshotMarkerPayload(bytes, start, end);
      if (typeof marker === 'string') throw new StorageCorruptionError(path, recordAt, `malformed snapshot marker: ${marker}`);
      scan.lastMarker = marker;
      applyMarker(scan, marker.index, marker.term);
      return;
    }
    default:
      throw new StorageCorruptionError(path, recordAt, `unknown record type ${type} (written by a newer format?)`);
  }
}

/**
 * Raft's rule for a snapshot at (index, term) against the log: if the log holds that entry
 * with that term, the entries after it stay; otherwise the whole log is discarded and the log
 * restarts after the snapshot. A log that starts after the snapshot is left alone.
 */
export function applyMarker(scan: Pick<WalScan, 'log' | 'logStarted' | 'logStartFromMarker'>, index: number, term: number): void {
  const log = scan.log;
  if (scan.logStarted && log.firstIndex > index) return;
  if (scan.logStarted && index <= log.lastIndex && log.term(index) === term) return;
  log.reset(index + 1);
  scan.logStarted = true;
  scan.logStartFromMarker = true;
}
