// Consumer-group commands: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, as Redis
// 7.0 (t_stream.c). Every change to a group (deliveries, claims, acknowledgements) is a log
// entry, so pending lists, delivery counts and delivery times (the entry's cluster time) are
// the same on every replica. XREADGROUP with BLOCK applied here never blocks: with nothing
// new it answers the wait marker and the server waits (src/server/blocking.ts).

import type { ErrorReply, Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, oneKey, parsedCommand, type CommandSpec } from './command-spec.js';
import { isKeyword } from './integer-parse.js';
import { CommandError, errorReply, integerReply, nilReply, okReply, syntaxError, zeroReply, oneReply } from './replies.js';
import { StreamValue } from './stream-value.js';
import { StreamGroup, type PendingEntry } from './stream-group.js';
import { parseStreamId, parseStrictStreamId, streamIdBytes, STREAM_ID_MAX, type StreamId } from './stream-id.js';
import { entryReply, parseCount, parseRead, rangeOf, streamChanged, streamKind, waitMarker, type ReadRequest } from './stream-commands.js';

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const bulkLatin1 = (text: string): Reply => ({ kind: 'bulk', value: Buffer.from(text, 'latin1') });
const idReply = (id: StreamId): Reply => ({ kind: 'bulk', value: streamIdBytes(id) });
const nullArrayReply: Reply = { kind: 'array', value: null };
/** Redis's SCG_INVALID_ENTRIES_READ. */
const ENTRIES_READ_UNKNOWN = -1;

// ---- Redis's read counters (lag) ----

/** streamRangeHasTombstones: might a deleted entry lie in [start, end]? */
function hasTombstones(stream: StreamValue, start: StreamId): boolean {
  if (stream.entryCount === 0 || stream.maxDeletedId === 0n) return false;
  return start <= stream.maxDeletedId;
}

/** streamEstimateDistanceFromFirstEverEntry: the read counter of `id`, or -1 when it cannot be known. */
export function estimateEntriesRead(stream: StreamValue, id: StreamId): number {
  if (stream.entriesAdded === 0) return 0;
  if (stream.entryCount === 0 && id <= stream.lastId) return stream.entriesAdded;
  if (id === stream.lastId) return stream.entriesAdded;
  if (id > stream.lastId) return ENTRIES_READ_UNKNOWN;
  if (stream.maxDeletedId === 0n || stream.maxDeletedId < stream.firstId) {
    if (id < stream.firstId) return stream.entriesAdded - stream.entryCount;
    if (id === stream.firstId) return stream.entriesAdded - stream.entryCount + 1;
  }
  return ENTRIES_READ_UNKNOWN;
}

/** The group's lag (XINFO GROUPS), or null when it cannot be known. */
export function groupLag(stream: StreamValue, group: StreamGroup): number | null {
  if (stream.entriesAdded === 0) return 0;
  if (group.entriesRead !== ENTRIES_READ_UNKNOWN && !hasTombstones(stream, group.lastId)) return stream.entriesAdded - group.entriesRead;
  const read = estimateEntriesRead(stream, group.lastId);
  return read === ENTRIES_READ_UNKNOWN ? null : stream.entriesAdded - read;
}

// ---- lookups ----

function noGroupError(key: Uint8Array, group: string): ErrorReply {
  return errorReply(`NOGROUP No such key '${latin1(key)}' or consumer group '${group}'`);
}

/** The stream and group for writing, or undefined for either missing. */
function writableGroup(context: CommandContext, key: Uint8Array, name: string): { stream: StreamValue; group: StreamGroup } | undefined {
  // Redis reads the key first (lookupKeyRead): a missing one is reported (keymiss).
  const found = context.readSource(key, streamKind);
  if (found === undefined || !found.groups.has(name)) return undefined;
  const stream = context.writeCollection(key, streamKind, false) as StreamValue;
  return { stream, group: stream.groups.get(name) as StreamGroup };
}

