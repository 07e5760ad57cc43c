// Where a BullMQ job's CPU goes in the state machine: replays the log a real BullMQ workload
// left on a cluster (bench/fixtures/bullmq-jobs.jsonl.gz, recorded by bench/bullmq-capture.ts)
// through KvStateMachine.apply, one command per entry with its recorded request id and
// cluster time, and reports CPU time (user + system of the process, GC threads included) per
// run of each BullMQ script and per job. Each round runs in a process of its own (two builds
// of the Lua VM cannot share one fengari module); with several --src the builds alternate,
// round by round, for before/after comparisons in one run:
//   node --import tsx bench/bullmq-apply.ts [--src dist/src] [--src DIR2] [--rounds 5]
// Every build must give the same replies and the same final keyspace (a digest of each is
// printed): a speed change must not change what the scripts compute.
// Profile one round with: node --cpu-prof --import tsx bench/bullmq-apply.ts --child dist/src

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fixtureArgv, readFixture, type FixtureCommand } from './bullmq-fixture.js';


interface Machine {
  apply(index: number, data: Uint8Array): unknown;
  digest(): { hash: string; keys: number };
}
interface Build {
  machine: () => Machine;
  encode: (c: Omit<FixtureCommand, 'argv'> & { argv: readonly Uint8Array[] }) => Uint8Array;
  replyBytes: (reply: unknown) => Uint8Array;
}

/** One round's figures: CPU µs and runs per label (a script's name, or a command's). */
interface RoundResult {
  readonly totalMicros: number;
  readonly labels: Record<string, { micros: number; runs: number; errors: number }>;
  readonly replies: string;
  readonly keyspace: string;
}

async function load(srcDir: string): Promise<Build> {
  const src = resolve(srcDir);
  const ext = existsSync(`${src}/kv/state-machine.js`) ? 'js' : 'ts';
  const module = async <T>(path: string): Promise<T> => (await import(pathToFileURL(`${src}/${path}.${ext}`).href)) as T;
  const kv = await module<{ KvStateMachine: new () => Machine }>('kv/state-machine');
  const codec = await module<{ encodeCommand: Build['encode'] }>('kv/command-codec');
  const replies = await module<{ writeReply: (w: unknown, r: unknown) => void }>('kv/reply-codec');
  const binary = await module<{ ByteWriter: new () => { finish(): Uint8Array } }>('kv/binary');
  return {
    machine: () => new kv.KvStateMachine(),
    encode: codec.encodeCommand,
    replyBytes: (reply) => {
      const writer = new binary.ByteWriter();
      replies.writeReply(writer, reply);
      return writer.finish();
    },
  };
}

/** What a command counts under: BullMQ's script name for EVAL/EVALSHA, else the command's name. */
function labelOf(argv: readonly Uint8Array[], scripts: Record<string, string>): string {
  const name = Buffer.from(argv[0] ?? []).toString('latin1').toLowerCase();
  if (name !== 'evalsha' && name !== 'eval') return name;
  const script = argv[1] ?? new Uint8Array(0);
  const sha = name === 'eval' ? createHash('sha1').update(script).digest('hex') : Buffer.from(script).toString('latin1');
  return `${scripts[sha] ?? sha.slice(0, 12)}${name === 'eval' ? ' (EVAL)' : ''}`;
}

/**
 * One round in this process: the replay `passes` times, each into a new state machine, the
 * last one measured (the earlier ones warm the JIT, as a running node's is warm); every
 * command applied in log order, each timed.
 */
async function round(srcDir: string, passes: number): Promise<RoundResult> {
  const build = await load(srcDir);
  const { header, commands } = readFixture();
  const argvs = commands.map(fixtureArgv);
  const entries = commands.map((c, i) => build.encode({ ...c, argv: argvs[i] as Buffer[] }));
  const labels = argvs.map((argv) => labelOf(argv, header.scripts));
  for (let pass = 1; pass < passes; pass++) replay(build.machine(), entries);
  return measure(build, entries, labels);
}

function replay(machine: Machine, entries: readonly Uint8Array[]): void {
  for (let i = 0; i < entries.length; i++) machine.apply(i + 1, entries[i] as Uint8Array);
}

