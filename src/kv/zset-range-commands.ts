// Sorted-set range commands: ZRANGE (by rank, BYSCORE or BYLEX, REV, LIMIT, WITHSCORES) and
// its older forms (ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX), ZRANGESTORE, ZCOUNT,
// ZLEXCOUNT and ZREMRANGEBY{RANK,SCORE,LEX}. Arguments are checked in Redis's order
// (zrangeGenericCommand): options, their conflicts, the range, then the key.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, oneKey, parsedCommand, type CommandSpec, type KeyPositions } from './command-spec.js';
import { isKeyword } from './integer-parse.js';
import { CommandError, errorReply, integerReply, syntaxError } from './replies.js';
import {
  aboveMaxMember, aboveMaxScore, atOrAboveMinMember, atOrAboveMinScore, isEmptyLexRange, isEmptyScoreRange,
  parseLexRange, parseScoreRange, type LexRange, type ScoreRange,
} from './zset-range.js';
import { lexRangeError, parseLong, rangeNotFloatError, scoredMembersReply, storeZset, zsetKind } from './zset-reply.js';
import type { ScoredMember, ZSetValue } from './zset-value.js';

/** Which members a range selects: by rank (start and stop, negative from the end), score or lex. */
export type RangeSpec =
  | { readonly by: 'rank'; readonly start: number; readonly stop: number }
  | { readonly by: 'score'; readonly range: ScoreRange }
  | { readonly by: 'lex'; readonly range: LexRange };

interface RangeRequest {
  readonly destination: Uint8Array | null;
  readonly key: Uint8Array;
  readonly spec: RangeSpec;
  readonly reverse: boolean;
  /** LIMIT offset and count; count -1 = no limit. */
  readonly offset: number;
  readonly count: number;
  readonly withScores: boolean;
}

/** How a command of the family reads its arguments (ZRANGE decides by options, the older forms are fixed). */
interface RangeForm {
  readonly store: boolean;
  readonly by: 'rank' | 'score' | 'lex' | null;
  readonly reverse: boolean | null;
}

function parseSpec(by: 'rank' | 'score' | 'lex', min: Uint8Array, max: Uint8Array): RangeSpec {
  if (by === 'rank') return { by, start: parseLong(min), stop: parseLong(max) };
  if (by === 'score') {
    const range = parseScoreRange(min, max);
    if (range === null) throw new CommandError(rangeNotFloatError);
    return { by, range };
  }
  const range = parseLexRange(min, max);
  if (range === null) throw new CommandError(lexRangeError);
  return { by, range };
}

function parseRange(form: RangeForm) {
  return (argv: readonly Uint8Array[]): RangeRequest => {
    const first = form.store ? 2 : 1;
    let by = form.by;
    let reverse = form.reverse;
    let withScores = false;
    let offset = 0;
    let count = -1;
    for (let j = first + 3; j < argv.length; j++) {
      const option = arg(argv, j);
      const left = argv.length - j - 1;
      if (!form.store && isKeyword(option, 'withscores')) withScores = true;
      else if (isKeyword(option, 'limit') && left >= 2) {
        offset = parseLong(arg(argv, j + 1));
        count = parseLong(arg(argv, j + 2));
        j += 2;
      } else if (reverse === null && isKeyword(option, 'rev')) reverse = true;
      else if (by === null && isKeyword(option, 'bylex')) by = 'lex';
      else if (by === null && isKeyword(option, 'byscore')) by = 'score';
      else throw new CommandError(syntaxError);
    }
    by ??= 'rank';
    reverse ??= false;
    // Redis refuses LIMIT with a rank range only when it limits (a count of -1 is no limit).
    if (count !== -1 && by === 'rank') throw new CommandError(errorReply('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX'));
    if (withScores && by === 'lex') throw new CommandError(errorReply('ERR syntax error, WITHSCORES not supported in combination with BYLEX'));
    const [min, max] = reverse && by !== 'rank' ? [arg(argv, first + 2), arg(argv, first + 1)] : [arg(argv, first + 1), arg(argv, first + 2)];
    const spec = parseSpec(by, min, max);
    return { destination: form.store ? arg(argv, 1) : null, key: arg(argv, first), spec, reverse, offset, count, withScores };
  };
}

