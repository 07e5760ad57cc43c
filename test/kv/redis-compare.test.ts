// Runs the same command sequences against a real redis-server and KvStateMachine and asserts
// equal replies. Commands whose replies depend on wall-clock time use expiries far enough
// away that Redis's second-rounded TTL equals ours. KEYS/SCAN results are compared as sets
// (Redis returns its hash table's order). Skipped only when redis-server is not on PATH.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, plain, type Plain } from './harness.js';
import { compareSteps, redisReply, type Step } from './redis-compare-support.js';
import { redisServerPath, startRedis, type RedisInstance } from './redis-server.js';
import fc from 'fast-check';

const path = redisServerPath();
if (path === null) console.log('# SKIP redis-compare: redis-server is not on PATH (apt-get install -y redis-server)');

const sequences: Record<string, readonly (readonly string[])[]> = {
  'SET options': [
    ['SET', 'k', 'v', 'NX'], ['SET', 'k', 'v2', 'NX'], ['GET', 'k'], ['SET', 'k', 'v3', 'XX'], ['GET', 'k'],
    ['SET', 'k2', 'v', 'XX'], ['GET', 'k2'], ['SET', 'k', 'v', 'NX', 'XX'], ['SET', 'k', 'v', 'XX', 'NX'],
    ['SET', 'k', 'v', 'KEEPTTL', 'EX', '10'], ['SET', 'k', 'v', 'EX', '10', 'KEEPTTL'], ['SET', 'k', 'v', 'EX', '1000', 'EX', '2000'], ['TTL', 'k'],
    ['SET', 'k', 'v', 'EX'], ['SET', 'k', 'v', 'EX', 'abc'], ['SET', 'k', 'v', 'EX', '-1'], ['SET', 'k', 'v', 'PX', '0'],
    ['SET', 'k', 'v', 'EX', '9223372036854775807'], ['SET', 'k', 'v', 'PX', '9223372036854775807'], ['SET', 'k', 'v', 'EX', '9223372036854776'],
    ['SET', 'k', 'v', 'EX', '1.5'], ['SET', 'k', 'v', 'EX', '10', 'PX', '10'], ['SET', 'k', 'v', 'EXAT', '10', 'PXAT', '10'],
    ['SET', 'k', 'new', 'GET'], ['SET', 'missing', 'x', 'GET'], ['SET', 'k', 'n', 'NX', 'GET'], ['SET', 'k', 'n', 'XX', 'GET'],
    ['SET', 'k', 'v', 'BOGUS'], ['SET', 'k'], ['set', 'K', 'v'], ['GET', 'K'], ['SET', 'k', 'v', 'ex', '1000', 'get'], ['TTL', 'k'],
    ['SET', 'k', 'v', 'KEEPTTL'], ['TTL', 'k'], ['SET', 'k', 'v'], ['TTL', 'k'], ['SET', 'k', 'v', 'EXAT', '1'], ['GET', 'k'], ['EXISTS', 'k'],
    ['SET', 'k', 'v', 'PXAT', '1', 'GET'], ['SET', 'k', 'v', 'GET', 'GET'], ['SET', 'k', 'v', 'NX', 'NX'],
    ['SETNX', 'n', '1'], ['SETNX', 'n', '2'], ['GET', 'n'], ['SETNX', 'n'],
    ['SETEX', 's', '1000', 'v'], ['TTL', 's'], ['SETEX', 's', '0', 'v'], ['SETEX', 's', '-5', 'v'], ['SETEX', 's', 'x', 'v'], ['SETEX', 's', '10'],
    ['PSETEX', 'p', '1000000', 'v'], ['TTL', 'p'], ['PSETEX', 'p', '0', 'v'], ['PSETEX', 'p', '9223372036854775807', 'v'],
    ['GETSET', 'g', '1'], ['GETSET', 'g', '2'], ['GETSET', 'g'], ['GETDEL', 'g'], ['GETDEL', 'g'], ['EXISTS', 'g'],
  ],
  'GETEX': [
    ['SET', 'k', 'v'], ['GETEX', 'k'], ['GETEX', 'k', 'EX', '1000'], ['TTL', 'k'], ['GETEX', 'k', 'PERSIST'], ['TTL', 'k'],
    ['GETEX', 'k', 'PX', '2000000'], ['TTL', 'k'], ['GETEX', 'k', 'PERSIST', 'EX', '1'], ['GETEX', 'k', 'EX', '1', 'PERSIST'],
    ['GETEX', 'missing', 'EX', '0'], ['GETEX', 'k', 'EX', '0'], ['GETEX', 'k', 'KEEPTTL'], ['GETEX', 'k', 'NX'], ['GETEX', 'k', 'GET'],
    ['GETEX', 'k', 'EXAT', '1'], ['EXISTS', 'k'], ['GETEX'], ['SET', 'k', 'v'], ['GETEX', 'k', 'EX', '10', 'EX', '1000'], ['TTL', 'k'],
    ['GETEX', 'k', 'EX', 'foo'],
  ],
  'MGET MSET MSETNX': [
    ['MSET', 'a', '1', 'b', '2'], ['MGET', 'a', 'b', 'c'], ['MSET', 'a', '1', 'b'], ['MSET', 'a'], ['MSETNX', 'c', '3', 'a', '9'],
    ['MGET', 'a', 'c'], ['MSETNX', 'c', '3', 'd', '4'], ['MGET', 'c', 'd'], ['MSETNX', 'x', '1', 'y'], ['MGET'],
    ['MSET', 'a', 'x', 'a', 'y'], ['GET', 'a'],
  ],
  'TOUCH SUBSTR': [
    ['SET', 'a', 'hello world'], ['TOUCH', 'a'], ['TOUCH', 'a', 'a', 'nope'], ['TOUCH'], ['SUBSTR', 'a', '0', '4'], ['SUBSTR', 'a', '-5', '-1'],
    ['SUBSTR', 'nope', '0', '1'], ['SUBSTR', 'a', 'x', '1'], ['SUBSTR', 'a', '0'], ['HSET', 'h', 'f', 'v'], ['SUBSTR', 'h', '0', '1'], ['TOUCH', 'h'],
  ],
  'APPEND STRLEN GETRANGE SETRANGE': [
    ['APPEND', 'a', 'hello'], ['APPEND', 'a', ' world'], ['GET', 'a'], ['STRLEN', 'a'], ['STRLEN', 'nope'],
    ['GETRANGE', 'a', '0', '4'], ['GETRANGE', 'a', '-5', '-1'], ['GETRANGE', 'a', '-1', '-5'], ['GETRANGE', 'a', '5', '2'],
    ['GETRANGE', 'a', '0', '-100'], ['GETRANGE', 'a', '-100', '100'], ['GETRANGE', 'a', '100', '200'], ['GETRANGE', 'nope', '0', '1'],
    ['GETRANGE', 'a', 'x', '1'], ['GETRANGE', 'a', '0', '9223372036854775807'], ['GETRANGE', 'a', '-9223372036854775808', '3'],
    ['SETRANGE', 'a', '6', 'WORLD'], ['GET', 'a'], ['SETRANGE', 'a', '-1', 'x'], ['SETRANGE', 'a', 'x', 'x'], ['SETRANGE', 'a', '2', ''],
    ['SETRANGE', 'b', '3', 'xy'], ['GET', 'b'], ['SETRANGE', 'c', '5', ''], ['EXISTS', 'c'], ['SETRANGE', 'a', '536870912', 'x'],
    ['SETRANGE', 'a', '536870911', 'xy'], ['SET', 'e', ''], ['GETRANGE', 'e', '0', '-1'], ['STRLEN', 'e'], ['GETRANGE', 'e', '-1', '-1'],
  ],
  'INCR family': [
    ['INCR', 'n'], ['INCR', 'n'], ['DECR', 'n'], ['INCRBY', 'n', '10'], ['DECRBY', 'n', '3'], ['INCRBY', 'n', '-20'], ['GET', 'n'],
    ['INCRBY', 'n', 'x'], ['INCRBY', 'n', '1.5'], ['INCRBY', 'n', ' 1'], ['INCRBY', 'n', '01'], ['INCRBY', 'n', '-0'], ['INCRBY', 'n', '+1'],
    ['SET', 's', 'abc'], ['INCR', 's'], ['SET', 's', ' 1'], ['INCR', 's'], ['SET', 's', '1 '], ['INCR', 's'], ['SET', 's', '007'], ['INCR', 's'],
    ['SET', 'big', '9223372036854775806'], ['INCR', 'big'], ['INCR', 'big'], ['GET', 'big'], ['DECRBY', 'big', '-1'],
    ['SET', 'small', '-9223372036854775807'], ['DECR', 'small'], ['DECR', 'small'], ['GET', 'small'],
    ['DECRBY', 'x', '-9223372036854775808'], ['INCRBY', 'x', '9223372036854775808'], ['INCRBY', 'x', '-9223372036854775808'], ['GET', 'x'],
    ['INCR'], ['INCRBY', 'n'],
  ],
  'INCRBYFLOAT': [
    ['INCRBYFLOAT', 'f', '0.1'], ['INCRBYFLOAT', 'f', '0.2'], ['INCRBYFLOAT', 'f', '-0.3'], ['GET', 'f'],
    ['SET', 'f', '10.5'], ['INCRBYFLOAT', 'f', '0.1'], ['SET', 'f', '5.0e3'], ['INCRBYFLOAT', 'f', '2.0e2'],
    ['INCRBYFLOAT', 'f', '1e20'], ['INCRBYFLOAT', 'f', '-1e20'], ['INCRBYFLOAT', 'f', '3.14159265358979323846'],
    ['INCRBYFLOAT', 'f', 'abc'], ['INCRBYFLOAT', 'f', ' 1'], ['INCRBYFLOAT', 'f', '1 '], ['INCRBYFLOAT', 'f', 'inf'],
    ['INCRBYFLOAT', 'f', '-inf'], ['INCRBYFLOAT', 'f', 'nan'], ['INCRBYFLOAT', 'f', ''], ['INCRBYFLOAT', 'f', '+1.5'], ['INCRBYFLOAT', 'f', '.5'],
    ['INCRBYFLOAT', 'f', '5.'], ['INCRBYFLOAT', 'f', '1e'], ['SET', 'g', 'x'], ['INCRBYFLOAT', 'g', '1'], ['SET', 'g', '1.0'],
    ['INCRBYFLOAT', 'g', '1e-20'], ['INCRBYFLOAT', 'g', '-1'], ['INCRBYFLOAT', 'h', '1.23456789012345678'], ['INCRBYFLOAT', 'i', '-0.0'],
    ['INCRBYFLOAT', 'j', '1e300'], ['STRLEN', 'j'], ['INCRBYFLOAT', 'k', '0.000000000000000001'], ['INCRBYFLOAT', 'l', '123456789.123456789'],
    ['INCRBYFLOAT', 'm', '1e4000'], ['INCRBYFLOAT', 'm', '1e5000'], ['INCRBYFLOAT', 'o', '7'], ['INCRBYFLOAT', 'o', '-7.5'],
  ],
  'DEL EXISTS TYPE RENAME': [
    ['MSET', 'a', '1', 'b', '2', 'c', '3'], ['EXISTS', 'a', 'a', 'z'], ['DEL', 'a', 'a', 'z'], ['UNLINK', 'b', 'c'], ['EXISTS', 'a', 'b', 'c'],
    ['TYPE', 'a'], ['SET', 'a', '1'], ['TYPE', 'a'], ['RENAME', 'a', 'b'], ['GET', 'b'], ['RENAME', 'a', 'b'], ['RENAME', 'b', 'b'],
    ['RENAMENX', 'b', 'b'], ['RENAMENX', 'missing', 'x'], ['SET', 'c', '3'], ['RENAMENX', 'b', 'c'], ['RENAMENX', 'b', 'd'], ['MGET', 'b', 'c', 'd'],
    ['EXPIRE', 'd', '1000'], ['RENAME', 'd', 'e'], ['TTL', 'e'], ['RENAME', 'c', 'e'], ['TTL', 'e'], ['DBSIZE'], ['DEL'],
    ['FLUSHDB', 'BOGUS'], ['FLUSHDB', 'SYNC', 'x'], ['FLUSHDB', 'ASYNC'], ['DBSIZE'], ['SET', 'z', '1'], ['FLUSHALL'], ['DBSIZE'], ['RANDOMKEY'],
  ],
  'EXPIRE family': [
    ['SET', 'k', 'v'], ['EXPIRE', 'k', '1000'], ['TTL', 'k'], ['EXPIRE', 'k', '2000', 'NX'], ['EXPIRE', 'k', '2000', 'XX'], ['TTL', 'k'],
    ['EXPIRE', 'k', '1000', 'GT'], ['EXPIRE', 'k', '3000', 'GT'], ['TTL', 'k'], ['EXPIRE', 'k', '4000', 'LT'], ['EXPIRE', 'k', '1500', 'LT'], ['TTL', 'k'],
    ['EXPIRE', 'k', '10', 'NX', 'XX'], ['EXPIRE', 'k', '10', 'GT', 'LT'], ['EXPIRE', 'k', '10', 'NX', 'GT'], ['EXPIRE', 'k', '10', 'FOO'],
    ['EXPIRE', 'k', 'abc'], ['EXPIRE', 'k', '10', 'xx', 'gt'], ['TTL', 'k'], ['PERSIST', 'k'], ['PERSIST', 'k'], ['TTL', 'k'],
    ['EXPIRE', 'k', '100', 'XX'], ['EXPIRE', 'k', '100', 'GT'], ['EXPIRE', 'k', '100', 'LT'], ['TTL', 'k'],
    ['EXPIRE', 'missing', '100'], ['TTL', 'missing'], ['PTTL', 'missing'], ['PERSIST', 'missing'], ['EXPIRETIME', 'missing'], ['PEXPIRETIME', 'missing'],
    ['SET', 'nt', 'v'], ['TTL', 'nt'], ['PTTL', 'nt'], ['EXPIRETIME', 'nt'], ['PEXPIRETIME', 'nt'],
    ['EXPIRE', 'k', '9223372036854775807'], ['EXPIRE', 'k', '-9223372036854775808'], ['PEXPIRE', 'k', '9223372036854775807'],
    ['EXPIREAT', 'k', '9223372036854775807'], ['PEXPIREAT', 'k', '9223372036854775807'], ['EXPIREAT', 'k', '4102444800'], ['EXPIRETIME', 'k'],
    ['PEXPIREAT', 'k', '4102444800123'], ['PEXPIRETIME', 'k'], ['EXPIRETIME', 'k'],
    ['EXPIRE', 'k', '-1'], ['EXISTS', 'k'], ['SET', 'k', 'v'], ['EXPIREAT', 'k', '100'], ['EXISTS', 'k'], ['SET', 'k', 'v'], ['PEXPIRE', 'k', '0'], ['GET', 'k'],
    ['SET', 'k', 'v'], ['EXPIRE', 'k', '-1', 'GT'], ['EXPIRE', 'k', '-1', 'LT'], ['EXISTS', 'k'], ['EXPIRE', 'k'], ['TTL'],
  ],
};

