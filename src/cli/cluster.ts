// `raftis cluster up`: runs a local cluster of N node processes on loopback, each with its
// own data directory under --data-dir, restarts cleanly on existing data, and stops every
// node gracefully on Ctrl-C / SIGTERM.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendCommand } from '../server/resp-client.js';

interface ClusterArgs {
  nodes: number;
  port: number;
  dataDir: string;
  host: string;
  extra: string[];
}

const USAGE = 'usage: raftis cluster up [--nodes N] [--port P] [--data-dir DIR] [--host 127.0.0.1] [-- extra server settings]';
const NODES_MAX = 15;
const READY_TIMEOUT_MS = 30_000;

function parseArgs(argv: string[]): ClusterArgs | string {
  const args: ClusterArgs = { nodes: 3, port: 6379, dataDir: './data', host: '127.0.0.1', extra: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--') {
      args.extra = argv.slice(i + 1);
      break;
    }
    if (value === undefined) return `${arg}: missing value`;
    if (arg === '--nodes') args.nodes = Number(value);
    else if (arg === '--port') args.port = Number(value);
    else if (arg === '--data-dir') args.dataDir = value;
    else if (arg === '--host') args.host = value;
    else return `unknown option ${arg}`;
    i++;
  }
  if (!Number.isInteger(args.nodes) || args.nodes < 1 || args.nodes > NODES_MAX) return `--nodes must be a whole number from 1 to ${NODES_MAX}`;
  if (!Number.isInteger(args.port) || args.port < 1 || args.port + args.nodes - 1 + 10_000 > 65_535) return `--port must leave room for ${args.nodes} client ports and their peer ports (+10000) below 65536`;
  return args;
}

export async function clusterCommand(argv: string[]): Promise<number> {
  if (argv[0] !== 'up') {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  const args = parseArgs(argv.slice(1));
  if (typeof args === 'string') {
    process.stderr.write(`raftis cluster up: ${args}\n${USAGE}\n`);
    return 64;
  }
  const ids = Array.from({ length: args.nodes }, (_, i) => `n${i + 1}`);
  const initialCluster = ids.map((id, i) => `${id}=${args.host}:${args.port + i + 10_000}`).join(',');
  const logDir = resolve(args.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const main = fileURLToPath(new URL('./main.js', import.meta.url));

  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const exited = new Promise<number>((resolveExit) => {
    let remaining = ids.length;
    let failures = 0;
    ids.forEach((id, i) => {
      const logPath = join(logDir, `${id}.log`);
      const logFd = openSync(logPath, 'a');
      const child = spawn(process.execPath, [main, 'server',
        '--id', id,
        '--listen', `${args.host}:${args.port + i}`,
        '--peer-listen', `${args.host}:${args.port + i + 10_000}`,
        '--data-dir', resolve(args.dataDir, id),
        '--initial-cluster', initialCluster,
        ...args.extra,
      ], { stdio: ['ignore', logFd, 'pipe'] });
      children.set(id, child);
      child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${id}] ${chunk.toString()}`));
      child.on('exit', (code, signal) => {
        remaining--;
        if (!stopping) {
          failures++;
          process.stderr.write(`node ${id} exited unexpectedly (${signal ?? `code ${code}`}); its log is ${logPath}\n`);
        }
        if (remaining === 0) resolveExit(failures === 0 ? 0 : 1);
      });
    });
  });

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      for (const child of children.values()) child.kill('SIGKILL');
      return;
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping ${ids.length} nodes gracefully (again to force)…\n`);
    for (const child of children.values()) child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const leader = await waitForLeader(args.host, args.port, args.nodes, () => stopping);
  if (leader !== null) {
    process.stdout.write([
      `raftis: ${args.nodes}-node cluster up (leader ${leader}); data in ${resolve(args.dataDir)}, logs in ${logDir}`,
      ...ids.map((id, i) => `  ${id}: redis-cli -p ${args.port + i}${args.host === '127.0.0.1' ? '' : ` -h ${args.host}`}`),
      'Any node accepts any command. Ctrl-C stops the cluster.',
      '',
    ].join('\n'));
  } else if (!stopping) {
    process.stderr.write(`raftis: no leader after ${READY_TIMEOUT_MS / 1000} s; see the logs in ${logDir}\n`);
  }
  return exited;
}

async function waitForLeader(host: string, port: number, nodes: number, cancelled: () => boolean): Promise<string | null> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && !cancelled()) {
    for (let i = 0; i < nodes; i++) {
      try {
        const reply = await sendCommand(host, port + i, ['RAFT.LEADER'], 1000);
        if (reply.kind === 'bulk' && reply.value !== null) return Buffer.from(reply.value).toString();
      } catch {
        // not listening yet
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}
