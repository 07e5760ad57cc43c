// Pipelined SET with the stock redis-benchmark (`-t set -P 16 -c 50`, 256-byte values,
// random keys among 100k), parsed from its --csv output.

import { execFile } from 'node:child_process';
import type { PipelinedRow, SystemName } from './results.js';

export const PIPELINE_DEPTH = 16;
export const PIPELINE_CLIENTS = 50;

export function redisBenchmarkArgs(port: number, requests: number): string[] {
  return ['-h', '127.0.0.1', '-p', String(port), '-t', 'set', '-P', String(PIPELINE_DEPTH), '-c', String(PIPELINE_CLIENTS),
    '-n', String(requests), '-d', '256', '-r', '100000', '--csv'];
}

export function runRedisBenchmark(system: SystemName, port: number, requests: number, timeoutMs: number): Promise<PipelinedRow> {
  return new Promise((resolveRun) => {
    execFile('redis-benchmark', redisBenchmarkArgs(port, requests), { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      const parsed = parseRedisBenchmarkCsv(stdout);
      if (parsed === null) {
        const why = error !== null ? `${error.message} ${stderr}`.trim() : `no SET row in output: ${stdout.slice(0, 200)}`;
        resolveRun({ system, requestsPerSecond: null, p50Ms: null, p99Ms: null, error: why.slice(0, 300) });
        return;
      }
      resolveRun({ system, ...parsed, error: null });
    });
  });
}

/** Reads the SET row of `redis-benchmark --csv`: a header line of column names, then rows. */
export function parseRedisBenchmarkCsv(text: string): { requestsPerSecond: number; p50Ms: number | null; p99Ms: number | null } | null {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const cells = (line: string): string[] => line.split(',').map((c) => c.replace(/^"|"$/g, ''));
  const header = lines.find((l) => l.startsWith('"test"'));
  const row = lines.find((l) => l.startsWith('"SET"'));
  if (row === undefined) return null;
  const values = cells(row);
  const names = header === undefined ? ['test', 'rps'] : cells(header);
  const column = (name: string): number | null => {
    const index = names.indexOf(name);
    const value = index < 0 ? undefined : values[index];
    return value === undefined ? null : Number(value);
  };
  const rps = column('rps');
  return rps === null || !Number.isFinite(rps) ? null : { requestsPerSecond: rps, p50Ms: column('p50_latency_ms'), p99Ms: column('p99_latency_ms') };
}
