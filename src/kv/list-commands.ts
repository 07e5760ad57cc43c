// List commands, blocking ones included. Semantics, argument order and error texts follow
// Redis 7 (t_list.c); the type itself is in list-value.ts. A blocking command applied here
// never blocks: it is its non-blocking form (as in Redis inside MULTI), answering nil when
// there is nothing to pop. Waiting is the server's job (src/server/blocking.ts), which
// proposes these same commands when a waited key gets elements.

import type { ErrorReply, Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, oneKey, parseKey, parsedCommand, type CommandSpec, type KeyPositions } from './command-spec.js';
import { mapKeyOf } from './keyspace.js';
import { ListValue, type ListEnd } from './list-value.js';
import { int64Min, isKeyword, parseInt64, parseLong } from './integer-parse.js';
import { blockingParse, keysThenTimeout, nonBlocking } from './blocking-form.js';
import {
  bulkReply, CommandError, errorReply, integerReply, nilReply, noSuchKeyError, notIntegerError, okReply, syntaxError, zeroReply,
} from './replies.js';

const listKind = { type: 'list', create: ListValue.create } as const;

/** Most elements one list may hold: the ring doubles up to 2^27 slots, within V8's array limit. */
export const listElementsMax = 2 ** 26;

const nullArrayReply: Reply = { kind: 'array', value: null };
const emptyArrayReply: Reply = { kind: 'array', value: [] };
const indexOutOfRangeError = errorReply('ERR index out of range');
const mustBePositiveError = errorReply('ERR value is out of range, must be positive');
const numkeysError = errorReply('ERR numkeys should be greater than 0');
const countError = errorReply('ERR count should be greater than 0');
const rankZeroError = errorReply(
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
);
const listFullError = errorReply(`ERR list would exceed ${listElementsMax} elements`);

const text = (bytes: Uint8Array): string => mapKeyOf(bytes);
const bulkLatin1 = (value: string): Reply => bulkReply(Buffer.from(value, 'latin1'));
const elementsReply = (elements: readonly string[]): Reply => ({ kind: 'array', value: elements.map(bulkLatin1) });

// ---- argument parsing (no state) ----

function longArgument(bytes: Uint8Array, error: ErrorReply = notIntegerError): number {
  const value = parseLong(bytes);
  if (value === null) throw new CommandError(error);
  return value;
}

/** A long in [min, ∞): Redis's getRangeLongFromObjectOrReply with a message for both failures. */
function longAtLeast(bytes: Uint8Array, min: number, error: ErrorReply): number {
  const value = longArgument(bytes, error);
  if (value < min) throw new CommandError(error);
  return value;
}

function parseEnd(bytes: Uint8Array): ListEnd {
  if (isKeyword(bytes, 'left')) return 'left';
  if (isKeyword(bytes, 'right')) return 'right';
  throw new CommandError(syntaxError);
}

interface KeyElements {
  readonly key: Uint8Array;
  readonly elements: readonly string[];
}

function parseKeyElements(argv: readonly Uint8Array[]): KeyElements {
  return { key: arg(argv, 1), elements: argv.slice(2).map(text) };
}

interface Pop {
  readonly key: Uint8Array;
  /** null without a COUNT argument (a single element, not an array, is answered). */
  readonly count: number | null;
}

function parsePop(argv: readonly Uint8Array[]): Pop {
  if (argv.length > 3) throw new CommandError(arityErrorOf(argv));
  return { key: arg(argv, 1), count: argv.length === 3 ? longAtLeast(arg(argv, 2), 0, mustBePositiveError) : null };
}

function arityErrorOf(argv: readonly Uint8Array[]): ErrorReply {
  return errorReply(`ERR wrong number of arguments for '${text(arg(argv, 0)).toLowerCase()}' command`);
}

interface KeyRaw {
  readonly key: Uint8Array;
  /** Arguments Redis parses only after it found the key (LINDEX, LSET): an error in them comes after WRONGTYPE or "no such key". */
  readonly index: number | null;
  readonly element: string;
}

function parseKeyIndex(argv: readonly Uint8Array[]): KeyRaw {
  return { key: arg(argv, 1), index: parseLong(arg(argv, 2)), element: argv.length > 3 ? text(arg(argv, 3)) : '' };
}

interface KeyRange {
  readonly key: Uint8Array;
  readonly start: number;
  readonly stop: number;
}

function parseRange(argv: readonly Uint8Array[]): KeyRange {
  return { key: arg(argv, 1), start: longArgument(arg(argv, 2)), stop: longArgument(arg(argv, 3)) };
}

