// BZPOPMIN, BZPOPMAX and BZMPOP as the state machine applies them (their non-blocking forms)
// against a real redis-server: with members present, errors, and against empty keys inside
// MULTI (where Redis does not block either). Skipped when redis-server is missing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, plain } from './harness.js';
import { redisServerPath, startRedis, type RedisInstance } from './redis-server.js';
import { compareSteps } from './redis-compare-support.js';

const path = redisServerPath();

const withMembers: readonly (readonly string[])[] = [
  ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd'], ['BZPOPMIN', 'none', 'z', '0'], ['BZPOPMAX', 'z', 'none', '0.5'], ['BZMPOP', '0', '2', 'none', 'z', 'MIN', 'COUNT', '5'],
  ['ZADD', 'z', '1.5', 'x', '-inf', 'y'], ['BZPOPMIN', 'z', '1'], ['BZMPOP', '1', '1', 'z', 'MAX'], ['SET', 's', 'v'], ['BZPOPMIN', 's', 'z', '0'],
  ['BZMPOP', '0', '2', 's', 'z', 'MIN'], ['BZPOPMIN', 'z', '-1'], ['BZPOPMIN', 'z', 'x'], ['BZPOPMAX', 'z', 'inf'], ['BZMPOP', '-1', '0', 'z', 'MIN'],
  ['BZMPOP', '-1', '1', 'z', 'MIN'], ['BZMPOP', '0', '1', 'z', 'UP'], ['BZMPOP', '0', '1', 'z', 'MIN', 'COUNT', '0'], ['BZPOPMIN', 'z'], ['BZMPOP', '0', '1', 'z'],
];

const empty: readonly (readonly string[])[] = [['BZPOPMIN', 'none', '0'], ['BZPOPMAX', 'none', 'other', '1'], ['BZMPOP', '0', '1', 'none', 'MIN'], ['BZMPOP', '0', '2', 'none', 'x', 'MAX', 'COUNT', '3']];

describe('blocking sorted-set pops match redis-server', { skip: path === null ? 'redis-server is not installed' : false }, () => {
  let redis: RedisInstance;
  before(async () => {
    redis = await startRedis(path as string);
  });
  after(async () => {
    await redis?.stop();
  });

  test('with members, and argument errors', async () => compareSteps(redis, withMembers.map((args) => ({ args }))));

  test('against empty keys, as inside MULTI', async () => {
    await redis.client.flushall();
    const multi = redis.client.multi();
    for (const args of empty) multi.call(args[0] as string, ...args.slice(1));
    const theirs = (await multi.exec()) ?? [];
    const harness = new Harness();
    empty.forEach((args, i) => assert.deepEqual(plain(harness.apply(...args)), (theirs[i] as [Error | null, unknown])[1] ?? null, args.join(' ')));
  });
});
