// The stream type: entries kept in ID order in parallel arrays (an append is O(1) amortized,
// a range starts with a binary search, trimming from the head moves an offset), plus the
// bookkeeping Redis keeps (last ID, entries added, largest deleted ID, first ID) and the
// consumer groups with their pending lists (stream-group.ts).
//
// Redis stores entries in radix-tree nodes of at most stream-node-max-entries entries and
// stream-node-max-bytes bytes of listpack; trimming with `~` removes whole nodes only, so its
// results depend on where nodes begin. Each entry here records the node it would be in, and
// each node what decides when it is full (entries added, its listpack's size as Redis would
// have it: stream-node-size.ts), which is all that `~` needs to trim exactly as Redis does.
//
// Snapshot elements: one header (IDs, counters, nodes), then one per entry, then per group one
// with its consumers and one per 1,024 of its pending entries.
// The value's `length` counts those elements, so a stream never reads as empty: an empty
// stream is a key, as in Redis.

import { DecodeError, type ByteReader, type ByteWriter } from './binary.js';
import { fnv1aLatin1, fnvOffsetBasis, mixSeed } from './hash.js';
import { formatStreamId, lowerBoundId, readStreamId, type StreamId } from './stream-id.js';
import { StreamGroup } from './stream-group.js';
import { countBytes, entryBytes, entryTextBytes, fieldNames, nodeBaseBytes } from './stream-node-size.js';
import type { CollectionBuilder, CollectionCodec, CollectionValue, ElementCursor } from './value.js';

/** Memory estimate per entry beyond its field and value bytes (ID, arrays, string headers). */
export const streamEntryOverheadBytes = 64;
/** Redis's default stream-node-max-entries. */
export const streamNodeMaxEntriesDefault = 100;
/** Redis's default stream-node-max-bytes. */
export const streamNodeMaxBytesDefault = 4096;
/** STREAM_LISTPACK_MAX_SIZE: a node's listpack never passes it (stream-node-max-bytes 0 means this). */
const listpackBytesMax = 1 << 30;

/** The replicated settings streams read: stream-node-max-entries and -bytes (0 = no limit). */
export interface StreamSettings {
  nodeMaxEntries(): number;
  nodeMaxBytes(): number;
}

/** When a node is full (streamAppendItem): its entries, deleted ones included, or its listpack's bytes. */
export interface StreamNodeLimits {
  readonly entries: number;
  readonly bytes: number;
}

export const defaultNodeLimits: StreamNodeLimits = { entries: streamNodeMaxEntriesDefault, bytes: streamNodeMaxBytesDefault };

/** One trimming request (XADD's and XTRIM's options). */
export interface TrimSpec {
  readonly strategy: 'maxlen' | 'minid';
  readonly approximate: boolean;
  /** MAXLEN's count, or MINID's ID. */
  readonly threshold: bigint;
  /** Most entries to remove; 0 = no limit. */
  readonly limit: number;
}

interface StreamNode {
  readonly id: number;
  /** Entries ever added to the node, deleted ones included (it is full at stream-node-max-entries). */
  added: number;
  /** Entries still in it. */
  live: number;
  /** The ID of its first entry (deleted or not): Redis's node key, the base of its entries' IDs. */
  readonly masterId: StreamId;
  /** Its first entry's field names: entries with the same names store only their values. */
  readonly masterFields: readonly string[];
  /** Its listpack's bytes as Redis would have them, but for the live and deleted counts (stream-node-size.ts). */
  listpackBytes: number;
}

function nodeBytes(node: StreamNode): number {
  return node.listpackBytes + countBytes(node.live, node.added - node.live);
}

/** One node's live entries as StreamValue.nodeRuns gives them, with its master ID and field names. */
export interface StreamNodeRun {
  readonly start: number;
  readonly end: number;
  readonly masterId: StreamId;
  readonly masterFields: readonly string[];
}

/**
 * A node of a stream being rebuilt: its live entries in ID order, the entries ever added to
 * it (deleted ones too), its master ID and field names, and its listpack's bytes but for the
 * two counts (stream-node-size.ts).
 */
export interface RestoredStreamNode {
  readonly added: number;
  readonly entries: readonly { readonly id: StreamId; readonly fields: readonly string[] }[];
  readonly masterId: StreamId;
  readonly masterFields: readonly string[];
  readonly listpackBytes: number;
}

