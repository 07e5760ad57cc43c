// raftis has one database, db 0 (Redis with `--databases 1`): SELECT and COPY ... DB accept
// index 0 and answer other indexes with Redis's own errors.

import type { Reply } from './reply.js';
import { errorReply, okReply } from './replies.js';

/** Databases a node holds: SELECT and COPY's DB take 0 up to this, exclusive. */
export const databaseCount = 1;

export const dbRangeError = errorReply('ERR DB index is out of range');

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT32_MAX = 2_147_483_647n;
const INT32_MIN = -2_147_483_648n;

/** SELECT's reply (from a client or a script's call). */
export function selectReply(index: string): Reply {
  // Redis parses the index strictly (string2ll): no sign on zero, no leading zeros, no spaces;
  // then as a C int.
  if (!/^(0|-?[1-9]\d{0,18})$/.test(index)) return errorReply('ERR value is not an integer or out of range');
  const value = BigInt(index);
  if (value > INT64_MAX || value < INT64_MIN) return errorReply('ERR value is not an integer or out of range');
  if (value > INT32_MAX || value < INT32_MIN) return errorReply(`ERR value is out of range, value must between ${INT32_MIN} and ${INT32_MAX}`);
  return value < BigInt(databaseCount) && value >= 0n ? okReply : dbRangeError;
}
