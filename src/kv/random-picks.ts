// Random choices of elements by position (SPOP, SRANDMEMBER, HRANDFIELD), deterministic: the
// i-th draw is a hash of the command's seed (randomSeed: the entry's index and time for a
// write, the read point's and the node's read count for a read) and i, so every replica
// running the same command at the same point picks the same elements. Uniform enough for
// Redis's chi-square tests; not cryptographic. Also the count argument of SRANDMEMBER and
// HRANDFIELD, with Redis's texts.

import type { CommandContext } from './command-context.js';
import { mixSeed } from './hash.js';
import { int64Max, parseInt64 } from './integer-parse.js';
import { CommandError, errorReply, notIntegerError } from './replies.js';

const twoTo32 = 0x1_0000_0000;

/**
 * Most elements a negative count (repetitions allowed) may ask for. Redis has no bound and
 * fills the client's output buffer (or its memory) for a huge one; one reply here is built
 * whole in memory, so beyond this the count is refused as out of range.
 */
export const randomRepeatCountMax = 1_000_000;

/**
 * The seed of a random choice: the entry's seed for a write (or a read inside a transaction),
 * also salted with the node's read count for a client's read (see CommandContext.readSalt).
 */
export function randomSeed(context: CommandContext): number {
  return context.readSalt === 0 ? context.seed : mixSeed(context.seed, context.readSalt);
}

/** Draws positions from a seed. */
export class SeededDraws {
  private drawn = 0;

  constructor(private readonly seed: number) {}

  /** A position in [0, bound), for 1 ≤ bound ≤ 2^32. */
  below(bound: number): number {
    if (!Number.isSafeInteger(bound) || bound < 1 || bound > twoTo32) throw new Error(`draws: bound ${bound} outside [1, 2^32]`);
    return Math.floor((mixSeed(this.seed, this.drawn++) / twoTo32) * bound);
  }
}

/** `count` positions of [0, size), repetitions allowed (a negative count's meaning). */
export function repeatedPositions(draws: SeededDraws, size: number, count: number): number[] {
  const positions: number[] = [];
  for (let i = 0; i < count; i++) positions.push(draws.below(size));
  return positions;
}

/**
 * `count` distinct positions of [0, size) (count ≤ size), in draw order: the first `count`
 * steps of a Fisher-Yates shuffle, with the swaps kept in a map, so O(count) whatever the size.
 */
export function distinctPositions(draws: SeededDraws, size: number, count: number): number[] {
  if (count > size) throw new Error(`draws: ${count} distinct positions of ${size}`);
  const swapped = new Map<number, number>();
  const positions: number[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + draws.below(size - i);
    positions.push(swapped.get(j) ?? j);
    swapped.set(j, swapped.get(i) ?? i);
  }
  return positions;
}

/** The count of SRANDMEMBER/HRANDFIELD: an integer in [-(2^63 - 1), 2^63 - 1] as Redis reads it (its errors thrown). */
export function parseRandomCount(bytes: Uint8Array): bigint {
  const count = parseInt64(bytes);
  if (count === null) throw new CommandError(notIntegerError);
  if (count < -int64Max) throw new CommandError(errorReply(`ERR value is out of range, value must between ${-int64Max} and ${int64Max}`));
  return count;
}

/**
 * A parsed count as a number, checked after Redis's own checks: a negative count beyond
 * randomRepeatCountMax is refused. A positive count beyond 2^53 is exact enough: it only
 * ever means "the whole collection".
 */
export function boundRandomCount(count: bigint): number {
  if (count < -BigInt(randomRepeatCountMax)) throw new CommandError(errorReply(`ERR value is out of range, value must between ${-randomRepeatCountMax} and ${int64Max}`));
  return Number(count);
}

/**
 * The positions a random read with a count returns from `size` elements, as Redis chooses
 * them: a negative count allows repetitions; a positive one gives distinct elements, the whole
 * collection (in its order) when it asks for at least as many as there are.
 */
export function randomPositions(seed: number, size: number, count: number): number[] {
  if (size === 0 || count === 0) return [];
  const draws = new SeededDraws(seed);
  if (count < 0) return repeatedPositions(draws, size, -count);
  if (count >= size) return Array.from({ length: size }, (_, position) => position);
  return distinctPositions(draws, size, count);
}
