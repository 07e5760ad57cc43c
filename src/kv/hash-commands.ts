// Hash commands. Semantics and error texts follow Redis 7 (t_hash.c); the type itself is in
// hash-value.ts.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, oneKey, parsedCommand, type CommandSpec } from './command-spec.js';
import { mapKeyOf } from './keyspace.js';
import { HashValue } from './hash-value.js';
import { arityError, bulkReply, CommandError, integerReply, nilReply } from './replies.js';

const hashKind = { type: 'hash', create: HashValue.create } as const;

const text = (bytes: Uint8Array): string => mapKeyOf(bytes);
const bulkLatin1 = (value: string): Reply => bulkReply(Buffer.from(value, 'latin1'));

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

function parseKey(argv: readonly Uint8Array[]): Uint8Array {
  return arg(argv, 1);
}

function hset(context: CommandContext, request: KeyPairs): Reply {
  const hash = context.writeCollection(request.key, hashKind, true) as HashValue;
  let created = 0;
  for (const [field, value] of request.pairs) if (hash.set(field, value)) created++;
  return integerReply(created);
}

function hmset(context: CommandContext, request: KeyPairs): Reply {
  hset(context, request);
  return { kind: 'simple', value: 'OK' };
}

function hget(context: CommandContext, request: KeyFields): Reply {
  const value = context.readCollection(request.key, hashKind)?.get(request.fields[0] as string);
  return value === undefined ? nilReply : bulkLatin1(value);
}

function hdel(context: CommandContext, request: KeyFields): Reply {
  const hash = context.writeCollection(request.key, hashKind, false);
  if (hash === undefined) return integerReply(0);
  let deleted = 0;
  for (const field of request.fields) if (hash.delete(field)) deleted++;
  return integerReply(deleted);
}

function hlen(context: CommandContext, key: Uint8Array): Reply {
  return integerReply(context.readCollection(key, hashKind)?.length ?? 0);
}

function hgetall(context: CommandContext, key: Uint8Array): Reply {
  const hash = context.readCollection(key, hashKind);
  const pairs: (readonly [Reply, Reply])[] = [];
  if (hash !== undefined) for (const [field, value] of hash.entries()) pairs.push([bulkLatin1(field), bulkLatin1(value)]);
  return { kind: 'map', value: pairs };
}

export const hashCommands: readonly CommandSpec[] = [
  parsedCommand('hset', -4, ['write', 'denyoom', 'fast'], oneKey, parsePairs('hset'), hset),
  parsedCommand('hmset', -4, ['write', 'denyoom', 'fast'], oneKey, parsePairs('hmset'), hmset),
  parsedCommand('hget', 3, ['readonly', 'fast'], oneKey, parseKeyFields, hget),
  parsedCommand('hdel', -3, ['write', 'fast'], oneKey, parseKeyFields, hdel),
  parsedCommand('hlen', 2, ['readonly', 'fast'], oneKey, parseKey, hlen),
  parsedCommand('hgetall', 2, ['readonly'], oneKey, parseKey, hgetall),
];
