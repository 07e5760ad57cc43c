// The backup file `raftis backup` writes and `raftis restore` reads (little endian):
//   magic "RAFTISBK" (8) | format version u32 | header bytes u32 | header (JSON: applied
//   index, cluster id, node id, time taken) | payload: the state machine's snapshot stream
//   (kv/snapshot.ts) | trailer: payload bytes u64 | CRC-32 of everything before the trailer
//   u32 | "BEND"
// Written to a temporary file, synced and renamed, so a file under the final name is whole;
// the checksum catches a file damaged afterwards (copied, stored, truncated).

import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('RAFTISBK', 'latin1');
const TRAILER_MAGIC = Buffer.from('BEND', 'latin1');
export const BACKUP_FORMAT_VERSION = 1;
const PREFIX_BYTES = 16;
const TRAILER_BYTES = 16;
/** A header longer than this is not a backup header. */
const HEADER_BYTES_MAX = 64 * 1024;
/** Bytes read per step when verifying or streaming a backup. */
export const BACKUP_READ_BYTES = 1 << 20;

export interface BackupHeader {
  readonly appliedIndex: number;
  readonly clusterId: string;
  readonly nodeId: string;
  /** When the backup was taken (ISO 8601). */
  readonly takenAt: string;
}

export class BackupFileError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'BackupFileError';
  }
}

export class BackupWriter {
  private readonly temporary: string;
  private readonly fd: number;
  private checksum = 0;
  private payloadBytes = 0;

  constructor(private readonly path: string, header: BackupHeader) {
    this.temporary = `${path}.tmp-${process.pid}`;
    this.fd = openSync(this.temporary, 'w');
    const json = Buffer.from(JSON.stringify(header));
    const prefix = Buffer.alloc(PREFIX_BYTES);
    MAGIC.copy(prefix, 0);
    prefix.writeUInt32LE(BACKUP_FORMAT_VERSION, 8);
    prefix.writeUInt32LE(json.length, 12);
    this.put(prefix);
    this.put(json);
  }

  private put(bytes: Uint8Array): void {
    this.checksum = crc32(bytes, this.checksum);
    for (let at = 0; at < bytes.length;) at += writeSync(this.fd, bytes, at, bytes.length - at);
  }

  write(chunk: Uint8Array): void {
    this.put(chunk);
    this.payloadBytes += chunk.length;
  }

  get bytesWritten(): number {
    return this.payloadBytes;
  }

  /** Trailer, fsync, rename into place; returns the file's checksum. */
  commit(): number {
    const trailer = Buffer.alloc(TRAILER_BYTES);
    trailer.writeBigUInt64LE(BigInt(this.payloadBytes), 0);
    trailer.writeUInt32LE(this.checksum >>> 0, 8);
    TRAILER_MAGIC.copy(trailer, 12);
    for (let at = 0; at < trailer.length;) at += writeSync(this.fd, trailer, at, trailer.length - at);
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.temporary, this.path);
    return this.checksum >>> 0;
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Closed by a failed commit already.
    }
    try {
      unlinkSync(this.temporary);
    } catch {
      // Never created or already renamed.
    }
  }
}

export interface VerifiedBackup {
  readonly path: string;
  readonly header: BackupHeader;
  readonly payloadOffset: number;
  readonly payloadBytes: number;
  readonly checksum: number;
}

function readExactly(fd: number, bytes: number, at: number): Buffer {
  const buffer = Buffer.alloc(bytes);
  let done = 0;
  while (done < bytes) {
    const read = readSync(fd, buffer, done, bytes - done, at + done);
    if (read === 0) break;
    done += read;
  }
  return buffer.subarray(0, done);
}

function parseHeader(path: string, json: Buffer): BackupHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    throw new BackupFileError(path, 'the header is not JSON');
  }
  const header = parsed as Partial<BackupHeader> | null;
  if (header === null || typeof header.appliedIndex !== 'number' || !Number.isSafeInteger(header.appliedIndex) || header.appliedIndex < 0) {
    throw new BackupFileError(path, 'the header has no valid applied index');
  }
  return { appliedIndex: header.appliedIndex, clusterId: String(header.clusterId ?? ''), nodeId: String(header.nodeId ?? ''), takenAt: String(header.takenAt ?? '') };
}

/** Reads the whole file once, checking its layout and checksum; throws BackupFileError naming what is wrong. */
export function verifyBackup(path: string, onProgress: (bytesRead: number, totalBytes: number) => void = () => {}): VerifiedBackup {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < PREFIX_BYTES + TRAILER_BYTES) throw new BackupFileError(path, `${size} bytes is too short for a backup`);
    const prefix = readExactly(fd, PREFIX_BYTES, 0);
    if (!prefix.subarray(0, 8).equals(MAGIC)) throw new BackupFileError(path, 'not a raftis backup (no RAFTISBK magic)');
    const version = prefix.readUInt32LE(8);
    if (version !== BACKUP_FORMAT_VERSION) throw new BackupFileError(path, `backup format ${version}, this raftis reads ${BACKUP_FORMAT_VERSION}`);
    const headerBytes = prefix.readUInt32LE(12);
    if (headerBytes > HEADER_BYTES_MAX || PREFIX_BYTES + headerBytes + TRAILER_BYTES > size) throw new BackupFileError(path, 'header length out of range');
    const header = parseHeader(path, readExactly(fd, headerBytes, PREFIX_BYTES));
    const trailer = readExactly(fd, TRAILER_BYTES, size - TRAILER_BYTES);
    if (!trailer.subarray(12).equals(TRAILER_MAGIC)) throw new BackupFileError(path, 'no trailer: the file is truncated or was not finished');
    const payloadOffset = PREFIX_BYTES + headerBytes;
    const payloadBytes = Number(trailer.readBigUInt64LE(0));
    if (payloadOffset + payloadBytes + TRAILER_BYTES !== size) throw new BackupFileError(path, `the trailer says ${payloadBytes} payload bytes, the file holds ${size - payloadOffset - TRAILER_BYTES}`);
    let checksum = 0;
    const end = size - TRAILER_BYTES;
    for (let at = 0; at < end; at += BACKUP_READ_BYTES) {
      checksum = crc32(readExactly(fd, Math.min(BACKUP_READ_BYTES, end - at), at), checksum);
      onProgress(at, end);
    }
    const expected = trailer.readUInt32LE(8);
    if ((checksum >>> 0) !== expected) throw new BackupFileError(path, `checksum mismatch (file ${expected.toString(16)}, computed ${(checksum >>> 0).toString(16)}): the file is damaged`);
    return { path, header, payloadOffset, payloadBytes, checksum: expected };
  } finally {
    closeSync(fd);
  }
}

/** The payload of a verified backup, chunk by chunk. */
export function* backupPayload(backup: VerifiedBackup): Generator<Buffer> {
  const fd = openSync(backup.path, 'r');
  try {
    const end = backup.payloadOffset + backup.payloadBytes;
    for (let at = backup.payloadOffset; at < end; at += BACKUP_READ_BYTES) {
      const chunk = readExactly(fd, Math.min(BACKUP_READ_BYTES, end - at), at);
      if (chunk.length === 0) throw new BackupFileError(backup.path, 'the file shrank while being read');
      yield chunk;
    }
  } finally {
    closeSync(fd);
  }
}