/** The first rank and the count of members a spec selects, in ascending order. */
export function rankSpan(zset: ZSetValue, spec: RangeSpec): { readonly first: number; readonly count: number } {
  const length = zset.length;
  if (spec.by === 'rank') {
    let start = spec.start < 0 ? length + spec.start : spec.start;
    let stop = spec.stop < 0 ? length + spec.stop : spec.stop;
    if (start < 0) start = 0;
    if (start > stop || start >= length) return { first: 0, count: 0 };
    if (stop >= length) stop = length - 1;
    return { first: start, count: stop - start + 1 };
  }
  const empty = spec.by === 'score' ? isEmptyScoreRange(spec.range) : isEmptyLexRange(spec.range);
  if (empty) return { first: 0, count: 0 };
  const [low, high] = spec.by === 'score'
    ? [atOrAboveMinScore(spec.range), aboveMaxScore(spec.range)]
    : [atOrAboveMinMember(spec.range), aboveMaxMember(spec.range)];
  const first = zset.countBefore(low);
  return { first, count: Math.max(0, zset.countBefore(high) - first) };
}

/** The members a range request selects, in reply order (LIMIT applied). */
function selectRange(zset: ZSetValue, request: RangeRequest): ScoredMember[] {
  const span = rankSpan(zset, request.spec);
  const { count } = span;
  // A reversed rank range counts ranks from the end: its first rank is the last ascending one.
  const first = request.reverse && request.spec.by === 'rank' ? zset.length - span.first - count : span.first;
  let skip = 0;
  let take = count;
  if (request.spec.by !== 'rank') {
    if (request.offset < 0) return [];
    skip = Math.min(request.offset, count);
    take = request.count < 0 ? count - skip : Math.min(request.count, count - skip);
  }
  if (take <= 0) return [];
  return request.reverse ? zset.slice(first + count - 1 - skip, take, true) : zset.slice(first + skip, take, false);
}

function zrange(context: CommandContext, request: RangeRequest): Reply {
  const zset = context.readCollection(request.key, zsetKind);
  return scoredMembersReply(zset === undefined ? [] : selectRange(zset, request), request.withScores);
}

function zrangestore(context: CommandContext, request: RangeRequest): Reply {
  const zset = context.readSource(request.key, zsetKind);
  const items = zset === undefined ? [] : selectRange(zset, request);
  storeZset(context, request.destination as Uint8Array, items);
  return integerReply(items.length);
}

// ---- ZCOUNT, ZLEXCOUNT, ZREMRANGEBY* ---------------------------------------------------------

interface SpecRequest {
  readonly key: Uint8Array;
  readonly spec: RangeSpec;
}

function parseSpecRequest(by: 'rank' | 'score' | 'lex') {
  return (argv: readonly Uint8Array[]): SpecRequest => ({ key: arg(argv, 1), spec: parseSpec(by, arg(argv, 2), arg(argv, 3)) });
}

function zcount(context: CommandContext, request: SpecRequest): Reply {
  const zset = context.readCollection(request.key, zsetKind);
  return integerReply(zset === undefined ? 0 : rankSpan(zset, request.spec).count);
}

function zremrange(context: CommandContext, request: SpecRequest): Reply {
  const zset = context.writeCollection(request.key, zsetKind, false);
  if (zset === undefined) return integerReply(0);
  const { first, count } = rankSpan(zset, request.spec);
  return integerReply(zset.deleteSlice(first, count).length);
}

const rangeRow = (name: string, arity: number, form: RangeForm, keys: KeyPositions = oneKey): CommandSpec =>
  form.store
    ? parsedCommand(name, arity, ['write', 'denyoom'], keys, parseRange(form), zrangestore)
    : parsedCommand(name, arity, ['readonly'], keys, parseRange(form), zrange);

export const zsetRangeCommands: readonly CommandSpec[] = [
  rangeRow('zrange', -4, { store: false, by: null, reverse: null }),
  rangeRow('zrangestore', -5, { store: true, by: null, reverse: null }, [1, 2, 1]),
  rangeRow('zrevrange', -4, { store: false, by: 'rank', reverse: true }),
  rangeRow('zrangebyscore', -4, { store: false, by: 'score', reverse: false }),
  rangeRow('zrevrangebyscore', -4, { store: false, by: 'score', reverse: true }),
  rangeRow('zrangebylex', -4, { store: false, by: 'lex', reverse: false }),
  rangeRow('zrevrangebylex', -4, { store: false, by: 'lex', reverse: true }),
  parsedCommand('zcount', 4, ['readonly', 'fast'], oneKey, parseSpecRequest('score'), zcount),
  parsedCommand('zlexcount', 4, ['readonly', 'fast'], oneKey, parseSpecRequest('lex'), zcount),
  parsedCommand('zremrangebyrank', 4, ['write'], oneKey, parseSpecRequest('rank'), zremrange),
  parsedCommand('zremrangebyscore', 4, ['write'], oneKey, parseSpecRequest('score'), zremrange),
  parsedCommand('zremrangebylex', 4, ['write'], oneKey, parseSpecRequest('lex'), zremrange),
];
