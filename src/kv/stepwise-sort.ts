// A stable merge sort by a numeric key that runs in bounded steps, so a caller that must not
// block (restoring a snapshot of a million keys) can spread it over many event-loop turns.
// Bottom-up: blocks of `initialRunLength` are first sorted one per step with the engine's
// own sort (fast, and bounded work each), then runs are merged pairwise between two arrays;
// the position inside the current merge is kept between steps.

/** Items per block sorted in one go before merging: cheap enough for one step, saves the first merge passes. */
const initialRunLength = 2048;
/** Work units charged per item of a block sort (about log2 of the block length). */
const blockSortWorkPerItem = 11;

export class StepwiseSort<T> {
  private source: T[];
  private target: T[];
  private width = 1;
  /** Next block to sort before merging begins; the length once all are sorted. */
  private blockStart = 0;
  /** Current merge: left run [low, middle), right run [middle, high); next output at `out`. */
  private low = 0;
  private middle = 0;
  private high = 0;
  private left = 0;
  private right = 0;
  private out = 0;
  private merging = false;

  /** Sorts `items` (taken over: the caller must not touch it until `result()`). */
  constructor(items: T[], private readonly keyOf: (item: T) => number, private readonly runLength: number = initialRunLength) {
    if (!Number.isSafeInteger(runLength) || runLength < 1) throw new Error(`StepwiseSort: runLength ${runLength} must be an integer ≥ 1`);
    this.source = items;
    this.target = new Array<T>(items.length);
  }

  get done(): boolean {
    return this.blockStart >= this.source.length && this.width >= this.source.length;
  }

  /** Moves at most about `movesMax` items; returns true while more work remains. */
  step(movesMax: number): boolean {
    if (!(movesMax > 0)) throw new Error(`StepwiseSort: movesMax ${movesMax} must be > 0`);
    const length = this.source.length;
    let moves = 0;
    while (this.blockStart < length) {
      if (moves >= movesMax) return true;
      const end = Math.min(length, this.blockStart + this.runLength);
      const keyOf = this.keyOf;
      const block = this.source.slice(this.blockStart, end).sort((a, b) => keyOf(a) - keyOf(b)); // stable (ES2019)
      for (let i = 0; i < block.length; i++) this.source[this.blockStart + i] = block[i] as T;
      moves += block.length * blockSortWorkPerItem;
      this.blockStart = end;
      if (this.blockStart >= length) this.width = Math.max(this.width, this.runLength);
    }
    while (this.width < length) {
      if (!this.merging) {
        if (this.low >= length) {
          const swap = this.source;
          this.source = this.target;
          this.target = swap;
          this.width *= 2;
          this.low = 0;
          continue;
        }
        this.middle = Math.min(this.low + this.width, length);
        this.high = Math.min(this.low + this.width * 2, length);
        this.left = this.low;
        this.right = this.middle;
        this.out = this.low;
        this.merging = true;
      }
      moves += this.merge(movesMax - moves);
      if (this.out === this.high) {
        this.merging = false;
        this.low = this.high;
      }
      if (moves >= movesMax) return this.width < length;
    }
    return false;
  }

  /** Continues the current merge for at most `budget` moves; returns the moves made. */
  private merge(budget: number): number {
    const { source, target, keyOf, middle, high } = this;
    let { left, right, out } = this;
    const end = Math.min(high, out + budget);
    while (out < end) {
      if (left < middle && (right >= high || keyOf(source[left] as T) <= keyOf(source[right] as T))) target[out++] = source[left++] as T;
      else target[out++] = source[right++] as T;
    }
    const moved = out - this.out;
    this.left = left;
    this.right = right;
    this.out = out;
    return moved;
  }

  /** The sorted items; only once `step` returned false. */
  result(): T[] {
    if (!this.done) throw new Error(`StepwiseSort: result() before the sort finished (width ${this.width}, block ${this.blockStart} of ${this.source.length})`);
    return this.source;
  }
}
