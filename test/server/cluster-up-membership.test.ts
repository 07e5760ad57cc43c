// `raftis cluster add-node` / `remove-node` against a running `raftis cluster up`, as a user
// does it from a second terminal: add-node starts n4 on the next ports and it joins as a
// voter; remove-node removes the leader and stops its process; the cluster keeps serving,
// and starting `cluster up` again brings back exactly the nodes it had.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Resp } from '../support/raw-resp.js';
import { ClusterUp, MAIN, alive, call, freeBasePort } from '../support/cluster-up.js';
import { waitFor } from '../support/wait.js';

/** Client ports the test may use: three nodes and the one add-node starts. */
const SLOTS = 4;

/** Runs `raftis cluster …` to completion, as a user in a second terminal. */
function cli(...argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [MAIN, 'cluster', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('close', (code) => resolveRun({ code, stdout, stderr })); // after the pipes drain
  });
}


/** id → role, from RAFT.NODES asked of the node on `port`. */
async function roles(port: number): Promise<Map<string, string>> {
  const reply = await call(port, 'RAFT.NODES');
  if (!Array.isArray(reply)) throw new Error(`RAFT.NODES: ${String(reply)}`);
  return new Map(reply.map((row) => {
    const fields = (row as Resp[]).map(String);
    return [fields[fields.indexOf('id') + 1] ?? '', fields[fields.indexOf('role') + 1] ?? ''];
  }));
}

async function pidOf(port: number): Promise<number> {
  const info = String(await call(port, 'INFO', 'server'));
  return Number(/process_id:(\d+)/.exec(info)?.[1]);
}


describe('raftis cluster add-node / remove-node', () => {
  let root: string;
  let base: number;
  const started: ClusterUp[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'raftis-cluster-grow-'));
    base = await freeBasePort(SLOTS);
  });

  after(() => {
    for (const run of started) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('grows the local cluster by a node, removes the leader, and restarts with the nodes it has', async () => {
    const dataDir = join(root, 'data');
    const noSupervisor = await cli('add-node', '--data-dir', dataDir);
    assert.equal(noSupervisor.code, 1);
    assert.match(noSupervisor.stderr, /no `raftis cluster up` is running on/);

    const first = new ClusterUp(3, base, dataDir, ['--tick-ms', '50']);
    started.push(first);
    await first.waitUp();
    assert.equal(await call(base, 'SET', 'grow:key', 'before-add'), 'OK');

    const added = await cli('add-node', '--data-dir', dataDir);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, new RegExp(`^n4 joined the cluster as a voter: redis-cli -p ${base + 3} `));
    assert.deepEqual(await roles(base), new Map([['n1', 'voter'], ['n2', 'voter'], ['n3', 'voter'], ['n4', 'voter']]));
    assert.equal(await call(base + 3, 'GET', 'grow:key'), 'before-add', 'n4 caught up');
    const n4Pid = await pidOf(base + 3);
    assert.notEqual(n4Pid, first.child.pid);

    const leader = String(await call(base, 'RAFT.LEADER'));
    const leaderPort = base + Number(leader.slice(1)) - 1;
    const leaderPid = await pidOf(leaderPort);
    const removed = await cli('remove-node', leader, '--data-dir', dataDir);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, new RegExp(`^${leader} removed from the cluster and stopped`));
    assert.equal(alive(leaderPid), false, 'the removed node\'s process is gone');
    const rest = ['n1', 'n2', 'n3', 'n4'].filter((id) => id !== leader);
    const restPort = (id: string): number => base + Number(id.slice(1)) - 1;
    const via = restPort(rest[0] ?? '');
    await waitFor('a new leader among the rest', async () => rest.includes(String(await call(via, 'RAFT.LEADER'))), { timeoutMs: 20_000 });
    assert.deepEqual([...(await roles(via)).keys()].sort(), rest);
    assert.equal(await call(via, 'SET', 'grow:key', 'after-remove'), 'OK');

    const unknown = await cli('remove-node', 'n9', '--data-dir', dataDir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no node n9 in this cluster/);
    assert.equal(first.child.exitCode, null, 'the supervisor still runs');
    assert.doesNotMatch(first.stderr, /exited unexpectedly/);

    const pids = await Promise.all(rest.map((id) => pidOf(restPort(id))));
    await first.stop();
    assert.match(first.stdout, /SIGTERM: stopping 3 nodes gracefully/);
    await waitFor('every node process to be gone', () => [...pids, n4Pid].every((pid) => !alive(pid)), { timeoutMs: 10_000 });

    const second = new ClusterUp(3, base, dataDir, ['--tick-ms', '50']);
    started.push(second);
    await second.waitUp();
    for (const id of rest) assert.match(second.stdout, new RegExp(`^  ${id}: redis-cli -p ${restPort(id)}   dashboard `, 'm'), `${id} started again`);
    assert.doesNotMatch(second.stdout, new RegExp(`^  ${leader}:`, 'm'), 'the removed node stays out');
    for (const id of rest) {
      await waitFor(`${id} to serve the latest value`, async () => (await call(restPort(id), 'GET', 'grow:key')) === 'after-remove', { timeoutMs: 20_000 });
    }
    await second.stop();
  });
});
