// Redis's own test suite (7.0.15, run by ../shared/redis-tests/run.sh) against a real 3-node
// cluster, on the leader and on a follower: each file must pass at least what
// docs/compatibility.md records for raftis, and no file may abort. It takes longer than the
// default test run allows, so it runs on its own: `npm run test:redis-suite` (CI runs it
// after `npm test`). The table is the one
// source of the expected counts: a regression fails here, an improvement is a reminder
// to raise the table. Each file starts from the state the cluster started with
// (suite-isolation.ts): a file's leftovers, replicated or not, never reach the next one.
// Skipped when the suite or tclsh is not on this machine.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { captureBaseline, restoreBaseline, type Baseline } from './suite-isolation.js';

const COMPATIBILITY_DOC = resolve('docs/compatibility.md');
/** Wall-clock limit for one file, seconds (run.sh's FILE_TIMEOUT). */
const FILE_TIMEOUT_SECONDS = 1200;
/**
 * How long a file may go without progress, seconds (run.sh's RUNTEST_TIMEOUT): longer than
 * Redis's 120 s, because one test can make tens of thousands of replicated writes in a row.
 */
const NO_PROGRESS_TIMEOUT_SECONDS = 600;
/**
 * The harness's own ports (run.sh's BASEPORT, which uses the 32 below it) for the leader run;
 * the follower run takes the 200 above. RAFTIS_SUITE_BASEPORT moves them, for runs beside
 * another one.
 */
const HARNESS_BASE_PORT = Number(process.env['RAFTIS_SUITE_BASEPORT'] ?? 12_100);
/** RAFTIS_SUITE_FILES=unit/a,unit/b runs only those rows of the table (while working on them). */
const ONLY_FILES = process.env['RAFTIS_SUITE_FILES']?.split(',').filter((file) => file !== '') ?? null;

interface Expected {
  readonly file: string;
  readonly redis: number;
  readonly leader: number;
  readonly follower: number;
  /**
   * Tags run.sh's default filter leaves out that this file runs with (a row's
   * `` `unit/x` (with `needs:latency`) ``): its Redis count was measured with them too.
   */
  readonly withTags: readonly string[];
}

interface Outcome {
  readonly passed: number;
  readonly failed: number;
  readonly aborted: string;
  readonly line: string;
}

function suiteDirectory(): string | null {
  const candidates = [process.env['RAFTIS_REDIS_TESTS'], resolve('..', 'shared', 'redis-tests'), '/work/shared/redis-tests'];
  return candidates.find((path): path is string => path !== undefined && existsSync(join(path, 'run.sh'))) ?? null;
}

function tclAvailable(): boolean {
  return ['/usr/bin/tclsh8.6', '/usr/bin/tclsh'].some((path) => existsSync(path));
}

/** The rows of the table under "## Redis's test suite" in docs/compatibility.md. */
export function expectedCounts(markdown: string): Expected[] {
  const rows: Expected[] = [];
  for (const line of markdown.split('\n')) {
    const match = /^\| `(unit\/[\w/-]+)`(?: \(with ((?:`[\w:-]+`(?:, )?)+)\))? \| (\d+) \| (\d+) \| (\d+) \|/.exec(line);
    if (match === null) continue;
    const withTags = [...(match[2] ?? '').matchAll(/`([\w:-]+)`/g)].map((tag) => tag[1] as string);
    rows.push({ file: match[1] as string, redis: Number(match[3]), leader: Number(match[4]), follower: Number(match[5]), withTags });
  }
  return rows;
}

/**
 * run.sh's tag filter with `withTags` admitted: its default (read from run.sh, which owns it)
 * without their `-tag` entries. Undefined when there are none: run.sh's own default applies.
 */
export function tagFilter(runScript: string, withTags: readonly string[]): string | undefined {
  if (withTags.length === 0) return undefined;
  const fallback = /^TAGS=\$\{TAGS:-"([^"]*)"\}/m.exec(runScript)?.[1];
  if (fallback === undefined) throw new Error('run.sh has no default TAGS line to start from');
  return fallback.split(/\s+/).filter((tag) => tag !== '' && !withTags.includes(tag.replace(/^-/, ''))).join(' ');
}

function runFile(suite: string, port: number, row: Expected, basePort: number): Promise<Outcome | undefined> {
  const file = row.file;
  const tags = tagFilter(readFileSync(join(suite, 'run.sh'), 'utf8'), row.withTags);
  return new Promise((resolveRun, reject) => {
    const env = {
      ...process.env, BASEPORT: String(basePort), FILE_TIMEOUT: String(FILE_TIMEOUT_SECONDS), RUNTEST_TIMEOUT: String(NO_PROGRESS_TIMEOUT_SECONDS),
      ...(tags === undefined ? {} : { TAGS: tags }),
    };
    execFile(join(suite, 'run.sh'), ['127.0.0.1', String(port), file], { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      let outcome: Outcome | undefined;
      for (const line of stdout.split('\n')) {
        const match = /^(\S+) passed=(\d+) failed=(\d+) ignored=\d+ aborted=(\S+)/.exec(line);
        if (match !== null && match[1] === file) outcome = { passed: Number(match[2]), failed: Number(match[3]), aborted: match[4] as string, line };
      }
      // run.sh exits 1 when any test failed: the counts decide here, not the exit code.
      if (outcome === undefined && error !== null) reject(error);
      else resolveRun(outcome);
    });
  });
}

