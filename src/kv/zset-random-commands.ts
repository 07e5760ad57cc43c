// ZRANDMEMBER: random members of a sorted set, chosen by position as Redis chooses them
// (zrandmemberCommand, random-picks.ts): a negative count may repeat members, a positive one
// returns distinct members, the whole set when it asks for at least as many as there are.
// The choices come from the command's seed (random-picks.ts): the same on every replica inside
// a transaction, drawn afresh by each client read.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, oneKey, parsedCommand, type CommandSpec } from './command-spec.js';
import { int64Max, isKeyword } from './integer-parse.js';
import { boundRandomCount, parseRandomCount, randomPositions, randomSeed, SeededDraws } from './random-picks.js';
import { CommandError, errorReply, nilReply, syntaxError } from './replies.js';
import { memberReply, scoredMembersReply, zsetKind } from './zset-reply.js';

/** Redis doubles the count for WITHSCORES replies, so it refuses counts beyond half the range. */
const withScoresRangeError = errorReply('ERR value is out of range');

interface RandomRequest {
  readonly key: Uint8Array;
  /** null without a count argument: one member, as a bulk string. */
  readonly count: number | null;
  readonly withScores: boolean;
}

/** ZRANDMEMBER key [count [WITHSCORES]], with Redis's order of checks. */
function parseRandom(argv: readonly Uint8Array[]): RandomRequest {
  if (argv.length === 2) return { key: arg(argv, 1), count: null, withScores: false };
  const count = parseRandomCount(arg(argv, 2));
  if (argv.length > 4 || (argv.length === 4 && !isKeyword(arg(argv, 3), 'withscores'))) throw new CommandError(syntaxError);
  const withScores = argv.length === 4;
  if (withScores && (count > int64Max / 2n || count < -int64Max / 2n)) throw new CommandError(withScoresRangeError);
  return { key: arg(argv, 1), count: boundRandomCount(count), withScores };
}

function zrandmember(context: CommandContext, request: RandomRequest): Reply {
  const zset = context.readCollection(request.key, zsetKind);
  if (request.count === null) {
    return zset === undefined ? nilReply : memberReply(zset.at(new SeededDraws(randomSeed(context)).below(zset.length)).member);
  }
  if (zset === undefined) return scoredMembersReply([], request.withScores);
  return scoredMembersReply(randomPositions(randomSeed(context), zset.length, request.count).map((position) => zset.at(position)), request.withScores);
}

export const zsetRandomCommands: readonly CommandSpec[] = [
  parsedCommand('zrandmember', -2, ['readonly'], oneKey, parseRandom, zrandmember),
];
