// Snapshots (issue 7): for each state size, a 3-node raftis cluster with one follower down
// is loaded with N keys of 100-byte values; then, on the leader, RAFT.SNAPSHOT under a write
// load (creation time, file size, worst event-loop delay); then the follower comes back and
// catches up through InstallSnapshot (transfer rate, time to caught up, peak RSS of both
// ends, worst event-loop delay while it restores). For the largest size, also the restart
// of a node holding that snapshot plus a log tail (process start → serving reads).
//
// Event-loop delay is measured inside each node: the nodes run with a small preload
// (`node --import data:…`) that samples perf_hooks.monitorEventLoopDelay and appends the
// worst delay of every 100 ms to a file; the benchmark takes the worst inside a window.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keptSection, keptSectionLines } from './kept-section.js';
import { benchValue } from './load-clients.js';
import { loadAverage, type MachineInfo } from './machine.js';
import { preloadResp } from './preload.js';
import type { Progress } from './progress.js';
import { RespClient, replyFailure, replyText, respCall } from './resp-client.js';
import { freePorts, waitUntil } from './systems/ports.js';
import { killNow, respawn, spawnLogged, stopGracefully, type Spawned } from './systems/process-group.js';
import { RAFTIS_MAIN } from './systems/raftis-cluster.js';
import { encodeCommand } from '../src/resp/index.js';

export const SNAPSHOT_VALUE_BYTES = 100;
/** Entries kept below a snapshot: small, so the returning follower must take the snapshot. */
const LOG_RETAIN_ENTRIES = 10;
/** Closed-loop clients overwriting existing keys while the snapshot is taken (copy-on-write under load). */
const WRITE_LOAD_CLIENTS = 8;
const RSS_POLL_MS = 50;
const EVENT_LOOP_SAMPLE_MS = 100;
const CATCH_UP_TIMEOUT_MS = 600_000;
const SNAPSHOT_TIMEOUT_MS = 600_000;
/** Targets from issue 7. */
export const TRANSFER_MB_PER_S_MIN = 100;
export const RESTART_MS_MAX = 10_000;

export interface SnapshotSizeRow {
  readonly keys: number;
  readonly creationMs: number;
  readonly snapshotBytes: number;
  /** Writes acknowledged per second by the load running during the snapshot. */
  readonly writesPerSecondDuringSnapshot: number;
  /** Worst event-loop delay on the leader while it took the snapshot, in ms. */
  readonly leaderEventLoopMaxMs: number | null;
  /** From the follower's "receiving snapshot" to its "received snapshot" (file complete and synced). */
  readonly transferMs: number | null;
  readonly transferMBPerSecond: number | null;
  /** Follower process start → its applied index reaches the leader's. */
  readonly caughtUpMs: number;
  /** From "received snapshot" to caught up: restoring the state machine from the file. */
  readonly restoreMs: number | null;
  /** Worst event-loop delay on the follower from "receiving snapshot" to caught up (transfer and restore), in ms. */
  readonly followerEventLoopMaxMs: number | null;
  readonly leaderPeakRssBytes: number | null;
  readonly followerPeakRssBytes: number | null;
}

export interface SnapshotRestartResult {
  readonly snapshotKeys: number;
  readonly logEntries: number;
  /** Process start → a linearizable GET of the last key written answers on the restarted node. */
  readonly servingMs: number;
  /** Process start → "restored snapshot" in its log. */
  readonly restoredSnapshotMs: number | null;
}

export interface SnapshotBenchResult {
  readonly sizes: SnapshotSizeRow[];
  restart: SnapshotRestartResult | null;
  readonly machine: MachineInfo;
  readonly loadAtStart: string;
  loadAtEnd: string;
  readonly commandLine: string;
}

/** The preload each node runs: worst event-loop delay per interval, appended to $RAFTIS_ELD_DIR/eld-<pid>.txt. */
const EVENT_LOOP_PROBE = `import { monitorEventLoopDelay } from 'node:perf_hooks';
import { appendFileSync } from 'node:fs';
const dir = process.env.RAFTIS_ELD_DIR;
if (dir) {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  setInterval(() => {
    appendFileSync(dir + '/eld-' + process.pid + '.txt', Date.now() + ' ' + (histogram.max / 1e6).toFixed(1) + '\\n');
    histogram.reset();
  }, ${EVENT_LOOP_SAMPLE_MS}).unref();
}`;

interface SnapNode {
  readonly id: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logPath: string;
  readonly process: Spawned;
}

class SnapshotCluster {
  private constructor(readonly nodes: SnapNode[], readonly root: string) {}

