// Redis's pqsort (pqsort.c): the Bentley-McIlroy quicksort of NetBSD's qsort, sorting only the
// partitions that overlap the requested range [left, right]. SORT ... BY ... LIMIT and geo
// searches with COUNT use it, and it is not stable, so elements with equal sort keys come out
// in its order; doing the same steps here gives the same replies as Redis for them. (Full
// sorts use glibc's qsort, a stable merge sort on Redis's platform, so Array.prototype.sort,
// also stable, matches those.)

export type Compare<T> = (a: T, b: T) => number;

/** Sorts `items` in place so that positions left..right hold what a full sort would put there. */
export function partialSort<T>(items: T[], compare: Compare<T>, left: number, right: number): void {
  sortPartition(items, 0, items.length, compare, left, right);
}

function swap<T>(items: T[], a: number, b: number): void {
  const held = items[a] as T;
  items[a] = items[b] as T;
  items[b] = held;
}

/** Swaps `count` elements from `a` with `count` from `b`, pairwise in order. */
function swapRuns<T>(items: T[], a: number, b: number, count: number): void {
  for (let i = 0; i < count; i++) swap(items, a + i, b + i);
}

function median3<T>(items: T[], a: number, b: number, c: number, compare: Compare<T>): number {
  const [x, y, z] = [items[a] as T, items[b] as T, items[c] as T];
  return compare(x, y) < 0 ? (compare(y, z) < 0 ? b : compare(x, z) < 0 ? c : a) : compare(y, z) > 0 ? b : compare(x, z) < 0 ? a : c;
}

/** True when the partition [start, start + count) lies wholly before or after [left, right]. */
function outside(start: number, count: number, left: number, right: number): boolean {
  const last = start + count - 1;
  return (left < start && right < start) || (left > last && right > last);
}

/** Chooses the pivot as pqsort does (a median of 3, or of 3 medians above 40 elements). */
function pivotIndex<T>(items: T[], start: number, count: number, compare: Compare<T>): number {
  let middle = start + Math.floor(count / 2);
  if (count > 7) {
    let low = start;
    let high = start + count - 1;
    if (count > 40) {
      const step = Math.floor(count / 8);
      low = median3(items, low, low + step, low + 2 * step, compare);
      middle = median3(items, middle - step, middle, middle + step, compare);
      high = median3(items, high - 2 * step, high - step, high, compare);
    }
    middle = median3(items, low, middle, high, compare);
  }
  return middle;
}

function sortPartition<T>(items: T[], from: number, size: number, compare: Compare<T>, left: number, right: number): void {
  let start = from;
  let count = size;
  for (;;) {
    if (count < 7) {
      for (let m = start + 1; m < start + count; m++) {
        for (let l = m; l > start && compare(items[l - 1] as T, items[l] as T) > 0; l--) swap(items, l, l - 1);
      }
      return;
    }
    swap(items, start, pivotIndex(items, start, count, compare));
    // Bentley-McIlroy three-way partition: equal keys gather at both ends, then move to the middle.
    let pa = start + 1;
    let pb = pa;
    let pc = start + count - 1;
    let pd = pc;
    for (;;) {
      let order = 0;
      while (pb <= pc && (order = compare(items[pb] as T, items[start] as T)) <= 0) {
        if (order === 0) swap(items, pa++, pb);
        pb++;
      }
      while (pb <= pc && (order = compare(items[pc] as T, items[start] as T)) >= 0) {
        if (order === 0) swap(items, pc, pd--);
        pc--;
      }
      if (pb > pc) break;
      swap(items, pb++, pc--);
    }
    const end = start + count;
    let run = Math.min(pa - start, pb - pa);
    swapRuns(items, start, pb - run, run);
    run = Math.min(pd - pc, end - pd - 1);
    swapRuns(items, pb, end - run, run);
    const lower = pb - pa;
    if (lower > 1 && !outside(start, lower, left, right)) sortPartition(items, start, lower, compare, left, right);
    const upper = pd - pc;
    if (upper <= 1 || outside(end - upper, upper, left, right)) return;
    start = end - upper;
    count = upper;
  }
}