interface Removal {
  readonly key: Uint8Array;
  readonly count: number;
  readonly element: string;
}

function parseRemoval(argv: readonly Uint8Array[]): Removal {
  return { key: arg(argv, 1), count: longArgument(arg(argv, 2)), element: text(arg(argv, 3)) };
}

interface Insertion {
  readonly key: Uint8Array;
  readonly after: boolean;
  readonly pivot: string;
  readonly element: string;
}

function parseInsertion(argv: readonly Uint8Array[]): Insertion {
  const where = arg(argv, 2);
  if (!isKeyword(where, 'before') && !isKeyword(where, 'after')) throw new CommandError(syntaxError);
  return { key: arg(argv, 1), after: isKeyword(where, 'after'), pivot: text(arg(argv, 3)), element: text(arg(argv, 4)) };
}

interface Search {
  readonly key: Uint8Array;
  readonly element: string;
  readonly rank: number;
  /** null without COUNT (one position or nil is answered), 0 = every match. */
  readonly count: number | null;
  readonly maxlen: number;
}

function parseSearch(argv: readonly Uint8Array[]): Search {
  let rank = 1;
  let count: number | null = null;
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const option = arg(argv, j);
    const hasValue = j + 1 < argv.length;
    if (isKeyword(option, 'rank') && hasValue) rank = parseRank(arg(argv, ++j));
    else if (isKeyword(option, 'count') && hasValue) count = longAtLeast(arg(argv, ++j), 0, errorReply("ERR COUNT can't be negative"));
    else if (isKeyword(option, 'maxlen') && hasValue) maxlen = longAtLeast(arg(argv, ++j), 0, errorReply("ERR MAXLEN can't be negative"));
    else throw new CommandError(syntaxError);
  }
  return { key: arg(argv, 1), element: text(arg(argv, 2)), rank, count, maxlen };
}

/** LPOS RANK: any long but zero. Redis negates a negative rank, and LONG_MIN stays negative: the first match from the tail. */
function parseRank(bytes: Uint8Array): number {
  const value = parseInt64(bytes);
  if (value === null) throw new CommandError(notIntegerError);
  if (value === 0n) throw new CommandError(rankZeroError);
  return value === int64Min ? -1 : (parseLong(bytes) as number);
}

interface Move {
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
  readonly from: ListEnd;
  readonly to: ListEnd;
}

function parseMove(argv: readonly Uint8Array[]): Move {
  return { source: arg(argv, 1), destination: arg(argv, 2), from: parseEnd(arg(argv, 3)), to: parseEnd(arg(argv, 4)) };
}

function parseRpoplpush(argv: readonly Uint8Array[]): Move {
  return { source: arg(argv, 1), destination: arg(argv, 2), from: 'right', to: 'left' };
}

interface MultiPop {
  readonly keys: readonly Uint8Array[];
  readonly end: ListEnd;
  readonly count: number;
}

/** LMPOP's arguments from `numkeysAt` on: numkeys key... LEFT|RIGHT [COUNT count]. */
function parseMultiPop(argv: readonly Uint8Array[], numkeysAt: number): MultiPop {
  const numkeys = longAtLeast(arg(argv, numkeysAt), 1, numkeysError);
  const whereAt = numkeysAt + numkeys + 1;
  if (whereAt >= argv.length) throw new CommandError(syntaxError);
  const end = parseEnd(arg(argv, whereAt));
  let count: number | null = null;
  for (let j = whereAt + 1; j < argv.length; j++) {
    if (count === null && isKeyword(arg(argv, j), 'count') && j + 1 < argv.length) count = longAtLeast(arg(argv, ++j), 1, countError);
    else throw new CommandError(syntaxError);
  }
  return { keys: argv.slice(numkeysAt + 1, whereAt), end, count: count ?? 1 };
}

// ---- list operations ----

function ensureRoom(list: ListValue, adding: number): void {
  if (list.length + adding > listElementsMax) throw new CommandError(listFullError);
}

/** Pops up to `count` elements from the list at `key` (which must be a non-empty list). */
function popFrom(context: CommandContext, key: Uint8Array, end: ListEnd, count: number): string[] {
  return popSome(context.writeCollection(key, listKind, false) as ListValue, end, count);
}

/** Pops up to `count` elements from `end` of `list`. */
function popSome(list: ListValue, end: ListEnd, count: number): string[] {
  const popped: string[] = [];
  while (popped.length < count && list.length > 0) popped.push(list.pop(end));
  return popped;
}

