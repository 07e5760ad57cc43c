// Command-line options of `npm run bench`: --quick, --only, --profile, --report, and the derived
// durations and sizes of each workload.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const WORKLOADS = ['writes', 'reads', 'mixed', 'pipelined', 'sustained', 'replication', 'failover', 'memory', 'snapshot', 'types', 'type-memory', 'scripts', 'bullmq', 'strings-ab'] as const;
export type WorkloadId = (typeof WORKLOADS)[number];
/** Workloads whose report section describes its own run and is kept across runs (kept-section.ts). */
export const KEPT_SECTION_WORKLOADS: readonly WorkloadId[] = ['snapshot', 'types', 'type-memory', 'scripts', 'bullmq', 'strings-ab'];
export const DEFAULT_REPORT = 'docs/benchmarks.md';

export interface BenchOptions {
  readonly quick: boolean;
  readonly only: ReadonlySet<WorkloadId>;
  /** Directory for the raftis nodes' .cpuprofile files; null without --profile. */
  readonly profileDir: string | null;
  readonly reportPath: string;
  /**
   * 'whole': the run writes the whole report (its kept sections carried over when not measured);
   * 'sections': a partial run into the default report replaces only its own kept sections.
   */
  readonly reportMode: 'whole' | 'sections';
  readonly durationMs: number;
  /** Unrecorded writes at 64 clients before a system's first measurement (JIT, caches, file preallocation). */
  readonly warmupMs: number;
  readonly sustainedMs: number;
  readonly replicationMs: number;
  readonly failoverRounds: number;
  readonly memoryKeys: number;
  /** Elements of the one key per type in type-memory. */
  readonly typeMemoryElements: number;
  /** redis-benchmark requests per test in types and strings-ab, without and with pipelining. */
  readonly typeRequests: number;
  readonly typePipelinedRequests: number;
  /** Ports every system listens on, FIRST-LAST; null = ports the kernel picks. */
  readonly ports: { readonly first: number; readonly last: number } | null;
  /** Another build's checkout (its dist/ built) measured beside this one by strings-ab; null = none. */
  readonly baselineDir: string | null;
  /** A git revision to check out and build as the baseline (--compare); null = none. */
  readonly compareRef: string | null;
  readonly pipelinedRequests: number;
  /** Jobs BullMQ adds and processes in each phase of the bullmq workload. */
  readonly bullmqJobs: number;
  readonly preloadKeys: number;
  readonly commandLine: string;
}

export const USAGE = `usage: npm run bench -- [--quick] [--only ${WORKLOADS.join(',')}] [--profile] [--report ${DEFAULT_REPORT}] [--ports FIRST-LAST] [--baseline DIR | --compare REV]
  A partial run (--only) into ${DEFAULT_REPORT} is allowed for ${KEPT_SECTION_WORKLOADS.join(', ')} alone and replaces only their sections; any other partial run needs --report PATH.`;

export function parseBenchOptions(argv: readonly string[], stamp: string): BenchOptions | string {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      report: { type: 'string' },
      ports: { type: 'string' },
      baseline: { type: 'string' },
      compare: { type: 'string' },
      help: { type: 'boolean', default: false },
    } });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const { values } = parsed;
  if (values.help === true) return '';
  const only = new Set<WorkloadId>();
  if (values.baseline !== undefined && values.compare !== undefined) return '--baseline and --compare both name the build to compare: give one';
  const comparing = values.baseline !== undefined || values.compare !== undefined;
  const defaults = WORKLOADS.filter((w) => w !== 'strings-ab' || comparing);
  for (const name of (values.only ?? defaults.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (!(WORKLOADS as readonly string[]).includes(name)) return `--only: unknown workload "${name}" (known: ${WORKLOADS.join(', ')})`;
    only.add(name as WorkloadId);
  }
  const quick = values.quick === true;
  const ports = values.ports === undefined ? null : parsePortRange(values.ports);
  if (typeof ports === 'string') return ports;
  if (only.has('strings-ab') && !comparing) return '--only strings-ab needs --compare REV (a git revision to build and compare) or --baseline DIR (a checkout with dist/ built)';
  const reportPath = values.report ?? DEFAULT_REPORT;
  const reportMode = partialReportMode(only, defaults, reportPath);
  if (reportMode instanceof Error) return reportMode.message;
  return {
    quick,
    only,
    profileDir: values.profile === true ? `bench/results/profile-${stamp}` : null,
    reportPath,
    reportMode,
    durationMs: quick ? 3000 : 10_000,
    warmupMs: quick ? 3000 : 5000,
    sustainedMs: quick ? 10_000 : 30_000,
    replicationMs: quick ? 3000 : 10_000,
    failoverRounds: quick ? 5 : 20,
    memoryKeys: quick ? 250_000 : 1_000_000,
    typeMemoryElements: quick ? 250_000 : 1_000_000,
    typeRequests: quick ? 5_000 : 20_000,
    typePipelinedRequests: quick ? 20_000 : 100_000,
    ports,
    baselineDir: values.baseline ?? null,
    compareRef: values.compare ?? null,
    pipelinedRequests: quick ? 50_000 : 200_000,
    bullmqJobs: quick ? 1000 : 5000,
    preloadKeys: quick ? 20_000 : 100_000,
    commandLine: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
  };
}

/**
 * How a run writes its report. A run of every default workload, or one into a report of its own
 * (--report), writes the whole file. A partial run into the default report may only replace its
 * kept sections: the other sections and the targets describe one full run, and a partial run
 * would drop what it did not measure or mix two runs' numbers in one table.
 */
function partialReportMode(only: ReadonlySet<WorkloadId>, defaults: readonly WorkloadId[], reportPath: string): 'whole' | 'sections' | Error {
  if (defaults.every((w) => only.has(w)) || resolve(reportPath) !== resolve(DEFAULT_REPORT)) return 'whole';
  const unkept = [...only].filter((w) => !KEPT_SECTION_WORKLOADS.includes(w));
  if (unkept.length === 0) return 'sections';
  return new Error(`--only ${[...only].join(',')}: a partial run of ${unkept.join(', ')} cannot write ${DEFAULT_REPORT}, whose sections and targets come from one full run; give --report PATH (or run every workload)`);
}

/** FIRST-LAST, both in 1024..32767 (below the kernel's ephemeral range), at least 16 ports. */
function parsePortRange(text: string): { first: number; last: number } | string {
  const match = /^(\d+)-(\d+)$/.exec(text);
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (match === null || first < 1024 || last > 32767 || last - first < 15) return `--ports: expected FIRST-LAST within 1024-32767, at least 16 ports (got "${text}")`;
  return { first, last };
}
