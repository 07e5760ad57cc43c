// The reply a command produces, independent of the wire protocol. src/resp/ writes it as
// RESP2 or RESP3; its RespValue type has the same shape, so the server passes one as the other.

export type Reply =
  | { readonly kind: 'simple'; readonly value: string }
  /** `message` is the whole error line without the '-', e.g. "ERR syntax error", "WRONGTYPE …". */
  | { readonly kind: 'error'; readonly message: string }
  /** A 64-bit signed integer: a bigint only when it is beyond Number.MAX_SAFE_INTEGER. */
  | { readonly kind: 'integer'; readonly value: number | bigint }
  /** null is the nil bulk string (RESP2 `$-1`, RESP3 `_`). */
  | { readonly kind: 'bulk'; readonly value: Uint8Array | null }
  /** null is the nil array (RESP2 `*-1`, RESP3 `_`). */
  | { readonly kind: 'array'; readonly value: readonly Reply[] | null }
  /** RESP3 double; written as a bulk string in RESP2. */
  | { readonly kind: 'double'; readonly value: number }
  /** RESP3 map; written as a flat array in RESP2. */
  | { readonly kind: 'map'; readonly value: readonly (readonly [Reply, Reply])[] }
  /** RESP3 verbatim string (INFO); a bulk string in RESP2. */
  | { readonly kind: 'verbatim'; readonly format: string; readonly value: string }
  /** RESP3 null; nil bulk in RESP2. */
  | { readonly kind: 'null' };

/** An error reply. */
export type ErrorReply = Extract<Reply, { readonly kind: 'error' }>;
