// The machine a run happened on, for the report: cores, CPU model, memory, the disk under
// the temporary directory (where every system keeps its data), kernel, Node and load.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, tmpdir } from 'node:os';

export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memory: string;
  readonly disk: string;
  readonly kernel: string;
  readonly node: string;
}

function run(command: string, args: readonly string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const memKib = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? NaN);
  const df = run('df', ['-hT', tmpdir()])?.split('\n')[1]?.split(/\s+/);
  const device = df?.[0] ?? '?';
  const blockName = /\/dev\/([a-z]+)/.exec(device)?.[1];
  const rotational = blockName === undefined ? null : run('cat', [`/sys/block/${blockName}/queue/rotational`]);
  const disk = df === undefined ? 'unknown' : `${tmpdir()} on ${device} (${df[1] ?? '?'}, ${df[2] ?? '?'} total, ${df[4] ?? '?'} free${rotational === null ? '' : rotational === '0' ? ', non-rotational' : ', rotational'})`;
  return {
    cores: Number(run('nproc', []) ?? availableParallelism()),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memory: Number.isFinite(memKib) ? `${(memKib / 1024 / 1024).toFixed(1)} GiB` : 'unknown',
    disk,
    kernel: release(),
    node: process.version,
  };
}

export function loadAverage(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}