/** The named consumer, created (and reported) when new. */
function consumerOf(context: CommandContext, key: Uint8Array, stream: StreamValue, group: StreamGroup, name: string): ReturnType<StreamGroup['consumer']>['consumer'] {
  const { consumer, created } = group.consumer(name, context.nowMs);
  if (created) {
    stream.touched();
    streamChanged(context, key, 'xgroup-createconsumer');
  }
  return consumer;
}

// ---- XREADGROUP ----

/** Delivers entries after the group's last ID: each becomes pending for the consumer (unless NOACK). */
function readNew(context: CommandContext, stream: StreamValue, group: StreamGroup, consumer: ReturnType<typeof consumerOf>, request: ReadRequest): Reply[] {
  const entries = rangeOf(stream, group.lastId === STREAM_ID_MAX ? STREAM_ID_MAX : group.lastId + 1n, STREAM_ID_MAX, request.count);
  if (group.lastId === STREAM_ID_MAX) entries.length = 0;
  for (const entry of entries) {
    if (group.entriesRead !== ENTRIES_READ_UNKNOWN && !hasTombstones(stream, entry.id)) group.entriesRead++;
    else if (stream.entriesAdded > 0) group.entriesRead = estimateEntriesRead(stream, entry.id);
    group.lastId = entry.id;
    if (!request.noAck) group.deliver(entry.id, consumer, context.nowMs);
  }
  if (entries.length > 0) stream.touched();
  return entries.map((entry) => entryReply(entry.id, entry.fields));
}

/** The consumer's own pending entries after `from` (history): deleted entries come back with a nil body. */
function readHistory(stream: StreamValue, group: StreamGroup, consumer: string, from: StreamId, count: number): Reply[] {
  const start = from === STREAM_ID_MAX ? STREAM_ID_MAX : from + 1n;
  return group.pendingRange(start, STREAM_ID_MAX, count, consumer).map((pending) => {
    const index = stream.indexOf(pending.id);
    return entryReply(pending.id, index < 0 ? null : stream.fieldsAt(index));
  });
}

function xreadgroup(context: CommandContext, request: ReadRequest): Reply {
  const { name, consumer: consumerName } = request.group as { name: string; consumer: string };
  // Every key and group is checked before anything is delivered, as Redis does.
  for (const key of request.keys) {
    if (context.readSource(key, streamKind)?.groups.has(name) !== true) {
      throw new CommandError(errorReply(`NOGROUP No such key '${latin1(key)}' or consumer group '${name}' in XREADGROUP with GROUP option`));
    }
  }
  const results: Reply[] = [];
  request.keys.forEach((key, i) => {
    const { stream, group } = writableGroup(context, key, name) as { stream: StreamValue; group: StreamGroup };
    const consumer = consumerOf(context, key, stream, group, consumerName);
    consumer.seenTime = context.nowMs;
    const id = request.ids[i] as StreamId | '>';
    if (id === '>') {
      const entries = readNew(context, stream, group, consumer, request);
      if (entries.length > 0) results.push({ kind: 'array', value: [{ kind: 'bulk', value: key }, { kind: 'array', value: entries }] });
    } else results.push({ kind: 'array', value: [{ kind: 'bulk', value: key }, { kind: 'array', value: readHistory(stream, group, consumerName, id, request.count) }] });
  });
  if (results.length > 0) return { kind: 'array', value: results };
  return request.blockMs === null ? nullArrayReply : waitMarker(request.ids as ('>' | StreamId)[]);
}

// ---- XACK ----

function xack(context: CommandContext, { key, group: name, ids }: { key: Uint8Array; group: string; ids: StreamId[] }): Reply {
  const found = writableGroup(context, key, name);
  if (found === undefined) return zeroReply;
  let acknowledged = 0;
  for (const id of ids) if (found.group.acknowledge(id)) acknowledged++;
  if (acknowledged > 0) found.stream.touched();
  return integerReply(acknowledged);
}

// ---- XPENDING ----

interface PendingRequest {
  readonly key: Uint8Array;
  readonly group: string;
  /** null: the summary form. */
  readonly range: { readonly minIdleMs: number; readonly start: StreamId; readonly end: StreamId; readonly count: number; readonly consumer: string | undefined } | null;
}

