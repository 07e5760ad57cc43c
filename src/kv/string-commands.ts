// String commands: GET, SET and its variants, MGET/MSET, APPEND, ranges, counters.
// Semantics and error texts follow Redis 7 (t_string.c); SET … IFEQ follows Valkey 8.1.

import { Latin1Bulk, type Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { allKeys, arg, command, oneKey, type CommandSpec } from './command-spec.js';
import { noExpiry, type KeyEntry, type Value } from './keyspace.js';
import { int64Max, int64Min, isKeyword, parseInt64, parseShortText } from './integer-parse.js';
import { addLongDouble, formatLongDouble, parseLongDouble } from './long-double.js';
import { checkSetExpireArgument, setExpireAt } from './expire-time.js';
import { openString, peekString, stringBytesMax } from './string-bits.js';
import {
  arityError, bulkReply, emptyBulkReply, errorReply, integerReply, nilReply, notFloatError, notIntegerError,
  okReply, oneReply, overflowError, stringTooLongError, syntaxError, wrongTypeError, zeroReply,
} from './replies.js';

/** A string value viewing `data`: no copy, the keyspace stores its own copy of the bytes. */
export function stringValue(data: Uint8Array): Value {
  return { type: 'string', data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
}

/** The string in an entry (a fresh copy of its bytes), or the WRONGTYPE error. */
function stringData(entry: KeyEntry): Buffer | Reply {
  const stored = entry.stored;
  // A string kept as latin1 text (most are) is copied out as bytes, with no Value around them.
  if (typeof stored === 'string') return Buffer.from(stored, 'latin1');
  const value = entry.value;
  if (value.type !== 'string') return wrongTypeError;
  return value.data;
}

function isReply(value: unknown): value is Reply {
  return typeof value === 'object' && value !== null && 'kind' in value && !Buffer.isBuffer(value);
}


/**
 * Writes a string value: deletes instead when the new expiry is already due. `known` is the
 * key's entry from context.lookup in this command (null: absent), when the caller has it.
 */
function writeString(context: CommandContext, key: Uint8Array, data: Uint8Array, expireAtMs: number, keepExpiry: boolean, known?: KeyEntry | null): void {
  const entry = context.keyspace.set(key, stringValue(data), expireAtMs, keepExpiry, known);
  if (context.isDue(entry.expireAtMs)) context.expireNow(entry);
}

// ---- SET family -------------------------------------------------------------------------

type ExpireKind = 'ex' | 'px' | 'exat' | 'pxat';

interface StringOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  expireKind: ExpireKind | null;
  expireArg: Uint8Array | null;
  ifEqual: Uint8Array | null;
}

/** A plain `SET key value` or `GETEX key`: parsed on every node for every such write, so shared. */
const NO_STRING_OPTIONS: Readonly<StringOptions> = Object.freeze({ nx: false, xx: false, get: false, keepTtl: false, persist: false, expireKind: null, expireArg: null, ifEqual: null });

/** Redis's parseExtendedStringArgumentsOrReply: `forSet` selects SET's options, else GETEX's. */
function parseStringOptions(argv: readonly Uint8Array[], forSet: boolean): Readonly<StringOptions> | Reply {
  if (argv.length <= (forSet ? 3 : 2)) return NO_STRING_OPTIONS;
  const options: StringOptions = { nx: false, xx: false, get: false, keepTtl: false, persist: false, expireKind: null, expireArg: null, ifEqual: null };
  const hasExpire = (): boolean => options.expireKind !== null;
  for (let j = forSet ? 3 : 2; j < argv.length; j++) {
    const option = arg(argv, j);
    const next = j + 1 < argv.length ? arg(argv, j + 1) : null;
    const expireAllowed = (kind: ExpireKind): boolean =>
      !options.keepTtl && !options.persist && next !== null && (options.expireKind === null || options.expireKind === kind);
    if (forSet && isKeyword(option, 'nx') && !options.xx && options.ifEqual === null) {
      options.nx = true;
    } else if (forSet && isKeyword(option, 'xx') && !options.nx && options.ifEqual === null) {
      options.xx = true;
    } else if (forSet && isKeyword(option, 'get')) {
      options.get = true;
    } else if (forSet && isKeyword(option, 'keepttl') && !options.persist && !hasExpire()) {
      options.keepTtl = true;
    } else if (!forSet && isKeyword(option, 'persist') && !hasExpire() && !options.keepTtl) {
      options.persist = true;
    } else if (forSet && isKeyword(option, 'ifeq') && !options.nx && !options.xx && next !== null) {
      options.ifEqual = next;
      j++;
    } else {
      const kind = (['ex', 'px', 'exat', 'pxat'] as const).find((candidate) => isKeyword(option, candidate));
      if (kind === undefined || !expireAllowed(kind)) return syntaxError;
      options.expireKind = kind;
      options.expireArg = next;
      j++;
    }
  }
  return options;
}

function expireUnit(kind: ExpireKind): 'seconds' | 'milliseconds' {
  return kind === 'ex' || kind === 'exat' ? 'seconds' : 'milliseconds';
}

/** Absolute expiry for SET/GETEX options, null when none given, or the error. */
function optionsExpireAt(options: StringOptions, nowMs: number, commandName: string): number | null | Reply {
  if (options.expireKind === null || options.expireArg === null) return null;
  const relative = options.expireKind === 'ex' || options.expireKind === 'px';
  return setExpireAt(options.expireArg, expireUnit(options.expireKind), relative, nowMs, commandName);
}

function validateStringOptions(argv: readonly Uint8Array[], forSet: boolean, commandName: string): Reply | null {
  // SET checks its expire time before looking at the key, so a bad one is an error whatever the state.
  const options = parseStringOptions(argv, forSet);
  if (isReply(options)) return options;
  if (options.expireKind === null || options.expireArg === null) return null;
  const checked = checkSetExpireArgument(options.expireArg, expireUnit(options.expireKind), commandName);
  return typeof checked === 'bigint' ? null : checked;
}

export function validateSet(argv: readonly Uint8Array[]): Reply | null {
  return validateStringOptions(argv, true, 'set');
}

/** GETEX checks its expire time only once the key is found (a missing key answers nil), so only syntax here. */
export function validateGetex(argv: readonly Uint8Array[]): Reply | null {
  const options = parseStringOptions(argv, false);
  return isReply(options) ? options : null;
}

export function setCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const options = parseStringOptions(argv, true);
  if (isReply(options)) return options;
  return setGeneric(context, arg(argv, 1), arg(argv, 2), options, 'set');
}

