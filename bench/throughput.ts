// The closed-loop workloads against one running system: writes at 1/16/64/256 clients,
// reads per consistency level at 1 and 64 clients, 90/10 and 50/50 mixes at 64 clients,
// pipelined SET (redis-benchmark) and a sustained write load with throughput per second.

import type { BenchOptions } from './bench-options.js';
import { runClosedLoop, type LoadResult } from './closed-loop.js';
import { KEY_COUNT, benchKey, benchValue, openEtcdLoadClient, openRespLoadClient, type LoadClient, type ReadMode } from './load-clients.js';
import { PIPELINE_CLIENTS, PIPELINE_DEPTH, runRedisBenchmark } from './pipelined.js';
import { preloadEtcd, preloadResp } from './preload.js';
import type { Progress } from './progress.js';
import type { BenchResults, LatencyRow, SystemName } from './results.js';

export const WRITE_CLIENTS = [1, 16, 64, 256] as const;
export const READ_CLIENTS = [1, 64] as const;
export const MIX_CLIENTS = 64;
export const SUSTAINED_CLIENTS = 64;
export const MIXES = [{ name: '90/10', readFraction: 0.9 }, { name: '50/50', readFraction: 0.5 }] as const;

/** How the harness reaches one system under test. */
export interface Target {
  readonly system: SystemName;
  readonly protocol: 'resp' | 'etcd';
  /** The port clients connect to (the leader's, for the replicated systems). */
  readonly port: number;
  /** Read modes to measure, in order; null = the system's only mode. */
  readonly readModes: readonly (ReadMode | null)[];
  /** The mode for mixed workloads. */
  readonly mixReadMode: ReadMode | null;
  /** Each server process's CPU seconds so far (the pipelined run reports CPU per request from it). */
  readonly serverCpu?: () => readonly (number | null)[];
}

async function openClients(target: Target, count: number, readMode: ReadMode | null): Promise<LoadClient[]> {
  if (target.protocol === 'etcd') return Array.from({ length: count }, () => openEtcdLoadClient(target.port, readMode));
  return Promise.all(Array.from({ length: count }, () => openRespLoadClient(target.port, readMode)));
}

function formatRate(opsPerSecond: number): string {
  return opsPerSecond >= 10_000 ? `${(opsPerSecond / 1000).toFixed(1)}k/s` : `${opsPerSecond.toFixed(0)}/s`;
}

export function rowSummary(row: LatencyRow): string {
  const errors = row.errors > 0 ? `, ${row.errors} errors (${row.firstError ?? ''})` : '';
  return `${formatRate(row.opsPerSecond)} p50 ${row.p50Ms.toFixed(2)} ms p99 ${row.p99Ms.toFixed(2)} ms${errors}`;
}

async function measure(progress: Progress, label: string, target: Target, clients: number, readMode: ReadMode | null, readFraction: number, durationMs: number): Promise<LoadResult> {
  const line = progress.start(label);
  const connections = await openClients(target, clients, readMode);
  try {
    const result = await runClosedLoop(connections, {
      durationMs, readFraction,
      onProgress: (ops, elapsedMs) => line.update(`${(elapsedMs / 1000).toFixed(0)}/${(durationMs / 1000).toFixed(0)} s, ${formatRate(ops / (elapsedMs / 1000))}`),
    });
    const p = (q: number): number => result.histogram.percentileMs(q);
    line.done(`${formatRate(result.opsPerSecond)} p50 ${p(50).toFixed(2)} ms p95 ${p(95).toFixed(2)} ms p99 ${p(99).toFixed(2)} ms${result.errors > 0 ? `, ${result.errors} errors: ${result.firstError ?? ''}` : ''}`);
    return result;
  } finally {
    for (const client of connections) client.close();
  }
}