function parsePending(argv: readonly Uint8Array[]): PendingRequest {
  const key = arg(argv, 1);
  const group = latin1(arg(argv, 2));
  if (argv.length === 3) return { key, group, range: null };
  let at = 3;
  let minIdleMs = 0;
  if (isKeyword(arg(argv, 3), 'idle')) {
    if (argv.length < 6) throw new CommandError(syntaxError);
    const idle = parseCount(arg(argv, 4));
    minIdleMs = Number(idle < 0n ? 0n : idle);
    at = 5;
  }
  if (argv.length - at < 3 || argv.length - at > 4) throw new CommandError(syntaxError);
  const start = parseStrictStreamOrBound(arg(argv, at), 'start');
  const end = parseStrictStreamOrBound(arg(argv, at + 1), 'end');
  const count = parseCount(arg(argv, at + 2));
  const consumer = argv.length - at === 4 ? latin1(arg(argv, at + 3)) : undefined;
  return { key, group, range: { minIdleMs, start, end, count: count < 0n ? 0 : Number(count > 1_000_000_000n ? 1_000_000_000n : count), consumer } };
}

/** XPENDING's bounds: '-', '+', an ID, or '(' exclusive. */
function parseStrictStreamOrBound(bytes: Uint8Array, side: 'start' | 'end'): StreamId {
  const text = latin1(bytes);
  if (text === '-') return 0n;
  if (text === '+') return STREAM_ID_MAX;
  const exclusive = text.startsWith('(');
  const id = parseStrictStreamId(exclusive ? bytes.subarray(1) : bytes, side === 'start' ? 0n : (1n << 64n) - 1n);
  if (!exclusive) return id;
  if (side === 'start') {
    if (id === STREAM_ID_MAX) throw new CommandError(errorReply('ERR invalid start ID for the interval'));
    return id + 1n;
  }
  if (id === 0n) throw new CommandError(errorReply('ERR invalid end ID for the interval'));
  return id - 1n;
}

function xpending(context: CommandContext, request: PendingRequest): Reply {
  const stream = context.readCollection(request.key, streamKind);
  const group = stream?.groups.get(request.group);
  if (group === undefined) return noGroupError(request.key, request.group);
  const range = request.range;
  if (range === null) return pendingSummary(group);
  if (range.count === 0) return { kind: 'array', value: [] };
  const rows: Reply[] = [];
  for (const pending of group.pendingRange(range.start, range.end, 0, range.consumer)) {
    if (rows.length >= range.count) break;
    const idle = Math.max(0, context.nowMs - pending.deliveryTime);
    if (idle < range.minIdleMs) continue;
    rows.push({ kind: 'array', value: [idReply(pending.id), bulkLatin1(pending.consumer), integerReply(idle), integerReply(pending.deliveryCount)] });
  }
  return { kind: 'array', value: rows };
}

function pendingSummary(group: StreamGroup): Reply {
  const all = group.pendingRange(0n, STREAM_ID_MAX, 0);
  const first = all[0];
  const last = all[all.length - 1];
  if (first === undefined || last === undefined) return { kind: 'array', value: [zeroReply, nilReply, nilReply, nullArrayReply] };
  const perConsumer = new Map<string, number>();
  for (const pending of all) perConsumer.set(pending.consumer, (perConsumer.get(pending.consumer) ?? 0) + 1);
  const consumers = [...perConsumer].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, count]): Reply => ({ kind: 'array', value: [bulkLatin1(name), bulkLatin1(String(count))] }));
  return { kind: 'array', value: [integerReply(all.length), idReply(first.id), idReply(last.id), { kind: 'array', value: consumers }] };
}

// ---- XCLAIM and XAUTOCLAIM ----

interface ClaimOptions {
  readonly idleMs: number | null;
  readonly timeMs: number | null;
  readonly retryCount: number | null;
  readonly force: boolean;
  readonly justId: boolean;
  readonly lastId: StreamId | null;
}

interface ClaimRequest {
  readonly key: Uint8Array;
  readonly group: string;
  readonly consumer: string;
  readonly minIdleMs: number;
  readonly ids: readonly StreamId[];
  readonly options: ClaimOptions;
}

