// Hash commands. Semantics and error texts follow Redis 7 (t_hash.c); the type itself is in
// hash-value.ts.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, oneKey, parseKey, parsedCommand, type CommandSpec } from './command-spec.js';
import { mapKeyOf } from './keyspace.js';
import { HashValue } from './hash-value.js';
import { int64Max, int64Min, isKeyword, parseInt64 } from './integer-parse.js';
import { addLongDouble, formatLongDouble, parseLongDouble, type LongDouble } from './long-double.js';
import { boundRandomCount, parseRandomCount, randomPositions, randomSeed, SeededDraws } from './random-picks.js';
import {
  emptyScanReply, parseCollectionScan, scanMatches, scanPositions, scanReply, type CollectionScan,
} from './collection-scan.js';
import {
  arityError, bulkReply, CommandError, errorReply, integerReply, nilReply, notFloatError, notIntegerError, okReply,
  oneReply, overflowError, syntaxError, zeroReply,
} from './replies.js';

const hashKind = { type: 'hash', create: HashValue.create } as const;

const hashNotIntegerError = errorReply('ERR hash value is not an integer');
const hashNotFloatError = errorReply('ERR hash value is not a float');
const incrementNotFiniteError = errorReply('ERR value is NaN or Infinity');
const resultNotFiniteError = errorReply('ERR increment would produce NaN or Infinity');
const withValuesRangeError = errorReply('ERR value is out of range');
/** What HINCRBYFLOAT adds to when the field is absent. */
const longDoubleZero = parseLongDouble(Buffer.from('0')) as LongDouble;

const text = (bytes: Uint8Array): string => mapKeyOf(bytes);
const bulkLatin1 = (value: string): Reply => bulkReply(Buffer.from(value, 'latin1'));
const bulkOrNil = (value: string | undefined): Reply => (value === undefined ? nilReply : bulkLatin1(value));

interface KeyFields {
  readonly key: Uint8Array;
  /** Field names as latin1 strings. */
  readonly fields: readonly string[];
}

interface KeyPairs {
  readonly key: Uint8Array;
  /** Field and value pairs as latin1 strings. */
  readonly pairs: readonly (readonly [string, string])[];
}

interface KeyFieldValue {
  readonly key: Uint8Array;
  readonly field: string;
  readonly value: string;
}

function parseKeyFields(argv: readonly Uint8Array[]): KeyFields {
  return { key: arg(argv, 1), fields: argv.slice(2).map(text) };
}

function parsePairs(name: string) {
  return (argv: readonly Uint8Array[]): KeyPairs => {
    if (argv.length % 2 !== 0) throw new CommandError(arityError(name));
    const pairs: (readonly [string, string])[] = [];
    for (let j = 2; j < argv.length; j += 2) pairs.push([text(arg(argv, j)), text(arg(argv, j + 1))]);
    return { key: arg(argv, 1), pairs };
  };
}

function parseKeyFieldValue(argv: readonly Uint8Array[]): KeyFieldValue {
  return { key: arg(argv, 1), field: text(arg(argv, 2)), value: text(arg(argv, 3)) };
}


/** The field argument of single-field commands (HGET, HEXISTS, HSTRLEN). */
function fieldOf(request: KeyFields): string {
  return request.fields[0] as string;
}

// ---- Fields ------------------------------------------------------------------------------

function hset(context: CommandContext, request: KeyPairs): Reply {
  const hash = context.writeCollection(request.key, hashKind, true) as HashValue;
  let created = 0;
  for (const [field, value] of request.pairs) if (hash.set(field, value)) created++;
  return integerReply(created);
}

function hmset(context: CommandContext, request: KeyPairs): Reply {
  hset(context, request);
  return okReply;
}

function hsetnx(context: CommandContext, request: KeyFieldValue): Reply {
  const hash = context.writeCollection(request.key, hashKind, true) as HashValue;
  if (hash.has(request.field)) return zeroReply;
  hash.set(request.field, request.value);
  return oneReply;
}

function hget(context: CommandContext, request: KeyFields): Reply {
  return bulkOrNil(context.readCollection(request.key, hashKind)?.get(fieldOf(request)));
}