function toRow(workload: LatencyRow['workload'], system: SystemName, variant: string, clients: number, result: LoadResult): LatencyRow {
  return {
    workload, system, variant, clients, opsPerSecond: result.opsPerSecond,
    p50Ms: result.histogram.percentileMs(50), p95Ms: result.histogram.percentileMs(95), p99Ms: result.histogram.percentileMs(99),
    errors: result.errors, firstError: result.firstError,
  };
}

/** Runs every selected closed-loop workload against `target`, appending to `results`. */
export async function runThroughputWorkloads(target: Target, options: BenchOptions, progress: Progress, results: BenchResults): Promise<void> {
  const name = target.system;
  const only = options.only;
  // Cold servers are several times slower for their first seconds (V8 compiles the hot
  // path, WAL segments get preallocated): warm each system up before recording.
  await measure(progress, `warm-up ${name} (writes, ${SUSTAINED_CLIENTS} clients, not recorded)`, target, SUSTAINED_CLIENTS, null, 0, options.warmupMs);
  if (only.has('writes')) {
    for (const clients of WRITE_CLIENTS) {
      const result = await measure(progress, `writes ${name} ${clients} clients`, target, clients, null, 0, options.durationMs);
      results.rows.push(toRow('writes', name, '', clients, result));
    }
  }
  if (only.has('reads') || only.has('mixed')) {
    const line = progress.start(`preload ${name} ${options.preloadKeys} keys × 256 B`);
    const value = benchValue();
    const count = Math.min(options.preloadKeys, KEY_COUNT);
    if (target.protocol === 'etcd') await preloadEtcd(target.port, count, benchKey, value);
    else await preloadResp(target.port, count, benchKey, value, (loaded) => line.update(`${loaded} keys`));
    line.done(`${count} keys`);
  }
  if (only.has('reads')) {
    for (const mode of target.readModes) {
      for (const clients of READ_CLIENTS) {
        const result = await measure(progress, `reads ${name} ${mode ?? 'GET'} ${clients} clients`, target, clients, mode, 1, options.durationMs);
        results.rows.push(toRow('reads', name, mode ?? 'default', clients, result));
      }
    }
  }
  if (only.has('mixed')) {
    for (const mix of MIXES) {
      const result = await measure(progress, `mixed ${name} ${mix.name} ${MIX_CLIENTS} clients`, target, MIX_CLIENTS, target.mixReadMode, mix.readFraction, options.durationMs);
      results.rows.push(toRow('mixed', name, mix.name, MIX_CLIENTS, result));
    }
  }
  if (only.has('pipelined') && target.protocol === 'resp') {
    const line = progress.start(`pipelined SET ${name} (-P ${PIPELINE_DEPTH} -c ${PIPELINE_CLIENTS} -n ${options.pipelinedRequests})`);
    line.update('redis-benchmark running');
    const row = await runRedisBenchmark(name, target.port, options.pipelinedRequests, 180_000, target.serverCpu);
    results.pipelined.push(row);
    const cpu = (row.serverCpuMicrosPerRequest ?? []).map((us) => us.toFixed(1)).join(' + ');
    line.done(row.requestsPerSecond === null ? `failed: ${row.error ?? ''}` : `${formatRate(row.requestsPerSecond)} p50 ${String(row.p50Ms)} ms p99 ${String(row.p99Ms)} ms${cpu === '' ? '' : `, server CPU ${cpu} µs/req`}`);
  }
  if (only.has('sustained')) {
    const result = await measure(progress, `sustained writes ${name} ${SUSTAINED_CLIENTS} clients ${options.sustainedMs / 1000} s`, target, SUSTAINED_CLIENTS, null, 0, options.sustainedMs);
    results.rows.push(toRow('sustained', name, '', SUSTAINED_CLIENTS, result));
    const seconds = Math.floor(options.sustainedMs / 1000);
    results.sustained.push({ system: name, perSecond: Array.from({ length: seconds }, (_, i) => result.perSecond[i] ?? 0) });
  }
}
