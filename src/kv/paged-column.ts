// A column of doubles by slot where most slots hold one common value (the keyspace's expiry:
// most keys have none). Slots are grouped in pages of pageSlots; a page is allocated only when
// one of its slots gets another value, so a keyspace without expiries spends nothing on the
// column (a dense Float64Array cost 8 B a slot of capacity: 8 MiB at a million keys) and one
// where every key has an expiry spends what the dense one did. A page once allocated stays
// until the column is rebuilt (rebuilt(): the keyspace's compaction and reordering).

/** Slots per page: 8 KiB of doubles, a power of two. */
const pageShift = 10;
export const pageSlots = 1 << pageShift;
const pageMask = pageSlots - 1;

export class PagedColumn {
  private pages: (Float64Array | undefined)[] = [];

  /** `common` is what every slot reads until set otherwise. */
  constructor(readonly common: number) {}

  get(slot: number): number {
    const page = this.pages[slot >>> pageShift];
    return page === undefined ? this.common : (page[slot & pageMask] as number);
  }

  set(slot: number, value: number): void {
    const index = slot >>> pageShift;
    let page = this.pages[index];
    if (page === undefined) {
      if (value === this.common) return;
      while (this.pages.length < index) this.pages.push(undefined);
      page = new Float64Array(pageSlots).fill(this.common);
      this.pages[index] = page;
    }
    page[slot & pageMask] = value;
  }

  /** Pages allocated (for tests and estimates). */
  get pageCount(): number {
    let count = 0;
    for (const page of this.pages) if (page !== undefined) count++;
    return count;
  }

  /**
   * A new column holding, at slot `to`, what this one holds at `sources[to]` for every `to`
   * below sources.length; slots beyond read as common. Pages left without another value are
   * not allocated.
   */
  rebuilt(sources: ArrayLike<number>): PagedColumn {
    const column = new PagedColumn(this.common);
    for (let to = 0; to < sources.length; to++) {
      const value = this.get(sources[to] as number);
      if (value !== this.common) column.set(to, value);
    }
    return column;
  }
}
