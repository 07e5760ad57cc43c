// The performance targets of issue 20, each checked as a ratio from one run's results.
// A target whose inputs were not measured (workload filtered out, etcd skipped) is "n/a".

import type { BenchResults, LatencyRow, SystemName } from './results.js';
import { percentileOf } from './results.js';

export interface TargetCheck {
  readonly name: string;
  readonly measured: string;
  readonly goal: string;
  readonly pass: boolean | null;
}

function find(results: BenchResults, workload: LatencyRow['workload'], system: SystemName, variant: string, clients: number): LatencyRow | undefined {
  return results.rows.find((r) => r.workload === workload && r.system === system && r.variant === variant && r.clients === clients);
}

function ratioCheck(name: string, goal: string, numerator: number | undefined, denominator: number | undefined, meets: (ratio: number) => boolean, detail: (n: number, d: number) => string): TargetCheck {
  if (numerator === undefined || denominator === undefined || !(denominator > 0)) return { name, measured: 'not measured', goal, pass: null };
  const ratio = numerator / denominator;
  return { name, measured: `${ratio.toFixed(2)}× (${detail(numerator, denominator)})`, goal, pass: meets(ratio) };
}

const rate = (v: number): string => `${v.toFixed(0)}/s`;
const ms = (v: number): string => `${v.toFixed(2)} ms`;

/** Above this 1-minute load average at the start, a run's targets are recorded but not judged. */
export const QUIET_LOAD_MAX = 1.5;

/**
 * Issue 20's targets. A run that started on a busy machine (load above QUIET_LOAD_MAX) records
 * every measurement but judges none: its ratios say more about the other jobs than about raftis.
 */
export function checkTargets(results: BenchResults, loadAtStart: string): TargetCheck[] {
  const checks = measuredTargets(results);
  const load = Number(loadAtStart.split(' ')[0]);
  if (!(load > QUIET_LOAD_MAX)) return checks;
  return checks.map((c) => (c.pass === null ? c : { ...c, measured: `${c.measured}; noisy: load ${load.toFixed(2)} at start`, pass: null }));
}

function measuredTargets(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const raftisPipelined = results.pipelined.find((p) => p.system === 'raftis');
  const redisPipelined = results.pipelined.find((p) => p.system === 'redis');
  const pipelined = raftisPipelined?.requestsPerSecond ?? undefined;
  checks.push(pipelined === undefined
    ? { name: 'pipelined SET (-P 16, 50 clients)', measured: 'not measured', goal: '≥ 100000/s', pass: null }
    : { name: 'pipelined SET (-P 16, 50 clients)', measured: rate(pipelined), goal: '≥ 100000/s', pass: pipelined >= 100_000 });
  checks.push(ratioCheck('pipelined SET vs single-node Redis (appendfsync always)', '≥ 0.5×',
    pipelined, redisPipelined?.requestsPerSecond ?? undefined, (r) => r >= 0.5, (n, d) => `${rate(n)} vs ${rate(d)}`));
  const cpu = raftisPipelined?.serverCpuMicrosPerRequest ?? [];
  const cpuSum = cpu.reduce((a, b) => a + b, 0);
  checks.push(cpu.length === 0
    ? { name: 'CPU per pipelined SET, summed over the nodes', measured: 'not measured', goal: '≤ 20 µs', pass: null }
    : { name: 'CPU per pipelined SET, summed over the nodes', measured: `${cpuSum.toFixed(1)} µs (${cpu.map((us) => us.toFixed(1)).join(' + ')})`, goal: '≤ 20 µs', pass: cpuSum <= 20 });
  checks.push(ratioCheck('writes at 64 clients vs etcd', '≥ 5×',
    find(results, 'writes', 'raftis', '', 64)?.opsPerSecond, find(results, 'writes', 'etcd', '', 64)?.opsPerSecond,
    (r) => r >= 5, (n, d) => `${rate(n)} vs ${rate(d)}`));
  checks.push(ratioCheck('single-client write p50 vs etcd', '≤ 0.5×',
    find(results, 'writes', 'raftis', '', 1)?.p50Ms, find(results, 'writes', 'etcd', '', 1)?.p50Ms,
    (r) => r <= 0.5, (n, d) => `${ms(n)} vs ${ms(d)}`));
  checks.push(ratioCheck('linearizable reads at 64 clients vs etcd', '≥ 10×',
    find(results, 'reads', 'raftis', 'linearizable', 64)?.opsPerSecond, find(results, 'reads', 'etcd', 'linearizable', 64)?.opsPerSecond,
    (r) => r >= 10, (n, d) => `${rate(n)} vs ${rate(d)}`));
  checks.push(ratioCheck('lease reads at 64 clients vs single-node Redis GET', '≥ 0.8×',
    find(results, 'reads', 'raftis', 'lease', 64)?.opsPerSecond, find(results, 'reads', 'redis', 'default', 64)?.opsPerSecond,
    (r) => r >= 0.8, (n, d) => `${rate(n)} vs ${rate(d)}`));
  const failover = results.failover;
  if (failover === null) checks.push({ name: 'failover p99', measured: 'not measured', goal: '≤ 2000 ms', pass: null });
  else {
    const p99 = failover.failures > 0 ? Number.POSITIVE_INFINITY : percentileOf(failover.samplesMs, 99);
    checks.push({ name: 'failover p99', measured: `${p99.toFixed(0)} ms over ${failover.samplesMs.length} kills${failover.failures > 0 ? `, ${failover.failures} without recovery` : ''}`, goal: '≤ 2000 ms', pass: p99 <= 2000 });
  }
  const raftisRss = results.memory.find((m) => m.system === 'raftis' && m.node.endsWith('(leader)'))?.loadedRssBytes ?? undefined;
  const redisRss = results.memory.find((m) => m.system === 'redis')?.loadedRssBytes ?? undefined;
  const keys = results.memory[0]?.keys;
  checks.push(ratioCheck(`memory for ${keys ?? '?'} × 100 B (leader RSS vs redis-server RSS)`, '≤ 1.5×',
    raftisRss ?? undefined, redisRss ?? undefined, (r) => r <= 1.5,
    (n, d) => `${(n / 1048576).toFixed(0)} MiB vs ${(d / 1048576).toFixed(0)} MiB`));
  return checks;
}
