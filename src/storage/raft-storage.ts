// RaftStorage: the durable log, hard state and snapshots of one Raft node in one data
// directory (`LOCK`, `wal/`, `snap/`). append() encodes records into memory at once; sync()
// is the group commit: one write and one fdatasync for everything appended since the last
// one, at most one in flight, and one call to the disk (WAL segments are opened write-through,
// disk.ts: the write returns durable). open() recovers: newest valid snapshot + replay of the WAL.

import { join } from 'node:path';
import { ByteWriter } from './byte-buffer.js';
import { CacheSlabs } from './cache-slabs.js';
import type { Disk, FileId } from './disk.js';
import { STORAGE_NO_SPACE, StorageCorruptionError, StorageError, StorageLockedError, StorageOptionsError, storageAssert } from './errors.js';
import { LogIndex } from './log-index.js';
import { realDisk } from './real-disk.js';
import {
  ENTRY_HEADER_BYTES,
  RECORD_HEADER_BYTES,
  RECORD_PAYLOAD_BYTES_MAX,
  encodeEntriesRecord,
  encodeHardStateRecord,
  encodeSnapshotMarkerRecord,
} from './record-codec.js';
import { ID_BYTES_MAX, SEGMENT_SUFFIX, TEMPORARY_SUFFIX, encodeSegmentHeader, segmentFileName } from './segment-file.js';
import { SnapshotReader, SnapshotWriter, parseSnapshotFileName, snapshotFileName, verifySnapshotFile, type VerifiedSnapshot } from './snapshot-file.js';
import { EMPTY_HARD_STATE, type StorageLogger, type StoredEntry, type StoredHardState, type StoredSnapshotMeta } from './types.js';
import { applyMarker, scanWal, type WalScan } from './wal-recovery.js';

export const SEGMENT_BYTES_DEFAULT = 64 * 1024 * 1024;
export const SEGMENT_BYTES_MIN = 4096;
export const SEGMENT_BYTES_MAX = 1024 * 1024 * 1024;
export const SNAPSHOTS_RETAINED_DEFAULT = 2;
export const SNAPSHOTS_RETAINED_MAX = 100;
export const CACHE_BYTES_DEFAULT = 64 * 1024 * 1024;
/** Largest span read in one pread by entries(), so a read never pulls a whole segment. */
const READ_SPAN_BYTES_MAX = 4 * 1024 * 1024;
/** Spare encode buffers kept for reuse between syncs (one being written, one filling). */
const SPARE_WRITERS_MAX = 2;

export interface StorageOptions {
  dir: string;
  clusterId: string;
  nodeId: string;
  /** Segment size, preallocated with zeros. Default 64 MiB; range [4 KiB, 1 GiB]. */
  segmentBytes?: number;
  /** Snapshot files kept (newest first). Default 2; range [1, 100]. */
  snapshotsRetained?: number;
  /** Bytes of entry data kept in memory for entries() (newest first). Default 64 MiB. */
  cacheBytes?: number;
  disk?: Disk;
  log?: StorageLogger;
}

export interface Recovered {
  /** Zeros and '' when none was ever stored. */
  hardState: StoredHardState;
  /** Newest valid snapshot, or null. */
  snapshot: StoredSnapshotMeta | null;
  /** The log after the snapshot index, contiguous, conflicts resolved. */
  entries: StoredEntry[];
  firstIndex: number;
  lastIndex: number;
}

interface Segment {
  seq: number;
  path: string;
  /** Open read-write for the newest segment, read-only for older ones; -1 until created. */
  file: FileId;
  capacityBytes: number;
  /** True once its header and leading hard state are durable (it may then stand in for older segments). */
  durableStart: boolean;
}

interface PendingWrite {
  segment: Segment;
  /** The segment file must be created (preallocated, renamed, directory synced) first. */
  create: boolean;
  offset: number;
  writer: ByteWriter;
}

