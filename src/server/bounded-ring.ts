// A ring of the last `capacity` items, oldest first: the dashboard's history of samples and
// events. Pushing past the capacity drops the oldest, so memory stays bounded however long
// the node runs.

export class BoundedRing<T> {
  /** Items at most; validated by the caller's setting (admin-samples-max, admin-events-max). */
  readonly capacity: number;
  private readonly items: (T | undefined)[];
  /** Index of the oldest item. Invariant: 0 <= start < capacity and 0 <= size <= capacity. */
  private start = 0;
  private size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`invalid ring capacity ${capacity}: must be a positive integer`);
    this.capacity = capacity;
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size < this.capacity) {
      this.items[(this.start + this.size) % this.capacity] = item;
      this.size++;
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  /** The newest item, or undefined when empty. */
  last(): T | undefined {
    return this.size === 0 ? undefined : this.items[(this.start + this.size - 1) % this.capacity];
  }

  /**
   * The newest items for which `isNew` holds, oldest first. `isNew` must hold for a suffix
   * of the ring (items are pushed in time order), so the scan stops at the first old one.
   */
  newest(isNew: (item: T) => boolean): T[] {
    const out: T[] = [];
    for (let i = this.size - 1; i >= 0; i--) {
      const item = this.items[(this.start + i) % this.capacity] as T;
      if (!isNew(item)) break;
      out.push(item);
    }
    return out.reverse();
  }
}
