// Snapshot files: `snap/<term:016x>-<index:016x>.snap`. Layout (little endian):
//   header:  magic "RAFTISSN" (8) | formatVersion u32 | headerBytes u32 | index u64 | term u64 |
//            membershipBytes u32 | membership | headerCrc u32 (crc32c of the header before it)
//   payload: the caller's bytes, streamed in chunks
//   trailer: payloadBytes u64 | checksum u32 of header and payload | magic "SEND" (4)
// The trailer checksum is CRC-32 (zlib's, native code) since format version 2: a snapshot
// is checksummed on every write, verify, send and receive, and the JS crc32c ran at tens of
// MB/s on a loaded machine, a large share of a transfer. Version 1 files (crc32c) still read.
// Written to a temporary file, synced, renamed into place, directory synced; read back in
// bounded chunks, never whole.

import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ByteWriter, readU32, readU64 } from './byte-buffer.js';
import { CRC32C_INITIAL_STATE, crc32c, crc32cFinish, crc32cUpdate } from './crc32c.js';
import type { Disk, FileId } from './disk.js';
import { StorageCorruptionError, StorageError, storageAssert } from './errors.js';
import type { StoredSnapshotMeta } from './types.js';

export const SNAPSHOT_MAGIC = 'RAFTISSN';
export const SNAPSHOT_TRAILER_MAGIC = 'SEND';
export const SNAPSHOT_FORMAT_VERSION = 2;
/** The first format (trailer checksum crc32c): still read. */
const SNAPSHOT_FORMAT_VERSION_CRC32C = 1;

/** A running checksum over header and payload: the trailer's, chosen by the format version. */
interface FileChecksum {
  readonly initial: number;
  update(state: number, bytes: Uint8Array, start?: number, end?: number): number;
  finish(state: number): number;
}

const crc32cChecksum: FileChecksum = { initial: CRC32C_INITIAL_STATE, update: crc32cUpdate, finish: crc32cFinish };
const zlibCrc32Checksum: FileChecksum = {
  initial: 0,
  update: (state, bytes, start = 0, end = bytes.length) => crc32(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end), state),
  finish: (state) => state >>> 0,
};

function fileChecksum(version: number): FileChecksum | null {
  if (version === SNAPSHOT_FORMAT_VERSION) return zlibCrc32Checksum;
  if (version === SNAPSHOT_FORMAT_VERSION_CRC32C) return crc32cChecksum;
  return null;
}
export const SNAPSHOT_TRAILER_BYTES = 16;
export const SNAPSHOT_SUFFIX = '.snap';
export const MEMBERSHIP_BYTES_MAX = 16 * 1024 * 1024;
/** Chunk size for verification reads. */
const VERIFY_CHUNK_BYTES = 1 << 20;
/** Header bytes without the membership. */
export const SNAPSHOT_HEADER_FIXED_BYTES = 40;

const utf8 = new TextEncoder();
const magicBytes = utf8.encode(SNAPSHOT_MAGIC);
const trailerMagicBytes = utf8.encode(SNAPSHOT_TRAILER_MAGIC);

function hex16(value: number): string {
  return value.toString(16).padStart(16, '0');
}

export function snapshotFileName(term: number, index: number): string {
  return `${hex16(term)}-${hex16(index)}${SNAPSHOT_SUFFIX}`;
}

export function parseSnapshotFileName(name: string): { term: number; index: number } | null {
  const match = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/.exec(name);
  if (!match) return null;
  const term = Number.parseInt(match[1]!, 16);
  const index = Number.parseInt(match[2]!, 16);
  if (!Number.isSafeInteger(term) || !Number.isSafeInteger(index)) return null;
  return { term, index };
}

export function encodeSnapshotHeader(meta: StoredSnapshotMeta): Uint8Array {
  storageAssert(meta.membership.length <= MEMBERSHIP_BYTES_MAX, `membership ${meta.membership.length} bytes > max ${MEMBERSHIP_BYTES_MAX}`);
  const writer = new ByteWriter(SNAPSHOT_HEADER_FIXED_BYTES + meta.membership.length);
  writer.raw(magicBytes);
  writer.u32(SNAPSHOT_FORMAT_VERSION);
  writer.u32(8 + 4 + 4 + 8 + 8 + 4 + meta.membership.length + 4);
  writer.u64(meta.index);
  writer.u64(meta.term);
  writer.u32(meta.membership.length);
  writer.raw(meta.membership);
  writer.u32(crc32c(writer.bytes, 0, writer.length));
  return writer.bytes.slice(0, writer.length);
}

export interface VerifiedSnapshot {
  path: string;
  meta: StoredSnapshotMeta;
  headerBytes: number;
  payloadBytes: number;
  /** Checksum of header and payload, as stored in the trailer (its kind set by the version). */
  checksum: number;
  version: number;
}

