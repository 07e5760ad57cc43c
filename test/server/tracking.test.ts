// CLIENT TRACKING (server-assisted client-side caching): the same steps against a 1-node raftis
// cluster and a real redis-server must give the same bytes, replies and invalidation pushes
// alike; and on a 3-node cluster a client tracking on a follower hears of a write made through
// the leader once the follower has applied it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { besideRedisPerSuite } from '../support/beside-redis.js';
import { RawConnection } from '../support/raw-resp.js';
import { missingTool, type RedisServer } from '../support/redis-server.js';

const skip = missingTool('redis-server');

/** Three connections to one server: the tracking client, a writer, and one to redirect to. */
interface Clients {
  readonly tracker: RawConnection;
  readonly writer: RawConnection;
  readonly redirect: RawConnection;
}

async function clientsOf(port: number): Promise<Clients> {
  const [tracker, writer, redirect] = await Promise.all([RawConnection.open(port), RawConnection.open(port), RawConnection.open(port)]);
  return { tracker, writer, redirect };
}

function closeAll(clients: Clients): void {
  for (const connection of Object.values(clients)) connection.close();
}

/** Runs `steps` on both servers; each step names the raw frames it read, which must be equal. */
async function sameOnBoth(ports: readonly [number, number], steps: (clients: Clients, read: (from: RawConnection) => Promise<string>) => Promise<void>): Promise<void> {
  const transcripts = await Promise.all(ports.map(async (port) => {
    const clients = await clientsOf(port);
    const frames: string[] = [];
    try {
      await steps(clients, async (from) => {
        const frame = (await from.read()).raw.toString('latin1');
        frames.push(frame);
        return frame;
      });
    } finally {
      closeAll(clients);
    }
    return frames;
  }));
  assert.deepEqual(transcripts[0], transcripts[1]);
}