function nonNegative(bytes: Uint8Array, what: string): number {
  const value = parseCount(bytes);
  if (value < 0n) throw new CommandError(errorReply(`ERR Invalid ${what} argument for XCLAIM`));
  return Number(value);
}

function parseClaim(argv: readonly Uint8Array[]): ClaimRequest {
  const minIdle = parseCount(arg(argv, 4));
  const ids: StreamId[] = [];
  let i = 5;
  for (; i < argv.length; i++) {
    try {
      ids.push(parseStrictStreamId(arg(argv, i)));
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      break;
    }
  }
  let idleMs: number | null = null;
  let timeMs: number | null = null;
  let retryCount: number | null = null;
  let force = false;
  let justId = false;
  let lastId: StreamId | null = null;
  for (; i < argv.length; i++) {
    const word = arg(argv, i);
    const more = argv.length - 1 - i;
    if (isKeyword(word, 'force')) force = true;
    else if (isKeyword(word, 'justid')) justId = true;
    else if (isKeyword(word, 'idle') && more >= 1) idleMs = nonNegative(arg(argv, ++i), 'IDLE');
    else if (isKeyword(word, 'time') && more >= 1) timeMs = nonNegative(arg(argv, ++i), 'TIME');
    else if (isKeyword(word, 'retrycount') && more >= 1) retryCount = nonNegative(arg(argv, ++i), 'RETRYCOUNT');
    else if (isKeyword(word, 'lastid') && more >= 1) lastId = parseStrictStreamId(arg(argv, ++i));
    else throw new CommandError(errorReply(`ERR Unrecognized XCLAIM option '${latin1(word)}'`));
  }
  return {
    key: arg(argv, 1), group: latin1(arg(argv, 2)), consumer: latin1(arg(argv, 3)), minIdleMs: Number(minIdle < 0n ? 0n : minIdle), ids,
    options: { idleMs, timeMs, retryCount, force, justId, lastId },
  };
}

/** Moves one pending entry to `consumer`, as XCLAIM does; returns the claimed entry, or null. */
function claimOne(context: CommandContext, stream: StreamValue, group: StreamGroup, consumer: ReturnType<typeof consumerOf>, pending: PendingEntry, options: ClaimOptions): PendingEntry {
  const deliveryTime = options.timeMs ?? (options.idleMs === null ? context.nowMs : context.nowMs - options.idleMs);
  const claimed = group.deliver(pending.id, consumer, Math.max(0, deliveryTime), false);
  if (options.retryCount !== null) claimed.deliveryCount = options.retryCount;
  else if (!options.justId) claimed.deliveryCount++;
  stream.touched();
  return claimed;
}

function xclaim(context: CommandContext, request: ClaimRequest): Reply {
  const found = writableGroup(context, request.key, request.group);
  if (found === undefined) return noGroupError(request.key, request.group);
  const { stream, group } = found;
  if (request.options.lastId !== null && request.options.lastId > group.lastId) {
    group.lastId = request.options.lastId;
    stream.touched();
  }
  const consumer = consumerOf(context, request.key, stream, group, request.consumer);
  const claimed: Reply[] = [];
  for (const id of request.ids) {
    const index = stream.indexOf(id);
    let pending = group.pending(id);
    if (pending === undefined) {
      if (!request.options.force || index < 0) continue;
      pending = group.deliver(id, consumer, context.nowMs, false);
    } else if (index < 0) {
      // The entry was deleted from the stream: it leaves the pending list, unclaimed (Redis 7).
      group.acknowledge(id);
      stream.touched();
      continue;
    }
    if (request.minIdleMs > 0 && context.nowMs - pending.deliveryTime < request.minIdleMs) continue;
    claimOne(context, stream, group, consumer, pending, request.options);
    claimed.push(request.options.justId ? idReply(id) : entryReply(id, stream.fieldsAt(index)));
  }
  consumer.seenTime = context.nowMs;
  return { kind: 'array', value: claimed };
}

interface AutoClaimRequest {
  readonly key: Uint8Array;
  readonly group: string;
  readonly consumer: string;
  readonly minIdleMs: number;
  readonly start: StreamId;
  readonly count: number;
  readonly justId: boolean;
}

