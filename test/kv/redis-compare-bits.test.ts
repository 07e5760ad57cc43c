// Bitmaps, BITFIELD and LCS against a real redis-server: fixed sequences (replies, error texts,
// the order Redis checks arguments and keys in) and random sequences (properties) give the
// same replies and leave the same bytes. Skipped when redis-server is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, plain, type Plain } from './harness.js';
import { describeWithRedis, redisReply } from './redis-compare-support.js';
import type { RedisInstance } from './redis-server.js';

const sequences: Record<string, readonly (readonly string[])[]> = {
  'SETBIT GETBIT': [
    ['SETBIT', 'b', '7', '1'], ['GET', 'b'], ['SETBIT', 'b', '7', '1'], ['SETBIT', 'b', '7', '0'], ['SETBIT', 'b', '100', '1'], ['GET', 'b'],
    ['GETBIT', 'b', '100'], ['GETBIT', 'b', '101'], ['GETBIT', 'b', '100000'], ['GETBIT', 'nokey', '0'], ['STRLEN', 'b'],
    ['SETBIT', 'b', '-1', '1'], ['SETBIT', 'b', 'x', '1'], ['SETBIT', 'b', '4294967296', '1'], ['SETBIT', 'b', '0', '2'], ['SETBIT', 'b', '0', '-1'],
    ['SETBIT', 'b', '0', 'x'], ['SETBIT', 'b', 'x', 'y'], ['SETBIT', 'b', '0', ' 1'], ['GETBIT', 'b', '-1'], ['GETBIT', 'b', '4294967296'],
    ['SET', 'n', '1'], ['SETBIT', 'n', '6', '1'], ['GET', 'n'], ['GETBIT', 'n', '2'], ['LPUSH', 'l', 'x'], ['SETBIT', 'l', '0', '1'], ['GETBIT', 'l', '0'],
    ['GETBIT', 'l', 'x'], ['SETBIT', 'l', 'x', '1'], ['SET', 'e', 'v', 'EX', '1000'], ['SETBIT', 'e', '3', '1'], ['TTL', 'e'], ['SETBIT', 'b'], ['GETBIT', 'b'],
  ],
  'BITCOUNT': [
    ['SET', 's', 'foobar'], ['BITCOUNT', 's'], ['BITCOUNT', 's', '0', '0'], ['BITCOUNT', 's', '1', '1'], ['BITCOUNT', 's', '1', '1', 'BYTE'],
    ['BITCOUNT', 's', '5', '30', 'BIT'], ['BITCOUNT', 's', '-5', '-1', 'bit'], ['BITCOUNT', 's', '0', '-1'], ['BITCOUNT', 's', '-100', '100'],
    ['BITCOUNT', 's', '-1', '-2'], ['BITCOUNT', 's', '-1', '-2', 'FOO'], ['BITCOUNT', 's', '3', '1'], ['BITCOUNT', 's', '0'], ['BITCOUNT', 's', '0', '1', 'BIT', 'x'],
    ['BITCOUNT', 's', 'x', '1'], ['BITCOUNT', 's', '0', 'x'], ['BITCOUNT', 's', '0', '1', 'FOO'], ['BITCOUNT', 'nokey'], ['BITCOUNT', 'nokey', 'x', 'y'],
    ['BITCOUNT', 'nokey', '0'], ['SET', 'empty', ''], ['BITCOUNT', 'empty'], ['BITCOUNT', 'empty', '0', '-1', 'BIT'], ['BITCOUNT', 's', '7', '7', 'BIT'],
    ['BITCOUNT', 's', '9223372036854775807', '-9223372036854775808', 'BIT'], ['HSET', 'h', 'f', 'v'], ['BITCOUNT', 'h'], ['BITCOUNT', 'h', 'x'], ['BITCOUNT'],
  ],
  'BITPOS': [
    ['SET', 's', '\xff\xf0\x00'], ['BITPOS', 's', '0'], ['BITPOS', 's', '1'], ['BITPOS', 's', '0', '2'], ['BITPOS', 's', '1', '2'], ['BITPOS', 's', '1', '1', '1'],
    ['BITPOS', 's', '0', '0', '0'], ['BITPOS', 's', '0', '0', '-1'], ['BITPOS', 's', '1', '7', '15', 'BIT'], ['BITPOS', 's', '0', '7', '15', 'bit'],
    ['BITPOS', 's', '0', '3', '5', 'BIT'], ['BITPOS', 's', '1', '-10', '-1', 'BIT'], ['BITPOS', 's', '1', '0', '-1', 'BYTE'], ['BITPOS', 's', '1', '5', '2'],
    ['SET', 'f', '\xff\xff\xff'], ['BITPOS', 'f', '0'], ['BITPOS', 'f', '0', '0'], ['BITPOS', 'f', '0', '0', '-1'], ['BITPOS', 'f', '0', '0', '-1', 'BIT'],
    ['BITPOS', 'f', '0', '1', '-1', 'BIT'], ['BITPOS', 'nokey', '0'], ['BITPOS', 'nokey', '1'], ['BITPOS', 'nokey', '1', 'x'], ['BITPOS', 's', '2'],
    ['BITPOS', 's', 'x'], ['BITPOS', 'nokey', '2'], ['BITPOS', 's', '1', 'x'], ['BITPOS', 's', '1', '0', 'x'], ['BITPOS', 's', '1', '0', '1', 'FOO'],
    ['BITPOS', 's', '1', '0', '1', 'BIT', 'x'], ['BITPOS', 's', '1', 'x', '1', 'FOO'], ['SET', 'empty', ''], ['BITPOS', 'empty', '0'], ['BITPOS', 'empty', '1'],
    ['HSET', 'h', 'f', 'v'], ['BITPOS', 'h', '1'], ['BITPOS', 'h', 'x'], ['BITPOS', 's'],
  ],
  'BITOP': [
    ['SET', 'a', '\x01\x02\xff'], ['SET', 'b', '\xf0'], ['BITOP', 'AND', 'd', 'a', 'b'], ['GET', 'd'], ['BITOP', 'or', 'd', 'a', 'b'], ['GET', 'd'],
    ['BITOP', 'XOR', 'd', 'a', 'b', 'nokey'], ['GET', 'd'], ['BITOP', 'NOT', 'd', 'a'], ['GET', 'd'], ['BITOP', 'NOT', 'd', 'a', 'b'], ['BITOP', 'NAND', 'd', 'a'],
    ['BITOP', 'AND', 'd', 'nokey'], ['EXISTS', 'd'], ['SET', 'd', 'x', 'EX', '1000'], ['BITOP', 'OR', 'd', 'a'], ['TTL', 'd'], ['BITOP', 'AND', 'a', 'a', 'b'],
    ['GET', 'a'], ['HSET', 'h', 'f', 'v'], ['BITOP', 'AND', 'd', 'a', 'h'], ['BITOP', 'AND', 'h', 'a'], ['TYPE', 'h'], ['SET', 'e', ''], ['BITOP', 'NOT', 'd', 'e'],
    ['EXISTS', 'd'], ['SET', 'n', '123'], ['BITOP', 'NOT', 'd', 'n'], ['GET', 'd'], ['BITOP', 'AND', 'd'],
  ],
  'BITFIELD': [
    ['BITFIELD', 'f', 'SET', 'i8', '0', '-100', 'GET', 'i8', '0', 'GET', 'u8', '0', 'SET', 'u4', '#3', '15', 'GET', 'u16', '0'], ['GET', 'f'],
    ['BITFIELD', 'f', 'INCRBY', 'u2', '100', '1', 'OVERFLOW', 'SAT', 'INCRBY', 'u2', '102', '1'], ['BITFIELD', 'f', 'INCRBY', 'u2', '100', '10', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '102', '10'],
    ['BITFIELD', 'f', 'OVERFLOW', 'WRAP', 'SET', 'i64', '0', '-9223372036854775808', 'INCRBY', 'i64', '0', '-1', 'GET', 'u63', '1'],
    ['BITFIELD', 'f', 'OVERFLOW', 'SAT', 'INCRBY', 'i64', '0', '-1', 'SET', 'u8', '0', '-1', 'SET', 'i8', '0', '300', 'GET', 'i8', '0'],
    ['BITFIELD', 'f', 'OVERFLOW', 'FAIL', 'SET', 'u8', '0', '256', 'SET', 'i3', '0', '-5', 'INCRBY', 'i3', '0', '3'], ['GET', 'f'],
    ['BITFIELD', 'g', 'OVERFLOW', 'FAIL', 'SET', 'u8', '80', '256'], ['GET', 'g'], ['BITFIELD', 'g', 'SET', 'u8', '80', '0'], ['GET', 'g'],
    ['BITFIELD', 'f'], ['BITFIELD', 'nokey', 'GET', 'u8', '0'], ['EXISTS', 'nokey'], ['BITFIELD', 'f', 'GET', 'u64', '0'], ['BITFIELD', 'f', 'GET', 'i65', '0'],
    ['BITFIELD', 'f', 'GET', 'x8', '0'], ['BITFIELD', 'f', 'GET', 'i0', '0'], ['BITFIELD', 'f', 'GET', 'i8', '-1'], ['BITFIELD', 'f', 'GET', 'i8', '#-1'],
    ['BITFIELD', 'f', 'GET', 'i8', '#x'], ['BITFIELD', 'f', 'GET', 'i8', '4294967296'], ['BITFIELD', 'f', 'GET', 'i8', '#536870912'], ['BITFIELD', 'f', 'GET', 'i8'],
    ['BITFIELD', 'f', 'SET', 'i8', '0'], ['BITFIELD', 'f', 'SET', 'i8', '0', 'x'], ['BITFIELD', 'f', 'OVERFLOW', 'FOO'], ['BITFIELD', 'f', 'OVERFLOW'],
    ['BITFIELD', 'f', 'FOO', 'i8', '0'], ['BITFIELD', 'f', 'get', 'I8', '0'], ['BITFIELD', 'f', 'GET', 'i8', '#9223372036854775807'],
    ['BITFIELD_RO', 'f', 'GET', 'u8', '0', 'GET', 'i4', '#1'], ['BITFIELD_RO', 'f', 'SET', 'u8', '0', '1'], ['BITFIELD_RO', 'f', 'INCRBY', 'u8', '0', '1'],
    ['BITFIELD_RO', 'f'], ['BITFIELD_RO', 'nokey', 'GET', 'i8', '0'], ['HSET', 'h', 'f', 'v'], ['BITFIELD', 'h', 'GET', 'i8', '0'], ['BITFIELD', 'h', 'SET', 'i8', '0', '1'],
    ['BITFIELD_RO', 'h', 'GET', 'i8', '0'], ['BITFIELD', 'h', 'GET', 'x', '0'], ['SET', 'e', 'v', 'EX', '1000'], ['BITFIELD', 'e', 'SET', 'u8', '0', '1'], ['TTL', 'e'],
    ['BITFIELD'], ['BITFIELD_RO'],
  ],
  'LCS': [
    ['MSET', 'a', 'ohmytext', 'b', 'mynewtext'], ['LCS', 'a', 'b'], ['LCS', 'a', 'b', 'LEN'], ['LCS', 'a', 'b', 'IDX'], ['LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4'],
    ['LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'], ['LCS', 'a', 'b', 'idx', 'withmatchlen', 'minmatchlen', '-5'], ['LCS', 'a', 'b', 'LEN', 'IDX'],
    ['LCS', 'a', 'b', 'FOO'], ['LCS', 'a', 'b', 'MINMATCHLEN'], ['LCS', 'a', 'b', 'MINMATCHLEN', 'x'], ['LCS', 'a', 'nokey'], ['LCS', 'nokey', 'nokey', 'IDX'],
    ['LCS', 'a', 'b', 'WITHMATCHLEN'], ['LCS', 'a', 'b', 'LEN', 'WITHMATCHLEN', 'MINMATCHLEN', '2'], ['HSET', 'h', 'f', 'v'], ['LCS', 'a', 'h'], ['LCS', 'h', 'a', 'FOO'],
    ['SET', 'x', 'aaaaaaaa'], ['SET', 'y', 'aaa'], ['LCS', 'x', 'y', 'IDX', 'WITHMATCHLEN'], ['SET', 'p', 'abcXdefYghi'], ['SET', 'q', 'abcdefghi'],
    ['LCS', 'p', 'q', 'IDX', 'WITHMATCHLEN'], ['LCS', 'a'],
  ],
};