function validateOptions(opts: StorageOptions): Required<Omit<StorageOptions, 'log' | 'disk'>> {
  const segmentBytes = opts.segmentBytes ?? SEGMENT_BYTES_DEFAULT;
  if (!Number.isInteger(segmentBytes) || segmentBytes < SEGMENT_BYTES_MIN || segmentBytes > SEGMENT_BYTES_MAX) {
    throw new StorageOptionsError(`invalid segmentBytes ${segmentBytes}: must be an integer in [${SEGMENT_BYTES_MIN}, ${SEGMENT_BYTES_MAX}]`);
  }
  const snapshotsRetained = opts.snapshotsRetained ?? SNAPSHOTS_RETAINED_DEFAULT;
  if (!Number.isInteger(snapshotsRetained) || snapshotsRetained < 1 || snapshotsRetained > SNAPSHOTS_RETAINED_MAX) {
    throw new StorageOptionsError(`invalid snapshotsRetained ${snapshotsRetained}: must be an integer in [1, ${SNAPSHOTS_RETAINED_MAX}]`);
  }
  const cacheBytes = opts.cacheBytes ?? CACHE_BYTES_DEFAULT;
  if (!Number.isInteger(cacheBytes) || cacheBytes < 0) throw new StorageOptionsError(`invalid cacheBytes ${cacheBytes}: must be an integer >= 0`);
  for (const [field, value] of [['clusterId', opts.clusterId], ['nodeId', opts.nodeId]] as const) {
    const bytes = new TextEncoder().encode(value).length;
    if (bytes === 0 || bytes > ID_BYTES_MAX) throw new StorageOptionsError(`invalid ${field} '${value}': must be 1..${ID_BYTES_MAX} UTF-8 bytes`);
  }
  if (opts.dir.length === 0) throw new StorageOptionsError('invalid dir: empty');
  return { dir: opts.dir, clusterId: opts.clusterId, nodeId: opts.nodeId, segmentBytes, snapshotsRetained, cacheBytes };
}

function sameMeta(a: { index: number; term: number }, b: { index: number; term: number }): boolean {
  return a.index === b.index && a.term === b.term;
}

export class RaftStorage {
  private readonly disk: Disk;
  private readonly logger: StorageLogger;
  private readonly walDir: string;
  private readonly snapDir: string;
  private readonly index: LogIndex;
  private segments: Segment[] = [];
  /** End of the data in the newest segment, counting appended-but-unsynced records. */
  private writeOffset = 0;
  private pending: PendingWrite[] = [];
  private readonly spareWriters: ByteWriter[] = [];
  /** Where appended entries' data is copied for the tail cache. */
  private readonly cacheSlabs = new CacheSlabs();
  private hardState: StoredHardState;
  /** Snapshot files on disk, newest first; `verified` null until read through once. */
  private snapshots: { meta: { index: number; term: number }; path: string; verified: VerifiedSnapshot | null }[] = [];
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /** Highest index whose record is durable; cache eviction stays below it. */
  private durableIndex = 0;
  private failure: Error | null = null;
  private closed = false;
  private temporaryCounter = 0;
  /** Bumped whenever the log is truncated or reset, so a sync that started before does not mark the new entries durable. */
  private rewrites = 0;
  /** The next segment, created and preallocated in the background so a roll costs a rename. */
  private prepared: { seq: number; temporaryPath: string; done: Promise<FileId | Error> } | null = null;
  /** Headers of segments not yet created on disk. */
  private readonly segmentHeaders = new Map<Segment, Uint8Array>();

  private constructor(
    private readonly opts: ReturnType<typeof validateOptions>,
    disk: Disk,
    logger: StorageLogger,
    private readonly releaseLock: () => void,
    scan: WalScan,
  ) {
    this.disk = disk;
    this.logger = logger;
    this.walDir = join(opts.dir, 'wal');
    this.snapDir = join(opts.dir, 'snap');
    this.index = scan.log;
    this.hardState = scan.hardState;
  }