  static async start(profileDir: string | null): Promise<SnapshotCluster> {
    const root = mkdtempSync(join(tmpdir(), 'raftis-bench-snapshot-'));
    process.env['RAFTIS_ELD_DIR'] = root;
    if (profileDir !== null) mkdirSync(profileDir, { recursive: true });
    const ports = await freePorts(6);
    const ids = ['n1', 'n2', 'n3'];
    const initialCluster = ids.map((id, i) => `${id}=127.0.0.1:${ports[3 + i]!}`).join(',');
    const nodes = ids.map((id, i): SnapNode => {
      const dataDir = join(root, id);
      const logPath = join(root, `${id}.log`);
      const profile = profileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
      const args = [...profile, '--import', `data:text/javascript,${encodeURIComponent(EVENT_LOOP_PROBE)}`, RAFTIS_MAIN, 'server', '--id', id,
        '--listen', `127.0.0.1:${ports[i]!}`, '--peer-listen', `127.0.0.1:${ports[3 + i]!}`, '--data-dir', dataDir,
        '--initial-cluster', initialCluster, '--log-level', 'info',
        '--snapshot-entries', '0', '--log-retain-entries', String(LOG_RETAIN_ENTRIES)];
      return { id, port: ports[i]!, dataDir, logPath, process: spawnLogged(`raftis ${id}`, process.execPath, args, logPath) };
    });
    return new SnapshotCluster(nodes, root);
  }

  async leader(): Promise<SnapNode> {
    return waitUntil('a raftis leader known to every running node', async () => {
      const named = new Set<string>();
      for (const node of this.nodes.filter((n) => n.process.child !== null)) {
        const leader = replyText(await respCall(node.port, ['RAFT.LEADER'], 1000));
        if (leader === null) return null;
        named.add(leader);
      }
      const [leader] = [...named];
      return named.size === 1 ? this.nodes.find((n) => n.id === leader && n.process.child !== null) ?? null : null;
    }, 30_000, 100);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => stopGracefully(n.process)));
    rmSync(this.root, { recursive: true, force: true });
  }
}

function snapshotKey(index: number): string {
  return `snap:${String(index).padStart(8, '0')}`;
}

async function appliedIndex(port: number): Promise<number | null> {
  const info = replyText(await respCall(port, ['INFO', 'raft'], 5000));
  const match = info === null ? null : /applied_index:(\d+)/.exec(info);
  return match === null ? null : Number(match[1]);
}

function pidOf(node: SnapNode): number {
  const pid = node.process.child?.pid;
  if (pid === undefined) throw new Error(`${node.id} is not running`);
  return pid;
}

/** VmRSS and VmHWM of a process in bytes; null once it is gone. */
function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  } catch {
    return null;
  }
}

/** Polls the peak RSS of some processes until stopped. */
class RssPeaks {
  private readonly peaks = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: readonly number[]) {
    this.timer = setInterval(() => this.sample(), RSS_POLL_MS);
    this.sample();
  }

  private sample(): void {
    for (const pid of this.pids) {
      const memory = memoryOf(pid);
      if (memory !== null) this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, memory.rss));
    }
  }

  stop(): Map<number, number> {
    this.sample();
    clearInterval(this.timer);
    return this.peaks;
  }
}

/** Worst event-loop delay (ms) a node's probe recorded in samples taken within [fromMs, toMs + one interval]. */
function eventLoopMaxMs(root: string, pid: number, fromMs: number, toMs: number): number | null {
  const path = join(root, `eld-${pid}.txt`);
  if (!existsSync(path)) return null;
  let worst: number | null = null;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [at, max] = line.split(' ').map(Number);
    if (at === undefined || max === undefined || !Number.isFinite(at) || !Number.isFinite(max)) continue;
    if (at < fromMs || at > toMs + EVENT_LOOP_SAMPLE_MS) continue;
    worst = Math.max(worst ?? 0, max);
  }
  return worst;
}

/** Epoch-ms time of the first log line with message `msg` at or after byte `fromByte`. */
function logTime(node: SnapNode, msg: string, fromByte: number): number | null {
  const text = readFileSync(node.logPath, 'utf8').slice(fromByte);
  for (const line of text.split('\n')) {
    if (!line.includes(`"msg":"${msg}"`)) continue;
    try {
      const parsed = JSON.parse(line) as { time?: number };
      if (typeof parsed.time === 'number') return parsed.time;
    } catch {
      // an incomplete last line
    }
  }
  return null;
}

