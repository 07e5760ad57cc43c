// Starts a throwaway redis-server on a free loopback port for comparison tests, or reports
// why it cannot (not installed).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export function redisServerPath(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RedisInstance {
  readonly client: Redis;
  stop(): Promise<void>;
}

const startDeadlineMs = 10_000;

/** `extraArgs` are passed to redis-server (`--databases 1` for a server like raftis's one database). */
export async function startRedis(path: string, extraArgs: readonly string[] = []): Promise<RedisInstance> {
  const port = await freePort();
  const child: ChildProcess = spawn(path, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs], { stdio: 'ignore' });
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // Connection refusals while the server starts are expected: the loop below retries.
  client.on('error', () => {});
  const deadline = performance.now() + startDeadlineMs;
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (error) {
      client.disconnect();
      if (performance.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} not ready within ${startDeadlineMs} ms: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    client,
    stop: async () => {
      client.disconnect();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