  /** Takes the directory lock, recovers, and returns the storage with what it recovered. */
  static async open(options: StorageOptions): Promise<{ storage: RaftStorage; recovered: Recovered }> {
    const opts = validateOptions(options);
    const disk = options.disk ?? realDisk;
    const logger: StorageLogger = options.log ?? (() => {});
    disk.mkdir(opts.dir);
    const lock = disk.lockDir(opts.dir);
    if (!lock.ok) throw new StorageLockedError(opts.dir, lock.holder);
    try {
      return await RaftStorage.recover(opts, disk, logger, lock.release);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  private static async recover(
    opts: ReturnType<typeof validateOptions>,
    disk: Disk,
    logger: StorageLogger,
    release: () => void,
  ): Promise<{ storage: RaftStorage; recovered: Recovered }> {
    const walDir = join(opts.dir, 'wal');
    const snapDir = join(opts.dir, 'snap');
    disk.mkdir(walDir);
    disk.mkdir(snapDir);
    const scan = scanWal(disk, walDir, opts);
    const storage = new RaftStorage(opts, disk, logger, release, scan);
    const snapshot = storage.chooseSnapshot(scan);
    // Every check has passed; only now touch the disk.
    for (const dir of [walDir, snapDir]) {
      for (const name of disk.readdir(dir)) {
        if (name.includes(TEMPORARY_SUFFIX)) {
          logger('info', 'removing an unfinished temporary file', { file: join(dir, name) });
          await disk.unlink(join(dir, name));
        }
      }
    }
    await storage.openSegments(scan);
    if (snapshot && (scan.lastMarker === null || !sameMeta(scan.lastMarker, snapshot))) {
      // Record the snapshot in the WAL so the next recovery places the log the same way even
      // if the log restarts after it.
      storage.appendMarker(snapshot.index, snapshot.term);
      await storage.sync();
    }
    const log = storage.index;
    const entries: StoredEntry[] = [];
    for (let i = log.firstIndex; i <= log.lastIndex; i++) {
      entries.push({ index: i, term: log.term(i), type: log.type(i), data: log.cached(i)! });
    }
    storage.durableIndex = log.lastIndex;
    log.evict(log.lastIndex + 1, opts.cacheBytes);
    logger('info', 'storage recovered', {
      dir: opts.dir,
      segments: storage.segments.length,
      snapshotIndex: snapshot?.index ?? 0,
      firstIndex: log.firstIndex,
      lastIndex: log.lastIndex,
      hardState: scan.hardState,
    });
    return {
      storage,
      recovered: {
        hardState: { ...scan.hardState },
        snapshot: snapshot ? { index: snapshot.index, term: snapshot.term, membership: snapshot.membership } : null,
        entries,
        firstIndex: log.firstIndex,
        lastIndex: log.lastIndex,
      },
    };
  }

  // Picks the newest valid snapshot and reconciles the scanned log with it (Raft's rules).
  private chooseSnapshot(scan: WalScan): StoredSnapshotMeta | null {
    const found: { meta: { index: number; term: number }; path: string; verified: VerifiedSnapshot | null }[] = [];
    for (const name of this.disk.readdir(this.snapDir)) {
      const parsed = parseSnapshotFileName(name);
      if (parsed) found.push({ meta: parsed, path: join(this.snapDir, name), verified: null });
    }
    found.sort((a, b) => b.meta.index - a.meta.index || b.meta.term - a.meta.term);
    const skipped: string[] = [];
    let chosen: VerifiedSnapshot | null = null;
    for (const candidate of found) {
      const verified = verifySnapshotFile(this.disk, candidate.path);
      if ('problem' in verified || !sameMeta(verified.meta, candidate.meta)) {
        const problem = 'problem' in verified ? `${verified.problem} at offset ${verified.offset}` : 'header does not match the file name';
        this.logger('warn', 'skipping an invalid snapshot file', { file: candidate.path, problem });
        skipped.push(`${candidate.path} (${problem})`);
        continue;
      }
      candidate.verified = verified;
      chosen = verified;
      break;
    }
    this.snapshots = found.filter((s) => !skipped.some((text) => text.startsWith(s.path)));
    const log = scan.log;
    const skippedNote = skipped.length > 0 ? ` (invalid snapshot files were skipped: ${skipped.join('; ')})` : '';
    const where = scan.firstRecordAt ?? { path: this.walDir, offset: 0 };
    if (chosen === null) {
      if (scan.logStarted && log.firstIndex !== 1) {
        throw new StorageCorruptionError(where.path, where.offset,
          `the log starts at index ${log.firstIndex} but no valid snapshot covers indexes 1..${log.firstIndex - 1}${skippedNote}`);
      }
      return null;
    }
    const s = chosen.meta;
    if (scan.logStarted && log.firstIndex > s.index + 1) {
      throw new StorageCorruptionError(where.path, where.offset,
        `the log starts at index ${log.firstIndex} but the newest valid snapshot ends at index ${s.index}: entries ${s.index + 1}..${log.firstIndex - 1} are missing${skippedNote}`);
    }
    if (skipped.length > 0) this.logger('warn', 'using an older snapshot; the WAL covers the gap', { snapshotIndex: s.index, skipped });
    if (scan.logStarted && log.count > 0 && log.firstIndex <= s.index && s.index <= log.lastIndex && log.term(s.index) === s.term) {
      log.dropBefore(s.index + 1);
    } else if (!scan.logStarted || log.firstIndex <= s.index) {
      if (log.count > 0) this.logger('info', 'discarding log entries the snapshot replaces', { from: log.firstIndex, to: log.lastIndex, snapshotIndex: s.index });
      log.reset(s.index + 1);
    }
    scan.logStarted = true;
    return s;
  }

  // Opens the recovered segments (repairing a torn tail) or creates the first one.
  private async openSegments(scan: WalScan): Promise<void> {
    for (const scanned of scan.segments) {
      this.segments.push({ seq: scanned.seq, path: scanned.path, file: -1, capacityBytes: scanned.sizeBytes, durableStart: true });
    }
    const last = scan.segments[scan.segments.length - 1];
    for (let k = 0; k < this.segments.length - 1; k++) this.segments[k]!.file = this.disk.openRead(this.segments[k]!.path);
    if (!last) {
      this.startSegment(1, this.index.lastIndex + 1, 0);
      await this.sync();
      return;
    }
    const segment = this.segments[this.segments.length - 1]!;
    segment.file = this.disk.openWrite(segment.path, 'existing', true);
    this.writeOffset = last.dataEnd;
    this.prepareNext(segment.seq + 1);
    if (scan.torn) {
      const torn = scan.torn;
      this.logger('warn', 'dropping a torn record at the tail of the WAL (crash during a write)', {
        file: torn.path, offset: torn.offset, bytes: torn.bytes, reason: torn.reason,
      });
      await this.disk.pwrite(segment.file, new Uint8Array(torn.bytes), torn.offset);
      await this.disk.fdatasync(segment.file);
    }
  }

  // Begins a new segment in memory; its file is created by the next sync, before its data.
  private startSegment(seq: number, firstIndex: number, recordBytes: number): void {
    const header = encodeSegmentHeader({ seq, clusterId: this.opts.clusterId, nodeId: this.opts.nodeId });
    const segment: Segment = {
      seq,
      path: join(this.walDir, segmentFileName(seq, firstIndex)),
      file: -1,
      capacityBytes: 0,
      durableStart: false,
    };
    this.pending.push({ segment, create: true, offset: header.length, writer: this.takeWriter() });
    this.segmentHeaders.set(segment, header);
    this.segments.push(segment);
    this.writeOffset = header.length;
    if (this.hardState.term !== 0 || this.hardState.commit !== 0 || this.hardState.vote !== '') {
      // Every segment starts with the current hard state, so older segments can be deleted.
      this.encodeInto((w) => encodeHardStateRecord(w, this.hardState));
    }
    segment.capacityBytes = Math.max(this.opts.segmentBytes, this.writeOffset + recordBytes);
  }

  private takeWriter(): ByteWriter {
    const writer = this.spareWriters.pop() ?? new ByteWriter();
    writer.reset();
    return writer;
  }

  // The pending write for the newest segment, started at its current end if needed.
  private currentWrite(): PendingWrite {
    const segment = this.segments[this.segments.length - 1]!;
    const last = this.pending[this.pending.length - 1];
    if (last && last.segment === segment) return last;
    const write: PendingWrite = { segment, create: false, offset: this.writeOffset, writer: this.takeWriter() };
    this.pending.push(write);
    return write;
  }

  // Rolls to a new segment if `recordBytes` more would overflow the newest one.
  private ensureRoom(recordBytes: number, nextIndex: number): void {
    const segment = this.segments[this.segments.length - 1]!;
    if (this.writeOffset + recordBytes <= segment.capacityBytes) return;
    this.startSegment(segment.seq + 1, nextIndex, recordBytes);
  }

  private encodeInto(encode: (writer: ByteWriter) => void): PendingWrite {
    const write = this.currentWrite();
    const before = write.writer.length;
    encode(write.writer);
    this.writeOffset += write.writer.length - before;
    return write;
  }

  private checkUsable(): void {
    if (this.closed) throw new StorageError('RAFTIS_STORAGE_CLOSED', 'storage is closed');
    if (this.failure) throw new StorageError('RAFTIS_STORAGE_FAILED', `storage failed earlier and must be reopened: ${this.failure.message}`, { cause: this.failure });
  }

  /**
   * Encodes entries (and the hard state, after them) into memory; sync() makes them durable.
   * entries[0].index <= lastIndex truncates the log from there first. The storage keeps a
   * copy of each entry's data in its cache (cache-slabs.ts), not the caller's buffer.
   */
  append(entries: readonly StoredEntry[], hardState: StoredHardState | null): void {
    this.checkUsable();
    if (entries.length > 0) this.appendEntries(entries);
    if (hardState) {
      this.hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
      this.ensureRoom(RECORD_HEADER_BYTES + 18 + hardState.vote.length * 3, this.index.lastIndex + 1);
      this.encodeInto((w) => encodeHardStateRecord(w, this.hardState));
    }
  }

  private appendEntries(entries: readonly StoredEntry[]): void {
    const first = entries[0]!.index;
    const log = this.index;
    if (first < log.firstIndex || first > log.lastIndex + 1) {
      throw new StorageError('RAFTIS_STORAGE_APPEND_RANGE', `append at index ${first} outside [firstIndex ${log.firstIndex}, lastIndex + 1 = ${log.lastIndex + 1}]`);
    }
    for (let i = 1; i < entries.length; i++) {
      storageAssert(entries[i]!.index === first + i, `appended entries not consecutive: ${entries[i - 1]!.index} then ${entries[i]!.index}`);
    }
    if (first <= log.lastIndex) {
      log.truncateFrom(first);
      this.rewrites++;
    }
    if (this.durableIndex >= first) this.durableIndex = first - 1;
    let from = 0;
    while (from < entries.length) {
      // One record per append unless it would pass the record size limit.
      let to = from;
      let payloadBytes = 4;
      while (to < entries.length && (to === from || payloadBytes + ENTRY_HEADER_BYTES + entries[to]!.data.length <= RECORD_PAYLOAD_BYTES_MAX)) {
        payloadBytes += ENTRY_HEADER_BYTES + entries[to]!.data.length;
        to++;
      }
      this.ensureRoom(RECORD_HEADER_BYTES + payloadBytes, entries[from]!.index);
      const write = this.currentWrite();
      const base = write.offset - 0;
      const seq = write.segment.seq;
      this.encodeInto((w) => {
        encodeEntriesRecord(w, entries, from, to, (i, dataOffset) => {
          const entry = entries[i]!;
          log.push(entry.term, entry.type, seq, base + dataOffset, entry.data.length, this.cacheSlabs.copy(entry.data));
        });
      });
      from = to;
    }
  }

  private appendMarker(index: number, term: number): void {
    this.ensureRoom(RECORD_HEADER_BYTES + 16, this.index.lastIndex + 1);
    this.encodeInto((w) => encodeSnapshotMarkerRecord(w, index, term));
  }

  /**
   * Group commit: one write and one fdatasync for everything appended since the last sync
   * (two when a new segment begins). At most one runs at a time; calls made while one runs
   * share the next one, which covers everything appended meanwhile.
   */
  sync(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new StorageError('RAFTIS_STORAGE_CLOSED', 'storage is closed'));
    if (this.queued) return this.queued;
    if (!this.inFlight) return this.startFlush();
    this.queued = this.inFlight.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  private startQueued(): Promise<void> {
    this.queued = null;
    return this.startFlush();
  }

  private startFlush(): Promise<void> {
    const flight = this.flush();
    this.inFlight = flight;
    const clear = (): void => {
      if (this.inFlight === flight) this.inFlight = null;
    };
    flight.then(clear, clear);
    return flight;
  }

  private async flush(): Promise<void> {
    const writes = this.pending;
    this.pending = [];
    const coveredIndex = this.index.lastIndex;
    const rewritesBefore = this.rewrites;
    /** What the flush is doing, for the error: the operator must know which file failed. */
    let doing = '';
    let done = 0;
    try {
      for (const write of writes) {
        const segment = write.segment;
        doing = `creating WAL segment ${segment.path}`;
        if (write.create) {
          await this.createSegmentFile(segment);
          write.create = false;
        }
        if (write.writer.length > 0) {
          doing = `writing ${write.writer.length} bytes at offset ${write.offset} and fdatasync of ${segment.path}`;
          await this.disk.pwriteDurable(segment.file, write.writer.bytes.subarray(0, write.writer.length), write.offset);
        }
        segment.durableStart = true;
        done++;
        if (this.spareWriters.length < SPARE_WRITERS_MAX) this.spareWriters.push(write.writer);
      }
    } catch (error) {
      if (isNoSpace(error)) {
        // Nothing of the failed write is relied on: it and those after it are written again,
        // at the same offsets, by the next sync (a full disk is no reason to stop the node).
        this.pending = [...writes.slice(done), ...this.pending];
        throw new StorageError(STORAGE_NO_SPACE, `${doing} failed: no space left on device; it is retried by the next sync`, { cause: error });
      }
      // After a failed write or fsync the file's state is unknown (the kernel may have
      // dropped the dirty pages): refuse all further use; recovery on reopen decides.
      const reason = error instanceof Error ? error.message : String(error);
      this.failure = new StorageError('RAFTIS_STORAGE_WRITE_FAILED', `${doing} failed: ${reason}`, { cause: error });
      throw this.failure;
    }
    if (rewritesBefore === this.rewrites && coveredIndex > this.durableIndex) this.durableIndex = coveredIndex;
    this.index.evict(Math.min(this.durableIndex, this.index.lastIndex) + 1, this.opts.cacheBytes);
  }

  // Creates a segment file: temporary name, header, preallocate, sync, rename, sync the
  // directory; so a segment under its final name always has a durable, complete header.
  private async createSegmentFile(segment: Segment): Promise<void> {
    try {
      await this.createSegmentFileOnce(segment);
    } catch (error) {
      if (!isNoSpace(error)) throw error;
      // Left to be created again: its header back, its temporary file (if any) removed.
      const header = encodeSegmentHeader({ seq: segment.seq, clusterId: this.opts.clusterId, nodeId: this.opts.nodeId });
      this.segmentHeaders.set(segment, header);
      await this.removeTemporary(`${segment.path}${TEMPORARY_SUFFIX}`);
      throw error;
    }
  }

  private async removeTemporary(path: string): Promise<void> {
    if (this.disk.stat(path) === null) return;
    try {
      await this.disk.unlink(path);
    } catch {
      // Left for the next start-up, which removes every temporary file.
    }
  }

  private async createSegmentFileOnce(segment: Segment): Promise<void> {
    const header = this.segmentHeaders.get(segment);
    storageAssert(header !== undefined, `segment ${segment.seq} created twice`);
    this.segmentHeaders.delete(segment);
    let temporary = `${segment.path}${TEMPORARY_SUFFIX}`;
    let file: FileId | null = null;
    const prepared = this.prepared;
    if (prepared !== null) {
      this.prepared = null;
      const result = await prepared.done;
      if (typeof result === 'number' && prepared.seq === segment.seq && segment.capacityBytes === this.opts.segmentBytes) {
        file = result;
        temporary = prepared.temporaryPath;
      } else {
        await this.discardPrepared(prepared.temporaryPath, result);
      }
    }
    if (file === null) file = await this.writeNewSegment(temporary, header, segment.capacityBytes);
    await this.disk.rename(temporary, segment.path);
    await this.disk.fsyncDir(this.walDir);
    const previous = this.segments[this.segments.indexOf(segment) - 1];
    if (previous && previous.file !== -1) {
      // The previous segment is complete: reopen it read-only.
      this.disk.close(previous.file);
      previous.file = this.disk.openRead(previous.path);
    }
    segment.file = file;
    this.prepareNext(segment.seq + 1);
  }

  private async writeNewSegment(temporary: string, header: Uint8Array, capacityBytes: number): Promise<FileId> {
    const file = this.disk.openWrite(temporary, 'new', true);
    try {
      await this.disk.pwrite(file, header, 0);
      await this.disk.preallocate(file, capacityBytes);
      await this.disk.fdatasync(file);
    } catch (error) {
      this.disk.close(file);
      throw error;
    }
    return file;
  }

  // Starts creating segment `seq` under a temporary name; a failure is kept for the roll to see.
  private prepareNext(seq: number): void {
    if (this.closed || this.prepared !== null) return;
    const temporaryPath = join(this.walDir, `${seq.toString(16).padStart(16, '0')}${SEGMENT_SUFFIX}${TEMPORARY_SUFFIX}`);
    const header = encodeSegmentHeader({ seq, clusterId: this.opts.clusterId, nodeId: this.opts.nodeId });
    const done = this.writeNewSegment(temporaryPath, header, this.opts.segmentBytes).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    this.prepared = { seq, temporaryPath, done };
  }

  private async discardPrepared(temporaryPath: string, result: FileId | Error): Promise<void> {
    if (typeof result !== 'number') return; // Its file is cleaned up as a temporary at the next open.
    this.disk.close(result);
    await this.disk.unlink(temporaryPath);
  }

  get firstIndex(): number {
    return this.index.firstIndex;
  }

  get lastIndex(): number {
    return this.index.lastIndex;
  }

  /** Term of a live entry (firstIndex <= index <= lastIndex). */
  term(index: number): number {
    return this.index.term(index);
  }

  /** The hard state as last appended (durable once the following sync resolves). */
  get currentHardState(): StoredHardState {
    return { ...this.hardState };
  }

  /**
   * Entries [lo, hi), at most maxBytes of data but always at least one entry when lo < hi.
   * Served from the tail cache, else by positional reads of bounded spans.
   */
  entries(lo: number, hi: number, maxBytes = Infinity): StoredEntry[] {
    this.checkUsable();
    const log = this.index;
    if (lo < log.firstIndex || hi > log.lastIndex + 1 || lo > hi) {
      throw new StorageError('RAFTIS_STORAGE_RANGE', `entries [${lo}, ${hi}) outside the log [${log.firstIndex}, ${log.lastIndex + 1})`);
    }
    let end = lo;
    let bytes = 0;
    while (end < hi) {
      const size = log.dataBytes(end);
      if (end > lo && bytes + size > maxBytes) break;
      bytes += size;
      end++;
    }
    const result: StoredEntry[] = [];
    let i = lo;
    while (i < end) {
      const cached = log.cached(i);
      if (cached) {
        result.push({ index: i, term: log.term(i), type: log.type(i), data: cached });
        i++;
        continue;
      }
      i = this.readRun(i, end, result);
    }
    return result;
  }

  // Reads uncached entries from i on that lie in one segment in increasing offsets with one
  // pread of at most READ_SPAN_BYTES_MAX (or one entry); returns the next index to serve.
  private readRun(i: number, end: number, out: StoredEntry[]): number {
    const log = this.index;
    const seq = log.seq(i);
    const start = log.offset(i);
    let stop = i + 1;
    let spanEnd = start + log.dataBytes(i);
    while (stop < end && log.cached(stop) === undefined && log.seq(stop) === seq && log.offset(stop) >= spanEnd) {
      const nextEnd = log.offset(stop) + log.dataBytes(stop);
      if (nextEnd - start > READ_SPAN_BYTES_MAX) break;
      spanEnd = nextEnd;
      stop++;
    }
    const segment = this.segments.find((s) => s.seq === seq);
    storageAssert(segment !== undefined && segment.file !== -1, `entry ${i} is in segment ${seq}, which is not open`);
    const span = new Uint8Array(spanEnd - start);
    const got = this.disk.pread(segment.file, span, start);
    if (got !== span.length) throw new StorageCorruptionError(segment.path, start + got, `short read of entries ${i}..${stop - 1}`);
    for (let k = i; k < stop; k++) {
      const at = log.offset(k) - start;
      out.push({ index: k, term: log.term(k), type: log.type(k), data: span.subarray(at, at + log.dataBytes(k)) });
    }
    return stop;
  }

  /** Test hook: forget cached data of durable entries so entries() must read the disk. */
  dropCache(): void {
    this.index.evictAll(this.durableIndex + 1);
  }

  /**
   * Forgets entries <= index and deletes the WAL segments that hold nothing newer (never the
   * newest segment). The caller passes snapshotIndex - retain.
   */
  async compact(index: number): Promise<void> {
    this.checkUsable();
    const log = this.index;
    const upTo = Math.min(index, log.lastIndex);
    if (upTo >= log.firstIndex) log.dropBefore(upTo + 1);
    const keepFromSeq = log.count > 0 ? log.seq(log.firstIndex) : this.segments[this.segments.length - 1]!.seq;
    let deleted = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const next = this.segments[1]!;
      if (oldest.seq >= keepFromSeq || !next.durableStart || this.pending.some((w) => w.segment === oldest)) break;
      this.segments.shift();
      if (oldest.file !== -1) this.disk.close(oldest.file);
      await this.disk.unlink(oldest.path);
      deleted++;
    }
    if (deleted > 0) {
      await this.disk.fsyncDir(this.walDir);
      this.logger('info', 'deleted compacted WAL segments', { count: deleted, compactedTo: index, firstIndex: log.firstIndex });
    }
  }

  /** Starts writing a snapshot; see SnapshotWriter. */
  saveSnapshot(meta: StoredSnapshotMeta): SnapshotWriter {
    this.checkUsable();
    storageAssert(Number.isSafeInteger(meta.index) && meta.index >= 0, `snapshot index ${meta.index}`);
    const temporary = join(this.snapDir, `${snapshotFileName(meta.term, meta.index)}${TEMPORARY_SUFFIX}.${this.temporaryCounter++}`);
    return new SnapshotWriter(this.disk, this.snapDir, temporary, meta, (committed) => this.onSnapshotCommitted(committed));
  }

  private async onSnapshotCommitted(verified: VerifiedSnapshot): Promise<void> {
    const meta = verified.meta;
    const path = verified.path;
    this.snapshots = this.snapshots.filter((s) => !sameMeta(s.meta, meta));
    this.snapshots.push({ meta: { index: meta.index, term: meta.term }, path, verified });
    this.snapshots.sort((a, b) => b.meta.index - a.meta.index || b.meta.term - a.meta.term);
    this.appendMarker(meta.index, meta.term);
    const view = { log: this.index, logStarted: true, logStartFromMarker: false };
    applyMarker(view, meta.index, meta.term);
    if (view.logStartFromMarker) this.rewrites++;
    if (this.durableIndex > this.index.lastIndex) this.durableIndex = this.index.lastIndex;
    await this.sync();
    const surplus = this.snapshots.slice(this.opts.snapshotsRetained);
    if (surplus.length > 0) {
      this.snapshots = this.snapshots.slice(0, this.opts.snapshotsRetained);
      for (const old of surplus) await this.disk.unlink(old.path);
      await this.disk.fsyncDir(this.snapDir);
    }
  }

  /** Snapshots on disk, newest first (meta as named by their files). */
  listSnapshots(): { index: number; term: number }[] {
    return this.snapshots.map((s) => ({ ...s.meta }));
  }

  /** A reader for the newest snapshot (or the one with the given index and term); null if none. */
  openSnapshot(meta?: { index: number; term: number }): SnapshotReader | null {
    this.checkUsable();
    for (const snapshot of this.snapshots) {
      if (meta && !sameMeta(snapshot.meta, meta)) continue;
      if (!snapshot.verified) {
        const verified = verifySnapshotFile(this.disk, snapshot.path);
        if ('problem' in verified) throw new StorageCorruptionError(snapshot.path, verified.offset, verified.problem);
        snapshot.verified = verified;
      }
      return new SnapshotReader(this.disk, snapshot.verified);
    }
    return null;
  }

  /** Waits for syncs in flight, closes every file and releases the lock. Unsynced appends are not written. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await (this.queued ?? this.inFlight);
    } catch {
      // The failure was reported to whoever awaited that sync.
    }
    this.closed = true;
    const prepared = this.prepared;
    this.prepared = null;
    if (prepared !== null) {
      try {
        await this.discardPrepared(prepared.temporaryPath, await prepared.done);
      } catch {
        // Left for the next open to remove as a temporary file.
      }
    }
    for (const segment of this.segments) {
      if (segment.file !== -1) {
        try {
          this.disk.close(segment.file);
        } catch {
          // A simulated crash already dropped it.
        }
      }
    }
    this.segments = [];
    this.releaseLock();
  }
}

export { EMPTY_HARD_STATE };
export type { StoredEntry, StoredHardState, StoredSnapshotMeta } from './types.js';
export { SnapshotReader, SnapshotWriter } from './snapshot-file.js';

/** ENOSPC from the disk, as node:fs reports it (the error itself or its cause). */
function isNoSpace(error: unknown): boolean {
  const code = (value: unknown): unknown => (typeof value === 'object' && value !== null ? (value as { code?: unknown }).code : undefined);
  return code(error) === 'ENOSPC' || (error instanceof Error && code(error.cause) === 'ENOSPC');
}