function measure(build: Build, entries: readonly Uint8Array[], labels: readonly string[]): RoundResult {
  const machine = build.machine();
  const micros = new Float64Array(entries.length);
  const replies: unknown[] = new Array(entries.length);
  const start = process.cpuUsage();
  let last = start;
  for (let i = 0; i < entries.length; i++) {
    replies[i] = machine.apply(i + 1, entries[i] as Uint8Array);
    const now = process.cpuUsage();
    micros[i] = now.user - last.user + now.system - last.system;
    last = now;
  }
  const total = process.cpuUsage(start);
  const byLabel: RoundResult['labels'] = {};
  const hash = createHash('sha1');
  for (let i = 0; i < entries.length; i++) {
    const entry = (byLabel[labels[i] as string] ??= { micros: 0, runs: 0, errors: 0 });
    entry.micros += micros[i] as number;
    entry.runs++;
    if ((replies[i] as { kind?: string }).kind === 'error') entry.errors++;
    hash.update(build.replyBytes(replies[i]));
  }
  const digest = machine.digest();
  return { totalMicros: total.user + total.system, labels: byLabel, replies: hash.digest('hex').slice(0, 16), keyspace: `${digest.keys} keys ${digest.hash}` };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function report(src: string, rounds: readonly RoundResult[], jobs: number): void {
  const first = rounds[0] as RoundResult;
  const perJob = rounds.map((r) => r.totalMicros / jobs);
  process.stdout.write(`\n${src}: CPU µs per job ${perJob.map((v) => v.toFixed(0)).join(', ')} (min ${Math.min(...perJob).toFixed(0)}, median ${median(perJob).toFixed(0)}); replies ${first.replies}, keyspace ${first.keyspace}\n`);
  const names = Object.keys(first.labels).sort((a, b) => (first.labels[b]?.micros ?? 0) - (first.labels[a]?.micros ?? 0));
  for (const name of names) {
    const runs = first.labels[name]?.runs ?? 0;
    const per = median(rounds.map((r) => (r.labels[name]?.micros ?? 0) / runs));
    const share = median(rounds.map((r) => (r.labels[name]?.micros ?? 0) / r.totalMicros));
    const errors = first.labels[name]?.errors ?? 0;
    process.stdout.write(`  ${name.padEnd(34)} ${String(runs).padStart(6)} runs ${per.toFixed(1).padStart(8)} µs/run ${(100 * share).toFixed(1).padStart(5)}%${errors > 0 ? `  (${errors} errors)` : ''}\n`);
  }
  const differing = rounds.filter((r) => r.replies !== first.replies || r.keyspace !== first.keyspace);
  if (differing.length > 0) throw new Error(`${src}: rounds disagree on replies or keyspace`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { src: { type: 'string', multiple: true }, rounds: { type: 'string', default: '5' }, passes: { type: 'string', default: '3' }, child: { type: 'string' } } });
  if (values.child !== undefined) {
    process.stdout.write(JSON.stringify(await round(values.child, Number(values.passes))));
    return;
  }
  const sources = values.src ?? ['dist/src'];
  const { header } = readFixture();
  const results = new Map<string, RoundResult[]>(sources.map((s) => [s, []]));
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const src of r % 2 === 0 ? sources : [...sources].reverse()) {
      const output = execFileSync(process.execPath, ['--import', 'tsx', resolve('bench/bullmq-apply.ts'), '--child', src, '--passes', values.passes], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      results.get(src)?.push(JSON.parse(output) as RoundResult);
      process.stderr.write('.');
    }
  }
  process.stdout.write(`\nfixture: ${header.jobs} BullMQ ${header.bullmq} jobs captured ${header.capturedAt}\n`);
  for (const [src, rounds] of results) report(src, rounds, header.jobs);
  const digests = new Set([...results.values()].map((rounds) => `${rounds[0]?.replies} ${rounds[0]?.keyspace}`));
  if (digests.size > 1) throw new Error('the builds disagree on replies or keyspace: a change altered what the scripts compute');
}

await main();
