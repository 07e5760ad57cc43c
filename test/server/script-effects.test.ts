// Deferred script effects on a real three-node cluster (docs/internals/scripting.md): with the
// replicated setting script-effects on, the leader runs each script and followers replay its
// record. Every node ends with the same state (RAFT.DIGEST) whichever way it resolved each
// script, including scripts with random choices, stream IDs and errors midway, across a
// leader kill in the middle of a pipelined stream and the killed node's restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

/** The scripts the stream runs: counters with a TTL, random pops, stream IDs from the entry's time, and an error after a write. */
const SCRIPTS = [
  "local v = redis.call('GET', KEYS[1]) redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 100) return v",
  "local m = redis.call('SPOP', KEYS[1]) if m then redis.call('RPUSH', KEYS[2], m, math.random(1000)) end return m",
  "return redis.call('XADD', KEYS[1], 'MAXLEN', '50', '*', 'r', tostring(math.random(100)))",
  "redis.call('INCR', KEYS[1]) if tonumber(redis.call('GET', KEYS[1])) % 3 == 0 then error('every third fails') end return 1",
];

async function infoField(cluster: TestCluster, id: string, field: string): Promise<number> {
  const info = await cluster.call(id, ['INFO', 'raft']);
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(String(info));
  return match === null ? NaN : Number(match[1]);
}

/** `rounds` pipelines of every script over a few keys; errors (the failing script, a leader change) are part of the stream. */
async function runStream(redis: Redis, shas: readonly string[], rounds: number, tag: string): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 16; i++) {
      const key = `${tag}:${i % 4}`;
      pipeline.evalsha(shas[0] as string, 1, `c:${key}`);
      pipeline.evalsha(shas[1] as string, 2, `set:${i % 2}`, `popped:${i % 2}`);
      pipeline.evalsha(shas[2] as string, 1, `stream:${i % 2}`);
      pipeline.evalsha(shas[3] as string, 1, `e:${key}`);
    }
    await pipeline.exec().catch(() => null);
  }
}

describe('deferred script effects on a three-node cluster', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  let ids: string[];
  let shas: string[];

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3, args: ['--script-effects-wait-ms', '3000'] });
    ids = cluster.nodes.map((node) => node.id);
    const leader = await cluster.waitForLeader();
    const redis = cluster.client(leader);
    assert.equal(await redis.config('SET', 'script-effects', 'yes'), 'OK');
    shas = await Promise.all(SCRIPTS.map(async (script) => String(await redis.script('LOAD', script))));
    const members = Array.from({ length: 400 }, (_, i) => `m${i}`);
    await redis.sadd('set:0', ...members);
    await redis.sadd('set:1', ...members);
  });

  after(async () => {
    await cluster.stop();
  });

  it('followers replay the leader\'s records and every node ends with the same state', async () => {
    const leader = await cluster.waitForLeader();
    const followers = ids.filter((id) => id !== leader);
    assert.deepEqual(await Promise.all(ids.map((id) => cluster.call(id, ['CONFIG', 'GET', 'script-effects']))), ids.map(() => ['script-effects', 'yes']));
    await Promise.all(ids.map((id) => runStream(cluster.client(id), shas, 10, `plain-${id}`)));
    await cluster.waitForEqualDigests(ids);
    assert.ok(await infoField(cluster, leader, 'stat_script_entries_recorded') > 0, 'the leader recorded');
    for (const id of followers) {
      assert.ok(await infoField(cluster, id, 'stat_script_entries_replayed') > 0, `${id} replayed`);
      assert.equal(await infoField(cluster, id, 'stat_script_entries_recorded'), 0, `${id} recorded nothing`);
    }
  });

  it('a leader killed in the middle of a pipelined stream: survivors and the restarted node agree', async () => {
    const leader = await cluster.waitForLeader();
    const followers = ids.filter((id) => id !== leader);
    const replayedBefore = await infoField(cluster, followers[0] as string, 'stat_script_entries_replayed');
    const streams = followers.map((id) => runStream(cluster.client(id, { retry: true }), shas, 30, `kill-${id}`));
    await waitFor('the stream to be under way', async () => await infoField(cluster, followers[0] as string, 'stat_script_entries_replayed') > replayedBefore + 20, { timeoutMs: 30_000 });
    await cluster.kill(leader);
    const next = await cluster.waitForLeaderAmong(followers);
    await Promise.all(streams);
    await runStream(cluster.client(next), shas, 3, 'after');
    await cluster.waitForEqualDigests(followers);
    assert.ok(await infoField(cluster, next, 'stat_script_entries_recorded') > 0, 'the new leader records');
    await cluster.restart(leader);
    await runStream(cluster.client(next), shas, 2, 'rejoined');
    await cluster.waitForEqualDigests(ids);
    const restarted = await infoField(cluster, leader, 'stat_script_entries_replayed') + await infoField(cluster, leader, 'stat_script_entries_run_unrecorded');
    assert.ok(restarted > 0, 'the restarted node resolved script entries from the log');
    assert.deepEqual(cluster.crashes(), []);
  });
});
