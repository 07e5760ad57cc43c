// What the sorted-set command files share: the type as commands name it, argument parsing
// of integers, the error texts of Redis 7 (t_zset.c) and the reply shapes of members and
// scores (a score is a double: RESP3 ",1.5", RESP2 a bulk string in %.17g).

import type { Reply } from './reply.js';
import { parseInt64 } from './integer-parse.js';
import type { ErrorReply } from './reply.js';
import { bulkReply, CommandError, errorReply, notIntegerError } from './replies.js';
import { ZSetValue, type ScoredMember } from './zset-value.js';

export const zsetKind = { type: 'zset', create: ZSetValue.create } as const;

export const rangeNotFloatError = errorReply('ERR min or max is not a float');
export const lexRangeError = errorReply('ERR min or max not valid string range item');
export const nanScoreError = errorReply('ERR resulting score is not a number (NaN)');
export const notPositiveError = errorReply('ERR value is out of range, must be positive');

export function memberReply(member: string): Reply {
  return bulkReply(Buffer.from(member, 'latin1'));
}

export function scoreReply(score: number): Reply {
  return { kind: 'double', value: score };
}

/** Members, or members and scores: RESP3 [member, score] pairs, RESP2 one flat array (Redis's ZRANGE WITHSCORES). */
export function scoredMembersReply(items: readonly ScoredMember[], withScores: boolean): Reply {
  if (withScores) return { kind: 'pairs', value: items.map(({ member, score }) => [memberReply(member), scoreReply(score)] as const) };
  return { kind: 'array', value: items.map(({ member }) => memberReply(member)) };
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
