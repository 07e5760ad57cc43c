// The state machine's own cost per command for the data types, in process (no Raft, no
// sockets): what every node pays for each committed entry of redis-benchmark's default type
// tests (issue 15) and for issue 16's latency-target reads. Writes are applied through
// KvStateMachine.apply as a pipelining client's entries arrive (request ids with deduplication
// on, encoded outside the timed loop); reads go through KvStateMachine.read at a read point.
// Reports CPU time per command (user + system of this process, GC threads included), which a
// busy machine moves far less than wall time. Two checkouts alternate in one run for A/B:
//   node --import tsx bench/types-apply.ts [--src DIR] [--baseline-src DIR] [--rounds N] [--only zadd,hset,...] [--ops N]
// where DIR is a checkout's src/ or, closer to a running node, its built dist/src.
//
// Each test's arguments are redis-benchmark's (-d 100 -r 100000: __rand_int__ is a 12-digit
// number below 100,000): SET key:R V; LPUSH/RPUSH mylist V; LPOP/RPOP mylist; SADD myset
// element:R; HSET myhash element:R V; SPOP myset; ZADD myzset R element:R; ZPOPMIN myzset;
// MSET of 10 (key:R V). Pops run on what a fill of the same count left. The reads:
// PFCOUNT of a dense HyperLogLog of 50,000 elements (unchanged between calls, as in
// bench/geo-hll-latency.ts), PFCOUNT of two, and GEOSEARCH BYRADIUS 5 km ASC over 1,000,000
// members at seeded random points in a 10°×10° box.

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { TIME_MS } from './in-process.js';
import { seededRandom } from '../src/transport/fault-injector.js';

const CLIENTS = 50;
const PIPELINE = 16;
const KEY_RANGE = 100_000;
const VALUE_BYTES = 100;
const MSET_KEYS = 10;
const HLL_ELEMENTS = 50_000;
const GEO_MEMBERS = 1_000_000;
const GEO_BATCH = 1000;

interface Machine {
  apply(index: number, data: Uint8Array): unknown;
  read(argv: readonly Uint8Array[], clusterTime: number): unknown;
}
type Encode = (c: { origin: string; client: number; seq: number; firstUnanswered: number; time: number; argv: readonly Uint8Array[] }) => Uint8Array;

interface Build {
  readonly label: string;
  readonly machine: () => Machine;
  readonly encode: Encode;
}

async function load(label: string, srcDir: string): Promise<Build> {
  const src = resolve(srcDir);
  const ext = existsSync(`${src}/kv/state-machine.js`) ? 'js' : 'ts';
  const kv = (await import(pathToFileURL(`${src}/kv/state-machine.${ext}`).href)) as { KvStateMachine: new () => Machine };
  const codec = (await import(pathToFileURL(`${src}/kv/command-codec.${ext}`).href)) as { encodeCommand: Encode };
  return { label, machine: () => new kv.KvStateMachine(), encode: codec.encodeCommand };
}

/** redis-benchmark's __rand_int__ under -r 100000: a 12-digit zero-padded number. */
function randomInts(seed: number): () => string {
  const random = seededRandom(seed);
  return () => String(Math.floor(random() * KEY_RANGE)).padStart(12, '0');
}

const value = 'x'.repeat(VALUE_BYTES);

/** A test: the argv of its n-th command, a fill before it (argv of the fill's n-th command), and whether it is a read. */
interface TypeTest {
  readonly name: string;
  readonly command: (rand: () => string) => string[];
  readonly fill?: (rand: () => string) => string[];
  readonly read?: true;
  /** Setup of a read test, applied before timing: argv lists. */
  readonly setup?: () => Iterable<string[]>;
}

function* hllSetup(): Iterable<string[]> {
  for (let start = 0; start < HLL_ELEMENTS; start += GEO_BATCH) {
    yield ['PFADD', 'hll:dense', ...Array.from({ length: GEO_BATCH }, (_, i) => `e${start + i}`)];
    yield ['PFADD', 'hll:other', ...Array.from({ length: GEO_BATCH }, (_, i) => `o${start + i}`)];
  }
}

const BOX = { west: 10, south: 40, degrees: 10 };

function* geoSetup(): Iterable<string[]> {
  const random = seededRandom(16);
  for (let start = 0; start < GEO_MEMBERS; start += GEO_BATCH) {
    const argv = ['GEOADD', 'geo:1m'];
    for (let i = start; i < start + GEO_BATCH; i++) argv.push((BOX.west + random() * BOX.degrees).toFixed(6), (BOX.south + random() * BOX.degrees).toFixed(6), `m${i}`);
    yield argv;
  }
}

function geoQuery(): (rand: () => string) => string[] {
  const random = seededRandom(61);
  return () => ['GEOSEARCH', 'geo:1m', 'FROMLONLAT', (BOX.west + random() * BOX.degrees).toFixed(6), (BOX.south + random() * BOX.degrees).toFixed(6), 'BYRADIUS', '5', 'km', 'ASC'];
}