function newestSnapshotBytes(node: SnapNode): number {
  const dir = join(node.dataDir, 'snap');
  const files = readdirSync(dir).filter((f) => f.endsWith('.snap'));
  const index = (name: string): number => Number(/-(\d+)\.snap$/.exec(name)?.[1] ?? -1);
  const newest = files.sort((a, b) => index(a) - index(b)).at(-1);
  if (newest === undefined) throw new Error(`no snapshot file in ${dir}`);
  return statSync(join(dir, newest)).size;
}

/** Closed-loop SETs of existing keys from `clients` connections until stopped; returns the writes acknowledged. */
function startWriteLoad(port: number, keys: number, clients: number): { stop(): Promise<number> } {
  let running = true;
  let acknowledged = 0;
  const value = benchValue(SNAPSHOT_VALUE_BYTES);
  const lanes = Array.from({ length: clients }, async (_, lane) => {
    const client = await RespClient.open(port);
    try {
      for (let i = lane; running; i += clients) {
        const reply = await client.call(['SET', snapshotKey((i * 7919) % keys), value]);
        if (replyFailure(reply) === null) acknowledged++;
      }
    } finally {
      client.close();
    }
  });
  return {
    async stop(): Promise<number> {
      running = false;
      await Promise.all(lanes);
      return acknowledged;
    },
  };
}

/** Pipelined distinct SETs, one log entry each. */
async function writeLogEntries(port: number, count: number): Promise<void> {
  const client = await RespClient.open(port);
  const depth = 256;
  try {
    for (let i = 0; i < count; i += depth) {
      const end = Math.min(count, i + depth);
      const replies: Promise<unknown>[] = [];
      for (let j = i; j < end; j++) {
        replies.push(new Promise((resolveReply, reject) => client.sendEncoded(encodeCommand(['SET', `log:${j}`, `v${j}`]), (reply) => {
          const failure = replyFailure(reply);
          // A pipelined write retried across a leader change after a later one of this
          // connection applied is answered with this error: it was applied, its reply is gone.
          if (failure === null || failure.includes('already applied')) resolveReply(null);
          else reject(new Error(`log write ${j} failed: ${failure}`));
        })));
      }
      await Promise.all(replies);
    }
  } finally {
    client.close();
  }
}

async function waitApplied(node: SnapNode, index: number, timeoutMs: number): Promise<void> {
  await waitUntil(`${node.id} to apply index ${index}`, async () => {
    const applied = await appliedIndex(node.port);
    return applied !== null && applied >= index ? true : null;
  }, timeoutMs, 20);
}

