// Sorted-set commands: ZADD and ZINCRBY, ZREM and the point reads here; ranges, pops, set
// algebra, random members and ZSCAN in the zset-*-commands.ts files beside it. Semantics and
// error texts follow Redis 7 (t_zset.c); the type itself is in zset-value.ts. This file
// exports every row of the family.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, oneKey, parseKey, parseKeyMembers, parsedCommand, type CommandSpec, type KeyMembers } from './command-spec.js';
import { mapKeyOf } from './keyspace.js';
import { isKeyword } from './integer-parse.js';
import { CommandError, errorReply, integerReply, nilReply, notFloatError, syntaxError } from './replies.js';
import { parseScore } from './zset-range.js';
import { nanScoreError, scoreReply, zsetKind } from './zset-reply.js';
import type { ZSetValue } from './zset-value.js';
import { zsetRangeCommands } from './zset-range-commands.js';
import { zsetPopCommands } from './zset-pop-commands.js';
import { zsetAlgebraCommands } from './zset-algebra-commands.js';
import { zsetRandomCommands } from './zset-random-commands.js';
import { zsetScanCommands } from './zset-scan-commands.js';

const text = (bytes: Uint8Array): string => mapKeyOf(bytes);

// ---- ZADD, ZINCRBY ------------------------------------------------------------------------

export interface AddFlags {
  readonly nx: boolean;
  readonly xx: boolean;
  readonly gt: boolean;
  readonly lt: boolean;
  readonly ch: boolean;
  readonly incr: boolean;
}

export interface AddRequest extends AddFlags {
  readonly key: Uint8Array;
  readonly scores: readonly number[];
  readonly members: readonly string[];
}

const addFlagNames = ['nx', 'xx', 'gt', 'lt', 'ch', 'incr'] as const;
type AddFlagName = (typeof addFlagNames)[number];

/** The ZADD flag `option` names (any case), or undefined: compared as bytes, no string made. */
function addFlagOf(option: Uint8Array): AddFlagName | undefined {
  return addFlagNames.find((name) => isKeyword(option, name));
}

/** ZADD's arguments, checked in Redis's order (flags, pairs, conflicts, then every score). */
function parseAdd(argv: readonly Uint8Array[], incrByCommand: boolean): AddRequest {
  const flags: Record<AddFlagName, boolean> = { nx: false, xx: false, gt: false, lt: false, ch: false, incr: incrByCommand };
  let at = 2;
  for (; at < argv.length; at++) {
    const name = addFlagOf(arg(argv, at));
    if (name === undefined) break;
    flags[name] = true;
  }
  const elements = argv.length - at;
  if (elements % 2 !== 0 || elements === 0) throw new CommandError(syntaxError);
  if (flags.nx && flags.xx) throw new CommandError(errorReply('ERR XX and NX options at the same time are not compatible'));
  if ((flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt)) {
    throw new CommandError(errorReply('ERR GT, LT, and/or NX options at the same time are not compatible'));
  }
  if (flags.incr && elements > 2) throw new CommandError(errorReply('ERR INCR option supports a single increment-element pair'));
  const scores: number[] = [];
  const members: string[] = [];
  for (let j = at; j < argv.length; j += 2) {
    const score = parseScore(arg(argv, j));
    if (score === null) throw new CommandError(notFloatError);
    scores.push(score);
    members.push(text(arg(argv, j + 1)));
  }
  return { key: arg(argv, 1), scores, members, ...flags };
}

/** What ZADD's rules did to one member: `score` is its score afterwards (INCR replies it). */
type AddResult = { readonly kind: 'added' | 'updated' | 'unchanged' | 'skipped'; readonly score: number } | { readonly kind: 'nan' };

