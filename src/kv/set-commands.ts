// Set commands on one set: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP,
// SRANDMEMBER, SMOVE, SSCAN; the multi-set commands are in set-algebra-commands.ts and their
// rows are part of setCommands. Semantics and error texts follow Redis 7 (t_set.c); the type
// itself is in set-value.ts.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, oneKey, parseKey, parseKeyMembers, parsedCommand, type CommandSpec, type KeyMembers } from './command-spec.js';
import { mapKeyOf } from './keyspace.js';
import type { SetValue } from './set-value.js';
import { memberReply, memberSetReply, setKind } from './set-reply.js';
import { setAlgebraCommands } from './set-algebra-commands.js';
import { boundRandomCount, parseRandomCount, randomPositions, randomSeed, SeededDraws } from './random-picks.js';
import { parseInt64 } from './integer-parse.js';
import {
  emptyScanReply, parseCollectionScan, scanMatches, scanPositions, scanReply, type CollectionScan,
} from './collection-scan.js';
import { CommandError, errorReply, integerReply, nilReply, oneReply, syntaxError, zeroReply } from './replies.js';

const notPositiveError = errorReply('ERR value is out of range, must be positive');

const text = (bytes: Uint8Array): string => mapKeyOf(bytes);


/** The member argument of single-member commands (SISMEMBER). */
function memberOf(request: KeyMembers): string {
  return request.members[0] as string;
}

function sadd(context: CommandContext, request: KeyMembers): Reply {
  const set = context.writeCollection(request.key, setKind, true) as SetValue;
  let added = 0;
  for (const member of request.members) if (set.add(member)) added++;
  return integerReply(added);
}

function srem(context: CommandContext, request: KeyMembers): Reply {
  const set = context.writeCollection(request.key, setKind, false);
  if (set === undefined) return zeroReply;
  let removed = 0;
  for (const member of request.members) if (set.delete(member)) removed++;
  return integerReply(removed);
}

function smembers(context: CommandContext, key: Uint8Array): Reply {
  return memberSetReply(context.readCollection(key, setKind)?.values() ?? []);
}

function sismember(context: CommandContext, request: KeyMembers): Reply {
  return context.readCollection(request.key, setKind)?.has(memberOf(request)) === true ? oneReply : zeroReply;
}

function smismember(context: CommandContext, request: KeyMembers): Reply {
  const set = context.readCollection(request.key, setKind);
  return { kind: 'array', value: request.members.map((member) => (set?.has(member) === true ? oneReply : zeroReply)) };
}

function scard(context: CommandContext, key: Uint8Array): Reply {
  return integerReply(context.readCollection(key, setKind)?.length ?? 0);
}

// ---- Random members ----------------------------------------------------------------------

interface KeyCount {
  readonly key: Uint8Array;
  /** Null: one member as a bulk string (no count argument). */
  readonly count: number | null;
}

/** SPOP key [count]: a count of at least 0 (Redis's getPositiveLong text for anything else). */
function parseSpop(argv: readonly Uint8Array[]): KeyCount {
  if (argv.length > 3) throw new CommandError(syntaxError);
  if (argv.length === 2) return { key: arg(argv, 1), count: null };
  const count = parseInt64(arg(argv, 2));
  if (count === null || count < 0n) throw new CommandError(notPositiveError);
  // Beyond 2^53 the count is exact enough: it only ever means "every member".
  return { key: arg(argv, 1), count: Number(count) };
}

/** SPOP: members chosen by the entry's seed, so every replica removes the same ones. */
function spop(context: CommandContext, request: KeyCount): Reply {
  const set = context.writeCollection(request.key, setKind, false);
  if (request.count === null) return set === undefined ? nilReply : memberReply(set.popAt(new SeededDraws(randomSeed(context)).below(set.length)));
  if (set === undefined || request.count === 0) return memberSetReply([]);
  const popped: string[] = [];
  if (request.count >= set.length) {
    while (set.length > 0) popped.push(set.popAt(set.length - 1));
  } else {
    const draws = new SeededDraws(randomSeed(context));
    for (let i = 0; i < request.count; i++) popped.push(set.popAt(draws.below(set.length)));
  }
  return memberSetReply(popped);
}

function parseSrandmember(argv: readonly Uint8Array[]): KeyCount {
  if (argv.length > 3) throw new CommandError(syntaxError);
  if (argv.length === 2) return { key: arg(argv, 1), count: null };
  return { key: arg(argv, 1), count: boundRandomCount(parseRandomCount(arg(argv, 2))) };
}

function srandmember(context: CommandContext, request: KeyCount): Reply {
  const set = context.readCollection(request.key, setKind);
  if (request.count === null) return set === undefined ? nilReply : memberReply(set.memberAt(new SeededDraws(randomSeed(context)).below(set.length)));
  const positions = set === undefined ? [] : randomPositions(randomSeed(context), set.length, request.count);
  return { kind: 'array', value: positions.map((position) => memberReply((set as SetValue).memberAt(position))) };
}

// ---- Moves and scans ---------------------------------------------------------------------

interface Move {
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
  readonly member: string;
}

function parseSmove(argv: readonly Uint8Array[]): Move {
  return { source: arg(argv, 1), destination: arg(argv, 2), member: text(arg(argv, 3)) };
}

/** SMOVE: both keys' types are checked before anything changes; an absent source is 0 whatever the destination holds. */
function smove(context: CommandContext, request: Move): Reply {
  const source = context.readCollection(request.source, setKind);
  if (source === undefined) return zeroReply;
  const destination = context.readCollection(request.destination, setKind);
  if (!source.has(request.member)) return zeroReply;
  if (source === destination) return oneReply;
  (context.writeCollection(request.source, setKind, false) as SetValue).delete(request.member);
  (context.writeCollection(request.destination, setKind, true) as SetValue).add(request.member);
  return oneReply;
}

function sscan(context: CommandContext, request: CollectionScan): Reply {
  const set = context.readCollection(request.key, setKind);
  if (set === undefined) return emptyScanReply;
  if (request.optionError !== null) return request.optionError;
  const items: Reply[] = [];
  const next = scanPositions(set.length, request.cursor, request.count, (position) => {
    const member = set.memberAt(position);
    if (scanMatches(request, member)) items.push(memberReply(member));
  });
  return scanReply(next, items);
}

export const setCommands: readonly CommandSpec[] = [
  parsedCommand('sadd', -3, ['write', 'denyoom', 'fast'], oneKey, parseKeyMembers, sadd),
  parsedCommand('srem', -3, ['write', 'fast'], oneKey, parseKeyMembers, srem),
  parsedCommand('smembers', 2, ['readonly'], oneKey, parseKey, smembers),
  parsedCommand('sismember', 3, ['readonly', 'fast'], oneKey, parseKeyMembers, sismember),
  parsedCommand('smismember', -3, ['readonly', 'fast'], oneKey, parseKeyMembers, smismember),
  parsedCommand('scard', 2, ['readonly', 'fast'], oneKey, parseKey, scard),
  parsedCommand('spop', -2, ['write', 'fast'], oneKey, parseSpop, spop),
  parsedCommand('srandmember', -2, ['readonly'], oneKey, parseSrandmember, srandmember),
  parsedCommand('smove', 4, ['write', 'fast'], [1, 2, 1], parseSmove, smove),
  parsedCommand('sscan', -3, ['readonly'], oneKey, parseCollectionScan, sscan),
  ...setAlgebraCommands,
];
