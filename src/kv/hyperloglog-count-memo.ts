// A node-local memo of single-key PFCOUNT answers. Redis caches an HLL's cardinality in the
// value's own header and PFADD invalidates it; raftis's PFCOUNT is a read and may not write
// replicated bytes, so without this every PFCOUNT of a dense HLL would recount its 16384
// registers. The memo is keyed by the stored value's identity: a string stored whole (every
// PFADD, PFMERGE, SET or RESTORE stores a new one) is never mutated, so any change to the key
// gives it a different value. A string being changed in place (mutable-string.ts: SETRANGE or
// SETBIT on a long value) is not memoized. The answer is a pure function of the bytes, so a
// hit answers exactly what a recount would. Nothing here is replicated, in snapshots, the
// digest or DUMP: each node fills its own memo from the reads it serves.

export class HllCountMemo {
  /**
   * By key (latin1 map key), least recently used first: the value the count was computed
   * from, and the count. Invariant: size <= entriesMax.
   */
  private readonly memos = new Map<string, { readonly value: string; readonly count: number }>();

  /**
   * `entriesMax` bounds the keys remembered, and so the replaced values kept alive until
   * their key is counted again or falls out (at most entriesMax dense HLLs of 12 KiB each).
   */
  constructor(private readonly entriesMax: number) {
    if (!Number.isSafeInteger(entriesMax) || entriesMax < 0) throw new Error(`invalid hllCountMemoEntriesMax ${entriesMax}: must be an integer ≥ 0`);
  }

  get size(): number {
    return this.memos.size;
  }

  /** The count remembered for `mapKey` when its value is still `value`, else undefined. */
  get(mapKey: string, value: string): number | undefined {
    const memo = this.memos.get(mapKey);
    // Usually the same string object (one pointer compare); otherwise equal bytes have the same count.
    if (memo === undefined || memo.value !== value) return undefined;
    this.memos.delete(mapKey);
    this.memos.set(mapKey, memo);
    return memo.count;
  }

  set(mapKey: string, value: string, count: number): void {
    if (this.entriesMax === 0) return;
    this.memos.delete(mapKey);
    if (this.memos.size >= this.entriesMax) this.memos.delete(this.memos.keys().next().value as string);
    this.memos.set(mapKey, { value, count });
  }
}
