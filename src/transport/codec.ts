// Binary codec for the Raft messages of src/raft/types.ts. Layout of every message:
//   type u8 | from shortString | to shortString | term u64 | fields of the variant
// The hot pair (Append, AppendResponse) is encoded by computing the exact size first and
// writing every field and entry payload straight into one buffer, and Append entries are
// decoded as views of the received frame: no JSON, no per-entry copies, no concatenation.
import {
  EntryType,
  MessageType,
  assertNever,
  logIndex,
  nodeId,
  term,
} from '../raft/types.js';
import type { ConfState, Entry, Message, SnapshotMeta } from '../raft/types.js';
import {
  ByteReader,
  MalformedInputError,
  decodeWith,
  shortStringBytes,
  writeBytesWithLength,
  writeShortString,
  writeU64,
} from './bytes.js';
import type { DecodeResult } from './bytes.js';

/** Entries in one Append or Propose message; a sanity cap, far above any sane batch. */
export const MESSAGE_ENTRIES_MAX = 1_000_000;
/** Voters or learners in one ConfState (u16 count on the wire). */
export const CONF_STATE_NODES_MAX = 0xffff;

const ENTRY_FIXED_BYTES = 8 + 8 + 1 + 4; // term, index, type, data length
const BASE_FIXED_BYTES = 1 + 8; // type, term (from/to are variable)

function entriesBytes(entries: readonly Entry[]): number {
  if (entries.length > MESSAGE_ENTRIES_MAX) {
    throw new Error(`message carries ${entries.length} entries, limit ${MESSAGE_ENTRIES_MAX}`);
  }
  let size = 4;
  for (const entry of entries) size += ENTRY_FIXED_BYTES + entry.data.byteLength;
  return size;
}

function confStateBytes(conf: ConfState): number {
  if (conf.voters.length > CONF_STATE_NODES_MAX || conf.learners.length > CONF_STATE_NODES_MAX) {
    throw new Error(`conf state has ${conf.voters.length} voters and ${conf.learners.length} learners, limit ${CONF_STATE_NODES_MAX} each`);
  }
  let size = 2 + 2;
  for (const id of conf.voters) size += shortStringBytes(id);
  for (const id of conf.learners) size += shortStringBytes(id);
  return size;
}

/** Exact number of bytes encodeMessageInto will write for `msg`. */
export function messageEncodedBytes(msg: Message): number {
  const base = BASE_FIXED_BYTES + shortStringBytes(msg.from) + shortStringBytes(msg.to);
  switch (msg.type) {
    case MessageType.Append:
      return base + 8 + 8 + 8 + entriesBytes(msg.entries);
    case MessageType.AppendResponse:
      return base + 1 + 8 + 8 + 8;
    case MessageType.Vote:
    case MessageType.PreVote:
      return base + 8 + 8 + 1;
    case MessageType.VoteResponse:
    case MessageType.PreVoteResponse:
      return base + 1;
    case MessageType.Heartbeat:
      return base + 8 + 8;
    case MessageType.HeartbeatResponse:
      return base + 8;
    case MessageType.Snapshot:
      return base + 8 + 8 + confStateBytes(msg.snapshot.confState);
    case MessageType.Propose:
      return base + entriesBytes(msg.entries);
    case MessageType.ReadIndex:
      return base + 4 + msg.context.byteLength;
    case MessageType.ReadIndexResponse:
      return base + 4 + msg.context.byteLength + 8 + 8 + 1;
    case MessageType.TimeoutNow:
      return base;
    default:
      return assertNever(msg, 'message');
  }
}

function writeEntries(target: Buffer, offset: number, entries: readonly Entry[]): number {
  target.writeUInt32LE(entries.length, offset);
  let at = offset + 4;
  for (const entry of entries) {
    at = writeU64(target, at, entry.term);
    at = writeU64(target, at, entry.index);
    target[at] = entry.type;
    at = writeBytesWithLength(target, at + 1, entry.data);
  }
  return at;
}

function writeConfState(target: Buffer, offset: number, conf: ConfState): number {
  let at = target.writeUInt16LE(conf.voters.length, offset);
  for (const id of conf.voters) at = writeShortString(target, at, id);
  at = target.writeUInt16LE(conf.learners.length, at);
  for (const id of conf.learners) at = writeShortString(target, at, id);
  return at;
}

/**
 * Writes `msg` into `target` at `offset` and returns the offset just past it. The caller
 * sized `target` with messageEncodedBytes; a mismatch is a codec bug and crashes.
 */
export function encodeMessageInto(msg: Message, target: Buffer, offset: number): number {
  target[offset] = msg.type;
  let at = writeShortString(target, offset + 1, msg.from);
  at = writeShortString(target, at, msg.to);
  at = writeU64(target, at, msg.term);
  switch (msg.type) {
    case MessageType.Append:
      at = writeU64(target, at, msg.prevIndex);
      at = writeU64(target, at, msg.prevTerm);
      at = writeU64(target, at, msg.commit);
      return writeEntries(target, at, msg.entries);
    case MessageType.AppendResponse:
      target[at] = msg.reject ? 1 : 0;
      at = writeU64(target, at + 1, msg.index);
      at = writeU64(target, at, msg.hintTerm);
      return writeU64(target, at, msg.hintIndex);
    case MessageType.Vote:
    case MessageType.PreVote:
      at = writeU64(target, at, msg.lastIndex);
      at = writeU64(target, at, msg.lastTerm);
      target[at] = msg.transfer ? 1 : 0;
      return at + 1;
    case MessageType.VoteResponse:
    case MessageType.PreVoteResponse:
      target[at] = msg.reject ? 1 : 0;
      return at + 1;
    case MessageType.Heartbeat:
      at = writeU64(target, at, msg.commit);
      return writeU64(target, at, msg.readRound);
    case MessageType.HeartbeatResponse:
      return writeU64(target, at, msg.readRound);
    case MessageType.Snapshot:
      at = writeU64(target, at, msg.snapshot.index);
      at = writeU64(target, at, msg.snapshot.term);
      return writeConfState(target, at, msg.snapshot.confState);
    case MessageType.Propose:
      return writeEntries(target, at, msg.entries);
    case MessageType.ReadIndex:
      return writeBytesWithLength(target, at, msg.context);
    case MessageType.ReadIndexResponse:
      at = writeBytesWithLength(target, at, msg.context);
      at = writeU64(target, at, msg.index);
      at = target.writeDoubleLE(msg.clusterTime, at);
      target[at] = msg.reject ? 1 : 0;
      return at + 1;
    case MessageType.TimeoutNow:
      return at;
    default:
      return assertNever(msg, 'message');
  }
}

