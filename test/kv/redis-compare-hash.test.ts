// Hash commands against a real redis-server: the same sequences give the same replies, errors
// included, and random sequences agree (property). Iteration order is each side's own, so
// listings are compared in a canonical order (redis-compare-collections.ts); HRANDFIELD is
// random on both sides and is tested in hash-commands.test.ts. Skipped when redis-server is missing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, plain } from './harness.js';
import { redisServerPath, startRedis, type RedisInstance } from './redis-server.js';
import { redisReply } from './redis-compare-support.js';
import { canonicalReply, compareCollectionCommands, scanAll } from './redis-compare-collections.js';

const path = redisServerPath();

const sequences: Record<string, readonly (readonly string[])[]> = {
  'HSET HMSET HSETNX HGET HMGET HDEL HLEN HGETALL HKEYS HVALS': [
    ['HSET', 'h', 'a', '1', 'b', '2'], ['HSET', 'h', 'a', '3', 'c', '4'], ['HMSET', 'h', 'd', '5', 'a', '6'], ['HGETALL', 'h'], ['HKEYS', 'h'], ['HVALS', 'h'],
    ['HGET', 'h', 'a'], ['HGET', 'h', 'zz'], ['HGET', 'nokey', 'a'], ['HMGET', 'h', 'a', 'zz', 'b'], ['HMGET', 'nokey', 'a'], ['HLEN', 'h'], ['HLEN', 'nokey'],
    ['HSETNX', 'h', 'a', 'x'], ['HSETNX', 'h', 'new', 'x'], ['HSETNX', 'fresh', 'f', 'v'], ['HGETALL', 'fresh'], ['HDEL', 'h', 'a', 'a', 'zz'], ['HDEL', 'nokey', 'a'],
    ['HDEL', 'h', 'b', 'c', 'd', 'new'], ['EXISTS', 'h'], ['HGETALL', 'h'], ['HKEYS', 'nokey'], ['HVALS', 'nokey'],
    ['HSET', 'h', 'a'], ['HSET', 'h', 'a', '1', 'b'], ['HMSET', 'h', 'a', '1', 'b'], ['HSETNX', 'h', 'a'], ['HGET', 'h'], ['HMGET', 'h'], ['HDEL', 'h'],
    ['HLEN'], ['HGETALL', 'h', 'x'], ['HKEYS'], ['HVALS', 'a', 'b'], ['HSET', 'e', '', ''], ['HGET', 'e', ''], ['HGETALL', 'e'], ['TYPE', 'e'],
    ['HSET', 'bin', '\x00\xff', '\r\n', '\xe9', '\x00'], ['HGETALL', 'bin'], ['HGET', 'bin', '\x00\xff'],
  ],
  'HEXISTS HSTRLEN': [
    ['HSET', 'h', 'a', 'hello', 'n', '-9223372036854775808', 'e', ''], ['HEXISTS', 'h', 'a'], ['HEXISTS', 'h', 'zz'], ['HEXISTS', 'nokey', 'a'],
    ['HSTRLEN', 'h', 'a'], ['HSTRLEN', 'h', 'n'], ['HSTRLEN', 'h', 'e'], ['HSTRLEN', 'h', 'zz'], ['HSTRLEN', 'nokey', 'a'], ['HEXISTS', 'h'], ['HSTRLEN', 'h', 'a', 'b'],
  ],
  'HINCRBY HINCRBYFLOAT': [
    ['HINCRBY', 'h', 'n', '5'], ['HINCRBY', 'h', 'n', '-7'], ['HINCRBY', 'h', 'n', 'x'], ['HINCRBY', 'h', 'n', '1.5'], ['HINCRBY', 'h', 'n', ' 1'],
    ['HSET', 'h', 's', 'abc', 'sp', ' 11', 'sp2', '11 ', 'big', '9223372036854775806', 'small', '-9223372036854775807'], ['HINCRBY', 'h', 's', '1'],
    ['HINCRBY', 'h', 'sp', '1'], ['HINCRBY', 'h', 'sp2', '1'], ['HINCRBY', 'h', 'big', '1'], ['HINCRBY', 'h', 'big', '1'], ['HINCRBY', 'h', 'small', '-1'],
    ['HINCRBY', 'h', 'small', '-1'], ['HINCRBY', 'h', 'x', '9223372036854775808'], ['HINCRBY', 'h', 'x', '-9223372036854775808'], ['HGET', 'h', 'x'],
    ['HINCRBYFLOAT', 'f', 'a', '1.23'], ['HINCRBYFLOAT', 'f', 'a', '0.77'], ['HINCRBYFLOAT', 'f', 'a', '-0.1'], ['HINCRBYFLOAT', 'f', 'a', '1e20'],
    ['HINCRBYFLOAT', 'f', 'a', 'x'], ['HINCRBYFLOAT', 'f', 'a', 'inf'], ['HINCRBYFLOAT', 'f', 'a', '-inf'], ['HINCRBYFLOAT', 'f', 'a', 'nan'],
    ['HINCRBYFLOAT', 'g', 'a', 'inf'], ['EXISTS', 'g'], ['HSET', 'f', 'i', 'inf', 'nul', '1\x002', 'w', 'word'], ['HINCRBYFLOAT', 'f', 'i', '1'],
    ['HINCRBYFLOAT', 'f', 'nul', '1'], ['HINCRBYFLOAT', 'f', 'w', '1'], ['HINCRBYFLOAT', 'f', 'sp', '1'], ['HINCRBYFLOAT', 'f', 'big', '1e4932'],
    ['HINCRBYFLOAT', 'f', 'big', '1e4932'], ['HINCRBYFLOAT', 'f', 'n', '5.0e3'], ['HINCRBYFLOAT', 'f', 'n', '.5'], ['HINCRBYFLOAT', 'f', 'n', '5.'],
    ['HINCRBY', 'f', 'a', '1'], ['HINCRBYFLOAT', 'h', 'n', '0.5'], ['HINCRBY', 'h', 'n', '1'], ['HGETALL', 'f'], ['HINCRBY', 'h', 'n'], ['HINCRBYFLOAT', 'h'],
  ],
  'WRONGTYPE and argument errors': [
    ['SET', 'str', 'v'], ['HSET', 'str', 'a', '1'], ['HMSET', 'str', 'a', '1'], ['HSETNX', 'str', 'a', '1'], ['HGET', 'str', 'a'], ['HMGET', 'str', 'a'],
    ['HDEL', 'str', 'a'], ['HLEN', 'str'], ['HGETALL', 'str'], ['HKEYS', 'str'], ['HVALS', 'str'], ['HEXISTS', 'str', 'a'], ['HSTRLEN', 'str', 'a'],
    ['HINCRBY', 'str', 'a', '1'], ['HINCRBY', 'str', 'a', 'x'], ['HINCRBYFLOAT', 'str', 'a', '1'], ['HINCRBYFLOAT', 'str', 'a', 'x'],
    ['HINCRBYFLOAT', 'str', 'a', 'inf'], ['HRANDFIELD', 'str'], ['HRANDFIELD', 'str', '1'], ['HRANDFIELD', 'str', 'x'], ['HRANDFIELD', 'str', '1', 'x'],
    ['HSCAN', 'str', '0'], ['HSCAN', 'str', 'x'], ['HSCAN', 'str', '0', 'COUNT', '0'], ['HSET', 'h', 'a', '1'], ['GET', 'h'], ['INCR', 'h'], ['TYPE', 'h'],
  ],
  'HRANDFIELD edges': [
    ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3'], ['HRANDFIELD', 'h', '0'], ['HRANDFIELD', 'h', '0', 'WITHVALUES'], ['HRANDFIELD', 'nokey'],
    ['HRANDFIELD', 'nokey', '5'], ['HRANDFIELD', 'nokey', '-5', 'WITHVALUES'], ['HRANDFIELD', 'h', 'x'], ['HRANDFIELD', 'h', '1', 'foo'],
    ['HRANDFIELD', 'h', '1', 'withvalues', 'x'], ['HRANDFIELD', 'h', 'x', 'foo'], ['HRANDFIELD', 'h', '-9223372036854775808'],
    ['HRANDFIELD', 'h', '-9223372036854770000', 'withvalues'], ['HRANDFIELD', 'h', '-9223372036854775808', 'withvalues'],
    ['HRANDFIELD', 'h', '4611686018427387904', 'WITHVALUES'], ['HRANDFIELD', 'h', '-4611686018427387904', 'WITHVALUES'],
    ['HRANDFIELD'],
  ],
  'HSCAN arguments': [
    ['HSET', 'h', 'a', '1'], ['HSCAN', 'h', 'x'], ['HSCAN', 'h', '0', 'COUNT', '0'], ['HSCAN', 'h', '0', 'COUNT', 'x'], ['HSCAN', 'h', '0', 'MATCH'],
    ['HSCAN', 'h', '0', 'FOO', 'bar'], ['HSCAN', 'h', '18446744073709551616'], ['HSCAN', 'h', ' 1'], ['HSCAN', 'h', '0', 'NOVALUES'],
    ['HSCAN', 'h', '0', 'TYPE', 'hash'], ['HSCAN', 'nokey', '0'], ['HSCAN', 'nokey', '0', 'COUNT', '0'], ['HSCAN', 'nokey', 'x'], ['HSCAN', 'h'],
    ['HSCAN', 'h', '0'], ['HSCAN', 'h', '0', 'MATCH', 'a', 'COUNT', '5'], ['HSCAN', 'h', '0', 'MATCH', 'z*'],
  ],
};

