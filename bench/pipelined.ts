// Pipelined SET with the stock redis-benchmark (`-t set -P 16 -c 50`, 256-byte values,
// random keys among 100k), parsed from its --csv output.

import { execFile } from 'node:child_process';
import type { PipelinedRow, SystemName } from './results.js';
import { USER_HZ } from './systems/process-group.js';

export const PIPELINE_DEPTH = 16;
export const PIPELINE_CLIENTS = 50;

export function redisBenchmarkArgs(port: number, requests: number): string[] {
  return ['-h', '127.0.0.1', '-p', String(port), '-t', 'set', '-P', String(PIPELINE_DEPTH), '-c', String(PIPELINE_CLIENTS),
    '-n', String(requests), '-d', '256', '-r', '100000', '--csv'];
}

/** What one redis-benchmark process printed, and the CPU seconds it used (null when not read). */
export interface RedisBenchmarkOutput {
  readonly error: Error | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly cpuSeconds: number | null;
}

/**
 * Runs redis-benchmark with `args` under a shell that, once it has waited for it, prints its own
 * /proc/PID/stat: its children's CPU times there are redis-benchmark's, the load generator's share.
 */
export function execRedisBenchmark(args: readonly string[], timeoutMs: number): Promise<RedisBenchmarkOutput> {
  return new Promise((resolveRun) => {
    const script = 'redis-benchmark "$@"; status=$?; cat /proc/$$/stat >&2; exit $status';
    execFile('sh', ['-c', script, 'sh', ...args], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      const statLine = stderr.split('\n').find((l) => STAT_LINE.test(l));
      resolveRun({ error, stdout, stderr: stderr.split('\n').filter((l) => l !== statLine).join('\n'), cpuSeconds: statLine === undefined ? null : childrenCpuSeconds(statLine) });
    });
  });
}

/**
 * Runs the pipelined SET. `serverCpu` reads each server process's CPU seconds (null: not
 * measured); the difference around the run, over the requests, is reported per process, and so
 * is redis-benchmark's own CPU.
 */
export async function runRedisBenchmark(system: SystemName, port: number, requests: number, timeoutMs: number, serverCpu: () => readonly (number | null)[] = () => []): Promise<PipelinedRow> {
  const before = serverCpu();
  const { error, stdout, stderr, cpuSeconds } = await execRedisBenchmark(redisBenchmarkArgs(port, requests), timeoutMs);
  const parsed = parseRedisBenchmarkCsv(stdout);
  if (parsed === null) {
    const why = error !== null ? `${error.message} ${stderr}`.trim() : `no SET row in output: ${stdout.slice(0, 200)}`;
    return { system, requestsPerSecond: null, p50Ms: null, p99Ms: null, error: why.slice(0, 300) };
  }
  const after = serverCpu();
  const perRequest = (seconds: number): number => (seconds * 1e6) / requests;
  const serverCpuMicrosPerRequest = before.flatMap((start, i) => {
    const end = after[i];
    return start === null || end === null || end === undefined ? [] : [perRequest(end - start)];
  });
  return { system, ...parsed, error: null, serverCpuMicrosPerRequest, loadGeneratorCpuMicrosPerRequest: cpuSeconds === null ? null : perRequest(cpuSeconds) };
}

const STAT_LINE = /^\d+ \(/;

/** cutime + cstime (fields 16 and 17) of a /proc/PID/stat line: the CPU seconds of the children it waited for. */
function childrenCpuSeconds(line: string): number | null {
  const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]);
  return Number.isFinite(ticks) ? ticks / USER_HZ : null;
}

/** One test's row of `redis-benchmark --csv`. */
export interface RedisBenchmarkRow {
  readonly test: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** Reads the SET row of `redis-benchmark --csv`: a header line of column names, then rows. */
export function parseRedisBenchmarkCsv(text: string): { requestsPerSecond: number; p50Ms: number | null; p99Ms: number | null } | null {
  const row = parseRedisBenchmarkRows(text).find((r) => r.test === 'SET');
  return row === undefined ? null : { requestsPerSecond: row.requestsPerSecond, p50Ms: row.p50Ms, p99Ms: row.p99Ms };
}

/** Every test row of `redis-benchmark --csv` with a numeric rate, in output order. */
export function parseRedisBenchmarkRows(text: string): RedisBenchmarkRow[] {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const cells = (line: string): string[] => line.split(',').map((c) => c.replace(/^"|"$/g, ''));
  const header = lines.find((l) => l.startsWith('"test"'));
  const names = header === undefined ? ['test', 'rps'] : cells(header);
  const rows: RedisBenchmarkRow[] = [];
  for (const line of lines) {
    if (line === header) continue;
    const values = cells(line);
    const column = (name: string): number | null => {
      const value = values[names.indexOf(name)];
      return value === undefined || value === '' ? null : Number(value);
    };
    const rps = column('rps');
    if (values[0] === undefined || rps === null || !Number.isFinite(rps)) continue;
    rows.push({ test: values[0], requestsPerSecond: rps, p50Ms: column('p50_latency_ms'), p99Ms: column('p99_latency_ms') });
  }
  return rows;
}
