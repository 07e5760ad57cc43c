// A large snapshot end to end with real processes (slow: RAFTIS_SLOW_TESTS=1): a follower
// down while 1,000,000 keys of 100 bytes are written catches up by installing a snapshot of
// about 135 MB, and every replica ends with the same state. The timings and memory of this
// transfer are measured by `npm run bench -- --only snapshot`, not asserted here.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

const KEYS = 1_000_000;
const VALUE = 'v'.repeat(100);
const MSET_PAIRS = 500;
const PIPELINE_COMMANDS = 8;

/** RAFT.DIGEST hashes every key: allow it far longer than the cluster helper's 5 s. */
async function digest(cluster: TestCluster, id: string): Promise<string | null> {
  const client = new Redis({ host: '127.0.0.1', port: cluster.node(id).port, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 120_000 });
  client.on('error', () => {});
  try {
    const reply = await client.call('RAFT.DIGEST');
    return Array.isArray(reply) ? `${String(reply[0])}/${String(reply[1])}` : null;
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}

async function appliedIndex(cluster: TestCluster, id: string): Promise<number> {
  const info = await cluster.call(id, ['INFO', 'raft']);
  const match = typeof info === 'string' ? /applied_index:(\d+)/.exec(info) : null;
  return match === null ? -1 : Number(match[1]);
}

describe('large snapshot', () => {
  it(`a follower that missed ${KEYS.toLocaleString('en-US')} keys catches up through one snapshot`, { timeout: 30 * 60_000 }, async () => {
    // RAFT.DIGEST hashes a million keys in one go (seconds on a loaded machine): a long
    // election timeout keeps those stalls from changing the leader under the test.
    const cluster = await TestCluster.start({ nodes: 3, args: ['--snapshot-entries', '1000', '--log-retain-entries', '100', '--election-ticks', '200'] });
    try {
      const leader = await cluster.waitForLeader();
      const victim = cluster.nodes.find((n) => n.id !== leader)?.id ?? '';
      await cluster.kill(victim, 'SIGKILL');
      const redis = cluster.client(leader);
      for (let i = 0; i < KEYS; i += MSET_PAIRS * PIPELINE_COMMANDS) {
        const pipeline = redis.pipeline();
        for (let start = i; start < Math.min(KEYS, i + MSET_PAIRS * PIPELINE_COMMANDS); start += MSET_PAIRS) {
          const args: string[] = [];
          for (let k = start; k < Math.min(KEYS, start + MSET_PAIRS); k++) args.push(`key:${k}`, VALUE);
          pipeline.mset(...args);
        }
        for (const [error] of (await pipeline.exec()) ?? []) assert.equal(error, null);
      }
      await cluster.restart(victim);
      await waitFor(`${victim} to restore a snapshot`, () => /"msg":"restored snapshot"/.test(readFileSync(cluster.node(victim).logPath, 'utf8')), { timeoutMs: 20 * 60_000, intervalMs: 1000 });
      const leaderApplied = await appliedIndex(cluster, leader);
      await waitFor(`${victim} to apply up to the leader's index ${leaderApplied}`, async () => (await appliedIndex(cluster, victim)) >= leaderApplied, { timeoutMs: 10 * 60_000, intervalMs: 1000 });
      await waitFor('equal digests on every node', async () => {
        const seen = new Set<string | null>();
        for (const node of cluster.nodes) seen.add(await digest(cluster, node.id));
        return seen.size === 1 && !seen.has(null);
      }, { timeoutMs: 10 * 60_000, intervalMs: 2000 });
      const follower = cluster.client(victim);
      await follower.call('RAFT.CONSISTENCY', 'stale');
      assert.equal(await follower.dbsize(), KEYS);
      assert.equal(await follower.get(`key:${KEYS - 1}`), VALUE);
      assert.deepEqual(cluster.crashes(), []);
    } finally {
      await cluster.stop();
    }
  });
});
