// redis-benchmark, unchanged, against a 3-node cluster: SET, GET, INCR and MSET through the
// leader and through a follower, with and without pipelining (-P 16). Each run must exit 0
// with no error reply (redis-benchmark 7 stops at the first one), every acknowledged INCR
// must be counted exactly once, and the replicas must converge (equal RAFT.DIGEST).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { missingTool } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

const skip = missingTool('redis-benchmark');
const REQUESTS = 2000;
const TESTS = ['SET', 'GET', 'INCR', 'MSET (10 keys)'];
const BENCHMARK_TIMEOUT_MS = 120_000;

interface BenchmarkRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function benchmark(port: number, extra: readonly string[]): Promise<BenchmarkRun> {
  const args = ['-p', String(port), '-t', 'set,get,incr,mset', '-n', String(REQUESTS), '-c', '20', '--csv', ...extra];
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', args, { timeout: BENCHMARK_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      if (code === null) reject(new Error(`redis-benchmark ${args.join(' ')}: ${error?.message ?? ''}\n${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** The CSV rows by test name: "test","rps",... */
function parseCsv(stdout: string): Map<string, number> {
  const lines = stdout.trim().split('\n').map((l) => l.split(',').map((cell) => cell.replace(/^"|"$/g, '')));
  assert.deepEqual(lines[0]?.slice(0, 2), ['test', 'rps'], `CSV header: ${stdout}`);
  return new Map(lines.slice(1).map(([name, rps]) => [name ?? '', Number(rps)]));
}

describe('redis-benchmark against a 3-node cluster', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  let leader: string;
  let follower: string;
  let incrRuns = 0;

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster, leader, followers: [follower = ''] } = started));

  for (const [target, extra] of [['leader', []], ['follower', []], ['follower', ['-P', '16']]] as const) {
    it(`runs SET/GET/INCR/MSET through the ${target}${extra.length > 0 ? ` with ${extra.join(' ')}` : ''} with no errors`, async () => {
      const id = target === 'leader' ? leader : follower;
      const run = await benchmark(cluster.node(id).port, extra);
      assert.equal(run.code, 0, `redis-benchmark exited ${run.code}: ${run.stderr}${run.stdout}`);
      assert.doesNotMatch(run.stdout + run.stderr, /Error from server/);
      const rows = parseCsv(run.stdout);
      assert.deepEqual([...rows.keys()], TESTS);
      for (const [name, rps] of rows) assert.ok(rps > 0, `${name} reports a rate: ${rps}`);
      incrRuns++;
    });
  }

  it('counted every INCR exactly once and converged on every node', async () => {
    assert.equal(incrRuns, 3, 'all benchmark runs completed');
    // Without -r, redis-benchmark's INCR always hits the literal key counter:__rand_int__.
    const expected = String(REQUESTS * incrRuns);
    for (const node of cluster.nodes) assert.equal(await cluster.call(node.id, ['GET', 'counter:__rand_int__']), expected, `${node.id} counter`);
    assert.equal(await cluster.call(leader, ['STRLEN', 'key:__rand_int__']), 3, 'SET wrote a value of the default 3 bytes');
    await waitFor('equal RAFT.DIGEST on every node', async () => {
      const digests = await Promise.all(cluster.nodes.map((n) => cluster.call(n.id, ['RAFT.DIGEST'])));
      return digests.every((d) => Array.isArray(d) && JSON.stringify(d) === JSON.stringify(digests[0]));
    }, { timeoutMs: 20_000 });
    assert.deepEqual(cluster.crashes(), []);
  });
});
