// Snapshot streams of the whole state: a consistent point-in-time view taken while writes
// continue (copy-on-write per key), and a restore that builds a new state from chunks and
// hands it over only when the stream checked out whole.
//
// Stream: a sequence of records, each `u32 body length | u8 type | body`:
//   header  magic, format version, applied index, cluster time, keyspace stamp, counters
//   dedup   one per exactly-once record (origin, client, seq, last use, reply)
//   key     one per key (key, value type, value, expiry, created stamp, written stamp)
//   end     key count, dedup count, FNV-1a checksum of every byte before this record
// Keys come in creation order, except keys changed while the snapshot was open: their saved
// old images come after. Restore sorts by stamp, so the order does not matter there.

import { ByteReader, ByteWriter, DecodeError } from './binary.js';
import { fnv1a, fnvOffsetBasis } from './hash.js';
import { imageOf, Keyspace, type EntryImage, type KeyEntry, type KeyspaceObserver, type Value } from './keyspace.js';
import type { DedupRecord } from './dedup-table.js';
import { readReply, writeReply } from './reply-codec.js';

const magic = Buffer.from('RAFTISKV', 'latin1');
export const snapshotFormatVersion = 1;
const recordHeader = 1;
const recordDedup = 2;
const recordKey = 3;
const recordEnd = 4;
const valueTypeString = 1;
/** A record body larger than this is corrupt (keys and values are bounded by proto-max-bulk-len). */
const recordBytesMax = 0x7fff_ffff;
/** Smallest chunk a caller may ask for: one record may exceed it and then travels alone. */
export const snapshotChunkBytesMin = 64;

export interface SnapshotState {
  readonly appliedIndex: number;
  readonly clusterTime: number;
  readonly counters: { readonly expiredKeys: number; readonly evictedKeys: number };
  readonly dedup: readonly DedupRecord[];
  readonly keyspace: Keyspace;
}

export interface SnapshotSource {
  /** The applied index this snapshot is the state at. */
  readonly appliedIndex: number;
  /** The next chunk of about maxBytes (one oversized record travels alone), or null at the end. */
  next(maxBytes: number): Uint8Array | null;
  /** Stops observing the keyspace; call it when done or abandoning. */
  close(): void;
}

export interface SnapshotSink {
  /** Feeds the next chunk; returns an error value once the stream is known bad. */
  write(chunk: Uint8Array): Error | null;
  /** Installs the restored state, or returns why not (the old state stays untouched). */
  finish(): Error | null;
}

function writeRecord(writer: ByteWriter, type: number, body: (writer: ByteWriter) => void): void {
  const start = writer.byteLength;
  writer.u32(0);
  writer.u8(type);
  body(writer);
  writer.patchU32(start, writer.byteLength - start - 4);
}

function writeValue(writer: ByteWriter, value: Value): void {
  switch (value.type) {
    case 'string':
      writer.u8(valueTypeString);
      writer.bytes(value.data);
      return;
    default: {
      const exhaustive: never = value.type;
      throw new Error(`unknown value type ${String(exhaustive)}`);
    }
  }
}


type Phase = 'header' | 'dedup' | 'keys' | 'saved' | 'end' | 'done';

/** A point-in-time stream of the state at `appliedIndex`; saves keys before they change. */
export class KeyspaceSnapshot implements SnapshotSource, KeyspaceObserver {
  readonly appliedIndex: number;
  private readonly stampMax: number;
  /** Creation stamp of the next key to emit; keys below it were emitted. */
  private cursorStamp = 0;
  /** Old images of keys changed before they were emitted, by creation stamp. */
  private readonly saved = new Map<number, EntryImage>();
  private savedQueue: EntryImage[] | null = null;
  private dedupIndex = 0;
  private phase: Phase = 'header';
  /** FNV-1a of every record written so far (the end record carries it). */
  private checksum = fnvOffsetBasis;
  /** The record that did not fit the previous chunk: it starts the next one. */
  private carry: Buffer | null = null;
  private keysEmitted = 0;
  private closed = false;

  constructor(
    private readonly keyspace: Keyspace,
    private readonly state: Omit<SnapshotState, 'keyspace'>,
  ) {
    this.appliedIndex = state.appliedIndex;
    this.stampMax = keyspace.stamp;
    keyspace.addObserver(this);
  }

  beforeChange(entry: KeyEntry): void {
    if (this.phase !== 'header' && this.phase !== 'dedup' && this.phase !== 'keys') return;
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
    const writer = new ByteWriter(Math.min(maxBytes, 1 << 20) + 64);
    if (this.carry !== null) {
      writer.raw(this.carry);
      this.carry = null;
    }
    while (this.phase !== 'done' && this.carry === null && writer.byteLength < maxBytes) this.step(writer, maxBytes);
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
    const record = writer.finish().subarray(mark);
    if (type !== recordEnd) this.checksum = fnv1a(this.checksum, record);
    if (writer.byteLength > maxBytes && mark > 0) {
      this.carry = Buffer.from(record);
      writer.truncate(mark);
    }
  }

