// Keyspace notifications on a real 3-node cluster: CONFIG SET notify-keyspace-events on one
// node turns them on everywhere (a log entry), and a subscriber on every node sees the same
// events in the same order: writes sent to different nodes, expirations decided by the
// leader, evictions under maxmemory. Key misses of reads are the serving node's own.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

describe('keyspace notifications on a 3-node cluster', () => {
  let cluster: TestCluster;
  let ids: string[];
  const clients: Redis[] = [];

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3, args: ['--maxmemory', '2mb', '--maxmemory-policy', 'allkeys-lru'] });
    await cluster.waitForLeader();
    ids = cluster.nodes.map((n) => n.id);
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    await cluster?.stop();
  });

  function connect(id: string): Redis {
    const client = new Redis({ ...cluster.connectOptions(id), maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    clients.push(client);
    return client;
  }

  /** A subscriber to every keyspace and keyevent channel on each node, recording "channel payload". */
  async function subscribeEverywhere(pattern: string): Promise<Map<string, string[]>> {
    const seen = new Map<string, string[]>();
    for (const id of ids) {
      const events: string[] = [];
      seen.set(id, events);
      const subscriber = connect(id);
      subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => events.push(`${channel} ${message}`));
      await subscriber.psubscribe(pattern);
    }
    return seen;
  }

  it('CONFIG SET on one node turns events on for every node; CONFIG GET shows Redis\'s letters', async () => {
    assert.equal(await cluster.call(ids[0] ?? '', ['CONFIG', 'SET', 'notify-keyspace-events', 'KA']), 'OK');
    for (const id of ids) {
      await waitFor(`${id} to apply the setting`, async () => {
        const reply = await cluster.call(id, ['CONFIG', 'GET', 'notify-keyspace-events']) as string[];
        return reply[1] === 'AK';
      });
    }
    const refused = await cluster.call(ids[1] ?? '', ['CONFIG', 'SET', 'notify-keyspace-events', 'KQ']);
    assert.ok(refused instanceof Error && /Invalid event class character/.test(refused.message), String(refused));
  });

  it('every node emits the same events in the same order, expirations included', async () => {
    await cluster.call(ids[2] ?? '', ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']);
    const seen = await subscribeEverywhere('__key*@0__:*');
    const writers = ids.map((id) => connect(id));
    await (writers[0] as Redis).set('ks:a', '1');
    await (writers[1] as Redis).lpush('ks:list', 'x', 'y');
    await (writers[2] as Redis).rpop('ks:list');
    await (writers[0] as Redis).set('ks:short', 'v', 'PX', 50);
    await (writers[1] as Redis).del('ks:a');
    await (writers[2] as Redis).hset('ks:h', 'f', 'v');
    const expected = [
      '__keyspace@0__:ks:a set', '__keyevent@0__:set ks:a',
      '__keyspace@0__:ks:list lpush', '__keyevent@0__:lpush ks:list',
      '__keyspace@0__:ks:list rpop', '__keyevent@0__:rpop ks:list',
      '__keyspace@0__:ks:short set', '__keyevent@0__:set ks:short',
      '__keyspace@0__:ks:short expire', '__keyevent@0__:expire ks:short',
      '__keyspace@0__:ks:a del', '__keyevent@0__:del ks:a',
      '__keyspace@0__:ks:h hset', '__keyevent@0__:hset ks:h',
    ];
    await waitFor('the expiry of ks:short to be reported on every node', () => [...seen.values()].every((events) => events.includes('__keyevent@0__:expired ks:short')));
    for (const id of ids) {
      const events = seen.get(id) ?? [];
      // The leader decides when ks:short expires: it may come anywhere after the key was set, the same place on every node.
      assert.deepEqual(events.filter((e) => !e.includes('expired')), expected, `events on ${id}`);
      assert.deepEqual(events, seen.get(ids[0] ?? ''), `${id} saw the same order as ${ids[0]}`);
    }
  });

  it('a read\'s key misses are reported by the node that served it; a write\'s by every node', async () => {
    await cluster.call(ids[0] ?? '', ['CONFIG', 'SET', 'notify-keyspace-events', 'Em']);
    for (const id of ids) {
      await waitFor(`${id} to apply the setting`, async () => ((await cluster.call(id, ['CONFIG', 'GET', 'notify-keyspace-events'])) as string[])[1] === 'Em');
    }
    const seen = await subscribeEverywhere('__keyevent@0__:keymiss');
    const reader = ids[1] ?? '';
    await connect(reader).get('miss:read');
    // GETDEL reads its key as Redis's lookupKeyRead does: a write, applied (and reported) on every node.
    await connect(ids[2] ?? '').getdel('miss:write');
    const everywhere = '__keyevent@0__:keymiss miss:write';
    await waitFor('the write\'s miss on every node', () => [...seen.values()].every((events) => events.includes(everywhere)));
    for (const id of ids) {
      const expected = id === reader ? ['__keyevent@0__:keymiss miss:read', everywhere] : [everywhere];
      assert.deepEqual(seen.get(id), expected, `misses reported on ${id}`);
    }
  });

  it('evictions under maxmemory are reported by every node in one order', async () => {
    await cluster.call(ids[0] ?? '', ['CONFIG', 'SET', 'notify-keyspace-events', 'Ee']);
    const seen = await subscribeEverywhere('__keyevent@0__:evicted');
    const writer = connect(ids[1] ?? '');
    const value = 'v'.repeat(64 * 1024);
    for (let i = 0; i < 64; i++) await writer.set(`ev:${i}`, value);
    await waitFor('evictions on every node', () => [...seen.values()].every((events) => events.length > 0));
    const first = seen.get(ids[0] ?? '') ?? [];
    await waitFor('every node to report the same evictions', () => ids.every((id) => (seen.get(id) ?? []).length === first.length));
    for (const id of ids) assert.deepEqual(seen.get(id), first);
    assert.ok(first.every((event) => /^__keyevent@0__:evicted (ev:\d+|ks:\S+)$/.test(event)), first.join(', '));
  });
});
