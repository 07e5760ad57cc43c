// Runs one closed-loop measurement in a load-generator process of its own (bench/load-worker.ts for
// RESP and etcd's JSON gateway, bench/etcd-load/main.go for etcd's gRPC API) and reads the CPU time
// (utime + stime, /proc/PID/stat) of that process and of every server process around the run
// itself: from the moment every client is connected to the result. Both generators speak one line
// protocol on stdio (see load-worker.ts), so both are measured the same way.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { ReadMode, RespWrite } from './load-clients.js';
import { cpuSeconds, trackChild } from './systems/process-group.js';

/** Beyond its run's duration, a load process gets this long to connect and to report. */
const LOAD_PROCESS_GRACE_MS = 90_000;
/** Characters of a failed load process's stderr kept for the error. */
const STDERR_KEPT_CHARS = 2000;
const WORKER_PATH = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

/** One measurement of the harness's own load generator (load-worker.ts). */
export interface WorkerSpec {
  readonly protocol: 'resp' | 'etcd-gateway';
  readonly port: number;
  readonly clients: number;
  readonly durationMs: number;
  /** Share of requests that are reads, 0…1. */
  readonly readFraction: number;
  readonly readMode: ReadMode | null;
  /** What a RESP write is (ignored by the etcd gateway). */
  readonly write: RespWrite;
}

/** What a load process reports for its run. */
export interface LoadRunResult {
  readonly ops: number;
  readonly errors: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  /** Successful requests completed in each whole second of the run. */
  readonly perSecond: number[];
  readonly firstError: string | null;
}

/** A run with the CPU time spent on it, per successful request, in µs. */
export interface LoadRun extends LoadRunResult {
  /** Each server process's, in the order the system lists them (empty when not measured). */
  readonly serverCpuMicrosPerRequest: number[];
  /** The load-generator process's; null when not measured. */
  readonly loadGeneratorCpuMicrosPerRequest: number | null;
  /** The load generator's CPU time over the run's wall time: the cores it kept busy. */
  readonly loadGeneratorCores: number | null;
}

export interface LoadCommand {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

export function workerCommand(spec: WorkerSpec): LoadCommand {
  return { name: 'load-worker', command: process.execPath, args: ['--import', 'tsx', WORKER_PATH, JSON.stringify(spec)] };
}

export function parseWorkerSpec(text: string): WorkerSpec {
  const spec = JSON.parse(text) as Partial<WorkerSpec>;
  const positive = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n > 0;
  if ((spec.protocol !== 'resp' && spec.protocol !== 'etcd-gateway') || !positive(spec.port) || !positive(spec.clients) || !positive(spec.durationMs)
    || typeof spec.readFraction !== 'number' || spec.readFraction < 0 || spec.readFraction > 1) {
    throw new Error(`invalid load-worker spec: ${text}`);
  }
  return spec as WorkerSpec;
}

/** A reported number, or NaN for a missing one (the Go generator sends -1, JSON has no NaN). */
function measured(value: unknown): number {
  return typeof value === 'number' && value >= 0 ? value : Number.NaN;
}

export function parseLoadRunResult(line: Record<string, unknown>): LoadRunResult {
  const perSecond = Array.isArray(line.perSecond) ? line.perSecond.map((n) => (typeof n === 'number' ? n : 0)) : [];
  return {
    ops: measured(line.ops), errors: measured(line.errors), seconds: measured(line.seconds), opsPerSecond: measured(line.opsPerSecond),
    p50Ms: measured(line.p50Ms), p95Ms: measured(line.p95Ms), p99Ms: measured(line.p99Ms), perSecond,
    firstError: typeof line.firstError === 'string' ? line.firstError : null,
  };
}

interface CpuMark { readonly servers: readonly (number | null)[]; readonly generator: number | null; readonly at: number }

/** CPU per request from two marks: each server's, the generator's, and the generator's cores. */
function cpuBetween(before: CpuMark, after: CpuMark, requests: number): Pick<LoadRun, 'serverCpuMicrosPerRequest' | 'loadGeneratorCpuMicrosPerRequest' | 'loadGeneratorCores'> {
  const perRequest = (start: number | null | undefined, end: number | null | undefined): number | null =>
    start === null || start === undefined || end === null || end === undefined || !(requests > 0) ? null : ((end - start) * 1e6) / requests;
  const serverCpuMicrosPerRequest = before.servers.flatMap((start, i) => {
    const us = perRequest(start, after.servers[i]);
    return us === null ? [] : [us];
  });
  const wallSeconds = (after.at - before.at) / 1000;
  const generatorSeconds = before.generator === null || after.generator === null ? null : after.generator - before.generator;
  return {
    serverCpuMicrosPerRequest,
    loadGeneratorCpuMicrosPerRequest: perRequest(before.generator, after.generator),
    loadGeneratorCores: generatorSeconds === null || !(wallSeconds > 0) ? null : generatorSeconds / wallSeconds,
  };
}

/**
 * Starts `load`, waits until its clients are connected, marks the CPU time of the servers
 * (`serverCpu`) and of the load process, starts the run, and marks them again at the result.
 * Rejects when the process fails or does not report within the run's duration and a grace period.
 */
export function runLoadProcess(load: LoadCommand, durationMs: number, serverCpu: () => readonly (number | null)[], onProgress?: (ops: number, elapsedMs: number) => void): Promise<LoadRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(load.command, [...load.args], { stdio: ['pipe', 'pipe', 'pipe'] });
    trackChild(child);
    const mark = (): CpuMark => ({ servers: serverCpu(), generator: child.pid === undefined ? null : cpuSeconds(child.pid), at: performance.now() });
    let stderr = '';
    let before: CpuMark | null = null;
    let run: LoadRun | null = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), durationMs + LOAD_PROCESS_GRACE_MS);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-STDERR_KEPT_CHARS); });
    child.stdin.on('error', () => { /* the process died: its exit reports it */ });
    createInterface({ input: child.stdout }).on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        stderr = `${stderr}\nnot JSON on stdout: ${text.slice(0, 200)}`.slice(-STDERR_KEPT_CHARS);
        return;
      }
      if (line.ready === true) {
        before = mark();
        child.stdin.write('go\n');
      } else if (typeof line.progress === 'number') {
        onProgress?.(line.progress, measured(line.elapsedMs));
      } else if (before !== null && run === null) {
        const result = parseLoadRunResult(line);
        run = { ...result, ...cpuBetween(before, mark(), result.ops) };
        child.stdin.end();
      }
    });
    child.on('error', (error) => reject(new Error(`${load.name}: ${error.message}`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (run !== null) resolveRun(run);
      else reject(new Error(`${load.name} ${signal === null ? `exited with status ${String(code)}` : `was killed (${signal})`} before reporting a result: ${stderr.trim()}`));
    });
  });
}
