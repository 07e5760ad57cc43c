// Issue 17's scripting workloads, on a 3-node raftis cluster's leader and then on one
// redis-server (appendonly yes, appendfsync always), in one run:
//  - scripts: EVALSHA of a small read-modify-write script (GET, INCR and EXPIRE of one key
//    among 1,000) beside SET of 256 bytes on 1,000 other keys, with redis-benchmark at 1
//    client, 64 clients, and 50 clients with -P 16. SET and EVALSHA alternate, twice, so a
//    shared machine's drift falls on both; the goal is EVALSHA's rate within 1.5× of SET's.
//  - bullmq: jobs per second through BullMQ, driven by its own npm package (every add and
//    every step of a job is one of its Lua scripts): N jobs added with 16 adds in flight,
//    then processed by a worker of concurrency 16 (an empty processor), then N more added
//    and processed at once. Producer and worker connect to the leader.
// Each measurement also records the server processes' CPU time per request or job, which a
// busy machine moves far less than the rates.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { keptSection, keptSectionLines } from './kept-section.js';
import { loadAverage, type MachineInfo } from './machine.js';
import { parseRedisBenchmarkRows } from './pipelined.js';
import type { Progress } from './progress.js';
import { respCall } from './resp-client.js';
import { RMW_SCRIPT } from './rmw-script.js';

const RMW_SHA = createHash('sha1').update(RMW_SCRIPT).digest('hex');
const SCRIPT_KEYS = 1000;
/** EVALSHA's allowed slowdown against SET (issue 17). */
export const SCRIPT_SLOWDOWN_MAX = 1.5;
const ROUNDS = 2;
const BENCHMARK_TIMEOUT_MS = 300_000;
/** Adds in flight while adding, and the worker's concurrency. */
const BULLMQ_CONCURRENCY = 16;
const BULLMQ_TIMEOUT_MS = 600_000;
const SCRIPTS_SECTION = keptSection('SCRIPTS', 'the scripts workload');
const BULLMQ_SECTION = keptSection('BULLMQ', 'the bullmq workload');

export interface ScriptMode {
  readonly label: string;
  readonly clients: number;
  readonly pipeline: number;
  readonly requests: number;
}

/** The modes of the scripts workload, with the requests of each run. */
export function scriptModes(quick: boolean): ScriptMode[] {
  return [
    { label: '1 client', clients: 1, pipeline: 1, requests: quick ? 500 : 2000 },
    { label: '64 clients', clients: 64, pipeline: 1, requests: quick ? 5000 : 20_000 },
    { label: '50 clients, -P 16', clients: 50, pipeline: 16, requests: quick ? 20_000 : 100_000 },
  ];
}

export interface ScriptRun {
  readonly command: 'SET' | 'EVALSHA';
  readonly perSecond: number;
  /** Server CPU µs per request (all the system's processes), or null when unknown. */
  readonly cpuMicros: number | null;
}

export interface ScriptModeResult {
  readonly mode: ScriptMode;
  readonly runs: ScriptRun[];
}

export interface ScriptsPass {
  readonly system: string;
  readonly modes: ScriptModeResult[];
  readonly errors: string[];
  readonly loadAtStart: string;
  readonly loadAtEnd: string;
}

export interface JobsResult {
  readonly system: string;
  readonly jobs: number;
  readonly addPerSecond: number;
  readonly processPerSecond: number;
  readonly bothPerSecond: number;
  /** Server CPU ms per job over the three phases (an add and a processing each), or null when unknown. */
  readonly cpuMsPerJob: number | null;
  readonly loadAtStart: string;
  readonly loadAtEnd: string;
}

export interface ScriptsResult {
  readonly passes: ScriptsPass[];
  readonly machine: MachineInfo;
  readonly commit: string;
  readonly commandLine: string;
}

export interface BullmqResult {
  readonly systems: JobsResult[];
  readonly machine: MachineInfo;
  readonly commit: string;
  readonly commandLine: string;
}

function benchmarkArgs(port: number, command: 'SET' | 'EVALSHA', mode: ScriptMode): string[] {
  const common = ['-h', '127.0.0.1', '-p', String(port), '-c', String(mode.clients), '-n', String(mode.requests), '-P', String(mode.pipeline), '-r', String(SCRIPT_KEYS), '--csv'];
  // Apart: INCR refuses SET's values.
  return command === 'SET' ? [...common, 'SET', 'key:__rand_int__', 'v'.repeat(256)] : [...common, 'EVALSHA', RMW_SHA, '1', 'counter:__rand_int__'];
}