describe('CLIENT TRACKING compared with redis-server', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  let redisServer: RedisServer;
  let ports: [number, number];

  besideRedisPerSuite({}, (started) => {
    ({ cluster, redisServer } = started);
    ports = [cluster.node('n1').port, redisServer.port];
  });

  it('RESP3 default mode: a read key is invalidated once, by another client\'s write, after the reply; TRACKINGINFO and GETREDIR', async () => {
    await sameOnBoth(ports, async ({ tracker, writer }, read) => {
      await tracker.call('HELLO', '3');
      tracker.write('*3\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\non\r\n');
      await read(tracker);
      await writer.call('SET', 'tr:a', '1');
      await writer.call('SET', 'tr:b', '1');
      await tracker.call('MGET', 'tr:a', 'tr:b');
      await writer.call('MSET', 'tr:b', '2', 'tr:a', '2');
      await read(tracker); // invalidate tr:b
      await read(tracker); // invalidate tr:a
      await writer.call('SET', 'tr:a', '3'); // no longer tracked: nothing
      await tracker.call('HSET', 'tr:h', 'f', '1');
      await tracker.call('HGET', 'tr:h', 'f');
      tracker.write('*3\r\n$4\r\nHDEL\r\n$4\r\ntr:h\r\n$1\r\nf\r\n');
      await read(tracker); // HDEL's reply first
      await read(tracker); // then its own key's invalidation
      for (const argv of [['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'GETREDIR'], ['CLIENT', 'CACHING', 'yes'], ['CLIENT', 'TRACKING', 'on', 'BCAST']]) {
        tracker.write(`*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`);
        await read(tracker);
      }
      await writer.call('FLUSHALL');
      await read(tracker); // invalidate null: a flush reaches every tracking client
      tracker.write('*2\r\n$3\r\nGET\r\n$4\r\ntr:a\r\n');
      await read(tracker);
      await writer.call('FLUSHALL');
      await read(tracker); // invalidate null
    });
  });

  it('reads inside MULTI/EXEC are tracked; the invalidation of a key EXEC changed comes after EXEC\'s reply', async () => {
    await sameOnBoth(ports, async ({ tracker, writer }, read) => {
      await tracker.call('HELLO', '3');
      await tracker.call('CLIENT', 'TRACKING', 'on');
      await writer.call('MSET', 'tx:a', '1', 'tx:b', '1');
      for (const argv of [['MULTI'], ['GET', 'tx:a'], ['EXEC']]) await tracker.call(...argv);
      await writer.call('SET', 'tx:a', '2');
      await read(tracker); // invalidate tx:a
      await tracker.call('GET', 'tx:b');
      for (const argv of [['MULTI'], ['INCR', 'tx:b']]) await tracker.call(...argv);
      tracker.write('*1\r\n$4\r\nEXEC\r\n');
      await read(tracker); // EXEC's reply first
      await read(tracker); // then invalidate tx:b
    });
  });

  it('BCAST with prefixes and NOLOOP, OPTIN with CLIENT CACHING, and the argument errors', async () => {
    await sameOnBoth(ports, async ({ tracker, writer }, read) => {
      await tracker.call('HELLO', '3');
      const send = async (...argv: string[]): Promise<string> => {
        tracker.write(`*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
        return read(tracker);
      };
      for (const argv of [['PREFIX', 'x'], ['BCAST', 'OPTIN'], ['OPTIN', 'OPTOUT'], ['BCAST', 'PREFIX', 'ab', 'PREFIX', 'a'], ['NOSUCH'], ['REDIRECT', '999999'], ['REDIRECT', 'x']]) {
        await send('CLIENT', 'TRACKING', 'on', ...argv);
      }
      await send('CLIENT', 'CACHING', 'yes');
      await send('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'p:', 'NOLOOP');
      await send('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'p');
      await send('CLIENT', 'TRACKING', 'on');
      await tracker.call('SET', 'p:own', '1'); // its own write: not told (NOLOOP)
      await writer.call('SET', 'p:other', '1');
      await writer.call('SET', 'q:other', '1'); // outside the prefix
      await read(tracker);
      await send('CLIENT', 'TRACKINGINFO');
      await send('CLIENT', 'TRACKING', 'off');
      await send('CLIENT', 'TRACKING', 'on', 'OPTIN');
      await tracker.call('GET', 'o:1'); // not cached: OPTIN without CACHING yes
      await send('CLIENT', 'CACHING', 'yes');
      await send('CLIENT', 'TRACKINGINFO');
      await tracker.call('GET', 'o:2');
      await writer.call('MSET', 'o:1', 'x', 'o:2', 'x');
      await read(tracker); // only o:2
    });
  });

  it('RESP2: invalidations go to the subscribed client it redirects to; a redirection that went away is reported', async () => {
    const outcomes = await Promise.all(ports.map(async (port) => {
      const { tracker, writer, redirect } = await clientsOf(port);
      try {
        const id = String(await redirect.call('CLIENT', 'ID'));
        await redirect.call('SUBSCRIBE', '__redis__:invalidate');
        assert.equal(await tracker.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', id), 'OK');
        await tracker.call('GET', 'r2:k');
        await writer.call('SET', 'r2:k', 'v');
        const message = (await redirect.read()).raw.toString('latin1');
        await tracker.call('HELLO', '3');
        redirect.close();
        // Read frames until `until` matches one; returns them all.
        const framesUntil = async (until: RegExp): Promise<string[]> => {
          const frames: string[] = [];
          while (!until.test(frames[frames.length - 1] ?? '')) frames.push((await tracker.read()).raw.toString('latin1'));
          return frames;
        };
        let broken: string | undefined;
        for (let attempt = 0; attempt < 100 && broken === undefined; attempt++) {
          tracker.write(`*2\r\n$3\r\nGET\r\n$4\r\nr2:k\r\n`);
          const seen = await framesUntil(/^\$/);
          await writer.call('SET', 'r2:k', String(attempt));
          tracker.write('*1\r\n$4\r\nPING\r\n');
          broken = [...seen, ...await framesUntil(/^\+PONG/)].find((frame) => frame.includes('tracking-redir-broken'));
        }
        const info = await tracker.call('CLIENT', 'TRACKINGINFO');
        return { message, broken: broken?.replace(`:${id}\r\n`, ':ID\r\n'), info: JSON.stringify(info).replace(id, 'ID') };
      } finally {
        closeAll({ tracker, writer, redirect });
      }
    }));
    assert.equal(outcomes[0]?.message, '*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$4\r\nr2:k\r\n');
    assert.equal(outcomes[0]?.broken, '>2\r\n$21\r\ntracking-redir-broken\r\n:ID\r\n');
    assert.deepEqual(outcomes[0], outcomes[1]);
  });
});

describe('CLIENT TRACKING on a 3-node cluster', () => {
  let cluster: TestCluster;
  let leader: string;
  let follower: string;

  clusterPerSuite({ nodes: 3 }, (started) => {
    ({ cluster, leader } = started);
    follower = started.followers[0] ?? '';
  });

  it('a client tracking on a follower is told of a write made through the leader, and INFO counts it', async () => {
    const tracker = await RawConnection.open(cluster.node(follower).port);
    const writer = await RawConnection.open(cluster.node(leader).port);
    try {
      await tracker.call('HELLO', '3');
      assert.equal(await tracker.call('CLIENT', 'TRACKING', 'on'), 'OK');
      await writer.call('SET', 'cl:k', '1');
      // A linearizable read on the follower sees the write, and remembers the key.
      assert.equal(String(await tracker.call('GET', 'cl:k')), '1');
      tracker.write('*2\r\n$4\r\nINFO\r\n$7\r\nclients\r\n');
      assert.match((await tracker.read()).raw.toString('latin1'), /tracking_clients:1\r\n/);
      await writer.call('SET', 'cl:k', '2');
      const push = await tracker.read();
      assert.equal(push.raw.toString('latin1'), '>2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\ncl:k\r\n');
      assert.equal(String(await tracker.call('GET', 'cl:k')), '2');
    } finally {
      tracker.close();
      writer.close();
    }
  });
});
