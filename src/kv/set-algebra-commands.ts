// Set commands over several sets: SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE,
// SDIFF, SDIFFSTORE (Redis 7, t_set.c). Like Redis, every key is type-checked first (any key
// of another type answers WRONGTYPE, before anything changes); an absent key is an empty set.
// The *STORE commands replace the destination whatever it held (its expiry goes too) and
// delete it when the result is empty. Results come in the order of the set they were read
// from (the smallest set for an intersection, the first for a difference, argument order for
// a union): deterministic, though not Redis's hash-table order.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { allKeys, arg, noKeys, parsedCommand, type CommandSpec } from './command-spec.js';
import { isKeyword, parseInt64 } from './integer-parse.js';
import { SetValue } from './set-value.js';
import { memberSetReply, setKind } from './set-reply.js';
import { CommandError, errorReply, integerReply, syntaxError } from './replies.js';

const numkeysError = errorReply('ERR numkeys should be greater than 0');
const tooManyKeysError = errorReply("ERR Number of keys can't be greater than number of args");
const negativeLimitError = errorReply("ERR LIMIT can't be negative");

/** Every key's set (undefined when absent); WRONGTYPE thrown if any holds another type. */
function readSets(context: CommandContext, keys: readonly Uint8Array[]): (SetValue | undefined)[] {
  return keys.map((key) => context.readSource(key, setKind));
}

/** Members in every set, at most `limit`, walking the smallest set. */
function intersection(sets: readonly (SetValue | undefined)[], limit = Number.POSITIVE_INFINITY): string[] {
  const present = sets.filter((set): set is SetValue => set !== undefined);
  if (present.length < sets.length) return [];
  // A stable sort: equal sizes keep argument order, so every replica walks the same set.
  const [smallest, ...others] = [...present].sort((a, b) => a.length - b.length);
  const members: string[] = [];
  if (smallest === undefined) return members;
  for (const member of smallest.values()) {
    if (members.length >= limit) break;
    if (others.every((set) => set.has(member))) members.push(member);
  }
  return members;
}

function union(sets: readonly (SetValue | undefined)[]): SetValue {
  const result = SetValue.create();
  for (const set of sets) if (set !== undefined) for (const member of set.values()) result.add(member);
  return result;
}

/** Members of the first set in none of the others. */
function difference(sets: readonly (SetValue | undefined)[]): string[] {
  const [first, ...others] = sets;
  if (first === undefined) return [];
  const members: string[] = [];
  for (const member of first.values()) if (!others.some((set) => set?.has(member) === true)) members.push(member);
  return members;
}

/** Replaces `destination` with `result` (deleted when it is empty); the result's size. */
function store(context: CommandContext, destination: Uint8Array, result: SetValue): Reply {
  const existing = context.lookup(destination);
  if (existing !== undefined) context.delete(existing);
  if (result.length > 0) context.keyspace.create(destination, result);
  return integerReply(result.length);
}

interface Keys {
  readonly keys: readonly Uint8Array[];
}

interface StoreKeys extends Keys {
  readonly destination: Uint8Array;
}

function parseKeys(argv: readonly Uint8Array[]): Keys {
  return { keys: argv.slice(1) };
}

function parseStoreKeys(argv: readonly Uint8Array[]): StoreKeys {
  return { destination: arg(argv, 1), keys: argv.slice(2) };
}

function sinter(context: CommandContext, request: Keys): Reply {
  return memberSetReply(intersection(readSets(context, request.keys)));
}

function sinterstore(context: CommandContext, request: StoreKeys): Reply {
  return store(context, request.destination, SetValue.of(intersection(readSets(context, request.keys))));
}

function sunion(context: CommandContext, request: Keys): Reply {
  return memberSetReply(union(readSets(context, request.keys)).values());
}

function sunionstore(context: CommandContext, request: StoreKeys): Reply {
  return store(context, request.destination, union(readSets(context, request.keys)));
}

function sdiff(context: CommandContext, request: Keys): Reply {
  return memberSetReply(difference(readSets(context, request.keys)));
}

function sdiffstore(context: CommandContext, request: StoreKeys): Reply {
  return store(context, request.destination, SetValue.of(difference(readSets(context, request.keys))));
}

interface InterCard extends Keys {
  /** 0: no limit. */
  readonly limit: number;
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit], with Redis's order of checks and texts. */
function parseSintercard(argv: readonly Uint8Array[]): InterCard {
  const numkeys = parseInt64(arg(argv, 1));
  if (numkeys === null || numkeys < 1n) throw new CommandError(numkeysError);
  if (numkeys > BigInt(argv.length - 2)) throw new CommandError(tooManyKeysError);
  const keysEnd = 2 + Number(numkeys);
  let limit = 0;
  for (let j = keysEnd; j < argv.length; j++) {
    const value = argv[j + 1];
    if (!isKeyword(arg(argv, j), 'limit') || value === undefined) throw new CommandError(syntaxError);
    const parsed = parseInt64(value);
    if (parsed === null || parsed < 0n) throw new CommandError(negativeLimitError);
    limit = Number(parsed);
    j++;
  }
  return { keys: argv.slice(2, keysEnd), limit };
}

function sintercard(context: CommandContext, request: InterCard): Reply {
  const limit = request.limit === 0 ? Number.POSITIVE_INFINITY : request.limit;
  return integerReply(intersection(readSets(context, request.keys), limit).length);
}

export const setAlgebraCommands: readonly CommandSpec[] = [
  parsedCommand('sinter', -2, ['readonly'], allKeys, parseKeys, sinter),
  parsedCommand('sintercard', -3, ['readonly', 'movablekeys'], noKeys, parseSintercard, sintercard),
  parsedCommand('sinterstore', -3, ['write', 'denyoom'], allKeys, parseStoreKeys, sinterstore),
  parsedCommand('sunion', -2, ['readonly'], allKeys, parseKeys, sunion),
  parsedCommand('sunionstore', -3, ['write', 'denyoom'], allKeys, parseStoreKeys, sunionstore),
  parsedCommand('sdiff', -2, ['readonly'], allKeys, parseKeys, sdiff),
  parsedCommand('sdiffstore', -3, ['write', 'denyoom'], allKeys, parseStoreKeys, sdiffstore),
];
