// Throughput per command type (issue 15): the stock redis-benchmark's default tests (SET, GET,
// LPUSH, RPUSH, LPOP, RPOP, SADD, HSET, SPOP, ZADD, ZPOPMIN, LRANGE_100, LRANGE_600, MSET),
// one redis-benchmark process per test and in its default order (pops find what the pushes
// left), 50 clients, 100-byte values, random members among 100k, without pipelining and with
// -P 16, against a 3-node raftis cluster's leader and a redis-server with `appendfsync always`.
// The goal is about ratios inside one system's run: each type's write at least 1/1.5 of SET's.
// After them, issue 16's commands as redis-benchmark custom commands (CORE_TESTS): SETBIT and
// BITCOUNT on 8 KiB bitmaps, PFADD and PFCOUNT on one HyperLogLog, GEOADD and GEOSEARCH; and
// XADD to one stream, the type redis-benchmark has no test of (issue 20 compares it with SET).
// The load average is recorded at the start and end of each pass (the machine is shared).

import { keptSection, keptSectionLines } from './kept-section.js';
import { loadAverage, type MachineInfo } from './machine.js';
import { execRedisBenchmark, parseRedisBenchmarkRows, type RedisBenchmarkRow } from './pipelined.js';
import type { Progress } from './progress.js';

/**
 * Issue 16's commands and XADD, run after the default tests in this order as redis-benchmark custom
 * commands. Its __rand_int__ (zero-padded, so never a number argument: SETBIT would refuse
 * it as an offset) names keys and members; `keys` is its -r. SETBIT and BITCOUNT work on
 * 1,000 bitmaps of 8 KiB (bit 65535 set: long enough to be changed in place); PFADD adds to
 * one HyperLogLog (dense after a few thousand elements) that PFCOUNT counts; GEOADD adds
 * members at one point and GEOSEARCH asks for any 10 of them within 1 km; XADD appends an entry
 * with a generated id to one stream.
 */
export const CORE_TESTS: readonly { readonly name: string; readonly keys: number; readonly command: readonly string[] }[] = [
  { name: 'SETBIT', keys: 1000, command: ['SETBIT', 'bitmap:__rand_int__', '65535', '1'] },
  { name: 'BITCOUNT', keys: 1000, command: ['BITCOUNT', 'bitmap:__rand_int__'] },
  { name: 'PFADD', keys: 100_000, command: ['PFADD', 'hll', 'element:__rand_int__'] },
  { name: 'PFCOUNT', keys: 100_000, command: ['PFCOUNT', 'hll'] },
  { name: 'GEOADD', keys: 100_000, command: ['GEOADD', 'geo', '13.361389', '38.115556', 'member:__rand_int__'] },
  { name: 'GEOSEARCH', keys: 100_000, command: ['GEOSEARCH', 'geo', 'FROMLONLAT', '13.361389', '38.115556', 'BYRADIUS', '1', 'km', 'COUNT', '10', 'ANY'] },
  { name: 'XADD', keys: 100_000, command: ['XADD', 'stream', '*', 'field', 'value:__rand_int__'] },
];

