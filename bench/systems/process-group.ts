// Child processes of one system under test: spawned with their output in a log file,
// stopped gracefully (SIGTERM, then SIGKILL after a grace period) or killed at once, and
// measured (VmRSS from /proc).

import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';

const STOP_GRACE_MS = 10_000;
/** Every child still running, so an interrupted run can kill them all on its way out. */
const live = new Set<ChildProcess>();

export interface Spawned {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly logPath: string;
  /** The process's environment; undefined = the harness's own. */
  readonly env?: NodeJS.ProcessEnv;
  child: ChildProcess | null;
}

export function spawnLogged(name: string, command: string, args: readonly string[], logPath: string, env?: NodeJS.ProcessEnv): Spawned {
  const spawned: Spawned = { name, command, args, logPath, child: null, ...(env === undefined ? {} : { env }) };
  respawn(spawned);
  return spawned;
}

export function respawn(spawned: Spawned): void {
  const fd = openSync(spawned.logPath, 'a');
  const child = spawn(spawned.command, spawned.args, { stdio: ['ignore', fd, fd], ...(spawned.env === undefined ? {} : { env: spawned.env }) });
  closeSync(fd);
  trackChild(child);
  child.on('exit', () => {
    if (spawned.child === child) spawned.child = null;
  });
  spawned.child = child;
}

/** Counts `child` among the processes an interrupted run kills on its way out, until it exits. */
export function trackChild(child: ChildProcess): void {
  live.add(child);
  child.on('exit', () => live.delete(child));
}

/** SIGKILL, resolved once the process is gone. */
export function killNow(spawned: Spawned): Promise<void> {
  const child = spawned.child;
  if (child === null || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGKILL');
  return exited;
}

/** SIGTERM, then SIGKILL if it has not exited within the grace period. */
export async function stopGracefully(spawned: Spawned): Promise<void> {
  const child = spawned.child;
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Resident set size in bytes, from /proc/PID/status; null when the process is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc/PID/stat's CPU times (USER_HZ: 100 on Linux). */
export const USER_HZ = 100;

/** CPU seconds (user + system) a process has used, from /proc/PID/stat; null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return null;
  }
}

/** CPU seconds each process has used (null for one that is not running), in order. */
export function cpuSecondsOf(processes: readonly Spawned[]): (number | null)[] {
  return processes.map((spawned) => {
    const pid = spawned.child?.pid;
    return pid === undefined ? null : cpuSeconds(pid);
  });
}

/** SIGKILLs every child this process spawned that is still running (interrupted runs). */
export function killAllSpawned(): void {
  for (const child of live) child.kill('SIGKILL');
}
