// The reply a command produces, independent of the wire protocol: the one definition shared
// by the state machine (src/kv/), the RESP writer and parser (src/resp/) and the server.
// RESP3 kinds have RESP2 forms written as Redis writes them (src/resp/reply-writer.ts).

export type Reply =
  | { readonly kind: 'simple'; readonly value: string }
  /**
   * `message` is the whole error line without the '-', e.g. "ERR syntax error", "WRONGTYPE …".
   * `counted`: already counted in INFO errorstats where it arose (a script's call: a script
   * that fails with its call's error, or returns it, does not count it again, as in Redis).
   */
  | { readonly kind: 'error'; readonly message: string; readonly counted?: true }
  /** A 64-bit signed integer: a bigint only when it is beyond Number.MAX_SAFE_INTEGER. */
  | { readonly kind: 'integer'; readonly value: number | bigint }
  /** null is the nil bulk string (RESP2 `$-1`, RESP3 `_`). */
  | { readonly kind: 'bulk'; readonly value: Uint8Array | null }
  /** null is the nil array (RESP2 `*-1`, RESP3 `_`). */
  | { readonly kind: 'array'; readonly value: readonly Reply[] | null }
  /**
   * RESP3 double; written as a bulk string in RESP2. `text` is its digits where the command
   * prints them its own way (GEOPOS's coordinates, a long double's %.17Lf), else "%.17g".
   */
  | { readonly kind: 'double'; readonly value: number; readonly text?: string }
  /** RESP3 map; written as a flat array in RESP2. */
  | { readonly kind: 'map'; readonly value: readonly (readonly [Reply, Reply])[] }
  /** RESP3 array of two-element arrays (ZRANGE WITHSCORES, HRANDFIELD WITHVALUES); one flat array in RESP2. */
  | { readonly kind: 'pairs'; readonly value: readonly (readonly [Reply, Reply])[] }
  /** RESP3 set (SMEMBERS, SUNION, ...); an array in RESP2. */
  | { readonly kind: 'set'; readonly value: readonly Reply[] }
  /** RESP3 boolean; the integer 1 or 0 in RESP2. */
  | { readonly kind: 'boolean'; readonly value: boolean }
  /** RESP3 big number (decimal digits with an optional '-'); a bulk string in RESP2. */
  | { readonly kind: 'bignum'; readonly value: bigint }
  /** RESP3 push (pub/sub messages, invalidations); an array in RESP2. */
  | { readonly kind: 'push'; readonly value: readonly Reply[] }
  /** RESP3 verbatim string (INFO); a bulk string in RESP2. */
  | { readonly kind: 'verbatim'; readonly format: string; readonly value: string }
  /** RESP3 null; nil bulk in RESP2. */
  | { readonly kind: 'null' }
  /**
   * A reply with RESP3 attributes before it (`|` then key/value pairs: DEBUG PROTOCOL ATTRIB);
   * RESP2 sends the reply alone, as Redis does. Nothing stores or forwards attributes.
   */
  | { readonly kind: 'attributed'; readonly attributes: readonly (readonly [Reply, Reply])[]; readonly value: Reply };

/**
 * A bulk string held as latin1 text, one character per byte: the form the keyspace keeps most
 * string values in. The RESP writer copies the text straight into its output (a GET's value
 * gets no Buffer of its own on the way out); any other reader of `value` gets the bytes, made
 * on first use and kept. It is a `bulk` Reply like any other: code that does not know it
 * reads `value`.
 */
export class Latin1Bulk {
  readonly kind = 'bulk';
  private bytes: Uint8Array | null = null;

  /** `text` must hold only characters U+0000 to U+00FF (the keyspace's latin1 form of bytes). */
  constructor(readonly text: string) {}

  get value(): Uint8Array {
    if (this.bytes === null) this.bytes = Buffer.from(this.text, 'latin1');
    return this.bytes;
  }
}

/** An error reply. */
export type ErrorReply = Extract<Reply, { readonly kind: 'error' }>;