describeWithRedis('bit commands and LCS match redis-server', (server) => {
  for (const [name, sequence] of Object.entries(sequences)) {
    test(name, async () => compareCommands(server(), sequence));
  }

  test('random bitmap commands give the same replies and bytes (property)', async () => {
    const redis = server();
    const key = fc.constantFrom('a', 'b', 'c');
    const offset = fc.oneof(fc.integer({ min: 0, max: 200 }).map(String), fc.constantFrom('-1', 'x', '#3'));
    const index = fc.integer({ min: -30, max: 30 }).map(String);
    const command = fc.oneof(
      fc.tuple(fc.constant('SETBIT'), key, offset, fc.constantFrom('0', '1', '1', '2')).map((t) => [...t]),
      fc.tuple(fc.constant('GETBIT'), key, offset).map((t) => [...t]),
      fc.tuple(fc.constant('SET'), key, fc.constantFrom('', 'foobar', '\xff\xff\x00\x0f', '\x00\x00\x80')).map((t) => [...t]),
      fc.tuple(fc.constant('BITCOUNT'), key, index, index, fc.constantFrom([], ['BIT'], ['BYTE'])).map(([c, k, s, e, u]) => [c, k, s, e, ...u]),
      fc.tuple(fc.constant('BITPOS'), key, fc.constantFrom('0', '1'), fc.array(index, { maxLength: 2 }), fc.constantFrom([], ['BIT'], ['BYTE']))
        .map(([c, k, b, range, u]) => [c, k, b, ...range, ...(range.length === 2 ? u : [])]),
      fc.tuple(fc.constant('BITOP'), fc.constantFrom('AND', 'OR', 'XOR', 'NOT'), key, fc.array(key, { minLength: 1, maxLength: 3 }))
        .map(([c, op, d, sources]) => [c, op, d, ...(op === 'NOT' ? sources.slice(0, 1) : sources)]),
      fc.tuple(fc.constant('GET'), key).map((t) => [...t]),
    );
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (commands) => {
      await redis.client.flushall();
      const harness = new Harness();
      for (const args of commands) assert.deepEqual(plain(harness.apply(...args)), await redisReply(redis, args), args.join(' '));
      for (const name of ['a', 'b', 'c']) assert.deepEqual(plain(harness.apply('GET', name)), await redisReply(redis, ['GET', name]), `GET ${name}`);
    }), { numRuns: 150 });
  });

  test('random BITFIELD operations give the same replies and bytes (property)', async () => {
    const redis = server();
    const type = fc.tuple(fc.constantFrom('i', 'u'), fc.integer({ min: 1, max: 64 })).map(([sign, bits]) => `${sign}${sign === 'u' ? Math.min(bits, 63) : bits}`);
    const value = fc.oneof(
      fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map(String),
      fc.integer({ min: -300, max: 300 }).map(String),
    );
    const offset = fc.oneof(fc.integer({ min: 0, max: 100 }).map(String), fc.integer({ min: 0, max: 5 }).map((n) => `#${n}`));
    const op = fc.oneof(
      fc.tuple(fc.constant('GET'), type, offset).map((t) => [...t]),
      fc.tuple(fc.constantFrom('SET', 'INCRBY'), type, offset, value).map((t) => [...t]),
      fc.tuple(fc.constant('OVERFLOW'), fc.constantFrom('WRAP', 'SAT', 'FAIL')).map((t) => [...t]),
    );
    await fc.assert(fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }), async (calls) => {
      await redis.client.flushall();
      const harness = new Harness();
      for (const ops of calls) {
        const args = ['BITFIELD', 'f', ...ops.flat()];
        assertSameReply(plain(harness.apply(...args)), await redisReply(redis, args), args.join(' '));
      }
      assert.deepEqual(plain(harness.apply('GET', 'f')), await redisReply(redis, ['GET', 'f']), 'GET f');
    }), { numRuns: 150 });
  });

  test('LCS of random strings gives the same replies (property)', async () => {
    const redis = server();
    const text = fc.stringMatching(/^[abc]{0,40}$/);
    const options = fc.constantFrom([], ['LEN'], ['IDX'], ['IDX', 'WITHMATCHLEN'], ['IDX', 'MINMATCHLEN', '2', 'WITHMATCHLEN']);
    await fc.assert(fc.asyncProperty(text, text, options, async (a, b, extra) => {
      await redis.client.flushall();
      const harness = new Harness();
      for (const args of [['MSET', 'a', a, 'b', b], ['LCS', 'a', 'b', ...extra]]) {
        assert.deepEqual(plain(harness.apply(...args)), await redisReply(redis, args), args.join(' '));
      }
    }), { numRuns: 150 });
  });
});

/** Asserts equal replies; integers beyond 2^53 within rounding (ioredis reads them as JS numbers, inexactly). */
function assertSameReply(actual: Plain, expected: Plain, message: string): void {
  if (typeof actual === 'number' && typeof expected === 'number' && Math.abs(expected) > Number.MAX_SAFE_INTEGER) {
    assert.ok(Math.abs(actual - expected) / Math.abs(expected) < 1e-15, `${message}: ${actual} vs ${expected}`);
  } else if (Array.isArray(actual) && Array.isArray(expected) && actual.length === expected.length) {
    actual.forEach((item, i) => assertSameReply(item, expected[i] as Plain, message));
  } else assert.deepEqual(actual, expected, message);
}

/** Flushes redis, then applies each command to it and to a fresh harness, asserting the same replies. */
async function compareCommands(redis: RedisInstance, commands: readonly (readonly string[])[]): Promise<void> {
  await redis.client.flushall();
  const harness = new Harness();
  for (const args of commands) assertSameReply(plain(harness.apply(...args)), await redisReply(redis, args), args.join(' '));
}
