// The search's memo of explored (linearized set, state) pairs, stored flat: every
// linearized set's words live in one growing Uint32Array pool and entries chain through
// an Int32Array, so an entry costs its words plus a few slots instead of a typed array
// object and a record each (which tripled the memory of a long search).
import type { Bitset } from './bitset.js';

const NO_ENTRY = -1;
/** Entries the table starts with room for; it doubles when full. */
const INITIAL_CAPACITY = 1024;

export class MemoTable<State> {
  /** Number of entries. */
  size = 0;
  readonly #wordsPerSet: number;
  readonly #equal: (a: State, b: State) => boolean;
  /** Hash key → the newest entry with that key. */
  readonly #heads = new Map<number, number>();
  /** Entry → the previous entry with the same hash key, or NO_ENTRY. */
  #chain = new Int32Array(INITIAL_CAPACITY);
  #words: Uint32Array;
  readonly #states: State[] = [];

  constructor(wordsPerSet: number, equal: (a: State, b: State) => boolean) {
    this.#wordsPerSet = wordsPerSet;
    this.#equal = equal;
    this.#words = new Uint32Array(INITIAL_CAPACITY * wordsPerSet);
  }

  /**
   * Whether (linearized ∪ {index}, state) is new, adding it under hash `key` when it is
   * and `add` allows. The set itself is not modified.
   */
  addWithIfRoom(key: number, linearized: Bitset, index: number, state: State, add: boolean): boolean {
    const width = this.#wordsPerSet;
    const words = this.#words;
    const extraWord = index >>> 5;
    const extraBit = (1 << (index & 31)) >>> 0;
    const head = this.#heads.get(key);
    for (let entry = head ?? NO_ENTRY; entry !== NO_ENTRY; entry = this.#chain[entry]!) {
      if (!this.#equal(this.#states[entry]!, state)) continue;
      const base = entry * width;
      let same = true;
      for (let i = 0; i < width && same; i++) {
        const mine = i === extraWord ? (linearized.words[i]! | extraBit) >>> 0 : linearized.words[i]!;
        same = mine === words[base + i];
      }
      if (same) return false;
    }
    if (!add) return true;
    const entry = this.size++;
    this.#ensureCapacity(this.size);
    this.#chain[entry] = head ?? NO_ENTRY;
    this.#heads.set(key, entry);
    this.#states[entry] = state;
    const base = entry * width;
    this.#words.set(linearized.words, base);
    this.#words[base + extraWord]! |= extraBit;
    return true;
  }

  clear(): void {
    this.size = 0;
    this.#heads.clear();
    this.#states.length = 0;
    this.#chain = new Int32Array(0);
    this.#words = new Uint32Array(0);
  }

  #ensureCapacity(entries: number): void {
    if (entries <= this.#chain.length) return;
    const capacity = Math.max(INITIAL_CAPACITY, this.#chain.length * 2);
    const chain = new Int32Array(capacity);
    chain.set(this.#chain);
    this.#chain = chain;
    const words = new Uint32Array(capacity * this.#wordsPerSet);
    words.set(this.#words);
    this.#words = words;
  }
}
