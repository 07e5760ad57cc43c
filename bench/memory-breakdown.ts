// Where a node's resident memory goes after a string load (issue 20's memory target): a 3-node
// cluster loaded with N keys × 100 B (MSET, 100 pairs per command), or with one collection of N
// elements as the type-memory workload loads it (--type list|hash|set|zset), then per node VmRSS and its
// parts (/proc/PID/status: anonymous, file-backed), the V8 heap in use and committed, the
// memory outside the heap (Buffers: the Raft log, network and WAL buffers) from INFO memory,
// and the Raft log still held (first..last index); measured after the load has settled, again
// after RAFT.SNAPSHOT on every node (the log cut to its retained tail), and for redis-server
// with the same data. Anonymous memory is split by mapping (/proc/PID/smaps): malloc's main
// arena (the [heap] mapping), and every other anonymous mapping (V8's heap pages, malloc's
// thread arenas and its chunks of a mapping each). Hand-run, one JSON line per measurement:
//   node --import tsx bench/memory-breakdown.ts [--keys N (with --type: elements)] [--type T] [--ports FIRST-LAST] [--main DIST_CLI]
//        [--node-args '--max-semi-space-size=2 ...'] [--server-args '--snapshot-log-bytes 8mb']
// (--main: another build's dist/src/cli/main.js; environment variables such as MALLOC_ARENA_MAX
// given to this script reach the nodes.) At the end, each node's idle-collection log lines
// (with --server-args '--log-level info': the collections' and trims' pauses and RSS).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COLLECTION_TYPES, type CollectionType } from './collection-data.js';
import { benchValue } from './load-clients.js';
import { preloadResp } from './preload.js';
import { replyFailure, replyText, respCall } from './resp-client.js';
import { usePortRange, waitUntil } from './systems/ports.js';
import { RaftisCluster, type RaftisNode } from './systems/raftis-cluster.js';
import { RedisSingle } from './systems/redis-single.js';
import { MEMORY_VALUE_BYTES } from './memory.js';
import { loadCollection } from './types-memory.js';

const SETTLE_MS = 20_000;
const MiB = 1024 * 1024;

function statusKiB(pid: number, field: string): number | null {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? null : Number(match[1]);
}

/** RSS in KiB of the [heap] mapping (malloc's main arena) and of all other anonymous mappings. */
function anonymousSplitKiB(pid: number): { brk: number; otherAnon: number } {
  let brk = 0;
  let otherAnon = 0;
  let kind: 'brk' | 'anon' | 'file' = 'file';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header !== null) {
      const name = header[2] ?? '';
      kind = name === '[heap]' ? 'brk' : header[1] === '0' && !name.startsWith('/') ? 'anon' : 'file';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss === null) continue;
    if (kind === 'brk') brk += Number(rss[1]);
    else if (kind === 'anon') otherAnon += Number(rss[1]);
  }
  return { brk, otherAnon };
}

async function info(port: number, section: string): Promise<Map<string, string>> {
  const text = replyText(await respCall(port, ['INFO', section], 30_000)) ?? '';
  return new Map(text.split('\r\n').filter((line) => line.includes(':')).map((line) => line.split(':', 2) as [string, string]));
}

async function nodeMemory(node: RaftisNode, leader: RaftisNode, phase: string): Promise<Record<string, unknown>> {
  const pid = node.process.child?.pid as number;
  const memory = await info(node.port, 'memory');
  const raft = await info(node.port, 'raft');
  const mib = (bytes: string | undefined): number => Math.round(Number(bytes ?? 'NaN') / MiB);
  const split = anonymousSplitKiB(pid);
  return {
    phase, node: node.id, role: node === leader ? 'leader' : 'follower',
    rssMiB: Math.round((statusKiB(pid, 'VmRSS') ?? NaN) / 1024), anonMiB: Math.round((statusKiB(pid, 'RssAnon') ?? NaN) / 1024),
    fileMiB: Math.round((statusKiB(pid, 'RssFile') ?? NaN) / 1024), mallocMainArenaMiB: Math.round(split.brk / 1024),
    otherAnonMiB: Math.round(split.otherAnon / 1024), heapUsedMiB: mib(memory.get('used_memory_heap')),
    heapCommittedMiB: mib(memory.get('used_memory_heap_committed')), externalMiB: mib(memory.get('used_memory_external')),
    arrayBuffersMiB: mib(memory.get('used_memory_array_buffers')), estimateMiB: mib(memory.get('used_memory')),
    logEntries: Number(raft.get('log_last_index')) - Number(raft.get('log_first_index')) + 1,
  };
}

