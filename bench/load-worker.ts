// The harness's own load generator as a process of its own (started by load-process.ts, one per
// measurement), so its CPU is counted apart from the harness's and the servers', and the harness's
// own work (progress output, the next system's bookkeeping) never slows the load. It speaks the
// line protocol of bench/etcd-load/main.go: {"ready":true} once every client is connected, a line
// on stdin to start, the result as one JSON line, and it exits when stdin closes. Progress goes
// out as {"progress":OPS,"elapsedMs":MS} lines while the run lasts.

import { createInterface } from 'node:readline';
import { runClosedLoop } from './closed-loop.js';
import { openEtcdLoadClient, openRespLoadClient, type LoadClient } from './load-clients.js';
import { parseWorkerSpec, type LoadRunResult, type WorkerSpec } from './load-process.js';

function emit(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function openClients(spec: WorkerSpec): Promise<LoadClient[]> {
  if (spec.protocol === 'etcd-gateway') return Array.from({ length: spec.clients }, () => openEtcdLoadClient(spec.port, spec.readMode));
  return Promise.all(Array.from({ length: spec.clients }, () => openRespLoadClient(spec.port, spec.readMode, null, spec.write)));
}

async function main(): Promise<void> {
  const spec = parseWorkerSpec(process.argv[2] ?? '');
  const clients = await openClients(spec);
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  emit({ ready: true });
  if ((await lines.next()).done === true) throw new Error('stdin closed before the start line');
  const run = await runClosedLoop(clients, {
    durationMs: spec.durationMs, readFraction: spec.readFraction,
    onProgress: (ops, elapsedMs) => emit({ progress: ops, elapsedMs }),
  });
  const p = (q: number): number => run.histogram.percentileMs(q);
  const result: LoadRunResult = {
    ops: run.ops, errors: run.errors, seconds: run.seconds, opsPerSecond: run.opsPerSecond,
    p50Ms: p(50), p95Ms: p(95), p99Ms: p(99), perSecond: Array.from(run.perSecond, (n) => n ?? 0), firstError: run.firstError,
  };
  emit(result);
  // The harness reads this process's CPU time once the result is out, then closes stdin.
  while ((await lines.next()).done !== true);
  for (const client of clients) client.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`load-worker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
