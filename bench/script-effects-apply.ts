// What a follower's apply would cost under deferred effects (docs/internals/scripting.md,
// "Deferred effects"), in-process: the state machine applies the same entries three ways,
// each on a new state machine: running the scripts (today, on every node), running them while
// recording their effects (the leader under the lever), and replaying recorded effects instead
// of running them (a follower under the lever); beside a plain SET and the kept calls as plain entries. Workloads: EVALSHA of issue
// 17's GET + INCR + EXPIRE on 1,000 keys with a pipelining client's request ids, and the log of
// a real BullMQ run (bench/fixtures/bullmq-jobs.jsonl.gz). Each way is measured in a process of
// its own (one process switching ways runs the JIT's code for one way in the other's state),
// the ways alternating over the rounds. Prints CPU µs per apply (user + system of the child;
// in each child the minimum of its passes after the first, which warms the JIT), the minimum
// and every round's figure:
//   node --import tsx bench/script-effects-apply.ts [--src DIR] [--rounds N]
// DIR is a checkout's built dist/src (default: what runs on a node; tsx's transform of src/
// adds a name-setting call to every closure made, which scripts make per run) or src/.

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { KvStateMachine } from '../src/kv/state-machine.js';
import type { encodeCommand as EncodeCommand } from '../src/kv/command-codec.js';
import type { ScriptEffects } from '../src/kv/script/script-effects.js';
import { TIME_MS } from './in-process.js';
import { RMW_SCRIPT } from './rmw-script.js';
import { fixtureArgv, readFixture } from './bullmq-fixture.js';

const APPLIES = 40_000;

interface Build {
  readonly machine: () => KvStateMachine;
  readonly encode: typeof EncodeCommand;
}

async function load(srcDir: string): Promise<Build> {
  const src = resolve(srcDir);
  const ext = existsSync(`${src}/kv/state-machine.js`) ? 'js' : 'ts';
  const kv = (await import(pathToFileURL(`${src}/kv/state-machine.${ext}`).href)) as { KvStateMachine: new () => KvStateMachine };
  const codec = (await import(pathToFileURL(`${src}/kv/command-codec.${ext}`).href)) as { encodeCommand: typeof EncodeCommand };
  return { machine: () => new kv.KvStateMachine(), encode: codec.encodeCommand };
}
const KEYS = 1000;

interface Workload {
  readonly name: string;
  /** Entries applied first, untimed (SCRIPT LOAD). */
  readonly setup: readonly Uint8Array[];
  readonly entries: readonly Uint8Array[];
  /** What one applied entry counts as in the printed figure (a BullMQ job is several entries). */
  readonly per: number;
}

function pipelined(encodeCommand: typeof EncodeCommand, argv: (i: number) => readonly string[]): Uint8Array[] {
  return Array.from({ length: APPLIES }, (_, i) => {
    const seq = i + 2;
    return encodeCommand({ origin: 'n1/boot', client: 1, seq, firstUnanswered: Math.max(1, seq - 32), time: TIME_MS + i, argv: argv(i).map((a) => Buffer.from(a)) });
  });
}

function workloads({ encode: encodeCommand }: Build): Workload[] {
  const sha = createHash('sha1').update(RMW_SCRIPT).digest('hex');
  const load = encodeCommand({ origin: 'n1/boot', client: 1, seq: 1, firstUnanswered: 1, time: TIME_MS, argv: ['SCRIPT', 'LOAD', RMW_SCRIPT].map((a) => Buffer.from(a)) });
  const { header, commands } = readFixture();
  return [
    { name: 'EVALSHA GET + INCR + EXPIRE', setup: [load], entries: pipelined(encodeCommand, (i) => ['EVALSHA', sha, '1', `key:${i % KEYS}`]), per: 1 },
    { name: 'SET', setup: [], entries: pipelined(encodeCommand, (i) => ['SET', `key:${i % KEYS}`, 'value']), per: 1 },
    // The script's kept calls as two plain entries: what replaying costs without the script entry around them.
    { name: 'INCR, EXPIRE (two entries)', setup: [], entries: pipelined(encodeCommand, (i) => (i % 2 === 0 ? ['INCR', `key:${(i / 2) % KEYS}`] : ['EXPIRE', `key:${((i - 1) / 2) % KEYS}`, '100'])), per: 2 },
    { name: 'BullMQ log, per job', setup: [], entries: commands.map((c) => encodeCommand({ ...c, argv: fixtureArgv(c) })), per: commands.length / header.jobs },
  ];
}

