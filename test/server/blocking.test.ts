// Blocking pops on a real 3-node cluster: a client blocks on the node it is connected to and
// is served by a push on any node; one push serves one waiter across nodes; timeouts answer
// nil no earlier than asked; BLMOVE chains; a client that left is not served; and waiting
// clients are served after the leader is killed, every pushed value delivered exactly once.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { RawConnection, encode } from '../support/raw-resp.js';
import { waitFor } from '../support/wait.js';

/** A promise's outcome as it settles, so a test can ask whether it has yet. */
interface Watched<T> {
  settled: boolean;
  value?: T;
  error?: unknown;
  readonly promise: Promise<void>;
}

function watch<T>(promise: Promise<T>): Watched<T> {
  const watched: Watched<T> = {
    settled: false,
    promise: promise.then(
      (value) => {
        watched.settled = true;
        watched.value = value;
      },
      (error: unknown) => {
        watched.settled = true;
        watched.error = error;
      },
    ),
  };
  return watched;
}

describe('blocking pops on a cluster', () => {
  let cluster: TestCluster;
  let leader: string;
  let followers: string[];
  const blockers: Redis[] = [];

  /** A client without a command timeout (it may wait as long as it asked to). */
  function blocker(id: string): Redis {
    const client = new Redis({ ...cluster.connectOptions(id), maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    blockers.push(client);
    return client;
  }

  async function blockedOn(id: string): Promise<number> {
    const info = String(await cluster.call(id, ['INFO', 'clients']));
    const match = /blocked_clients:(\d+)/.exec(info);
    if (match === null) throw new Error(`no blocked_clients in INFO of ${id}: ${info}`);
    return Number(match[1]);
  }

  async function waitBlocked(id: string, count: number): Promise<void> {
    await waitFor(`${count} blocked clients on ${id}`, async () => (await blockedOn(id)) === count, { timeoutMs: 10_000, intervalMs: 20 });
  }

  // Declared first, so it runs before the fixture stops the cluster.
  after(() => {
    for (const client of blockers) client.disconnect();
  });
  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster, leader, followers } = started));

  it('a BLPOP on a follower is served by an RPUSH on the leader, and the reverse', async () => {
    const onFollower = blocker(followers[0] ?? '');
    const served = onFollower.blpop('b:q1', 'b:q2', 0);
    await waitBlocked(followers[0] ?? '', 1);
    assert.equal(await cluster.client(leader).rpush('b:q2', 'from the leader'), 1);
    assert.deepEqual(await served, ['b:q2', 'from the leader']);

    const onLeader = blocker(leader);
    const servedOnLeader = onLeader.brpop('b:q3', 0);
    await waitBlocked(leader, 1);
    await cluster.client(followers[1] ?? '').rpush('b:q3', 'a', 'b');
    assert.deepEqual(await servedOnLeader, ['b:q3', 'b']);
    assert.deepEqual(await cluster.client(leader).lrange('b:q3', 0, -1), ['a']);
    await waitBlocked(leader, 0);
    await waitBlocked(followers[0] ?? '', 0);
  });

  it('two clients blocked on one key on different nodes, one push: one gets it, the other waits for the next', async () => {
    const first = watch(blocker(followers[0] ?? '').blpop('b:shared', 0));
    await waitBlocked(followers[0] ?? '', 1);
    const second = watch(blocker(followers[1] ?? '').blpop('b:shared', 0));
    await waitBlocked(followers[1] ?? '', 1);
    await cluster.client(leader).rpush('b:shared', 'one');
    await waitFor('one client served', () => first.settled || second.settled);
    const [winner, waiting, waitingNode] = first.settled ? [first, second, followers[1]] : [second, first, followers[0]];
    assert.deepEqual(winner.value, ['b:shared', 'one']);
    // The other lost the race: it is still blocked, nothing is left to pop, and it takes the next push.
    assert.equal(waiting.settled, false);
    assert.equal(await blockedOn(waitingNode ?? ''), 1);
    assert.equal(await cluster.client(leader).llen('b:shared'), 0);
    await cluster.client(leader).rpush('b:shared', 'two');
    await waiting.promise;
    assert.deepEqual(waiting.value, ['b:shared', 'two']);
    assert.equal(await cluster.client(leader).exists('b:shared'), 0);
  });

  it('a timeout answers nil, and not before it', async () => {
    const client = blocker(followers[0] ?? '');
    for (const [name, run] of [
      ['BLPOP', () => client.blpop('b:nothing', 0.2)],
      ['BLMOVE', () => client.blmove('b:nothing', 'b:dest', 'LEFT', 'RIGHT', 0.2)],
      ['BLMPOP', () => client.call('BLMPOP', '0.2', '2', 'b:nothing', 'b:none', 'LEFT')],
    ] as const) {
      const started = performance.now();
      assert.equal(await run(), null, name);
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 200, `${name} answered after ${elapsed.toFixed(1)} ms, before its 0.2 s timeout`);
      assert.ok(elapsed < 5_000, `${name} answered after ${elapsed.toFixed(1)} ms`);
    }
    assert.equal(await blockedOn(followers[0] ?? ''), 0);
  });

  it('chained BLMOVEs move a pushed element along, across nodes', async () => {
    const firstHop = blocker(followers[0] ?? '').blmove('b:chain1', 'b:chain2', 'RIGHT', 'LEFT', 0);
    await waitBlocked(followers[0] ?? '', 1);
    const secondHop = blocker(followers[1] ?? '').blmove('b:chain2', 'b:chain3', 'LEFT', 'RIGHT', 0);
    await waitBlocked(followers[1] ?? '', 1);
    await cluster.client(leader).rpush('b:chain1', 'hopper');
    assert.equal(await firstHop, 'hopper');
    assert.equal(await secondHop, 'hopper');
    const redis = cluster.client(leader);
    assert.deepEqual(await redis.lrange('b:chain3', 0, -1), ['hopper']);
    assert.equal(await redis.exists('b:chain1', 'b:chain2'), 0);
  });

  for (const where of ['leader', 'follower'] as const) {
    it(`on the ${where}, a push is answered once the clients it woke there, and those they woke, are served (Redis's "Linked LMOVEs", "Circular BRPOPLPUSH")`, async () => {
      const id = where === 'leader' ? leader : followers[0] ?? '';
      const redis = cluster.client(id);
      const first = blocker(id).blmove(`b:${where}:l1`, `b:${where}:l2`, 'RIGHT', 'LEFT', 0);
      await waitBlocked(id, 1);
      const second = blocker(id).blmove(`b:${where}:l2`, `b:${where}:l3`, 'LEFT', 'RIGHT', 0);
      await waitBlocked(id, 2);
      assert.equal(await redis.rpush(`b:${where}:l1`, 'foo'), 1);
      // Read at once by the pushing client: the chain has run.
      assert.deepEqual(await redis.lrange(`b:${where}:l1`, 0, -1), []);
      assert.deepEqual(await redis.lrange(`b:${where}:l2`, 0, -1), []);
      assert.deepEqual(await redis.lrange(`b:${where}:l3`, 0, -1), ['foo']);
      assert.deepEqual([await first, await second], ['foo', 'foo']);

      const circleOne = blocker(id).brpoplpush(`b:${where}:c1`, `b:${where}:c2`, 0);
      await waitBlocked(id, 1);
      const circleTwo = blocker(id).brpoplpush(`b:${where}:c2`, `b:${where}:c1`, 0);
      await waitBlocked(id, 2);
      assert.equal(await redis.rpush(`b:${where}:c1`, 'foo'), 1);
      assert.deepEqual(await redis.lrange(`b:${where}:c1`, 0, -1), ['foo']);
      assert.deepEqual(await redis.lrange(`b:${where}:c2`, 0, -1), []);
      assert.deepEqual([await circleOne, await circleTwo], ['foo', 'foo']);
    });
  }

  it('a blocked client that disconnects is not served: the value stays', async () => {
    const node = followers[0] ?? '';
    const leaving = blocker(node);
    void leaving.blpop('b:left', 0).catch(() => null);
    await waitBlocked(node, 1);
    leaving.disconnect();
    await waitBlocked(node, 0);
    // With nobody waiting anywhere, nothing can pop it: the value is there on every node.
    await cluster.client(leader).rpush('b:left', 'kept');
    for (const id of cluster.nodes.map((n) => n.id)) assert.deepEqual(await cluster.client(id).lrange('b:left', 0, -1), ['kept'], id);
  });

  it('a client that ends its side while blocked stops waiting (as Redis frees it on EOF)', async () => {
    const node = followers[1] ?? '';
    const connection = await RawConnection.open(cluster.node(node).port);
    connection.write(encode(['BLPOP', 'b:eof', '0']));
    await waitBlocked(node, 1);
    connection.end();
    await waitBlocked(node, 0);
    connection.close();
    await cluster.client(leader).rpush('b:eof', 'kept');
    assert.equal(await cluster.client(node).llen('b:eof'), 1);
  });

  it('commands pipelined after a blocked one wait for it, and replies keep their order', async () => {
    const node = followers[0] ?? '';
    const connection = await RawConnection.open(cluster.node(node).port);
    connection.write(Buffer.concat([encode(['BLPOP', 'b:pipe', '0']), encode(['RPUSH', 'b:pipe-after', 'x']), encode(['LLEN', 'b:pipe-after'])]));
    await waitBlocked(node, 1);
    // The RPUSH behind the blocked BLPOP has not run.
    assert.equal(await cluster.client(leader).exists('b:pipe-after'), 0);
    await cluster.client(leader).rpush('b:pipe', 'go');
    assert.deepEqual((await connection.read()).value, ['b:pipe', 'go']);
    assert.equal((await connection.read()).value, 1);
    assert.equal((await connection.read()).value, 1);
    connection.close();
  });

  it('inside MULTI a blocking command does not block', async () => {
    const redis = cluster.client(followers[0] ?? '');
    await redis.rpush('b:tx', 'only');
    const results = await redis.multi().blpop('b:tx', 0).blpop('b:tx', 0).brpoplpush('b:tx', 'b:tx2', 0).exec();
    assert.deepEqual(results, [[null, ['b:tx', 'only']], [null, null], [null, null]]);
  });

  it('BZPOPMIN on a follower is served by a ZADD on the leader', async () => {
    const served = blocker(followers[1] ?? '').bzpopmin('b:z', 0);
    await waitBlocked(followers[1] ?? '', 1);
    await cluster.client(leader).zadd('b:z', 2, 'two', 1, 'one');
    assert.deepEqual(await served, ['b:z', 'one', '1']);
    assert.deepEqual(await cluster.client(leader).zrange('b:z', 0, -1), ['two']);
  });

  it('clients waiting on the followers are served after the leader is killed, every value exactly once', async () => {
    const consumed: string[] = [];
    let stopping = false;
    const consumers = followers.flatMap((id) => Array.from({ length: 3 }, () => blocker(id)));
    const loops = consumers.map(async (client) => {
      while (!stopping) {
        try {
          const reply = await client.blpop('b:jobs', 0);
          if (reply !== null) consumed.push(reply[1]);
        } catch {
          // TRYAGAIN while there is no leader, or the connection closed at the end.
          if (!stopping) await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    });
    for (const id of followers) await waitBlocked(id, 3);
    const producer = cluster.client(followers[0] ?? '');
    const acknowledged = new Set<string>();
    const attempted = new Set<string>();
    const push = async (value: string): Promise<void> => {
      attempted.add(value);
      try {
        await producer.rpush('b:jobs', value);
        acknowledged.add(value);
      } catch {
        // TRYAGAIN (not applied) or TIMEOUT (unknown): not counted as pushed.
      }
    };
    for (let i = 0; i < 40; i++) await push(`job-${i}`);
    await waitFor('the first jobs consumed', () => consumed.length >= 40 || null, { timeoutMs: 20_000 });
    const pushing = (async () => {
      for (let i = 40; i < 160; i++) await push(`job-${i}`);
    })();
    await cluster.kill(leader, 'SIGKILL');
    await pushing;
    const newLeader = await cluster.waitForLeaderAmong(followers);
    for (let i = 160; i < 200; i++) await push(`job-${i}`);
    const redis = cluster.client(newLeader);
    await waitFor('every acknowledged job consumed', async () => [...acknowledged].every((value) => consumed.includes(value)) && (await redis.llen('b:jobs')) === 0,
      { timeoutMs: 30_000, intervalMs: 100 });
    stopping = true;
    for (const client of consumers) client.disconnect();
    await Promise.all(loops);
    assert.equal(new Set(consumed).size, consumed.length, `a job delivered twice: ${consumed.join(' ')}`);
    for (const value of consumed) assert.ok(attempted.has(value), `${value} was never pushed`);
    assert.ok(acknowledged.size >= 150, `only ${acknowledged.size} pushes acknowledged`);
    await cluster.restart(leader);
  });
});
