// List commands against a real redis-server: the same sequences give the same replies,
// errors included, and random sequences agree (property). Blocking commands are compared in
// their non-blocking form (what the state machine applies): against an empty list Redis is
// asked inside MULTI, where it does not block either. Skipped when redis-server is missing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, plain } from './harness.js';
import { redisServerPath, startRedis, type RedisInstance } from './redis-server.js';
import { compareSteps, redisReply } from './redis-compare-support.js';

const path = redisServerPath();

const sequences: Record<string, readonly (readonly string[])[]> = {
  'push, pop, length, index': [
    ['LPUSH', 'l', 'a', 'b', 'c'], ['RPUSH', 'l', '1', '2'], ['LLEN', 'l'], ['LRANGE', 'l', '0', '-1'], ['LINDEX', 'l', '0'], ['LINDEX', 'l', '-1'],
    ['LINDEX', 'l', '5'], ['LINDEX', 'l', '-6'], ['LINDEX', 'l', 'x'], ['LINDEX', 'nokey', 'x'], ['LINDEX', 'nokey', '0'],
    ['LPUSHX', 'nokey', 'a'], ['RPUSHX', 'nokey', 'a'], ['EXISTS', 'nokey'], ['LPUSHX', 'l', 'x', 'y'], ['RPUSHX', 'l', 'z'], ['LRANGE', 'l', '0', '-1'],
    ['LPOP', 'l'], ['RPOP', 'l'], ['LPOP', 'l', '2'], ['RPOP', 'l', '1'], ['LPOP', 'l', '0'], ['RPOP', 'l', '100'], ['EXISTS', 'l'],
    ['LPOP', 'l'], ['LPOP', 'l', '0'], ['RPOP', 'l', '3'], ['LPOP', 'l', '-1'], ['LPOP', 'l', 'x'], ['LPOP', 'l', '1', '2'], ['LPOP'],
    ['LPUSH', 'l'], ['LLEN', 'nokey'], ['SET', 's', 'v'], ['LPUSH', 's', 'a'], ['RPUSHX', 's', 'a'], ['LLEN', 's'], ['LPOP', 's'], ['LPOP', 's', 'x'],
    ['LPOP', 's', '0'], ['LINDEX', 's', 'x'], ['LRANGE', 's', 'x', '0'], ['LRANGE', 's', '0', '1'], ['TYPE', 'l'], ['RPUSH', 'l', 'x'], ['TYPE', 'l'],
    ['LPOP', 'l', '9223372036854775807'], ['LPOP', 'nokey', '9223372036854775808'],
  ],
  'LRANGE and LTRIM indexes': [
    ['RPUSH', 'l', '0', '1', '2', '3', '4', '5'], ['LRANGE', 'l', '1', '-2'], ['LRANGE', 'l', '-3', '-1'], ['LRANGE', 'l', '4', '4'],
    ['LRANGE', 'l', '6', '2'], ['LRANGE', 'l', '-1000', '1000'], ['LRANGE', 'l', '0', '-7'], ['LRANGE', 'l', '0', '-6'], ['LRANGE', 'l', '-1', '-2'],
    ['LRANGE', 'l', '9223372036854775807', '-9223372036854775808'], ['LRANGE', 'l', '-9223372036854775808', '9223372036854775807'],
    ['LRANGE', 'l', '0', '9223372036854775808'], ['LRANGE', 'nokey', '0', '-1'], ['LRANGE', 'nokey', 'a', 'b'],
    ['LTRIM', 'l', '1', '-2'], ['LRANGE', 'l', '0', '-1'], ['LTRIM', 'l', '-2', '100'], ['LRANGE', 'l', '0', '-1'], ['LTRIM', 'l', '5', '2'],
    ['EXISTS', 'l'], ['LTRIM', 'nokey', '0', '1'], ['LTRIM', 'nokey', 'x', '1'], ['RPUSH', 'l', 'a', 'b'], ['LTRIM', 'l', '0', '-3'], ['EXISTS', 'l'],
  ],
  'LSET LREM LINSERT': [
    ['LSET', 'nokey', '0', 'x'], ['LSET', 'nokey', 'x', 'x'], ['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a'], ['LSET', 'l', '1', 'B'], ['LSET', 'l', '-1', 'Z'],
    ['LSET', 'l', '5', 'x'], ['LSET', 'l', '-6', 'x'], ['LSET', 'l', 'x', 'x'], ['LRANGE', 'l', '0', '-1'],
    ['LREM', 'l', '0', 'a'], ['LRANGE', 'l', '0', '-1'], ['RPUSH', 'l', 'a', 'x', 'a', 'x', 'a'], ['LREM', 'l', '-2', 'a'], ['LRANGE', 'l', '0', '-1'],
    ['LREM', 'l', '1', 'x'], ['LREM', 'l', '1', 'nothing'], ['LREM', 'l', 'x', 'a'], ['LREM', 'nokey', '1', 'a'], ['LREM', 'nokey', 'x', 'a'],
    ['LRANGE', 'l', '0', '-1'], ['LINSERT', 'l', 'BEFORE', 'c', 'zz'], ['LINSERT', 'l', 'after', 'c', 'yy'], ['LINSERT', 'l', 'AFTER', 'a', 'end'],
    ['LINSERT', 'l', 'before', 'B', 'start'], ['LINSERT', 'l', 'before', 'bad', 'x'], ['LINSERT', 'l', 'middle', 'c', 'x'], ['LINSERT', 'nokey', 'before', 'a', 'x'],
    ['LINSERT', 'nokey', 'bad', 'a', 'x'], ['LRANGE', 'l', '0', '-1'], ['SET', 's', 'v'], ['LSET', 's', '0', 'x'], ['LSET', 's', 'x', 'x'], ['LREM', 's', '0', 'x'],
    ['LINSERT', 's', 'before', 'a', 'b'], ['LINSERT', 's', 'x', 'a', 'b'], ['LTRIM', 's', '0', '1'], ['LREM', 'l', '0', 'B'], ['LRANGE', 'l', '0', '-1'],
  ],
  'LPOS': [
    ['RPUSH', 'l', 'a', 'b', 'c', '1', '2', '3', 'c', 'c'], ['LPOS', 'l', 'a'], ['LPOS', 'l', 'c'], ['LPOS', 'l', 'c', 'RANK', '2'], ['LPOS', 'l', 'c', 'RANK', '4'],
    ['LPOS', 'l', 'c', 'RANK', '-1'], ['LPOS', 'l', 'c', 'RANK', '-2'], ['LPOS', 'l', 'c', 'RANK', '0'], ['LPOS', 'l', 'c', 'COUNT', '0'], ['LPOS', 'l', 'c', 'COUNT', '2'],
    ['LPOS', 'l', 'c', 'COUNT', '0', 'RANK', '2'], ['LPOS', 'l', 'c', 'COUNT', '2', 'RANK', '-1'], ['LPOS', 'nokey', 'c', 'COUNT', '0'], ['LPOS', 'nokey', 'c'],
    ['LPOS', 'l', 'x', 'COUNT', '2'], ['LPOS', 'l', 'x'], ['LPOS', 'l', 'a', 'COUNT', '0', 'MAXLEN', '1'], ['LPOS', 'l', 'c', 'COUNT', '0', 'MAXLEN', '3', 'RANK', '-1'],
    ['LPOS', 'l', 'c', 'COUNT', '0', 'MAXLEN', '7', 'RANK', '2'], ['LPOS', 'l', 'c', 'COUNT', '-1'], ['LPOS', 'l', 'c', 'MAXLEN', '-1'], ['LPOS', 'l', 'c', 'COUNT', 'x'],
    ['LPOS', 'l', 'c', 'RANK', 'x'], ['LPOS', 'l', 'c', 'RANK', '-9223372036854775808'], ['LPOS', 'l', 'c', 'RANK', '9223372036854775807'],
    ['LPOS', 'l', 'c', 'RANK', '-9223372036854775807'], ['LPOS', 'l', 'c', 'BOGUS', '1'], ['LPOS', 'l', 'c', 'RANK'], ['LPOS', 'l', 'c', 'rank', '1', 'rank', '3'],
    ['LPOS', 'nokey', 'c', 'RANK', '0'], ['SET', 's', 'v'], ['LPOS', 's', 'c'], ['LPOS', 's', 'c', 'RANK', '0'], ['LPOS', 'l'],
  ],
  'LMOVE RPOPLPUSH LMPOP': [
    ['RPUSH', 'src', 'a', 'b', 'c', 'd'], ['LMOVE', 'src', 'dst', 'LEFT', 'RIGHT'], ['LMOVE', 'src', 'dst', 'right', 'left'], ['LRANGE', 'dst', '0', '-1'],
    ['LMOVE', 'src', 'src', 'LEFT', 'RIGHT'], ['LRANGE', 'src', '0', '-1'], ['RPOPLPUSH', 'src', 'src'], ['LRANGE', 'src', '0', '-1'], ['RPOPLPUSH', 'src', 'dst'],
    ['RPOPLPUSH', 'src', 'dst'], ['EXISTS', 'src'], ['RPOPLPUSH', 'src', 'dst'], ['LMOVE', 'src', 'dst', 'UP', 'LEFT'], ['LMOVE', 'nokey', 'dst', 'LEFT', 'bad'],
    ['SET', 's', 'v'], ['LMOVE', 's', 'dst', 'LEFT', 'LEFT'], ['LMOVE', 'dst', 's', 'LEFT', 'LEFT'], ['RPOPLPUSH', 'dst', 's'], ['LRANGE', 'dst', '0', '-1'],
    ['RPOPLPUSH', 'nokey', 's'], ['RPUSH', 'one', 'x'], ['LMOVE', 'one', 'one', 'LEFT', 'LEFT'], ['LRANGE', 'one', '0', '-1'],
    ['LMPOP', '2', 'nokey', 'dst', 'LEFT'], ['LMPOP', '2', 'nokey', 'dst', 'RIGHT', 'COUNT', '10'], ['LMPOP', '1', 'dst', 'LEFT'], ['RPUSH', 'a', '1', '2', '3'],
    ['LMPOP', '2', 'a', 'a', 'left', 'count', '2'], ['LMPOP', '3', 's', 'a', 'b', 'LEFT'], ['LMPOP', '2', 'b', 's', 'LEFT'], ['LMPOP', '0', 'a', 'LEFT'],
    ['LMPOP', 'x', 'a', 'LEFT'], ['LMPOP', '-1', 'a', 'LEFT'], ['LMPOP', '1', 'a', 'middle'], ['LMPOP', '1', 'a', 'LEFT', 'extra'], ['LMPOP', '1', 'a', 'RIGHT', 'LEFT'],
    ['LMPOP', '1', 'a', 'COUNT'], ['LMPOP', '1', 'a', 'LEFT', 'COUNT', '1', 'COUNT', '2'], ['LMPOP', '2', 'a', 'b', 'bad'], ['LMPOP', '1', 'a', 'LEFT', 'COUNT', '0'],
    ['LMPOP', '1', 'a', 'RIGHT', 'COUNT', 'a'], ['LMPOP', '1', 'a', 'LEFT', 'COUNT', '-1'], ['LMPOP', '5', 'a', 'LEFT'], ['LMPOP', '1'], ['LMPOP', '1', 'a'],
    ['LMPOP', '9223372036854775807', 'a', 'LEFT'], ['LMPOP', '1', 'a', 'LEFT', 'COUNT', '9223372036854775807'],
  ],
  'blocking commands with elements': [
    ['RPUSH', 'l', 'a', 'b', 'c', 'd'], ['BLPOP', 'nokey', 'l', '0'], ['BRPOP', 'l', 'nokey', '0.5'], ['BLMPOP', '0', '2', 'nokey', 'l', 'RIGHT', 'COUNT', '5'],
    ['RPUSH', 'l', 'a', 'b'], ['BLMOVE', 'l', 'd', 'LEFT', 'RIGHT', '0'], ['BRPOPLPUSH', 'l', 'd', '1'], ['LRANGE', 'd', '0', '-1'], ['SET', 's', 'v'],
    ['BLPOP', 's', 'd', '0'], ['BLPOP', 'd', 's', '0'], ['BLMPOP', '0', '2', 's', 'd', 'LEFT'], ['BLMOVE', 's', 'd', 'LEFT', 'LEFT', '0'], ['BLMOVE', 'd', 's', 'LEFT', 'LEFT', '0'],
    ['RPUSH', 'd', '1', '2', '3', '4', '5', '6', '7', '8'], ['BLPOP', 'd', '-1'], ['BLPOP', 'd', 'abc'], ['BLPOP', 'd', '1e100'], ['BLPOP', 'd', 'inf'], ['BLPOP', 'd', '-inf'], ['BLPOP', 'd', 'nan'], ['BLPOP', 'd', ''],
    ['BLPOP', 'd', ' 1'], ['BLPOP', 'd', '9223372036854775807'], ['BLPOP', 'd', '9223372036854775'], ['BLPOP', 'd', '-0'], ['BLPOP', 'd', '-0.0001'],
    ['BLMOVE', 'd', 'x', 'LEFT', 'bad', '-1'], ['BLMOVE', 'd', 'x', 'LEFT', 'LEFT', '-1'], ['BRPOPLPUSH', 'd', 'x', 'x'], ['BLMPOP', '-1', '0', 'd', 'LEFT'],
    ['BLMPOP', '0', '0', 'd', 'LEFT'], ['BLMPOP', '0', '1', 'd', 'bad'], ['BLMPOP', 'x', '1', 'd', 'LEFT', 'COUNT', '0'], ['BLMPOP', '0', '1', 'd', 'LEFT', 'COUNT', '0'],
    ['BLPOP', 'd'], ['BLMOVE', 'd', 'x', 'LEFT', 'LEFT'], ['BLMPOP', '0', '1', 'd'],
  ],
};

