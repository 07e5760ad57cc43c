// Latency histogram of the load generator: log-linear buckets over microseconds (64
// linear sub-buckets per power of two, so any value is kept within 1/64 ≈ 1.6 %), fixed
// memory however many requests a run makes, and mergeable across clients.

const SUB_BUCKET_BITS = 6;
const SUB_BUCKET_COUNT = 1 << SUB_BUCKET_BITS; // 64
/** Values are clamped to this (about 35 minutes): a request can never take longer in a run. */
export const HISTOGRAM_VALUE_MAX_US = 2 ** 31 - 1;
const BUCKET_COUNT = (31 - SUB_BUCKET_BITS + 1) * SUB_BUCKET_COUNT + SUB_BUCKET_COUNT;

function bucketIndex(valueUs: number): number {
  const value = Math.min(HISTOGRAM_VALUE_MAX_US, Math.max(0, Math.round(valueUs)));
  if (value < SUB_BUCKET_COUNT) return value;
  const exponent = 31 - Math.clz32(value); // ≥ SUB_BUCKET_BITS
  const sub = (value >>> (exponent - SUB_BUCKET_BITS)) & (SUB_BUCKET_COUNT - 1);
  return (exponent - SUB_BUCKET_BITS + 1) * SUB_BUCKET_COUNT + sub;
}

/** The middle of a bucket's value range, in microseconds. */
function bucketValueUs(index: number): number {
  if (index < SUB_BUCKET_COUNT) return index;
  const exponent = Math.floor(index / SUB_BUCKET_COUNT) + SUB_BUCKET_BITS - 1;
  const sub = index % SUB_BUCKET_COUNT;
  const width = 2 ** (exponent - SUB_BUCKET_BITS);
  return (SUB_BUCKET_COUNT + sub) * width + width / 2;
}

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKET_COUNT);
  count = 0;
  maxUs = 0;

  recordUs(valueUs: number): void {
    const index = bucketIndex(valueUs);
    if (index >= BUCKET_COUNT) throw new Error(`histogram index ${index} out of range [0, ${BUCKET_COUNT}) for ${valueUs} µs`);
    this.counts[index]! += 1;
    this.count += 1;
    if (valueUs > this.maxUs) this.maxUs = valueUs;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.maxUs = Math.max(this.maxUs, other.maxUs);
  }

  /** The p-th percentile (0 < p ≤ 100) in milliseconds; NaN when empty. */
  percentileMs(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketValueUs(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }
}
