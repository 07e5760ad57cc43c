// A real redis-server process on a free loopback port, for tests that compare raftis's
// replies with Redis's own. Persistence is off; the process is killed on stop().

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from './cluster.js';
import { RawConnection } from './raw-resp.js';
import { waitFor } from './wait.js';

/** Null when the tool is on PATH; otherwise the reason a test should skip. */
export function missingTool(name: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 && found.stdout.trim() !== '' ? null : `${name} is not on PATH (install redis-tools / redis-server)`;
}

export class RedisServer {
  readonly port: number;
  private readonly child: ChildProcess;

  private constructor(port: number, child: ChildProcess) {
    this.port = port;
    this.child = child;
  }

  /** Starts redis-server with persistence off; `args` are extra redis.conf directives as flags. */
  static async start(args: readonly string[] = []): Promise<RedisServer> {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], { stdio: 'ignore' });
    const server = new RedisServer(port, child);
    await waitFor(`redis-server on port ${port}`, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      try {
        const connection = await RawConnection.open(port);
        const reply = await connection.call('PING');
        connection.close();
        return reply === 'PONG';
      } catch {
        return false;
      }
    }, { timeoutMs: 10_000 });
    return server;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }
}