function hmget(context: CommandContext, request: KeyFields): Reply {
  const hash = context.readCollection(request.key, hashKind);
  return { kind: 'array', value: request.fields.map((field) => bulkOrNil(hash?.get(field))) };
}

function hexists(context: CommandContext, request: KeyFields): Reply {
  return context.readCollection(request.key, hashKind)?.has(fieldOf(request)) === true ? oneReply : zeroReply;
}

function hstrlen(context: CommandContext, request: KeyFields): Reply {
  return integerReply(context.readCollection(request.key, hashKind)?.get(fieldOf(request))?.length ?? 0);
}

function hdel(context: CommandContext, request: KeyFields): Reply {
  const hash = context.writeCollection(request.key, hashKind, false);
  if (hash === undefined) return zeroReply;
  let deleted = 0;
  for (const field of request.fields) if (hash.delete(field)) deleted++;
  return integerReply(deleted);
}

// ---- Whole hash --------------------------------------------------------------------------

function hlen(context: CommandContext, key: Uint8Array): Reply {
  return integerReply(context.readCollection(key, hashKind)?.length ?? 0);
}

function hgetall(context: CommandContext, key: Uint8Array): Reply {
  const hash = context.readCollection(key, hashKind);
  const pairs: (readonly [Reply, Reply])[] = [];
  if (hash !== undefined) for (const [field, value] of hash.entries()) pairs.push([bulkLatin1(field), bulkLatin1(value)]);
  return { kind: 'map', value: pairs };
}

function hkeys(context: CommandContext, key: Uint8Array): Reply {
  const hash = context.readCollection(key, hashKind);
  return { kind: 'array', value: hash === undefined ? [] : Array.from(hash.keys(), bulkLatin1) };
}

function hvals(context: CommandContext, key: Uint8Array): Reply {
  const hash = context.readCollection(key, hashKind);
  return { kind: 'array', value: hash === undefined ? [] : Array.from(hash.values(), bulkLatin1) };
}

// ---- Counters ----------------------------------------------------------------------------

interface IntegerIncrement {
  readonly key: Uint8Array;
  readonly field: string;
  readonly increment: bigint;
}

function parseHincrby(argv: readonly Uint8Array[]): IntegerIncrement {
  const increment = parseInt64(arg(argv, 3));
  if (increment === null) throw new CommandError(notIntegerError);
  return { key: arg(argv, 1), field: text(arg(argv, 2)), increment };
}

function hincrby(context: CommandContext, request: IntegerIncrement): Reply {
  const hash = context.writeCollection(request.key, hashKind, true) as HashValue;
  const stored = hash.get(request.field);
  const current = stored === undefined ? 0n : parseInt64(Buffer.from(stored, 'latin1'));
  if (current === null) return hashNotIntegerError;
  const result = current + request.increment;
  if (result > int64Max || result < int64Min) return overflowError;
  hash.set(request.field, result.toString());
  return integerReply(result);
}

interface FloatIncrement {
  readonly key: Uint8Array;
  readonly field: string;
  readonly increment: LongDouble;
}

function parseHincrbyfloat(argv: readonly Uint8Array[]): FloatIncrement {
  const increment = parseLongDouble(arg(argv, 3));
  if (increment === null) throw new CommandError(notFloatError);
  if (increment.kind === 'infinite') throw new CommandError(incrementNotFiniteError);
  return { key: arg(argv, 1), field: text(arg(argv, 2)), increment };
}

/** Like INCRBYFLOAT: long double arithmetic, printed as Redis prints it (long-double.ts). */
function hincrbyfloat(context: CommandContext, request: FloatIncrement): Reply {
  const hash = context.writeCollection(request.key, hashKind, true) as HashValue;
  const stored = hash.get(request.field);
  const current = stored === undefined ? longDoubleZero : parseLongDouble(Buffer.from(stored, 'latin1'));
  if (current === null) return hashNotFloatError;
  if (current.kind === 'infinite') return resultNotFiniteError;
  const sum = addLongDouble(current, request.increment);
  if (sum.kind === 'infinite') return resultNotFiniteError;
  const printed = formatLongDouble(sum);
  hash.set(request.field, printed);
  return bulkLatin1(printed);
}

// ---- Random fields and scans -------------------------------------------------------------