/** Steps Redis must run inside MULTI so that a blocking command finds nothing without blocking. */
const emptyBlocking: readonly (readonly string[])[] = [
  ['BLPOP', 'nokey', '0'], ['BRPOP', 'nokey', 'other', '1'], ['BLMPOP', '0', '1', 'nokey', 'LEFT'], ['BLMOVE', 'nokey', 'd', 'LEFT', 'LEFT', '0'],
  ['BRPOPLPUSH', 'nokey', 'd', '0'], ['SET', 's', 'v'], ['BLMOVE', 'nokey', 's', 'LEFT', 'LEFT', '0'], ['BLPOP', 'nokey', 's', '0'],
];

describe('list commands match redis-server', { skip: path === null ? 'redis-server is not installed' : false }, () => {
  let redis: RedisInstance;
  before(async () => {
    redis = await startRedis(path as string);
  });
  after(async () => {
    await redis?.stop();
  });

  for (const [name, sequence] of Object.entries(sequences)) {
    test(name, async () => compareSteps(redis, sequence.map((args) => ({ args }))));
  }

  test('blocking commands against empty lists answer as inside MULTI', async () => {
    await redis.client.flushall();
    const harness = new Harness();
    const multi = redis.client.multi();
    for (const args of emptyBlocking) multi.call(args[0] as string, ...args.slice(1));
    const theirs = (await multi.exec()) ?? [];
    emptyBlocking.forEach((args, i) => {
      const [error, value] = theirs[i] as [Error | null, unknown];
      const expected = error === null ? (value ?? null) : { err: error.message };
      assert.deepEqual(plain(harness.apply(...args)), expected, args.join(' '));
    });
  });

  test('random list command sequences give the same replies (property)', async () => {
    const key = fc.constantFrom('a', 'b', 's');
    const element = fc.constantFrom('x', 'y', 'z', '1', '', '\xff');
    const index = fc.constantFrom('0', '1', '-1', '2', '-3', '10', 'x');
    const end = fc.constantFrom('LEFT', 'RIGHT');
    const command = fc.oneof(
      fc.tuple(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'), key, fc.array(element, { minLength: 1, maxLength: 4 })).map(([c, k, e]) => [c, k, ...e]),
      fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key, fc.option(fc.constantFrom('0', '1', '3', '-1'), { nil: undefined }))
        .map(([c, k, n]) => (n === undefined ? [c, k] : [c, k, n])),
      fc.tuple(fc.constantFrom('LINDEX', 'LLEN'), key, index).map(([c, k, i]) => (c === 'LLEN' ? [c, k] : [c, k, i])),
      fc.tuple(fc.constantFrom('LRANGE', 'LTRIM'), key, index, index).map((t) => [...t]),
      fc.tuple(fc.constant('LSET'), key, index, element).map((t) => [...t]),
      fc.tuple(fc.constant('LREM'), key, fc.constantFrom('0', '1', '-1', '2', '-2'), element).map((t) => [...t]),
      fc.tuple(fc.constant('LINSERT'), key, fc.constantFrom('BEFORE', 'AFTER'), element, element).map((t) => [...t]),
      fc.tuple(fc.constant('LPOS'), key, element, fc.constantFrom([], ['RANK', '-1'], ['COUNT', '0'], ['RANK', '2', 'COUNT', '2'], ['MAXLEN', '2']))
        .map(([c, k, e, o]) => [c, k, e, ...o]),
      fc.tuple(fc.constant('LMOVE'), key, key, end, end).map((t) => [...t]),
      fc.tuple(fc.constant('LMPOP'), fc.constantFrom(['1', 'a'], ['2', 'a', 'b'], ['2', 'b', 's']), end, fc.constantFrom([], ['COUNT', '2']))
        .map(([c, keys, e, o]) => [c, ...keys, e, ...o]),
      fc.tuple(fc.constantFrom('SET', 'DEL'), fc.constant('s')).map(([c, k]) => (c === 'SET' ? [c, k, 'v'] : [c, k])),
    );
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
      await redis.client.flushall();
      const harness = new Harness();
      for (const args of commands) assert.deepEqual(plain(harness.apply(...args)), await redisReply(redis, args), args.join(' '));
      for (const name of ['a', 'b']) assert.deepEqual(plain(harness.read('LRANGE', name, '0', '-1')), await redisReply(redis, ['LRANGE', name, '0', '-1']));
    }), { numRuns: 150 });
  });
});
