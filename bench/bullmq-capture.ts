// Records the log a real BullMQ workload leaves on a 3-node raftis cluster, for
// bench/bullmq-apply.ts to replay in-process: `cluster up` from this checkout's dist/, the
// bench's BullMQ workload (N jobs added 16 at a time, processed by a worker of concurrency
// 16, then N more added and processed at once; bench/scripts.ts runJobs), the cluster
// stopped, and every command entry of the first node's WAL written out in log order with its
// request id and cluster time. The scripts' names come from BullMQ's own package (SHA-1 of
// each script's text, as ioredis computes it for EVALSHA).
//   npm run build && node --import tsx bench/bullmq-capture.ts --port 8100 [--jobs 300] [--out FILE]
// The fixture's format: bench/bullmq-fixture.ts.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { decodeCommand, decodeCommandBatch, isCommandBatch, type CommandEntry } from '../src/kv/command-codec.js';
import { readIdentity } from '../src/server/identity.js';
import { RaftStorage } from '../src/storage/raft-storage.js';
import { Progress } from './progress.js';
import { respCall } from './resp-client.js';
import { runJobs } from './scripts.js';
import { BULLMQ_FIXTURE, type FixtureCommand, type FixtureHeader } from './bullmq-fixture.js';

const UP_TIMEOUT_MS = 60_000;
/** Log entries of kind Normal (raft/types.ts EntryType): empty data is a leader's no-op. */
const ENTRY_NORMAL = 0;

/** BullMQ's scripts by the SHA-1 of their text (what EVALSHA names). */
async function bullmqScripts(): Promise<Record<string, string>> {
  const scripts = (await import('bullmq/dist/esm/scripts/index.js' as string)) as Record<string, { name: string; content: string }>;
  const bySha: Record<string, string> = {};
  for (const script of Object.values(scripts)) bySha[createHash('sha1').update(script.content).digest('hex')] = script.name;
  return bySha;
}

async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + UP_TIMEOUT_MS;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The client port of the cluster's leader (RAFT.INFO's role). */
async function leaderPort(base: number, nodes: number): Promise<number> {
  let leader = -1;
  await waitFor('a leader', async () => {
    for (let port = base; port < base + nodes; port++) {
      const info = await respCall(port, ['RAFT.INFO']);
      if (!(info instanceof Error) && info.kind === 'bulk' && /role:leader/.test(Buffer.from(info.value ?? []).toString('latin1'))) leader = port;
    }
    return leader > 0;
  });
  return leader;
}

/** Every command of the node's log in order (a batch's commands one by one, under its time). */
async function logCommands(nodeDir: string): Promise<CommandEntry[]> {
  const identity = readIdentity(nodeDir);
  if (identity === null) throw new Error(`${nodeDir} holds no node`);
  const { storage, recovered } = await RaftStorage.open({ dir: nodeDir, clusterId: identity.clusterId, nodeId: identity.nodeId });
  try {
    if (recovered.snapshot !== null) throw new Error('the node took a snapshot: the log no longer starts at 1 (raise --snapshot-entries)');
    const commands: CommandEntry[] = [];
    for (const entry of recovered.entries) {
      if (entry.type !== ENTRY_NORMAL || entry.data.length === 0) continue;
      if (isCommandBatch(entry.data)) {
        const batch = decodeCommandBatch(entry.data);
        if (batch instanceof Error) throw batch;
        for (const command of batch.commands) commands.push({ ...command, origin: batch.origin, time: batch.time });
      } else {
        const command = decodeCommand(entry.data);
        if (command instanceof Error) throw command;
        commands.push(command);
      }
    }
    return commands;
  } finally {
    await storage.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8100' }, jobs: { type: 'string', default: '300' }, out: { type: 'string', default: BULLMQ_FIXTURE } } });
  const base = Number(values.port);
  const jobs = Number(values.jobs);
  const dataDir = mkdtempSync(join(tmpdir(), 'bullmq-capture-'));
  const up = spawn(process.execPath, [resolve('dist/src/cli/main.js'), 'cluster', 'up', '--nodes', '3', '--port', String(base), '--data-dir', dataDir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((r) => up.on('exit', () => r()));
  try {
    const port = await leaderPort(base, 3);
    await runJobs('raftis', port, jobs, new Progress(), () => null);
  } finally {
    up.kill('SIGTERM');
    await exited;
  }
  const nodeDir = readdirSync(dataDir).map((name) => join(dataDir, name)).find((dir) => readIdentity(dir) !== null);
  if (nodeDir === undefined) throw new Error(`no node directory under ${dataDir}`);
  const commands = await logCommands(nodeDir);
  const pkg = JSON.parse(await readFile('node_modules/bullmq/package.json', 'utf8')) as { version: string };
  const header: FixtureHeader = { bullmq: pkg.version, jobs: 2 * jobs, capturedAt: new Date().toISOString(), scripts: await bullmqScripts() };
  const lines = [JSON.stringify(header), ...commands.map((c) => JSON.stringify({
    origin: c.origin, client: c.client, seq: c.seq, firstUnanswered: c.firstUnanswered, time: c.time,
    argv: c.argv.map((a) => Buffer.from(a).toString('base64')),
  } satisfies FixtureCommand))];
  writeFileSync(values.out, gzipSync(lines.join('\n') + '\n'));
  rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`${commands.length} commands of ${2 * jobs} jobs written to ${values.out}\n`);
}

await main();
