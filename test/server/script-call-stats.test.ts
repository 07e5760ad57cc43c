// A script's calls in INFO commandstats and errorstats of the node whose client ran it, on
// the leader and on a follower (whose write the leader applies and answers): each call counts
// as a command of its own (refused ones as rejected), and each error once, where it arose: a
// script that fails with its call's error, or returns it, does not count it again.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import type { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { field, parseInfo, type Sections } from '../support/info.js';

/** The commandstats line's counters of `command`, as calls/rejected/failed; absent: none counted. */
function counted(stats: Sections, command: string): string {
  const line = stats.get('commandstats')?.get(`cmdstat_${command}`);
  if (line === undefined) return 'none';
  const match = /^calls=(\d+),usec=\d+,usec_per_call=[\d.]+,rejected_calls=(\d+),failed_calls=(\d+)$/.exec(line);
  assert.ok(match !== null, `cmdstat_${command}:${line}`);
  return `calls=${match[1]} rejected=${match[2]} failed=${match[3]}`;
}

async function statsAfter(redis: Redis, run: () => Promise<unknown>): Promise<{ outcome: unknown; stats: Sections }> {
  assert.equal(await redis.config('RESETSTAT'), 'OK');
  const outcome = await run().catch((error: unknown) => (error as Error).message);
  return { outcome, stats: parseInfo(await redis.info('commandstats', 'errorstats', 'stats')) };
}

function errorstats(stats: Sections): Record<string, string> {
  return Object.fromEntries(stats.get('errorstats') ?? new Map());
}

describe('script calls in INFO commandstats and errorstats', () => {
  let cluster: TestCluster;
  let leader: string;
  let followers: string[];

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster, leader, followers } = started));

  for (const role of ['leader', 'follower'] as const) {
    it(`counts each call once on the ${role} its client is on`, async () => {
      const id = role === 'leader' ? leader : followers[0] ?? '';
      const redis = cluster.client(id);
      const key = `stats:${role}`;
      await redis.set(key, 'text');

      const pcalled = await statsAfter(redis, () => redis.eval("redis.pcall('incr', KEYS[1]); return redis.call('set', KEYS[1], 'text')", 1, key));
      assert.equal(pcalled.outcome, 'OK');
      assert.equal(counted(pcalled.stats, 'incr'), 'calls=1 rejected=0 failed=1');
      assert.equal(counted(pcalled.stats, 'set'), 'calls=1 rejected=0 failed=0');
      assert.equal(counted(pcalled.stats, 'eval'), 'calls=1 rejected=0 failed=0');
      assert.deepEqual(errorstats(pcalled.stats), { errorstat_ERR: 'count=1' });
      assert.equal(field(pcalled.stats, 'stats', 'total_error_replies'), '1');

      const raised = await statsAfter(redis, () => redis.eval("return redis.call('lpush', KEYS[1], 'a')", 1, key));
      assert.match(String(raised.outcome), /^WRONGTYPE /);
      assert.equal(counted(raised.stats, 'lpush'), 'calls=1 rejected=0 failed=1');
      assert.equal(counted(raised.stats, 'eval'), 'calls=1 rejected=0 failed=1');
      assert.deepEqual(errorstats(raised.stats), { errorstat_WRONGTYPE: 'count=1' }, 'the script\'s reply is the call\'s error, counted once');
      assert.equal(field(raised.stats, 'stats', 'total_error_replies'), '1');

      const refused = await statsAfter(redis, () => redis.call('EVAL_RO', "return redis.call('set', KEYS[1], 'a')", 1, key));
      assert.match(String(refused.outcome), /^ERR Write commands are not allowed from read-only scripts/);
      assert.equal(counted(refused.stats, 'set'), 'calls=0 rejected=1 failed=0');
      assert.equal(counted(refused.stats, 'eval_ro'), 'calls=1 rejected=0 failed=1');
      assert.deepEqual(errorstats(refused.stats), { errorstat_ERR: 'count=1' });

      const own = await statsAfter(redis, () => redis.eval("redis.call('get', KEYS[1]); return redis.error_reply('MY_ERR custom')", 1, key));
      assert.equal(own.outcome, 'MY_ERR custom');
      assert.equal(counted(own.stats, 'get'), 'calls=1 rejected=0 failed=0');
      assert.deepEqual(errorstats(own.stats), { errorstat_MY_ERR: 'count=1' }, 'an error of the script\'s own is counted as its reply');
    });
  }

  it('counts calls on the node whose client ran the script, not on the others', async () => {
    const [other, ran] = [leader, followers[1] ?? ''];
    const before = parseInfo(await cluster.client(other).info('commandstats'));
    await cluster.client(ran).eval("return redis.call('hset', KEYS[1], 'f', 'v')", 1, 'stats:elsewhere');
    const after = parseInfo(await cluster.client(other).info('commandstats'));
    assert.equal(counted(after, 'hset'), counted(before, 'hset'));
  });
});
