// A stream in Redis's RDB encoding (rdb.c, t_stream.c), as DUMP and RESTORE exchange it with
// Redis 7.0: RDB_TYPE_STREAM_LISTPACKS_2 is written; it and the older and newer forms
// (LISTPACKS without the 7.0 counters, LISTPACKS_3 with consumers' active time) are read.
//
//   nodes: count, then per node its master ID (16 bytes, ms and seq big-endian) and a listpack
//   length, last ID (ms, seq), first ID, max deleted ID, entries added
//   groups: count, then per group: name, last ID, entries read, its PEL (count, then per entry
//   the 16-byte ID, delivery time as 8 bytes little-endian, delivery count), its consumers
//   (count, then per consumer: name, seen time, [active time], its PEL as bare IDs)
//
// A node's listpack: the master entry (live count, deleted count, the master fields, 0), then
// per entry: flags, ID as differences from the master ID, [field count and fields unless the
// entry has the master's fields], values, and the count of listpack elements before it.
// raftis keeps no deleted entries inside its nodes, so it writes only live ones (deleted
// count 0) under the node's own master ID and field names; reading, it keeps each node's
// count of entries ever added and its listpack's size, which decide when the next node opens.

import { DecodeError } from '../binary.js';
import { StreamGroup, type Consumer } from '../stream-group.js';
import { STREAM_ID_MAX, msOf, seqOf, streamId, type StreamId } from '../stream-id.js';
import { estimateEntriesRead } from '../stream-group-commands.js';
import { StreamValue, type RestoredStreamNode } from '../stream-value.js';
import { countBytes, entryTextBytes, fieldNames, hasMasterFields } from '../stream-node-size.js';
import type { RdbReader, RdbWriter } from './encoding.js';
import { listpackElements } from './listpack.js';
import { ListpackWriter } from './listpack-writer.js';

/** The stream types of rdb.h. */
export const streamRdbType = { listpacks: 15, listpacks2: 19, listpacks3: 21 } as const;
type StreamRdbType = (typeof streamRdbType)[keyof typeof streamRdbType];

const flagDeleted = 1;
const flagSameFields = 2;
const idBytes = 16;
const partMask = (1n << 64n) - 1n;
/** STREAM_LISTPACK_MAX_SIZE: a node's listpack never grows past it (a raftis node that would is written as several). */
const listpackBytesMax = 1 << 30;

function idBuffer(id: StreamId): Buffer {
  const buffer = Buffer.allocUnsafe(idBytes);
  buffer.writeBigUInt64BE(msOf(id), 0);
  buffer.writeBigUInt64BE(seqOf(id), 8);
  return buffer;
}

function idOfBuffer(buffer: Buffer): StreamId {
  if (buffer.length !== idBytes) throw new DecodeError(`rdb: a stream ID of ${buffer.length} bytes`);
  return streamId(buffer.readBigUInt64BE(0), buffer.readBigUInt64BE(8));
}

/** A part difference as lpAppendInteger stores it: the unsigned difference read as a signed 64-bit integer. */
function difference(part: bigint, master: bigint): bigint {
  return BigInt.asIntN(64, part - master);
}

