// Turning a client's expire argument into an absolute cluster time, with Redis's checks:
// getExpireMillisecondsOrReply (SET, GETEX, SETEX) and the EXPIRE family's overflow rules.
// Times are computed in BigInt (Redis uses 64-bit integers) and stored as JS numbers: an
// expiry beyond 2^53 ms (about 285,000 years) loses precision but keeps its order.

import type { Reply } from './reply.js';
import { int64Max, int64Min, parseInt64 } from './integer-parse.js';
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

/** EXPIRE family: negative allowed; overflow of unit conversion or base addition is an error. */
export function expireCommandAt(arg: Uint8Array, unit: ExpireUnit, baseMs: number, commandName: string): number | Reply {
  let when = parseInt64(arg);
  if (when === null) return notIntegerError;
  if (unit === 'seconds') {
    if (when > int64Max / 1000n || when < int64Min / 1000n) return invalidExpireError(commandName);
    when *= 1000n;
  }
  if (when > int64Max - BigInt(baseMs)) return invalidExpireError(commandName);
  return Number(when + BigInt(baseMs));
}
