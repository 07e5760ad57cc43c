// Listening ports for the nodes tests start, reserved across every test process on this
// machine. The default run has two test files going at once (and other runs may share the
// machine); a port one process handed out is bound only later, by a node it starts, and is
// free again whenever that node is down, waiting for its restart. A port found free by
// probing alone was then taken by a node of another process: the restart failed, or, worse,
// the test talked to another cluster's node on what it took for its own. So a port is
// reserved by a file under RESERVATIONS_DIR naming the process, held until that process
// ends; only ports with no live reservation are probed and handed out.

import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Ports below the kernel's ephemeral range (32768 and up), which outgoing connections take at random. */
export const LISTEN_PORT_MIN = 10_000;
export const LISTEN_PORT_MAX = 32_767;
/** One file per reserved port, holding the reserving process's pid. */
const RESERVATIONS_DIR = join(tmpdir(), 'raftis-test-ports');
/** Random draws before giving up: the range is large, so running out means reservations leak. */
const DRAWS_MAX = 10_000;

const reservedHere = new Set<number>();

function reservationPath(port: number): string {
  return join(RESERVATIONS_DIR, String(port));
}

function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseAll(): void {
  for (const port of reservedHere) {
    try {
      unlinkSync(reservationPath(port));
    } catch {
      // already gone
    }
  }
  reservedHere.clear();
}

/**
 * Reserves `port` for this process: true if it was free of reservations (or held by a process
 * that has ended). Does not probe the port itself.
 */
export function reservePort(port: number): boolean {
  if (reservedHere.has(port)) return false;
  if (reservedHere.size === 0) {
    mkdirSync(RESERVATIONS_DIR, { recursive: true });
    process.once('exit', releaseAll);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(reservationPath(port), String(process.pid), { flag: 'wx' });
      reservedHere.add(port);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(reservationPath(port), 'utf8'));
    } catch {
      continue; // released meanwhile: try again
    }
    if (processAlive(owner)) return false;
    try {
      unlinkSync(reservationPath(port)); // left by a process that was killed
    } catch {
      // another process cleared it first
    }
  }
  return false;
}

/** Whether nothing listens on `port` now. */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolveFree(false));
    server.listen(port, host, () => server.close(() => resolveFree(true)));
  });
}

/** A port reserved for this process and free now, in [LISTEN_PORT_MIN, LISTEN_PORT_MAX]. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return freePortBase([0], host);
}

/**
 * A base port such that base + each offset is reserved for this process and free now (`raftis
 * cluster up` puts a node's ports at fixed offsets from its client port).
 */
export async function freePortBase(offsets: readonly number[], host = '127.0.0.1'): Promise<number> {
  const span = Math.max(...offsets);
  for (let draw = 0; draw < DRAWS_MAX; draw++) {
    const base = LISTEN_PORT_MIN + Math.floor(Math.random() * (LISTEN_PORT_MAX - span - LISTEN_PORT_MIN + 1));
    const ports = offsets.map((offset) => base + offset);
    // Ports reserved but found in use stay reserved: something else listens there.
    if (!ports.every(reservePort)) continue;
    if ((await Promise.all(ports.map((port) => portFree(port, host)))).every(Boolean)) return base;
  }
  throw new Error(`no free ports at offsets ${offsets.join(', ')} in ${DRAWS_MAX} draws: stale reservations in ${RESERVATIONS_DIR}?`);
}
