// Issue 16's latency targets, raftis against Redis on the same data: GEOSEARCH over 1M members
// and PFCOUNT over a dense HyperLogLog, each within 2× Redis's latency. Against servers already
// running (a raftis node, ideally the leader, and a redis-server), one client, one request in
// flight, so the figure is a single request's latency:
//   - 1,000,000 members at seeded random points in a 10°×10° box (GEOADD, 1,000 per command,
//     pipelined), then GEOSEARCH FROMLONLAT (random point in the box) BYRADIUS 5 km ASC, about
//     100 members each;
//   - two dense HyperLogLogs of 50,000 elements each, then PFCOUNT of one (Redis answers from
//     its cached count; raftis computes it, see docs/compatibility.md) and PFCOUNT of both (a
//     merged count, computed by both).
//
//   node --import tsx bench/geo-hll-latency.ts --raftis PORT --redis PORT [--members N] [--queries N] [--no-load] [--consistency MODE]
// (--no-load: the data of an earlier run is there already; --consistency lease|stale: raftis's
// reads on that connection, RAFT.CONSISTENCY). A GET of a missing key gives each
// system's floor: for raftis a linearizable read's ReadIndex round.

import { RespClient } from './resp-client.js';
import { LatencyHistogram } from './histogram.js';
import { seededRandom } from '../src/transport/fault-injector.js';
import { loadAverage } from './machine.js';

const BATCH_MEMBERS = 1000;
const PIPELINE_BATCHES = 8;
const HLL_ELEMENTS = 50_000;
const BOX = { west: 10, south: 40, degrees: 10 };
const RADIUS_KM = '5';

interface Row {
  readonly name: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

async function load(client: RespClient, members: number): Promise<void> {
  const random = seededRandom(16);
  await client.call(['DEL', 'geo:1m', 'hll:dense', 'hll:other']);
  for (let start = 0; start < members; start += BATCH_MEMBERS * PIPELINE_BATCHES) {
    const batches: Promise<unknown>[] = [];
    for (let b = 0; b < PIPELINE_BATCHES && start + b * BATCH_MEMBERS < members; b++) {
      const argv = ['GEOADD', 'geo:1m'];
      for (let i = start + b * BATCH_MEMBERS; i < Math.min(members, start + (b + 1) * BATCH_MEMBERS); i++) {
        argv.push((BOX.west + random() * BOX.degrees).toFixed(6), (BOX.south + random() * BOX.degrees).toFixed(6), `m${i}`);
      }
      batches.push(client.call(argv).then(failOn));
    }
    await Promise.all(batches);
  }
  for (let start = 0; start < HLL_ELEMENTS; start += BATCH_MEMBERS) {
    await client.call(['PFADD', 'hll:dense', ...Array.from({ length: BATCH_MEMBERS }, (_, i) => `e${start + i}`)]).then(failOn);
    await client.call(['PFADD', 'hll:other', ...Array.from({ length: BATCH_MEMBERS }, (_, i) => `o${start + i}`)]).then(failOn);
  }
}

function failOn(reply: unknown): void {
  if (reply instanceof Error) throw reply;
}

async function measure(client: RespClient, name: string, queries: number, request: () => string[]): Promise<Row> {
  const histogram = new LatencyHistogram();
  let totalUs = 0;
  for (let i = 0; i < queries; i++) {
    const argv = request();
    const started = performance.now();
    failOn(await client.call(argv));
    const us = Math.max(1, Math.round((performance.now() - started) * 1000));
    histogram.recordUs(us);
    totalUs += us;
  }
  return { name, p50Ms: histogram.percentileMs(50), p99Ms: histogram.percentileMs(99), meanMs: totalUs / queries / 1000 };
}

async function run(port: number, members: number, queries: number, reload: boolean, consistency: string | null): Promise<Row[]> {
  const client = await RespClient.open(port, '127.0.0.1', 10_000);
  try {
    if (consistency !== null) failOn(await client.call(['RAFT.CONSISTENCY', consistency]));
    if (reload) await load(client, members);
    const random = seededRandom(61);
    const point = (): string[] => [(BOX.west + random() * BOX.degrees).toFixed(6), (BOX.south + random() * BOX.degrees).toFixed(6)];
    return [
      await measure(client, 'GET of a missing key (the read path alone)', queries, () => ['GET', 'no:such:key']),
      await measure(client, `GEOSEARCH BYRADIUS ${RADIUS_KM} km ASC over ${members.toLocaleString('en-US')}`, queries, () => ['GEOSEARCH', 'geo:1m', 'FROMLONLAT', ...point(), 'BYRADIUS', RADIUS_KM, 'km', 'ASC']),
      await measure(client, 'PFCOUNT of a dense HLL', queries, () => ['PFCOUNT', 'hll:dense']),
      await measure(client, 'PFCOUNT of two dense HLLs (merged)', queries, () => ['PFCOUNT', 'hll:dense', 'hll:other']),
    ];
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  const members = option('--members', 1_000_000);
  const queries = option('--queries', 2000);
  const systems = [['raftis', option('--raftis', 0)], ['redis', option('--redis', 0)]] as const;
  console.log(`load average at start: ${loadAverage()}`);
  const results = new Map<string, Row[]>();
  const reload = !args.includes('--no-load');
  const consistency = args.includes('--consistency') ? args[args.indexOf('--consistency') + 1] ?? null : null;
  for (const [system, port] of systems) if (port > 0) results.set(system, await run(port, members, queries, reload, system === 'raftis' ? consistency : null));
  for (const [system, rows] of results) {
    for (const row of rows) console.log(`${system.padEnd(7)} ${row.name.padEnd(44)} p50 ${row.p50Ms.toFixed(3)} ms  p99 ${row.p99Ms.toFixed(3)} ms  mean ${row.meanMs.toFixed(3)} ms`);
  }
  console.log(`load average at end: ${loadAverage()}`);
}

await main();
