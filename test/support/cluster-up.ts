// A `raftis cluster up` supervisor run by a test, as a user runs it in a terminal: a free
// run of base ports, the child process with its output captured, and small helpers to talk
// to its nodes.

import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePortBase } from './ports.js';
import { RawConnection, type Resp } from './raw-resp.js';
import { waitFor } from './wait.js';

export const MAIN = resolve('dist/src/cli/main.js');
/** `cluster up` puts each node's peer port this far above its client port. */
export const PEER_PORT_OFFSET = 10_000;
/** A node's admin HTTP port is its client port plus this (src/cli/cluster-state.ts). */
export const ADMIN_PORT_OFFSET = 2_000;
export const UP_TIMEOUT_MS = 40_000;

/** A base port whose `slots` client ports and their peer and admin ports are all reserved and free (ports.ts). */
export async function freeBasePort(slots: number): Promise<number> {
  const offsets = Array.from({ length: slots }, (_, i) => [i, i + PEER_PORT_OFFSET, i + ADMIN_PORT_OFFSET]).flat();
  return freePortBase(offsets);
}

export class ClusterUp {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** `upArgs` are options of `cluster up` itself (e.g. --tls), `serverArgs` those passed on to every node. */
  constructor(nodes: number, base: number, dataDir: string, serverArgs: readonly string[], upArgs: readonly string[] = []) {
    this.child = spawn(process.execPath, [MAIN, 'cluster', 'up', '--nodes', String(nodes), '--port', String(base), '--data-dir', dataDir, ...upArgs, '--', ...serverArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
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

  /** SIGTERM, then the supervisor must exit 0 (every node stopped) within the time-out. */
  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    const exit = await Promise.race([
      this.exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`cluster up did not exit within ${UP_TIMEOUT_MS} ms`)), UP_TIMEOUT_MS).unref()),
    ]);
    assert.deepEqual(exit, { code: 0, signal: null }, `cluster up exit; stderr: ${this.stderr}`);
  }
}

/** One command on a fresh connection to the node listening on `port`. */
export async function call(port: number, ...argv: string[]): Promise<Resp> {
  const connection = await RawConnection.open(port);
  try {
    return await connection.call(...argv);
  } finally {
    connection.close();
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One `raftis` command line run to its end: its exit code and output. */
export async function runRaftis(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
