// Snapshot streams of the whole state: a consistent point-in-time view taken while writes
// continue (copy-on-write per key), and a restore that builds a new state from chunks and
// hands it over only when the stream checked out whole. Restore works in bounded steps
// (decode, then index building) that the caller spreads over event-loop turns.
//
// Stream: a sequence of records, each `u32 body length | u8 type | body`:
//   header  magic, format version, applied index, cluster time, keyspace stamp, counters
//   removals  the versions removals left for WATCH (removal-stamps.ts); absent before format 3
//   dedup   one per exactly-once client (origin, client, floor, last use, replies by seq);
//           type 2, the older form with a single (seq, reply), still reads
//   script  one per cached script (EVAL, SCRIPT LOAD): its body; absent before format 4
//   library one per function library (FUNCTION LOAD): its code; absent in older snapshots
//   settings  the replicated settings CONFIG SET changed (name, value pairs), if any (absent
//           before format 6: the start-up values)
//   acl     the ACL users as ACL file lines, once the cluster has any (absent before format 5:
//           the default user only)
//   key     one per string key (key, value type, value, expiry, created stamp, written stamp)
//   collection  one per collection key (key, type code, expiry, stamps, element count), then
//           its elements in `elements` records (count, elements in the type's own encoding),
//           as many as it takes: a big collection spans many records and chunks
//   end     key count, dedup count, FNV-1a checksum of every byte before this record
// Keys come in creation order, except keys changed while the snapshot was open: their saved
// old images come after. Restore sorts by stamp, so the order does not matter there.
// A collection being written when a command changes it is finished from a copy taken then.

import { ByteReader, ByteWriter, DecodeError } from './binary.js';
import { fnv1a, fnvOffsetBasis } from './hash.js';
import { imageOf, Keyspace, type EntryImage, type KeyEntry, type KeyspaceLoader, type KeyspaceObserver } from './keyspace.js';
import { isCollection, type CollectionBuilder, type CollectionValue, type ElementCursor } from './value.js';
import { codecByCode, codecOf } from './value-types.js';
import { RemovalStamps } from './removal-stamps.js';
import type { DedupRecord } from './dedup-table.js';
import { readReply, writeReply } from './reply-codec.js';
import type { Reply } from './reply.js';

const magic = Buffer.from('RAFTISKV', 'latin1');
/** 6 added the settings record, 5 the acl record, 4 script records, 3 the removals record, 2 collection records; formats 1 (strings only) to 5 still read. */
export const snapshotFormatVersion = 6;
const snapshotFormatVersionStringsOnly = 1;
const snapshotFormatVersionsRead: readonly number[] = [snapshotFormatVersionStringsOnly, 2, 3, 4, 5, snapshotFormatVersion];
const recordHeader = 1;
/** The older dedup record: one (seq, reply) per client, read as floor = seq. */
const recordDedupSingle = 2;
const recordKey = 3;
const recordEnd = 4;
const recordDedup = 5;
const recordCollection = 6;
const recordElements = 7;
const recordRemovals = 8;
const recordScript = 9;
const recordLibrary = 11;
const recordAcl = 10;
const recordSettings = 12;
const valueTypeString = 1;
/** A record body larger than this is corrupt (keys and values are bounded by proto-max-bulk-len). */
const recordBytesMax = 0x7fff_ffff;
/**
 * Most bytes one next() call serializes, whatever the caller asks: about a thousand 100-byte
 * keys, a few milliseconds on the shared benchmark machine (a 1 MiB chunk took 25-40 ms).
 * Chunks may be shorter than asked; the file and the transfer do not depend on their size.
 * With chunkSlackBytes, a chunk's buffer stays below malloc's mmap threshold (128 KiB, set at
 * launch: src/cli/launch-settings.ts), so each chunk reuses heap memory the last one freed
 * instead of fresh pages mapped for it and faulted in one by one (about 13 µs a page on the
 * loaded benchmark machine, against the copy's 0.2 µs; docs/benchmarks.md, issue 20).
 */