  private appendKey(writer: ByteWriter, maxBytes: number, image: EntryImage): void {
    this.keysEmitted++;
    this.append(writer, maxBytes, recordKey, (w) => {
      w.bytes(image.key);
      writeValue(w, image.value);
      w.float64(image.expireAtMs);
      w.varint(image.createdStamp);
      w.varint(image.writtenStamp);
    });
  }

  private step(writer: ByteWriter, maxBytes: number): void {
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
        this.phase = 'dedup';
        return;
      }
      case 'dedup': {
        const record = this.state.dedup[this.dedupIndex];
        if (record === undefined) {
          this.phase = 'keys';
          return;
        }
        this.dedupIndex++;
        this.append(writer, maxBytes, recordDedup, (w) => {
          w.string(record.origin);
          w.varint(record.client);
          w.varint(record.seq);
          w.signed(record.lastUsedMs);
          writeReply(w, record.reply);
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
          if (!this.saved.has(entry.createdStamp)) this.appendKey(writer, maxBytes, imageOf(entry));
          return true;
        });
        if (pastEnd || next === 0) this.phase = 'saved';
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
  }
}

/** Parses a snapshot stream chunk by chunk; `install` receives the state once it checks out. */
export class KeyspaceRestore implements SnapshotSink {
  private pending: Buffer = Buffer.alloc(0);
  private checksum = fnvOffsetBasis;
  private error: Error | null = null;
  private header: { appliedIndex: number; clusterTime: number; stamp: number; expiredKeys: number; evictedKeys: number } | null = null;
  private readonly images: EntryImage[] = [];
  private readonly dedup: DedupRecord[] = [];
  private ended = false;
  private finished = false;

  constructor(private readonly install: (state: SnapshotState) => void) {}

  write(chunk: Uint8Array): Error | null {
    if (this.finished) return new Error('snapshot restore: write() after finish()');
    if (this.error !== null) return this.error;
    this.pending = this.pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    try {
      while (this.pending.length - offset >= 4) {
        const length = this.pending.readUInt32LE(offset);
        if (length < 1 || length > recordBytesMax) throw new DecodeError(`record length ${length} out of range`);
        if (this.pending.length - offset - 4 < length) break;
        const record = this.pending.subarray(offset, offset + 4 + length);
        this.readRecord(record.subarray(4));
        if (!this.ended) this.checksum = fnv1a(this.checksum, record);
        offset += 4 + length;
      }
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      this.error = new Error(`snapshot restore: ${error.message}`);
      return this.error;
    }
    this.pending = Buffer.from(this.pending.subarray(offset));
    return null;
  }

  private readRecord(body: Buffer): void {
    const reader = new ByteReader(body);
    const type = reader.u8();
    if (this.ended) throw new DecodeError(`record type ${type} after the end record`);
    if (this.header === null && type !== recordHeader) throw new DecodeError(`stream starts with record type ${type}, not a header`);
    switch (type) {
      case recordHeader: {
        if (this.header !== null) throw new DecodeError('second header record');
        if (!reader.raw(magic.length).equals(magic)) throw new DecodeError('bad magic');
        const version = reader.u8();
        if (version !== snapshotFormatVersion) throw new DecodeError(`format version ${version}, expected ${snapshotFormatVersion}`);
        this.header = {
          appliedIndex: reader.varint(), clusterTime: reader.signed(), stamp: reader.varint(),
          expiredKeys: reader.varint(), evictedKeys: reader.varint(),
        };
        break;
      }
      case recordDedup:
        this.dedup.push({ origin: reader.string(), client: reader.varint(), seq: reader.varint(), lastUsedMs: reader.signed(), reply: readReply(reader) });
        break;
      case recordKey: {
        const key = Buffer.from(reader.bytes());
        const valueType = reader.u8();
        if (valueType !== valueTypeString) throw new DecodeError(`unknown value type ${valueType}`);
        const value: Value = { type: 'string', data: Buffer.from(reader.bytes()) };
        const expireAtMs = reader.float64();
        if (Number.isNaN(expireAtMs)) throw new DecodeError('expiry is NaN');
        this.images.push({ key, value, expireAtMs, createdStamp: reader.varint(), writtenStamp: reader.varint() });
        break;
      }
      case recordEnd: {
        const keys = reader.varint();
        const dedupCount = reader.varint();
        const checksum = reader.u32();
        if (keys !== this.images.length) throw new DecodeError(`end record counts ${keys} keys, stream had ${this.images.length}`);
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

  finish(): Error | null {
    if (this.finished) return new Error('snapshot restore: finish() called twice');
    this.finished = true;
    if (this.error !== null) return this.error;
    if (!this.ended || this.header === null) return new Error('snapshot restore: stream ended before its end record (truncated)');
    if (this.pending.length !== 0) return new Error(`snapshot restore: ${this.pending.length} bytes after the end record`);
    let keyspace: Keyspace;
    try {
      keyspace = Keyspace.fromImages(this.images, this.header.stamp);
    } catch (error) {
      return new Error(`snapshot restore: ${(error as Error).message}`);
    }
    this.install({
      appliedIndex: this.header.appliedIndex,
      clusterTime: this.header.clusterTime,
      counters: { expiredKeys: this.header.expiredKeys, evictedKeys: this.header.evictedKeys },
      dedup: this.dedup,
      keyspace,
    });
    return null;
  }
}
