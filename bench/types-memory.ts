// Memory per collection type (issue 15): one key holding a 1M-field hash, a 1M-element list,
// a 1M-member set or a 1M-member sorted set of 10–100-byte elements (collection-data.ts),
// loaded with the type's own write command, 1000 elements per command, pipelined on one
// connection. Each type gets a fresh redis-server and a fresh 3-node raftis cluster; the
// figure is VmRSS once every node has applied the load (the largest node), against
// redis-server's VmRSS for the same data: 2 s after the load, and settled (the lowest seen
// while the cluster idles for up to a minute: V8 collects the load's garbage and gives pages
// back only once allocation stops), and again after RAFT.SNAPSHOT on every node (the part of
// RSS that is the Raft log kept since the last snapshot). Beside it, the V8 heap per element
// of the same collection built in-process (collection-heap.ts), against Redis's used_memory
// per element.

import { execFileSync } from 'node:child_process';
import { COLLECTION_TYPES, dataBytes, fillCommand, type CollectionType } from './collection-data.js';
import { keptSection, keptSectionLines } from './kept-section.js';
import { loadAverage, type MachineInfo } from './machine.js';
import { pipelineResp } from './preload.js';
import type { Progress } from './progress.js';
import { replyFailure, replyText, respCall } from './resp-client.js';
import { waitUntil } from './systems/ports.js';
import { RaftisCluster, type RaftisNode } from './systems/raftis-cluster.js';
import { RedisSingle } from './systems/redis-single.js';

const ELEMENTS_PER_COMMAND = 1000;
const SETTLE_MS = 2000;
/** How long an idle cluster is watched for its RSS to settle, and how often. */
const IDLE_WATCH_MS = 60_000;
const IDLE_POLL_MS = 2000;
const APPLY_TIMEOUT_MS = 300_000;
/** Issue 15's goal: raftis's RSS per type at most this multiple of Redis's. */
export const TYPE_MEMORY_RATIO_MAX = 2;
const SECTION = keptSection('TYPE-MEMORY', 'the type-memory workload');

export interface TypeMemoryRow extends ClusterRss {
  readonly type: CollectionType;
  readonly elements: number;
  readonly dataBytes: number;
  readonly redisEmptyRss: number | null;
  readonly redisRss: number | null;
  /** Redis's own count (INFO memory used_memory) after the load. */
  readonly redisUsedMemory: number | null;
  /** V8 heap bytes per element of the same collection built in-process (collection-heap.ts). */
  readonly heapBytesPerElement: number | null;
  readonly loadAtStart: string;
  readonly loadAtEnd: string;
}

export interface TypeMemoryResult {
  readonly rows: TypeMemoryRow[];
  readonly machine: MachineInfo;
  readonly commit: string;
  readonly commandLine: string;
}

const settle = (): Promise<void> => new Promise((resolveWait) => setTimeout(resolveWait, SETTLE_MS));

/** Fills `big:TYPE` with `elements` elements, ELEMENTS_PER_COMMAND a command, pipelined on one connection. */
export function loadCollection(port: number, type: CollectionType, elements: number): Promise<void> {
  const commands = Math.ceil(elements / ELEMENTS_PER_COMMAND);
  return pipelineResp(port, commands, 1, (i) => fillCommand(type, `big:${type}`, i * ELEMENTS_PER_COMMAND, Math.min(ELEMENTS_PER_COMMAND, elements - i * ELEMENTS_PER_COMMAND)));
}

async function infoField(port: number, section: string, field: string): Promise<number | null> {
  const info = replyText(await respCall(port, ['INFO', section], 10_000));
  const match = info === null ? null : new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
  return match === null ? null : Number(match[1]);
}

async function measureRedis(type: CollectionType, elements: number): Promise<Pick<TypeMemoryRow, 'redisEmptyRss' | 'redisRss' | 'redisUsedMemory'>> {
  const redis = await RedisSingle.start();
  try {
    const redisEmptyRss = redis.rss();
    await loadCollection(redis.port, type, elements);
    await settle();
    return { redisEmptyRss, redisRss: redis.rss(), redisUsedMemory: await infoField(redis.port, 'memory', 'used_memory') };
  } finally {
    await redis.stop();
  }
}

