// The value a reply carries, independent of RESP2 or RESP3: the one reply type of
// src/base/, so the server passes a kv Reply to the writer as it is. The reply parser
// produces it too.

import type { Reply } from '../base/reply.js';

export type RespValue = Reply;

export type RespProtocol = 2 | 3;

/** Shared reply values; the writer sends the first four as pre-encoded bytes. */
export const RESP_OK: RespValue = Object.freeze({ kind: 'simple', value: 'OK' });
export const RESP_ZERO: RespValue = Object.freeze({ kind: 'integer', value: 0 });
export const RESP_ONE: RespValue = Object.freeze({ kind: 'integer', value: 1 });
export const RESP_NIL: RespValue = Object.freeze({ kind: 'bulk', value: null });
export const RESP_NULL: RespValue = Object.freeze({ kind: 'null' });
export const RESP_PONG: RespValue = Object.freeze({ kind: 'simple', value: 'PONG' });
