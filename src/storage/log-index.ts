// The in-memory index of the live log: for every index in [firstIndex, lastIndex] its term,
// type and where its data lies on disk (segment seq, byte offset, length), in parallel typed
// arrays so a log of millions of entries costs ~30 bytes each and no objects. It also holds
// the tail cache: the data of the newest entries, bounded by bytes.

import { storageAssert } from './errors.js';

const INITIAL_CAPACITY = 1024;

export class LogIndex {
  /** Index of the first live entry (lastIndex + 1 when the log is empty). */
  firstIndex = 1;
  /** Live entries. Invariant: count >= 0; lastIndex = firstIndex + count - 1. */
  count = 0;
  /** Lowest index whose data is in the cache; every index in [cacheFrom, lastIndex] is cached. */
  cacheFrom = 1;
  cachedBytes = 0;

  private head = 0;
  private terms = new Float64Array(INITIAL_CAPACITY);
  private types = new Uint8Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private offsets = new Float64Array(INITIAL_CAPACITY);
  private lengths = new Uint32Array(INITIAL_CAPACITY);
  private cache: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(INITIAL_CAPACITY);

  get lastIndex(): number {
    return this.firstIndex + this.count - 1;
  }

  private slot(index: number): number {
    storageAssert(index >= this.firstIndex && index <= this.lastIndex, `index ${index} outside [${this.firstIndex}, ${this.lastIndex}]`);
    return this.head + index - this.firstIndex;
  }

  term(index: number): number {
    return this.terms[this.slot(index)]!;
  }
  type(index: number): number {
    return this.types[this.slot(index)]!;
  }
  seq(index: number): number {
    return this.seqs[this.slot(index)]!;
  }
  offset(index: number): number {
    return this.offsets[this.slot(index)]!;
  }
  dataBytes(index: number): number {
    return this.lengths[this.slot(index)]!;
  }
  cached(index: number): Uint8Array | undefined {
    return this.cache[this.slot(index)];
  }

  /** Empties the log; the next entry is `firstIndex`. */
  reset(firstIndex: number): void {
    this.firstIndex = firstIndex;
    this.count = 0;
    this.head = 0;
    this.cache.fill(undefined);
    this.cacheFrom = firstIndex;
    this.cachedBytes = 0;
  }

  /** Drops `index` and everything after it. */
  truncateFrom(index: number): void {
    storageAssert(index >= this.firstIndex && index <= this.lastIndex + 1, `truncate at ${index} outside [${this.firstIndex}, ${this.lastIndex + 1}]`);
    for (let i = Math.max(index, this.cacheFrom); i <= this.lastIndex; i++) {
      const s = this.slot(i);
      this.cachedBytes -= this.cache[s]?.length ?? 0;
      this.cache[s] = undefined;
    }
    this.count = index - this.firstIndex;
    if (this.cacheFrom > index) this.cacheFrom = index;
  }

  /** Drops every entry below `index` (index <= lastIndex + 1). */
  dropBefore(index: number): void {
    if (index <= this.firstIndex) return;
    storageAssert(index <= this.lastIndex + 1, `dropBefore ${index} > lastIndex + 1 = ${this.lastIndex + 1}`);
    for (let i = this.firstIndex; i < index; i++) {
      const s = this.slot(i);
      this.cachedBytes -= this.cache[s]?.length ?? 0;
      this.cache[s] = undefined;
    }
    this.head += index - this.firstIndex;
    this.count -= index - this.firstIndex;
    this.firstIndex = index;
    if (this.cacheFrom < index) this.cacheFrom = index;
    if (this.count === 0) this.head = 0;
  }

  push(term: number, type: number, seq: number, offset: number, dataBytes: number, data: Uint8Array | undefined): void {
    if (this.head + this.count === this.terms.length) this.grow();
    const s = this.head + this.count;
    this.terms[s] = term;
    this.types[s] = type;
    this.seqs[s] = seq;
    this.offsets[s] = offset;
    this.lengths[s] = dataBytes;
    this.cache[s] = data;
    this.count++;
    if (data) this.cachedBytes += data.length;
    else this.cacheFrom = this.lastIndex + 1;
  }

  /**
   * Re-points the cached data of the newest entries that live in segment `seq` into `bytes`
   * (a trimmed copy of that segment), so they stop pinning the whole segment buffer.
   */
  rebaseTail(seq: number, bytes: Uint8Array): void {
    for (let i = this.lastIndex; i >= this.firstIndex && i >= this.cacheFrom; i--) {
      const s = this.slot(i);
      if (this.seqs[s] !== seq) break;
      const offset = this.offsets[s]!;
      this.cache[s] = bytes.subarray(offset, offset + this.lengths[s]!);
    }
  }

  /** Forgets cached data of indexes below `bound` until the cache holds at most bytesMax. */
  evict(bound: number, bytesMax: number): void {
    while (this.cachedBytes > bytesMax && this.cacheFrom < bound && this.cacheFrom <= this.lastIndex) {
      const s = this.slot(this.cacheFrom);
      this.cachedBytes -= this.cache[s]?.length ?? 0;
      this.cache[s] = undefined;
      this.cacheFrom++;
    }
  }

  /** Forgets all cached data of indexes below `bound` (tests: force reads from disk). */
  evictAll(bound: number): void {
    this.evict(bound, -1);
  }

  // Moves live slots to the front, doubling capacity when more than half is live.
  private grow(): void {
    const capacity = this.count * 2 > this.terms.length ? this.terms.length * 2 : this.terms.length;
    const from = this.head;
    const to = this.head + this.count;
    const move = <T extends Float64Array | Uint8Array | Uint32Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old.subarray(from, to));
      return next;
    };
    this.terms = move(this.terms, (n) => new Float64Array(n));
    this.types = move(this.types, (n) => new Uint8Array(n));
    this.seqs = move(this.seqs, (n) => new Float64Array(n));
    this.offsets = move(this.offsets, (n) => new Float64Array(n));
    this.lengths = move(this.lengths, (n) => new Uint32Array(n));
    const cache = new Array<Uint8Array | undefined>(capacity);
    for (let i = 0; i < this.count; i++) cache[i] = this.cache[from + i];
    this.cache = cache;
    this.head = 0;
  }
}