type Way = 'run' | 'record' | 'replay';

/** CPU µs per entry (times `per`) of applying `workload` one way on a new state machine. */
function measure(build: Build, workload: Workload, way: Way, recorded: readonly (readonly ScriptEffects[])[]): number {
  const machine = build.machine();
  let index = 1;
  for (const data of workload.setup) machine.apply(index++, data);
  const first = index;
  const start = process.cpuUsage();
  if (way === 'run') for (const data of workload.entries) machine.apply(index++, data);
  else if (way === 'record') for (const data of workload.entries) machine.applyRecording(index++, data);
  else for (const data of workload.entries) machine.applyReplaying(index, data, recorded[index++ - first] ?? []);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) / workload.entries.length) * workload.per;
}

/** Each entry's recorded effects, from one recording pass. */
function record(build: Build, workload: Workload): ScriptEffects[][] {
  const machine = build.machine();
  let index = 1;
  for (const data of workload.setup) machine.apply(index++, data);
  return workload.entries.map((data) => {
    const { effects } = machine.applyRecording(index++, data);
    if (effects === null) throw new Error(`${workload.name}: entry ${index - 1} has no record (a run kept more than scriptEffectsCallsMax calls)`);
    return [...effects];
  });
}

/** Passes one child makes of its workload and way (the first warms the JIT). */
const CHILD_PASSES = 3;

/** In a child: the µs per apply of one workload one way, the minimum of its passes after the first. */
function child(build: Build, workloadName: string, way: Way): number {
  const workload = workloads(build).find((w) => w.name === workloadName);
  if (workload === undefined) throw new Error(`no workload ${workloadName}`);
  const recorded = way === 'replay' ? record(build, workload) : [];
  const passes = Array.from({ length: CHILD_PASSES }, () => measure(build, workload, way, recorded));
  return Math.min(...passes.slice(1));
}

/** The calls each workload's script runs keep, for the printout. */
function describe(build: Build): void {
  for (const workload of workloads(build)) {
    const runs = record(build, workload).flat();
    if (runs.length === 0) continue;
    const calls = runs.reduce((sum, run) => sum + run.calls.length, 0);
    process.stdout.write(`${workload.name}: ${runs.length} script runs keep ${(calls / runs.length).toFixed(1)} calls each\n`);
  }
}

const WAYS: readonly (readonly [string, Way])[] = [
  ['EVALSHA GET + INCR + EXPIRE', 'run'], ['EVALSHA GET + INCR + EXPIRE', 'record'], ['EVALSHA GET + INCR + EXPIRE', 'replay'], ['SET', 'run'], ['INCR, EXPIRE (two entries)', 'run'],
  ['BullMQ log, per job', 'run'], ['BullMQ log, per job', 'record'], ['BullMQ log, per job', 'replay'],
];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { src: { type: 'string', default: 'dist/src' }, rounds: { type: 'string', default: '5' }, child: { type: 'string' }, way: { type: 'string' } } });
  const build = await load(values.src);
  if (values.child !== undefined) {
    process.stdout.write(`${child(build, values.child, values.way as Way)}\n`);
    return;
  }
  describe(build);
  const runs = new Map<string, number[]>();
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [workload, way] of WAYS) {
      const args = [...process.execArgv, fileURLToPath(import.meta.url), '--src', values.src, '--child', workload, '--way', way];
      const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`${workload} ${way}: ${result.stderr}`);
      const name = `${workload}: ${way}`;
      runs.set(name, [...(runs.get(name) ?? []), Number(result.stdout.trim())]);
    }
  }
  for (const [name, us] of runs) process.stdout.write(`${name.padEnd(40)} min ${Math.min(...us).toFixed(2)} µs (${us.map((u) => u.toFixed(2)).join(', ')})\n`);
}

await main();