/** Encodes `msg` into a fresh buffer of exactly its size. */
export function encodeMessage(msg: Message): Buffer {
  const size = messageEncodedBytes(msg);
  const target = Buffer.allocUnsafe(size);
  const end = encodeMessageInto(msg, target, 0);
  if (end !== size) throw new Error(`codec wrote ${end} bytes for message type ${msg.type}, sized ${size}`);
  return target;
}

function readEntries(reader: ByteReader): Entry[] {
  const count = reader.u32('entry count');
  if (count > MESSAGE_ENTRIES_MAX) throw new MalformedInputError(`entry count ${count} exceeds ${MESSAGE_ENTRIES_MAX}`);
  // Each entry needs at least its fixed bytes: reject a lying count before allocating for it.
  if (count * ENTRY_FIXED_BYTES > reader.remaining()) {
    throw new MalformedInputError(`entry count ${count} cannot fit in ${reader.remaining()} bytes`);
  }
  const entries: Entry[] = new Array<Entry>(count);
  for (let i = 0; i < count; i++) {
    const entryTerm = term(reader.u64('entry term'));
    const index = logIndex(reader.u64('entry index'));
    const type = reader.u8('entry type');
    if (type !== EntryType.Normal && type !== EntryType.ConfChange) {
      throw new MalformedInputError(`unknown entry type ${type}`);
    }
    entries[i] = { term: entryTerm, index, type, data: reader.bytesWithLength('entry data') };
  }
  return entries;
}

function readNodeIds(reader: ByteReader, what: string): string[] {
  const count = reader.u16(`${what} count`);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(reader.shortString(what));
  return ids;
}

function readSnapshotMeta(reader: ByteReader): SnapshotMeta {
  const index = logIndex(reader.u64('snapshot index'));
  const snapshotTerm = term(reader.u64('snapshot term'));
  const voters = readNodeIds(reader, 'voter').map(nodeId);
  const learners = readNodeIds(reader, 'learner').map(nodeId);
  return { index, term: snapshotTerm, confState: { voters, learners } };
}

function readMessage(reader: ByteReader): Message {
  const type = reader.u8('message type');
  const from = nodeId(reader.shortString('from'));
  const to = nodeId(reader.shortString('to'));
  const msgTerm = term(reader.u64('term'));
  const base = { from, to, term: msgTerm };
  switch (type) {
    case MessageType.Append: {
      const prevIndex = logIndex(reader.u64('prevIndex'));
      const prevTerm = term(reader.u64('prevTerm'));
      const commit = logIndex(reader.u64('commit'));
      return { type, ...base, prevIndex, prevTerm, commit, entries: readEntries(reader) };
    }
    case MessageType.AppendResponse: {
      const reject = reader.bool('reject');
      const index = logIndex(reader.u64('index'));
      const hintTerm = term(reader.u64('hintTerm'));
      const hintIndex = logIndex(reader.u64('hintIndex'));
      return { type, ...base, reject, index, hintTerm, hintIndex };
    }
    case MessageType.Vote:
    case MessageType.PreVote: {
      const lastIndex = logIndex(reader.u64('lastIndex'));
      const lastTerm = term(reader.u64('lastTerm'));
      return { type, ...base, lastIndex, lastTerm, transfer: reader.bool('transfer') };
    }
    case MessageType.VoteResponse:
    case MessageType.PreVoteResponse:
      return { type, ...base, reject: reader.bool('reject') };
    case MessageType.Heartbeat: {
      const commit = logIndex(reader.u64('commit'));
      return { type, ...base, commit, readRound: reader.u64('readRound') };
    }
    case MessageType.HeartbeatResponse:
      return { type, ...base, readRound: reader.u64('readRound') };
    case MessageType.Snapshot:
      return { type, ...base, snapshot: readSnapshotMeta(reader) };
    case MessageType.Propose:
      return { type, ...base, entries: readEntries(reader) };
    case MessageType.ReadIndex:
      return { type, ...base, context: reader.bytesWithLength('context') };
    case MessageType.ReadIndexResponse: {
      const context = reader.bytesWithLength('context');
      const index = logIndex(reader.u64('index'));
      const clusterTime = reader.f64('clusterTime');
      return { type, ...base, context, index, clusterTime, reject: reader.bool('reject') };
    }
    case MessageType.TimeoutNow:
      return { type, ...base };
    default:
      throw new MalformedInputError(`unknown message type ${type}`);
  }
}

/**
 * Decodes one message. Byte fields (entry data, contexts) are views of `bytes`: the caller
 * hands over `bytes` and must not overwrite it afterwards.
 */
export function decodeMessage(bytes: Uint8Array): DecodeResult<Message> {
  return decodeWith(bytes, (reader) => {
    const msg = readMessage(reader);
    reader.end('message');
    return msg;
  });
}
