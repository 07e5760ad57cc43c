// A stream's consumer group: the last delivered ID, the entries it has read (for lag), its
// pending entries list (PEL: entries delivered and not acknowledged, each with its consumer,
// delivery time and delivery count) in ID order, and its consumers. Delivery times are entry
// (cluster) times, so idle times and counts are the same on every replica.

import { DecodeError, type ByteReader, type ByteWriter } from './binary.js';
import { fnv1aLatin1, fnvOffsetBasis, mixSeed } from './hash.js';
import { formatStreamId, lowerBoundId, readStreamId, type StreamId } from './stream-id.js';

/** Pending entries per snapshot element: bounds one element's bytes (about 64 KB). */
const pendingPerElement = 1024;
/** Memory estimate per pending entry and per consumer. */
const pendingOverheadBytes = 80;
const consumerOverheadBytes = 96;

export interface PendingEntry {
  readonly id: StreamId;
  consumer: string;
  /** Cluster time of the last delivery, ms. */
  deliveryTime: number;
  deliveryCount: number;
}

export interface Consumer {
  readonly name: string;
  /** Cluster time the consumer was last seen (read or claimed), ms. */
  seenTime: number;
  /** Its pending entries' IDs. */
  readonly pending: Set<StreamId>;
}

export class StreamGroup {
  /** Pending entries by ID; `order` holds their IDs sorted. */
  private readonly byId = new Map<StreamId, PendingEntry>();
  private order: StreamId[] = [];
  readonly consumers = new Map<string, Consumer>();

  constructor(
    readonly name: string,
    public lastId: StreamId,
    /** Entries the group has read, or -1 when unknown (lag is then not computable). */
    public entriesRead: number,
  ) {}

  get pendingCount(): number {
    return this.order.length;
  }

  get bytes(): number {
    return this.order.length * pendingOverheadBytes + this.consumers.size * consumerOverheadBytes + this.name.length;
  }

  pending(id: StreamId): PendingEntry | undefined {
    return this.byId.get(id);
  }

  /** Pending entries with start ≤ ID ≤ end in ID order, at most `count` (0 = all), optionally one consumer's. */
  pendingRange(start: StreamId, end: StreamId, count: number, consumer?: string): PendingEntry[] {
    const out: PendingEntry[] = [];
    for (let i = lowerBoundId(this.order, start); i < this.order.length; i++) {
      const id = this.order[i] as StreamId;
      if (id > end || (count > 0 && out.length >= count)) break;
      const entry = this.byId.get(id) as PendingEntry;
      if (consumer === undefined || entry.consumer === consumer) out.push(entry);
    }
    return out;
  }

  /** The consumer named `name`, created (seen now) when absent; `created` says which. */
  consumer(name: string, nowMs: number): { consumer: Consumer; created: boolean } {
    const existing = this.consumers.get(name);
    if (existing !== undefined) return { consumer: existing, created: false };
    const consumer: Consumer = { name, seenTime: nowMs, pending: new Set() };
    this.consumers.set(name, consumer);
    return { consumer, created: true };
  }

  /** Records a delivery of `id` to `consumer` now: a new pending entry, or an existing one moved and counted. */
  deliver(id: StreamId, consumer: Consumer, nowMs: number, countDelivery = true): PendingEntry {
    let entry = this.byId.get(id);
    if (entry === undefined) {
      entry = { id, consumer: consumer.name, deliveryTime: nowMs, deliveryCount: countDelivery ? 1 : 0 };
      this.byId.set(id, entry);
      const at = lowerBoundId(this.order, id);
      this.order.splice(at, 0, id);
    } else {
      if (entry.consumer !== consumer.name) this.consumers.get(entry.consumer)?.pending.delete(id);
      entry.consumer = consumer.name;
      entry.deliveryTime = nowMs;
      if (countDelivery) entry.deliveryCount++;
    }
    consumer.pending.add(id);
    return entry;
  }

  /** XACK of one ID: true when it was pending. */
  acknowledge(id: StreamId): boolean {
    const entry = this.byId.get(id);
    if (entry === undefined) return false;
    this.byId.delete(id);
    this.order.splice(lowerBoundId(this.order, id), 1);
    this.consumers.get(entry.consumer)?.pending.delete(id);
    return true;
  }

