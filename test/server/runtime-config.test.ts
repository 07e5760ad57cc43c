// CONFIG SET and CONFIG GET on a real 3-node cluster: a replicated setting set on one node
// holds on every node, drives what the log does there (eviction), survives a restart from a
// snapshot, and a CONFIG SET with one bad pair changes nothing; node settings stay on the
// node asked; start-up settings are refused with the flag that sets them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { waitFor } from '../support/wait.js';

/** CONFIG GET's reply (a flat array in RESP2) as a map. */
function settings(reply: unknown): Map<string, string> {
  const flat = reply as string[];
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i] as string, flat[i + 1] as string);
  return out;
}

describe('CONFIG on a 3-node cluster', () => {
  let cluster: TestCluster;
  let leader: string;
  let followers: string[];

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster, leader, followers } = started));

  it('a replicated setting set on a follower holds on every node, and every node evicts by it alike', async () => {
    const [follower] = followers as [string];
    assert.equal(await cluster.call(follower, ['CONFIG', 'SET', 'maxmemory', '200kb', 'maxmemory-policy', 'allkeys-lru']), 'OK');
    for (const node of cluster.nodes) {
      await waitFor(`${node.id} to apply the settings`, async () => {
        const got = settings(await cluster.call(node.id, ['CONFIG', 'GET', 'maxmemory*']));
        return got.get('maxmemory') === String(200 * 1024) && got.get('maxmemory-policy') === 'allkeys-lru';
      });
    }
    const redis = cluster.client(leader);
    for (let i = 0; i < 400; i++) await redis.set(`cfg:${i}`, 'x'.repeat(1000));
    const ids = cluster.nodes.map((n) => n.id);
    await cluster.waitForEqualDigests(ids);
    for (const id of ids) {
      const info = String(await cluster.call(id, ['INFO', 'stats', 'memory']));
      assert.match(info, /evicted_keys:[1-9]\d*/, `${id} evicted`);
      assert.match(info, /maxmemory_policy:allkeys-lru/, `${id} reports the policy`);
    }
    assert.equal(await cluster.call(follower, ['CONFIG', 'SET', 'maxmemory', '0']), 'OK');
  });

  it('a CONFIG SET with one bad pair changes nothing; node and start-up settings are told apart', async () => {
    const [follower, other] = followers as [string, string];
    const before = settings(await cluster.call(follower, ['CONFIG', 'GET', 'proto-max-bulk-len', 'hash-max-listpack-entries']));
    const refusal = async (argv: string[]): Promise<string> => String((await cluster.call(follower, argv) as Error).message);
    assert.equal(await refusal(['CONFIG', 'SET', 'proto-max-bulk-len', '2mb', 'hash-max-listpack-entries', 'x']),
      "ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-entries') - argument couldn't be parsed into an integer");
    assert.equal(await refusal(['CONFIG', 'SET', 'hash-max-listpack-entries', '7', 'proto-max-bulk-len', 'lots']),
      "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be a memory value");
    assert.deepEqual(settings(await cluster.call(follower, ['CONFIG', 'GET', 'proto-max-bulk-len', 'hash-max-listpack-entries'])), before);
    assert.equal(await refusal(['CONFIG', 'SET', 'port', '1']), "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config: raftis sets it only at start-up --listen");
    // Setting a start-up setting to the value it has changes nothing and is accepted (what CONFIG GET * showed can be set back).
    const port = settings(await cluster.call(follower, ['CONFIG', 'GET', 'port'])).get('port') ?? '';
    assert.equal(await cluster.call(follower, ['CONFIG', 'SET', 'port', port, 'daemonize', 'no']), 'OK');
    assert.equal(await refusal(['CONFIG', 'SET', 'daemonize', 'yes']), "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config: raftis sets it only at start-up (raftis runs in the foreground)");
    assert.equal(await refusal(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu']),
      "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - raftis evicts by noeviction, allkeys-lru, volatile-lru, allkeys-random, volatile-ttl (it keeps no access frequencies for LFU)");
    // A node setting changes on the node asked only.
    assert.equal(await cluster.call(follower, ['CONFIG', 'SET', 'hash-max-listpack-entries', '7']), 'OK');
    assert.equal(settings(await cluster.call(follower, ['CONFIG', 'GET', 'hash-max-listpack-entries'])).get('hash-max-listpack-entries'), '7');
    assert.equal(settings(await cluster.call(other, ['CONFIG', 'GET', 'hash-max-listpack-entries'])).get('hash-max-listpack-entries'), '512');
  });

  it('a replicated setting survives a restart from a snapshot', async () => {
    const [follower] = followers as [string];
    assert.equal(await cluster.call(leader, ['CONFIG', 'SET', 'proto-max-bulk-len', '3mb']), 'OK');
    await waitFor(`${follower} to apply the setting`, async () => settings(await cluster.call(follower, ['CONFIG', 'GET', 'proto-max-bulk-len'])).get('proto-max-bulk-len') === String(3 * 1024 * 1024));
    await cluster.call(follower, ['RAFT.SNAPSHOT']);
    await cluster.restart(follower);
    await cluster.waitForListening(follower);
    await waitFor(`${follower} to hold the setting after its restart`, async () => settings(await cluster.call(follower, ['CONFIG', 'GET', 'proto-max-bulk-len'])).get('proto-max-bulk-len') === String(3 * 1024 * 1024));
    // The limit is the cluster's on the restarted node too: APPEND past it is refused there as everywhere.
    const big = 'y'.repeat(2 * 1024 * 1024);
    await cluster.client(follower).set('cfg:big', big);
    await assert.rejects(cluster.client(follower).append('cfg:big', big), /string exceeds maximum allowed size/);
  });
});
