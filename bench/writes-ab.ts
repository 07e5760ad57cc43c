// SETs at 64 clients, one request in flight each (issue 20's write target), builds side by
// side: one 3-node cluster per build, all running at once; then rounds of the harness's
// closed-loop load generator (bench/load-worker.ts, a process of its own) against each leader
// in turn, the order reversed every other round, since a shared machine's speed drifts.
// Reports per run the rate, p50 and the CPU per request of the leader and of each follower
// (utime + stime from /proc around the run), with the load average.
//
// Usage: node --import tsx bench/writes-ab.ts [--rounds 6] [--seconds 8] [--clients 64]
//   [--ports FIRST-LAST] [--profile DIR] [--node-arg FLAG]... [--json PATH]
//   LABEL=PATH/dist/src/cli/main.js ...

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AB_OPTIONS, abSettings } from './ab-arguments.js';
import { loadAverage } from './machine.js';
import { runLoadProcess, workerCommand } from './load-process.js';
import { replyText, respCall } from './resp-client.js';
import { RaftisCluster } from './systems/raftis-cluster.js';

interface System {
  readonly label: string;
  readonly cluster: RaftisCluster;
  readonly port: number;
  /** Leader first, then the followers. */
  readonly order: number[];
}

interface Run {
  readonly round: number;
  readonly label: string;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  /** µs per SET: the leader's, then each follower's. */
  readonly nodeMicros: number[];
  readonly counts: RunCounts;
  readonly load: string;
}

/** What the leader and a follower did per log entry during a run, from INFO raft (the firm measure on a busy machine). */
interface RunCounts {
  readonly commandsPerEntry: number;
  /** The leader's messages per entry, per follower (Appends, heartbeats). */
  readonly leaderMessagesPerEntry: number;
  readonly followerMessagesPerEntry: number;
  readonly followerReadiesPerEntry: number;
}

const RAFT_STATS = ['stat_entries_applied', 'stat_commands_applied', 'stat_messages_sent', 'stat_readies'] as const;
type RaftStats = Record<(typeof RAFT_STATS)[number], number>;

async function raftStats(port: number): Promise<RaftStats> {
  const text = replyText(await respCall(port, ['INFO', 'raft'])) ?? '';
  const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return Object.fromEntries(RAFT_STATS.map((name) => [name, field(name)])) as RaftStats;
}

function countsBetween(leader: [RaftStats, RaftStats], follower: [RaftStats, RaftStats], followers: number): RunCounts {
  const delta = (pair: [RaftStats, RaftStats], name: (typeof RAFT_STATS)[number]): number => pair[1][name] - pair[0][name];
  const entries = delta(leader, 'stat_entries_applied');
  return {
    commandsPerEntry: delta(leader, 'stat_commands_applied') / entries,
    leaderMessagesPerEntry: delta(leader, 'stat_messages_sent') / entries / followers,
    followerMessagesPerEntry: delta(follower, 'stat_messages_sent') / entries,
    followerReadiesPerEntry: delta(follower, 'stat_readies') / entries,
  };
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ...AB_OPTIONS,
  },
});

const { rounds, durationMs, clients, builds } = abSettings(values, positionals);

async function startRaftis(label: string, main: string): Promise<System> {
  const cluster = await RaftisCluster.start({ nodes: 3, profileDir: values.profile ?? null, main, nodeArgs: values['node-arg'] ?? [] });
  const leader = await cluster.waitForLeader();
  const leaderAt = cluster.nodes.indexOf(leader);
  const order = [leaderAt, ...cluster.nodes.map((_, i) => i).filter((i) => i !== leaderAt)];
  return { label, cluster, port: leader.port, order };
}

async function measure(system: System, round: number): Promise<Run> {
  const load = loadAverage();
  const spec = { protocol: 'resp', port: system.port, clients, durationMs, readFraction: 0, readMode: null, write: 'SET' } as const;
  const followerPort = system.cluster.nodes[system.order[1] ?? 0]?.port ?? system.port;
  const before = [await raftStats(system.port), await raftStats(followerPort)] as const;
  const run = await runLoadProcess(workerCommand(spec), durationMs, () => system.order.map((i) => system.cluster.cpuSecondsByNode()[i] ?? null));
  if (run.errors > 0) throw new Error(`${system.label}: ${run.errors} errors, first ${run.firstError ?? ''}`);
  const counts = countsBetween([before[0], await raftStats(system.port)], [before[1], await raftStats(followerPort)], system.order.length - 1);
  return { round, label: system.label, opsPerSecond: run.opsPerSecond, p50Ms: run.p50Ms, nodeMicros: run.serverCpuMicrosPerRequest, counts, load };
}

const countsText = (c: RunCounts): string =>
  `per entry: ${c.commandsPerEntry.toFixed(1)} SETs, leader ${c.leaderMessagesPerEntry.toFixed(2)} messages per follower, follower ${c.followerMessagesPerEntry.toFixed(2)} messages, ${c.followerReadiesPerEntry.toFixed(2)} Readies`;
const mean = (numbers: readonly number[]): number => numbers.reduce((a, b) => a + b, 0) / numbers.length;
const meanCounts = (all: readonly RunCounts[]): RunCounts => ({
  commandsPerEntry: mean(all.map((c) => c.commandsPerEntry)),
  leaderMessagesPerEntry: mean(all.map((c) => c.leaderMessagesPerEntry)),
  followerMessagesPerEntry: mean(all.map((c) => c.followerMessagesPerEntry)),
  followerReadiesPerEntry: mean(all.map((c) => c.followerReadiesPerEntry)),
});
const sum = (numbers: readonly number[]): number => numbers.reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  const systems: System[] = [];
  try {
    for (const build of builds) systems.push(await startRaftis(build.label, build.main));
    process.stdout.write(`load ${loadAverage()}; SET, ${clients} clients, ${durationMs / 1000} s per run\n`);
    for (const system of systems) await measure(system, 0); // warm-up, not recorded
    const runs: Run[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const system of round % 2 === 1 ? systems : [...systems].reverse()) {
        const run = await measure(system, round);
        runs.push(run);
        process.stdout.write(`round ${round} ${run.label.padEnd(12)} ${Math.round(run.opsPerSecond).toString().padStart(7)}/s p50 ${run.p50Ms.toFixed(3)} ms ` +
          `µs/SET leader ${run.nodeMicros[0]?.toFixed(1) ?? '–'}, followers ${run.nodeMicros.slice(1).map((us) => us.toFixed(1)).join(' / ')}, summed ${sum(run.nodeMicros).toFixed(1)}; ${countsText(run.counts)} (load ${run.load})\n`);
      }
    }
    process.stdout.write(`load at end ${loadAverage()}\nmeans over ${rounds} rounds:\n`);
    for (const system of systems) {
      const mine = runs.filter((r) => r.label === system.label);
      const follower = mine.flatMap((r) => r.nodeMicros.slice(1));
      process.stdout.write(`${system.label.padEnd(12)} ${Math.round(mean(mine.map((r) => r.opsPerSecond)))}/s, p50 ${mean(mine.map((r) => r.p50Ms)).toFixed(3)} ms, ` +
        `µs/SET leader ${mean(mine.map((r) => r.nodeMicros[0] ?? Number.NaN)).toFixed(1)}, each follower ${mean(follower).toFixed(1)}, summed ${mean(mine.map((r) => sum(r.nodeMicros))).toFixed(1)}; ` +
        `${countsText(meanCounts(mine.map((r) => r.counts)))}\n`);
    }
    if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ clients, durationMs, runs }, null, 2));
  } finally {
    for (const system of systems) await system.cluster.stop();
  }
}

await main();
