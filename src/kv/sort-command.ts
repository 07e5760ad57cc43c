// SORT and SORT_RO as Redis 7 answers them (sort.c): the elements of a list, set or sorted
// set, by their own value or by keys a BY pattern names ("weight_*", "hash_*->field"),
// numerically (Redis's strtod rules) or ALPHA, ASC/DESC, LIMIT, GET patterns ("#" is the
// element), STORE into a list.
//
// Routing: SORT is flagged as a write (as Redis flags it), so every SORT, with STORE or not,
// is decided in the log: it reads other keys (BY, GET) and may store, and running it at one
// log position on every replica keeps it linearizable and deterministic. SORT_RO is a read
// served at a read point (ReadIndex), like every read. Elements with equal sort keys come out
// as Redis orders them: a stable sort (glibc's qsort) or, with BY and LIMIT, Redis's partial
// quicksort (partial-sort.ts); a set's elements start in raftis's own order, not Redis's.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, oneKey, parsedCommand, type CommandSpec } from './command-spec.js';
import { mapKeyOf, noExpiry } from './keyspace.js';
import { isKeyword, parseInt64 } from './integer-parse.js';
import { strtod } from './strtod.js';
import { partialSort } from './partial-sort.js';
import { ListValue } from './list-value.js';
import { SetValue } from './set-value.js';
import { ZSetValue } from './zset-value.js';
import { HashValue } from './hash-value.js';
import { bulkReply, CommandError, errorReply, integerReply, nilReply, notIntegerError, syntaxError, wrongTypeError } from './replies.js';

const conversionError = errorReply("ERR One or more scores can't be converted into double");

interface SortRequest {
  readonly key: Uint8Array;
  readonly desc: boolean;
  readonly alpha: boolean;
  readonly limitStart: number;
  /** -1: to the end. */
  readonly limitCount: number;
  readonly by: string | null;
  /** BY names a pattern without '*': the elements keep their order. */
  readonly dontSort: boolean;
  readonly gets: readonly string[];
  readonly store: Uint8Array | null;
}

function parseLongArg(bytes: Uint8Array): number {
  const value = parseInt64(bytes);
  if (value === null) throw new CommandError(notIntegerError);
  return Number(value);
}

/** The text up to the first NUL, as C's string functions see a pattern. */
const cString = (value: string): string => {
  const nul = value.indexOf('\0');
  return nul < 0 ? value : value.slice(0, nul);
};

function parseSort(readonly: boolean) {
  return (argv: readonly Uint8Array[]): SortRequest => {
    const request = { key: arg(argv, 1), desc: false, alpha: false, limitStart: 0, limitCount: -1, by: null as string | null, dontSort: false, gets: [] as string[], store: null as Uint8Array | null };
    for (let j = 2; j < argv.length; j++) {
      const option = arg(argv, j);
      const left = argv.length - j - 1;
      if (isKeyword(option, 'asc')) request.desc = false;
      else if (isKeyword(option, 'desc')) request.desc = true;
      else if (isKeyword(option, 'alpha')) request.alpha = true;
      else if (isKeyword(option, 'limit') && left >= 2) {
        request.limitStart = parseLongArg(arg(argv, j + 1));
        request.limitCount = parseLongArg(arg(argv, j + 2));
        j += 2;
      } else if (!readonly && isKeyword(option, 'store') && left >= 1) {
        request.store = arg(argv, ++j);
      } else if (isKeyword(option, 'by') && left >= 1) {
        request.by = mapKeyOf(arg(argv, ++j));
        // Sticky, as in Redis: a later BY with a '*' does not turn sorting back on.
        if (!cString(request.by).includes('*')) request.dontSort = true;
      } else if (isKeyword(option, 'get') && left >= 1) {
        request.gets.push(mapKeyOf(arg(argv, ++j)));
      } else {
        throw new CommandError(syntaxError);
      }
    }
    return request;
  };
}

/**
 * lookupKeyByPattern: "#" is the element itself; otherwise the first '*' takes the element
 * and the key's string value, or with "->field" after the '*' the field of the key's hash,
 * is the result. Null when there is no '*', no such key or a key of another type.
 */
function lookupByPattern(context: CommandContext, pattern: string, element: string): string | null {
  if (pattern === '#') return element;
  const star = cString(pattern).indexOf('*');
  if (star < 0) return null;
  const arrow = cString(pattern).indexOf('->', star + 1);
  const hasField = arrow >= 0 && arrow + 2 < pattern.length && pattern.charCodeAt(arrow + 2) !== 0;
  const keyEnd = hasField ? arrow : pattern.length;
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, keyEnd);
  const stored = context.lookupRead(Buffer.from(key, 'latin1'))?.stored;
  if (stored === undefined) return null;
  if (hasField) return stored instanceof HashValue ? stored.get(pattern.slice(arrow + 2)) ?? null : null;
  if (typeof stored === 'string') return stored;
  return stored.type === 'string' ? stored.toLatin1() : null;
}

/** One element to sort, with what it sorts by. */
interface SortItem {
  readonly element: string;
  score: number;
  /** ALPHA BY: the value looked up, null when missing. */
  by: string | null;
}

/** The elements of a sortable value (WRONGTYPE thrown for another type), a missing key empty. */
function sortable(context: CommandContext, key: Uint8Array): ListValue | SetValue | ZSetValue | null {
  const stored = context.lookupRead(key)?.stored;
  if (stored === undefined) return null;
  if (stored instanceof ListValue || stored instanceof SetValue || stored instanceof ZSetValue) return stored;
  throw new CommandError(wrongTypeError);
}

