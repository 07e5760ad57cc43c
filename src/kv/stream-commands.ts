// Stream commands without consumer groups: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM,
// XREAD, XSETID. Semantics, argument order and error texts follow Redis 7.0 (t_stream.c);
// the type is stream-value.ts. Auto IDs come from the entry's cluster time, so every replica
// assigns the same ID. XREAD with BLOCK applied here never blocks: when nothing is there it
// answers a wait marker with the IDs it read from (`$` resolved at this entry), and the
// server (src/server/blocking.ts) waits and proposes the read again from those IDs.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, oneKey, parsedCommand, type CommandSpec } from './command-spec.js';
import { NotifyClass } from './keyspace-events.js';
import { isKeyword, parseInt64 } from './integer-parse.js';
import { CommandError, errorReply, integerReply, nilReply, notIntegerError, okReply, syntaxError, zeroReply, noSuchKeyError } from './replies.js';
import { defaultNodeLimits, StreamValue, streamNodeMaxEntriesDefault, type TrimSpec } from './stream-value.js';
import {
  msOf, nextStreamId, parseRangeBound, parseStreamId, parseStrictStreamId, seqOf, streamId, streamIdBytes, STREAM_ID_MAX, type StreamId,
} from './stream-id.js';

export const streamKind = { type: 'stream', create: StreamValue.create } as const;

const nullArrayReply: Reply = { kind: 'array', value: null };
const equalOrSmallerError = errorReply('ERR The ID specified in XADD is equal or smaller than the target stream top item');

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const bulkLatin1 = (text: string): Reply => ({ kind: 'bulk', value: Buffer.from(text, 'latin1') });

/** One entry as Redis replies it: [id, [field, value, ...]], or [id, nil] for one deleted meanwhile. */
export function entryReply(id: StreamId, fields: readonly string[] | null): Reply {
  return { kind: 'array', value: [{ kind: 'bulk', value: streamIdBytes(id) }, fields === null ? nullArrayReply : { kind: 'array', value: fields.map(bulkLatin1) }] };
}

/** Entries with start ≤ ID ≤ end, at most `count` (0 = all), in order or reversed. */
export function rangeOf(stream: StreamValue, start: StreamId, end: StreamId, count: number, reverse = false): { id: StreamId; fields: readonly string[] }[] {
  const out: { id: StreamId; fields: readonly string[] }[] = [];
  if (start > end) return out;
  const first = stream.lowerBound(start);
  const last = (end === STREAM_ID_MAX ? stream.entryCount : stream.lowerBound(end + 1n)) - 1;
  const take = (index: number): void => {
    out.push({ id: stream.idAt(index), fields: stream.fieldsAt(index) });
  };
  if (reverse) for (let i = last; i >= first && (count === 0 || out.length < count); i--) take(i);
  else for (let i = first; i <= last && (count === 0 || out.length < count); i++) take(i);
  return out;
}

export function entriesReply(entries: readonly { id: StreamId; fields: readonly string[] }[]): Reply {
  return { kind: 'array', value: entries.map((entry) => entryReply(entry.id, entry.fields)) };
}

/** A count argument: Redis's getLongLongFromObjectOrReply. */
export function parseCount(bytes: Uint8Array): bigint {
  const value = parseInt64(bytes);
  if (value === null) throw new CommandError(notIntegerError);
  return value;
}

/** Emits a stream event and tells blocked readers of the key (the server) that it may serve them. */
export function streamChanged(context: CommandContext, key: Uint8Array, event: string): void {
  context.events?.emit(NotifyClass.stream, event, key);
}

// ---- XADD and XTRIM options ----

interface AddOrTrim {
  readonly key: Uint8Array;
  readonly trim: TrimSpec | null;
  readonly noMakeStream: boolean;
  /** XADD: the ID (null for '*') and where the fields start. */
  readonly id: { readonly id: StreamId; readonly seqGiven: boolean } | null;
  readonly fieldsAt: number;
}

