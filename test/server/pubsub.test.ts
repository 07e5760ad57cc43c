// Pub/sub on a real 3-node cluster: a message published on any node reaches the subscribers
// of every node (ioredis and node-redis, channels and patterns), every subscriber sees the
// cluster's messages in one order, PUBLISH counts the receivers on the publisher's node, a
// subscribed RESP2 client may send only what Redis allows, and a RESP3 client gets pushes on
// a connection that keeps serving commands.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { TestCluster } from '../support/cluster.js';
import { RawConnection, encode } from '../support/raw-resp.js';
import { waitFor } from '../support/wait.js';

type NodeRedis = ReturnType<typeof createClient>;

describe('pub/sub across a 3-node cluster', () => {
  let cluster: TestCluster;
  let ids: string[];
  const closers: (() => unknown)[] = [];

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
    await cluster.waitForLeader();
    ids = cluster.nodes.map((n) => n.id);
  });

  after(async () => {
    for (const close of closers) await close();
    await cluster?.stop();
  });

  function ioredis(id: string): Redis {
    const client = new Redis({ ...cluster.connectOptions(id), maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    closers.push(() => client.disconnect());
    return client;
  }

  async function nodeRedis(id: string): Promise<NodeRedis> {
    const client = createClient({ socket: { host: '127.0.0.1', port: cluster.node(id).port, reconnectStrategy: false } });
    client.on('error', () => {});
    await client.connect();
    closers.push(() => client.isOpen && client.disconnect());
    return client;
  }

  /** How many subscribers the node counts on `channel` (PUBSUB NUMSUB). */
  async function numsub(id: string, channel: string): Promise<number> {
    const reply = await cluster.call(id, ['PUBSUB', 'NUMSUB', channel]) as unknown[];
    return Number(reply[1]);
  }

  it('delivers every message to the subscribers of every node, in one order', async () => {
    const received = new Map<string, string[]>();
    const record = (who: string) => (message: string): void => {
      const list = received.get(who) ?? [];
      list.push(message);
      received.set(who, list);
    };
    for (const id of ids) {
      const plain = ioredis(id);
      plain.on('message', (channel: string, message: string) => record(`ioredis@${id}`)(`${channel}:${message}`));
      await plain.subscribe('ps:news');
      const patterned = ioredis(id);
      patterned.on('pmessage', (pattern: string, channel: string, message: string) => record(`ioredis-p@${id}`)(`${pattern}|${channel}:${message}`));
      await patterned.psubscribe('ps:*');
      const nodeClient = await nodeRedis(id);
      await nodeClient.subscribe('ps:news', (message, channel) => record(`node-redis@${id}`)(`${channel}:${message}`));
    }
    for (const id of ids) assert.equal(await numsub(id, 'ps:news'), 2);

    const publishers = ids.map((id) => ioredis(id));
    const sent: Promise<number>[] = [];
    for (let i = 0; i < 30; i++) sent.push((publishers[i % 3] as Redis).publish('ps:news', `m${i}`));
    const counts = await Promise.all(sent);
    // Each node has two plain subscribers and one pattern subscriber of its own.
    assert.deepEqual(counts, counts.map(() => 3));

    await waitFor('every subscriber to receive 30 messages', () => [...received.values()].length === 9 && [...received.values()].every((list) => list.length === 30));
    const orders = ids.map((id) => (received.get(`ioredis@${id}`) ?? []).join(','));
    assert.equal(new Set(orders).size, 1, 'every node delivers in the same order');
    for (const id of ids) {
      assert.deepEqual(received.get(`node-redis@${id}`), received.get(`ioredis@${id}`));
      assert.deepEqual(received.get(`ioredis-p@${id}`), (received.get(`ioredis@${id}`) ?? []).map((m) => `ps:*|${m}`));
      assert.deepEqual([...(received.get(`ioredis@${id}`) ?? [])].sort(), Array.from({ length: 30 }, (_, i) => `ps:news:m${i}`).sort());
    }
    // Messages one publisher sent arrive in the order it sent them.
    for (let p = 0; p < 3; p++) {
      const mine = (received.get(`ioredis@${ids[0]}`) ?? []).map((m) => Number(m.slice('ps:news:m'.length))).filter((n) => n % 3 === p);
      assert.deepEqual(mine, [...mine].sort((a, b) => a - b));
    }
  });

  it('SSUBSCRIBE and SPUBLISH reach shard subscribers on every node; PUBSUB SHARDCHANNELS lists them', async () => {
    const got: string[] = [];
    const connections = await Promise.all(ids.map((id) => RawConnection.open(cluster.node(id).port)));
    for (const conn of connections) {
      closers.push(() => conn.close());
      assert.deepEqual(await conn.call('SSUBSCRIBE', 'ps:shard'), ['ssubscribe', 'ps:shard', 1]);
    }
    assert.deepEqual(await cluster.call(ids[1] ?? '', ['PUBSUB', 'SHARDCHANNELS']), ['ps:shard']);
    assert.equal(await cluster.call(ids[2] ?? '', ['SPUBLISH', 'ps:shard', 'hi']), 1);
    for (const conn of connections) got.push(JSON.stringify((await conn.read()).value));
    assert.deepEqual(got, ids.map(() => JSON.stringify(['smessage', 'ps:shard', 'hi'])));
  });

  it('a subscribed RESP2 client may send only (P|S)(UN)SUBSCRIBE, PING, QUIT and RESET', async () => {
    const conn = await RawConnection.open(cluster.node(ids[0] ?? '').port);
    closers.push(() => conn.close());
    assert.deepEqual(await conn.call('SUBSCRIBE', 'a', 'b'), ['subscribe', 'a', 1]);
    assert.deepEqual((await conn.read()).value, ['subscribe', 'b', 2]);
    assert.deepEqual(await conn.call('GET', 'x'), { error: "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context" });
    assert.deepEqual(await conn.call('PING'), ['pong', '']);
    assert.deepEqual(await conn.call('PING', 'hey'), ['pong', 'hey']);
    const line = String(await cluster.call(ids[0] ?? '', ['CLIENT', 'LIST'])).split('\n').find((l) => / sub=2 /.test(l));
    assert.match(line ?? '', / flags=P .* sub=2 psub=0 ssub=0 /, 'CLIENT LIST shows the subscriptions');
    assert.deepEqual(await conn.call('UNSUBSCRIBE'), ['unsubscribe', 'a', 1]);
    assert.deepEqual((await conn.read()).value, ['unsubscribe', 'b', 0]);
    assert.equal(await conn.call('PING'), 'PONG');
    assert.deepEqual(await conn.call('PSUBSCRIBE', 'p*'), ['psubscribe', 'p*', 1]);
    assert.equal(await conn.call('RESET'), 'RESET');
    assert.equal(await conn.call('GET', 'x'), null);
    assert.equal(await numsub(ids[0] ?? '', 'a'), 0);
  });

  it('a RESP3 client gets messages as pushes and keeps running commands', async () => {
    const conn = await RawConnection.open(cluster.node(ids[1] ?? '').port);
    closers.push(() => conn.close());
    await conn.call('HELLO', '3');
    conn.write(encode(['SUBSCRIBE', 'other:r3']));
    const confirmation = await conn.read();
    assert.equal(confirmation.raw.toString('latin1', 0, 1), '>');
    assert.deepEqual(confirmation.value, ['subscribe', 'other:r3', 1]);
    assert.equal(await conn.call('SET', 'ps:k', 'v'), 'OK');
    assert.equal(await cluster.call(ids[2] ?? '', ['PUBLISH', 'other:r3', 'pushed']), 0, 'no receiver on the publisher\'s node');
    const message = await conn.read();
    assert.equal(message.raw.toString('latin1', 0, 1), '>');
    assert.deepEqual(message.value, ['message', 'other:r3', 'pushed']);
    assert.equal(await conn.call('GET', 'ps:k'), 'v');
  });

  it('a client that leaves is unsubscribed', async () => {
    const client = ioredis(ids[2] ?? '');
    await client.subscribe('ps:gone');
    assert.equal(await numsub(ids[2] ?? '', 'ps:gone'), 1);
    client.disconnect();
    await waitFor('the subscription to end', async () => (await numsub(ids[2] ?? '', 'ps:gone')) === 0);
  });
});