/**
 * A memory-backed directory (/dev/shm) for the cluster's data when the machine has one. The
 * suite measures what commands do, not durability (the crash and disk-fault tests of the
 * default run do, on the real disk); on this machine's disk a write's fsync is most of a
 * replicated write's wait, and the suite's files make hundreds of thousands of writes one after
 * another (unit/type/list-2 took 104 s on disk, 53 s in memory). RAFTIS_SUITE_ON_DISK=1 keeps it on the temporary directory.
 */
function memoryBackedDirectory(): string | undefined {
  if (process.env['RAFTIS_SUITE_ON_DISK'] === '1') return undefined;
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return undefined;
  }
}

const suite = suiteDirectory();
const skip = suite === null ? 'Redis test suite not found (set RAFTIS_REDIS_TESTS)' : !tclAvailable() ? 'tclsh is not installed (apt-get install tcl8.6)' : false;
if (skip !== false) console.log(`# SKIP redis-suite: ${skip}`);

describe('Redis 7.0.15 test suite against a 3-node cluster', { skip }, () => {
  let cluster: TestCluster;
  let leaderPort: number;
  let followerPort: number;
  /** Each node's settings and the users at the start, put back before every file. */
  let baseline: Baseline[];
  const table = existsSync(COMPATIBILITY_DOC) ? expectedCounts(readFileSync(COMPATIBILITY_DOC, 'utf8')) : [];
  const expected = ONLY_FILES === null ? table : table.filter((row) => ONLY_FILES.includes(row.file));

  before(async () => {
    // DEBUG on, as the rows that admit `needs:debug` were measured; for the other files
    // run.sh's default filter keeps their needs:debug tests out as before.
    cluster = await TestCluster.start({ nodes: 3, args: ['--enable-debug-command', 'yes'], dataParent: memoryBackedDirectory() });
    const leader = await cluster.waitForLeader();
    leaderPort = cluster.node(leader).port;
    followerPort = (cluster.nodes.find((node) => node.id !== leader) ?? cluster.node(leader)).port;
    baseline = await Promise.all(nodeCalls().map((call) => captureBaseline(call)));
  });

  function nodeCalls(): ((argv: readonly string[]) => Promise<unknown>)[] {
    return cluster.nodes.map((node) => (argv: readonly string[]) => cluster.call(node.id, argv));
  }

  after(async () => {
    await cluster?.stop();
  });

  it('docs/compatibility.md lists the files with their counts', () => {
    assert.ok(expected.length > 0, `no rows found in ${COMPATIBILITY_DOC}`);
    for (const row of expected) assert.ok(row.leader <= row.redis && row.follower <= row.redis, `${row.file}: more than Redis passes?`);
  });

  for (const role of ['leader', 'follower'] as const) {
    it(`passes at least the recorded counts on the ${role}, with no file aborted`, { timeout: 60 * 60 * 1000 }, async () => {
      const problems: string[] = [];
      const better: string[] = [];
      for (const row of expected) {
        const restored = await restoreBaseline(nodeCalls(), baseline);
        if (restored.length > 0) console.log(`# redis-suite: before ${row.file} on the ${role}, settings put back: ${restored.join(' ')}`);
        // A base port per role, below the ephemeral range, away from the cluster's own ports.
        const outcome = await runFile(suite as string, role === 'leader' ? leaderPort : followerPort, row, HARNESS_BASE_PORT + (role === 'leader' ? 0 : 200));
        const floor = row[role];
        console.log(`# redis-suite on the ${role}: ${outcome?.line ?? `${row.file}: no result`}`);
        if (outcome === undefined) problems.push(`${row.file}: no result`);
        else if (outcome.aborted !== 'no') problems.push(`${row.file}: aborted (${outcome.aborted}): ${outcome.line}`);
        else if (outcome.passed < floor) problems.push(`${row.file}: ${outcome.passed} passed, docs/compatibility.md records ${floor}: ${outcome.line}`);
        else if (outcome.passed > floor) better.push(`${row.file}: ${outcome.passed} (table: ${floor})`);
      }
      if (better.length > 0) console.log(`# redis-suite on the ${role}: more pass than docs/compatibility.md records; raise the table: ${better.join('; ')}`);
      assert.deepEqual(problems, []);
      for (const node of cluster.nodes) assert.equal(await cluster.call(node.id, ['PING']), 'PONG', `${node.id} still serves`);
      assert.deepEqual(cluster.crashes(), []);
    });
  }
});
