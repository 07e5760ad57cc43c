// The timeout argument of the blocking commands (BLPOP, BLMOVE, BZPOPMIN, ...): seconds as
// a float, read as Redis's getTimeoutFromObjectOrReply reads it. The wait itself is the
// server's (src/server/blocking.ts); the state machine only checks the argument, because a
// blocking command it applies never blocks (it is the command's non-blocking form).

import { parseLongDouble, roundToMantissa } from './long-double.js';
import { CommandError, errorReply } from './replies.js';

export const timeoutNotFloatError = errorReply('ERR timeout is not a float or out of range');
export const timeoutNegativeError = errorReply('ERR timeout is negative');

/** 2^63: Redis's (long long) cast of seconds × 1000 turns this and beyond into INT64_MIN on x86-64. */
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