async function measureAll(cluster: RaftisCluster, leader: RaftisNode, phase: string): Promise<void> {
  for (const node of cluster.nodes) process.stdout.write(`${JSON.stringify(await nodeMemory(node, leader, phase))}\n`);
}

/** Each node's idle-collection log lines (pino's JSON), one output line each. */
function printIdleLogLines(cluster: RaftisCluster): void {
  for (const node of cluster.nodes) {
    for (const line of readFileSync(join(cluster.root, `${node.id}.log`), 'utf8').split('\n')) {
      if (line.includes('"msg":"idle: ')) process.stdout.write(`${JSON.stringify({ phase: 'idle-log', node: node.id, entry: JSON.parse(line) as unknown })}\n`);
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    keys: { type: 'string', default: '1000000' }, ports: { type: 'string' },
    'node-args': { type: 'string', default: '' }, 'server-args': { type: 'string', default: '' }, redis: { type: 'boolean', default: false },
    'heap-snapshot-wait': { type: 'string', default: '0' }, main: { type: 'string' }, type: { type: 'string' },
  } });
  const type = values.type as CollectionType | undefined;
  if (type !== undefined && !COLLECTION_TYPES.includes(type)) throw new Error(`--type: one of ${COLLECTION_TYPES.join(', ')}`);
  if (values.ports !== undefined) {
    const [first, last] = values.ports.split('-').map(Number) as [number, number];
    usePortRange(first, last);
  }
  const keys = Number(values.keys);
  const key = (i: number): string => `mem:${String(i).padStart(8, '0')}`;
  const value = benchValue(MEMORY_VALUE_BYTES);
  const load = (port: number): Promise<void> => (type === undefined ? preloadResp(port, keys, key, value) : loadCollection(port, type, keys));
  const split = (text: string): string[] => text.split(' ').filter((word) => word !== '');
  if (values.redis) {
    const redis = await RedisSingle.start();
    try {
      const empty = redis.rss();
      await load(redis.port);
      await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
      process.stdout.write(`${JSON.stringify({ phase: 'redis', emptyMiB: Math.round((empty ?? NaN) / MiB), rssMiB: Math.round((redis.rss() ?? NaN) / MiB) })}\n`);
    } finally {
      await redis.stop();
    }
  }
  const cluster = await RaftisCluster.start({ nodes: 3, profileDir: null, ...(values.main === undefined ? {} : { main: values.main }), nodeArgs: split(values['node-args']), serverArgs: split(values['server-args']) });
  try {
    const leader = await cluster.waitForLeader();
    await measureAll(cluster, leader, 'empty');
    await load(leader.port);
    const target = Number((await info(leader.port, 'raft')).get('applied_index'));
    await waitUntil('every node to apply the load', async () => {
      for (const node of cluster.nodes) if (Number((await info(node.port, 'raft')).get('applied_index')) < target) return null;
      return true;
    }, 300_000, 200);
    await new Promise((resolveWait) => setTimeout(resolveWait, 2000));
    await measureAll(cluster, leader, 'loaded+2s');
    await new Promise((resolveWait) => setTimeout(resolveWait, SETTLE_MS));
    await measureAll(cluster, leader, `loaded+${SETTLE_MS / 1000 + 2}s`);
    for (const node of cluster.nodes) {
      const failure = replyFailure(await respCall(node.port, ['RAFT.SNAPSHOT'], 300_000));
      if (failure !== null) throw new Error(`RAFT.SNAPSHOT on ${node.id}: ${failure}`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, SETTLE_MS));
    await measureAll(cluster, leader, 'snapshot+20s');
    // With --node-args --heapsnapshot-signal=SIGUSR2: every node writes a heap snapshot into the working directory.
    const heapSnapshotWaitMs = Number(values['heap-snapshot-wait']) * 1000;
    if (heapSnapshotWaitMs > 0) {
      for (const node of cluster.nodes) node.process.child?.kill('SIGUSR2');
      await new Promise((resolveWait) => setTimeout(resolveWait, heapSnapshotWaitMs));
    }
    printIdleLogLines(cluster);
  } finally {
    await cluster.stop();
  }
}

await main();