/** The bookkeeping of a stream being rebuilt, as StreamValue keeps it. */
export interface RestoredStreamCounters {
  readonly lastId: StreamId;
  readonly entriesAdded: number;
  readonly maxDeletedId: StreamId;
  readonly firstId: StreamId;
}

export class StreamValue implements CollectionValue {
  readonly type = 'stream' as const;
  accountedBytes = 0;
  private changes = 0;
  private entryBytes = 0;
  /** Entries [head, ids.length) are live; ids strictly increase. */
  private head = 0;
  private ids: StreamId[] = [];
  private fields: string[][] = [];
  private nodeOf: number[] = [];
  /** Nodes in ID order, from the first with live entries. */
  private nodes: StreamNode[] = [];
  private nextNodeId = 0;
  lastId: StreamId = 0n;
  /** Entries ever added (XADD), the base of consumer-group lag. */
  entriesAdded = 0;
  maxDeletedId: StreamId = 0n;
  /** The first entry's ID as Redis records it (0-0 when empty). */
  firstId: StreamId = 0n;
  /** Groups by name. */
  readonly groups = new Map<string, StreamGroup>();

  static create(): StreamValue {
    return new StreamValue();
  }

  /** Snapshot elements: a header, the entries, the groups (never 0). */
  get length(): number {
    let groupElements = 0;
    for (const group of this.groups.values()) groupElements += group.elementCount;
    return 1 + this.entryCount + groupElements;
  }

  /** Radix-tree nodes Redis would hold for these entries (XINFO). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** XLEN. */
  get entryCount(): number {
    return this.ids.length - this.head;
  }

  get bytes(): number {
    let groups = 0;
    for (const group of this.groups.values()) groups += group.bytes;
    return this.entryBytes + groups;
  }

  get version(): number {
    return this.changes;
  }

  /** Counts a change made to a group (groups are changed in place by the group commands). */
  touched(): void {
    this.changes++;
  }

  /** The live entry at `index` (0-based from the first). */
  idAt(index: number): StreamId {
    return this.ids[this.head + index] as StreamId;
  }

  fieldsAt(index: number): readonly string[] {
    return this.fields[this.head + index] as string[];
  }

  /** Index of the first live entry with ID ≥ id (entryCount when none). */
  lowerBound(id: StreamId): number {
    return lowerBoundId(this.ids, id, this.head) - this.head;
  }

  /** Index of the entry with exactly `id`, or -1. */
  indexOf(id: StreamId): number {
    const index = this.lowerBound(id);
    return index < this.entryCount && this.idAt(index) === id ? index : -1;
  }

  /** Appends an entry; `id` must be greater than lastId. */
  append(id: StreamId, entry: readonly string[], limits: StreamNodeLimits): void {
    if (id <= this.lastId && this.entriesAdded > 0) throw new Error(`stream: append of ${formatStreamId(id)} after ${formatStreamId(this.lastId)}`);
    this.changes++;
    let tail = this.nodes[this.nodes.length - 1];
    if (tail === undefined || nodeFull(tail, entry, limits)) {
      const masterFields = fieldNames(entry);
      tail = { id: this.nextNodeId++, added: 0, live: 0, masterId: id, masterFields, listpackBytes: nodeBaseBytes(masterFields) };
      this.nodes.push(tail);
    }
    tail.listpackBytes += entryBytes(id, entry, tail.masterId, tail.masterFields);
    tail.added++;
    tail.live++;
    if (this.entryCount === 0) this.firstId = id;
    this.ids.push(id);
    this.fields.push(entry.slice());
    this.nodeOf.push(tail.id);
    this.entryBytes += entryCost(entry);
    this.lastId = id;
    this.entriesAdded++;
  }

  /** Deletes the entry with `id`; true when it existed (XDEL). */
  delete(id: StreamId): boolean {
    const index = this.indexOf(id);
    if (index < 0) return false;
    this.changes++;
    const at = this.head + index;
    this.dropFromNode(this.nodeOf[at] as number, 1);
    this.entryBytes -= entryCost(this.fields[at] as string[]);
    this.ids.splice(at, 1);
    this.fields.splice(at, 1);
    this.nodeOf.splice(at, 1);
    if (id > this.maxDeletedId) this.maxDeletedId = id;
    if (index === 0) this.firstId = this.entryCount === 0 ? 0n : this.idAt(0);
    return true;
  }

