// Free loopback ports for the systems under test: the machine is shared, so fixed ports
// could collide with other clusters. By default the kernel hands out unused ones (from its
// ephemeral range); `usePortRange` (bench --ports FIRST-LAST) makes every port come from a
// range of one's own instead, each probed free before it is handed out.

import { createServer } from 'node:net';

/** The range ports are taken from, in turn; null = the kernel picks. */
let range: { first: number; last: number; next: number } | null = null;

/** Hands out every port instead, when set (tests: ports reserved across test processes). */
let source: (() => Promise<number>) | null = null;

export function usePortRange(first: number, last: number): void {
  range = { first, last, next: first };
}

export function usePortSource(next: () => Promise<number>): void {
  source = next;
}

/** Whether `port` can be listened on now (0: any port; resolves the port bound, or null). */
function tryListen(port: number): Promise<number | null> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.unref();
    server.on('error', () => resolvePort(null));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address !== null ? address.port : null));
    });
  });
}

export async function freePort(): Promise<number> {
  if (source !== null) return source();
  if (range === null) {
    const port = await tryListen(0);
    if (port === null) throw new Error('no free port');
    return port;
  }
  const span = range.last - range.first + 1;
  for (let tried = 0; tried < span; tried++) {
    const port = range.next;
    range.next = port === range.last ? range.first : port + 1;
    if ((await tryListen(port)) !== null) return port;
  }
  throw new Error(`no free port in ${range.first}-${range.last}`);
}

export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Polls `check` every `intervalMs` until it returns non-null or `timeoutMs` passes. */
export async function waitUntil<T>(what: string, check: () => Promise<T | null>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolveSleep) => setTimeout(resolveSleep, intervalMs));
  }
}
