// The value a reply carries, independent of RESP2 or RESP3. It must stay structurally
// identical to src/kv/reply.ts `Reply` (the resp layer may not import kv), so the server
// layer passes a kv Reply to the writer as it is. The reply parser produces it too.

export type RespValue =
  | { readonly kind: 'simple'; readonly value: string }
  /** `message` is the whole error line without the '-', e.g. "ERR syntax error". */
  | { readonly kind: 'error'; readonly message: string }
  /** A 64-bit signed integer: a bigint only when it is beyond Number.MAX_SAFE_INTEGER. */
  | { readonly kind: 'integer'; readonly value: number | bigint }
  /** null is the nil bulk string (RESP2 `$-1`, RESP3 `_`). */
  | { readonly kind: 'bulk'; readonly value: Uint8Array | null }
  /** null is the nil array (RESP2 `*-1`, RESP3 `_`). */
  | { readonly kind: 'array'; readonly value: readonly RespValue[] | null }
  /** RESP3 double; a bulk string in RESP2. */
  | { readonly kind: 'double'; readonly value: number }
  /** RESP3 map; a flat array in RESP2. */
  | { readonly kind: 'map'; readonly value: readonly (readonly [RespValue, RespValue])[] }
  /** RESP3 verbatim string; a bulk string in RESP2. `format` is three bytes, e.g. "txt". */
  | { readonly kind: 'verbatim'; readonly format: string; readonly value: string }
  /** RESP3 null; the nil bulk string in RESP2. */
  | { readonly kind: 'null' };

export type RespProtocol = 2 | 3;

/** Shared reply values; the writer sends the first four as pre-encoded bytes. */
export const RESP_OK: RespValue = Object.freeze({ kind: 'simple', value: 'OK' });
export const RESP_ZERO: RespValue = Object.freeze({ kind: 'integer', value: 0 });
export const RESP_ONE: RespValue = Object.freeze({ kind: 'integer', value: 1 });
export const RESP_NIL: RespValue = Object.freeze({ kind: 'bulk', value: null });
export const RESP_NULL: RespValue = Object.freeze({ kind: 'null' });
export const RESP_PONG: RespValue = Object.freeze({ kind: 'simple', value: 'PONG' });
