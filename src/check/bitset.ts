// A fixed-size bitset over Uint32Array words with an incrementally maintained hash: the
// search sets and clears one bit per step and looks the set up in its memo table each
// time, so the hash must cost O(1), not O(size).

/** A per-bit hash (murmur3 finalizer): the set's hash is the XOR of its bits' hashes. */
function bitHash(index: number): number {
  let h = Math.imul(index + 1, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

export class Bitset {
  readonly words: Uint32Array;
  #hash = 0;

  constructor(readonly size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  get hash(): number {
    return this.#hash;
  }

  has(index: number): boolean {
    return (this.words[index >>> 5]! & (1 << (index & 31))) !== 0;
  }

  set(index: number): void {
    this.#check(index);
    if (this.has(index)) throw new Error(`bitset: bit ${index} is already set`);
    this.words[index >>> 5]! |= 1 << (index & 31);
    this.#hash ^= bitHash(index);
  }

  clear(index: number): void {
    this.#check(index);
    if (!this.has(index)) throw new Error(`bitset: bit ${index} is already clear`);
    this.words[index >>> 5]! &= ~(1 << (index & 31));
    this.#hash ^= bitHash(index);
  }

  /** The hash the set would have with `index` also set (it must be clear now). */
  hashWith(index: number): number {
    return this.#hash ^ bitHash(index);
  }

  #check(index: number): void {
    if (!(index >= 0 && index < this.size && Number.isInteger(index))) {
      throw new Error(`bitset: index ${index} is out of range [0, ${this.size})`);
    }
  }
}
