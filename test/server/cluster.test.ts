// A real 3-node cluster on loopback driven by ioredis: commands on the leader and on
// followers, read-after-write from every node, convergence, concurrency, crashes and
// whole-cluster restart.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { waitFor } from '../support/wait.js';

async function digests(cluster: TestCluster): Promise<string[]> {
  const out: string[] = [];
  for (const node of cluster.nodes) {
    if (node.process === null) continue;
    const reply = await cluster.call(node.id, ['RAFT.DIGEST']);
    out.push(Array.isArray(reply) ? String(reply[1]) : `error: ${String(reply)}`);
  }
  return out;
}

async function waitForConvergence(cluster: TestCluster): Promise<void> {
  await waitFor('equal RAFT.DIGEST on every running node', async () => {
    const all = await digests(cluster);
    return all.length > 0 && !all[0]?.startsWith('error') && all.every((d) => d === all[0]);
  }, { timeoutMs: 20_000 });
}

describe('a 3-node cluster', () => {
  let cluster: TestCluster;
  let leader: string;
  let followers: string[];

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster, leader, followers } = started));

  it('answers string commands identically on the leader and on followers', async () => {
    for (const id of [leader, ...followers]) {
      const redis = cluster.client(id);
      const key = `k-${id}`;
      assert.equal(await redis.set(key, 'v1'), 'OK');
      assert.equal(await redis.get(key), 'v1');
      assert.equal(await redis.append(key, '-x'), 4);
      assert.equal(await redis.strlen(key), 4);
      assert.equal(await redis.incr(`${key}:n`), 1);
      assert.equal(await redis.incrby(`${key}:n`, 10), 11);
      assert.equal(await redis.decr(`${key}:n`), 10);
      assert.equal(await redis.set(key, 'v2', 'NX'), null);
      assert.equal(await redis.set(key, 'v2', 'XX', 'GET'), 'v1-x');
      assert.deepEqual(await redis.mget(key, `${key}:n`, 'missing'), ['v2', '10', null]);
      assert.equal(await redis.exists(key, 'missing'), 1);
      assert.equal(await redis.type(key), 'string');
      assert.equal(await redis.del(key, `${key}:n`), 2);
      await redis.set(`s-${id}`, 'abc');
      await assert.rejects(redis.incr(`s-${id}`), /ERR value is not an integer or out of range/);
      await assert.rejects(redis.call('GET'), /ERR wrong number of arguments for 'get' command/);
      await assert.rejects(redis.call('NOSUCHCOMMAND', 'a'), /ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'a'/);
      await assert.rejects(redis.call('RAFTIS.EXPIRE', key), /ERR unknown command 'RAFTIS.EXPIRE'/, 'internal commands are not for clients');
      // A reply beyond 2^53 used to crash the reply writer; ioredis reads it as a rounded number.
      assert.ok((await redis.incrby(`${key}:big`, '9007199254740993')) > 9e15, 'a 64-bit reply beyond 2^53 must not crash the node');
      assert.equal(await redis.get(`${key}:big`), '9007199254740993', 'and the stored value is exact');
      assert.equal(await redis.call('PING'), 'PONG');
    }
  });

  it('reads its writes from every node, at every consistency level that promises it', async () => {
    const writer = cluster.client(followers[0] ?? leader);
    for (let i = 0; i < 20; i++) {
      await writer.set(`raw:${i}`, `value-${i}`);
      for (const node of cluster.nodes) {
        const reader = cluster.client(node.id);
        assert.equal(await reader.get(`raw:${i}`), `value-${i}`, `node ${node.id} must see write ${i} (linearizable read)`);
        reader.disconnect();
      }
    }
    const lease = cluster.client(leader);
    assert.equal(await lease.call('RAFT.CONSISTENCY', 'lease'), 'OK');
    await writer.set('raw:lease', 'L');
    assert.equal(await lease.get('raw:lease'), 'L');
  });

  it('expires keys with TTLs on every node, and TTL queries agree', async () => {
    const redis = cluster.client(leader);
    assert.equal(await redis.set('ttl:a', 'x', 'PX', 300), 'OK');
    const ttl = await redis.pttl('ttl:a');
    assert.ok(ttl > 0 && ttl <= 300, `pttl ${ttl} must be in (0, 300]`);
    await waitFor('ttl:a to expire on every node', async () => {
      for (const node of cluster.nodes) if ((await cluster.call(node.id, ['EXISTS', 'ttl:a'])) !== 0) return false;
      return true;
    }, { timeoutMs: 5000 });
    await waitForConvergence(cluster);
  });

  it('keeps every acknowledged write of 64 concurrent clients on every node', async () => {
    const clientsCount = 64;
    const keysPerClient = 1000;
    const clients = Array.from({ length: clientsCount }, (_, i) => cluster.client(cluster.nodes[i % cluster.nodes.length]?.id ?? leader));
    const acknowledged = new Map<string, string>();
    await Promise.all(clients.map(async (redis, c) => {
      for (let k = 0; k < keysPerClient; k++) {
        const key = `conc:${c}:${k}`;
        const value = `${c}-${k}`;
        if ((await redis.set(key, value)) === 'OK') acknowledged.set(key, value);
      }
    }));
    assert.equal(acknowledged.size, clientsCount * keysPerClient);
    await waitForConvergence(cluster);
    for (const node of cluster.nodes) {
      const reader = cluster.client(node.id);
      reader.call('RAFT.CONSISTENCY', 'stale').catch(() => {});
      const keys = [...acknowledged.keys()];
      for (let i = 0; i < keys.length; i += 500) {
        const batch = keys.slice(i, i + 500);
        const values = await reader.mget(...batch);
        batch.forEach((key, j) => assert.equal(values[j], acknowledged.get(key), `${node.id} lost ${key}`));
      }
    }
  });

  it('catches up a follower killed with SIGKILL while writes continue', async () => {
    const victim = followers[0] ?? '';
    const redis = cluster.client(leader);
    await redis.set('crash:before', '1');
    await cluster.kill(victim, 'SIGKILL');
    for (let i = 0; i < 200; i++) await redis.set(`crash:during:${i}`, String(i));
    await cluster.restart(victim);
    await waitForConvergence(cluster);
    const follower = cluster.client(victim);
    assert.equal(await follower.get('crash:before'), '1');
    assert.equal(await follower.get('crash:during:199'), '199');
  });

  it('elects a new leader when the leader is killed, keeping acknowledged writes', async () => {
    const oldLeader = await cluster.waitForLeader();
    const survivor = cluster.nodes.find((n) => n.id !== oldLeader)?.id ?? '';
    const redis = cluster.client(oldLeader);
    for (let i = 0; i < 50; i++) await redis.set(`failover:${i}`, String(i));
    await cluster.kill(oldLeader, 'SIGKILL');
    const newLeader = await cluster.waitForLeader();
    assert.notEqual(newLeader, oldLeader);
    const client = cluster.client(survivor);
    for (let i = 0; i < 50; i++) assert.equal(await client.get(`failover:${i}`), String(i));
    assert.equal(await client.set('failover:after', 'yes'), 'OK');
    await cluster.restart(oldLeader);
    await waitForConvergence(cluster);
    leader = await cluster.waitForLeader();
    followers = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
  });

  it('comes back with all data after a whole-cluster restart', async () => {
    const redis = cluster.client(leader);
    await redis.set('restart:key', 'survives');
    for (const node of cluster.nodes) await cluster.kill(node.id, 'SIGKILL');
    for (const node of cluster.nodes) cluster.startNode(node.id);
    for (const node of cluster.nodes) await cluster.waitForListening(node.id);
    leader = await cluster.waitForLeader();
    followers = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
    // A node that has just restarted answers its first reads once it has replayed its log and
    // the new leader has committed an entry of its term; on a loaded machine that can take
    // longer than one request's timeout, so each read is asked again until a deadline.
    const read = (client: ReturnType<typeof cluster.client>, key: string, id: string): Promise<string | null> =>
      waitFor(`${id} to answer GET ${key} after the restart`, async () => ({ value: await client.get(key) }), { timeoutMs: 30_000, intervalMs: 200 }).then((got) => got.value);
    for (const node of cluster.nodes) {
      const client = cluster.client(node.id);
      assert.equal(await read(client, 'restart:key', node.id), 'survives');
      assert.equal(await read(client, 'conc:63:999', node.id), '63-999');
    }
    assert.deepEqual(cluster.crashes(), []);
  });
});