export const TYPE_TESTS = ['set', 'get', 'lpush', 'rpush', 'lpop', 'rpop', 'sadd', 'hset', 'spop', 'zadd', 'zpopmin', 'lrange_100', 'lrange_600', 'mset'] as const;
/** The tests whose writes issue 15 compares with SET. */
export const TYPE_WRITE_TESTS: readonly string[] = ['LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'SADD', 'HSET', 'SPOP', 'ZADD', 'ZPOPMIN', 'XADD'];
/** Issue 15's goal: every type's write throughput within this factor of SET's. */
export const TYPE_WRITE_SLOWDOWN_MAX = 1.5;
export const TYPE_CLIENTS = 50;
export const TYPE_PIPELINE_DEPTH = 16;
export const TYPE_VALUE_BYTES = 100;
/** LRANGE_600 moves 60 KB per request: fewer requests keep its run as long as the others'. */
const LRANGE_REQUEST_SHARE = 0.25;
const TEST_TIMEOUT_MS = 300_000;
/** Requests of the unrecorded SET run that starts a pass, as a share of a test's. */
const WARMUP_REQUEST_SHARE = 0.25;
const SET_AGAIN = 'SET (again, end of pass)';
const SECTION = keptSection('TYPES', 'the types workload');

/** One system in one mode: every test's row, with the load around the pass. */
export interface TypePass {
  readonly system: string;
  readonly pipeline: number;
  readonly requests: number;
  readonly rows: RedisBenchmarkRow[];
  /** Server CPU time per request (all the system's processes, user + system) by test: less sensitive to a loaded machine than the rate. */
  readonly cpuMicrosPerRequest: Record<string, number>;
  /** redis-benchmark's own CPU time per request by test (the load generator's share); absent in older results. */
  readonly generatorCpuMicrosPerRequest?: Record<string, number>;
  readonly errors: string[];
  readonly loadAtStart: string;
  readonly loadAtEnd: string;
}

export interface TypesResult {
  readonly passes: TypePass[];
  readonly machine: MachineInfo;
  readonly commit: string;
  readonly commandLine: string;
}

export function typeBenchmarkArgs(port: number, test: string, requests: number, pipeline: number): string[] {
  const core = CORE_TESTS.find((t) => t.name === test);
  const common = ['-h', '127.0.0.1', '-p', String(port), '-c', String(TYPE_CLIENTS), '-n', String(requests), '-P', String(pipeline), '--csv'];
  if (core !== undefined) return [...common, '-r', String(core.keys), ...core.command];
  return [...common, '-t', test, '-d', String(TYPE_VALUE_BYTES), '-r', '100000'];
}

/** One test's rows and redis-benchmark's own CPU seconds (null when not read), or why it failed. */
async function runTest(port: number, test: string, requests: number, pipeline: number): Promise<{ rows: RedisBenchmarkRow[]; generatorCpuSeconds: number | null } | string> {
  const { error, stdout, stderr, cpuSeconds } = await execRedisBenchmark(typeBenchmarkArgs(port, test, requests, pipeline), TEST_TIMEOUT_MS);
  // A custom command's row is named by the whole command line: named here by the test.
  const rows = parseRedisBenchmarkRows(stdout).map((r) => (CORE_TESTS.some((t) => t.name === test) ? { ...r, test } : r));
  if (rows.some((r) => r.test.toLowerCase().startsWith(test.toLowerCase())) && !/ERR|WRONGTYPE/.test(stderr)) return { rows, generatorCpuSeconds: cpuSeconds };
  return `${test}: ${(error === null ? `no ${test} row in output, or errors: ${stdout} ${stderr}` : `${error.message} ${stderr}`).trim().slice(0, 300)}`;
}

/**
 * Runs `tests` (default: all) in order against `port`, one redis-benchmark per test, after an
 * unrecorded SET warm-up (connections, JIT, WAL files), and SET once more at the end: SET's
 * rate for the ratios is the mean of the two, so a drift of the machine's speed during the
 * pass does not favour the tests near either end.
 */
export async function runTypePass(
  system: string, port: number, requests: number, pipeline: number, progress: Progress, cpuSeconds: () => number | null,
  tests: readonly string[] = [...TYPE_TESTS, ...CORE_TESTS.map((t) => t.name)],
): Promise<TypePass> {
  const line = progress.start(`redis-benchmark ${system} -P ${pipeline}`);
  const loadAtStart = loadAverage();
  const rows: RedisBenchmarkRow[] = [];
  const cpuMicrosPerRequest: Record<string, number> = {};
  const generatorCpuMicrosPerRequest: Record<string, number> = {};
  const errors: string[] = [];
  line.update('warm-up');
  await runTest(port, 'set', Math.round(requests * WARMUP_REQUEST_SHARE), pipeline);
  for (const test of [...tests, 'set']) {
    line.update(test);
    const count = test.startsWith('lrange') ? Math.max(1000, Math.round(requests * LRANGE_REQUEST_SHARE)) : requests;
    const cpuBefore = cpuSeconds();
    const result = await runTest(port, test, count, pipeline);
    const cpuAfter = cpuSeconds();
    if (typeof result === 'string') {
      errors.push(result);
      continue;
    }
    const named = result.rows.map((r) => (r.test === 'SET' && rows.some((earlier) => earlier.test === 'SET') ? { ...r, test: SET_AGAIN } : r));
    rows.push(...named);
    // The LRANGE tests' own LPUSH run shares the measurement: the CPU goes to the last row (the test itself) only when it ran alone.
    const last = named.at(-1);
    if (named.length !== 1 || last === undefined) continue;
    if (cpuBefore !== null && cpuAfter !== null) cpuMicrosPerRequest[last.test] = ((cpuAfter - cpuBefore) * 1e6) / count;
    if (result.generatorCpuSeconds !== null) generatorCpuMicrosPerRequest[last.test] = (result.generatorCpuSeconds * 1e6) / count;
  }
  const pass = { system, pipeline, requests, rows, cpuMicrosPerRequest, generatorCpuMicrosPerRequest, errors, loadAtStart, loadAtEnd: loadAverage() };
  const set = setRate(pass);
  line.done(`SET ${set === null ? '–' : Math.round(set)}/s; slowest write vs SET: ${slowestWrite(pass) ?? '–'}`);
  return pass;
}

export function rateOf(pass: TypePass, test: string): number | null {
  return pass.rows.find((r) => r.test === test)?.requestsPerSecond ?? null;
}

/** CPU µs per request of SET: the mean of the pass's two SET runs (or the one there is). */
export function setCpu(pass: TypePass): number | null {
  const costs = [pass.cpuMicrosPerRequest.SET, pass.cpuMicrosPerRequest[SET_AGAIN]].filter((c): c is number => c !== undefined);
  return costs.length === 0 ? null : costs.reduce((a, b) => a + b, 0) / costs.length;
}

/** SET's rate for the ratios: the mean of the pass's two SET runs (or the one there is). */
export function setRate(pass: TypePass): number | null {
  const rates = [rateOf(pass, 'SET'), rateOf(pass, SET_AGAIN)].filter((r): r is number => r !== null);
  return rates.length === 0 ? null : rates.reduce((a, b) => a + b, 0) / rates.length;
}

/** The slowest type write of a pass and SET's rate over its rate; null when either is missing. */
export function slowestTypeWrite(pass: TypePass): { test: string; slowdown: number } | null {
  const set = setRate(pass);
  let worst: { test: string; rate: number } | null = null;
  for (const test of TYPE_WRITE_TESTS) {
    const rate = rateOf(pass, test);
    if (rate !== null && (worst === null || rate < worst.rate)) worst = { test, rate };
  }
  return set === null || worst === null ? null : { test: worst.test, slowdown: set / worst.rate };
}

/** "1.23× (ZADD)", or null. */
function slowestWrite(pass: TypePass): string | null {
  const worst = slowestTypeWrite(pass);
  return worst === null ? null : `${worst.slowdown.toFixed(2)}× (${worst.test})`;
}

const rate = (v: number | null): string => (v === null ? '–' : Math.round(v).toLocaleString('en-US'));

/** redis-benchmark's own CPU per request over the pass's tests ("load generator 2–5 µs/req"). */
function generatorRange(pass: TypePass): string {
  const costs = Object.values(pass.generatorCpuMicrosPerRequest ?? {});
  if (costs.length === 0) return 'load generator CPU not measured';
  return `load generator (redis-benchmark) ${Math.min(...costs).toFixed(1)}–${Math.max(...costs).toFixed(1)} µs/req`;
}

export function typesReportSection(reportPath: string, result: TypesResult | null): string[] {
  if (result === null) return keptSectionLines(reportPath, SECTION, null);
  const m = result.machine;
  const passes = result.passes;
  const tests = [...new Set(passes.flatMap((p) => p.rows.map((r) => r.test)))];
  const lines = ['## Throughput per command type (redis-benchmark default tests)', '',
    `- Command: \`${result.commandLine}\`, dist/ built from commit \`${result.commit}\`; machine: ${m.cores} cores, ${m.cpuModel}, ${m.memory} RAM, disk ${m.disk}, Node ${m.node}.`,
    `- \`redis-benchmark ${typeBenchmarkArgs(0, 'TEST', 0, 0).join(' ').replace('-p 0', '-p PORT').replace('-n 0', '-n N').replace('-P 0', '-P 1|16')}\`, one process per test in redis-benchmark's default order (LRANGE tests with a quarter of the requests; each is preceded by redis-benchmark's own "LPUSH (needed to benchmark LRANGE)"), against a 3-node raftis cluster's leader (default settings: every write fsynced on a majority, linearizable reads) and one redis-server (\`appendonly yes\`, \`appendfsync always\`). Each list, set, hash and sorted-set test works on one key, as redis-benchmark's do. "vs SET": SET's rate (the mean of the pass's first and last SET run; an unrecorded SET run warms each pass up) over the test's, in the same pass. "CPU µs/req": the server processes' CPU time (user + system, /proc/PID/stat, all three raftis nodes together) during the test's run over its requests: on a machine shared with other jobs it moves far less than the rate does (the LRANGE tests' runs include their LPUSH fill, so they have none). The goal for the type writes (${TYPE_WRITE_TESTS.join(', ')}) is ≤ ${TYPE_WRITE_SLOWDOWN_MAX}×.`,
    `- After them, issue 16's commands and XADD (streams have no redis-benchmark test) as redis-benchmark custom commands (\`-r\` names keys and members, never a number): ${CORE_TESTS.map((t) => `${t.name} \`${t.command.join(' ')}\` (-r ${t.keys.toLocaleString('en-US')})`).join('; ')}.`,
    '',
    `| test | ${passes.map((p) => `${p.system} -P ${p.pipeline} req/s (vs SET) | CPU µs/req`).join(' | ')} |`,
    `| --- |${' ---: | ---: |'.repeat(passes.length)}`,
    ...tests.map((test) => `| ${test} | ${passes.map((p) => {
      const value = rateOf(p, test);
      const set = setRate(p);
      const ratio = value === null || set === null || test === 'SET' || test === SET_AGAIN ? '' : ` (${(set / value).toFixed(2)}×${TYPE_WRITE_TESTS.includes(test) && set / value > TYPE_WRITE_SLOWDOWN_MAX ? ' **over**' : ''})`;
      const cpu = p.cpuMicrosPerRequest[test];
      return `${rate(value)}${ratio} | ${cpu === undefined ? '–' : cpu.toFixed(0)}`;
    }).join(' | ')} |`),
    '',
    ...passes.map((p) => `- ${p.system} -P ${p.pipeline} (${p.requests.toLocaleString('en-US')} requests per test): load average ${p.loadAtStart} at the start, ${p.loadAtEnd} at the end; slowest type write vs SET ${slowestWrite(p) ?? '–'}; ${generatorRange(p)}${p.errors.length > 0 ? `; errors: ${p.errors.join('; ')}` : ''}.`),
    ''];
  return keptSectionLines(reportPath, SECTION, lines);
}
