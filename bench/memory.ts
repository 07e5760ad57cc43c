// Memory: resident set size of a raftis node and of redis-server, empty and after loading
// the same keys (MSET batches of 100 pairs, 100-byte values), 2 s after the load and settled
// (the lowest seen while the loaded process idles: a node collects the load's garbage and
// gives pages back only once it has idled, src/server/idle-collection.ts). raftis RSS includes
// the V8 heap, the Raft log entries not yet compacted into a snapshot and the node's buffers.

import { benchValue } from './load-clients.js';
import { preloadResp } from './preload.js';
import type { Progress } from './progress.js';
import { replyText, respCall } from './resp-client.js';
import type { MemoryRow } from './results.js';
import { waitUntil } from './systems/ports.js';
import { RaftisCluster } from './systems/raftis-cluster.js';
import { RedisSingle } from './systems/redis-single.js';

export const MEMORY_VALUE_BYTES = 100;
const SETTLE_MS = 2000;
/** How long each loaded process is watched for its settled RSS (a node's idle collections take 5 + 5 s by default). */
const IDLE_WATCH_MS = 30_000;
const IDLE_POLL_MS = 1000;

/** The lowest RSS of each process (`rssOf`: one reader each) seen now and over the next IDLE_WATCH_MS. */
async function lowestWhileIdle(rssOf: (() => number | null)[]): Promise<(number | null)[]> {
  const lowest = rssOf.map((rss) => rss());
  for (let waited = 0; waited < IDLE_WATCH_MS; waited += IDLE_POLL_MS) {
    await new Promise((resolveWait) => setTimeout(resolveWait, IDLE_POLL_MS));
    rssOf.forEach((rss, i) => {
      const now = rss();
      const seen = lowest[i] ?? null;
      if (now !== null && (seen === null || now < seen)) lowest[i] = now;
    });
  }
  return lowest;
}

function memoryKey(index: number): string {
  return `mem:${String(index).padStart(8, '0')}`;
}

function mib(bytes: number | null): string {
  return bytes === null ? '?' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

async function appliedIndex(port: number): Promise<number | null> {
  const info = replyText(await respCall(port, ['INFO', 'raft']));
  const match = info === null ? null : /applied_index:(\d+)/.exec(info);
  return match === null ? null : Number(match[1]);
}

export async function measureMemory(keys: number, profileDir: string | null, progress: Progress): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  const value = benchValue(MEMORY_VALUE_BYTES);
  const settle = (): Promise<void> => new Promise((resolveWait) => setTimeout(resolveWait, SETTLE_MS));

  const redisLine = progress.start(`memory redis ${keys} keys × ${MEMORY_VALUE_BYTES} B`);
  const redis = await RedisSingle.start();
  try {
    const empty = redis.rss();
    await preloadResp(redis.port, keys, memoryKey, value, (loaded) => redisLine.update(`${loaded} keys`));
    await settle();
    const loaded = redis.rss();
    const [settled] = await lowestWhileIdle([() => redis.rss()]);
    rows.push({ system: 'redis', node: 'redis-server', keys, valueBytes: MEMORY_VALUE_BYTES, emptyRssBytes: empty, loadedRssBytes: loaded, settledRssBytes: settled ?? null });
    redisLine.done(`RSS ${mib(empty)} empty → ${mib(loaded)} loaded, ${mib(settled ?? null)} settled`);
  } finally {
    await redis.stop();
  }

  const raftisLine = progress.start(`memory raftis ${keys} keys × ${MEMORY_VALUE_BYTES} B`);
  const cluster = await RaftisCluster.start({ nodes: 3, profileDir });
  try {
    const leader = await cluster.waitForLeader();
    const empty = new Map(cluster.nodes.map((n) => [n.id, cluster.rss(n)]));
    await preloadResp(leader.port, keys, memoryKey, value, (loaded) => raftisLine.update(`${loaded} keys`));
    const target = await appliedIndex(leader.port);
    await waitUntil('every node to apply the load', async () => {
      for (const node of cluster.nodes) {
        const applied = await appliedIndex(node.port);
        if (applied === null || target === null || applied < target) return null;
      }
      return true;
    }, 60_000, 200);
    await settle();
    const loaded = cluster.nodes.map((node) => cluster.rss(node));
    raftisLine.update('loaded; watching the idle nodes settle');
    const settled = await lowestWhileIdle(cluster.nodes.map((node) => () => cluster.rss(node)));
    cluster.nodes.forEach((node, i) => {
      rows.push({
        system: 'raftis', node: `${node.id}${node === leader ? ' (leader)' : ''}`, keys, valueBytes: MEMORY_VALUE_BYTES,
        emptyRssBytes: empty.get(node.id) ?? null, loadedRssBytes: loaded[i] ?? null, settledRssBytes: settled[i] ?? null,
      });
    });
    const leaderRow = rows.find((r) => r.system === 'raftis' && r.node.endsWith('(leader)'));
    raftisLine.done(`leader RSS ${mib(leaderRow?.emptyRssBytes ?? null)} empty → ${mib(leaderRow?.loadedRssBytes ?? null)} loaded, ${mib(leaderRow?.settledRssBytes ?? null)} settled`);
  } finally {
    await cluster.stop();
  }
  return rows;
}
