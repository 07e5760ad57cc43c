// A GET's work on the node that serves it, in-process, without sockets: the state machine's read
// of a random key among 100k (256-byte values) and its reply's encoding into a connection's
// output buffer, taken every 64 replies as a turn's flush would. Reports CPU µs per GET (user +
// system of this process, GC included). Builds side by side in one process, rounds alternating
// (the first round a warm-up), since a shared machine's speed drifts:
//   node --import tsx bench/get-reply.ts [--rounds 8] [--gets 400000] LABEL=DIR ...
// where DIR is a checkout's src/ or its built dist/src.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const KEYS = 100_000;
const VALUE_BYTES = 256;
const TIME_MS = 1_700_000_000_000;
const REPLIES_PER_FLUSH = 64;

interface Build {
  readonly label: string;
  readonly read: (argv: readonly Uint8Array[]) => unknown;
  readonly write: (reply: unknown) => void;
  readonly flush: () => void;
}

async function load(label: string, dir: string): Promise<Build> {
  const src = resolve(dir);
  const ext = existsSync(`${src}/kv/state-machine.js`) ? 'js' : 'ts';
  const module = async <T>(path: string): Promise<T> => (await import(pathToFileURL(`${src}/${path}.${ext}`).href)) as T;
  const kv = await module<{ KvStateMachine: new () => { apply(index: number, data: Uint8Array): unknown; read(argv: readonly Uint8Array[], time: number): unknown } }>('kv/state-machine');
  const codec = await module<{ encodeCommand(c: object): Uint8Array }>('kv/command-codec');
  const writer = await module<{ ReplyWriter: new () => { write(value: unknown, protocol: 2 | 3): void; take(): Buffer | null } }>('resp/reply-writer');
  const machine = new kv.KvStateMachine();
  const value = Buffer.alloc(VALUE_BYTES, 'v');
  for (let i = 0; i < KEYS; i++) {
    machine.apply(i + 1, codec.encodeCommand({ origin: 'n1', client: 1, seq: 0, firstUnanswered: 0, time: TIME_MS, argv: [Buffer.from('SET'), Buffer.from(`key:${i}`), value] }));
  }
  const out = new writer.ReplyWriter();
  return { label, read: (argv) => machine.read(argv, TIME_MS), write: (reply) => out.write(reply, 2), flush: () => void out.take() };
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '8' }, gets: { type: 'string', default: '400000' } } });
  const rounds = Number(values.rounds);
  const gets = Number(values.gets);
  const builds: Build[] = [];
  for (const spec of positionals) {
    const at = spec.indexOf('=');
    if (at <= 0) throw new Error(`expected LABEL=DIR, got ${spec}`);
    builds.push(await load(spec.slice(0, at), spec.slice(at + 1)));
  }
  // The same random key order for every build and round.
  let seed = 12345;
  const order: Uint8Array[][] = [];
  for (let i = 0; i < 65_536; i++) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    order.push([Buffer.from('GET'), Buffer.from(`key:${seed % KEYS}`)]);
  }
  const results = new Map<string, number[]>(builds.map((b) => [b.label, []]));
  for (let round = 0; round <= rounds; round++) {
    const turn = round % 2 === 0 ? builds : [...builds].reverse();
    for (const build of turn) {
      const started = cpuMicros();
      for (let i = 0; i < gets; i++) {
        build.write(build.read(order[i & 65_535] as Uint8Array[]));
        if (i % REPLIES_PER_FLUSH === REPLIES_PER_FLUSH - 1) build.flush();
      }
      build.flush();
      const perGet = (cpuMicros() - started) / gets;
      if (round > 0) (results.get(build.label) as number[]).push(perGet);
      process.stdout.write(`round ${round}${round === 0 ? ' (warm-up)' : ''} ${build.label} ${perGet.toFixed(3)} µs/GET\n`);
    }
  }
  for (const [label, perGet] of results) {
    const sorted = [...perGet].sort((a, b) => a - b);
    process.stdout.write(`${label}: median ${(sorted[Math.floor(sorted.length / 2)] as number).toFixed(3)} min ${(sorted[0] as number).toFixed(3)} µs/GET over ${sorted.length} rounds\n`);
  }
}

await main();
