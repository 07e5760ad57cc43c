// The closed-loop workloads against one running system: writes at 1/16/64/256 clients (and on
// RESP systems EVALSHA and MULTI/SET/EXEC at 64), reads per consistency level at 1 and 64
// clients, 90/10 and 50/50 mixes at 64 clients, pipelined SET (redis-benchmark) and a sustained
// write load with throughput per second. Each closed-loop measurement runs in a load-generator
// process of its own (load-process.ts), with its CPU time and the servers' read around the run.

import type { BenchOptions } from './bench-options.js';
import { KEY_COUNT, benchKey, benchValue, type ReadMode, type RespWrite } from './load-clients.js';
import { runLoadProcess, type LoadCommand, type LoadRun } from './load-process.js';
import { PIPELINE_CLIENTS, PIPELINE_DEPTH, runRedisBenchmark } from './pipelined.js';
import { preloadEtcd, preloadResp } from './preload.js';
import type { Progress } from './progress.js';
import type { BenchResults, LatencyRow, SystemName } from './results.js';

export const WRITE_CLIENTS = [1, 16, 64, 256] as const;
export const READ_CLIENTS = [1, 64] as const;
export const MIX_CLIENTS = 64;
export const SUSTAINED_CLIENTS = 64;
export const MIXES = [{ name: '90/10', readFraction: 0.9 }, { name: '50/50', readFraction: 0.5 }] as const;
/** EVALSHA and MULTI/SET/EXEC beside SET (issue 20: each within 1.5× of SET's throughput), at these clients. */
export const WRITE_VARIANT_CLIENTS = 64;
export const WRITE_VARIANTS: readonly { readonly write: RespWrite; readonly variant: string }[] = [
  { write: 'EVALSHA', variant: 'EVALSHA' }, { write: 'MULTI', variant: 'MULTI/SET/EXEC' },
];

/** Writes through etcd's JSON gateway at these clients, beside the gRPC rows: how much the client alone changes etcd's figures. */
export const ETCD_GATEWAY_CLIENTS = [1, 64] as const;

/** One closed-loop measurement: clients, duration, the read share and mode, and what a write is. */
export interface LoadPlan {
  readonly clients: number;
  readonly durationMs: number;
  readonly readFraction: number;
  readonly readMode: ReadMode | null;
  readonly write: RespWrite;
}

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
  /** Each server process's CPU seconds so far, in a fixed order. */
  readonly serverCpu: () => readonly (number | null)[];
  /** The load-generator process of one measurement. */
  readonly load: (plan: LoadPlan) => LoadCommand;
  /** Another client measured beside `load` for writes at these clients, as variant `name` (etcd's JSON gateway). */
  readonly referenceLoad?: { readonly name: string; readonly clients: readonly number[]; readonly load: (plan: LoadPlan) => LoadCommand };
}

function formatRate(opsPerSecond: number): string {
  return opsPerSecond >= 10_000 ? `${(opsPerSecond / 1000).toFixed(1)}k/s` : `${opsPerSecond.toFixed(0)}/s`;
}

export function rowSummary(row: LatencyRow): string {
  const errors = row.errors > 0 ? `, ${row.errors} errors (${row.firstError ?? ''})` : '';
  return `${formatRate(row.opsPerSecond)} p50 ${row.p50Ms.toFixed(2)} ms p99 ${row.p99Ms.toFixed(2)} ms${errors}`;
}

/** "servers 30.1 + 12.0 + 11.9 µs/req, load generator 9.8 µs/req (0.41 cores)", or '' when not measured. */
export function cpuSummary(run: Pick<LoadRun, 'serverCpuMicrosPerRequest' | 'loadGeneratorCpuMicrosPerRequest' | 'loadGeneratorCores'>): string {
  const servers = run.serverCpuMicrosPerRequest.map((us) => us.toFixed(1)).join(' + ');
  const cores = run.loadGeneratorCores === null ? '' : ` (${run.loadGeneratorCores.toFixed(2)} cores)`;
  const generator = run.loadGeneratorCpuMicrosPerRequest === null ? '' : `load generator ${run.loadGeneratorCpuMicrosPerRequest.toFixed(1)} µs/req${cores}`;
  return [servers === '' ? '' : `servers ${servers} µs/req`, generator].filter((s) => s !== '').join(', ');
}

const DEFAULT_PLAN = { readFraction: 0, readMode: null, write: 'SET' } as const;

async function measure(progress: Progress, label: string, target: Target, plan: LoadPlan, load = target.load): Promise<LoadRun> {
  const line = progress.start(label);
  line.update('connecting');
  const run = await runLoadProcess(load(plan), plan.durationMs, target.serverCpu,
    (ops, elapsedMs) => line.update(`${(elapsedMs / 1000).toFixed(0)}/${(plan.durationMs / 1000).toFixed(0)} s, ${formatRate(ops / (elapsedMs / 1000))}`));
  const errors = run.errors > 0 ? `, ${run.errors} errors: ${run.firstError ?? ''}` : '';
  line.done(`${formatRate(run.opsPerSecond)} p50 ${run.p50Ms.toFixed(2)} ms p95 ${run.p95Ms.toFixed(2)} ms p99 ${run.p99Ms.toFixed(2)} ms; CPU ${cpuSummary(run)}${errors}`);
  return run;
}

