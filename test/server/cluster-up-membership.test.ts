// `raftis cluster add-node` / `remove-node` against a running `raftis cluster up`, as a user
// does it from a second terminal: add-node starts n4 on the next ports and it joins as a
// voter; remove-node removes the leader and stops its process; the cluster keeps serving,
// and starting `cluster up` again brings back exactly the nodes it had.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RawConnection, type Resp } from '../support/raw-resp.js';
import { waitFor } from '../support/wait.js';

const MAIN = resolve('dist/src/cli/main.js');
const SLOTS = 4;
const PEER_PORT_OFFSET = 10_000;
const UP_TIMEOUT_MS = 40_000;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = Array.from({ length: SLOTS }, (_, i) => [base + i, base + i + PEER_PORT_OFFSET]).flat();
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return base;
  }
  throw new Error('no free run of ports found');
}

class ClusterUp {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(base: number, dataDir: string) {
    this.child = spawn(process.execPath, [MAIN, 'cluster', 'up', '--nodes', '3', '--port', String(base), '--data-dir', dataDir, '--', '--tick-ms', '50'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => { this.stdout += chunk.toString(); });
    this.child.stderr?.on('data', (chunk: Buffer) => { this.stderr += chunk.toString(); });
    this.exited = new Promise((resolveExit) => this.child.on('exit', (code, signal) => resolveExit({ code, signal })));
  }

  async waitUp(): Promise<void> {
    await waitFor('cluster up to print its connect lines', () => {
      if (this.child.exitCode !== null) throw new Error(`cluster up exited ${this.child.exitCode}: ${this.stderr}`);
      return this.stdout.includes('Ctrl-C stops the cluster');
    }, { timeoutMs: UP_TIMEOUT_MS, intervalMs: 100 });
  }

  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    const exit = await Promise.race([
      this.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`cluster up did not exit within ${UP_TIMEOUT_MS} ms`)), UP_TIMEOUT_MS).unref()),
    ]);
    assert.deepEqual(exit, { code: 0, signal: null }, `cluster up exit; stderr: ${this.stderr}`);
  }
}

/** Runs `raftis cluster …` to completion, as a user in a second terminal. */
function cli(...argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [MAIN, 'cluster', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('exit', (code) => resolveRun({ code, stdout, stderr }));
  });
}

async function call(port: number, ...argv: string[]): Promise<Resp> {
  const connection = await RawConnection.open(port);
  try {
    return await connection.call(...argv);
  } finally {
    connection.close();
  }
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('raftis cluster add-node / remove-node', () => {
  let root: string;
  let base: number;
  const started: ClusterUp[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'raftis-cluster-grow-'));
    base = await freeBasePort();
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

    const first = new ClusterUp(base, dataDir);
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

    const second = new ClusterUp(base, dataDir);
    started.push(second);
    await second.waitUp();
    for (const id of rest) assert.match(second.stdout, new RegExp(`^  ${id}: redis-cli -p ${restPort(id)}$`, 'm'), `${id} started again`);
    assert.doesNotMatch(second.stdout, new RegExp(`^  ${leader}:`, 'm'), 'the removed node stays out');
    for (const id of rest) {
      await waitFor(`${id} to serve the latest value`, async () => (await call(restPort(id), 'GET', 'grow:key')) === 'after-remove', { timeoutMs: 20_000 });
    }
    await second.stop();
  });
});