/** The first key holding a non-empty list; WRONGTYPE (thrown) for a key of another type met before it. */
function firstNonEmpty(context: CommandContext, keys: readonly Uint8Array[]): Uint8Array | undefined {
  for (const key of keys) if ((context.readCollection(key, listKind)?.length ?? 0) > 0) return key;
  return undefined;
}

// ---- commands ----

function push(end: ListEnd, onlyIfExists: boolean) {
  return (context: CommandContext, request: KeyElements): Reply => {
    const list = context.writeCollection(request.key, listKind, !onlyIfExists);
    if (list === undefined) return zeroReply;
    ensureRoom(list, request.elements.length);
    for (const element of request.elements) list.push(end, element);
    return integerReply(list.length);
  };
}

function pop(end: ListEnd) {
  return (context: CommandContext, request: Pop): Reply => {
    if (request.count === 0) return context.readCollection(request.key, listKind) === undefined ? nullArrayReply : emptyArrayReply;
    const list = context.writeCollection(request.key, listKind, false);
    if (list === undefined) return request.count === null ? nilReply : nullArrayReply;
    return request.count === null ? bulkLatin1(list.pop(end)) : elementsReply(popSome(list, end, request.count));
  };
}

function llen(context: CommandContext, key: Uint8Array): Reply {
  return integerReply(context.readCollection(key, listKind)?.length ?? 0);
}

/** A Redis list index (negative counts from the tail) as a position in [0, length), or -1. */
function position(index: number, length: number): number {
  const at = index < 0 ? length + index : index;
  return at >= 0 && at < length ? at : -1;
}

function lindex(context: CommandContext, request: KeyRaw): Reply {
  const list = context.readCollection(request.key, listKind);
  if (list === undefined) return nilReply;
  if (request.index === null) throw new CommandError(notIntegerError);
  const at = position(request.index, list.length);
  return at < 0 ? nilReply : bulkLatin1(list.at(at));
}

function lset(context: CommandContext, request: KeyRaw): Reply {
  const found = context.readCollection(request.key, listKind);
  if (found === undefined) throw new CommandError(noSuchKeyError);
  if (request.index === null) throw new CommandError(notIntegerError);
  const at = position(request.index, found.length);
  if (at < 0) throw new CommandError(indexOutOfRangeError);
  (context.writeCollection(request.key, listKind, false) as ListValue).set(at, request.element);
  return okReply;
}

/** Redis's LRANGE/LTRIM normalization: the inclusive range [start, stop] within the list, or null when empty. */
function normalizeRange(start: number, stop: number, length: number): readonly [number, number] | null {
  const first = Math.max(0, start < 0 ? length + start : start);
  const last = Math.min(length - 1, stop < 0 ? length + stop : stop);
  return first > last || first >= length ? null : [first, last];
}

function lrange(context: CommandContext, request: KeyRange): Reply {
  const list = context.readCollection(request.key, listKind);
  const range = list === undefined ? null : normalizeRange(request.start, request.stop, list.length);
  return list === undefined || range === null ? emptyArrayReply : elementsReply(list.range(range[0], range[1]));
}

function ltrim(context: CommandContext, request: KeyRange): Reply {
  const list = context.writeCollection(request.key, listKind, false);
  if (list === undefined) return okReply;
  const range = normalizeRange(request.start, request.stop, list.length);
  if (range === null) list.trim(list.length, list.length - 1);
  else list.trim(range[0], range[1]);
  return okReply;
}

function lrem(context: CommandContext, request: Removal): Reply {
  if (context.readCollection(request.key, listKind) === undefined) return zeroReply;
  return integerReply((context.writeCollection(request.key, listKind, false) as ListValue).remove(request.element, request.count));
}

function linsert(context: CommandContext, request: Insertion): Reply {
  const found = context.readCollection(request.key, listKind);
  if (found === undefined) return zeroReply;
  const pivot = found.indexOf(request.pivot);
  if (pivot < 0) return integerReply(-1);
  ensureRoom(found, 1);
  const list = context.writeCollection(request.key, listKind, false) as ListValue;
  list.insert(request.after ? pivot + 1 : pivot, request.element);
  return integerReply(list.length);
}

function lpos(context: CommandContext, request: Search): Reply {
  const list = context.readCollection(request.key, listKind);
  if (list === undefined) return request.count === null ? nilReply : emptyArrayReply;
  const found = list.positions(request.element, request.rank, request.count ?? 1, request.maxlen);
  if (request.count !== null) return { kind: 'array', value: found.map((index) => integerReply(index)) };
  return found.length === 0 ? nilReply : integerReply(found[0] as number);
}