/** Redis's streamParseAddOrTrimArgsOrReply. `nodeMaxEntries` sets `~`'s default LIMIT, applied later. */
function parseAddOrTrim(argv: readonly Uint8Array[], xadd: boolean): AddOrTrim & { readonly limitGiven: boolean; readonly approxLimitDefault: boolean } {
  let strategy: 'maxlen' | 'minid' | null = null;
  let approximate = false;
  let threshold = 0n;
  let limit = 0;
  let limitGiven = false;
  let noMakeStream = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const word = arg(argv, i);
    if (xadd && isKeyword(word, 'nomkstream')) noMakeStream = true;
    else if (more >= 1 && (isKeyword(word, 'maxlen') || isKeyword(word, 'minid'))) {
      const next = isKeyword(word, 'maxlen') ? 'maxlen' : 'minid';
      if (strategy !== null && strategy !== next) throw new CommandError(errorReply('ERR syntax error, MAXLEN and MINID options at the same time are not compatible'));
      strategy = next;
      let value = arg(argv, ++i);
      if (more >= 2 && (latin1(value) === '~' || latin1(value) === '=')) {
        approximate = latin1(value) === '~';
        value = arg(argv, ++i);
      }
      if (next === 'maxlen') {
        threshold = parseCount(value);
        if (threshold < 0n) throw new CommandError(errorReply('ERR The MAXLEN argument must be >= 0.'));
      } else threshold = parseStrictStreamId(value);
    } else if (more >= 1 && isKeyword(word, 'limit')) {
      const value = parseCount(arg(argv, ++i));
      if (value < 0n) throw new CommandError(errorReply('ERR The LIMIT argument must be >= 0.'));
      limit = Number(value);
      limitGiven = true;
    } else if (xadd) break; // the ID
    else throw new CommandError(syntaxError);
  }
  if (limitGiven && strategy === null) throw new CommandError(errorReply('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy'));
  if (limitGiven && !approximate) throw new CommandError(errorReply('ERR syntax error, LIMIT cannot be used without the special ~ option'));
  if (!xadd && strategy === null) throw new CommandError(syntaxError);
  let id: AddOrTrim['id'] = null;
  if (xadd) {
    const fields = argv.length - i - 1;
    if (fields <= 0 || fields % 2 !== 0) throw new CommandError(errorReply("ERR wrong number of arguments for 'xadd' command"));
    const idArg = arg(argv, i);
    if (latin1(idArg) !== '*') {
      id = parseStreamId(idArg, 0n, true);
      if (id.seqGiven && id.id === 0n) throw new CommandError(errorReply('ERR The ID specified in XADD must be greater than 0-0'));
    }
  }
  const trim = strategy === null ? null : { strategy, approximate, threshold, limit };
  return { key: arg(argv, 1), trim, noMakeStream, id, fieldsAt: i + 1, limitGiven, approxLimitDefault: approximate && !limitGiven };
}

/** `~`'s default LIMIT: 100 nodes' worth, as Redis. */
function trimWithDefaults(parsed: ReturnType<typeof parseAddOrTrim>, context: CommandContext): TrimSpec | null {
  const trim = parsed.trim;
  if (trim === null || !parsed.approxLimitDefault) return trim;
  const nodeMax = context.streams?.nodeMaxEntries() ?? streamNodeMaxEntriesDefault;
  return { ...trim, limit: nodeMax > 0 ? 100 * nodeMax : 10_000 };
}

/** The ID XADD gives: from the entry's time for '*', the next sequence for 'ms-*', else the one given. */
function nextAddId(stream: StreamValue, given: AddOrTrim['id'], nowMs: number): StreamId {
  const last = stream.lastId;
  if (given === null) {
    const now = BigInt(Math.max(0, Math.floor(nowMs)));
    if (now > msOf(last)) return streamId(now, 0n);
    const next = nextStreamId(last);
    if (next === null) throw new CommandError(equalOrSmallerError);
    return next;
  }
  if (!given.seqGiven) {
    const ms = msOf(given.id);
    if (ms === msOf(last)) {
      if (seqOf(last) === (1n << 64n) - 1n) throw new CommandError(equalOrSmallerError);
      return streamId(ms, seqOf(last) + 1n);
    }
    if (ms < msOf(last)) throw new CommandError(equalOrSmallerError);
    return given.id;
  }
  if (given.id <= last) throw new CommandError(equalOrSmallerError);
  return given.id;
}

