// Snapshots and log compaction with real processes: a follower that missed more than the
// retained log catches up through a snapshot (killed, and separately paused), on-demand
// snapshots, and restarts that reconcile snapshot and log.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { waitFor } from '../support/wait.js';

// A small in-flight window makes the leader hold back (and compact) entries for a follower
// whose connection stays up but which does not answer (SIGSTOP), as a slow disk would. One
// entry per write: the thresholds count entries, and the tests count on many of them.
const SNAPSHOT_ARGS = ['--snapshot-entries', '300', '--log-retain-entries', '50', '--max-inflight-messages', '4', '--write-batch-commands-max', '1'];

async function digestsAgree(cluster: TestCluster): Promise<boolean> {
  const seen = new Set<string>();
  for (const node of cluster.nodes) {
    if (node.process === null) continue;
    const reply = await cluster.call(node.id, ['RAFT.DIGEST']);
    if (!Array.isArray(reply)) return false;
    seen.add(String(reply[1]));
  }
  return seen.size === 1;
}

function installs(cluster: TestCluster, id: string): number {
  return (readFileSync(cluster.node(id).logPath, 'utf8').match(/restored snapshot/g) ?? []).length;
}

async function writeMany(cluster: TestCluster, id: string, prefix: string, count: number): Promise<void> {
  const redis = cluster.client(id);
  const pipelineSize = 100;
  for (let i = 0; i < count; i += pipelineSize) {
    const pipeline = redis.pipeline();
    for (let j = i; j < Math.min(count, i + pipelineSize); j++) pipeline.set(`${prefix}:${j}`, `v${j}`);
    const results = await pipeline.exec();
    for (const [error] of results ?? []) assert.equal(error, null);
  }
}

describe('snapshot catch-up', () => {
  let cluster: TestCluster;
  let leader: string;

  clusterPerSuite({ nodes: 3, args: SNAPSHOT_ARGS }, (started) => ({ cluster, leader } = started));

  it('brings a killed follower that missed more than the retained log up to date through a snapshot', async () => {
    const victim = cluster.nodes.find((n) => n.id !== leader)?.id ?? '';
    await writeMany(cluster, leader, 'before', 100);
    await cluster.kill(victim, 'SIGKILL');
    await writeMany(cluster, leader, 'during', 2000);
    await cluster.restart(victim);
    await waitFor('all digests equal after the follower restarts', () => digestsAgree(cluster), { timeoutMs: 30_000 });
    // The node's log reaches its file through a pipe: wait for the line rather than read once.
    await waitFor(`${victim} to log that it restored a snapshot`, () => installs(cluster, victim) > 0, { timeoutMs: 10_000 });
    const follower = cluster.client(victim);
    await follower.call('RAFT.CONSISTENCY', 'stale');
    assert.equal(await follower.get('during:1999'), 'v1999');
    assert.equal(await follower.get('before:0'), 'v0');
  });

  it('brings a paused (SIGSTOP) follower up to date through a snapshot when it resumes', async () => {
    leader = await cluster.waitForLeader();
    const victim = cluster.nodes.find((n) => n.id !== leader)?.id ?? '';
    const installsBefore = installs(cluster, victim);
    cluster.pause(victim);
    try {
      await writeMany(cluster, leader, 'paused', 1500);
    } finally {
      cluster.resume(victim);
    }
    await waitFor('all digests equal after the follower resumes', () => digestsAgree(cluster), { timeoutMs: 30_000 });
    await waitFor(`${victim} to install a new snapshot (had ${installsBefore})`, () => installs(cluster, victim) > installsBefore, { timeoutMs: 10_000 });
  });

  it('takes a snapshot on demand and restarts every node from snapshot plus log with nothing lost', async () => {
    leader = await cluster.waitForLeader();
    await writeMany(cluster, leader, 'ondemand', 120);
    const index = await cluster.call(leader, ['RAFT.SNAPSHOT']);
    assert.equal(typeof index, 'string', `RAFT.SNAPSHOT must return the snapshot index, got ${String(index)}`);
    assert.ok(Number(index) > 0);
    await writeMany(cluster, leader, 'after-snapshot', 40);
    for (const node of cluster.nodes) await cluster.kill(node.id, 'SIGKILL');
    for (const node of cluster.nodes) cluster.startNode(node.id);
    for (const node of cluster.nodes) await cluster.waitForListening(node.id);
    leader = await cluster.waitForLeader();
    for (const node of cluster.nodes) {
      const redis = cluster.client(node.id);
      assert.equal(await redis.get('ondemand:119'), 'v119', `${node.id}: data in the snapshot`);
      assert.equal(await redis.get('after-snapshot:39'), 'v39', `${node.id}: data in the log after the snapshot`);
      assert.equal(await redis.get('during:1999'), 'v1999');
    }
    await waitFor('all digests equal after the whole-cluster restart', () => digestsAgree(cluster), { timeoutMs: 20_000 });
    assert.deepEqual(cluster.crashes(), []);
  });
});

describe('a node whose data directory was lost', () => {
  it('is refused by its peers instead of being allowed to vote, with a message telling the operator what to do', async () => {
    const { rmSync } = await import('node:fs');
    const cluster = await TestCluster.start({ nodes: 3 });
    try {
      const leader = await cluster.waitForLeader();
      const victim = cluster.nodes.find((n) => n.id !== leader)?.id ?? '';
      const redis = cluster.client(leader);
      await redis.set('k', 'v');
      await cluster.kill(victim, 'SIGKILL');
      rmSync(cluster.node(victim).dataDir, { recursive: true, force: true });
      await cluster.restart(victim);
      await waitFor(`${victim} to report that its peers refuse it (data in ${cluster.root})`, () => /data directory was replaced/.test(readFileSync(cluster.node(victim).logPath, 'utf8')), { timeoutMs: 15_000 });
      const answer = await cluster.call(victim, ['RAFT.LEADER']);
      assert.ok(answer instanceof Error && /TRYAGAIN no leader/.test(answer.message), `the wiped node must not join the cluster (got ${String(answer)})`);
      assert.equal(await redis.set('k2', 'v2'), 'OK', 'the rest of the cluster keeps working');
      assert.equal(await cluster.waitForLeaderAmong([leader, ...cluster.nodes.map((n) => n.id).filter((id) => id !== leader && id !== victim)]), leader);
    } finally {
      await cluster.stop();
    }
  });
});
