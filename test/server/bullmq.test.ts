// BullMQ, driven by its own npm package, against a 3-node cluster: its Lua scripts (cmsgpack
// arguments, hexadecimal priority scores, redis.call('TIME')-free timestamps from the client,
// ZADD/XADD/LMOVE inside scripts) run as one log entry each. A producer and a worker on
// different nodes process normal, delayed, prioritized and retried jobs; flows (a parent runs
// once its children on another queue have, and sees their results), a worker's rate limit,
// and a job scheduler's repeated jobs; then the leader is killed while jobs are queued, and
// every job still completes, each exactly once.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowProducer, Queue, Worker, type ConnectionOptions } from 'bullmq';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';

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

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster, leader, followers } = started));

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

  it('flows: the parent runs after its children (on another queue and node) and gets their results', async () => {
    const [childNode, parentNode] = followers as [string, string];
    const flows = new FlowProducer({ connection: connection(leader) });
    const order: string[] = [];
    const children = new Worker('flow-children', async (job) => {
      order.push(job.name);
      return job.data.n * 10;
    }, { connection: connection(childNode), concurrency: 3 });
    let parentResult: Record<string, number> | null = null;
    const parents = new Worker('flow-parents', async (job) => {
      order.push(job.name);
      parentResult = await job.getChildrenValues<number>();
      return Object.values(parentResult).reduce((sum, value) => sum + value, 0);
    }, { connection: connection(parentNode) });
    const tree = await flows.add({
      name: 'total', queueName: 'flow-parents', data: {},
      children: [1, 2, 3].map((n) => ({ name: `part-${n}`, queueName: 'flow-children', data: { n } })),
    });
    let parentReturned: number | null = null;
    parents.on('completed', (_job, value: number) => {
      parentReturned = value;
    });
    await waitUntil('the parent completed', () => parentReturned !== null);
    assert.equal(order.at(-1), 'total', `order: ${order.join(',')}`);
    assert.deepEqual(Object.values(parentResult ?? {}).sort(), [10, 20, 30]);
    assert.equal(parentReturned, 60);
    assert.equal(await tree.job.getState(), 'completed');
    await Promise.all([children.close(), parents.close(), flows.close()]);
  });

  it('a worker\'s rate limit: at most `max` jobs per `duration`, across a worker on each follower', async () => {
    const queue = new Queue('limited', { connection: connection(leader) });
    const limiter = { max: 4, duration: 1000 };
    const finishedAt: number[] = [];
    const workers = followers.map((id) => new Worker('limited', async () => {
      finishedAt.push(performance.now());
    }, { connection: connection(id), concurrency: 4, limiter }));
    const started = performance.now();
    await queue.addBulk(Array.from({ length: 12 }, (_, n) => ({ name: 'job', data: { n } })));
    await waitUntil('12 limited jobs', () => finishedAt.length === 12);
    // The limit is the queue's (one counter, in the replicated keyspace), shared by both
    // workers: 12 jobs at 4 per second need three windows, so at least two whole seconds.
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs >= 2 * limiter.duration - 50, `12 jobs in ${elapsedMs.toFixed(0)} ms`);
    await Promise.all(workers.map((worker) => worker.close()));
    await queue.close();
  });

  it('a job scheduler repeats its job until removed', async () => {
    const queue = new Queue('repeat', { connection: connection(followers[0] as string) });
    let runs = 0;
    const worker = new Worker('repeat', async (job) => {
      assert.equal(job.data.kind, 'tick');
      runs++;
    }, { connection: connection(followers[1] as string) });
    await queue.upsertJobScheduler('ticker', { every: 200 }, { name: 'tick', data: { kind: 'tick' } });
    await waitUntil('three repetitions', () => runs >= 3);
    assert.equal(await queue.removeJobScheduler('ticker'), true);
    assert.deepEqual(await queue.getJobSchedulers(), []);
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
