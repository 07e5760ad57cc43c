// Turning a client's expire argument into an absolute cluster time, with Redis's checks:
// getExpireMillisecondsOrReply (SET, GETEX, SETEX) and the EXPIRE family's overflow rules.
// Times are computed in BigInt (Redis uses 64-bit integers), or in doubles where they are
// exact (the EXPIRE family's common arguments), and stored as JS numbers: an
// expiry beyond 2^53 ms (about 285,000 years) loses precision but keeps its order.

import type { Reply } from './reply.js';
import { int64Max, int64Min, parseInt64, parseShortBytes } from './integer-parse.js';
import { invalidExpireError, notIntegerError } from './replies.js';

export type ExpireUnit = 'seconds' | 'milliseconds';

/** The checks that need no clock: integer, > 0, seconds × 1000 fits. */
export function checkSetExpireArgument(arg: Uint8Array, unit: ExpireUnit, commandName: string): bigint | Reply {
  const value = parseInt64(arg);
  if (value === null) return notIntegerError;
  if (value <= 0n || (unit === 'seconds' && value > int64Max / 1000n)) return invalidExpireError(commandName);
  return unit === 'seconds' ? value * 1000n : value;
}

/** SET/GETEX/SETEX expiry: relative times are added to nowMs; the result is absolute ms. */
export function setExpireAt(arg: Uint8Array, unit: ExpireUnit, relative: boolean, nowMs: number, commandName: string): number | Reply {
  const checked = checkSetExpireArgument(arg, unit, commandName);
  if (typeof checked !== 'bigint') return checked;
  const when = relative ? checked + BigInt(nowMs) : checked;
  if (when > int64Max) return invalidExpireError(commandName);
  return Number(when);
}

/**
 * Arguments and base times within which the EXPIRE family's result is an exact double and far
 * from int64's limits: |argument| ≤ 10^12 (seconds × 1000 ≤ 10^15) plus a base ≤ 2^52 stays
 * below 2^53, so the arithmetic needs no BigInt and no overflow check.
 */
const exactArgumentMax = 1e12;
const exactBaseMax = 2 ** 52;

/** EXPIRE family: negative allowed; overflow of unit conversion or base addition is an error. */
export function expireCommandAt(arg: Uint8Array, unit: ExpireUnit, baseMs: number, commandName: string): number | Reply {
  const short = parseShortBytes(arg);
  if (short === null) return notIntegerError;
  if (short !== undefined && Math.abs(short) <= exactArgumentMax && Math.abs(baseMs) <= exactBaseMax) return (unit === 'seconds' ? short * 1000 : short) + baseMs;
  let when = parseInt64(arg);
  if (when === null) return notIntegerError;
  if (unit === 'seconds') {
    if (when > int64Max / 1000n || when < int64Min / 1000n) return invalidExpireError(commandName);
    when *= 1000n;
  }
  if (when > int64Max - BigInt(baseMs)) return invalidExpireError(commandName);
  return Number(when + BigInt(baseMs));
}
