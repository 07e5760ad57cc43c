// How the state machine runs a blocking command (BLPOP, BLMOVE, BZPOPMIN, ...): as its
// non-blocking form, as Redis does inside MULTI, answering nil when there is nothing to pop.
// The wait itself is the server's (src/server/blocking.ts), which proposes these same
// commands when a waited key gets elements. Here: the timeout argument, read as Redis's
// getTimeoutFromObjectOrReply reads it, and the wrappers every blocking row shares.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { parseLongDouble, roundToMantissa } from './long-double.js';
import { CommandError, errorReply } from './replies.js';

export const timeoutNotFloatError = errorReply('ERR timeout is not a float or out of range');
export const timeoutNegativeError = errorReply('ERR timeout is negative');

/** 2^63: Redis's (long long) cast of the milliseconds turns this and beyond into INT64_MIN on x86-64. */
const int64Limit = 1n << 63n;

/**
 * The timeout in milliseconds, 0 meaning forever: seconds × 1000 in long double arithmetic,
 * rounded up (so 0.0001 waits 1 ms, and -0.0001 is 0: forever), as Redis computes it.
 * Throws CommandError with Redis's error for bad input; beyond int64 (infinity included) is
 * "negative", as Redis's cast makes it.
 */
export function parseBlockingTimeout(bytes: Uint8Array): number {
  const parsed = parseLongDouble(bytes);
  if (parsed === null) throw new CommandError(timeoutNotFloatError);
  if (parsed.kind === 'infinite') throw new CommandError(timeoutNegativeError);
  const product = roundToMantissa(parsed.num * 1000n, parsed.shift, parsed.negative);
  const floor = product.shift >= 0 ? product.num << BigInt(product.shift) : product.num >> BigInt(-product.shift);
  if (product.negative) {
    if (floor === 0n) return 0; // ceil(-0.x) is -0
    throw new CommandError(timeoutNegativeError);
  }
  const exact = product.shift >= 0 || floor << BigInt(-product.shift) === product.num;
  const ceiling = exact ? floor : floor + 1n;
  if (ceiling >= int64Limit) throw new CommandError(timeoutNegativeError);
  return Number(ceiling);
}

/** A blocking command's request: its timeout (checked, unused: applied, it never waits) and its non-blocking form's request. */
export interface BlockingRequest<R> {
  readonly timeoutMs: number;
  readonly request: R;
}

/**
 * The parse of a blocking command: its other arguments first, then the timeout at
 * `timeoutAt` (negative: from the end), the order in which Redis reports their errors.
 */
export function blockingParse<R>(parse: (argv: readonly Uint8Array[]) => R, timeoutAt: number) {
  return (argv: readonly Uint8Array[]): BlockingRequest<R> => {
    const request = parse(argv);
    const timeout = argv[timeoutAt < 0 ? argv.length + timeoutAt : timeoutAt];
    if (timeout === undefined) throw new Error(`kv: timeout argument ${timeoutAt} missing from ${argv.length} (arity check skipped?)`);
    return { timeoutMs: parseBlockingTimeout(timeout), request };
  };
}

/** BLPOP's and BZPOPMIN's arguments: keys, then the timeout last. */
export const keysThenTimeout = blockingParse((argv) => argv.slice(1, -1), -1);

/** A blocking command as the state machine runs it: its non-blocking form `run`. */
export function nonBlocking<R>(run: (context: CommandContext, request: R) => Reply) {
  return (context: CommandContext, blocking: BlockingRequest<R>): Reply => run(context, blocking.request);
}