function setGeneric(context: CommandContext, key: Uint8Array, data: Uint8Array, options: StringOptions, commandName: string): Reply {
  const expireAtMs = optionsExpireAt(options, context.nowMs, commandName);
  if (isReply(expireAtMs)) return expireAtMs;
  // SET … GET reads the key first (Redis's lookupKeyRead): a miss is reported.
  const entry = options.get ? context.lookupRead(key) : context.lookup(key);
  // GET and IFEQ read the current value, so they refuse a key of another type (WRONGTYPE).
  let current: Buffer | null = null;
  if (entry !== undefined && (options.get || options.ifEqual !== null)) {
    const found = stringData(entry);
    if (isReply(found)) return found;
    current = found;
  }
  const skip =
    (options.nx && entry !== undefined) ||
    (options.xx && entry === undefined) ||
    (options.ifEqual !== null && (current === null || !current.equals(options.ifEqual)));
  if (!skip) writeString(context, key, data, expireAtMs ?? noExpiry, options.keepTtl, entry ?? null);
  if (options.get) return current === null ? nilReply : bulkReply(current);
  return skip ? nilReply : okReply;
}

export function setnxCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  if (context.lookup(arg(argv, 1)) !== undefined) return zeroReply;
  writeString(context, arg(argv, 1), arg(argv, 2), noExpiry, false);
  return oneReply;
}

function validateSetexWith(unit: 'seconds' | 'milliseconds', commandName: string) {
  return (argv: readonly Uint8Array[]): Reply | null => {
    const checked = checkSetExpireArgument(arg(argv, 2), unit, commandName);
    return typeof checked === 'bigint' ? null : checked;
  };
}

export const validateSetex = validateSetexWith('seconds', 'setex');
export const validatePsetex = validateSetexWith('milliseconds', 'psetex');

function setexGeneric(context: CommandContext, argv: readonly Uint8Array[], unit: 'seconds' | 'milliseconds', commandName: string): Reply {
  const expireAtMs = setExpireAt(arg(argv, 2), unit, true, context.nowMs, commandName);
  if (isReply(expireAtMs)) return expireAtMs;
  context.lookup(arg(argv, 1));
  writeString(context, arg(argv, 1), arg(argv, 3), expireAtMs, false);
  return okReply;
}

