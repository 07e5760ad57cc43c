// Command-line options of `npm run bench`: --quick, --only, --profile, and the derived
// durations and sizes of each workload.

import { parseArgs } from 'node:util';

export const WORKLOADS = ['writes', 'reads', 'mixed', 'pipelined', 'sustained', 'replication', 'failover', 'memory', 'snapshot'] as const;
export type WorkloadId = (typeof WORKLOADS)[number];

export interface BenchOptions {
  readonly quick: boolean;
  readonly only: ReadonlySet<WorkloadId>;
  /** Directory for the raftis nodes' .cpuprofile files; null without --profile. */
  readonly profileDir: string | null;
  readonly reportPath: string;
  readonly durationMs: number;
  /** Unrecorded writes at 64 clients before a system's first measurement (JIT, caches, file preallocation). */
  readonly warmupMs: number;
  readonly sustainedMs: number;
  readonly replicationMs: number;
  readonly failoverRounds: number;
  readonly memoryKeys: number;
  readonly pipelinedRequests: number;
  readonly preloadKeys: number;
  readonly commandLine: string;
}

export const USAGE = `usage: npm run bench -- [--quick] [--only ${WORKLOADS.join(',')}] [--profile] [--report docs/benchmarks.md]`;

export function parseBenchOptions(argv: readonly string[], stamp: string): BenchOptions | string {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      report: { type: 'string', default: 'docs/benchmarks.md' },
      help: { type: 'boolean', default: false },
    } });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const { values } = parsed;
  if (values.help === true) return '';
  const only = new Set<WorkloadId>();
  for (const name of (values.only ?? WORKLOADS.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (!(WORKLOADS as readonly string[]).includes(name)) return `--only: unknown workload "${name}" (known: ${WORKLOADS.join(', ')})`;
    only.add(name as WorkloadId);
  }
  const quick = values.quick === true;
  return {
    quick,
    only,
    profileDir: values.profile === true ? `bench/results/profile-${stamp}` : null,
    reportPath: values.report ?? 'docs/benchmarks.md',
    durationMs: quick ? 3000 : 10_000,
    warmupMs: quick ? 3000 : 5000,
    sustainedMs: quick ? 10_000 : 30_000,
    replicationMs: quick ? 3000 : 10_000,
    failoverRounds: quick ? 5 : 20,
    memoryKeys: quick ? 250_000 : 1_000_000,
    pipelinedRequests: quick ? 50_000 : 200_000,
    preloadKeys: quick ? 20_000 : 100_000,
    commandLine: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
  };
}
