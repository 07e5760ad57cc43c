// The apply path in-process, without Raft or sockets: overwriting SETs of 256-byte values on
// 100k keys, as a pipelining client's entries arrive (request ids with deduplication on,
// encoded outside the timed loop), applied through KvStateMachine.apply. Reports CPU time per
// apply (user + system of this process, GC threads included), which a busy machine moves far
// less than wall time. Two checkouts in one run, alternating, for A/B comparisons:
//   node --import tsx bench/apply-path.ts [--src DIR] [--baseline-src DIR] [--rounds N]
// where DIR is a checkout's src/ or, closer to a running node, its built dist/src. With
// --batch N (N > 1) the SETs go N to an entry, as the leader gathers a turn's writes.

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { TIME_MS } from './in-process.js';

const KEYS = 100_000;
const APPLIES = 400_000;
const VALUE_BYTES = 256;
const CLIENTS = 50;

interface Machine { apply(index: number, data: Uint8Array): unknown }
interface Command { origin: string; client: number; seq: number; firstUnanswered: number; time: number; argv: readonly Uint8Array[] }
type Encode = (c: Command) => Uint8Array;
type EncodeBatch = (b: { origin: string; time: number; commands: readonly Command[] }) => Uint8Array;

async function load(srcDir: string): Promise<{ machine: () => Machine; encode: Encode; encodeBatch?: EncodeBatch }> {
  const src = resolve(srcDir);
  // A built dist/src runs as Node runs the server (tsx's name-keeping wrappers cost closures time).
  const ext = existsSync(`${src}/kv/state-machine.js`) ? 'js' : 'ts';
  const kv = (await import(pathToFileURL(`${src}/kv/state-machine.${ext}`).href)) as { KvStateMachine: new () => Machine };
  const codec = (await import(pathToFileURL(`${src}/kv/command-codec.${ext}`).href)) as { encodeCommand: Encode; encodeCommandBatch?: EncodeBatch };
  return { machine: () => new kv.KvStateMachine(), encode: codec.encodeCommand, ...(codec.encodeCommandBatch === undefined ? {} : { encodeBatch: codec.encodeCommandBatch }) };
}

function commands(): Command[] {
  const set = Buffer.from('SET');
  const value = Buffer.alloc(VALUE_BYTES, 'v');
  const seqs = new Array<number>(CLIENTS).fill(0);
  const out: Command[] = [];
  let x = 12345;
  for (let i = 0; i < APPLIES; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const client = 1 + (Math.floor(i / 16) % CLIENTS); // runs of 16, as -P 16 pipelines arrive
    const seq = ++seqs[client - 1]!;
    const key = Buffer.from(`key:${String(x % KEYS).padStart(12, '0')}`);
    out.push({ origin: 'n1/boot', client, seq, firstUnanswered: Math.max(1, seq - 32), time: TIME_MS + i, argv: [set, key, value] });
  }
  return out;
}

/** The commands encoded one to an entry, or `batch` to an entry when the build has batches. */
function entries(build: { encode: Encode; encodeBatch?: EncodeBatch }, batch: number): Uint8Array[] {
  const all = commands();
  if (batch <= 1 || build.encodeBatch === undefined) return all.map((c) => build.encode(c));
  const out: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += batch) {
    const run = all.slice(i, i + batch);
    out.push(build.encodeBatch({ origin: 'n1/boot', time: (run[0] as Command).time, commands: run }));
  }
  return out;
}

/** CPU µs per SET (not per entry). */
function run(machine: Machine, data: readonly Uint8Array[]): number {
  const before = process.cpuUsage();
  for (let i = 0; i < data.length; i++) machine.apply(i + 1, data[i] as Uint8Array);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / APPLIES;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { src: { type: 'string', default: 'src' }, 'baseline-src': { type: 'string' }, rounds: { type: 'string', default: '3' }, batch: { type: 'string', default: '1' } } });
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch ${values.batch}: a positive integer`);
  const builds = [{ label: 'this', dir: values.src }, ...(values['baseline-src'] === undefined ? [] : [{ label: 'baseline', dir: values['baseline-src'] }])];
  const loaded = await Promise.all(builds.map(async (b) => ({ ...b, ...(await load(b.dir)) })));
  const results = new Map<string, number[]>();
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const build of round % 2 === 0 ? loaded : [...loaded].reverse()) {
      const data = entries(build, batch);
      const us = run(build.machine(), data);
      results.set(build.label, [...(results.get(build.label) ?? []), us]);
    }
  }
  for (const [label, runs] of results) process.stdout.write(`${label}: CPU µs per SET apply ${runs.map((u) => u.toFixed(2)).join(', ')} (min ${Math.min(...runs).toFixed(2)})\n`);
}

await main();
