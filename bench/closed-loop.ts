// The closed-loop runner: each client keeps exactly one request in flight for a fixed
// duration, issuing the next as soon as the last completes. Latency of every request goes
// into one histogram per run; completions are also counted per second for the sustained
// load chart. A failed request counts as an error (and its latency is not recorded).

import { LatencyHistogram } from './histogram.js';
import type { LoadClient } from './load-clients.js';

export interface LoadResult {
  readonly ops: number;
  readonly errors: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
  readonly histogram: LatencyHistogram;
  /** Successful requests completed in each whole second of the run. */
  readonly perSecond: number[];
  readonly firstError: string | null;
}

export interface ClosedLoopPlan {
  readonly durationMs: number;
  /** Fraction of requests that are reads, 0…1. */
  readonly readFraction: number;
  /** Called about every 500 ms with the completed request count so far. */
  readonly onProgress?: (ops: number, elapsedMs: number) => void;
  /** Ends the run early once it returns true (checked before each request). */
  readonly shouldStop?: () => boolean;
}

/** A failing client waits this long before its next request, so errors cannot spin the CPU. */
const ERROR_BACKOFF_MS = 10;
const PROGRESS_INTERVAL_MS = 500;

export function runClosedLoop(clients: readonly LoadClient[], plan: ClosedLoopPlan): Promise<LoadResult> {
  if (clients.length === 0) throw new Error('runClosedLoop needs at least one client');
  return new Promise((resolveRun) => {
    const histogram = new LatencyHistogram();
    const perSecond: number[] = [];
    const start = performance.now();
    const deadline = start + plan.durationMs;
    let ops = 0;
    let errors = 0;
    let firstError: string | null = null;
    let running = clients.length;
    const progress = setInterval(() => plan.onProgress?.(ops, performance.now() - start), PROGRESS_INTERVAL_MS);

    const finishClient = (): void => {
      running--;
      if (running > 0) return;
      clearInterval(progress);
      const seconds = (performance.now() - start) / 1000;
      resolveRun({ ops, errors, seconds, opsPerSecond: ops / seconds, histogram, perSecond, firstError });
    };

    const loop = (client: LoadClient): void => {
      const sent = performance.now();
      if (sent >= deadline || plan.shouldStop?.() === true) {
        finishClient();
        return;
      }
      client.issue(Math.random() < plan.readFraction, (failure) => {
        const now = performance.now();
        if (failure === null) {
          ops++;
          histogram.recordUs((now - sent) * 1000);
          const second = Math.floor((now - start) / 1000);
          perSecond[second] = (perSecond[second] ?? 0) + 1;
          loop(client);
        } else {
          errors++;
          firstError ??= failure;
          setTimeout(() => loop(client), ERROR_BACKOFF_MS);
        }
      });
    };
    for (const client of clients) loop(client);
  });
}