const globKeys = ['hello', 'hallo', 'hxllo', 'hllo', 'heeeello', 'h[a]llo', 'h\\allo', 'a*b', 'ab', 'a', 'h-llo', 'h]llo', '\xe9t\xe9', 'x?y', 'h^llo'];
const globPatterns = ['h?llo', 'h*llo', 'h[ae]llo', 'h[^e]llo', 'h[a-b]llo', 'h[b-a]llo', '*', 'h\\*', '[', '[a', 'a\\', '\\', 'h[\\]]llo',
  'h[a-]llo', 'a\\*b', '*a*b*', '??', '?', 'h[', 'h[^', '*llo', '**', '[\x80-\xff]*', 'x\\?y', 'h[-]llo', 'h[]]llo', 'h[^a-z]llo', 'h[\\^]llo', ''];

describe('KvStateMachine matches redis-server', { skip: path === null ? 'redis-server is not installed' : false }, () => {
  let redis: RedisInstance;
  before(async () => {
    redis = await startRedis(path as string);
  });
  after(async () => {
    await redis?.stop();
  });

  const compare = (steps: readonly Step[]): Promise<void> => compareSteps(redis, steps);

  for (const [name, sequence] of Object.entries(sequences)) {
    test(name, async () => compare(sequence.map((args) => ({ args }))));
  }

  test('KEYS glob patterns', async () => {
    const steps: Step[] = globKeys.map((key) => ({ args: ['SET', key, '1'] }));
    for (const pattern of globPatterns) steps.push({ args: ['KEYS', pattern], sort: true });
    await compare(steps);
  });

  test('SCAN returns every key once, with MATCH, COUNT and TYPE', async () => {
    await redis.client.flushall();
    const harness = new Harness();
    for (let i = 0; i < 300; i++) {
      await redis.client.set(`key:${i}`, 'v');
      harness.apply('SET', `key:${i}`, 'v');
    }
    async function scanAll(run: (cursor: string) => Promise<Plain>): Promise<string[]> {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const reply = (await run(cursor)) as [string, string[]];
        cursor = reply[0];
        keys.push(...reply[1]);
      } while (cursor !== '0');
      return keys.sort();
    }
    for (const options of [[], ['MATCH', 'key:1*'], ['COUNT', '7'], ['TYPE', 'string'], ['TYPE', 'list'], ['MATCH', '*9', 'COUNT', '1000']]) {
      const ours = await scanAll(async (cursor) => plain(harness.read('SCAN', cursor, ...options)));
      const theirs = await scanAll(async (cursor) => redisReply(redis, ['SCAN', cursor, ...options]));
      assert.deepEqual(ours, theirs, `SCAN ${options.join(' ')}`);
      assert.equal(new Set(ours).size, ours.length, 'no key twice');
    }
    for (const bad of [['SCAN', 'x'], ['SCAN', '0', 'COUNT', '0'], ['SCAN', '0', 'COUNT', 'x'], ['SCAN', '0', 'MATCH'], ['SCAN', '0', 'FOO', 'bar'], ['SCAN', ' 1'], ['SCAN', '18446744073709551616']]) {
      assert.deepEqual(plain(harness.read(...bad)), await redisReply(redis, bad), bad.join(' '));
    }
  });

  test('random command sequences give the same replies (property)', async () => {
    // No TTL reads and no expiry short enough to elapse while the test runs: Redis uses its clock.
    const key = fc.constantFrom('a', 'b', 'c', 'k\x00', '\xff');
    const value = fc.constantFrom('1', 'x', '10.5', '', '-3', '9223372036854775807', '0.1');
    const number = fc.constantFrom('1', '-1', '0', '100', 'abc', '-100', '3');
    const seconds = fc.constantFrom('-1', '0', '5000', 'x', '9223372036854775807');
    const command = fc.oneof(
      fc.tuple(fc.constant('SET'), key, value, fc.array(fc.constantFrom('NX', 'XX', 'GET', 'KEEPTTL'), { maxLength: 2 })).map(([c, k, v, o]) => [c, k, v, ...o]),
      fc.tuple(fc.constant('SET'), key, value, fc.constantFrom('EX', 'PX'), seconds).map((t) => [...t]),
      fc.tuple(fc.constantFrom('GET', 'INCR', 'DECR', 'DEL', 'PERSIST', 'GETDEL', 'STRLEN', 'EXISTS', 'TYPE'), key).map((t) => [...t]),
      fc.tuple(fc.constantFrom('INCRBY', 'DECRBY', 'SETNX', 'APPEND', 'GETSET'), key, number).map((t) => [...t]),
      fc.tuple(fc.constantFrom('EXPIRE', 'EXPIREAT'), key, seconds, fc.array(fc.constantFrom('NX', 'XX', 'GT', 'LT'), { maxLength: 2 })).map(([c, k, v, o]) => [c, k, v, ...o]),
      fc.tuple(fc.constant('INCRBYFLOAT'), key, fc.constantFrom('0.1', '-2.5', '1e3', 'x', '0.3', '1.1')).map((t) => [...t]),
      fc.tuple(fc.constant('GETEX'), key, fc.constantFrom('EX', 'PX', 'PERSIST'), seconds).map(([c, k, o, v]) => (o === 'PERSIST' ? [c, k, o] : [c, k, o, v])),
      fc.tuple(fc.constantFrom('SETRANGE', 'GETRANGE'), key, number, value).map(([c, k, n, v]) => (c === 'SETRANGE' ? [c, k, n, v] : [c, k, n, v === '' ? '-1' : n])),
      fc.tuple(fc.constantFrom('RENAME', 'RENAMENX'), key, key).map((t) => [...t]),
      fc.tuple(fc.constantFrom('MSET', 'MSETNX'), key, value, key, value).map((t) => [...t]),
      fc.tuple(fc.constant('MGET'), key, key).map((t) => [...t]),
      fc.constant(['DBSIZE']),
    );
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
      await redis.client.flushall();
      const harness = new Harness();
      for (const args of commands) {
        const expected = await redisReply(redis, args);
        const actual = plain(harness.apply(...args));
        if (typeof actual === 'number' && typeof expected === 'number' && Math.abs(expected) > Number.MAX_SAFE_INTEGER) continue;
        assert.deepEqual(actual, expected, args.join(' '));
      }
    }), { numRuns: 60 });
  });

  test('INCRBYFLOAT on random decimals prints what redis-server prints (property)', async () => {
    const digits = fc.stringMatching(/^[0-9]{1,12}$/);
    const decimal = fc.tuple(fc.constantFrom('', '-', '+'), digits, fc.option(digits), fc.option(fc.integer({ min: -30, max: 30 })))
      .map(([sign, whole, fraction, exponent]) => `${sign}${whole}${fraction === null ? '' : `.${fraction}`}${exponent === null ? '' : `e${exponent}`}`);
    await fc.assert(fc.asyncProperty(fc.array(decimal, { minLength: 1, maxLength: 6 }), async (increments) => {
      await redis.client.flushall();
      const harness = new Harness();
      for (const increment of increments) {
        const args = ['INCRBYFLOAT', 'f', increment];
        assert.deepEqual(plain(harness.apply(...args)), await redisReply(redis, args), args.join(' '));
      }
    }), { numRuns: 200 });
  });
});