function xadd(context: CommandContext, parsed: ReturnType<typeof parseAddOrTrim>, argv: readonly Uint8Array[]): Reply {
  const existing = context.readCollection(parsed.key, streamKind);
  if (existing === undefined && parsed.noMakeStream) return nilReply;
  if (existing !== undefined && existing.lastId === STREAM_ID_MAX) {
    return errorReply('ERR The stream has exhausted the last possible ID, unable to add more items');
  }
  const stream = context.writeCollection(parsed.key, streamKind, true) as StreamValue;
  if (existing === undefined) context.events?.created(parsed.key);
  const id = nextAddId(stream, parsed.id, context.nowMs);
  const fields = argv.slice(parsed.fieldsAt).map(latin1);
  const limits = context.streams === null ? defaultNodeLimits : { entries: context.streams.nodeMaxEntries(), bytes: context.streams.nodeMaxBytes() };
  stream.append(id, fields, limits);
  streamChanged(context, parsed.key, 'xadd');
  context.keyspace.collectionChanged(parsed.key);
  const trim = trimWithDefaults(parsed, context);
  if (trim !== null && stream.trim(trim) > 0) streamChanged(context, parsed.key, 'xtrim');
  return { kind: 'bulk', value: streamIdBytes(id) };
}

function xtrim(context: CommandContext, parsed: ReturnType<typeof parseAddOrTrim>): Reply {
  if (context.readCollection(parsed.key, streamKind) === undefined) return zeroReply;
  const stream = context.writeCollection(parsed.key, streamKind, false) as StreamValue;
  const removed = stream.trim(trimWithDefaults(parsed, context) as TrimSpec);
  if (removed > 0) streamChanged(context, parsed.key, 'xtrim');
  return integerReply(removed);
}

// ---- reads ----

interface RangeRequest {
  readonly key: Uint8Array;
  readonly start: StreamId;
  readonly end: StreamId;
  /** -1 = no COUNT; 0 = COUNT 0. */
  readonly count: number;
}

function parseRange(argv: readonly Uint8Array[], reverse: boolean): RangeRequest {
  const start = parseRangeBound(arg(argv, reverse ? 3 : 2), 'start');
  const end = parseRangeBound(arg(argv, reverse ? 2 : 3), 'end');
  let count = -1;
  for (let i = 4; i < argv.length; i++) {
    if (isKeyword(arg(argv, i), 'count') && i + 1 < argv.length) {
      const value = parseCount(arg(argv, ++i));
      count = value < 0n ? 0 : Number(value > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : value);
    } else throw new CommandError(syntaxError);
  }
  return { key: arg(argv, 1), start, end, count };
}

function xrange(context: CommandContext, request: RangeRequest, reverse: boolean): Reply {
  const stream = context.readCollection(request.key, streamKind);
  if (stream === undefined) return { kind: 'array', value: [] };
  if (request.count === 0) return nullArrayReply;
  return entriesReply(rangeOf(stream, request.start, request.end, Math.max(0, request.count), reverse));
}

function xlen(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return integerReply(context.readCollection(arg(argv, 1), streamKind)?.entryCount ?? 0);
}

function xdel(context: CommandContext, ids: readonly StreamId[], key: Uint8Array): Reply {
  if (context.readCollection(key, streamKind) === undefined) return zeroReply;
  const stream = context.writeCollection(key, streamKind, false) as StreamValue;
  let deleted = 0;
  for (const id of ids) if (stream.delete(id)) deleted++;
  if (deleted > 0) streamChanged(context, key, 'xdel');
  return integerReply(deleted);
}

// ---- XREAD (and XREADGROUP's shared parse) ----

export interface ReadRequest {
  /** XREADGROUP's group and consumer; null for XREAD. */
  readonly group: { readonly name: string; readonly consumer: string } | null;
  /** 0 = no COUNT. */
  readonly count: number;
  /** BLOCK's timeout in ms, or null without BLOCK. */
  readonly blockMs: number | null;
  readonly noAck: boolean;
  readonly keys: readonly Uint8Array[];
  /** Per key: '$', '>' or an ID. */
  readonly ids: readonly (StreamId | '$' | '>')[];
  /** Where STREAMS' keys begin in argv (the server rewrites the IDs after them). */
  readonly streamsAt: number;
}