const byName = (a: { readonly name: string }, b: { readonly name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

// ---- writing ------------------------------------------------------------------------------

/** The entries [start, end) of one listpack, under its master ID and field names. */
interface ListpackRange {
  readonly start: number;
  readonly end: number;
  readonly master: StreamId;
  readonly masterFields: readonly string[];
}

/** One listpack of a node's live entries: the master entry and the entries. */
function nodeListpack(stream: StreamValue, { start, end, master, masterFields }: ListpackRange): Buffer {
  const lp = new ListpackWriter();
  lp.integer(end - start);
  lp.integer(0);
  lp.integer(masterFields.length);
  for (const name of masterFields) lp.string(name);
  lp.integer(0);
  for (let i = start; i < end; i++) {
    const id = stream.idAt(i);
    const fields = stream.fieldsAt(i);
    const same = hasMasterFields(fields, masterFields);
    lp.integer(same ? flagSameFields : 0);
    lp.integer(difference(msOf(id), msOf(master)));
    lp.integer(difference(seqOf(id), seqOf(master)));
    if (!same) lp.integer(fields.length / 2);
    fields.forEach((text, k) => {
      if (!same || k % 2 === 1) lp.string(text);
    });
    // lp-count: the entry's elements before it (3 fixed, the values, and unless same fields the names and their count).
    lp.integer(3 + fields.length / 2 + (same ? 0 : fields.length / 2 + 1));
  }
  return lp.finish();
}

/**
 * The entries of each raftis node, cut where a listpack would pass Redis's maximum (only a
 * node read from a payload with no node limit can hold that much): a cut's listpack takes
 * its first entry as master.
 */
function listpackRanges(stream: StreamValue): ListpackRange[] {
  const ranges: ListpackRange[] = [];
  for (const run of stream.nodeRuns()) {
    let range: ListpackRange = { start: run.start, end: run.end, master: run.masterId, masterFields: run.masterFields };
    let bytes = 0;
    for (let i = run.start; i < run.end; i++) {
      const entryBytes = entryTextBytes(stream.fieldsAt(i)) + 16 * stream.fieldsAt(i).length + 64;
      if (i > range.start && bytes + entryBytes >= listpackBytesMax) {
        ranges.push({ ...range, end: i });
        range = { start: i, end: run.end, master: stream.idAt(i), masterFields: fieldNames(stream.fieldsAt(i)) };
        bytes = 0;
      }
      bytes += entryBytes;
    }
    if (run.end > range.start) ranges.push(range);
  }
  return ranges;
}

function writeId(id: StreamId, writer: RdbWriter): void {
  writer.bigLength(msOf(id));
  writer.bigLength(seqOf(id));
}

function writeGroup(group: StreamGroup, writer: RdbWriter): void {
  writer.text(group.name);
  writeId(group.lastId, writer);
  // SCG_INVALID_ENTRIES_READ (-1) is written as the unsigned length it casts to.
  writer.bigLength(BigInt.asUintN(64, BigInt(group.entriesRead)));
  const pending = group.pendingRange(0n, STREAM_ID_MAX, 0);
  writer.length(pending.length);
  for (const entry of pending) {
    writer.bytes.raw(idBuffer(entry.id));
    writer.millisecondTime(entry.deliveryTime);
    writer.length(entry.deliveryCount);
  }
  const consumers = [...group.consumers.values()].sort(byName);
  writer.length(consumers.length);
  for (const consumer of consumers) {
    writer.text(consumer.name);
    writer.millisecondTime(consumer.seenTime);
    const ids = [...consumer.pending].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    writer.length(ids.length);
    for (const id of ids) writer.bytes.raw(idBuffer(id));
  }
}

/** The body of RDB_TYPE_STREAM_LISTPACKS_2 (the type byte is the caller's). */
export function writeStream(stream: StreamValue, writer: RdbWriter): void {
  const ranges = listpackRanges(stream);
  writer.length(ranges.length);
  for (const range of ranges) {
    writer.blob(idBuffer(range.master));
    writer.blob(nodeListpack(stream, range));
  }
  writer.length(stream.entryCount);
  writeId(stream.lastId, writer);
  writeId(stream.firstId, writer);
  writeId(stream.maxDeletedId, writer);
  writer.length(stream.entriesAdded);
  const groups = [...stream.groups.values()].sort(byName);
  writer.length(groups.length);
  for (const group of groups) writeGroup(group, writer);
}

// ---- reading ------------------------------------------------------------------------------

/** A listpack element that must be an integer. */
function integerOf(text: string | undefined, what: string): bigint {
  if (text === undefined || !/^-?[0-9]{1,20}$/.test(text)) throw new DecodeError(`rdb: stream listpack ${what} is not an integer`);
  return BigInt(text);
}

/** The elements of a listpack, read front to back. */
class Elements {
  private at = 0;
  constructor(private readonly elements: readonly string[]) {}
  get done(): boolean {
    return this.at >= this.elements.length;
  }
  text(what: string): string {
    const text = this.elements[this.at++];
    if (text === undefined) throw new DecodeError(`rdb: stream listpack ends before its ${what}`);
    return text;
  }
  integer(what: string): bigint {
    return integerOf(this.text(what), what);
  }
  count(what: string): number {
    const value = this.integer(what);
    if (value < 0n || value > BigInt(this.elements.length)) throw new DecodeError(`rdb: stream listpack ${what} ${value} out of range`);
    return Number(value);
  }
}

/** One node: its listpack's live entries, IDs relative to the node key's master ID. */
function readNode(master: StreamId, blob: Buffer): RestoredStreamNode {
  const lp = new Elements(listpackElements(blob));
  const live = lp.count('count');
  const deleted = lp.count('deleted count');
  const masterFields: string[] = [];
  for (let n = lp.count('master field count'); n > 0; n--) masterFields.push(lp.text('master field'));
  if (lp.integer('master terminator') !== 0n) throw new DecodeError('rdb: stream master entry not terminated');
  const entries: { id: StreamId; fields: string[] }[] = [];
  let seen = 0;
  while (!lp.done) {
    const flags = Number(lp.integer('flags'));
    const ms = (msOf(master) + lp.integer('ID')) & partMask;
    const seq = (seqOf(master) + lp.integer('ID')) & partMask;
    const same = (flags & flagSameFields) !== 0;
    const count = same ? masterFields.length : lp.count('field count');
    const fields: string[] = [];
    for (let k = 0; k < count; k++) fields.push(same ? (masterFields[k] as string) : lp.text('field'), lp.text('value'));
    if (lp.integer('lp-count') !== BigInt(3 + count + (same ? 0 : count + 1))) throw new DecodeError('rdb: stream entry lp-count does not match');
    seen++;
    if ((flags & flagDeleted) === 0) entries.push({ id: streamId(ms, seq), fields });
  }
  if (entries.length !== live || seen - entries.length !== deleted) throw new DecodeError('rdb: stream listpack counts do not match its entries');
  return { added: seen, entries, masterId: master, masterFields, listpackBytes: blob.length - countBytes(live, deleted) };
}

function readId(reader: RdbReader): StreamId {
  const ms = reader.bigLength();
  const seq = reader.bigLength();
  if (ms > partMask || seq > partMask) throw new DecodeError('rdb: stream ID part out of range');
  return streamId(ms, seq);
}

function countOf(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError(`rdb: stream ${what} ${value} out of range`);
  return Number(value);
}

/** A group's PEL, its consumers and their PELs; every pending entry must have exactly one consumer. */
function readGroup(reader: RdbReader, stream: StreamValue, type: StreamRdbType): StreamGroup {
  const name = reader.text();
  const lastId = readId(reader);
  const entriesRead = type === streamRdbType.listpacks ? estimateEntriesRead(stream, lastId) : Number(BigInt.asIntN(64, reader.bigLength()));
  if (stream.groups.has(name)) throw new DecodeError('rdb: duplicate consumer group');
  const group = new StreamGroup(name, lastId, entriesRead);
  const pel = new Map<StreamId, { readonly time: number; readonly count: number; owner: Consumer | null }>();
  for (let n = reader.length(); n > 0; n--) {
    const id = idOfBuffer(reader.raw(idBytes));
    if (pel.has(id)) throw new DecodeError('rdb: duplicate PEL entry');
    pel.set(id, { time: reader.millisecondTime(), count: reader.length(), owner: null });
  }
  for (let n = reader.length(); n > 0; n--) {
    const consumerName = reader.text();
    if (group.consumers.has(consumerName)) throw new DecodeError('rdb: duplicate consumer');
    const { consumer } = group.consumer(consumerName, reader.millisecondTime());
    if (type === streamRdbType.listpacks3) reader.millisecondTime();
    for (let k = reader.length(); k > 0; k--) {
      const pending = pel.get(idOfBuffer(reader.raw(idBytes)));
      if (pending === undefined || pending.owner !== null) throw new DecodeError('rdb: consumer PEL entry not in the group PEL once');
      pending.owner = consumer;
    }
  }
  for (const id of [...pel.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const { time, count, owner } = pel.get(id) as { time: number; count: number; owner: Consumer | null };
    if (owner === null) throw new DecodeError('rdb: PEL entry without a consumer');
    group.deliver(id, owner, time, false).deliveryCount = count;
  }
  return group;
}

/** A stream of any of the RDB stream types, from after its type byte. */
export function readStream(reader: RdbReader, type: StreamRdbType): StreamValue {
  const nodes: RestoredStreamNode[] = [];
  for (let n = reader.length(); n > 0; n--) {
    const master = idOfBuffer(reader.string());
    const node = readNode(master, reader.string());
    if (node.added === 0) throw new DecodeError('rdb: empty listpack inside a stream');
    nodes.push(node);
  }
  const length = countOf(reader.bigLength(), 'length');
  const lastId = readId(reader);
  const live = nodes.reduce((sum, node) => sum + node.entries.length, 0);
  if (length !== live) throw new DecodeError('rdb: stream length does not match its entries');
  const first = nodes.find((node) => node.entries.length > 0)?.entries[0]?.id ?? 0n;
  const counters = type === streamRdbType.listpacks
    ? { lastId, firstId: first, maxDeletedId: 0n, entriesAdded: length }
    : { lastId, firstId: readId(reader), maxDeletedId: readId(reader), entriesAdded: countOf(reader.bigLength(), 'entries added') };
  const stream = StreamValue.fromNodes(nodes, counters);
  for (let n = reader.length(); n > 0; n--) {
    const group = readGroup(reader, stream, type);
    stream.groups.set(group.name, group);
  }
  return stream;
}
