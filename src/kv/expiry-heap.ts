// A binary min-heap of (expiry time, creation stamp) used for the leader's active expiry and
// for volatile-ttl eviction. Entries are removed lazily: an item is stale once its key was
// deleted or its expiry changed, and the owner passes `isLive` to tell. The order is total
// (ties broken by creation stamp), so the minimum live item is the same on every replica
// whatever the heap's internal shape.

export interface ExpiryItem<T> {
  readonly expireAtMs: number;
  readonly stamp: number;
  readonly target: T;
}

function before<T>(a: ExpiryItem<T>, b: ExpiryItem<T>): boolean {
  return a.expireAtMs < b.expireAtMs || (a.expireAtMs === b.expireAtMs && a.stamp < b.stamp);
}

export class ExpiryHeap<T> {
  private items: ExpiryItem<T>[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: ExpiryItem<T>): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const parentItem = items[parent] as ExpiryItem<T>;
      if (!before(item, parentItem)) break;
      items[index] = parentItem;
      index = parent;
    }
    items[index] = item;
  }

  private pop(): ExpiryItem<T> | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let index = 0;
    const length = items.length;
    while (true) {
      const left = index * 2 + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && before(items[right] as ExpiryItem<T>, items[left] as ExpiryItem<T>)) child = right;
      const childItem = items[child] as ExpiryItem<T>;
      if (!before(childItem, last)) break;
      items[index] = childItem;
      index = child;
    }
    items[index] = last;
    return top;
  }

  /** The earliest live item, discarding stale ones on the way. */
  peekLive(isLive: (item: ExpiryItem<T>) => boolean): ExpiryItem<T> | undefined {
    while (this.items.length > 0) {
      const top = this.items[0] as ExpiryItem<T>;
      if (isLive(top)) return top;
      this.pop();
    }
    return undefined;
  }

  /**
   * Live items due at `nowMs` (expireAtMs ≤ nowMs), earliest first, at most `max`, taking at
   * most `visitMax` items off the heap. Stale items met on the way are dropped for good (so
   * repeated calls make progress through keys deleted by other means); live ones go back.
   * This changes only the heap's shape, never which item is the minimum, so it is safe to
   * call outside apply.
   */
  collectDue(nowMs: number, max: number, visitMax: number, isLive: (item: ExpiryItem<T>) => boolean): ExpiryItem<T>[] {
    const due: ExpiryItem<T>[] = [];
    for (let visited = 0; due.length < max && visited < visitMax; visited++) {
      const top = this.items[0];
      if (top === undefined || top.expireAtMs > nowMs) break;
      this.pop();
      if (isLive(top)) due.push(top);
    }
    for (const item of due) this.push(item);
    return due;
  }

  /** Rebuilds from the live items only (called when stale items pile up). */
  compact(isLive: (item: ExpiryItem<T>) => boolean): void {
    const live = this.items.filter(isLive);
    this.items = [];
    for (const item of live) this.push(item);
  }

  clear(): void {
    this.items = [];
  }
}