  /** Removes `count` entries from the head (trimming). */
  private dropHead(count: number): void {
    if (count <= 0) return;
    this.changes++;
    for (let i = 0; i < count; i++) {
      const at = this.head + i;
      this.entryBytes -= entryCost(this.fields[at] as string[]);
      this.dropFromNode(this.nodeOf[at] as number, 1);
    }
    this.head += count;
    if (this.head > 1024 && this.head * 2 > this.ids.length) this.compact();
    this.firstId = this.entryCount === 0 ? 0n : this.idAt(0);
  }

  private dropFromNode(nodeId: number, count: number): void {
    const position = this.nodes.findIndex((node) => node.id === nodeId);
    const node = this.nodes[position];
    if (node === undefined) throw new Error(`stream: entry in unknown node ${nodeId}`);
    node.live -= count;
    // An emptied node goes, as in Redis: the next entry starts a new one.
    if (node.live === 0) this.nodes.splice(position, 1);
  }

  private compact(): void {
    this.ids = this.ids.slice(this.head);
    this.fields = this.fields.slice(this.head);
    this.nodeOf = this.nodeOf.slice(this.head);
    this.head = 0;
  }

  /**
   * Trims by MAXLEN or MINID as Redis's streamTrim: with `~` only whole nodes go (never past
   * the threshold, at most `limit` entries); without it, entries go one by one. Returns how many went.
   */
  trim(spec: TrimSpec): number {
    let removed = 0;
    const keeps = (): boolean => (spec.strategy === 'maxlen' ? BigInt(this.entryCount) <= spec.threshold : this.entryCount === 0 || this.idAt(0) >= spec.threshold);
    while (!keeps()) {
      const first = this.nodes[0];
      if (first === undefined || first.live === 0) break;
      const nodeEntries = first.live;
      const lastInNode = this.idAt(nodeEntries - 1);
      const wholeNode = spec.strategy === 'maxlen' ? BigInt(this.entryCount - nodeEntries) >= spec.threshold : lastInNode < spec.threshold;
      if (wholeNode) {
        if (spec.limit > 0 && removed + nodeEntries > spec.limit) break;
        this.dropHead(nodeEntries);
        removed += nodeEntries;
        continue;
      }
      if (spec.approximate) break;
      // Exact trimming: the rest of the way entry by entry, within this node.
      let count = 0;
      while (count < nodeEntries && (spec.strategy === 'maxlen' ? BigInt(this.entryCount - count) > spec.threshold : this.idAt(count) < spec.threshold)) count++;
      this.dropHead(count);
      removed += count;
      break;
    }
    return removed;
  }

  /**
   * The live entries node by node in ID order (DUMP writes one listpack per node): each
   * node's entries [start, end) and how many entries were ever added to it.
   */
  nodeRuns(): StreamNodeRun[] {
    const runs: StreamNodeRun[] = [];
    let start = 0;
    for (const node of this.nodes) {
      runs.push({ start, end: start + node.live, masterId: node.masterId, masterFields: node.masterFields });
      start += node.live;
    }
    if (start !== this.entryCount) throw new Error(`stream: nodes hold ${start} entries, the stream ${this.entryCount}`);
    return runs;
  }

  /**
   * A stream rebuilt from another representation (an RDB payload): its nodes' entries in ID
   * order and its counters. Throws DecodeError where the parts break the stream's invariants
   * (IDs not strictly increasing, or past the last ID, which a later XADD would then repeat).
   */
  static fromNodes(nodes: readonly RestoredStreamNode[], counters: RestoredStreamCounters): StreamValue {
    const stream = new StreamValue();
    stream.lastId = counters.lastId;
    stream.entriesAdded = counters.entriesAdded;
    stream.maxDeletedId = counters.maxDeletedId;
    stream.firstId = counters.firstId;
    for (const node of nodes) {
      if (node.entries.length === 0) continue;
      if (node.added < node.entries.length) throw new DecodeError('stream node holds more entries than were added to it');
      const id = stream.nextNodeId++;
      stream.nodes.push({ id, added: node.added, live: node.entries.length, masterId: node.masterId, masterFields: node.masterFields, listpackBytes: node.listpackBytes });
      for (const entry of node.entries) {
        const previous = stream.ids[stream.ids.length - 1];
        if (previous !== undefined && entry.id <= previous) throw new DecodeError('stream entries out of order');
        stream.ids.push(entry.id);
        stream.fields.push(entry.fields.slice());
        stream.nodeOf.push(id);
        stream.entryBytes += entryCost(entry.fields);
      }
    }
    const last = stream.ids[stream.ids.length - 1];
    if (last !== undefined && last > stream.lastId) throw new DecodeError('stream entry after the last ID');
    return stream;
  }