  /** Removes a consumer and its pending entries; returns how many it had. */
  deleteConsumer(name: string): number {
    const consumer = this.consumers.get(name);
    if (consumer === undefined) return 0;
    const count = consumer.pending.size;
    for (const id of [...consumer.pending]) this.acknowledge(id);
    this.consumers.delete(name);
    return count;
  }

  clone(): StreamGroup {
    const copy = new StreamGroup(this.name, this.lastId, this.entriesRead);
    for (const consumer of this.consumers.values()) copy.consumers.set(consumer.name, { name: consumer.name, seenTime: consumer.seenTime, pending: new Set(consumer.pending) });
    for (const id of this.order) copy.byId.set(id, { ...(this.byId.get(id) as PendingEntry) });
    copy.order = this.order.slice();
    return copy;
  }

  digest(): number {
    let hash = fnv1aLatin1(fnvOffsetBasis, `${this.name}|${formatStreamId(this.lastId)}|${this.entriesRead}`);
    for (const id of this.order) {
      const entry = this.byId.get(id) as PendingEntry;
      hash = mixSeed(hash, fnv1aLatin1(fnvOffsetBasis, `${formatStreamId(id)}|${entry.consumer}|${entry.deliveryTime}|${entry.deliveryCount}`));
    }
    for (const consumer of this.consumers.values()) hash = mixSeed(hash, fnv1aLatin1(fnvOffsetBasis, `${consumer.name}|${consumer.seenTime}`));
    return hash >>> 0;
  }

  /** Snapshot elements: the group with its consumers, then its pending entries in chunks (a long pending list spans many). */
  get elementCount(): number {
    return 1 + Math.ceil(this.order.length / pendingPerElement);
  }

  /** Snapshot element `k` of this group (0: the group and its consumers; then pending chunks). */
  writeElement(writer: ByteWriter, k: number): void {
    if (k === 0) return this.writeHeader(writer);
    const end = Math.min(this.order.length, k * pendingPerElement);
    writer.varint(end - (k - 1) * pendingPerElement);
    for (let i = (k - 1) * pendingPerElement; i < end; i++) {
      const id = this.order[i] as StreamId;
      const entry = this.byId.get(id) as PendingEntry;
      writer.latin1Bytes(formatStreamId(id));
      writer.latin1Bytes(entry.consumer);
      writer.float64(entry.deliveryTime);
      writer.varint(entry.deliveryCount);
    }
  }

  private writeHeader(writer: ByteWriter): void {
    writer.latin1Bytes(this.name);
    writer.latin1Bytes(formatStreamId(this.lastId));
    writer.signed(this.entriesRead);
    writer.varint(this.consumers.size);
    for (const consumer of this.consumers.values()) {
      writer.latin1Bytes(consumer.name);
      writer.float64(consumer.seenTime);
    }
    writer.varint(this.order.length);
  }

  /** A group from its first snapshot element; `pending` is how many pending entries its next elements hold. */
  static readHeader(reader: ByteReader): { group: StreamGroup; pending: number } {
    const group = new StreamGroup(reader.bytes().toString('latin1'), readStreamId(reader), reader.signed());
    const consumers = reader.varint();
    for (let i = 0; i < consumers; i++) {
      const name = reader.bytes().toString('latin1');
      group.consumers.set(name, { name, seenTime: reader.float64(), pending: new Set() });
    }
    return { group, pending: reader.varint() };
  }

  /** One element of pending entries; returns how many it held. */
  readPending(reader: ByteReader): number {
    const count = reader.varint();
    for (let i = 0; i < count; i++) {
      const id = readStreamId(reader);
      const consumer = this.consumers.get(reader.bytes().toString('latin1'));
      if (consumer === undefined) throw new DecodeError('pending entry of an unknown consumer');
      if (this.order.length > 0 && id <= (this.order[this.order.length - 1] as StreamId)) throw new DecodeError('pending entries out of order');
      this.byId.set(id, { id, consumer: consumer.name, deliveryTime: reader.float64(), deliveryCount: reader.varint() });
      this.order.push(id);
      consumer.pending.add(id);
    }
    return count;
  }
}