export function setexCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return setexGeneric(context, argv, 'seconds', 'setex');
}

export function psetexCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return setexGeneric(context, argv, 'milliseconds', 'psetex');
}

export function getsetCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const options: StringOptions = { nx: false, xx: false, get: true, keepTtl: false, persist: false, expireKind: null, expireArg: null, ifEqual: null };
  return setGeneric(context, arg(argv, 1), arg(argv, 2), options, 'getset');
}

// ---- GET family -------------------------------------------------------------------------

/** A string's value as a reply: a latin1-kept one (most are) as its text, with no copy made. */
function stringReply(entry: KeyEntry): Reply {
  const stored = entry.stored;
  if (typeof stored === 'string') return new Latin1Bulk(stored);
  const data = stringData(entry);
  return Buffer.isBuffer(data) ? bulkReply(data) : data;
}

export function getCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const entry = context.lookup(arg(argv, 1));
  return entry === undefined ? nilReply : stringReply(entry);
}

export function getdelCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const entry = context.lookupRead(arg(argv, 1));
  if (entry === undefined) return nilReply;
  const data = stringData(entry);
  if (isReply(data)) return data;
  context.delete(entry);
  return bulkReply(data);
}

export function getexCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const options = parseStringOptions(argv, false);
  if (isReply(options)) return options;
  const entry = context.lookupRead(arg(argv, 1));
  if (entry === undefined) return nilReply;
  const data = stringData(entry);
  if (isReply(data)) return data;
  const expireAtMs = optionsExpireAt(options, context.nowMs, 'getex');
  if (isReply(expireAtMs)) return expireAtMs;
  if (expireAtMs !== null) {
    if (context.isDue(expireAtMs)) context.expireNow(entry);
    else context.keyspace.setExpiry(entry, expireAtMs);
  } else if (options.persist && entry.expireAtMs !== noExpiry) {
    context.keyspace.setExpiry(entry, noExpiry);
  }
  return bulkReply(data);
}

export function mgetCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const replies: Reply[] = [];
  for (let j = 1; j < argv.length; j++) {
    const entry = context.lookup(arg(argv, j));
    replies.push(entry === undefined || entry.valueType !== 'string' ? nilReply : stringReply(entry));
  }
  return { kind: 'array', value: replies };
}

function checkMsetArity(argv: readonly Uint8Array[], commandName: string): Reply | null {
  return argv.length % 2 === 0 ? arityError(commandName) : null;
}

export const validateMset = (argv: readonly Uint8Array[]): Reply | null => checkMsetArity(argv, 'mset');
export const validateMsetnx = (argv: readonly Uint8Array[]): Reply | null => checkMsetArity(argv, 'msetnx');

export function msetCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const error = checkMsetArity(argv, 'mset');
  if (error !== null) return error;
  for (let j = 1; j < argv.length; j += 2) {
    // The entry its lookup found is the one written: one key conversion and map probe per key, not two.
    const known = context.lookup(arg(argv, j)) ?? null;
    writeString(context, arg(argv, j), arg(argv, j + 1), noExpiry, false, known);
  }
  return okReply;
}

export function msetnxCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const error = checkMsetArity(argv, 'msetnx');
  if (error !== null) return error;
  for (let j = 1; j < argv.length; j += 2) if (context.lookup(arg(argv, j)) !== undefined) return zeroReply;
  for (let j = 1; j < argv.length; j += 2) writeString(context, arg(argv, j), arg(argv, j + 1), noExpiry, false);
  return oneReply;
}

// ---- Byte-level edits -----------------------------------------------------------------

function checkStringLength(context: CommandContext, offset: number, appendBytes: number): Reply | null {
  return offset + appendBytes > stringBytesMax(context) ? stringTooLongError : null;
}

export function appendCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const key = arg(argv, 1);
  const suffix = arg(argv, 2);
  const entry = context.lookup(key);
  if (entry === undefined) {
    writeString(context, key, suffix, noExpiry, false);
    return integerReply(suffix.length);
  }
  if (entry.valueType !== 'string') return wrongTypeError;
  const tooLong = checkStringLength(context, entry.valueByteLength, suffix.length);
  if (tooLong !== null) return tooLong;
  const value = openString(context, entry, entry.valueByteLength + suffix.length);
  value.write(value.length, suffix);
  return integerReply(value.length);
}

