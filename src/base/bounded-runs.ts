// Cutting a sequence into consecutive runs, each as long as two bounds allow: at most
// `countMax` items and `bytesMax` bytes, but never empty (an item bigger than the byte bound
// makes a run of its own). Log batches of writes and packed list chunks are cut this way.

/** [from, to) of each run of `count` items whose sizes `sizeAt(i)` gives, with the run's bytes. */
export function boundedRuns(count: number, sizeAt: (i: number) => number, countMax: number, bytesMax: number): { from: number; to: number; bytes: number }[] {
  const runs: { from: number; to: number; bytes: number }[] = [];
  let from = 0;
  while (from < count) {
    let to = from + 1;
    let bytes = sizeAt(from);
    while (to < count && to - from < countMax && bytes + sizeAt(to) <= bytesMax) {
      bytes += sizeAt(to);
      to++;
    }
    runs.push({ from, to, bytes });
    from = to;
  }
  return runs;
}