async function measureSize(keys: number, restartLogEntries: number | null, profileDir: string | null, progress: Progress): Promise<{ row: SnapshotSizeRow; restart: SnapshotRestartResult | null }> {
  const line = progress.start(`snapshot ${keys.toLocaleString('en-US')} keys × ${SNAPSHOT_VALUE_BYTES} B`);
  const cluster = await SnapshotCluster.start(profileDir);
  try {
    const leader = await cluster.leader();
    const [follower, other] = cluster.nodes.filter((n) => n !== leader) as [SnapNode, SnapNode];
    await killNow(follower.process);
    await preloadResp(leader.port, keys, snapshotKey, benchValue(SNAPSHOT_VALUE_BYTES), (loaded) => line.update(`preload ${loaded} keys`));
    const loadedIndex = await appliedIndex(leader.port);
    if (loadedIndex === null) throw new Error('no applied_index from the leader');
    await waitApplied(other, loadedIndex, 120_000);

    line.update('RAFT.SNAPSHOT under write load');
    const load = startWriteLoad(leader.port, keys, WRITE_LOAD_CLIENTS);
    await new Promise((resolveWait) => setTimeout(resolveWait, 500)); // the load is flowing
    const snapshotStart = Date.now();
    const reply = await respCall(leader.port, ['RAFT.SNAPSHOT'], SNAPSHOT_TIMEOUT_MS);
    const snapshotEnd = Date.now();
    const writes = await load.stop();
    const failure = replyFailure(reply);
    if (failure !== null) throw new Error(`RAFT.SNAPSHOT failed: ${failure}`);
    const creationMs = snapshotEnd - snapshotStart;
    const snapshotBytes = newestSnapshotBytes(leader);
    const leaderEventLoopMaxMs = eventLoopMaxMs(cluster.root, pidOf(leader), snapshotStart, snapshotEnd);
    const targetIndex = await appliedIndex(leader.port);
    if (targetIndex === null) throw new Error('no applied_index from the leader');

    line.update('follower catching up');
    const logStart = statSync(follower.logPath).size;
    const followerStart = Date.now();
    respawn(follower.process);
    const rss = new RssPeaks([pidOf(leader), pidOf(follower)]);
    await waitApplied(follower, targetIndex, CATCH_UP_TIMEOUT_MS);
    const caughtUp = Date.now();
    const peaks = rss.stop();
    const receivingAt = logTime(follower, 'receiving snapshot', logStart);
    const receivedAt = logTime(follower, 'received snapshot', logStart);
    const transferMs = receivingAt === null || receivedAt === null ? null : Math.max(1, receivedAt - receivingAt);
    const hwm = memoryOf(pidOf(follower))?.hwm ?? null;
    const row: SnapshotSizeRow = {
      keys,
      creationMs,
      snapshotBytes,
      writesPerSecondDuringSnapshot: writes / Math.max(0.001, creationMs / 1000),
      leaderEventLoopMaxMs,
      transferMs,
      transferMBPerSecond: transferMs === null ? null : snapshotBytes / 1e6 / (transferMs / 1000),
      caughtUpMs: caughtUp - followerStart,
      restoreMs: receivedAt === null ? null : caughtUp - receivedAt,
      followerEventLoopMaxMs: eventLoopMaxMs(cluster.root, pidOf(follower), receivingAt ?? followerStart, caughtUp),
      leaderPeakRssBytes: peaks.get(pidOf(leader)) ?? null,
      followerPeakRssBytes: Math.max(peaks.get(pidOf(follower)) ?? 0, hwm ?? 0) || null,
    };
    line.done(`snapshot ${(snapshotBytes / 1e6).toFixed(1)} MB in ${creationMs} ms; transfer ${row.transferMBPerSecond?.toFixed(0) ?? '?'} MB/s; caught up in ${row.caughtUpMs} ms`);

    let restart: SnapshotRestartResult | null = null;
    if (restartLogEntries !== null) {
      const restartLine = progress.start(`restart with ${keys.toLocaleString('en-US')}-key snapshot + ${restartLogEntries.toLocaleString('en-US')} log entries`);
      await writeLogEntries(leader.port, restartLogEntries);
      const lastIndex = await appliedIndex(leader.port);
      if (lastIndex === null) throw new Error('no applied_index from the leader');
      await waitApplied(follower, lastIndex, 120_000);
      await killNow(follower.process);
      const restartLogStart = statSync(follower.logPath).size;
      const spawnedAt = Date.now();
      respawn(follower.process);
      const lastKey = `log:${restartLogEntries - 1}`;
      await waitUntil(`${follower.id} to serve a linearizable read of ${lastKey}`, async () => {
        const value = replyText(await respCall(follower.port, ['GET', lastKey], 2000));
        return value === `v${restartLogEntries - 1}` ? true : null;
      }, 120_000, 20);
      const servingAt = Date.now();
      const restoredAt = logTime(follower, 'restored snapshot', restartLogStart);
      restart = { snapshotKeys: keys, logEntries: restartLogEntries, servingMs: servingAt - spawnedAt, restoredSnapshotMs: restoredAt === null ? null : restoredAt - spawnedAt };
      restartLine.done(`serving reads ${restart.servingMs} ms after start (snapshot restored at ${restart.restoredSnapshotMs ?? '?'} ms)`);
    }
    return { row, restart };
  } finally {
    await cluster.stop();
  }
}

export function snapshotSizes(quick: boolean): number[] {
  return quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
}

/** `profileDir`: run the nodes under --cpu-prof (nodes stopped with SIGTERM write a profile; killed ones do not). */
export async function measureSnapshots(quick: boolean, profileDir: string | null, machine: MachineInfo, commandLine: string, progress: Progress): Promise<SnapshotBenchResult> {
  const result: SnapshotBenchResult = { sizes: [], restart: null, machine, loadAtStart: loadAverage(), loadAtEnd: '', commandLine };
  const sizes = snapshotSizes(quick);
  for (const keys of sizes) {
    const largest = keys === sizes.at(-1);
    const { row, restart } = await measureSize(keys, largest ? keys / 10 : null, profileDir, progress);
    result.sizes.push(row);
    if (restart !== null) result.restart = restart;
  }
  result.loadAtEnd = loadAverage();
  return result;
}

// --- report ------------------------------------------------------------------------------

const SNAPSHOT_SECTION = keptSection('SNAPSHOT', 'the snapshot workload');