function lmove(context: CommandContext, request: Move): Reply {
  const source = context.readCollection(request.source, listKind);
  if (source === undefined) return nilReply;
  const target = context.readCollection(request.destination, listKind);
  if (target !== undefined && target !== source) ensureRoom(target, 1);
  const [element] = popFrom(context, request.source, request.from, 1) as [string];
  (context.writeCollection(request.destination, listKind, true) as ListValue).push(request.to, element);
  return bulkLatin1(element);
}

function lmpop(context: CommandContext, request: MultiPop): Reply {
  const key = firstNonEmpty(context, request.keys);
  if (key === undefined) return nullArrayReply;
  return { kind: 'array', value: [bulkReply(key), elementsReply(popFrom(context, key, request.end, request.count))] };
}

// ---- blocking commands, as their non-blocking forms ----

/** BLPOP's non-blocking form: one element from the first non-empty list, answered with its key. */
function popOne(end: ListEnd) {
  return (context: CommandContext, keys: readonly Uint8Array[]): Reply => {
    const key = firstNonEmpty(context, keys);
    if (key === undefined) return nullArrayReply;
    return { kind: 'array', value: [bulkReply(key), bulkLatin1(popFrom(context, key, end, 1)[0] as string)] };
  };
}

const noKeyPositions: KeyPositions = [0, 0, 0];
const blockingKeys: KeyPositions = [1, -2, 1];
const twoKeys: KeyPositions = [1, 2, 1];

export const listCommands: readonly CommandSpec[] = [
  parsedCommand('lpush', -3, ['write', 'denyoom', 'fast'], oneKey, parseKeyElements, push('left', false)),
  parsedCommand('rpush', -3, ['write', 'denyoom', 'fast'], oneKey, parseKeyElements, push('right', false)),
  parsedCommand('lpushx', -3, ['write', 'denyoom', 'fast'], oneKey, parseKeyElements, push('left', true)),
  parsedCommand('rpushx', -3, ['write', 'denyoom', 'fast'], oneKey, parseKeyElements, push('right', true)),
  parsedCommand('lpop', -2, ['write', 'fast'], oneKey, parsePop, pop('left')),
  parsedCommand('rpop', -2, ['write', 'fast'], oneKey, parsePop, pop('right')),
  parsedCommand('llen', 2, ['readonly', 'fast'], oneKey, parseKey, llen),
  parsedCommand('lindex', 3, ['readonly'], oneKey, parseKeyIndex, lindex),
  parsedCommand('lset', 4, ['write', 'denyoom'], oneKey, parseKeyIndex, lset),
  parsedCommand('lrange', 4, ['readonly'], oneKey, parseRange, lrange),
  parsedCommand('ltrim', 4, ['write'], oneKey, parseRange, ltrim),
  parsedCommand('lrem', 4, ['write'], oneKey, parseRemoval, lrem),
  parsedCommand('linsert', 5, ['write', 'denyoom'], oneKey, parseInsertion, linsert),
  parsedCommand('lpos', -3, ['readonly'], oneKey, parseSearch, lpos),
  parsedCommand('lmove', 5, ['write', 'denyoom'], twoKeys, parseMove, lmove),
  parsedCommand('rpoplpush', 3, ['write', 'denyoom'], twoKeys, parseRpoplpush, lmove),
  parsedCommand('lmpop', -4, ['write', 'movablekeys'], noKeyPositions, (argv) => parseMultiPop(argv, 1), lmpop),
  parsedCommand('blpop', -3, ['write', 'noscript', 'blocking'], blockingKeys, keysThenTimeout, nonBlocking(popOne('left'))),
  parsedCommand('brpop', -3, ['write', 'noscript', 'blocking'], blockingKeys, keysThenTimeout, nonBlocking(popOne('right'))),
  parsedCommand('blmove', 6, ['write', 'denyoom', 'noscript', 'blocking'], twoKeys, blockingParse(parseMove, 5), nonBlocking(lmove)),
  parsedCommand('brpoplpush', 4, ['write', 'denyoom', 'noscript', 'blocking'], twoKeys, blockingParse(parseRpoplpush, 3), nonBlocking(lmove)),
  parsedCommand('blmpop', -5, ['write', 'blocking', 'movablekeys'], noKeyPositions, blockingParse((argv) => parseMultiPop(argv, 2), 1), nonBlocking(lmpop)),
];