/** Reads a snapshot file through once, checking header, trailer and checksum. */
export function verifySnapshotFile(disk: Disk, path: string): VerifiedSnapshot | { problem: string; offset: number } {
  const file = disk.openRead(path);
  try {
    const size = disk.fileSize(file);
    const head = new Uint8Array(Math.min(size, SNAPSHOT_HEADER_FIXED_BYTES));
    disk.pread(file, head, 0);
    if (size < SNAPSHOT_HEADER_FIXED_BYTES + SNAPSHOT_TRAILER_BYTES) return { problem: `file of ${size} bytes is too short to be a snapshot`, offset: 0 };
    for (let i = 0; i < magicBytes.length; i++) if (head[i] !== magicBytes[i]) return { problem: 'bad magic', offset: 0 };
    const version = readU32(head, 8);
    const sum = fileChecksum(version);
    if (sum === null) return { problem: `unknown snapshot format version ${version}`, offset: 8 };
    const headerBytes = readU32(head, 12);
    if (headerBytes < SNAPSHOT_HEADER_FIXED_BYTES || headerBytes > SNAPSHOT_HEADER_FIXED_BYTES + MEMBERSHIP_BYTES_MAX || headerBytes + SNAPSHOT_TRAILER_BYTES > size) {
      return { problem: `bad header length ${headerBytes}`, offset: 12 };
    }
    const header = new Uint8Array(headerBytes);
    disk.pread(file, header, 0);
    if (readU32(header, headerBytes - 4) !== crc32c(header, 0, headerBytes - 4)) return { problem: 'header checksum mismatch', offset: 0 };
    const index = readU64(header, 16);
    const term = readU64(header, 24);
    const membershipBytes = readU32(header, 32);
    if (36 + membershipBytes + 4 !== headerBytes) return { problem: 'membership length does not match the header', offset: 32 };
    const trailer = new Uint8Array(SNAPSHOT_TRAILER_BYTES);
    disk.pread(file, trailer, size - SNAPSHOT_TRAILER_BYTES);
    for (let i = 0; i < 4; i++) {
      if (trailer[12 + i] !== trailerMagicBytes[i]) return { problem: 'bad trailer magic (file truncated?)', offset: size - 4 };
    }
    const payloadBytes = readU64(trailer, 0);
    if (payloadBytes !== size - headerBytes - SNAPSHOT_TRAILER_BYTES) {
      return { problem: `trailer says ${payloadBytes} payload bytes, file holds ${size - headerBytes - SNAPSHOT_TRAILER_BYTES}`, offset: size - SNAPSHOT_TRAILER_BYTES };
    }
    const checksum = readU32(trailer, 8);
    let state = sum.initial;
    const chunk = new Uint8Array(Math.min(VERIFY_CHUNK_BYTES, size));
    for (let position = 0; position < size - SNAPSHOT_TRAILER_BYTES; ) {
      const want = Math.min(chunk.length, size - SNAPSHOT_TRAILER_BYTES - position);
      const got = disk.pread(file, chunk.subarray(0, want), position);
      if (got !== want) return { problem: 'short read', offset: position + got };
      state = sum.update(state, chunk, 0, want);
      position += want;
    }
    if (sum.finish(state) !== checksum) return { problem: 'checksum mismatch over header and payload', offset: size - SNAPSHOT_TRAILER_BYTES + 8 };
    return { path, meta: { index, term, membership: header.slice(36, 36 + membershipBytes) }, version, headerBytes, payloadBytes, checksum };
  } finally {
    disk.close(file);
  }
}

/** Streams one snapshot into a temporary file; commit() makes it durable and visible. */
export class SnapshotWriter {
  readonly meta: StoredSnapshotMeta;
  private readonly file: FileId;
  private position = 0;
  private crcState = zlibCrc32Checksum.initial;
  private state: 'open' | 'committing' | 'done' = 'open';
  private readonly header: Uint8Array;
  private headerWritten = false;

  /** @internal Created by RaftStorage.saveSnapshot. */
  constructor(
    private readonly disk: Disk,
    private readonly snapDir: string,
    private readonly temporaryPath: string,
    meta: StoredSnapshotMeta,
    private readonly onCommitted: (written: VerifiedSnapshot) => Promise<void>,
  ) {
    this.meta = { index: meta.index, term: meta.term, membership: meta.membership.slice() };
    this.file = disk.openWrite(temporaryPath, 'new');
    this.header = encodeSnapshotHeader(this.meta);
  }

  private async put(bytes: Uint8Array): Promise<void> {
    this.crcState = zlibCrc32Checksum.update(this.crcState, bytes);
    const at = this.position;
    this.position += bytes.length;
    await this.disk.pwrite(this.file, bytes, at);
  }

