// node-redis (package `redis` v4) unchanged against a 3-node cluster: its connection
// handshake (CLIENT SETINFO, CLIENT SETNAME, SELECT), typed commands, binary values,
// automatic pipelining of concurrent commands, a batch without MULTI (execAsPipeline),
// error replies, on the leader and on a follower. node-redis v4 speaks RESP2 only (RESP3
// arrives in v5), so RESP3 is covered by the redis-cli and compatibility tests instead.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { commandOptions, createClient, ErrorReply } from 'redis';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';

type NodeRedis = ReturnType<typeof createClient>;

describe('node-redis v4 against a 3-node cluster', () => {
  let cluster: TestCluster;
  let leader: string;
  let follower: string;
  const clients: NodeRedis[] = [];

  async function connect(id: string, options: { name?: string; database?: number } = {}): Promise<NodeRedis> {
    const client = createClient({
      socket: { host: '127.0.0.1', port: cluster.node(id).port, reconnectStrategy: false, connectTimeout: 10_000 },
      ...options,
    });
    const errors: unknown[] = [];
    client.on('error', (error: unknown) => errors.push(error));
    await client.connect();
    assert.deepEqual(errors, [], 'the handshake raised no errors');
    clients.push(client);
    return client;
  }

  // Declared first, so it runs before the fixture stops the cluster.
  after(async () => {
    for (const client of clients) if (client.isOpen) await client.disconnect();
  });
  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster, leader, followers: [follower = ''] } = started));

  it('connects with its handshake (name, database 0) and is ready', async () => {
    for (const id of [leader, follower]) {
      const client = await connect(id, { name: `nr-${id}`, database: 0 });
      assert.equal(client.isReady, true);
      assert.equal(await client.ping(), 'PONG');
      assert.equal(await client.clientGetName(), `nr-${id}`, 'the name given to createClient was set with CLIENT SETNAME');
      assert.equal(typeof (await client.clientId()), 'number');
    }
  });

  it('runs typed commands, binary values and error replies on leader and follower', async () => {
    for (const id of [leader, follower]) {
      const client = await connect(id);
      const k = `nr:${id}`;
      assert.equal(await client.set(k, 'v1'), 'OK');
      assert.equal(await client.get(k), 'v1');
      assert.equal(await client.set(k, 'v2', { GET: true }), 'v1');
      assert.equal(await client.set(k, 'x', { NX: true }), null);
      assert.equal(await client.incr(`${k}:n`), 1);
      assert.equal(await client.incrBy(`${k}:n`, 41), 42);
      assert.equal(await client.mSet([`${k}:a`, '1', `${k}:b`, '2']), 'OK');
      assert.deepEqual(await client.mGet([`${k}:a`, `${k}:b`, `${k}:missing`]), ['1', '2', null]);
      assert.equal(await client.set(`${k}:ttl`, 'x', { PX: 60_000 }), 'OK');
      const ttl = await client.pTTL(`${k}:ttl`);
      assert.ok(ttl > 0 && ttl <= 60_000, `pttl ${ttl}`);
      assert.equal(await client.exists([k, `${k}:missing`]), 1);
      assert.equal(await client.del([k, `${k}:a`]), 2);

      const binary = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x0d, 0x0a]);
      assert.equal(await client.set(`${k}:bin`, binary), 'OK');
      assert.deepEqual(await client.get(commandOptions({ returnBuffers: true }), `${k}:bin`), binary);

      await client.set(`${k}:s`, 'abc');
      await assert.rejects(client.incr(`${k}:s`), (error: unknown) => error instanceof ErrorReply && /^ERR value is not an integer or out of range/.test(error.message));
      await assert.rejects(client.sendCommand(['NOSUCHCOMMAND']), (error: unknown) => error instanceof ErrorReply && /^ERR unknown command 'NOSUCHCOMMAND'/.test(error.message));
      // The connection is still usable after error replies.
      assert.equal(await client.get(`${k}:s`), 'abc');
      assert.equal(await client.sendCommand(['RAFT.LEADER']), leader);
      assert.match(await client.info('server'), /redis_version:/);
      assert.ok((await client.dbSize()) > 0);
    }
  });

  it('pipelines concurrent commands and keeps replies in order', async () => {
    for (const id of [leader, follower]) {
      const client = await connect(id);
      const count = 300;
      // Commands issued in one tick are written together (node-redis auto-pipelining).
      const sets = await Promise.all(Array.from({ length: count }, (_, i) => client.set(`auto:${id}:${i}`, String(i))));
      assert.ok(sets.every((r) => r === 'OK'));
      const values = await Promise.all(Array.from({ length: count }, (_, i) => client.get(`auto:${id}:${i}`)));
      assert.deepEqual(values, Array.from({ length: count }, (_, i) => String(i)));
      const counters = await Promise.all(Array.from({ length: 100 }, () => client.incr(`auto:${id}:counter`)));
      assert.deepEqual(counters, Array.from({ length: 100 }, (_, i) => i + 1), 'increments answered in request order');
    }
  });

  it('runs a batch without MULTI (execAsPipeline); an error does not stop the rest', async () => {
    for (const id of [leader, follower]) {
      const client = await connect(id);
      const replies = await client.multi()
        .set(`batch:${id}`, 'a')
        .append(`batch:${id}`, 'bc')
        .get(`batch:${id}`)
        .strLen(`batch:${id}`)
        .incr(`batch:${id}:n`)
        .execAsPipeline();
      assert.deepEqual(replies, ['OK', 3, 'abc', 3, 1]);
      // node-redis rejects the whole batch on an error reply; the commands after it still ran.
      await assert.rejects(
        client.multi().incr(`batch:${id}`).set(`batch:${id}:after`, 'ran').execAsPipeline(),
        /ERR value is not an integer or out of range/,
      );
      assert.equal(await client.get(`batch:${id}:after`), 'ran');
    }
  });

  it('sees on the follower what was written through the leader', async () => {
    const writer = await connect(leader);
    const reader = await connect(follower);
    for (let i = 0; i < 20; i++) {
      await writer.set(`raw:${i}`, `w${i}`);
      assert.equal(await reader.get(`raw:${i}`), `w${i}`);
    }
    assert.deepEqual(cluster.crashes(), []);
  });
});
