// SORT and SORT_RO against a real redis-server: the same sequences give the same replies,
// errors included (BY and GET patterns with hash fields, nosort, LIMIT, ALPHA, DESC, STORE),
// and random lists sorted every way agree (property). Sets iterate in each server's own
// order, so a set is compared only where the result is sorted. Skipped when redis-server is
// missing.

import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { redisServerPath, startRedis, type RedisInstance } from './redis-server.js';
import { compareSteps, type Step } from './redis-compare-support.js';

const path = redisServerPath();

const steps = (rows: readonly (readonly string[])[]): Step[] => rows.map((args) => ({ args }));

const weights = [
  ['RPUSH', 'l', '3', '1', '2', '10', '-1.5', '1e3'], ['MSET', 'w_3', '30', 'w_1', '10', 'w_2', '20', 'w_10', '5', 'w_-1.5', '0', 'o_3', 'three', 'o_1', 'one'],
  ['HSET', 'h_3', 'f', 'c', 'n', '3'], ['HSET', 'h_1', 'f', 'a', 'n', '1'], ['HSET', 'h_2', 'f', 'b'],
];

const sequences: Record<string, readonly (readonly string[])[]> = {
  'numeric, ALPHA, DESC and LIMIT': [
    ...weights, ['SORT', 'l'], ['SORT', 'l', 'DESC'], ['SORT', 'l', 'ALPHA'], ['SORT', 'l', 'ALPHA', 'DESC'], ['SORT', 'l', 'LIMIT', '1', '2'], ['SORT', 'l', 'LIMIT', '-5', '2'],
    ['SORT', 'l', 'LIMIT', '2', '-1'], ['SORT', 'l', 'LIMIT', '10', '2'], ['SORT', 'l', 'LIMIT', '0', '0'], ['SORT', 'l', 'limit', 'x', '1'], ['SORT', 'l', 'LIMIT', '1'],
    ['SORT', 'l', 'bogus'], ['SORT', 'nokey'], ['SORT', 'nokey', 'STORE', 'dst'], ['RPUSH', 'bad', '1', 'x', '2'], ['SORT', 'bad'], ['SORT', 'bad', 'ALPHA'],
    ['RPUSH', 'sp', ' 5', '', '3\t', 'nan'], ['SORT', 'sp'], ['SORT', 'sp', 'LIMIT', '0', '2', 'ALPHA'], ['RPUSH', 'dup', 'b', 'a', 'b', '1', '01', '1.0'], ['SORT', 'dup'], ['SORT', 'dup', 'ALPHA'],
    ['SET', 'str', 'x'], ['SORT', 'str'], ['HSET', 'hash', 'a', '1'], ['SORT', 'hash'], ['SORT_RO', 'l', 'DESC', 'LIMIT', '0', '3'], ['SORT_RO', 'l', 'STORE', 'x'],
    ['SORT'], ['SORT_RO'],
  ],
  'BY and GET patterns': [
    ...weights, ['SORT', 'l', 'BY', 'w_*'], ['SORT', 'l', 'BY', 'w_*', 'DESC'], ['SORT', 'l', 'BY', 'o_*', 'ALPHA'], ['SORT', 'l', 'BY', 'h_*->f', 'ALPHA'],
    ['SORT', 'l', 'BY', 'h_*->n'], ['SORT', 'l', 'BY', 'h_*->'], ['SORT', 'l', 'BY', 'o_*'], ['SORT', 'l', 'BY', 'nosort'], ['SORT', 'l', 'BY', 'nosort', 'DESC'],
    ['SORT', 'l', 'BY', 'nosort', 'LIMIT', '1', '3'], ['SORT', 'l', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '3'], ['SORT', 'l', 'BY', 'nosort', 'LIMIT', '9', '3'],
    ['SORT', 'l', 'GET', '#', 'GET', 'o_*', 'GET', 'h_*->f', 'GET', 'nostar', 'GET', 'h_*->'], ['SORT', 'l', 'BY', 'w_*', 'GET', 'w_*', 'LIMIT', '0', '3'],
    ['SORT', 'l', 'GET', 'h_*->f', 'STORE', 'dst'], ['LRANGE', 'dst', '0', '-1'], ['SORT', 'l', 'BY', 'nosort', 'STORE', 'dst'], ['LRANGE', 'dst', '0', '-1'],
    ['SORT', 'l', 'LIMIT', '0', '0', 'STORE', 'dst'], ['EXISTS', 'dst'], ['SET', 'dst', 'old'], ['EXPIRE', 'dst', '100'], ['SORT', 'l', 'STORE', 'dst'], ['TTL', 'dst'], ['TYPE', 'dst'],
    ['SORT', 'l', 'BY', 'h_*->f', 'GET', '#', 'ALPHA', 'DESC'], ['SORT', 'l', 'GET'], ['SORT', 'l', 'BY'], ['SORT', 'l', 'STORE'],
  ],
  'sets and sorted sets': [
    ['SADD', 's', '5', '3', '9', '1'], ['SORT', 's'], ['SORT', 's', 'DESC', 'LIMIT', '1', '2'], ['SORT', 's', 'BY', 'nosort', 'STORE', 'dst'], ['LRANGE', 'dst', '0', '-1'],
    ['SADD', 'sa', 'b', 'c', 'a'], ['SORT', 'sa', 'ALPHA'], ['SORT', 'sa'], ['ZADD', 'z', '1', 'c', '2', 'a', '3', 'b', '4', '10'], ['SORT', 'z', 'ALPHA'], ['SORT', 'z', 'BY', 'nosort'],
    ['SORT', 'z', 'BY', 'nosort', 'DESC'], ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '1', '2'], ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2'], ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '9', '2'],
    ['SORT', 'z'], ['SORT', 'z', 'BY', 'nosort', 'GET', '#', 'STORE', 'dst'], ['LRANGE', 'dst', '0', '-1'],
  ],
};

describe('SORT against redis-server', { skip: path === null ? 'redis-server not installed' : false }, () => {
  let redis: RedisInstance;
  before(async () => {
    redis = await startRedis(path as string);
  });
  after(async () => {
    await redis.stop();
  });

  for (const [name, rows] of Object.entries(sequences)) {
    test(name, async () => {
      await compareSteps(redis, steps(rows));
    });
  }

  // Weights from a small range and some missing: equal sort keys are common, and with BY and
  // LIMIT they come out in the order of Redis's partial quicksort.
  test('random lists sorted every way agree (property)', async () => {
    const element = fc.oneof(fc.integer({ min: -50, max: 50 }).map(String), fc.constantFrom('a', 'b', 'x1', '1.5', '-0', ''));
    const option = fc.constantFrom(['DESC'], ['ALPHA'], ['LIMIT', '1', '3'], ['LIMIT', '0', '10'], ['BY', 'w_*'], ['GET', 'w_*'], ['GET', '#'], ['BY', 'nosort'], ['STORE', 'dst']);
    await fc.assert(fc.asyncProperty(fc.array(element, { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 60 }), fc.array(option, { maxLength: 4 }), async (elements, weightValues, options) => {
      const weights = weightValues.map((value, i): string[] => ['SET', `w_${elements[i % elements.length] as string}`, String(value)]);
      await compareSteps(redis, steps([
        ['RPUSH', 'l', ...elements], ...weights,
        ['SORT', 'l', ...options.flat()], ['SORT', 'l', 'ALPHA', ...options.flat()], ['LRANGE', 'dst', '0', '-1'],
      ]));
    }), { numRuns: 150 });
  });
});