/** XREAD's and XREADGROUP's arguments, with Redis's error texts (xreadCommand). */
export function parseRead(argv: readonly Uint8Array[], withGroup: boolean): ReadRequest {
  let count = 0;
  let blockMs: number | null = null;
  let noAck = false;
  let group: ReadRequest['group'] = null;
  let streamsAt = -1;
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const word = arg(argv, i);
    if (isKeyword(word, 'block') && more >= 1) blockMs = parseBlockingTimeoutMs(arg(argv, ++i));
    else if (isKeyword(word, 'count') && more >= 1) {
      const value = parseCount(arg(argv, ++i));
      count = value < 0n ? 0 : Number(value > 1_000_000_000n ? 1_000_000_000n : value);
    } else if (isKeyword(word, 'streams') && more >= 1) {
      streamsAt = i + 1;
      break;
    } else if (isKeyword(word, 'group') && more >= 2) {
      if (!withGroup) throw new CommandError(errorReply('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.'));
      group = { name: latin1(arg(argv, i + 1)), consumer: latin1(arg(argv, i + 2)) };
      i += 2;
    } else if (isKeyword(word, 'noack')) {
      if (!withGroup) throw new CommandError(errorReply('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.'));
      noAck = true;
    } else throw new CommandError(syntaxError);
  }
  if (streamsAt < 0) throw new CommandError(syntaxError);
  const name = withGroup ? 'xreadgroup' : 'xread';
  if ((argv.length - streamsAt) % 2 !== 0) {
    throw new CommandError(errorReply(`ERR Unbalanced '${name}' list of streams: for each stream key an ID or '$' must be specified.`));
  }
  if (withGroup && group === null) throw new CommandError(errorReply('ERR Missing GROUP option for XREADGROUP'));
  const half = (argv.length - streamsAt) / 2;
  const keys = argv.slice(streamsAt, streamsAt + half);
  const ids = argv.slice(streamsAt + half).map((bytes): StreamId | '$' | '>' => {
    const text = latin1(bytes);
    if (text === '$') {
      if (withGroup) throw new CommandError(errorReply('ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.'));
      return '$';
    }
    if (text === '>') {
      if (!withGroup) throw new CommandError(errorReply('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.'));
      return '>';
    }
    return parseStrictStreamId(bytes);
  });
  return { group, count, blockMs, noAck, keys, ids, streamsAt };
}

/** BLOCK's milliseconds, read as Redis's getTimeoutFromObjectOrReply with UNIT_MILLISECONDS. */
function parseBlockingTimeoutMs(bytes: Uint8Array): number {
  const value = parseInt64(bytes);
  if (value === null) throw new CommandError(errorReply('ERR timeout is not an integer or out of range'));
  if (value < 0n) throw new CommandError(errorReply('ERR timeout is negative'));
  return Number(value);
}

/** The reply XREAD and XREADGROUP give a blocking caller when nothing is there: the IDs to wait from. */
export const WAIT_MARK = Buffer.from('raftis.stream-wait');

export function waitMarker(ids: readonly (StreamId | '>')[]): Reply {
  return { kind: 'push', value: [{ kind: 'bulk', value: WAIT_MARK }, ...ids.map((id) => ({ kind: 'bulk', value: id === '>' ? Buffer.from('>') : streamIdBytes(id) }) as Reply)] };
}

function xread(context: CommandContext, request: ReadRequest): Reply {
  const results: Reply[] = [];
  const resolved: StreamId[] = [];
  // Every key is looked up twice, as Redis does (its types are checked first, then each is
  // read): a missing key is reported twice (keymiss), as by Redis.
  for (const key of request.keys) context.readCollection(key, streamKind);
  request.keys.forEach((key, i) => {
    const stream = context.readCollection(key, streamKind);
    const given = request.ids[i] as StreamId | '$';
    const from = given === '$' ? stream?.lastId ?? 0n : given;
    resolved.push(from);
    if (stream === undefined || from === STREAM_ID_MAX) return;
    const entries = rangeOf(stream, from + 1n, STREAM_ID_MAX, request.count);
    if (entries.length > 0) results.push({ kind: 'array', value: [{ kind: 'bulk', value: key }, entriesReply(entries)] });
  });
  if (results.length > 0) return { kind: 'array', value: results };
  return request.blockMs === null ? nullArrayReply : waitMarker(resolved);
}

