// Where the log's tail cache keeps the bytes of appended entries: copied into a few large
// slabs rather than kept as the caller's buffers. An entry's data arrives as a view of a
// peer's socket read or of the leader's batch encoding (tens of KiB each, from malloc's
// heap); kept for the cache, each pinned its whole buffer among short-lived ones, so the
// heap could not shrink after a load (a 1M-element list: 23–52 MiB of a node's malloc heap
// held free behind the cache's ~8 MiB; docs/benchmarks.md, a list's memory after its
// load). Slabs are filled in log order and never written again once handed out, so a view
// stays valid for as long as anyone holds it, and the cache's FIFO eviction lets whole
// slabs go in turn.

/** A slab's size: large enough that malloc maps it on its own pages (its threshold is 128 KiB). */
export const CACHE_SLAB_BYTES = 1024 * 1024;
/** Entries larger than this get a copy of their own rather than a slab's tail. */
const OWN_COPY_BYTES_MIN = CACHE_SLAB_BYTES / 4;

export class CacheSlabs {
  private slab = new Uint8Array(0);
  /** Bytes of `slab` handed out. Invariant: 0 <= used <= slab.length. */
  private used = 0;

  /** A copy of `data` that stays valid and unchanged for as long as it is referenced. */
  copy(data: Uint8Array): Uint8Array {
    const length = data.byteLength;
    if (length >= OWN_COPY_BYTES_MIN) {
      const own = new Uint8Array(length);
      own.set(data);
      return own;
    }
    if (this.slab.length - this.used < length) {
      this.slab = new Uint8Array(CACHE_SLAB_BYTES);
      this.used = 0;
    }
    const view = this.slab.subarray(this.used, this.used + length);
    view.set(data);
    this.used += length;
    return view;
  }
}
