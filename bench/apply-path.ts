// The apply path in-process, without Raft or sockets: overwriting SETs of 256-byte values on
// 100k keys, as a pipelining client's entries arrive (request ids with deduplication on,
// encoded outside the timed loop), applied through KvStateMachine.apply. Reports CPU time per
// apply (user + system of this process, GC threads included), which a busy machine moves far
// less than wall time. Two checkouts in one run, alternating, for A/B comparisons:
//   node --import tsx bench/apply-path.ts [--src DIR] [--baseline-src DIR] [--rounds N]
// where DIR is a checkout's src/ or, closer to a running node, its built dist/src. With
// --batch N (N > 1) the SETs go N to an entry, as the leader gathers a turn's writes. With
// `--command evalsha` every command is issue 17's read-modify-write script (GET, INCR and
// EXPIRE of one key among 1,000, as the cluster benchmark's), loaded by a first entry;
// `--command incr` is INCR on those keys. The batches' bytes are applied as a follower receives
// them (copies); `--as leader` applies the bytes this process encoded, as the leader applies its
// own batches (from the objects it encoded them from, command-codec.ts). Two builds of the Lua VM share one process only if
// each resolves a fengari of its own (each patches the module it loads): for EVALSHA, give the
// baseline a copy (`cp -r dist B && mkdir B/node_modules && cp -r node_modules/fengari
// B/node_modules/`, then --baseline-src B/src), or compare across processes.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { TIME_MS } from './in-process.js';
import { RMW_SCRIPT } from './rmw-script.js';

const KEYS = 100_000;
/** Keys of the script workloads: redis-benchmark's -r 1000 in the cluster runs. */
const SCRIPT_KEYS = 1000;
const APPLIES = 400_000;
/** Script runs cost several SETs: fewer of them keep a round a few seconds long. */
const SCRIPT_APPLIES = 50_000;
const COMMANDS = ['set', 'evalsha', 'incr'] as const;
type CommandName = (typeof COMMANDS)[number];
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

/** One command's argv for `key`. */
function commandArgv(command: CommandName, key: Buffer): Uint8Array[] {
  if (command === 'set') return [Buffer.from('SET'), key, Buffer.alloc(VALUE_BYTES, 'v')];
  if (command === 'incr') return [Buffer.from('INCR'), key];
  return [Buffer.from('EVALSHA'), Buffer.from(createHash('sha1').update(RMW_SCRIPT).digest('hex')), Buffer.from('1'), key];
}

function commands(command: CommandName): Command[] {
  const seqs = new Array<number>(CLIENTS).fill(0);
  const out: Command[] = [];
  const count = applies(command);
  const keys = command === 'set' ? KEYS : SCRIPT_KEYS;
  let x = 12345;
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const client = 1 + (Math.floor(i / 16) % CLIENTS); // runs of 16, as -P 16 pipelines arrive
    const seq = ++seqs[client - 1]!;
    const key = Buffer.from(`key:${String(x % keys).padStart(12, '0')}`);
    out.push({ origin: 'n1/boot', client, seq, firstUnanswered: Math.max(1, seq - 32), time: TIME_MS + i, argv: commandArgv(command, key) });
  }
  return out;
}

const applies = (command: CommandName): number => (command === 'set' ? APPLIES : SCRIPT_APPLIES);

/** The entries applied before the timed ones: EVALSHA's script load. */
function setup(build: { encode: Encode }, command: CommandName): Uint8Array[] {
  if (command !== 'evalsha') return [];
  return [build.encode({ origin: 'n1/boot', client: CLIENTS + 1, seq: 1, firstUnanswered: 1, time: TIME_MS, argv: [Buffer.from('SCRIPT'), Buffer.from('LOAD'), Buffer.from(RMW_SCRIPT)] })];
}

/** The commands encoded one to an entry, or `batch` to an entry when the build has batches. */
function entries(build: { encode: Encode; encodeBatch?: EncodeBatch }, batch: number, command: CommandName, asLeader: boolean): Uint8Array[] {
  const all = commands(command);
  if (batch <= 1 || build.encodeBatch === undefined) return all.map((c) => build.encode(c));
  const out: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += batch) {
    const run = all.slice(i, i + batch);
    const data = build.encodeBatch({ origin: 'n1/boot', time: (run[0] as Command).time, commands: run });
    out.push(asLeader ? data : Uint8Array.from(data));
  }
  return out;
}

/** CPU µs per command (not per entry) of `data`, after the untimed `before` entries. */
function run(machine: Machine, before: readonly Uint8Array[], data: readonly Uint8Array[], count: number): number {
  before.forEach((entry, i) => machine.apply(i + 1, entry));
  const start = process.cpuUsage();
  let reply: unknown = null;
  for (let i = 0; i < data.length; i++) reply = machine.apply(before.length + i + 1, data[i] as Uint8Array);
  const used = process.cpuUsage(start);
  // A workload that only measured its error replies would look fast.
  if ((reply as { kind?: string } | null)?.kind === 'error') throw new Error(`the last apply answered an error: ${JSON.stringify(reply)}`);
  return (used.user + used.system) / count;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { src: { type: 'string', default: 'src' }, 'baseline-src': { type: 'string' }, rounds: { type: 'string', default: '3' }, batch: { type: 'string', default: '1' }, command: { type: 'string', default: 'set' }, as: { type: 'string', default: 'follower' } } });
  const command = values.command as CommandName;
  if (!COMMANDS.includes(command)) throw new Error(`--command ${values.command}: one of ${COMMANDS.join(', ')}`);
  if (values.as !== 'leader' && values.as !== 'follower') throw new Error(`--as ${values.as}: leader or follower`);
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch ${values.batch}: a positive integer`);
  const builds = [{ label: 'this', dir: values.src }, ...(values['baseline-src'] === undefined ? [] : [{ label: 'baseline', dir: values['baseline-src'] }])];
  const loaded = await Promise.all(builds.map(async (b) => ({ ...b, ...(await load(b.dir)) })));
  const results = new Map<string, number[]>();
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const build of round % 2 === 0 ? loaded : [...loaded].reverse()) {
      const us = run(build.machine(), setup(build, command), entries(build, batch, command, values.as === 'leader'), applies(command));
      results.set(build.label, [...(results.get(build.label) ?? []), us]);
    }
  }
  for (const [label, runs] of results) process.stdout.write(`${label}: CPU µs per ${command.toUpperCase()} apply ${runs.map((u) => u.toFixed(2)).join(', ')} (min ${Math.min(...runs).toFixed(2)})\n`);
}

await main();