function runBenchmark(port: number, command: 'SET' | 'EVALSHA', mode: ScriptMode): Promise<number | string> {
  return new Promise((resolveRun) => {
    execFile('redis-benchmark', benchmarkArgs(port, command, mode), { timeout: BENCHMARK_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      const rate = parseRedisBenchmarkRows(stdout)[0]?.requestsPerSecond;
      if (error === null && rate !== undefined && !/ERR|NOSCRIPT/.test(stderr)) resolveRun(rate);
      else resolveRun(`${command} ${mode.label}: ${(error?.message ?? '')} ${stdout} ${stderr}`.trim().slice(0, 300));
    });
  });
}

/** SET and EVALSHA alternating, ROUNDS times per mode, on `port` (the script loaded first). */
export async function runScriptsPass(system: string, port: number, quick: boolean, progress: Progress, cpuSeconds: () => number | null): Promise<ScriptsPass> {
  const line = progress.start(`scripts ${system}`);
  const loadAtStart = loadAverage();
  await respCall(port, ['SCRIPT', 'LOAD', RMW_SCRIPT], 10_000);
  const errors: string[] = [];
  const modes: ScriptModeResult[] = [];
  for (const mode of scriptModes(quick)) {
    const runs: ScriptRun[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const command of ['SET', 'EVALSHA'] as const) {
        line.update(`${mode.label}: ${command} (round ${round + 1})`);
        const before = cpuSeconds();
        const rate = await runBenchmark(port, command, mode);
        const after = cpuSeconds();
        if (typeof rate === 'string') errors.push(rate);
        else runs.push({ command, perSecond: rate, cpuMicros: before === null || after === null ? null : ((after - before) * 1e6) / mode.requests });
      }
    }
    modes.push({ mode, runs });
  }
  const pass = { system, modes, errors, loadAtStart, loadAtEnd: loadAverage() };
  line.done(modes.map((m) => `${m.mode.label} ${slowdown(m)}`).join('; '));
  return pass;
}

const mean = (values: readonly number[]): number | null => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);

function meanOf(result: ScriptModeResult, command: 'SET' | 'EVALSHA', field: 'perSecond' | 'cpuMicros'): number | null {
  return mean(result.runs.filter((r) => r.command === command).map((r) => r[field]).filter((v): v is number => v !== null));
}

/** SET's mean rate over EVALSHA's, as "1.23×". */
function slowdown(result: ScriptModeResult): string {
  const set = meanOf(result, 'SET', 'perSecond');
  const script = meanOf(result, 'EVALSHA', 'perSecond');
  return set === null || script === null ? '–' : `${(set / script).toFixed(2)}×`;
}