export function strlenCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const entry = context.lookup(arg(argv, 1));
  if (entry === undefined) return zeroReply;
  return entry.valueType === 'string' ? integerReply(entry.valueByteLength) : wrongTypeError;
}

export function validateGetrange(argv: readonly Uint8Array[]): Reply | null {
  return parseInt64(arg(argv, 2)) === null || parseInt64(arg(argv, 3)) === null ? notIntegerError : null;
}

export function getrangeCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const startArg = parseInt64(arg(argv, 2));
  const endArg = parseInt64(arg(argv, 3));
  if (startArg === null || endArg === null) return notIntegerError;
  const data = peekString(context, arg(argv, 1));
  if (data === undefined) return emptyBulkReply;
  const length = BigInt(data.length);
  let start = startArg;
  let end = endArg;
  if (start < 0n && end < 0n && start > end) return emptyBulkReply;
  if (start < 0n) start += length;
  if (end < 0n) end += length;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= length) end = length - 1n;
  if (start > end || length === 0n) return emptyBulkReply;
  // A copy: `data` may be the live bytes of a string kept in place.
  return bulkReply(Buffer.from(data.subarray(Number(start), Number(end) + 1)));
}

export function validateSetrange(argv: readonly Uint8Array[]): Reply | null {
  const offset = parseInt64(arg(argv, 2));
  if (offset === null) return notIntegerError;
  return offset < 0n ? errorReply('ERR offset is out of range') : null;
}

export function setrangeCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const invalid = validateSetrange(argv);
  if (invalid !== null) return invalid;
  const offsetBig = parseInt64(arg(argv, 2)) as bigint;
  const key = arg(argv, 1);
  const patch = arg(argv, 3);
  const entry = context.lookup(key);
  if (entry !== undefined && entry.valueType !== 'string') return wrongTypeError;
  const length = entry?.valueByteLength ?? 0;
  if (patch.length === 0) return integerReply(length);
  if (offsetBig + BigInt(patch.length) > BigInt(stringBytesMax(context))) return stringTooLongError;
  const offset = Number(offsetBig);
  if (entry === undefined) {
    const created = Buffer.alloc(offset + patch.length);
    created.set(patch, offset);
    context.keyspace.create(key, { type: 'string', data: created });
    return integerReply(created.length);
  }
  const value = openString(context, entry, Math.max(length, offset + patch.length));
  value.write(offset, patch);
  return integerReply(value.length);
}

// ---- Counters ---------------------------------------------------------------------------

/** The longest decimal text of a 64-bit integer ("-9223372036854775808"): a longer string is no integer, without reading it. */
const INT64_TEXT_BYTES_MAX = 20;

function incrementBy(context: CommandContext, key: Uint8Array, increment: bigint): Reply {
  const entry = context.lookup(key);
  const counted = entry === undefined ? null : incrementText(context, entry, increment);
  if (counted !== null) return counted;
  let current = 0n;
  if (entry !== undefined) {
    if (entry.valueType === 'string' && entry.valueByteLength > INT64_TEXT_BYTES_MAX) return notIntegerError;
    const data = stringData(entry);
    if (isReply(data)) return data;
    const parsed = parseInt64(data);
    if (parsed === null) return notIntegerError;
    current = parsed;
  }
  const result = current + increment;
  if (result > int64Max || result < int64Min) return overflowError;
  const text = Buffer.from(result.toString(), 'latin1');
  if (entry === undefined) context.keyspace.create(key, { type: 'string', data: text });
  else context.keyspace.update(entry, { type: 'string', data: text }, entry.expireAtMs);
  // Reply's integer is a JS number: results beyond ±2^53 are exact in the value, not in the reply.
  return integerReply(result);
}

/** Increments within ±2^53 (counters): exact in a double, so no BigInt is needed. */
const safeIncrement = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * INCRBY of a counter kept as latin1 text of at most 15 characters (most are) by a safe
 * increment, read and written as text with double arithmetic, which is exact there: the
 * same result as incrementBy's BigInt path, without converting to bytes and back. Null:
 * the value is not such a text (the caller takes the general path).
 */
