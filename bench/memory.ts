// Memory: resident set size of a raftis node and of redis-server, empty and after loading
// the same keys (MSET batches of 100 pairs, 100-byte values). raftis RSS includes the V8
// heap, the Raft log entries not yet compacted into a snapshot and the node's buffers.

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
    rows.push({ system: 'redis', node: 'redis-server', keys, valueBytes: MEMORY_VALUE_BYTES, emptyRssBytes: empty, loadedRssBytes: loaded });
    redisLine.done(`RSS ${mib(empty)} empty → ${mib(loaded)} loaded`);
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
    for (const node of cluster.nodes) {
      rows.push({ system: 'raftis', node: `${node.id}${node === leader ? ' (leader)' : ''}`, keys, valueBytes: MEMORY_VALUE_BYTES, emptyRssBytes: empty.get(node.id) ?? null, loadedRssBytes: cluster.rss(node) });
    }
    const leaderRow = rows.find((r) => r.system === 'raftis' && r.node.endsWith('(leader)'));
    raftisLine.done(`leader RSS ${mib(leaderRow?.emptyRssBytes ?? null)} empty → ${mib(leaderRow?.loadedRssBytes ?? null)} loaded`);
  } finally {
    await cluster.stop();
  }
  return rows;
}