export const snapshotStepBytesMax = 96 * 1024;
/**
 * Most bytes of elements in one record: a restore decodes a record in one go, so this bounds
 * the work between two checks of its per-turn budget (a few hundred elements).
 */
const elementsRecordBytesMax = 16 * 1024;
/**
 * Room in a chunk's buffer beyond its limit: the record that crosses the limit is written
 * before it is moved to the next chunk (endRecord), and a buffer without room for it grew to
 * twice its size, a copy of the chunk into fresh pages. A key record of a string of up to
 * about this size, or any element record, fits; a larger one grows the buffer as before.
 */
const chunkSlackBytes = elementsRecordBytesMax + 1024;
/** Work units of one decoded element, in the units of KeyspaceLoader.step (a decode and a map insert, like a key record). */
const elementWork = 8;
/** Smallest chunk a caller may ask for: one record may exceed it and then travels alone. */
export const snapshotChunkBytesMin = 64;

export interface SnapshotState {
  readonly appliedIndex: number;
  readonly clusterTime: number;
  readonly counters: { readonly expiredKeys: number; readonly evictedKeys: number };
  readonly dedup: readonly DedupRecord[];
  /** Bodies of the cached scripts, in load order (none in a snapshot older than format 4). */
  readonly scripts?: readonly Uint8Array[];
  /** Code of the function libraries, in load order (none before format 4). */
  readonly libraries?: readonly Uint8Array[];
  /** The ACL users as ACL file lines; null when the cluster never set any (and before format 5). */
  readonly acl?: readonly string[] | null;
  /** The replicated settings CONFIG SET changed, as (name, value) pairs (none before format 6). */
  readonly settings?: readonly (readonly [string, string])[];
  readonly keyspace: Keyspace;
}

export interface SnapshotSource {
  /** The applied index this snapshot is the state at. */
  readonly appliedIndex: number;
  /** The next chunk of at most about maxBytes (one oversized record travels alone; see snapshotStepBytesMax), or null at the end. */
  next(maxBytes: number): Uint8Array | null;
  /** Stops observing the keyspace; call it when done or abandoning. */
  close(): void;
}

export interface SnapshotSink {
  /** Queues the next chunk (decoded by step() or finish()); an error value once the stream is known bad. */
  write(chunk: Uint8Array): Error | null;
  /**
   * Decodes queued input and builds the new state aside, at most about `workMax` units of
   * work (one record decoded ≈ 8, one key moved while indexes are built ≈ 1-4); returns
   * true while work remains that needs no more input. A caller that must not block the
   * event loop calls it once per turn until false, then writes the next chunk.
   */
  step(workMax: number): boolean;
  /** Does whatever work remains, then installs the restored state, or returns why not (the old state stays untouched). */
  finish(): Error | null;
}

function writeRecord(writer: ByteWriter, type: number, body: (writer: ByteWriter) => void): void {
  const start = writer.byteLength;
  writer.u32(0);
  writer.u8(type);
  body(writer);
  writer.patchU32(start, writer.byteLength - start - 4);
}

/** A collection whose elements are being written: from the live entry (until it changes) or from a private copy. */
interface Emitting {
  readonly entry: KeyEntry | null;
  cursor: ElementCursor;
}

type Phase = 'header' | 'removals' | 'acl' | 'dedup' | 'keys' | 'saved' | 'end' | 'done';

/** A point-in-time stream of the state at `appliedIndex`; saves keys before they change. */
export class KeyspaceSnapshot implements SnapshotSource, KeyspaceObserver {
  readonly appliedIndex: number;
  private readonly stampMax: number;
  /** The removal versions at appliedIndex (copied: later removals change the keyspace's). */
  private readonly removals: RemovalStamps;
  /** Creation stamp of the next key to emit; keys below it were emitted. */
  private cursorStamp = 0;
  /** Old images of keys changed before they were emitted, by creation stamp. */
  private readonly saved = new Map<number, EntryImage>();
  private savedQueue: EntryImage[] | null = null;
  private dedupIndex = 0;
  private scriptIndex = 0;
  private libraryIndex = 0;
  private phase: Phase = 'header';
  /** FNV-1a of every record written so far (the end record carries it). */
  private checksum = fnvOffsetBasis;
  /** The record that did not fit the previous chunk: it starts the next one. */
  private carry: Buffer | null = null;
  private keysEmitted = 0;
  /** The collection whose element records are being written, if any. */
  private emitting: Emitting | null = null;
  private closed = false;