const TESTS: readonly TypeTest[] = [
  { name: 'set', command: (r) => ['SET', `key:${r()}`, value] },
  { name: 'lpush', command: () => ['LPUSH', 'mylist', value] },
  { name: 'rpush', command: () => ['RPUSH', 'mylist', value] },
  { name: 'lpop', fill: () => ['LPUSH', 'mylist', value], command: () => ['LPOP', 'mylist'] },
  { name: 'rpop', fill: () => ['LPUSH', 'mylist', value], command: () => ['RPOP', 'mylist'] },
  { name: 'sadd', command: (r) => ['SADD', 'myset', `element:${r()}`] },
  { name: 'hset', command: (r) => ['HSET', 'myhash', `element:${r()}`, value] },
  { name: 'spop', fill: (r) => ['SADD', 'myset', `element:${r()}`], command: () => ['SPOP', 'myset'] },
  { name: 'zadd', command: (r) => ['ZADD', 'myzset', r(), `element:${r()}`] },
  { name: 'zpopmin', fill: (r) => ['ZADD', 'myzset', r(), `element:${r()}`], command: () => ['ZPOPMIN', 'myzset'] },
  { name: 'mset', command: (r) => ['MSET', ...Array.from({ length: MSET_KEYS }, () => [`key:${r()}`, value]).flat()] },
  { name: 'pfcount', read: true, setup: hllSetup, command: () => ['PFCOUNT', 'hll:dense'] },
  { name: 'pfcount2', read: true, setup: hllSetup, command: () => ['PFCOUNT', 'hll:dense', 'hll:other'] },
  { name: 'geosearch', read: true, setup: geoSetup, command: geoQuery() },
];

const toArgv = (argv: readonly string[]): Buffer[] => argv.map((a) => Buffer.from(a, 'latin1'));

/** Encodes `count` commands as entries of 50 clients sending runs of 16 (as -P 16 pipelines arrive). */
function entries(build: Build, count: number, next: () => string[], seqs: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const client = 1 + (Math.floor(i / PIPELINE) % CLIENTS);
    const seq = ++seqs[client - 1]!;
    out.push(build.encode({ origin: 'n1/boot', client, seq, firstUnanswered: Math.max(1, seq - 32), time: TIME_MS + i, argv: toArgv(next()) }));
  }
  return out;
}

function cpuMicros(run: () => void, count: number): number {
  const before = process.cpuUsage();
  run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

/** One test on a fresh state machine of `build`: CPU µs per timed command. */
function runTest(build: Build, test: TypeTest, ops: number): number {
  const machine = build.machine();
  const seqs = new Array<number>(CLIENTS).fill(0);
  let index = 0;
  const applyAll = (data: readonly Uint8Array[]): void => {
    for (const d of data) machine.apply(++index, d);
  };
  for (const argv of test.setup?.() ?? []) applyAll([build.encode({ origin: 'n1/boot', client: 999, seq: 0, firstUnanswered: 0, time: TIME_MS, argv: toArgv(argv) })]);
  const rand = randomInts(7);
  if (test.fill !== undefined) applyAll(entries(build, ops, () => (test.fill as (r: () => string) => string[])(rand), seqs));
  if (test.read === true) {
    const reads = Array.from({ length: ops }, () => toArgv(test.command(rand)));
    return cpuMicros(() => {
      for (const argv of reads) machine.read(argv, TIME_MS);
    }, ops);
  }
  const timed = entries(build, ops, () => test.command(rand), seqs);
  return cpuMicros(() => applyAll(timed), ops);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      src: { type: 'string', default: 'src' }, 'baseline-src': { type: 'string' }, rounds: { type: 'string', default: '3' },
      only: { type: 'string' }, ops: { type: 'string', default: '100000' },
    },
  });
  const only = values.only?.split(',');
  const tests = TESTS.filter((t) => only === undefined || only.includes(t.name));
  const builds = [await load('this', values.src)];
  if (values['baseline-src'] !== undefined) builds.push(await load('baseline', values['baseline-src']));
  const ops = Number(values.ops);
  const results = new Map<string, number[]>();
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const test of tests) {
      for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
        const us = runTest(build, test, test.read === true ? Math.min(ops, 5000) : ops);
        const key = `${test.name}\t${build.label}`;
        results.set(key, [...(results.get(key) ?? []), us]);
      }
    }
  }
  for (const [key, runs] of results) {
    const [name, label] = key.split('\t');
    process.stdout.write(`${(name as string).padEnd(10)} ${(label as string).padEnd(8)} CPU µs/command ${runs.map((u) => u.toFixed(2)).join(', ')} (min ${Math.min(...runs).toFixed(2)})\n`);
  }
}

await main();