function parseAutoClaim(argv: readonly Uint8Array[]): AutoClaimRequest {
  const minIdle = parseCount(arg(argv, 4));
  const start = parseStrictStreamOrBound(arg(argv, 5), 'start');
  let count = 100;
  let justId = false;
  for (let i = 6; i < argv.length; i++) {
    const word = arg(argv, i);
    if (isKeyword(word, 'justid')) justId = true;
    else if (isKeyword(word, 'count') && i + 1 < argv.length) {
      const value = parseCount(arg(argv, ++i));
      const limit = BigInt(Math.floor(Number.MAX_SAFE_INTEGER / 10));
      if (value < 1n || value > limit) throw new CommandError(errorReply(`ERR COUNT must be > 0`));
      count = Number(value);
    } else throw new CommandError(syntaxError);
  }
  return { key: arg(argv, 1), group: latin1(arg(argv, 2)), consumer: latin1(arg(argv, 3)), minIdleMs: Number(minIdle < 0n ? 0n : minIdle), start, count, justId };
}

function xautoclaim(context: CommandContext, request: AutoClaimRequest): Reply {
  const found = writableGroup(context, request.key, request.group);
  if (found === undefined) return noGroupError(request.key, request.group);
  const { stream, group } = found;
  const consumer = consumerOf(context, request.key, stream, group, request.consumer);
  const options: ClaimOptions = { idleMs: null, timeMs: null, retryCount: null, force: false, justId: request.justId, lastId: null };
  const claimed: Reply[] = [];
  const deleted: Reply[] = [];
  let attempts = request.count * 10;
  let next: StreamId = 0n;
  const candidates = group.pendingRange(request.start, STREAM_ID_MAX, 0);
  let examined = 0;
  for (const pending of candidates) {
    if (attempts-- <= 0 || claimed.length + deleted.length >= request.count) {
      next = pending.id;
      break;
    }
    examined++;
    if (context.nowMs - pending.deliveryTime < request.minIdleMs) continue;
    const index = stream.indexOf(pending.id);
    if (index < 0) {
      group.acknowledge(pending.id);
      stream.touched();
      deleted.push(idReply(pending.id));
      continue;
    }
    claimOne(context, stream, group, consumer, pending, options);
    claimed.push(request.justId ? idReply(pending.id) : entryReply(pending.id, stream.fieldsAt(index)));
  }
  if (examined === candidates.length) next = 0n;
  consumer.seenTime = context.nowMs;
  return { kind: 'array', value: [idReply(next), { kind: 'array', value: claimed }, { kind: 'array', value: deleted }] };
}

// ---- XGROUP ----

function entriesReadOption(argv: readonly Uint8Array[], at: number): number {
  if (argv.length <= at) return ENTRIES_READ_UNKNOWN;
  if (!isKeyword(arg(argv, at), 'entriesread') || argv.length !== at + 2) throw new CommandError(syntaxError);
  const value = parseCount(arg(argv, at + 1));
  if (value < -1n) throw new CommandError(errorReply('ERR value for ENTRIESREAD must be positive or -1'));
  return Number(value);
}