function toRow(workload: LatencyRow['workload'], system: SystemName, variant: string, clients: number, run: LoadRun): LatencyRow {
  return {
    workload, system, variant, clients, opsPerSecond: run.opsPerSecond,
    p50Ms: run.p50Ms, p95Ms: run.p95Ms, p99Ms: run.p99Ms, errors: run.errors, firstError: run.firstError,
    serverCpuMicrosPerRequest: run.serverCpuMicrosPerRequest, loadGeneratorCpuMicrosPerRequest: run.loadGeneratorCpuMicrosPerRequest, loadGeneratorCores: run.loadGeneratorCores,
  };
}

async function measureWrites(target: Target, options: BenchOptions, progress: Progress, results: BenchResults): Promise<void> {
  const name = target.system;
  for (const clients of WRITE_CLIENTS) {
    const run = await measure(progress, `writes ${name} ${clients} clients`, target, { ...DEFAULT_PLAN, clients, durationMs: options.durationMs });
    results.rows.push(toRow('writes', name, '', clients, run));
  }
  if (target.protocol === 'resp') {
    for (const { write, variant } of WRITE_VARIANTS) {
      // The script VM and the transaction path compile on their first requests, as the SET path did in the system's warm-up.
      await measure(progress, `warm-up ${name} ${variant} (${WRITE_VARIANT_CLIENTS} clients, not recorded)`, target, { ...DEFAULT_PLAN, write, clients: WRITE_VARIANT_CLIENTS, durationMs: options.warmupMs });
      const run = await measure(progress, `writes ${name} ${variant} ${WRITE_VARIANT_CLIENTS} clients`, target, { ...DEFAULT_PLAN, write, clients: WRITE_VARIANT_CLIENTS, durationMs: options.durationMs });
      results.rows.push(toRow('writes', name, variant, WRITE_VARIANT_CLIENTS, run));
    }
  }
  if (target.referenceLoad === undefined) return;
  const { name: client, clients: referenceClients, load } = target.referenceLoad;
  for (const clients of referenceClients) {
    const run = await measure(progress, `writes ${name} ${clients} clients through ${client}`, target, { ...DEFAULT_PLAN, clients, durationMs: options.durationMs }, load);
    results.rows.push(toRow('writes', name, client, clients, run));
  }
}

/** Runs every selected closed-loop workload against `target`, appending to `results`. */
export async function runThroughputWorkloads(target: Target, options: BenchOptions, progress: Progress, results: BenchResults): Promise<void> {
  const name = target.system;
  const only = options.only;
  // Cold servers are several times slower for their first seconds (V8 compiles the hot
  // path, WAL segments get preallocated): warm each system up before recording.
  await measure(progress, `warm-up ${name} (writes, ${SUSTAINED_CLIENTS} clients, not recorded)`, target, { ...DEFAULT_PLAN, clients: SUSTAINED_CLIENTS, durationMs: options.warmupMs });
  if (only.has('writes')) await measureWrites(target, options, progress, results);
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
        const run = await measure(progress, `reads ${name} ${mode ?? 'GET'} ${clients} clients`, target, { ...DEFAULT_PLAN, clients, durationMs: options.durationMs, readFraction: 1, readMode: mode });
        results.rows.push(toRow('reads', name, mode ?? 'default', clients, run));
      }
    }
  }
  if (only.has('mixed')) {
    for (const mix of MIXES) {
      const run = await measure(progress, `mixed ${name} ${mix.name} ${MIX_CLIENTS} clients`, target, { ...DEFAULT_PLAN, clients: MIX_CLIENTS, durationMs: options.durationMs, readFraction: mix.readFraction, readMode: target.mixReadMode });
      results.rows.push(toRow('mixed', name, mix.name, MIX_CLIENTS, run));
    }
  }
  if (only.has('pipelined') && target.protocol === 'resp') {
    const line = progress.start(`pipelined SET ${name} (-P ${PIPELINE_DEPTH} -c ${PIPELINE_CLIENTS} -n ${options.pipelinedRequests})`);
    line.update('redis-benchmark running');
    const row = await runRedisBenchmark(name, target.port, options.pipelinedRequests, 180_000, target.serverCpu);
    results.pipelined.push(row);
    const cpu = cpuSummary({ serverCpuMicrosPerRequest: [...row.serverCpuMicrosPerRequest ?? []], loadGeneratorCpuMicrosPerRequest: row.loadGeneratorCpuMicrosPerRequest ?? null, loadGeneratorCores: null });
    line.done(row.requestsPerSecond === null ? `failed: ${row.error ?? ''}` : `${formatRate(row.requestsPerSecond)} p50 ${String(row.p50Ms)} ms p99 ${String(row.p99Ms)} ms${cpu === '' ? '' : `; CPU ${cpu}`}`);
  }
  if (only.has('sustained')) {
    const run = await measure(progress, `sustained writes ${name} ${SUSTAINED_CLIENTS} clients ${options.sustainedMs / 1000} s`, target, { ...DEFAULT_PLAN, clients: SUSTAINED_CLIENTS, durationMs: options.sustainedMs });
    results.rows.push(toRow('sustained', name, '', SUSTAINED_CLIENTS, run));
    const seconds = Math.floor(options.sustainedMs / 1000);
    results.sustained.push({ system: name, perSecond: Array.from({ length: seconds }, (_, i) => run.perSecond[i] ?? 0) });
  }
}
