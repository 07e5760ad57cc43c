// Well-formed commands that once ended a node, on a real 3-node cluster, on the leader and
// on a follower: each gets Redis's reply, and every node keeps running. (A reply integer
// beyond 2^53, from an expiry near 2^63 ms, made the reply writer throw out of the
// process.)

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { RawConnection } from '../support/raw-resp.js';

const INT64_MAX = '9223372036854775807';

describe('commands that once ended a node', () => {
  let cluster: TestCluster;
  let leader: string;
  let follower: string;

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster, leader, followers: [follower = ''] } = started));

  for (const where of ['leader', 'follower'] as const) {
    it(`answers the TTL family of a key expiring at 2^63-1 ms on the ${where}`, async () => {
      const id = where === 'leader' ? leader : follower;
      const connection = await RawConnection.open(cluster.node(id).port);
      const key = `far:${where}`;
      assert.equal(await connection.call('SET', key, 'v', 'PXAT', INT64_MAX), 'OK');
      assert.equal(await connection.call('PEXPIRETIME', key), BigInt(INT64_MAX));
      assert.equal(await connection.call('EXPIRETIME', key), 9223372036854776n);
      const pttl = await connection.call('PTTL', key);
      const ttl = await connection.call('TTL', key);
      assert.ok(typeof pttl === 'bigint' && pttl > 9223370000000000000n && pttl <= BigInt(INT64_MAX), `PTTL ${String(pttl)}`);
      assert.ok(typeof ttl === 'bigint' && ttl > 9223370000000000n && ttl <= 9223372036854776n, `TTL ${String(ttl)}`);
      assert.equal(await connection.call('PEXPIREAT', key, INT64_MAX), 1);
      assert.equal(await connection.call('PEXPIRETIME', key), BigInt(INT64_MAX));
      assert.equal(await connection.call('GET', key), 'v');
      connection.close();
    });
  }

  it('kept every node running', async () => {
    for (const node of cluster.nodes) assert.equal(await cluster.call(node.id, ['PING']), 'PONG', `${node.id} answers`);
    assert.deepEqual(cluster.crashes(), []);
  });
});