  clone(): StreamValue {
    const copy = new StreamValue();
    copy.head = 0;
    copy.ids = this.ids.slice(this.head);
    copy.fields = this.fields.slice(this.head);
    copy.nodeOf = this.nodeOf.slice(this.head);
    copy.nodes = this.nodes.map((node) => ({ ...node }));
    copy.nextNodeId = this.nextNodeId;
    copy.entryBytes = this.entryBytes;
    copy.lastId = this.lastId;
    copy.entriesAdded = this.entriesAdded;
    copy.maxDeletedId = this.maxDeletedId;
    copy.firstId = this.firstId;
    copy.changes = this.changes;
    for (const [name, group] of this.groups) copy.groups.set(name, group.clone());
    return copy;
  }

  digest(): number {
    let hash = fnv1aLatin1(fnvOffsetBasis, `${formatStreamId(this.lastId)}|${this.entriesAdded}|${formatStreamId(this.maxDeletedId)}|${formatStreamId(this.firstId)}`);
    for (let i = 0; i < this.entryCount; i++) {
      hash = mixSeed(hash, fnv1aLatin1(fnvOffsetBasis, formatStreamId(this.idAt(i))));
      for (const text of this.fieldsAt(i)) hash = mixSeed(hash, fnv1aLatin1(fnvOffsetBasis, text));
    }
    for (const group of this.groups.values()) hash = mixSeed(hash, group.digest());
    return hash >>> 0;
  }

  cursor(position: number): ElementCursor {
    // Each group's elements in order: (group, element number within it).
    const groupElements: [StreamGroup, number][] = [];
    for (const group of this.groups.values()) for (let k = 0; k < group.elementCount; k++) groupElements.push([group, k]);
    const entries = this.entryCount;
    let next = position;
    const length = this.length;
    return {
      get position() {
        return next;
      },
      get done() {
        return next >= length;
      },
      writeSome: (writer: ByteWriter, untilBytes: number): number => {
        const first = next;
        while (next < length && (next === first || writer.byteLength < untilBytes)) {
          if (next === 0) this.writeHeader(writer);
          else if (next <= entries) this.writeEntry(writer, next - 1);
          else {
            const [group, k] = groupElements[next - 1 - entries] as [StreamGroup, number];
            group.writeElement(writer, k);
          }
          next++;
        }
        return next - first;
      },
    };
  }

  private writeHeader(writer: ByteWriter): void {
    writer.latin1Bytes(formatStreamId(this.lastId));
    writer.varint(this.entriesAdded);
    writer.latin1Bytes(formatStreamId(this.maxDeletedId));
    writer.latin1Bytes(formatStreamId(this.firstId));
    writer.varint(this.nextNodeId);
    writer.varint(this.nodes.length);
    for (const node of this.nodes) {
      writer.varint(node.id);
      writer.varint(node.added);
      writer.varint(node.live);
      writer.latin1Bytes(formatStreamId(node.masterId));
      writer.varint(node.listpackBytes);
      writer.varint(node.masterFields.length);
      for (const name of node.masterFields) writer.latin1Bytes(name);
    }
    writer.varint(this.entryCount);
  }

  private writeEntry(writer: ByteWriter, index: number): void {
    const at = this.head + index;
    writer.latin1Bytes(formatStreamId(this.ids[at] as StreamId));
    writer.varint(this.nodeOf[at] as number);
    const entry = this.fields[at] as string[];
    writer.varint(entry.length);
    for (const text of entry) writer.latin1Bytes(text);
  }

  /**
   * Builds a stream from snapshot elements: the header, then entries, then groups.
   * `nodeSizes` false reads the first format (code 6), whose nodes carry no master ID, field
   * names or listpack size: they are worked out from each node's live entries.
   */
  static builder(nodeSizes: boolean): CollectionBuilder {
    const stream = new StreamValue();
    let entriesLeft = -1;
    /** The group whose pending entries are being read, and how many are still to come. */
    let reading: { group: StreamGroup; pending: number } | null = null;
    const readGroupElement = (reader: ByteReader): void => {
      if (reading !== null && reading.pending > 0) {
        reading.pending -= reading.group.readPending(reader);
        if (reading.pending < 0) throw new DecodeError('a group holds more pending entries than it said');
        return;
      }
      reading = StreamGroup.readHeader(reader);
      if (stream.groups.has(reading.group.name)) throw new DecodeError('duplicate group in a stream');
      stream.groups.set(reading.group.name, reading.group);
    };
    return {
      read(reader: ByteReader, count: number): void {
        for (let i = 0; i < count; i++) {
          if (entriesLeft < 0) entriesLeft = stream.readHeader(reader, nodeSizes);
          else if (entriesLeft > 0) {
            stream.readEntry(reader);
            entriesLeft--;
          } else readGroupElement(reader);
        }
      },
      finish: () => {
        if (entriesLeft !== 0) throw new DecodeError('stream snapshot ended before its entries');
        if (reading !== null && reading.pending !== 0) throw new DecodeError('stream snapshot ended before a group\'s pending entries');
        if (!nodeSizes) stream.sizeNodesFromEntries();
        return stream;
      },
    };
  }

