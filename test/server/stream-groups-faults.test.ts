// A consumer group under a leader failure, on a real 3-node cluster: producers XADD from every
// node and consumers XREADGROUP and XACK from the followers while the leader is killed and
// restarted. Every acknowledged XADD is delivered to the group at least once and none is lost;
// a consumer that stops without acknowledging has its entries taken over by XAUTOCLAIM; the
// pending lists end empty and every node ends with the same state (RAFT.DIGEST).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

type Entries = [string, [string, string[]][]][] | null;

describe('a stream consumer group across a leader failure', () => {
  let cluster: TestCluster;
  const clients: Redis[] = [];

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
    await cluster.waitForLeader();
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    await cluster?.stop();
  });

  function connect(id: string): Redis {
    const client = new Redis({ ...cluster.connectOptions(id), maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 10_000 });
    client.on('error', () => {});
    clients.push(client);
    return client;
  }

  /** XADDs until `stop()`, keeping the IDs acknowledged; errors (the node died, TRYAGAIN, TIMEOUT) count as not acknowledged. */
  function produce(client: Redis, name: string, acknowledged: Set<string>): { stop: () => void; done: Promise<void> } {
    let running = true;
    const done = (async () => {
      for (let i = 0; running; i++) {
        try {
          acknowledged.add(String(await client.xadd('jobs', '*', 'producer', name, 'n', String(i))));
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })();
    return { stop: () => { running = false; }, done };
  }

  /** Reads new entries as `consumer` and acknowledges them (unless `ack` is false) until `stop()`. */
  function consume(client: Redis, consumer: string, delivered: Set<string>, ack: boolean): { stop: () => void; done: Promise<void> } {
    let running = true;
    const done = (async () => {
      while (running) {
        try {
          const reply = await client.call('XREADGROUP', 'GROUP', 'g', consumer, 'COUNT', '20', 'BLOCK', '200', 'STREAMS', 'jobs', '>') as Entries;
          const ids = (reply?.[0]?.[1] ?? []).map(([id]) => id);
          for (const id of ids) delivered.add(id);
          if (ack && ids.length > 0) await client.xack('jobs', 'g', ...ids);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    })();
    return { stop: () => { running = false; }, done };
  }

  it('delivers every acknowledged XADD, and XAUTOCLAIM takes over a stopped consumer\'s entries', async () => {
    const leader = await cluster.waitForLeader();
    const followers = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
    const [first, second] = followers as [string, string];
    assert.equal(await cluster.call(first, ['XGROUP', 'CREATE', 'jobs', 'g', '$', 'MKSTREAM']), 'OK');

    const acknowledged = new Set<string>();
    const delivered = new Set<string>();
    const producers = [produce(connect(leader), 'on-leader', acknowledged), produce(connect(first), 'a', acknowledged), produce(connect(second), 'b', acknowledged)];
    const consumers = [consume(connect(first), 'c1', delivered, true), consume(connect(second), 'c2', delivered, false)];
    await waitFor('some entries delivered', () => delivered.size >= 50);

    await cluster.kill(leader);
    await cluster.waitForLeaderAmong(followers);
    const before = acknowledged.size;
    await waitFor('writes acknowledged after the failover', () => acknowledged.size >= before + 50, { timeoutMs: 30_000 });
    cluster.startNode(leader);
    await cluster.waitForListening(leader);
    await cluster.waitForLeader();

    for (const producer of producers) producer.stop();
    await Promise.all(producers.map((producer) => producer.done));
    await waitFor('every acknowledged entry delivered', () => [...acknowledged].every((id) => delivered.has(id)), { timeoutMs: 30_000 });
    for (const consumer of consumers) consumer.stop();
    await Promise.all(consumers.map((consumer) => consumer.done));

    // c2 never acknowledged: c3 on the restarted node takes its entries over.
    const taker = connect(leader);
    const pending = Number(((await taker.call('XPENDING', 'jobs', 'g')) as unknown[])[0]);
    assert.ok(pending > 0, 'c2 left entries pending');
    let cursor = '0-0';
    let claimed = 0;
    do {
      const [next, entries] = await taker.call('XAUTOCLAIM', 'jobs', 'g', 'c3', '0', cursor, 'COUNT', '100', 'JUSTID') as [string, string[]];
      claimed += entries.length;
      if (entries.length > 0) await taker.xack('jobs', 'g', ...entries);
      cursor = next;
    } while (cursor !== '0-0');
    assert.equal(claimed, pending);
    assert.deepEqual(await taker.call('XPENDING', 'jobs', 'g'), [0, null, null, null]);

    // IDs strictly increase, and every acknowledged one is in the stream once.
    const ids = ((await taker.xrange('jobs', '-', '+')) as [string, string[]][]).map(([id]) => id);
    const ms = ids.map((id) => id.split('-').map(BigInt) as [bigint, bigint]);
    for (let i = 1; i < ms.length; i++) {
      const [a, b] = [ms[i - 1] as [bigint, bigint], ms[i] as [bigint, bigint]];
      assert.ok(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]), `${ids[i - 1]} < ${ids[i]}`);
    }
    const stored = new Set(ids);
    assert.deepEqual([...acknowledged].filter((id) => !stored.has(id)), []);
    await cluster.waitForEqualDigests(cluster.nodes.map((n) => n.id));
  });
});
