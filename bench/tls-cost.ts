// The cost of TLS on SET and GET throughput, in one run (`node --import tsx bench/tls-cost.ts`,
// after `npm run build`): a 3-node raftis cluster serving clients on a plain port and a TLS
// port side by side (client certificates required, tls-auth-clients yes), and a second
// cluster whose peers speak mutual TLS. Each workload (SET or GET, 1 or 64 closed-loop
// clients on the leader, as bench/throughput.ts drives them) runs on plain and TLS
// connections in alternation, ROUNDS times each, so slow drift of the shared machine hits
// both alike. Prints a markdown table; docs/benchmarks.md keeps it in its analysis section.
// Options: --seconds N per measurement (default 8), --rounds N (default 2).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { makeDevCerts, type DevCertFiles } from '../src/cli/dev-certs.js';
import { runClosedLoop, type LoadResult } from './closed-loop.js';
import { openRespLoadClient, type LoadClient } from './load-clients.js';
import { loadAverage, machineInfo } from './machine.js';
import { killAllSpawned } from './systems/process-group.js';
import { RaftisCluster } from './systems/raftis-cluster.js';

const WORKLOADS = [
  { name: 'SET', clients: 1, readFraction: 0 },
  { name: 'SET', clients: 64, readFraction: 0 },
  { name: 'GET', clients: 1, readFraction: 1 },
  { name: 'GET', clients: 64, readFraction: 1 },
] as const;
const PRELOAD_MS = 5_000;

interface Measured {
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at < 0 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
}

async function measure(port: number, tls: ConnectionOptions | null, clients: number, readFraction: number, durationMs: number): Promise<LoadResult> {
  const open: LoadClient[] = [];
  try {
    for (let i = 0; i < clients; i++) open.push(await openRespLoadClient(port, null, tls));
    return await runClosedLoop(open, { durationMs, readFraction });
  } finally {
    for (const client of open) client.close();
  }
}

function summary(results: readonly LoadResult[]): Measured {
  const ops = results.reduce((sum, r) => sum + r.ops, 0);
  const seconds = results.reduce((sum, r) => sum + r.seconds, 0);
  const mean = (f: (r: LoadResult) => number) => results.reduce((sum, r) => sum + f(r), 0) / results.length;
  return { opsPerSecond: ops / seconds, p50Ms: mean((r) => r.histogram.percentileMs(50)), p99Ms: mean((r) => r.histogram.percentileMs(99)), errors: results.reduce((sum, r) => sum + r.errors, 0) };
}

function row(label: string, clients: number, m: Measured, base: Measured | null): string {
  const ratio = base === null ? '' : ` (${((m.opsPerSecond / base.opsPerSecond - 1) * 100).toFixed(0)} %)`;
  return `| ${label} | ${clients} | ${Math.round(m.opsPerSecond).toLocaleString('en-US')}${ratio} | ${m.p50Ms.toFixed(2)} | ${m.p99Ms.toFixed(2)} | ${m.errors} |`;
}

/** Plain and `other` connections in alternation, `rounds` times each, per workload. */
async function compare(label: string, port: number, tlsPort: number, clientTls: ConnectionOptions | null, seconds: number, rounds: number, lines: string[]): Promise<void> {
  for (const w of WORKLOADS) {
    const plain: LoadResult[] = [];
    const other: LoadResult[] = [];
    for (let round = 0; round < rounds; round++) {
      plain.push(await measure(port, null, w.clients, w.readFraction, seconds * 1000));
      other.push(await measure(tlsPort, clientTls, w.clients, w.readFraction, seconds * 1000));
    }
    const base = summary(plain);
    lines.push(row(`${w.name}, plain`, w.clients, base, null), row(`${w.name}, ${label}`, w.clients, summary(other), base));
    process.stderr.write(`${w.name} × ${w.clients}: plain ${Math.round(base.opsPerSecond)}/s, ${label} ${Math.round(summary(other).opsPerSecond)}/s\n`);
  }
}

async function main(): Promise<void> {
  const seconds = option('--seconds', 8);
  const rounds = option('--rounds', 2);
  const root = mkdtempSync(join(tmpdir(), 'raftis-tls-bench-'));
  const startedAt = new Date();
  const loadAtStart = loadAverage();
  const lines: string[] = [];
  try {
    const certs: DevCertFiles = await makeDevCerts({ dir: join(root, 'tls'), nodes: ['n1', 'n2', 'n3'] });
    const clientTls: ConnectionOptions = { ca: readFileSync(certs.caCert), cert: readFileSync(certs.client.cert), key: readFileSync(certs.client.key) };
    const nodeTls = (id: string): string[] => ['--tls-cert-file', certs.node(id).cert, '--tls-key-file', certs.node(id).key, '--tls-ca-cert-file', certs.caCert];

    // Client TLS: one cluster, the plain and the TLS port of the same leader.
    const clientCluster = await RaftisCluster.start({ nodes: 3, profileDir: null, tls: { args: nodeTls, clientPort: true } });
    try {
      const leader = await clientCluster.waitForLeader();
      await measure(leader.port, null, 64, 0, PRELOAD_MS);
      await compare('client TLS', leader.port, leader.tlsPort ?? 0, clientTls, seconds, rounds, lines);
    } finally {
      await clientCluster.stop();
    }

    // Peer TLS: clients on plain TCP, against a plain cluster and a --tls-cluster one, in alternation.
    const plainCluster = await RaftisCluster.start({ nodes: 3, profileDir: null });
    const peerCluster = await RaftisCluster.start({ nodes: 3, profileDir: null, tls: { args: (id) => [...nodeTls(id), '--tls-cluster'], clientPort: false } });
    try {
      const [plainLeader, peerLeader] = [await plainCluster.waitForLeader(), await peerCluster.waitForLeader()];
      await measure(plainLeader.port, null, 64, 0, PRELOAD_MS);
      await measure(peerLeader.port, null, 64, 0, PRELOAD_MS);
      await compare('peer TLS', plainLeader.port, peerLeader.port, null, seconds, rounds, lines);
    } finally {
      await plainCluster.stop();
      await peerCluster.stop();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const machine = machineInfo();
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  process.stdout.write([
    `Run ${startedAt.toISOString()} to ${new Date().toISOString()} (dist/ built from commit ${commit}); ${seconds} s per measurement, ${rounds} rounds each, alternating; load average ${loadAtStart} at start, ${loadAverage()} at end.`,
    `Machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memory}; ${machine.disk}; Node ${machine.node}.`,
    '',
    '| connection | clients | ops/s (vs plain) | p50 ms | p99 ms | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...lines,
    '',
  ].join('\n'));
}

main().then(() => process.exit(0), (error: unknown) => {
  killAllSpawned();
  process.stderr.write(`tls-cost: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