/** Elements [start, start + count) of a list or sorted set in their own order, from the tail when `desc`. */
function orderedRange(source: ListValue | ZSetValue, start: number, count: number, desc: boolean): string[] {
  if (source instanceof ZSetValue) return source.slice(desc ? source.length - 1 - start : start, count, desc).map((item) => item.member);
  const elements: string[] = [];
  for (let i = 0; i < count; i++) elements.push(source.at(desc ? source.length - 1 - start - i : start + i));
  return elements;
}

function allElements(source: ListValue | SetValue | ZSetValue): string[] {
  if (source instanceof ListValue) return source.length === 0 ? [] : source.range(0, source.length - 1);
  if (source instanceof SetValue) return [...source.values()];
  const members: string[] = [];
  source.forEach((member) => members.push(member));
  return members;
}

/** Numeric sort value of a string as sortCommand reads it: strtod up to the end (or a NUL), not NaN, no overflow. */
function numericScore(value: string): number | null {
  const parsed = strtod(value);
  const rest = parsed.end < value.length ? value.charCodeAt(parsed.end) : 0;
  if (rest !== 0 || parsed.outOfRange || Number.isNaN(parsed.value)) return null;
  return parsed.value;
}

const compareBinary = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function comparator(request: SortRequest, alpha: boolean, byPattern: boolean): (a: SortItem, b: SortItem) => number {
  const sign = request.desc ? -1 : 1;
  if (!alpha) return (a, b) => sign * (a.score > b.score ? 1 : a.score < b.score ? -1 : compareBinary(a.element, b.element));
  if (!byPattern) return (a, b) => sign * compareBinary(a.element, b.element);
  return (a, b) => {
    if (a.by === null || b.by === null) return sign * (a.by === b.by ? 0 : a.by === null ? -1 : 1);
    return sign * compareBinary(a.by, b.by);
  };
}

function sortCommand(context: CommandContext, request: SortRequest): Reply {
  const source = sortable(context, request.key);
  let { dontSort, alpha } = request;
  let by = request.by;
  // A set has no order of its own: stored results, and results a script gets, are sorted so
  // replicas and AOF agree (Redis does the same).
  if (dontSort && source instanceof SetValue && (request.store !== null || context.calledFromScript)) {
    dontSort = false;
    alpha = true;
    by = null;
  }
  const length = source?.length ?? 0;
  let start = request.limitStart < 0 ? 0 : request.limitStart;
  let end = request.limitCount < 0 ? length - 1 : start + request.limitCount - 1;
  if (start >= length) {
    start = length - 1;
    end = length - 2;
  }
  if (end >= length) end = length - 1;
  let items: SortItem[];
  if (source !== null && dontSort && !(source instanceof SetValue)) {
    items = (end >= start ? orderedRange(source, start, end - start + 1, request.desc) : []).map((element) => ({ element, score: 0, by: null }));
    end -= start;
    start = 0;
  } else {
    items = (source === null ? [] : allElements(source)).map((element) => ({ element, score: 0, by: null }));
  }
  if (!dontSort) {
    let conversionFailed = false;
    for (const item of items) {
      const value = by === null ? item.element : lookupByPattern(context, by, item.element);
      if (value === null) continue;
      if (alpha) {
        if (by !== null) item.by = value;
      } else {
        const score = numericScore(value);
        if (score === null) conversionFailed = true;
        else item.score = score;
      }
    }
    if (conversionFailed) return conversionError;
    const compare = comparator(request, alpha, by !== null);
    // Redis sorts only the LIMIT range with its partial quicksort when sorting BY a pattern.
    if (by !== null && (start !== 0 || end !== items.length - 1)) partialSort(items, compare, start, end);
    else items.sort(compare);
  }
  const selected = end >= start ? items.slice(start, end + 1) : [];
  return request.store === null ? sortReply(context, request, selected) : storeSorted(context, request, request.store, selected);
}

function sortReply(context: CommandContext, request: SortRequest, items: readonly SortItem[]): Reply {
  const value: Reply[] = [];
  for (const { element } of items) {
    if (request.gets.length === 0) value.push(bulkReply(Buffer.from(element, 'latin1')));
    for (const pattern of request.gets) {
      const found = lookupByPattern(context, pattern, element);
      value.push(found === null ? nilReply : bulkReply(Buffer.from(found, 'latin1')));
    }
  }
  return { kind: 'array', value };
}

function storeSorted(context: CommandContext, request: SortRequest, store: Uint8Array, items: readonly SortItem[]): Reply {
  const elements: string[] = [];
  for (const { element } of items) {
    if (request.gets.length === 0) elements.push(element);
    for (const pattern of request.gets) elements.push(lookupByPattern(context, pattern, element) ?? '');
  }
  if (elements.length > 0) {
    context.keyspace.set(store, new ListValue(elements), noExpiry, false);
  } else {
    const existing = context.lookup(store);
    if (existing !== undefined) context.delete(existing);
  }
  return integerReply(elements.length);
}

export const sortCommands: readonly CommandSpec[] = [
  parsedCommand('sort', -2, ['write', 'denyoom', 'movablekeys'], oneKey, parseSort(false), sortCommand),
  parsedCommand('sort_ro', -2, ['readonly', 'movablekeys'], oneKey, parseSort(true), sortCommand),
];
