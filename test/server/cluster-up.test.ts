// `raftis cluster up`: starts N node processes on consecutive ports, prints how to connect,
// serves commands on every node, comes back with its data when started again on the same
// directory, and on SIGTERM stops every node and exits.

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
const NODES = 3;
const PEER_PORT_OFFSET = 10_000;
const UP_TIMEOUT_MS = 40_000;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

/** A base port whose NODES client ports and their peer ports (+10000) are all free. */
async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = Array.from({ length: NODES }, (_, i) => [base + i, base + i + PEER_PORT_OFFSET]).flat();
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
    this.child = spawn(process.execPath, [MAIN, 'cluster', 'up', '--nodes', String(NODES), '--port', String(base), '--data-dir', dataDir, '--', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
}

async function call(port: number, ...argv: string[]): Promise<Resp> {
  const connection = await RawConnection.open(port);
  try {
    return await connection.call(...argv);
  } finally {
    connection.close();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('raftis cluster up', () => {
  let root: string;
  let base: number;
  const started: ClusterUp[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'raftis-cluster-up-'));
    base = await freeBasePort();
  });

  after(async () => {
    for (const run of started) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  async function upAndServing(dataDir: string): Promise<{ run: ClusterUp; pids: number[] }> {
    const run = new ClusterUp(base, dataDir);
    started.push(run);
    await run.waitUp();
    for (let i = 0; i < NODES; i++) assert.match(run.stdout, new RegExp(`^  n${i + 1}: redis-cli -p ${base + i}$`, 'm'), `connect line for n${i + 1}`);
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
    run.child.kill('SIGTERM');
    const exit = await Promise.race([
      run.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`cluster up did not exit within ${UP_TIMEOUT_MS} ms`)), UP_TIMEOUT_MS).unref()),
    ]);
    assert.deepEqual(exit, { code: 0, signal: null }, `cluster up exit; stderr: ${run.stderr}`);
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
