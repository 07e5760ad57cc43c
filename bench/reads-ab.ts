// GETs at 64 clients, builds side by side (issue 20's read targets): one 3-node cluster per
// build and one redis-server (no persistence), all running at once, 100k keys × 256 B loaded
// into each; then rounds of the harness's closed-loop load generator (bench/load-worker.ts, a
// process of its own) against each leader and Redis in turn, the order reversed every other
// round, since a shared machine's speed drifts. Reports per run the rate, p50 and the CPU per
// request of the leader (utime + stime from /proc around the run), with the load average.
//
// Usage: node --import tsx bench/reads-ab.ts [--mode lease|linearizable] [--rounds 6]
//   [--seconds 8] [--clients 64] [--ports FIRST-LAST] [--profile DIR] [--node-arg FLAG]... [--json PATH]
//   LABEL=PATH/dist/src/cli/main.js ...

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KEY_COUNT, benchKey, benchValue, type ReadMode } from './load-clients.js';
import { AB_OPTIONS, abSettings } from './ab-arguments.js';
import { loadAverage } from './machine.js';
import { runLoadProcess, workerCommand, type LoadRun } from './load-process.js';
import { preloadResp } from './preload.js';
import { RaftisCluster } from './systems/raftis-cluster.js';
import { RedisSingle } from './systems/redis-single.js';
import { cpuSeconds } from './systems/process-group.js';

interface System {
  readonly label: string;
  readonly port: number;
  /** CPU seconds of the process serving the reads (the leader, or redis-server). */
  readonly cpu: () => number | null;
  readonly pid: number | undefined;
  readonly stop: () => Promise<void>;
}

interface Run {
  readonly round: number;
  readonly label: string;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverMicrosPerGet: number | null;
  readonly load: string;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    mode: { type: 'string', default: 'lease' },
    ...AB_OPTIONS,
  },
});

const mode = values.mode as ReadMode;
if (mode !== 'lease' && mode !== 'linearizable' && mode !== 'stale') throw new Error(`invalid --mode ${values.mode}`);
const { rounds, durationMs, clients, builds } = abSettings(values, positionals);

async function startRaftis(label: string, main: string): Promise<System> {
  const cluster = await RaftisCluster.start({ nodes: 3, profileDir: values.profile ?? null, main, nodeArgs: values['node-arg'] ?? [], serverArgs: ['--read-consistency', mode] });
  const leader = await cluster.waitForLeader();
  const pid = leader.process.child?.pid;
  return { label, port: leader.port, pid, cpu: () => (pid === undefined ? null : cpuSeconds(pid)), stop: () => cluster.stop() };
}

async function startRedis(): Promise<System> {
  const redis = await RedisSingle.start();
  return { label: 'redis', port: redis.port, pid: redis.process.child?.pid, cpu: () => redis.cpuSeconds(), stop: () => redis.stop() };
}

async function measure(system: System, round: number): Promise<Run> {
  const load = loadAverage();
  const spec = { protocol: 'resp', port: system.port, clients, durationMs, readFraction: 1, readMode: system.label === 'redis' ? null : mode, write: 'SET' } as const;
  const run: LoadRun = await runLoadProcess(workerCommand(spec), durationMs, () => [system.cpu()]);
  if (run.errors > 0) throw new Error(`${system.label}: ${run.errors} errors, first ${run.firstError ?? ''}`);
  return { round, label: system.label, opsPerSecond: run.opsPerSecond, p50Ms: run.p50Ms, p99Ms: run.p99Ms, serverMicrosPerGet: run.serverCpuMicrosPerRequest[0] ?? null, load };
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const systems: System[] = [];
  try {
    for (const build of builds) systems.push(await startRaftis(build.label, build.main));
    systems.push(await startRedis());
    const value = benchValue();
    for (const system of systems) await preloadResp(system.port, KEY_COUNT, benchKey, value);
    process.stdout.write(`load ${loadAverage()}; ${mode} GET, ${clients} clients, ${durationMs / 1000} s per run\n`);
    for (const system of systems) await measure(system, 0); // warm-up, not recorded
    process.stdout.write(`serving: ${systems.map((s) => `${s.label} pid ${s.pid ?? '?'}`).join(', ')}\n`);
    const runs: Run[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const system of round % 2 === 1 ? systems : [...systems].reverse()) {
        const run = await measure(system, round);
        runs.push(run);
        process.stdout.write(`round ${round} ${run.label.padEnd(12)} ${Math.round(run.opsPerSecond).toString().padStart(7)}/s p50 ${run.p50Ms.toFixed(3)} ms p99 ${run.p99Ms.toFixed(3)} ms server ${run.serverMicrosPerGet?.toFixed(2) ?? '–'} µs/GET (load ${run.load})\n`);
      }
    }
    process.stdout.write(`load at end ${loadAverage()}\nmedians over ${rounds} rounds:\n`);
    const redisRates = runs.filter((r) => r.label === 'redis').map((r) => r.opsPerSecond);
    for (const system of systems) {
      const mine = runs.filter((r) => r.label === system.label);
      const ratios = mine.map((r) => r.opsPerSecond / redisRates[r.round - 1]!);
      process.stdout.write(`${system.label.padEnd(12)} ${Math.round(median(mine.map((r) => r.opsPerSecond)))}/s, p50 ${median(mine.map((r) => r.p50Ms)).toFixed(3)} ms, ` +
        `server ${median(mine.map((r) => r.serverMicrosPerGet ?? Number.NaN)).toFixed(2)} µs/GET, vs redis in its round ${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})\n`);
    }
    if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ mode, clients, durationMs, runs }, null, 2));
  } finally {
    for (const system of systems) await system.stop();
  }
}

await main();