/** The node with the largest RSS now, with it. */
function largest(cluster: RaftisCluster): { node: RaftisNode; rss: number | null } {
  let best: { node: RaftisNode; rss: number | null } = { node: cluster.nodes[0] as RaftisNode, rss: null };
  for (const node of cluster.nodes) {
    const rss = cluster.rss(node);
    if (rss !== null && (best.rss === null || rss > best.rss)) best = { node, rss };
  }
  return best;
}

async function waitAllApplied(cluster: RaftisCluster, leader: RaftisNode): Promise<void> {
  const target = await infoField(leader.port, 'raft', 'applied_index');
  await waitUntil('every node to apply the load', async () => {
    for (const node of cluster.nodes) {
      const applied = await infoField(node.port, 'raft', 'applied_index');
      if (applied === null || target === null || applied < target) return null;
    }
    return true;
  }, APPLY_TIMEOUT_MS, 200);
}

/** RSS of a 3-node cluster (its largest node) before and after `load`, and settled while it idles. */
export interface ClusterRss {
  readonly raftisEmptyRss: number | null;
  readonly raftisRss: number | null;
  readonly raftisNode: string;
  readonly raftisHeap: number | null;
  readonly raftisRssSettled: number | null;
  /** The same after RAFT.SNAPSHOT on every node: the Raft log compacted to its retained tail. */
  readonly raftisRssCompacted: number | null;
}

/** The lowest largest-node RSS seen while the cluster idles for IDLE_WATCH_MS (starting from `from`). */
async function lowestWhileIdle(cluster: RaftisCluster, from: number | null): Promise<number | null> {
  let lowest = from;
  for (let waited = 0; waited < IDLE_WATCH_MS; waited += IDLE_POLL_MS) {
    await new Promise((resolveWait) => setTimeout(resolveWait, IDLE_POLL_MS));
    const now = largest(cluster).rss;
    if (now !== null && (lowest === null || now < lowest)) lowest = now;
  }
  return lowest;
}

export async function loadedClusterRss(main: string | undefined, profileDir: string | null, load: (port: number) => Promise<void>): Promise<ClusterRss> {
  const cluster = await RaftisCluster.start({ nodes: 3, profileDir, ...(main === undefined ? {} : { main }) });
  try {
    const leader = await cluster.waitForLeader();
    const raftisEmptyRss = largest(cluster).rss;
    await load(leader.port);
    await waitAllApplied(cluster, leader);
    await settle();
    const loaded = largest(cluster);
    const raftisHeap = await infoField(loaded.node.port, 'memory', 'used_memory_heap');
    const raftisRssSettled = await lowestWhileIdle(cluster, loaded.rss);
    for (const node of cluster.nodes) {
      const failure = replyFailure(await respCall(node.port, ['RAFT.SNAPSHOT'], APPLY_TIMEOUT_MS));
      if (failure !== null) throw new Error(`RAFT.SNAPSHOT on ${node.id}: ${failure}`);
    }
    const raftisRssCompacted = await lowestWhileIdle(cluster, null);
    const role = leader.id === loaded.node.id ? 'leader' : 'follower';
    return { raftisEmptyRss, raftisRss: loaded.rss, raftisNode: `${loaded.node.id}, ${role}`, raftisHeap, raftisRssSettled, raftisRssCompacted };
  } finally {
    await cluster.stop();
  }
}

export async function measureTypeMemory(elements: number, profileDir: string | null, progress: Progress): Promise<TypeMemoryRow[]> {
  const rows: TypeMemoryRow[] = [];
  for (const type of COLLECTION_TYPES) {
    const line = progress.start(`memory of a ${elements}-element ${type}`);
    const loadAtStart = loadAverage();
    let data = 0;
    for (let i = 0; i < elements; i++) data += dataBytes(type, i);
    const redis = await measureRedis(type, elements);
    const raftis = await loadedClusterRss(undefined, profileDir, (port) => loadCollection(port, type, elements));
    const row: TypeMemoryRow = { type, elements, dataBytes: data, ...redis, ...raftis, heapBytesPerElement: heapPerElement(type, elements), loadAtStart, loadAtEnd: loadAverage() };
    rows.push(row);
    line.done(`raftis ${mib(row.raftisRss)} → ${mib(row.raftisRssSettled)} settled, ${mib(row.raftisRssCompacted)} compacted (${row.raftisNode}), redis ${mib(row.redisRss)}: ${ratio(row.raftisRssSettled, row.redisRss)}`);
  }
  return rows;
}

