// Lua strings as table keys and in comparisons, without fengari's collisions. fengari keys a
// table by a JavaScript string made from a Lua string's bytes, "|" and each byte in hex, and
// compares two strings (`<`, `<=`) by comparing those. It writes a byte below 0x10 with one
// digit, so "\1\17" and "\17\1" both become "|111": one table slot for two keys, and equal to
// each other under `<=` and `>=` (Redis: two keys; raftis answered one). Here every byte gets
// two digits: the same text as fengari's for every string of bytes 0x10 and up (its keyword
// table, built with its own function, still matches), a different text for different bytes,
// and texts that sort as the bytes do. The text is kept on the string object, as fengari keeps
// it (an accessor on its TString class, which fengari's own code fills in through `hash`), so
// it is made once per string; it depends on the bytes only, the same on every replica.

import lstring from 'fengari/src/lstring.js';

/** Two lowercase hex digits per byte value. */
const byteHex = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
/** Longer strings go through Node's hex encoder (one call) rather than a concatenation per byte. */
const loopBytesMax = 32;

/** The table key of a Lua string's bytes: "|" and two hex digits per byte. */
export function luaStringKey(bytes: Uint8Array): string {
  if (bytes.length > loopBytesMax) return `|${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
  let key = '|';
  for (let i = 0; i < bytes.length; i++) key += byteHex[bytes[i] as number];
  return key;
}

let installed = false;

/** Makes fengari's string keys the ones above, once per process, before any VM exists. */
export function installStringKeys(): void {
  if (installed) return;
  installed = true;
  const key = Symbol('hash');
  type Keyed = { [key]: string | null | undefined; getstr(): Uint8Array };
  Object.defineProperty(lstring.TString.prototype, 'hash', {
    configurable: false,
    get(this: Keyed): string {
      return (this[key] ??= luaStringKey(this.getstr()));
    },
    set(this: Keyed, value: string | null) {
      this[key] = value;
    },
  });
}
