// Per-command and per-error counters of this node, as Redis keeps them for INFO commandstats,
// latencystats and errorstats (reset by CONFIG RESETSTAT). A command's time is its execution,
// as Redis counts it (dispatch.ts, Execution): not the wait for a read point or for the log to
// commit a write. The dashboard's latency is the other one, dispatch to reply.

/** Latency buckets: 4 per power of two from 1 µs (about 19% wide), up to 2^40 µs. */
const SUB_BUCKETS = 4;
const BUCKETS = 41 * SUB_BUCKETS;

function bucketOf(usec: number): number {
  if (usec < 1) return 0;
  // The common case, a whole number of µs below 2^31, by integer arithmetic (no log2, no pow).
  if (usec < 2 ** 31 && Number.isInteger(usec)) {
    const exponent = 31 - Math.clz32(usec);
    return Math.min(BUCKETS - 1, exponent * SUB_BUCKETS + (((usec - (1 << exponent)) * SUB_BUCKETS) >>> exponent));
  }
  const exponent = Math.floor(Math.log2(usec));
  const fraction = usec / 2 ** exponent - 1; // [0, 1)
  return Math.min(BUCKETS - 1, exponent * SUB_BUCKETS + Math.floor(fraction * SUB_BUCKETS));
}

/** The upper bound of a bucket, in µs (what a percentile in it is reported as). */
function bucketTop(bucket: number): number {
  const exponent = Math.floor(bucket / SUB_BUCKETS);
  return 2 ** exponent * (1 + ((bucket % SUB_BUCKETS) + 1) / SUB_BUCKETS);
}

export class CommandCounters {
  calls = 0;
  usec = 0;
  /** Refused before running: unknown to the transaction, arity, not allowed in MULTI. */
  rejected = 0;
  /** Ran and answered an error. */
  failed = 0;
  private histogram: Uint32Array | null = null;

  record(usec: number, failed: boolean): void {
    this.calls++;
    this.usec += usec;
    if (failed) this.failed++;
    this.histogram ??= new Uint32Array(BUCKETS);
    this.histogram[bucketOf(usec)]! += 1;
  }

  /** The latency at percentile `p` (0-100), from the buckets; 0 before any call. */
  percentile(p: number): number {
    const histogram = this.histogram;
    if (histogram === null || this.calls === 0) return 0;
    const rank = Math.ceil((p / 100) * this.calls);
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += histogram[bucket] ?? 0;
      if (seen >= rank) return bucketTop(bucket);
    }
    return bucketTop(BUCKETS - 1);
  }

  /** The calls that took at most each power of two of µs (2, 4, 8, ...), cumulative, up to the slowest: LATENCY HISTOGRAM. */
  cumulativeByPowerOfTwo(): [number, number][] {
    const histogram = this.histogram;
    if (histogram === null) return [];
    let highest = -1;
    for (let bucket = 0; bucket < BUCKETS; bucket++) if ((histogram[bucket] ?? 0) > 0) highest = bucket;
    const out: [number, number][] = [];
    let seen = 0;
    for (let exponent = 0; exponent * SUB_BUCKETS <= highest; exponent++) {
      for (let k = 0; k < SUB_BUCKETS; k++) seen += histogram[exponent * SUB_BUCKETS + k] ?? 0;
      out.push([2 ** (exponent + 1), seen]);
    }
    return out;
  }

  reset(): void {
    this.calls = 0;
    this.usec = 0;
    this.rejected = 0;
    this.failed = 0;
    this.histogram = null;
  }
}

/** Error replies by their first word (ERR, WRONGTYPE, ...), as INFO errorstats shows them. */
export class ErrorCounters {
  /** Redis stops adding new error kinds past 128, so a stream of odd errors cannot grow it. */
  private static readonly KINDS_MAX = 128;
  private readonly byKind = new Map<string, number>();
  total = 0;

  count(message: string): void {
    this.total++;
    const space = message.indexOf(' ');
    const kind = space < 0 ? message : message.slice(0, space);
    const seen = this.byKind.get(kind);
    if (seen !== undefined) this.byKind.set(kind, seen + 1);
    else if (this.byKind.size < ErrorCounters.KINDS_MAX) this.byKind.set(kind, 1);
  }

  entries(): IterableIterator<[string, number]> {
    return this.byKind.entries();
  }

  reset(): void {
    this.byKind.clear();
    this.total = 0;
  }
}
