// ZPOPMIN, ZPOPMAX and ZMPOP: remove members from the low or high end of the first
// non-empty sorted set among the keys. The replies are Redis's exactly (genericZpopCommand):
// ZPOPMIN without a count is a flat [member, score]; with a count, [member, score] pairs in
// RESP3 and one flat array in RESP2; ZMPOP is [key, [[member, score], ...]] or a nil array.
// The blocking forms (BZPOPMIN, BZMPOP) serve a waiter by proposing these commands.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, oneKey, parsedCommand, type CommandSpec } from './command-spec.js';
import { isKeyword } from './integer-parse.js';
import { bulkReply, CommandError, errorReply, syntaxError } from './replies.js';
import { memberReply, nestedPairsReply, parseLong, parsePositiveLong, scoredMembersReply, scoreReply, zsetKind } from './zset-reply.js';
import type { ScoredMember, ZSetValue } from './zset-value.js';

export type PopEnd = 'min' | 'max';

/** Removes up to `count` members from the `end` of a sorted set, in pop order (lowest or highest first). */
function popEnd(zset: ZSetValue, end: PopEnd, count: number): ScoredMember[] {
  const take = Math.min(count, zset.length);
  if (end === 'min') return zset.deleteSlice(0, take);
  const popped = zset.slice(zset.length - 1, take, true);
  for (const { member } of popped) zset.delete(member);
  return popped;
}

/**
 * Pops from the first of `keys` that exists (WRONGTYPE, thrown, when that one is not a sorted
 * set); null when none exists. `count` 0 pops nothing from an existing set.
 */
export function popFirstNonEmpty(context: CommandContext, keys: readonly Uint8Array[], end: PopEnd, count: number): { readonly key: Uint8Array; readonly popped: ScoredMember[] } | null {
  for (const key of keys) {
    const zset = context.writeCollection(key, zsetKind, false);
    if (zset !== undefined) return { key, popped: popEnd(zset, end, count) };
  }
  return null;
}

/** ZMPOP's reply (also BZMPOP's): [key, [[member, score], ...]], or the nil array when nothing was popped. */
export function mpopReply(result: { readonly key: Uint8Array; readonly popped: readonly ScoredMember[] } | null): Reply {
  if (result === null) return { kind: 'array', value: null };
  return { kind: 'array', value: [bulkReply(result.key), nestedPairsReply(result.popped)] };
}

/**
 * BZPOPMIN's and BZPOPMAX's form in the state machine (the server does the waiting): one
 * member from the first existing sorted set among `keys`, answered [key, member, score] in
 * both protocols, or the nil array.
 */
export function popOneWithKey(end: PopEnd) {
  return (context: CommandContext, keys: readonly Uint8Array[]): Reply => {
    const result = popFirstNonEmpty(context, keys, end, 1);
    const first = result?.popped[0];
    if (result === null || first === undefined) return { kind: 'array', value: null };
    return { kind: 'array', value: [bulkReply(result.key), memberReply(first.member), scoreReply(first.score)] };
  };
}

// ---- ZPOPMIN, ZPOPMAX ---------------------------------------------------------------------

interface PopRequest {
  readonly key: Uint8Array;
  /** null without a count argument: one member, replied flat. */
  readonly count: number | null;
}

function parsePop(argv: readonly Uint8Array[]): PopRequest {
  if (argv.length > 3) throw new CommandError(syntaxError);
  return { key: arg(argv, 1), count: argv.length === 3 ? parsePositiveLong(arg(argv, 2)) : null };
}

function zpop(end: PopEnd) {
  return (context: CommandContext, request: PopRequest): Reply => {
    const result = popFirstNonEmpty(context, [request.key], end, request.count ?? 1);
    const popped = result?.popped ?? [];
    if (request.count !== null) return scoredMembersReply(popped, true);
    return { kind: 'array', value: popped.flatMap(({ member, score }) => [memberReply(member), scoreReply(score)]) };
  };
}

// ---- ZMPOP -----------------------------------------------------------------------------------

export interface MpopRequest {
  readonly keys: readonly Uint8Array[];
  readonly end: PopEnd;
  readonly count: number;
}

const numkeysError = errorReply('ERR numkeys should be greater than 0');
const countError = errorReply('ERR count should be greater than 0');

/** `numkeys key [key ...] MIN|MAX [COUNT count]` from argv[at] on (ZMPOP: 1; BZMPOP: 2). */
export function parseMpop(argv: readonly Uint8Array[], at: number): MpopRequest {
  const numkeys = parseLong(arg(argv, at), numkeysError);
  if (numkeys < 1) throw new CommandError(numkeysError);
  const whereAt = at + numkeys + 1;
  if (whereAt >= argv.length) throw new CommandError(syntaxError);
  const where = arg(argv, whereAt);
  const end: PopEnd | null = isKeyword(where, 'min') ? 'min' : isKeyword(where, 'max') ? 'max' : null;
  if (end === null) throw new CommandError(syntaxError);
  let count: number | null = null;
  for (let j = whereAt + 1; j < argv.length; j++) {
    if (count !== null || !isKeyword(arg(argv, j), 'count') || j + 1 >= argv.length) throw new CommandError(syntaxError);
    count = parseLong(arg(argv, ++j), countError);
    if (count < 1) throw new CommandError(countError);
  }
  return { keys: argv.slice(at + 1, whereAt), end, count: count ?? 1 };
}

/** ZMPOP, and BZMPOP's form in the state machine. */
export function zmpop(context: CommandContext, request: MpopRequest): Reply {
  return mpopReply(popFirstNonEmpty(context, request.keys, request.end, request.count));
}

export const zsetPopCommands: readonly CommandSpec[] = [
  parsedCommand('zpopmin', -2, ['write', 'fast'], oneKey, parsePop, zpop('min')),
  parsedCommand('zpopmax', -2, ['write', 'fast'], oneKey, parsePop, zpop('max')),
  parsedCommand('zmpop', -4, ['write', 'movablekeys'], [0, 0, 0], (argv) => parseMpop(argv, 1), zmpop),
];