/** The in-process heap per element (a child process: it needs --expose-gc), or null if it fails. */
function heapPerElement(type: CollectionType, elements: number): number | null {
  try {
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/collection-heap.ts', '--type', type, '--elements', String(elements)], { encoding: 'utf8', timeout: APPLY_TIMEOUT_MS });
    return (JSON.parse(out) as { heapBytesPerElement: number }).heapBytesPerElement;
  } catch {
    return null;
  }
}

const mib = (bytes: number | null): string => (bytes === null ? '–' : `${(bytes / 1048576).toFixed(0)} MiB`);

function ratio(raftis: number | null, redis: number | null): string {
  return raftis === null || redis === null ? '–' : `${(raftis / redis).toFixed(2)}×`;
}

export function typeMemoryReportSection(reportPath: string, result: TypeMemoryResult | null): string[] {
  if (result === null) return keptSectionLines(reportPath, SECTION, null);
  const m = result.machine;
  const elements = result.rows[0]?.elements ?? 0;
  const perElement = (bytes: number | null, count: number): string => (bytes === null ? '–' : `${Math.round(bytes / count)} B`);
  const lines = ['## Memory per collection type', '',
    `- Command: \`${result.commandLine}\`, dist/ built from commit \`${result.commit}\`; machine: ${m.cores} cores, ${m.cpuModel}, ${m.memory} RAM, Node ${m.node}.`,
    `- Each type: one key of ${elements.toLocaleString('en-US')} elements of 10–100 bytes (55 on average; hash fields \`f:N\`, sorted-set scores integers), loaded with HSET / RPUSH / SADD / ZADD of ${ELEMENTS_PER_COMMAND} elements per command, pipelined on one connection, into a fresh redis-server (\`appendonly yes\`, \`appendfsync always\`) and a fresh 3-node raftis cluster (default settings). VmRSS from /proc/PID/status ${SETTLE_MS / 1000} s after every node applied the load ("loaded"), and the lowest seen while the idle cluster was watched for ${IDLE_WATCH_MS / 1000} s ("settled": V8 collects the load's garbage and returns pages only once allocation stops), and the lowest seen in another ${IDLE_WATCH_MS / 1000} s after RAFT.SNAPSHOT on every node ("log compacted": the Raft log cut to its retained tail, \`--log-retain-bytes\` 8 MiB); raftis's figure is its largest node, whose V8 heap in use (INFO memory) is "heap". raftis's RSS also holds its Raft log since the last snapshot (up to \`--snapshot-log-bytes\`, 64 MiB by default, plus the retained tail) and the ~58 MiB of an empty node. "heap per element": the same collection built in-process by bench/collection-heap.ts, V8 heap after a full GC, divided by the elements; Redis's per element is its used_memory after the load, divided likewise.`,
    '',
    `| type | data | Redis RSS | raftis RSS loaded (node) | raftis heap | raftis RSS settled | settled / Redis | goal ≤ ${TYPE_MEMORY_RATIO_MAX}× | raftis RSS, log compacted | compacted / Redis | Redis used_memory per element | raftis heap per element | load at start → end |`,
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |',
    ...result.rows.map((r) => {
      const pass = r.raftisRssSettled === null || r.redisRss === null ? 'n/a' : r.raftisRssSettled <= TYPE_MEMORY_RATIO_MAX * r.redisRss ? 'pass' : '**FAIL**';
      return `| ${r.type} | ${mib(r.dataBytes)} | ${mib(r.redisRss)} | ${mib(r.raftisRss)} (${r.raftisNode}) | ${mib(r.raftisHeap)} | ${mib(r.raftisRssSettled)} | ${ratio(r.raftisRssSettled, r.redisRss)} | ${pass} | ${mib(r.raftisRssCompacted)} | ${ratio(r.raftisRssCompacted, r.redisRss)} | ${perElement(r.redisUsedMemory, r.elements)} | ${r.heapBytesPerElement === null ? '–' : `${r.heapBytesPerElement} B`} | ${r.loadAtStart} → ${r.loadAtEnd} |`;
    }), ''];
  return keptSectionLines(reportPath, SECTION, lines);
}