  constructor(
    private readonly keyspace: Keyspace,
    private readonly state: Omit<SnapshotState, 'keyspace'>,
  ) {
    this.appliedIndex = state.appliedIndex;
    this.stampMax = keyspace.stamp;
    this.removals = keyspace.removalStamps();
    keyspace.addObserver(this);
  }

  beforeChange(entry: KeyEntry): void {
    const emitting = this.emitting;
    // Entries are handles made per lookup: the same key is the same creation stamp.
    if (emitting !== null && emitting.entry !== null && emitting.entry.createdStamp === entry.createdStamp) {
      // Half written: the rest comes from a copy of the value as it is now, unchanged yet.
      this.emitting = { entry: null, cursor: (entry.stored as CollectionValue).clone().cursor(emitting.cursor.position) };
      return;
    }
    if (this.phase !== 'header' && this.phase !== 'removals' && this.phase !== 'acl' && this.phase !== 'dedup' && this.phase !== 'keys') return;
    if (entry.createdStamp > this.stampMax || entry.createdStamp < this.cursorStamp) return;
    if (!this.saved.has(entry.createdStamp)) this.saved.set(entry.createdStamp, imageOf(entry));
  }

  next(maxBytes: number): Uint8Array | null {
    if (this.closed) throw new Error('snapshot: next() after close()');
    if (!Number.isSafeInteger(maxBytes) || maxBytes < snapshotChunkBytesMin) {
      throw new Error(`snapshot: maxBytes ${maxBytes} below ${snapshotChunkBytesMin}`);
    }
    if (this.phase === 'done' && this.carry === null) {
      this.close();
      return null;
    }
    // One call is one event-loop turn of the caller: bounded, whatever chunk size it asks for.
    const limit = Math.min(maxBytes, snapshotStepBytesMax);
    const writer = new ByteWriter(limit + chunkSlackBytes);
    if (this.carry !== null) {
      writer.raw(this.carry);
      this.carry = null;
    }
    while (this.phase !== 'done' && this.carry === null && writer.byteLength < limit) this.step(writer, limit);
    // The writer belongs to this chunk alone, so its bytes are handed out without a copy.
    return writer.finish();
  }

  /**
   * Appends one record at the writer's end. Whole records only: the record that crosses
   * maxBytes is moved to `carry` for the next chunk, unless it is alone in this one (a
   * record larger than maxBytes travels by itself).
   */
  private append(writer: ByteWriter, maxBytes: number, type: number, body: (writer: ByteWriter) => void): void {
    const mark = writer.byteLength;
    writeRecord(writer, type, body);
    this.endRecord(writer, maxBytes, type, mark);
  }

  /** Checksums the record just written from `mark`, or moves it to `carry` (see append). */
  private endRecord(writer: ByteWriter, maxBytes: number, type: number, mark: number): void {
    if (type !== recordEnd) this.checksum = fnv1a(this.checksum, writer.backing, mark, writer.byteLength);
    if (writer.byteLength > maxBytes && mark > 0) {
      this.carry = Buffer.from(writer.backing.subarray(mark, writer.byteLength));
      writer.truncate(mark);
    }
  }

  /**
   * Appends a live key straight from the keyspace's stored strings: the hot path of taking a
   * snapshot (no image, Buffer or closure per key). The same bytes as appendKey(imageOf(entry)).
   */
  private appendEntry(writer: ByteWriter, maxBytes: number, entry: KeyEntry): void {
    const stored = entry.stored;
    if (isCollection(stored)) {
      this.beginCollection(writer, maxBytes, entry.key, stored, entry.expireAtMs, entry.createdStamp, entry.writtenStamp, entry);
      return;
    }
    this.keysEmitted++;
    const mark = writer.byteLength;
    writer.u32(0);
    writer.u8(recordKey);
    writer.latin1Bytes(entry.mapKey);
    writer.u8(valueTypeString);
    if (typeof stored === 'string') writer.latin1Bytes(stored);
    else writer.bytes(stored.view());
    writer.float64(entry.expireAtMs);
    writer.varint(entry.createdStamp);
    writer.varint(entry.writtenStamp);
    writer.patchU32(mark, writer.byteLength - mark - 4);
    this.endRecord(writer, maxBytes, recordKey, mark);
  }