  private readHeader(reader: ByteReader, nodeSizes: boolean): number {
    this.lastId = readStreamId(reader);
    this.entriesAdded = reader.varint();
    this.maxDeletedId = readStreamId(reader);
    this.firstId = readStreamId(reader);
    this.nextNodeId = reader.varint();
    const nodeCount = reader.varint();
    for (let i = 0; i < nodeCount; i++) {
      const counts = { id: reader.varint(), added: reader.varint(), live: reader.varint() };
      if (!nodeSizes) {
        this.nodes.push({ ...counts, masterId: 0n, masterFields: [], listpackBytes: 0 });
        continue;
      }
      const masterId = readStreamId(reader);
      const listpackBytes = reader.varint();
      const masterFields: string[] = [];
      for (let k = reader.varint(); k > 0; k--) masterFields.push(reader.bytes().toString('latin1'));
      this.nodes.push({ ...counts, masterId, masterFields, listpackBytes });
    }
    return reader.varint();
  }

  /** Nodes of the first snapshot format: each node's first live entry taken as its first, its live entries as all it holds. */
  private sizeNodesFromEntries(): void {
    const counted = new Map(this.nodes.map((node) => [node.id, node]));
    const sized = new Map<number, StreamNode>();
    for (let i = this.head; i < this.ids.length; i++) {
      const nodeId = this.nodeOf[i] as number;
      const id = this.ids[i] as StreamId;
      const entry = this.fields[i] as string[];
      let node = sized.get(nodeId);
      if (node === undefined) {
        const counts = counted.get(nodeId);
        if (counts === undefined) throw new DecodeError(`stream snapshot entry in unknown node ${nodeId}`);
        const masterFields = fieldNames(entry);
        node = { ...counts, masterId: id, masterFields, listpackBytes: nodeBaseBytes(masterFields) };
        sized.set(nodeId, node);
      }
      node.listpackBytes += entryBytes(id, entry, node.masterId, node.masterFields);
    }
    this.nodes = this.nodes.map((node) => {
      const found = sized.get(node.id);
      if (found === undefined) throw new DecodeError(`stream snapshot node ${node.id} holds no entry`);
      return found;
    });
  }

  private readEntry(reader: ByteReader): void {
    const id = readStreamId(reader);
    if (this.ids.length > 0 && id <= (this.ids[this.ids.length - 1] as StreamId)) throw new DecodeError('stream entries out of order');
    const node = reader.varint();
    const count = reader.varint();
    const entry: string[] = [];
    for (let i = 0; i < count; i++) entry.push(reader.bytes().toString('latin1'));
    this.ids.push(id);
    this.fields.push(entry);
    this.nodeOf.push(node);
    this.entryBytes += entryCost(entry);
  }
}

/** streamAppendItem's test: the tail node is full by bytes (counting the new entry's text) or by entries. */
function nodeFull(tail: StreamNode, entry: readonly string[], limits: StreamNodeLimits): boolean {
  const bytesMax = limits.bytes === 0 || limits.bytes > listpackBytesMax ? listpackBytesMax : limits.bytes;
  if (nodeBytes(tail) + entryTextBytes(entry) >= bytesMax) return true;
  return limits.entries > 0 && tail.added >= limits.entries;
}

function entryCost(entry: readonly string[]): number {
  let bytes = streamEntryOverheadBytes;
  for (const text of entry) bytes += text.length;
  return bytes;
}

/** Snapshots hold streams with their nodes' master IDs, field names and listpack sizes. */
export const streamCodec: CollectionCodec = { type: 'stream', code: 7, builder: () => StreamValue.builder(true) };
/** The first format, without them: still read (a snapshot an older build wrote). Code 6 is never written again. */
export const streamCodecWithoutNodeSizes: CollectionCodec = { type: 'stream', code: 6, builder: () => StreamValue.builder(false) };
