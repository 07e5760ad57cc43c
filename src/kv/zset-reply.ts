// What the sorted-set command files share: the type as commands name it, argument parsing
// of integers, the error texts of Redis 7 (t_zset.c), the reply shapes of members and scores
// (a score is a double: RESP3 ",1.5", RESP2 a bulk string in %.17g), and storing a result.

import type { Reply } from './reply.js';
import { parseInt64 } from './integer-parse.js';
import type { ErrorReply } from './reply.js';
import { bulkReply, CommandError, errorReply, notIntegerError } from './replies.js';
import type { CommandContext } from './command-context.js';
import { noExpiry } from './keyspace.js';
import { compareKeys } from './order-tree.js';
import { ZSetValue, type ScoredMember } from './zset-value.js';

export const zsetKind = { type: 'zset', create: ZSetValue.create } as const;

export const rangeNotFloatError = errorReply('ERR min or max is not a float');
export const lexRangeError = errorReply('ERR min or max not valid string range item');
export const nanScoreError = errorReply('ERR resulting score is not a number (NaN)');
export const notPositiveError = errorReply('ERR value is out of range, must be positive');

export function memberReply(member: string): Reply {
  return bulkReply(Buffer.from(member, 'latin1'));
}

/** Characters of members written into one buffer by memberReplies (a bound on one string of them joined). */
const memberChunkCharsMax = 64 * 1024;

/**
 * memberReply of each member, their bytes written into one buffer per chunk of members and
 * replied as views of it: a Buffer per member costs a call into the runtime each, which was
 * most of a 100-member GEOSEARCH's reply.
 */
export function memberReplies(members: readonly string[]): Reply[] {
  const replies = new Array<Reply>(members.length);
  for (let from = 0; from < members.length;) {
    let to = from;
    let chars = 0;
    while (to < members.length && (to === from || chars + (members[to] as string).length <= memberChunkCharsMax)) chars += (members[to++] as string).length;
    const chunk = Buffer.from(members.slice(from, to).join(''), 'latin1');
    let offset = chunk.byteOffset;
    for (let i = from; i < to; i++) {
      const length = (members[i] as string).length;
      replies[i] = bulkReply(new Uint8Array(chunk.buffer, offset, length));
      offset += length;
    }
    from = to;
  }
  return replies;
}

export function scoreReply(score: number): Reply {
  return { kind: 'double', value: score };
}

/** Members, or members and scores: RESP3 [member, score] pairs, RESP2 one flat array (Redis's ZRANGE WITHSCORES). */
export function scoredMembersReply(items: readonly ScoredMember[], withScores: boolean): Reply {
  const members = memberReplies(items.map(({ member }) => member));
  if (withScores) return { kind: 'pairs', value: items.map(({ score }, i) => [members[i] as Reply, scoreReply(score)] as const) };
  return { kind: 'array', value: members };
}

/** Members and scores as nested [member, score] arrays in both protocols (ZMPOP). */
export function nestedPairsReply(items: readonly ScoredMember[]): Reply {
  return { kind: 'array', value: items.map(({ member, score }): Reply => ({ kind: 'array', value: [memberReply(member), scoreReply(score)] })) };
}

/**
 * A signed 64-bit argument as a number (exact within ±2^53; beyond, only its order against
 * collection sizes matters). Throws `error` (Redis's getLongFromObjectOrReply text by default).
 */
export function parseLong(bytes: Uint8Array, error: ErrorReply = notIntegerError): number {
  const value = parseInt64(bytes);
  if (value === null) throw new CommandError(error);
  return Number(value);
}

/** A count that must be positive (getPositiveLongFromObjectOrReply): 0 is allowed; one error for both faults. */
export function parsePositiveLong(bytes: Uint8Array, error: ErrorReply = notPositiveError): number {
  const value = parseLong(bytes, error);
  if (value < 0) throw new CommandError(error);
  return value;
}

/** Replaces `key` (any type, its expiry dropped) with a sorted set of `items`, or deletes it when there are none. */
export function storeZset(context: CommandContext, key: Uint8Array, items: readonly ScoredMember[]): void {
  const entry = context.lookup(key);
  if (items.length === 0) {
    if (entry !== undefined) context.delete(entry);
    return;
  }
  const sorted = [...items].sort((a, b) => compareKeys(a.score, a.member, b.score, b.member));
  context.keyspace.set(key, ZSetValue.fromSorted(sorted.map((item) => item.member), sorted.map((item) => item.score)), noExpiry, false);
}