  /** The collection record of a key; its elements follow in the next steps (writeElements). */
  private beginCollection(
    writer: ByteWriter, maxBytes: number, key: Uint8Array, value: CollectionValue, expireAtMs: number,
    createdStamp: number, writtenStamp: number, entry: KeyEntry | null,
  ): void {
    this.keysEmitted++;
    this.append(writer, maxBytes, recordCollection, (w) => {
      w.bytes(key);
      w.u8(codecOf(value.type).code);
      w.float64(expireAtMs);
      w.varint(createdStamp);
      w.varint(writtenStamp);
      w.varint(value.length);
    });
    this.emitting = { entry, cursor: value.cursor(0) };
  }

  /** One elements record of the collection being written, up to about maxBytes. */
  private writeElements(writer: ByteWriter, maxBytes: number, emitting: Emitting): void {
    const mark = writer.byteLength;
    writer.u32(0);
    writer.u8(recordElements);
    const countAt = writer.byteLength;
    writer.u32(0);
    const count = emitting.cursor.writeSome(writer, Math.min(maxBytes, mark + elementsRecordBytesMax));
    writer.patchU32(countAt, count);
    writer.patchU32(mark, writer.byteLength - mark - 4);
    this.endRecord(writer, maxBytes, recordElements, mark);
    if (emitting.cursor.done) this.emitting = null;
  }

  private appendKey(writer: ByteWriter, maxBytes: number, image: EntryImage): void {
    const value = image.value;
    if (value.type !== 'string') {
      this.beginCollection(writer, maxBytes, image.key, value, image.expireAtMs, image.createdStamp, image.writtenStamp, null);
      return;
    }
    this.keysEmitted++;
    this.append(writer, maxBytes, recordKey, (w) => {
      w.bytes(image.key);
      w.u8(valueTypeString);
      w.bytes(value.data);
      w.float64(image.expireAtMs);
      w.varint(image.createdStamp);
      w.varint(image.writtenStamp);
    });
  }