/** Resolves once `condition` holds, checking every 20 ms; rejects after the deadline. */
async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = performance.now() + BULLMQ_TIMEOUT_MS;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`bullmq: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Adds `jobs` jobs to `queue`, BULLMQ_CONCURRENCY adds in flight. */
async function addJobs(queue: Queue, jobs: number): Promise<void> {
  let next = 0;
  const adder = async (): Promise<void> => {
    while (next < jobs) await queue.add('job', { n: next++ });
  };
  await Promise.all(Array.from({ length: BULLMQ_CONCURRENCY }, adder));
}

/** A worker on `name` that completes every job at once; counts completions. */
function startWorker(name: string, port: number): { worker: Worker; completed: () => number } {
  let completed = 0;
  const worker = new Worker(name, async () => null, { connection: { host: '127.0.0.1', port, maxRetriesPerRequest: null }, concurrency: BULLMQ_CONCURRENCY });
  worker.on('completed', () => completed++);
  return { worker, completed: () => completed };
}

/** Jobs per second through BullMQ on `port`: add, process, and both at once. */
export async function runJobs(system: string, port: number, jobs: number, progress: Progress, cpuSeconds: () => number | null): Promise<JobsResult> {
  const line = progress.start(`bullmq ${system}`);
  const loadAtStart = loadAverage();
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const stamp = Date.now().toString(36);
  const cpuBefore = cpuSeconds();
  const queue = new Queue(`bench-${stamp}`, { connection });
  line.update(`adding ${jobs} jobs`);
  let started = performance.now();
  await addJobs(queue, jobs);
  const addPerSecond = jobs / ((performance.now() - started) / 1000);
  line.update(`processing ${jobs} jobs`);
  started = performance.now();
  const first = startWorker(queue.name, port);
  await waitFor('the jobs to complete', () => first.completed() >= jobs);
  const processPerSecond = jobs / ((performance.now() - started) / 1000);
  await first.worker.close();
  line.update(`adding and processing ${jobs} jobs at once`);
  const both = new Queue(`bench-both-${stamp}`, { connection });
  const second = startWorker(both.name, port);
  started = performance.now();
  await addJobs(both, jobs);
  await waitFor('the jobs to complete', () => second.completed() >= jobs);
  const bothPerSecond = jobs / ((performance.now() - started) / 1000);
  const cpuAfter = cpuSeconds();
  await Promise.all([second.worker.close(), queue.obliterate({ force: true }), both.obliterate({ force: true })]);
  await Promise.all([queue.close(), both.close()]);
  const result: JobsResult = {
    system, jobs, addPerSecond, processPerSecond, bothPerSecond, loadAtStart, loadAtEnd: loadAverage(),
    cpuMsPerJob: cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1000) / (2 * jobs),
  };
  line.done(`add ${Math.round(addPerSecond)}/s, process ${Math.round(processPerSecond)}/s, both ${Math.round(bothPerSecond)}/s`);
  return result;
}

const rate = (v: number | null): string => (v === null ? '–' : Math.round(v).toLocaleString('en-US'));
const cpu = (v: number | null, digits = 0): string => (v === null ? '–' : v.toFixed(digits));

export function scriptsReportSection(reportPath: string, result: ScriptsResult | null): string[] {
  if (result === null) return keptSectionLines(reportPath, SCRIPTS_SECTION, null);
  const m = result.machine;
  const lines = ['## Scripts: EVALSHA against SET (issue 17)', '',
    `- Command: \`${result.commandLine}\`, dist/ built from commit \`${result.commit}\`; machine: ${m.cores} cores, ${m.cpuModel}, ${m.memory} RAM, disk ${m.disk}, Node ${m.node}.`,
    `- \`EVALSHA\` of \`${RMW_SCRIPT}\` with one key among ${SCRIPT_KEYS.toLocaleString('en-US')} (\`-r ${SCRIPT_KEYS}\`), beside \`SET\` of 256 bytes on as many keys of its own, with redis-benchmark against a 3-node raftis cluster's leader (default settings) and one redis-server (\`appendonly yes\`, \`appendfsync always\`). Per mode, SET and EVALSHA alternate ${ROUNDS} times; the rates are the runs' means. "SET ÷ EVALSHA": the goal is ≤ ${SCRIPT_SLOWDOWN_MAX}×. "CPU µs/req": the server processes' CPU time (all three raftis nodes together) over the run's requests.`,
    '',
    '| system | mode | SET/s | EVALSHA/s | SET ÷ EVALSHA | CPU µs/req SET | CPU µs/req EVALSHA |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...result.passes.flatMap((p) => p.modes.map((r) => {
      const ratio = slowdown(r);
      const over = p.system === 'raftis' && ratio !== '–' && Number(ratio.slice(0, -1)) > SCRIPT_SLOWDOWN_MAX ? ' **over**' : '';
      return `| ${p.system} | ${r.mode.label} (${r.mode.requests.toLocaleString('en-US')} req) | ${rate(meanOf(r, 'SET', 'perSecond'))} | ${rate(meanOf(r, 'EVALSHA', 'perSecond'))} | ${ratio}${over} | ${cpu(meanOf(r, 'SET', 'cpuMicros'))} | ${cpu(meanOf(r, 'EVALSHA', 'cpuMicros'))} |`;
    })),
    '',
    ...result.passes.map((p) => `- ${p.system}: load average ${p.loadAtStart} at the start, ${p.loadAtEnd} at the end${p.errors.length > 0 ? `; errors: ${p.errors.join('; ')}` : ''}.`),
    ''];
  return keptSectionLines(reportPath, SCRIPTS_SECTION, lines);
}

export function bullmqReportSection(reportPath: string, result: BullmqResult | null): string[] {
  if (result === null) return keptSectionLines(reportPath, BULLMQ_SECTION, null);
  const m = result.machine;
  const lines = ['## BullMQ jobs per second (issue 17)', '',
    `- Command: \`${result.commandLine}\`, dist/ built from commit \`${result.commit}\`; machine: ${m.cores} cores, ${m.cpuModel}, ${m.memory} RAM, disk ${m.disk}, Node ${m.node}.`,
    `- BullMQ's own npm package (its Lua scripts: every add, every move to active and to completed is one EVALSHA) against a 3-node raftis cluster's leader (default settings) and one redis-server (\`appendonly yes\`, \`appendfsync always\`): N jobs added with ${BULLMQ_CONCURRENCY} \`queue.add\` calls in flight; then a Worker of concurrency ${BULLMQ_CONCURRENCY} with an empty processor completes them; then N more added while a worker processes them ("both": until the last completes). "CPU ms/job": the server processes' CPU time over the three phases, per job added and processed.`,
    '',
    '| system | jobs | add jobs/s | process jobs/s | add + process at once, jobs/s | CPU ms/job |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...result.systems.map((s) => `| ${s.system} | ${s.jobs.toLocaleString('en-US')} | ${rate(s.addPerSecond)} | ${rate(s.processPerSecond)} | ${rate(s.bothPerSecond)} | ${cpu(s.cpuMsPerJob, 2)} |`),
    '',
    ...result.systems.map((s) => `- ${s.system}: load average ${s.loadAtStart} at the start, ${s.loadAtEnd} at the end.`),
    ''];
  return keptSectionLines(reportPath, BULLMQ_SECTION, lines);
}
