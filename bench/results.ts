// What one benchmark run measured, in one plain object: the report, the charts and the
// saved JSON are all made from it.

export type SystemName = 'raftis' | 'etcd' | 'redis';

export interface LatencyRow {
  readonly workload: 'writes' | 'reads' | 'mixed' | 'sustained';
  readonly system: SystemName;
  /** Read mode, mix or kind of write, e.g. "linearizable", "90/10", "EVALSHA"; "" for plain writes (SET / put). */
  readonly variant: string;
  readonly clients: number;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly firstError: string | null;
  /** Each server process's CPU time (user + system) during the run over its successful requests, in µs; absent in older runs. */
  readonly serverCpuMicrosPerRequest?: readonly number[];
  /** The load-generator process's CPU time over the successful requests, in µs; null when not measured. */
  readonly loadGeneratorCpuMicrosPerRequest?: number | null;
  /** The load generator's CPU time over the run's wall time: the cores it kept busy. */
  readonly loadGeneratorCores?: number | null;
}

export interface PipelinedRow {
  readonly system: SystemName;
  readonly requestsPerSecond: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly error: string | null;
  /** Each server process's CPU time (user + system) during the run over its requests, in µs; empty when not measured. */
  readonly serverCpuMicrosPerRequest?: readonly number[];
  /** redis-benchmark's own CPU time over the requests, in µs: the load generator's share of the two cores. */
  readonly loadGeneratorCpuMicrosPerRequest?: number | null;
}

export interface ReplicationRow {
  readonly nodes: number;
  readonly samples: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

export interface FailoverResult {
  readonly samplesMs: number[];
  /** Rounds in which writes did not succeed again within the limit. */
  readonly failures: number;
}

export interface MemoryRow {
  readonly system: SystemName;
  readonly node: string;
  readonly keys: number;
  readonly valueBytes: number;
  readonly emptyRssBytes: number | null;
  readonly loadedRssBytes: number | null;
  /** The lowest RSS seen while the loaded process idled (memory.ts: IDLE_WATCH_MS), once its garbage was collected. */
  readonly settledRssBytes: number | null;
}

export interface SustainedSeries {
  readonly system: SystemName;
  readonly perSecond: number[];
}

export interface BenchResults {
  readonly rows: LatencyRow[];
  readonly pipelined: PipelinedRow[];
  readonly replication: ReplicationRow[];
  failover: FailoverResult | null;
  readonly memory: MemoryRow[];
  readonly sustained: SustainedSeries[];
  /** Systems or workloads skipped, with why. */
  readonly skipped: string[];
}

export function emptyResults(): BenchResults {
  return { rows: [], pipelined: [], replication: [], failover: null, memory: [], sustained: [], skipped: [] };
}

/** The p-th percentile of unsorted samples (nearest rank); NaN when there are none. */
export function percentileOf(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