interface RandomFields {
  readonly key: Uint8Array;
  /** Null: one field as a bulk string (no count argument). */
  readonly count: number | null;
  readonly withValues: boolean;
}

/** HRANDFIELD key [count [WITHVALUES]], with Redis's order of checks. */
function parseHrandfield(argv: readonly Uint8Array[]): RandomFields {
  if (argv.length === 2) return { key: arg(argv, 1), count: null, withValues: false };
  const count = parseRandomCount(arg(argv, 2));
  if (argv.length > 4 || (argv.length === 4 && !isKeyword(arg(argv, 3), 'withvalues'))) throw new CommandError(syntaxError);
  const withValues = argv.length === 4;
  // Redis doubles the count for WITHVALUES replies, so it refuses counts beyond half the range.
  if (withValues && (count > int64Max / 2n || count < -int64Max / 2n)) throw new CommandError(withValuesRangeError);
  return { key: arg(argv, 1), count: boundRandomCount(count), withValues };
}

function hrandfield(context: CommandContext, request: RandomFields): Reply {
  const hash = context.readCollection(request.key, hashKind);
  if (request.count === null) {
    return hash === undefined ? nilReply : bulkLatin1(hash.fieldAt(new SeededDraws(randomSeed(context)).below(hash.length)));
  }
  const positions = hash === undefined ? [] : randomPositions(randomSeed(context), hash.length, request.count);
  const fields = positions.map((position) => bulkLatin1((hash as HashValue).fieldAt(position)));
  if (!request.withValues) return { kind: 'array', value: fields };
  return { kind: 'pairs', value: positions.map((position, i) => [fields[i] as Reply, bulkLatin1((hash as HashValue).valueAt(position))] as const) };
}

function hscan(context: CommandContext, request: CollectionScan): Reply {
  const hash = context.readCollection(request.key, hashKind);
  if (hash === undefined) return emptyScanReply;
  if (request.optionError !== null) return request.optionError;
  const items: Reply[] = [];
  const next = scanPositions(hash.length, request.cursor, request.count, (position) => {
    const field = hash.fieldAt(position);
    if (scanMatches(request, field)) items.push(bulkLatin1(field), bulkLatin1(hash.valueAt(position)));
  });
  return scanReply(next, items);
}

export const hashCommands: readonly CommandSpec[] = [
  parsedCommand('hset', -4, ['write', 'denyoom', 'fast'], oneKey, parsePairs('hset'), hset),
  parsedCommand('hmset', -4, ['write', 'denyoom', 'fast'], oneKey, parsePairs('hmset'), hmset),
  parsedCommand('hsetnx', 4, ['write', 'denyoom', 'fast'], oneKey, parseKeyFieldValue, hsetnx),
  parsedCommand('hget', 3, ['readonly', 'fast'], oneKey, parseKeyFields, hget),
  parsedCommand('hmget', -3, ['readonly', 'fast'], oneKey, parseKeyFields, hmget),
  parsedCommand('hexists', 3, ['readonly', 'fast'], oneKey, parseKeyFields, hexists),
  parsedCommand('hstrlen', 3, ['readonly', 'fast'], oneKey, parseKeyFields, hstrlen),
  parsedCommand('hdel', -3, ['write', 'fast'], oneKey, parseKeyFields, hdel),
  parsedCommand('hlen', 2, ['readonly', 'fast'], oneKey, parseKey, hlen),
  parsedCommand('hgetall', 2, ['readonly'], oneKey, parseKey, hgetall),
  parsedCommand('hkeys', 2, ['readonly'], oneKey, parseKey, hkeys),
  parsedCommand('hvals', 2, ['readonly'], oneKey, parseKey, hvals),
  parsedCommand('hincrby', 4, ['write', 'denyoom', 'fast'], oneKey, parseHincrby, hincrby),
  parsedCommand('hincrbyfloat', 4, ['write', 'denyoom', 'fast'], oneKey, parseHincrbyfloat, hincrbyfloat),
  parsedCommand('hrandfield', -2, ['readonly'], oneKey, parseHrandfield, hrandfield),
  parsedCommand('hscan', -3, ['readonly'], oneKey, parseCollectionScan, hscan),
];