function incrementText(context: CommandContext, entry: KeyEntry, increment: bigint): Reply | null {
  const stored = entry.stored;
  if (typeof stored !== 'string' || increment > safeIncrement || increment < -safeIncrement) return null;
  const current = parseShortText(stored);
  if (current === undefined) return null;
  if (current === null) return notIntegerError;
  const result = current + Number(increment);
  if (!Number.isSafeInteger(result)) return null;
  context.keyspace.update(entry, String(result), entry.expireAtMs);
  return integerReply(result);
}

export function validateIncrby(argv: readonly Uint8Array[]): Reply | null {
  return parseInt64(arg(argv, 2)) === null ? notIntegerError : null;
}

export function validateDecrby(argv: readonly Uint8Array[]): Reply | null {
  const decrement = parseInt64(arg(argv, 2));
  if (decrement === null) return notIntegerError;
  return decrement === int64Min ? errorReply('ERR decrement would overflow') : null;
}

export function incrCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return incrementBy(context, arg(argv, 1), 1n);
}

export function decrCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return incrementBy(context, arg(argv, 1), -1n);
}

export function incrbyCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const increment = parseInt64(arg(argv, 2));
  if (increment === null) return notIntegerError;
  return incrementBy(context, arg(argv, 1), increment);
}

export function decrbyCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const invalid = validateDecrby(argv);
  if (invalid !== null) return invalid;
  return incrementBy(context, arg(argv, 1), -(parseInt64(arg(argv, 2)) as bigint));
}

export function incrbyfloatCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const key = arg(argv, 1);
  const entry = context.lookup(key);
  let current = parseLongDouble(Buffer.from('0'));
  if (entry !== undefined) {
    const data = stringData(entry);
    if (isReply(data)) return data;
    current = parseLongDouble(data);
  }
  const increment = parseLongDouble(arg(argv, 2));
  if (current === null || increment === null) return notFloatError;
  const nanOrInfinity = errorReply('ERR increment would produce NaN or Infinity');
  if (current.kind === 'infinite' || increment.kind === 'infinite') return nanOrInfinity;
  const sum = addLongDouble(current, increment);
  if (sum.kind === 'infinite') return nanOrInfinity;
  const text = Buffer.from(formatLongDouble(sum), 'latin1');
  if (entry === undefined) context.keyspace.create(key, { type: 'string', data: text });
  else context.keyspace.update(entry, { type: 'string', data: text }, entry.expireAtMs);
  return bulkReply(text);
}

export const stringCommands: readonly CommandSpec[] = [
  command('get', 2, ['readonly', 'fast'], oneKey, getCommand),
  command('set', -3, ['write', 'denyoom'], oneKey, setCommand, validateSet),
  command('setnx', 3, ['write', 'denyoom', 'fast'], oneKey, setnxCommand),
  command('setex', 4, ['write', 'denyoom'], oneKey, setexCommand, validateSetex),
  command('psetex', 4, ['write', 'denyoom'], oneKey, psetexCommand, validatePsetex),
  command('getset', 3, ['write', 'denyoom', 'fast'], oneKey, getsetCommand),
  command('getdel', 2, ['write', 'fast'], oneKey, getdelCommand),
  command('getex', -2, ['write', 'fast'], oneKey, getexCommand, validateGetex),
  command('mget', -2, ['readonly', 'fast'], allKeys, mgetCommand),
  command('mset', -3, ['write', 'denyoom'], [1, -1, 2], msetCommand, validateMset),
  command('msetnx', -3, ['write', 'denyoom'], [1, -1, 2], msetnxCommand, validateMsetnx),
  command('append', 3, ['write', 'denyoom', 'fast'], oneKey, appendCommand),
  command('strlen', 2, ['readonly', 'fast'], oneKey, strlenCommand),
  command('getrange', 4, ['readonly'], oneKey, getrangeCommand, validateGetrange),
  command('substr', 4, ['readonly'], oneKey, getrangeCommand, validateGetrange),
  command('setrange', 4, ['write', 'denyoom'], oneKey, setrangeCommand, validateSetrange),
  command('incr', 2, ['write', 'denyoom', 'fast'], oneKey, incrCommand),
  command('decr', 2, ['write', 'denyoom', 'fast'], oneKey, decrCommand),
  command('incrby', 3, ['write', 'denyoom', 'fast'], oneKey, incrbyCommand, validateIncrby),
  command('decrby', 3, ['write', 'denyoom', 'fast'], oneKey, decrbyCommand, validateDecrby),
  command('incrbyfloat', 3, ['write', 'denyoom', 'fast'], oneKey, incrbyfloatCommand),
];