// ---- XSETID ----

interface SetIdRequest {
  readonly key: Uint8Array;
  readonly id: StreamId;
  readonly entriesAdded: number | null;
  readonly maxDeletedId: StreamId | null;
}

function parseSetId(argv: readonly Uint8Array[]): SetIdRequest {
  const id = parseStrictStreamId(arg(argv, 2));
  if (argv.length === 3) return { key: arg(argv, 1), id, entriesAdded: null, maxDeletedId: null };
  let entriesAdded: number | null = null;
  let maxDeletedId: StreamId | null = null;
  for (let i = 3; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    if (isKeyword(arg(argv, i), 'entriesadded') && more >= 1) {
      const value = parseCount(arg(argv, ++i));
      if (value < 0n) throw new CommandError(errorReply('ERR entries_added must be positive'));
      entriesAdded = Number(value);
    } else if (isKeyword(arg(argv, i), 'maxdeletedid') && more >= 1) {
      maxDeletedId = parseStrictStreamId(arg(argv, ++i));
      if (id < maxDeletedId) throw new CommandError(errorReply('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id'));
    } else throw new CommandError(syntaxError);
  }
  return { key: arg(argv, 1), id, entriesAdded, maxDeletedId };
}

function xsetid(context: CommandContext, request: SetIdRequest): Reply {
  if (context.readCollection(request.key, streamKind) === undefined) return noSuchKeyError;
  const stream = context.writeCollection(request.key, streamKind, false) as StreamValue;
  if (request.entriesAdded !== null && stream.entryCount > request.entriesAdded) {
    return errorReply('ERR The entries_added specified in XSETID is smaller than the target stream length');
  }
  if (stream.entryCount > 0 && request.id < stream.idAt(stream.entryCount - 1)) {
    return errorReply('ERR The ID specified in XSETID is smaller than the target stream top item');
  }
  stream.lastId = request.id;
  if (request.entriesAdded !== null) stream.entriesAdded = request.entriesAdded;
  if (request.maxDeletedId !== null) stream.maxDeletedId = request.maxDeletedId;
  stream.touched();
  streamChanged(context, request.key, 'xsetid');
  return okReply;
}

function parseIds(argv: readonly Uint8Array[], from: number): StreamId[] {
  return argv.slice(from).map((bytes) => parseStrictStreamId(bytes));
}

export const streamCommands: readonly CommandSpec[] = [
  parsedCommand('xadd', -5, ['write', 'denyoom', 'fast'], oneKey, (argv) => ({ parsed: parseAddOrTrim(argv, true), argv }), (context, { parsed, argv }) => xadd(context, parsed, argv)),
  parsedCommand('xtrim', -4, ['write'], oneKey, (argv) => parseAddOrTrim(argv, false), xtrim),
  parsedCommand('xlen', 2, ['readonly', 'fast'], oneKey, (argv) => argv, xlen),
  parsedCommand('xrange', -4, ['readonly'], oneKey, (argv) => parseRange(argv, false), (context, request) => xrange(context, request, false)),
  parsedCommand('xrevrange', -4, ['readonly'], oneKey, (argv) => parseRange(argv, true), (context, request) => xrange(context, request, true)),
  parsedCommand('xdel', -3, ['write', 'fast'], oneKey, (argv) => ({ key: arg(argv, 1), ids: parseIds(argv, 2) }), (context, { key, ids }) => xdel(context, ids, key)),
  parsedCommand('xread', -4, ['readonly', 'blocking', 'movablekeys'], [0, 0, 0], (argv) => parseRead(argv, false), xread),
  parsedCommand('xsetid', -3, ['write', 'denyoom', 'fast'], oneKey, parseSetId, xsetid),
];

/**
 * A blocking read's reply where it cannot block (inside MULTI or a script): the wait marker
 * becomes the nil Redis answers there; any other reply stays.
 */
export function withoutWaitMarker(reply: Reply): Reply {
  if (reply.kind !== 'push') return reply;
  const mark = reply.value[0];
  return mark?.kind === 'bulk' && mark.value !== null && WAIT_MARK.equals(mark.value) ? nullArrayReply : reply;
}
