// The unreplicated ceiling: one redis-server with appendonly yes and appendfsync always,
// so every write is on disk before its reply, as in raftis and etcd.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replyText, respCall } from '../resp-client.js';
import { freePort, waitUntil } from './ports.js';
import { cpuSeconds, rssBytes, spawnLogged, stopGracefully, type Spawned } from './process-group.js';

export function redisVersion(): string | null {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

export class RedisSingle {
  private constructor(readonly port: number, readonly process: Spawned, private readonly root: string) {}

  static async start(): Promise<RedisSingle> {
    const root = mkdtempSync(join(tmpdir(), 'redis-bench-'));
    const port = await freePort();
    const spawned = spawnLogged('redis-server', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1',
      '--dir', root, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'], join(root, 'redis.log'));
    const redis = new RedisSingle(port, spawned, root);
    await waitUntil('redis-server to answer PING', async () => (replyText(await respCall(port, ['PING'], 500)) === 'PONG' ? true : null), 15_000);
    return redis;
  }

  rss(): number | null {
    const pid = this.process.child?.pid;
    return pid === undefined ? null : rssBytes(pid);
  }

  cpuSeconds(): number | null {
    const pid = this.process.child?.pid;
    return pid === undefined ? null : cpuSeconds(pid);
  }

  async stop(): Promise<void> {
    await stopGracefully(this.process);
    rmSync(this.root, { recursive: true, force: true });
  }
}
