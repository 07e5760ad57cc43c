// BullMQ, driven by its own npm package, against a 3-node cluster: its Lua scripts (cmsgpack
// arguments, hexadecimal priority scores, redis.call('TIME')-free timestamps from the client,
// ZADD/XADD/LMOVE inside scripts) run as one log entry each. A producer and a worker on
// different nodes process normal, delayed, prioritized and retried jobs; then the leader is
// killed while jobs are queued, and every job still completes, each exactly once.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { TestCluster } from '../support/cluster.js';

const deadlineMs = 90_000;

async function waitUntil(what: string, condition: () => boolean): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('BullMQ on a 3-node cluster', () => {
  let cluster: TestCluster;
  let leader: string;
  let followers: string[];
  const connection = (id: string): ConnectionOptions => ({ host: '127.0.0.1', port: cluster.node(id).port, maxRetriesPerRequest: null });

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
    leader = await cluster.waitForLeader();
    followers = cluster.nodes.map((node) => node.id).filter((id) => id !== leader);
  });

  after(async () => {
    await cluster?.stop();
  });

  it('processes normal, delayed, prioritized and retried jobs with the worker on a follower', async () => {
    const queue = new Queue('basic', { connection: connection(leader) });
    const completed = new Map<number, number>();
    const worker = new Worker('basic', async (job) => {
      if (job.data.n % 5 === 1 && job.attemptsMade === 0) throw new Error('first attempt fails');
      return job.data.n * 2;
    }, { connection: connection(followers[0] as string), concurrency: 4 });
    worker.on('completed', (job, result: number) => completed.set(job.data.n, result));
    await queue.add('delayed', { n: 100 }, { delay: 300 });
    await queue.add('urgent', { n: 102 }, { priority: 1 });
    for (let n = 0; n < 30; n++) await queue.add('job', { n }, { attempts: 2, backoff: { type: 'fixed', delay: 50 } });
    await waitUntil('32 completed jobs', () => completed.size === 32);
    assert.equal(completed.get(100), 200);
    assert.equal(completed.get(11), 22, 'a retried job completes on its second attempt');
    const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'delayed', 'active');
    assert.deepEqual(counts, { completed: 32, failed: 0, waiting: 0, paused: 0, delayed: 0, active: 0 });
    await worker.close();
    await queue.close();
  });

  it('every job completes exactly once when the leader is killed while jobs wait', async () => {
    const [producerNode, workerNode] = followers as [string, string];
    const queue = new Queue('failover', { connection: connection(producerNode) });
    const runs = new Map<number, number>();
    const worker = new Worker('failover', async (job) => {
      runs.set(job.data.n, (runs.get(job.data.n) ?? 0) + 1);
      return job.data.n;
    }, { connection: connection(workerNode), concurrency: 2 });
    const completed = new Set<number>();
    worker.on('completed', (job) => completed.add(job.data.n));
    for (let n = 0; n < 40; n++) await queue.add('job', { n });
    await waitUntil('some jobs done before the kill', () => completed.size >= 5);
    await cluster.kill(leader);
    await cluster.waitForLeaderAmong(followers);
    for (let n = 40; n < 60; n++) await queue.add('job', { n });
    await waitUntil('60 completed jobs', () => completed.size === 60);
    // A job whose completion was acknowledged ran once; one interrupted by the kill may run
    // again (BullMQ's at-least-once), but is completed once.
    const counts = await queue.getJobCounts('completed', 'failed');
    assert.deepEqual(counts, { completed: 60, failed: 0 });
    assert.ok([...runs.values()].every((count) => count <= 2), `runs per job: ${JSON.stringify([...runs])}`);
    await worker.close();
    await queue.close();
    assert.deepEqual(cluster.crashes(), []);
  });
});
