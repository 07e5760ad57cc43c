// `raftis cluster up`: starts N node processes on consecutive ports, prints how to connect,
// serves commands on every node, comes back with its data when started again on the same
// directory, and on SIGTERM stops every node and exits.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PORT_OFFSET, ClusterUp, alive, call, freeBasePort } from '../support/cluster-up.js';
import { waitFor } from '../support/wait.js';

const NODES = 3;

describe('raftis cluster up', () => {
  let root: string;
  let base: number;
  const started: ClusterUp[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'raftis-cluster-up-'));
    base = await freeBasePort(NODES);
  });

  after(async () => {
    for (const run of started) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  async function upAndServing(dataDir: string): Promise<{ run: ClusterUp; pids: number[] }> {
    const run = new ClusterUp(NODES, base, dataDir, ['--log-level', 'info']);
    started.push(run);
    await run.waitUp();
    for (let i = 0; i < NODES; i++) {
      const admin = base + i + ADMIN_PORT_OFFSET;
      assert.match(run.stdout, new RegExp(`^  n${i + 1}: redis-cli -p ${base + i}   dashboard http://127\\.0\\.0\\.1:${admin}/$`, 'm'), `connect line for n${i + 1}`);
      // Healthy once the node knows the leader: "cluster up" is printed when one node does.
      await waitFor(`n${i + 1}'s admin HTTP health`, async () => (await fetch(`http://127.0.0.1:${admin}/health`)).status === 200);
    }
    assert.match(run.stdout, new RegExp(`${NODES}-node cluster up \\(leader n\\d\\)`));
    const pids: number[] = [];
    for (let i = 0; i < NODES; i++) {
      const info = await call(base + i, 'INFO', 'server');
      const pid = /process_id:(\d+)/.exec(String(info))?.[1];
      assert.ok(pid !== undefined, `INFO server of n${i + 1}: ${String(info)}`);
      pids.push(Number(pid));
    }
    assert.equal(new Set(pids).size, NODES, 'one process per node');
    assert.ok(!pids.includes(run.child.pid ?? -1), 'nodes run in child processes');
    return { run, pids };
  }

  async function stop(run: ClusterUp, pids: number[]): Promise<void> {
    await run.stop();
    assert.match(run.stdout, /SIGTERM: stopping 3 nodes gracefully/);
    await waitFor('every node process to be gone', () => pids.every((pid) => !alive(pid)), { timeoutMs: 10_000 });
  }

  it('starts, serves every node, restarts on its data and stops all nodes on SIGTERM', async () => {
    const dataDir = join(root, 'data');
    const first = await upAndServing(dataDir);
    assert.equal(await call(base + 1, 'SET', 'up:key', 'written-on-n2'), 'OK');
    assert.equal(await call(base + 2, 'GET', 'up:key'), 'written-on-n2');
    assert.equal(await call(base, 'INCR', 'up:n'), 1);
    await stop(first.run, first.pids);

    const second = await upAndServing(dataDir);
    for (let i = 0; i < NODES; i++) assert.equal(await call(base + i, 'GET', 'up:key'), 'written-on-n2', `n${i + 1} kept the data`);
    assert.equal(await call(base + 2, 'INCR', 'up:n'), 2);
    await stop(second.run, second.pids);
  });
});