/** One member under ZADD's rules (zsetAdd): NX/XX/GT/LT, INCR adds to the current score. */
function addMember(zset: ZSetValue, flags: AddFlags, member: string, score: number): AddResult {
  const current = zset.score(member);
  if (current === undefined) {
    if (flags.xx) return { kind: 'skipped', score };
    zset.set(member, score);
    return { kind: 'added', score };
  }
  if (flags.nx) return { kind: 'skipped', score };
  const next = flags.incr ? current + score : score;
  if (Number.isNaN(next)) return { kind: 'nan' };
  if ((flags.lt && next >= current) || (flags.gt && next <= current)) return { kind: 'skipped', score: next };
  if (next === current) return { kind: 'unchanged', score: next };
  zset.set(member, next);
  return { kind: 'updated', score: next };
}

export function zadd(context: CommandContext, request: AddRequest): Reply {
  const existing = context.writeCollection(request.key, zsetKind, false);
  if (existing === undefined && request.xx) return request.incr ? nilReply : integerReply(0);
  const zset = existing ?? (context.writeCollection(request.key, zsetKind, true) as ZSetValue);
  let added = 0;
  let updated = 0;
  let last: AddResult | null = null;
  for (let i = 0; i < request.members.length; i++) {
    last = addMember(zset, request, request.members[i] as string, request.scores[i] as number);
    if (last.kind === 'nan') return nanScoreError;
    if (last.kind === 'added') added++;
    if (last.kind === 'updated') updated++;
  }
  if (!request.incr) return integerReply(request.ch ? added + updated : added);
  return last === null || last.kind === 'skipped' ? nilReply : scoreReply(last.score);
}

// ---- ZREM and point reads -------------------------------------------------------------------


function zrem(context: CommandContext, request: KeyMembers): Reply {
  const zset = context.writeCollection(request.key, zsetKind, false);
  if (zset === undefined) return integerReply(0);
  let removed = 0;
  for (const member of request.members) if (zset.delete(member)) removed++;
  return integerReply(removed);
}

function zcard(context: CommandContext, key: Uint8Array): Reply {
  return integerReply(context.readCollection(key, zsetKind)?.length ?? 0);
}

function zscore(context: CommandContext, request: KeyMembers): Reply {
  const score = context.readCollection(request.key, zsetKind)?.score(request.members[0] as string);
  return score === undefined ? nilReply : scoreReply(score);
}

function zmscore(context: CommandContext, request: KeyMembers): Reply {
  const zset = context.readCollection(request.key, zsetKind);
  return {
    kind: 'array',
    value: request.members.map((member) => {
      const score = zset?.score(member);
      return score === undefined ? nilReply : scoreReply(score);
    }),
  };
}

function zrank(reverse: boolean) {
  return (context: CommandContext, request: KeyMembers): Reply => {
    const zset = context.readCollection(request.key, zsetKind);
    const rank = zset?.rank(request.members[0] as string);
    if (zset === undefined || rank === undefined) return nilReply;
    return integerReply(reverse ? zset.length - 1 - rank : rank);
  };
}

export const zsetCommands: readonly CommandSpec[] = [
  parsedCommand('zadd', -4, ['write', 'denyoom', 'fast'], oneKey, (argv) => parseAdd(argv, false), zadd),
  parsedCommand('zincrby', 4, ['write', 'denyoom', 'fast'], oneKey, (argv) => parseAdd(argv, true), zadd),
  parsedCommand('zrem', -3, ['write', 'fast'], oneKey, parseKeyMembers, zrem),
  parsedCommand('zcard', 2, ['readonly', 'fast'], oneKey, parseKey, zcard),
  parsedCommand('zscore', 3, ['readonly', 'fast'], oneKey, parseKeyMembers, zscore),
  parsedCommand('zmscore', -3, ['readonly', 'fast'], oneKey, parseKeyMembers, zmscore),
  parsedCommand('zrank', 3, ['readonly', 'fast'], oneKey, parseKeyMembers, zrank(false)),
  parsedCommand('zrevrank', 3, ['readonly', 'fast'], oneKey, parseKeyMembers, zrank(true)),
  ...zsetRangeCommands,
  ...zsetPopCommands,
  ...zsetAlgebraCommands,
  ...zsetRandomCommands,
  ...zsetScanCommands,
];
