// FNV-1a (32-bit) hashing, incremental: the snapshot checksum, the state digest and the
// deterministic seeds for RANDOMKEY and allkeys-random eviction.

export const fnvOffsetBasis = 0x811c9dc5;
const fnvPrime = 0x01000193;

/** Continues an FNV-1a hash `state` over `bytes` (from `start` to `end`: no view needed for a range). */
export function fnv1a(state: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let hash = state >>> 0;
  for (let i = start; i < end; i++) {
    hash ^= bytes[i] as number;
    hash = Math.imul(hash, fnvPrime) >>> 0;
  }
  return hash;
}

/** Continues an FNV-1a hash over a latin1 string's bytes (one byte per char: how keys and elements are stored). */
export function fnv1aLatin1(state: number, text: string): number {
  let hash = state >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i) & 0xff;
    hash = Math.imul(hash, fnvPrime) >>> 0;
  }
  return hash;
}

/** Continues an FNV-1a hash over the decimal text of a number. */
export function fnv1aNumber(state: number, value: number): number {
  return fnv1a(state, Buffer.from(String(value), 'latin1'));
}

/** A well-mixed 32-bit value from two integers (murmur3's finalizer over a combination). */
export function mixSeed(a: number, b: number): number {
  return fmix32((Math.imul(a | 0, 0x9e3779b1) ^ (b | 0) ^ Math.floor(a / 0x100000000)) >>> 0);
}

/** murmur3's 32-bit finalizer: every input bit affects every output bit (unsigned result). */
export function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