  private step(writer: ByteWriter, maxBytes: number): void {
    if (this.emitting !== null) {
      this.writeElements(writer, maxBytes, this.emitting);
      return;
    }
    switch (this.phase) {
      case 'header': {
        const { state } = this;
        this.append(writer, maxBytes, recordHeader, (w) => {
          w.raw(magic);
          w.u8(snapshotFormatVersion);
          w.varint(state.appliedIndex);
          w.signed(state.clusterTime);
          w.varint(this.stampMax);
          w.varint(state.counters.expiredKeys);
          w.varint(state.counters.evictedKeys);
        });
        this.phase = 'removals';
        return;
      }
      case 'removals':
        this.append(writer, maxBytes, recordRemovals, (w) => this.removals.encode(w));
        this.phase = 'acl';
        return;
      case 'acl': {
        const lines = this.state.acl ?? null;
        if (lines !== null) {
          this.append(writer, maxBytes, recordAcl, (w) => {
            w.varint(lines.length);
            for (const line of lines) w.string(line);
          });
        }
        const settings = this.state.settings ?? [];
        if (settings.length > 0) {
          this.append(writer, maxBytes, recordSettings, (w) => {
            w.varint(settings.length);
            for (const [name, value] of settings) {
              w.string(name);
              w.string(value);
            }
          });
        }
        this.phase = 'dedup';
        return;
      }
      case 'dedup': {
        const record = this.state.dedup[this.dedupIndex];
        if (record === undefined) {
          const script = this.state.scripts?.[this.scriptIndex];
          const library = this.state.libraries?.[this.libraryIndex];
          if (script !== undefined) {
            this.scriptIndex++;
            this.append(writer, maxBytes, recordScript, (w) => w.bytes(script));
          } else if (library !== undefined) {
            this.libraryIndex++;
            this.append(writer, maxBytes, recordLibrary, (w) => w.bytes(library));
          } else this.phase = 'keys';
          return;
        }
        this.dedupIndex++;
        this.append(writer, maxBytes, recordDedup, (w) => {
          w.string(record.origin);
          w.varint(record.client);
          w.varint(record.floor);
          w.signed(record.lastUsedMs);
          w.varint(record.replies.size);
          for (const [seq, reply] of record.replies) {
            w.varint(seq);
            writeReply(w, reply);
          }
        });
        return;
      }
      case 'keys': {
        let pastEnd = false;
        const next = this.keyspace.walk(this.cursorStamp, Number.MAX_SAFE_INTEGER, (entry) => {
          if (entry.createdStamp > this.stampMax) {
            pastEnd = true; // created after the snapshot began, like everything after it
            return false;
          }
          if (writer.byteLength >= maxBytes || this.carry !== null) return false;
          // Emitted now, so later changes to it no longer concern this snapshot.
          this.cursorStamp = entry.createdStamp + 1;
          if (!this.saved.has(entry.createdStamp)) this.appendEntry(writer, maxBytes, entry);
          // A collection's elements come next, before any other key.
          return this.emitting === null;
        });
        if (this.emitting === null && (pastEnd || next === 0)) this.phase = 'saved';
        return;
      }
      case 'saved': {
        this.savedQueue ??= [...this.saved.values()];
        const image = this.savedQueue.pop();
        if (image === undefined) this.phase = 'end';
        else this.appendKey(writer, maxBytes, image);
        return;
      }
      case 'end': {
        const checksum = this.checksum;
        this.append(writer, maxBytes, recordEnd, (w) => {
          w.varint(this.keysEmitted);
          w.varint(this.state.dedup.length);
          w.u32(checksum);
        });
        this.phase = 'done';
        return;
      }
      case 'done':
        return;
      default: {
        const exhaustive: never = this.phase;
        throw new Error(`snapshot: unknown phase ${String(exhaustive)}`);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.keyspace.removeObserver(this);
    this.saved.clear();
    this.savedQueue = null;
    this.emitting = null;
  }
}

/** Work units of one decoded record, in the units of KeyspaceLoader.step (a decode costs more than a sort move). */
const recordWork = 8;

/**
 * Parses a snapshot stream and builds the new state aside, in bounded steps; `install`
 * receives the state once the whole stream checked out. Chunks are kept as they come
 * (no copy into one buffer); a record split across chunks is joined alone.
 */
export class KeyspaceRestore implements SnapshotSink {
  /** Chunks written and not yet decoded, oldest first. */
  private readonly queued: Buffer[] = [];
  /** The chunk being decoded, from `offset`. */
  private current: Buffer = Buffer.alloc(0);
  private offset = 0;
  /** Read position inside the key record being decoded (readKeyRecord). */
  private cursor = 0;
  private checksum = fnvOffsetBasis;
  private error: Error | null = null;
  private header: { appliedIndex: number; clusterTime: number; stamp: number; expiredKeys: number; evictedKeys: number } | null = null;
  private loader: KeyspaceLoader | null = null;
  private keysRead = 0;
  /** The collection whose element records are being read: its key record's fields and the elements still due. */
  private collecting: {
    readonly mapKey: string; readonly builder: CollectionBuilder; remaining: number;
    readonly expireAtMs: number; readonly createdStamp: number; readonly writtenStamp: number;
  } | null = null;
  private readonly dedup: DedupRecord[] = [];
  private readonly scripts: Uint8Array[] = [];
  private readonly libraries: Uint8Array[] = [];
  private acl: string[] | null = null;
  private settings: [string, string][] | null = null;
  private removalsRead = false;
  private ended = false;
  /** Work of the record just decoded beyond recordWork (its elements). */
  private lastRecordWork = 0;
  private built = false;
  private finished = false;

  constructor(private readonly install: (state: SnapshotState) => void) {}

  write(chunk: Uint8Array): Error | null {
    if (this.finished) return new Error('snapshot restore: write() after finish()');
    if (this.error !== null) return this.error;
    // A copy: the caller may reuse its buffer once write() returns.
    if (chunk.length > 0) this.queued.push(Buffer.from(chunk));
    return null;
  }

  step(workMax: number): boolean {
    if (!(workMax > 0)) throw new Error(`snapshot restore: workMax ${workMax} must be > 0`);
    if (this.finished || this.error !== null || this.built) return false;
    try {
      let work = 0;
      while (!this.ended) {
        if (work >= workMax) return true;
        this.lastRecordWork = 0;
        if (!this.decodeRecord()) return false; // needs more input
        work += recordWork + this.lastRecordWork;
      }
      if (this.buildStep(Math.max(1, workMax - work))) return true;
      this.built = true;
      return false;
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.error = new Error(`snapshot restore: ${error.message}`);
      return false;
    }
  }

  private buildStep(workMax: number): boolean {
    try {
      return (this.loader as KeyspaceLoader).step(workMax);
    } catch (error) {
      throw new DecodeError((error as Error).message); // a duplicate key: the stream is corrupt
    }
  }

  /** Decodes the next whole record, if the input holds one; false when more input is needed. */
  private decodeRecord(): boolean {
    for (;;) {
      const available = this.current.length - this.offset;
      if (available >= 4) {
        const length = this.current.readUInt32LE(this.offset);
        if (length < 1 || length > recordBytesMax) throw new DecodeError(`record length ${length} out of range`);
        if (available - 4 >= length) {
          const start = this.offset;
          const end = start + 4 + length;
          this.offset = end;
          if (this.current[start + 4] === recordKey && this.header !== null) this.readKeyRecord(this.current, start + 5, end);
          else this.readRecord(this.current.subarray(start + 4, end));
          if (!this.ended) this.checksum = fnv1a(this.checksum, this.current, start, end);
          return true;
        }
      }
      const next = this.queued.shift();
      if (next === undefined) return false;
      // Only the unread tail of the current chunk is joined with the next one.
      this.current = available === 0 ? next : Buffer.concat([this.current.subarray(this.offset), next]);
      this.offset = 0;
    }
  }

  /**
   * Reads a key record's body (after the type byte) in place: the hot path of a restore.
   * Key and value go straight from the chunk to the latin1 strings the keyspace stores, with
   * no Buffer object in between.
   */
  private readKeyRecord(data: Buffer, start: number, end: number): void {
    if (this.ended) throw new DecodeError(`record type ${recordKey} after the end record`);
    if (this.collecting !== null) throw new DecodeError(`key record with ${this.collecting.remaining} elements of a collection still due`);
    this.cursor = start;
    const mapKey = this.latin1In(data, end);
    if (this.cursor >= end) throw new DecodeError('truncated key record: no value type');
    const valueType = data[this.cursor++] as number;
    if (valueType !== valueTypeString) throw new DecodeError(`unknown value type ${valueType}`);
    const value = this.latin1In(data, end);
    if (this.cursor + 8 > end) throw new DecodeError('truncated key record: no expiry');
    const expireAtMs = data.readDoubleLE(this.cursor);
    this.cursor += 8;
    if (Number.isNaN(expireAtMs)) throw new DecodeError('expiry is NaN');
    const createdStamp = this.varintIn(data, end);
    const writtenStamp = this.varintIn(data, end);
    if (this.cursor !== end) throw new DecodeError(`record type ${recordKey} has ${end - this.cursor} trailing bytes`);
    try {
      (this.loader as KeyspaceLoader).addStored(mapKey, value, expireAtMs, createdStamp, writtenStamp);
    } catch (error) {
      throw new DecodeError((error as Error).message);
    }
    this.keysRead++;
  }

  /** A length-prefixed byte string as a latin1 string (one char per byte). */
  private latin1In(data: Buffer, end: number): string {
    const length = this.varintIn(data, end);
    if (this.cursor + length > end) throw new DecodeError(`truncated bytes: need ${length} at offset ${this.cursor}, have ${end - this.cursor}`);
    const text = data.toString('latin1', this.cursor, this.cursor + length);
    this.cursor += length;
    return text;
  }

  private varintIn(data: Buffer, end: number): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.cursor >= end) throw new DecodeError(`truncated varint at offset ${this.cursor}`);
      const byte = data[this.cursor++] as number;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (value > Number.MAX_SAFE_INTEGER) throw new DecodeError(`varint ${value} exceeds ${Number.MAX_SAFE_INTEGER}`);
        return value;
      }
      scale *= 0x80;
    }
    throw new DecodeError(`varint longer than 8 bytes at offset ${this.cursor}`);
  }

  private readRecord(body: Buffer): void {
    const reader = new ByteReader(body);
    const type = reader.u8();
    if (this.ended) throw new DecodeError(`record type ${type} after the end record`);
    if (this.header === null && type !== recordHeader) throw new DecodeError(`stream starts with record type ${type}, not a header`);
    if (this.collecting !== null && type !== recordElements && type !== recordEnd) {
      throw new DecodeError(`record type ${type} with ${this.collecting.remaining} elements of a collection still due`);
    }
    switch (type) {
      case recordHeader: {
        if (this.header !== null) throw new DecodeError('second header record');
        if (!reader.raw(magic.length).equals(magic)) throw new DecodeError('bad magic');
        const version = reader.u8();
        if (!snapshotFormatVersionsRead.includes(version)) {
          throw new DecodeError(`format version ${version}, expected one of ${snapshotFormatVersionsRead.join(', ')}`);
        }
        this.header = {
          appliedIndex: reader.varint(), clusterTime: reader.signed(), stamp: reader.varint(),
          expiredKeys: reader.varint(), evictedKeys: reader.varint(),
        };
        this.loader = Keyspace.loader(this.header.stamp);
        break;
      }
      case recordDedupSingle: {
        const origin = reader.string();
        const client = reader.varint();
        const seq = reader.varint();
        const lastUsedMs = reader.signed();
        this.dedup.push({ origin, client, floor: seq, lastUsedMs, replies: new Map([[seq, readReply(reader)]]) });
        break;
      }
      case recordDedup: {
        const origin = reader.string();
        const client = reader.varint();
        const floor = reader.varint();
        const lastUsedMs = reader.signed();
        const count = reader.varint();
        // Each reply takes at least two bytes (sequence and reply type).
        if (count * 2 > reader.remaining) throw new DecodeError(`dedup record claims ${count} replies in ${reader.remaining} bytes`);
        const replies = new Map<number, Reply>();
        for (let i = 0; i < count; i++) {
          const seq = reader.varint();
          if (seq < floor) throw new DecodeError(`dedup record holds a reply for sequence ${seq} below its floor ${floor}`);
          replies.set(seq, readReply(reader));
        }
        this.dedup.push({ origin, client, floor, lastUsedMs, replies });
        break;
      }
      case recordRemovals: {
        if (this.removalsRead || this.header === null) throw new DecodeError('second removals record');
        this.removalsRead = true;
        (this.loader as KeyspaceLoader).setRemovals(RemovalStamps.decode(reader, this.header.stamp));
        break;
      }
      case recordScript:
        this.scripts.push(Uint8Array.from(reader.bytes()));
        break;
      case recordLibrary:
        this.libraries.push(Uint8Array.from(reader.bytes()));
        break;
      case recordAcl: {
        if (this.acl !== null) throw new DecodeError('second acl record');
        const count = reader.varint();
        if (count > reader.remaining) throw new DecodeError(`acl record claims ${count} users in ${reader.remaining} bytes`);
        const lines: string[] = [];
        for (let i = 0; i < count; i++) lines.push(reader.string());
        this.acl = lines;
        break;
      }
      case recordSettings: {
        if (this.settings !== null) throw new DecodeError('second settings record');
        const count = reader.varint();
        if (count > reader.remaining) throw new DecodeError(`settings record claims ${count} pairs in ${reader.remaining} bytes`);
        const pairs: [string, string][] = [];
        for (let i = 0; i < count; i++) pairs.push([reader.string(), reader.string()]);
        this.settings = pairs;
        break;
      }
      case recordCollection:
        this.readCollectionRecord(reader);
        break;
      case recordElements:
        this.readElementsRecord(reader);
        break;
      case recordEnd: {
        if (this.collecting !== null) throw new DecodeError(`end record with ${this.collecting.remaining} elements of a collection still due`);
        const keys = reader.varint();
        const dedupCount = reader.varint();
        const checksum = reader.u32();
        if (keys !== this.keysRead) throw new DecodeError(`end record counts ${keys} keys, stream had ${this.keysRead}`);
        if (dedupCount !== this.dedup.length) throw new DecodeError(`end record counts ${dedupCount} dedup records, stream had ${this.dedup.length}`);
        if (checksum !== this.checksum) throw new DecodeError(`checksum ${checksum.toString(16)} != computed ${this.checksum.toString(16)}`);
        this.ended = true;
        break;
      }
      default:
        throw new DecodeError(`unknown record type ${type}`);
    }
    if (reader.remaining !== 0) throw new DecodeError(`record type ${type} has ${reader.remaining} trailing bytes`);
  }

  private readCollectionRecord(reader: ByteReader): void {
    if (this.collecting !== null) throw new DecodeError(`collection record with ${this.collecting.remaining} elements of the previous one still due`);
    const mapKey = reader.bytes().toString('latin1');
    const code = reader.u8();
    const codec = codecByCode(code);
    if (codec === undefined) throw new DecodeError(`unknown value type ${code}`);
    const expireAtMs = reader.float64();
    if (Number.isNaN(expireAtMs)) throw new DecodeError('expiry is NaN');
    const createdStamp = reader.varint();
    const writtenStamp = reader.varint();
    const remaining = reader.varint();
    if (remaining === 0) throw new DecodeError(`empty ${codec.type} collection (an empty collection is no key)`);
    this.collecting = { mapKey, builder: codec.builder(), remaining, expireAtMs, createdStamp, writtenStamp };
  }

  private readElementsRecord(reader: ByteReader): void {
    const collecting = this.collecting;
    if (collecting === null) throw new DecodeError('elements record without a collection record');
    const count = reader.u32();
    if (count === 0 || count > collecting.remaining) throw new DecodeError(`elements record of ${count} elements, ${collecting.remaining} due`);
    // Each element takes at least one byte: a count beyond the record is corrupt, not a huge allocation.
    if (count > reader.remaining) throw new DecodeError(`elements record claims ${count} elements in ${reader.remaining} bytes`);
    collecting.builder.read(reader, count);
    collecting.remaining -= count;
    this.lastRecordWork += count * elementWork;
    if (collecting.remaining > 0) return;
    this.collecting = null;
    try {
      (this.loader as KeyspaceLoader).addStored(collecting.mapKey, collecting.builder.finish(), collecting.expireAtMs, collecting.createdStamp, collecting.writtenStamp);
    } catch (error) {
      if (error instanceof DecodeError) throw error;
      throw new DecodeError((error as Error).message);
    }
    this.keysRead++;
  }

  finish(): Error | null {
    if (this.finished) return new Error('snapshot restore: finish() called twice');
    while (this.step(Number.MAX_SAFE_INTEGER));
    this.finished = true;
    if (this.error !== null) return this.error;
    if (!this.ended || this.header === null) return new Error('snapshot restore: stream ended before its end record (truncated)');
    const trailing = this.current.length - this.offset + this.queued.reduce((sum, chunk) => sum + chunk.length, 0);
    if (trailing !== 0) return new Error(`snapshot restore: ${trailing} bytes after the end record`);
    if (!this.built) throw new Error('snapshot restore: stream ended but the keyspace was not built');
    this.install({
      appliedIndex: this.header.appliedIndex,
      clusterTime: this.header.clusterTime,
      counters: { expiredKeys: this.header.expiredKeys, evictedKeys: this.header.evictedKeys },
      dedup: this.dedup,
      scripts: this.scripts,
      libraries: this.libraries,
      acl: this.acl,
      settings: this.settings ?? [],
      keyspace: (this.loader as KeyspaceLoader).keyspace(),
    });
    return null;
  }
}
