// Two libraries applications put on Redis for coordination, driven by their own npm packages
// against a 3-node cluster, with clients on different nodes sharing one limit or one lock:
// rate-limiter-flexible's RateLimiterRedis (its points counter is one Lua script per
// consume, run through ioredis's defineCommand and node-redis's EVAL) and redlock (SET NX PX
// to acquire, EVALSHA of its check-and-delete and check-and-extend scripts, EVAL on
// NOSCRIPT). Both keep working as documented across the leader's death: what was consumed
// stays consumed, a lock held stays held until released or expired.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import Redlock from 'redlock';
import { createClient } from 'redis';
import type { Redis } from 'ioredis';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

/** Deadline for conditions that need the cluster (a new leader, a key's expiry) on a loaded machine. */
const deadlineMs = 60_000;

describe('rate-limiter-flexible and redlock on a 3-node cluster', () => {
  let cluster: TestCluster;
  let leader: string;
  let followers: [string, string];
  const clients: Redis[] = [];
  const client = (id: string): Redis => {
    const made = cluster.client(id);
    clients.push(made);
    return made;
  };

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
    leader = await cluster.waitForLeader();
    followers = cluster.nodes.map((node) => node.id).filter((id) => id !== leader) as [string, string];
  });

  after(async () => {
    for (const made of clients) made.disconnect();
    await cluster?.stop();
  });

  it('RateLimiterRedis: clients on every node share one limit, with penalty, reward, block and delete', async () => {
    const options = { points: 5, duration: 30, keyPrefix: 'rl-shared' };
    const limiters = cluster.nodes.map((node) => new RateLimiterRedis({ ...options, storeClient: client(node.id) }));
    const [first, second, third] = limiters as [RateLimiterRedis, RateLimiterRedis, RateLimiterRedis];
    const spent = [await first.consume('user-1'), await second.consume('user-1', 2), await third.consume('user-1')];
    assert.deepEqual(spent.map((res) => res.remainingPoints), [4, 2, 1]);
    assert.deepEqual(spent.map((res) => res.consumedPoints), [1, 3, 4]);
    await first.consume('user-1');
    const refused = await second.consume('user-1').then(() => null, (error: unknown) => error);
    assert.ok(refused instanceof RateLimiterRes, `the sixth point is refused: ${String(refused)}`);
    assert.equal(refused.remainingPoints, 0);
    assert.ok(refused.msBeforeNext > 0 && refused.msBeforeNext <= 30_000, `msBeforeNext ${refused.msBeforeNext}`);
    assert.equal((await third.get('user-1'))?.consumedPoints, 6);
    // reward gives points back, penalty takes them, delete forgets the key everywhere.
    await first.reward('user-1', 3);
    assert.equal((await second.get('user-1'))?.consumedPoints, 3);
    await second.penalty('user-1', 1);
    assert.equal((await third.consume('user-1')).remainingPoints, 0);
    assert.equal(await first.delete('user-1'), true);
    assert.equal(await third.get('user-1'), null);
    // block: refused for blockDuration whatever the points.
    await first.block('user-2', 30);
    const blocked = await third.consume('user-2').then(() => null, (error: unknown) => error);
    assert.ok(blocked instanceof RateLimiterRes && blocked.msBeforeNext > 25_000, 'blocked for its duration');
  });

  it('RateLimiterRedis: points come back when the duration passes; node-redis drives the same counter', async () => {
    const nodeRedis = createClient({ socket: { host: '127.0.0.1', port: cluster.node(followers[0]).port } });
    await nodeRedis.connect();
    try {
      const options = { points: 2, duration: 1, keyPrefix: 'rl-window' };
      const viaNodeRedis = new RateLimiterRedis({ ...options, storeClient: nodeRedis, useRedisPackage: true });
      const viaIoredis = new RateLimiterRedis({ ...options, storeClient: client(followers[1]) });
      await viaNodeRedis.consume('k');
      await viaIoredis.consume('k');
      await assert.rejects(viaNodeRedis.consume('k'), (error: unknown) => error instanceof RateLimiterRes);
      // The counter expires with its key after `duration` (cluster time), and points return.
      await waitFor('the window to pass', async () => (await viaIoredis.get('k')) === null, { timeoutMs: deadlineMs });
      assert.equal((await viaNodeRedis.consume('k')).remainingPoints, 1);
    } finally {
      await nodeRedis.quit();
    }
  });

  it('redlock: one holder at a time; extend, release, and expiry free it', async () => {
    const [a, b] = [new Redlock([client(followers[0])], { retryCount: 0 }), new Redlock([client(followers[1])], { retryCount: 0 })];
    const held = await a.lock('locks:report', 10_000);
    await assert.rejects(b.lock('locks:report', 10_000), Redlock.LockError, 'a second holder is refused');
    const expiresAt = held.expiration;
    const extended = await held.extend(20_000);
    assert.ok(extended.expiration > expiresAt, 'extend moves the expiration');
    assert.ok(await client(leader).pttl('locks:report') > 10_000, 'and the key\'s TTL');
    await extended.unlock();
    const next = await b.lock('locks:report', 300);
    await assert.rejects(a.lock('locks:report', 10_000), Redlock.LockError);
    // An expired lock is free again, and its old holder's release fails (its value is gone).
    const retrying = new Redlock([client(leader)], { retryCount: -1, retryDelay: 50, retryJitter: 20 });
    const after = await retrying.lock('locks:report', 10_000);
    await assert.rejects(next.unlock(), Redlock.LockError, 'the expired holder cannot release the new lock');
    await after.unlock();
  });

  it('redlock: mutual exclusion for read-modify-write from clients on all three nodes', async () => {
    const counter = client(leader);
    await counter.set('locks:counter', '0');
    const increments = 8;
    const workers = cluster.nodes.map(async (node) => {
      const redlock = new Redlock([client(node.id)], { retryCount: -1, retryDelay: 20, retryJitter: 20 });
      const redis = client(node.id);
      for (let i = 0; i < increments; i++) {
        const lock = await redlock.lock('locks:counter-lock', 30_000);
        // Not atomic on its own: only the lock keeps two workers from reading the same value.
        const value = Number(await redis.get('locks:counter'));
        await redis.set('locks:counter', String(value + 1));
        await lock.unlock();
      }
    });
    await Promise.all(workers);
    assert.equal(await counter.get('locks:counter'), String(increments * cluster.nodes.length));
  });

  it('across the leader\'s death: points consumed stay consumed and a held lock stays held', async () => {
    const limiter = new RateLimiterRedis({ points: 10, duration: 120, keyPrefix: 'rl-failover', storeClient: client(followers[0]) });
    await limiter.consume('tenant', 4);
    const holder = new Redlock([client(followers[0])], { retryCount: 0 });
    const lock = await holder.lock('locks:failover', 120_000);
    await cluster.kill(leader);
    await cluster.waitForLeaderAmong(followers);
    // Clients on the survivors keep going once the new leader serves: retried until then.
    const other = new RateLimiterRedis({ points: 10, duration: 120, keyPrefix: 'rl-failover', storeClient: client(followers[1]) });
    let consumed: RateLimiterRes | null = null;
    await waitFor('a consume after the failover', async () => {
      consumed = await other.consume('tenant').catch(() => null);
      return consumed !== null;
    }, { timeoutMs: deadlineMs });
    assert.equal((consumed as RateLimiterRes | null)?.consumedPoints, 5, 'the 4 points consumed before the kill count');
    const contender = new Redlock([client(followers[1])], { retryCount: 0 });
    await assert.rejects(contender.lock('locks:failover', 10_000), Redlock.LockError, 'the lock is still held');
    await lock.unlock();
    await (await contender.lock('locks:failover', 10_000)).unlock();
    assert.deepEqual(cluster.crashes(), []);
  });
});