  private async putHeaderOnce(): Promise<void> {
    if (this.headerWritten) return;
    this.headerWritten = true;
    await this.put(this.header);
  }

  /** Appends payload bytes. Await each call: that is the backpressure. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.state !== 'open') throw new StorageError('RAFTIS_SNAPSHOT_CLOSED', `snapshot ${this.meta.term}-${this.meta.index} writer is ${this.state}`);
    await this.putHeaderOnce();
    if (chunk.length > 0) await this.put(chunk);
  }

  /** Trailer, fsync, rename to snap/<term>-<index>.snap, fsync the directory, WAL marker. */
  async commit(): Promise<void> {
    if (this.state !== 'open') throw new StorageError('RAFTIS_SNAPSHOT_CLOSED', `snapshot ${this.meta.term}-${this.meta.index} writer is ${this.state}`);
    this.state = 'committing';
    await this.putHeaderOnce();
    const payloadBytes = this.position - this.header.length;
    const trailer = new ByteWriter(SNAPSHOT_TRAILER_BYTES);
    const checksum = zlibCrc32Checksum.finish(this.crcState);
    trailer.u64(payloadBytes);
    trailer.u32(checksum);
    trailer.raw(trailerMagicBytes);
    await this.disk.pwrite(this.file, trailer.bytes.subarray(0, trailer.length), this.position);
    await this.disk.fsync(this.file);
    this.disk.close(this.file);
    const path = join(this.snapDir, snapshotFileName(this.meta.term, this.meta.index));
    await this.disk.rename(this.temporaryPath, path);
    await this.disk.fsyncDir(this.snapDir);
    this.state = 'done';
    await this.onCommitted({ path, meta: this.meta, headerBytes: this.header.length, payloadBytes, checksum, version: SNAPSHOT_FORMAT_VERSION });
  }

  /** Drops the temporary file. Safe to call after a failed write. */
  async abort(): Promise<void> {
    if (this.state === 'done') return;
    this.state = 'done';
    try {
      this.disk.close(this.file);
    } catch {
      // Already closed by a failed commit.
    }
    try {
      await this.disk.unlink(this.temporaryPath);
    } catch {
      // Renamed already or never created: nothing to remove.
    }
  }
}

/** Streams a verified snapshot's payload in bounded chunks, re-checking the checksum at the end. */
export class SnapshotReader {
  readonly meta: StoredSnapshotMeta;
  /** Payload bytes (the caller's data, without header and trailer). */
  readonly size: number;
  /** Checksum of header and payload, from the trailer. */
  readonly checksum: number;
  private readonly sum: FileChecksum;
  private readonly file: FileId;
  private readonly path: string;
  private position = 0;
  private crcState: number;
  private closed = false;

  /** @internal Created by RaftStorage.openSnapshot. */
  constructor(
    private readonly disk: Disk,
    verified: VerifiedSnapshot,
  ) {
    this.meta = verified.meta;
    this.size = verified.payloadBytes;
    this.checksum = verified.checksum;
    this.path = verified.path;
    this.file = disk.openRead(verified.path);
    const header = new Uint8Array(verified.headerBytes);
    disk.pread(this.file, header, 0);
    const sum = fileChecksum(verified.version);
    storageAssert(sum !== null, `verified snapshot ${verified.path} has unknown format version ${verified.version}`);
    this.sum = sum;
    this.crcState = sum.update(sum.initial, header);
  }

  /** Next payload bytes (at most maxBytes), or null at the end (checksum verified then). */
  readChunk(maxBytes: number): Uint8Array | null {
    storageAssert(maxBytes > 0, `readChunk maxBytes ${maxBytes} must be > 0`);
    storageAssert(!this.closed, 'readChunk on a closed snapshot reader');
    const headerBytes = encodeSnapshotHeaderLength(this.meta);
    if (this.position >= this.size) {
      if (this.sum.finish(this.crcState) !== this.checksum) {
        throw new StorageCorruptionError(this.path, headerBytes + this.size, 'snapshot checksum mismatch while streaming (the file changed after verification)');
      }
      return null;
    }
    const length = Math.min(maxBytes, this.size - this.position);
    const chunk = new Uint8Array(length);
    const got = this.disk.pread(this.file, chunk, headerBytes + this.position);
    if (got !== length) throw new StorageCorruptionError(this.path, headerBytes + this.position + got, 'snapshot file shorter than verified');
    this.crcState = this.sum.update(this.crcState, chunk);
    this.position += length;
    return chunk;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.disk.close(this.file);
  }
}

function encodeSnapshotHeaderLength(meta: StoredSnapshotMeta): number {
  return SNAPSHOT_HEADER_FIXED_BYTES + meta.membership.length;
}