const ms = (v: number | null): string => (v === null ? '–' : Math.round(v).toLocaleString('en-US'));
const mb = (bytes: number | null): string => (bytes === null ? '–' : (bytes / 1e6).toFixed(1));
const mibOf = (bytes: number | null): string => (bytes === null ? '–' : (bytes / 1048576).toFixed(0));

/** The snapshot section of docs/benchmarks.md: this run's, or the previous file's when this run has none. */
export function snapshotReportSection(reportPath: string, result: SnapshotBenchResult | null): string[] {
  if (result === null) return keptSectionLines(reportPath, SNAPSHOT_SECTION, null);
  const m = result.machine;
  const out = ['## Snapshots: creation, transfer, catch-up, restart', '',
    `- Command: \`${result.commandLine}\`; machine: ${m.cores} cores, ${m.cpuModel}, ${m.memory} RAM, disk ${m.disk}, Node ${m.node}; load average ${result.loadAtStart} at the start of this section, ${result.loadAtEnd} at its end (the machine is shared: other work runs meanwhile).`,
    `- Each size: 3 nodes (\`--snapshot-entries 0 --log-retain-entries ${LOG_RETAIN_ENTRIES}\`, fsync on), one follower down; N keys of ${SNAPSHOT_VALUE_BYTES} B loaded with MSET; RAFT.SNAPSHOT on the leader while ${WRITE_LOAD_CLIENTS} closed-loop clients overwrite existing keys; then the follower restarts and catches up through InstallSnapshot (1 MiB chunks, 8 in flight).`,
    '- Creation: RAFT.SNAPSHOT round trip (the state is serialized at most 128 KiB per event-loop turn while writes continue, written, fsynced, renamed; then the log is compacted). Transfer: the follower\'s "receiving snapshot" → "received snapshot" log times (stream received, checked, written and fsynced); caught up: follower process start → its applied index reaches the leader\'s (includes start-up, election contact, transfer and restore). Peak RSS: VmRSS polled every 50 ms from the follower\'s start to caught up (and the follower\'s VmHWM). Event-loop delay: perf_hooks.monitorEventLoopDelay inside each node (a `node --import` preload), the worst 100 ms sample in the window: on the leader while RAFT.SNAPSHOT runs, on the follower from "receiving snapshot" to caught up.',
    '',
    '| keys | snapshot MB | creation ms | writes/s during | leader worst loop delay ms | transfer ms | transfer MB/s | restore ms | caught up ms | follower worst loop delay ms | leader peak RSS MiB | follower peak RSS MiB |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...result.sizes.map((r) => `| ${r.keys.toLocaleString('en-US')} | ${mb(r.snapshotBytes)} | ${ms(r.creationMs)} | ${ms(r.writesPerSecondDuringSnapshot)} | ${ms(r.leaderEventLoopMaxMs)} | ${ms(r.transferMs)} | ${r.transferMBPerSecond === null ? '–' : r.transferMBPerSecond.toFixed(0)} | ${ms(r.restoreMs)} | ${ms(r.caughtUpMs)} | ${ms(r.followerEventLoopMaxMs)} | ${mibOf(r.leaderPeakRssBytes)} | ${mibOf(r.followerPeakRssBytes)} |`),
    ''];
  const restart = result.restart;
  if (restart !== null) {
    out.push(`Restart of a follower holding a ${restart.snapshotKeys.toLocaleString('en-US')}-key snapshot plus ${restart.logEntries.toLocaleString('en-US')} log entries after it (kill -9, then start): snapshot restored ${ms(restart.restoredSnapshotMs)} ms after the process started; serving a linearizable GET of the last key written ${ms(restart.servingMs)} ms after it started.`, '');
  }
  const largest = result.sizes.at(-1);
  const checks = [
    largest === undefined || largest.transferMBPerSecond === null ? null : `transfer ≥ ${TRANSFER_MB_PER_S_MIN} MB/s on loopback (${largest.keys.toLocaleString('en-US')} keys): ${largest.transferMBPerSecond.toFixed(0)} MB/s, ${largest.transferMBPerSecond >= TRANSFER_MB_PER_S_MIN ? 'pass' : 'FAIL'}`,
    restart === null ? null : `restart to serving < ${RESTART_MS_MAX / 1000} s: ${(restart.servingMs / 1000).toFixed(1)} s, ${restart.servingMs < RESTART_MS_MAX ? 'pass' : 'FAIL'}`,
  ].filter((c): c is string => c !== null);
  if (checks.length > 0) out.push('Targets (issue 7): ' + checks.join('; ') + '.', '');
  return keptSectionLines(reportPath, SNAPSHOT_SECTION, out);
}