describe('hash commands match redis-server', { skip: path === null ? 'redis-server is not installed' : false }, () => {
  let redis: RedisInstance;
  before(async () => {
    redis = await startRedis(path as string);
  });
  after(async () => {
    await redis?.stop();
  });

  for (const [name, sequence] of Object.entries(sequences)) {
    test(name, async () => compareCollectionCommands(redis, sequence));
  }

  test('HRANDFIELD counts: the same sizes, fields of the hash, values with their fields', async () => {
    const fields = Array.from({ length: 10 }, (_, i) => [`f${i}`, `v${i}`]).flat();
    await compareCollectionCommands(redis, [['HSET', 'h', ...fields]]);
    const harness = new Harness();
    harness.apply('HSET', 'h', ...fields);
    for (const args of [['5'], ['10'], ['20'], ['-20'], ['5', 'WITHVALUES'], ['-30', 'WITHVALUES'], ['20', 'WITHVALUES']]) {
      const ours = plain(harness.read('HRANDFIELD', 'h', ...args)) as string[];
      const theirs = (await redisReply(redis, ['HRANDFIELD', 'h', ...args])) as string[];
      assert.equal(ours.length, theirs.length, args.join(' '));
      if (Number(args[0]) >= 10) assert.deepEqual(canonicalReply(['HGETALL'], ours), canonicalReply(['HGETALL'], theirs));
      const step = args.length === 2 ? 2 : 1;
      for (let i = 0; i < ours.length; i += step) {
        assert.ok(fields.includes(ours[i] as string));
        if (step === 2) assert.equal(ours[i + 1], `v${String(ours[i]).slice(1)}`);
      }
    }
  });

  test('HSCAN returns every field once, with MATCH and COUNT', async () => {
    const fields = Array.from({ length: 300 }, (_, i) => [`field:${i}`, String(i)]).flat();
    await compareCollectionCommands(redis, [['HSET', 'h', ...fields]]);
    const harness = new Harness();
    harness.apply('HSET', 'h', ...fields);
    for (const options of [[], ['MATCH', 'field:1*'], ['COUNT', '7'], ['MATCH', '*9', 'COUNT', '1000'], ['MATCH', 'nothing']]) {
      const ours = canonicalReply(['HGETALL'], await scanAll(async (cursor) => plain(harness.read('HSCAN', 'h', cursor, ...options))));
      const theirs = canonicalReply(['HGETALL'], await scanAll(async (cursor) => redisReply(redis, ['HSCAN', 'h', cursor, ...options])));
      assert.deepEqual(ours, theirs, `HSCAN ${options.join(' ')}`);
    }
  });

  test('random command sequences give the same replies (property)', async () => {
    const key = fc.constantFrom('h', 'g', 'str');
    const field = fc.constantFrom('a', 'b', 'c', '', '\xff');
    const value = fc.constantFrom('1', 'x', '10.5', '', '-3', '9223372036854775807', '0.1');
    const command = fc.oneof(
      fc.tuple(fc.constantFrom('HSET', 'HMSET'), key, field, value, fc.option(fc.tuple(field, value))).map(([c, k, f, v, more]) => [c, k, f, v, ...(more ?? [])]),
      fc.tuple(fc.constantFrom('HSETNX', 'HINCRBY', 'HINCRBYFLOAT'), key, field, value).map((t) => [...t]),
      fc.tuple(fc.constantFrom('HGET', 'HEXISTS', 'HSTRLEN', 'HDEL'), key, field).map((t) => [...t]),
      fc.tuple(fc.constantFrom('HMGET', 'HDEL'), key, field, field).map((t) => [...t]),
      fc.tuple(fc.constantFrom('HLEN', 'HGETALL', 'HKEYS', 'HVALS', 'DEL', 'TYPE', 'EXISTS'), key).map((t) => [...t]),
      fc.tuple(fc.constant('HRANDFIELD'), key, fc.constantFrom('0', 'x', '-9223372036854775808')).map((t) => [...t]),
      fc.tuple(fc.constant('SET'), key, value).map((t) => [...t]),
    );
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
      await compareCollectionCommands(redis, commands);
    }), { numRuns: 60 });
  });
});