function xgroup(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const sub = latin1(arg(argv, 1)).toLowerCase();
  if (sub === 'help') return argv.length === 2 ? xgroupHelp() : errorReply("ERR wrong number of arguments for 'xgroup|help' command");
  const arity: Readonly<Record<string, [number, number]>> = { create: [5, 8], setid: [5, 7], destroy: [4, 4], createconsumer: [5, 5], delconsumer: [5, 5] };
  const bounds = arity[sub];
  if (bounds === undefined) return errorReply(`ERR unknown subcommand '${latin1(arg(argv, 1))}'. Try XGROUP HELP.`);
  if (argv.length < bounds[0] || argv.length > bounds[1]) return errorReply(`ERR wrong number of arguments for 'xgroup|${sub}' command`);
  const key = arg(argv, 2);
  const name = latin1(arg(argv, 3));
  if (sub === 'create') return xgroupCreate(context, argv, key, name);
  const stream = context.readCollection(key, streamKind);
  if (stream === undefined) {
    return errorReply('ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.');
  }
  if (!stream.groups.has(name)) {
    if (sub === 'destroy') return zeroReply;
    return errorReply(`NOGROUP No such consumer group '${name}' for key name '${latin1(key)}'`);
  }
  const { stream: writable, group } = writableGroup(context, key, name) as { stream: StreamValue; group: StreamGroup };
  switch (sub) {
    case 'setid': {
      const id = latin1(arg(argv, 4)) === '$' ? writable.lastId : parseStreamId(arg(argv, 4), 0n).id;
      group.lastId = id;
      group.entriesRead = entriesReadOption(argv, 5);
      writable.touched();
      streamChanged(context, key, 'xgroup-setid');
      return okReply;
    }
    case 'destroy':
      writable.groups.delete(name);
      writable.touched();
      context.keyspace.collectionChanged(key); // its blocked readers hear NOGROUP
      streamChanged(context, key, 'xgroup-destroy');
      return oneReply;
    case 'createconsumer': {
      const { created } = group.consumer(latin1(arg(argv, 4)), context.nowMs);
      if (!created) return zeroReply;
      writable.touched();
      streamChanged(context, key, 'xgroup-createconsumer');
      return oneReply;
    }
    default: {
      const consumer = latin1(arg(argv, 4));
      if (!group.consumers.has(consumer)) return zeroReply;
      const pending = group.deleteConsumer(consumer);
      writable.touched();
      streamChanged(context, key, 'xgroup-delconsumer');
      return integerReply(pending);
    }
  }
}

function xgroupCreate(context: CommandContext, argv: readonly Uint8Array[], key: Uint8Array, name: string): Reply {
  let makeStream = false;
  let entriesRead = ENTRIES_READ_UNKNOWN;
  for (let i = 5; i < argv.length; i++) {
    if (isKeyword(arg(argv, i), 'mkstream')) makeStream = true;
    else if (isKeyword(arg(argv, i), 'entriesread') && i + 1 < argv.length) {
      entriesRead = entriesReadOption(argv.slice(0, i + 2), i);
      i++;
    } else return syntaxError;
  }
  const idText = latin1(arg(argv, 4));
  const given = idText === '$' ? null : parseStreamId(arg(argv, 4), 0n).id;
  const existing = context.readCollection(key, streamKind);
  if (existing === undefined && !makeStream) {
    return errorReply('ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.');
  }
  if (existing?.groups.has(name) === true) return errorReply('BUSYGROUP Consumer Group name already exists');
  const stream = context.writeCollection(key, streamKind, true) as StreamValue;
  if (existing === undefined) context.events?.created(key);
  stream.groups.set(name, new StreamGroup(name, given ?? stream.lastId, entriesRead));
  stream.touched();
  streamChanged(context, key, 'xgroup-create');
  return okReply;
}

const XGROUP_HELP = [
  'XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  '      Set the group\'s entries_read counter (internal use).',
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
  'HELP',
  '    Prints this help.',
];

function xgroupHelp(): Reply {
  return { kind: 'array', value: XGROUP_HELP.map((line) => ({ kind: 'simple', value: line })) };
}

export const streamGroupCommands: readonly CommandSpec[] = [
  parsedCommand('xreadgroup', -7, ['write', 'blocking', 'movablekeys'], [0, 0, 0], (argv) => parseRead(argv, true), xreadgroup),
  parsedCommand('xack', -4, ['write', 'fast'], oneKey, (argv) => ({ key: arg(argv, 1), group: latin1(arg(argv, 2)), ids: argv.slice(3).map((id) => parseStrictStreamId(id)) }), xack),
  parsedCommand('xpending', -3, ['readonly'], oneKey, parsePending, xpending),
  parsedCommand('xclaim', -6, ['write', 'fast'], oneKey, parseClaim, xclaim),
  parsedCommand('xautoclaim', -6, ['write', 'fast'], oneKey, parseAutoClaim, xautoclaim),
  parsedCommand('xgroup', -2, ['write', 'denyoom'], [2, 2, 1], (argv) => argv, xgroup),
];
