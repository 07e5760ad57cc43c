// Set commands against a real redis-server: the same sequences give the same replies, errors
// included, and random sequences agree (property). Iteration order is each side's own, so
// listings are compared in a canonical order (redis-compare-collections.ts); SPOP and
// SRANDMEMBER are random on both sides and are compared by what they may return. Skipped when
// redis-server is missing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, plain } from './harness.js';
import { redisServerPath, startRedis, type RedisInstance } from './redis-server.js';
import { redisReply } from './redis-compare-support.js';
import { canonicalReply, compareCollectionCommands, scanAll } from './redis-compare-collections.js';

const path = redisServerPath();

const sequences: Record<string, readonly (readonly string[])[]> = {
  'SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS': [
    ['SADD', 's', 'a', 'b', 'c'], ['SADD', 's', 'c', 'd', 'd'], ['SMEMBERS', 's'], ['SCARD', 's'], ['SCARD', 'nokey'], ['SISMEMBER', 's', 'a'],
    ['SISMEMBER', 's', 'zz'], ['SISMEMBER', 'nokey', 'a'], ['SMISMEMBER', 's', 'a', 'zz', 'd'], ['SMISMEMBER', 'nokey', 'a'], ['SREM', 's', 'zz'],
    ['SREM', 's', 'a', 'b', 'zz'], ['SREM', 'nokey', 'a'], ['SMEMBERS', 'nokey'], ['SREM', 's', 'c', 'd', 'e'], ['EXISTS', 's'], ['TYPE', 's'],
    ['SADD', 's'], ['SREM', 's'], ['SMEMBERS'], ['SMEMBERS', 's', 'x'], ['SISMEMBER', 's'], ['SMISMEMBER', 's'], ['SCARD'],
    ['SADD', 'i', '1', '2', '3', '213244124402402314402033402', '-0', '0'], ['SMEMBERS', 'i'], ['SISMEMBER', 'i', '213244124402402314402033402'],
    ['SADD', 'bin', '\x00', '\xff\xfe', ''], ['SMEMBERS', 'bin'], ['SISMEMBER', 'bin', ''], ['TYPE', 'bin'],
  ],
  'SMOVE': [
    ['SADD', 'src', '1', 'a', 'b'], ['SADD', 'dst', '2', '3', '4'], ['SMOVE', 'src', 'dst', 'a'], ['SMEMBERS', 'src'], ['SMEMBERS', 'dst'],
    ['SMOVE', 'src', 'dst', 'foo'], ['SMOVE', 'src', 'src', 'foo'], ['SMOVE', 'src', 'src', 'b'], ['SMOVE', 'nokey', 'dst', 'a'],
    ['SMOVE', 'src', 'new', '1'], ['SMEMBERS', 'new'], ['SMOVE', 'src', 'dst', 'b'], ['EXISTS', 'src'], ['SET', 'x', '10'], ['SMOVE', 'x', 'dst', 'a'],
    ['SMOVE', 'dst', 'x', 'a'], ['SMOVE', 'nokey', 'x', 'a'], ['SMOVE', 'dst', 'x', 'zz'], ['SMOVE', 'dst', 'dst'], ['SMEMBERS', 'dst'],
  ],
  'SPOP and SRANDMEMBER edges': [
    ['SADD', 's', 'a'], ['SPOP', 's', '0'], ['SPOP', 'nokey'], ['SPOP', 'nokey', '0'], ['SPOP', 'nokey', '5'], ['SPOP', 's', '-1'], ['SPOP', 's', 'x'],
    ['SPOP', 's', '1', '2'], ['SRANDMEMBER', 's', '0'], ['SRANDMEMBER', 'nokey'], ['SRANDMEMBER', 'nokey', '5'], ['SRANDMEMBER', 'nokey', '-5'],
    ['SRANDMEMBER', 's', 'x'], ['SRANDMEMBER', 's', '1', '2'], ['SRANDMEMBER', 's', 'x', 'y'], ['SRANDMEMBER', 's', '-9223372036854775808'],
    ['SRANDMEMBER', 's'], ['SRANDMEMBER', 's', '-3'], ['SRANDMEMBER', 's', '9223372036854775807'], ['SPOP', 's'], ['SPOP', 's'], ['EXISTS', 's'],
    ['SADD', 's', 'a', 'b'], ['SPOP', 's', '9223372036854775807'], ['EXISTS', 's'], ['SET', 'str', 'v'], ['SPOP', 'str', '0'], ['SPOP', 'str', 'x'],
    ['SRANDMEMBER', 'str', '0'], ['SRANDMEMBER', 'str', 'x'], ['SPOP'], ['SRANDMEMBER'],
  ],
  'SINTER SUNION SDIFF and SINTERCARD': [
    ['SADD', 'a', '1', '2', '3', '4', '5'], ['SADD', 'b', '4', '5', '6'], ['SADD', 'c', '5', '6', '7'], ['SINTER', 'a', 'b'], ['SINTER', 'a', 'b', 'c'],
    ['SINTER', 'a', 'nokey'], ['SINTER', 'a', 'a', 'a'], ['SUNION', 'a', 'b', 'c'], ['SUNION', 'nokey', 'a', 'nokey2'], ['SUNION', 'nokey'],
    ['SDIFF', 'a', 'b'], ['SDIFF', 'a', 'b', 'c'], ['SDIFF', 'a', 'a'], ['SDIFF', 'nokey', 'a'], ['SDIFF', 'a', 'nokey'], ['SINTER', 'nokey'],
    ['SINTERCARD', '2', 'a', 'b'], ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '0'], ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '1'], ['SINTERCARD', '1', 'a', 'limit', '10'],
    ['SINTERCARD', '3', 'a', 'b', 'c'], ['SINTERCARD', '1', 'nokey'], ['SINTERCARD', '1', 'nokey', 'LIMIT', '0'], ['SINTERCARD', '1', 'a', 'LIMIT', '1', 'LIMIT', '3'],
    ['SINTERCARD'], ['SINTERCARD', '1'], ['SINTERCARD', '0', 'a'], ['SINTERCARD', '-1', 'a'], ['SINTERCARD', 'a', 'a'], ['SINTERCARD', '2', 'a'],
    ['SINTERCARD', '3', 'a', 'b'], ['SINTERCARD', '9223372036854775807', 'a'], ['SINTERCARD', '9223372036854775808', 'a'], ['SINTERCARD', '1', 'a', 'b'],
    ['SINTERCARD', '1', 'a', 'bar_arg'], ['SINTERCARD', '1', 'a', 'LIMIT'], ['SINTERCARD', '1', 'a', 'LIMIT', '-1'], ['SINTERCARD', '1', 'a', 'LIMIT', 'x'],
    ['SINTERCARD', '1', 'a', 'LIMIT', '9223372036854775808'], ['SINTER'], ['SUNION'], ['SDIFF'],
  ],
  '*STORE commands': [
    ['SADD', 'a', '1', '2', '3'], ['SADD', 'b', '2', '3', '4'], ['SET', 'dst', 'string'], ['EXPIRE', 'dst', '1000'], ['SINTERSTORE', 'dst', 'a', 'b'],
    ['TYPE', 'dst'], ['TTL', 'dst'], ['SMEMBERS', 'dst'], ['SUNIONSTORE', 'dst', 'a', 'b'], ['SMEMBERS', 'dst'], ['SDIFFSTORE', 'dst', 'a', 'b'],
    ['SMEMBERS', 'dst'], ['SDIFFSTORE', 'dst', 'a', 'a'], ['EXISTS', 'dst'], ['SET', 'dst', 'x'], ['SINTERSTORE', 'dst', 'foo', 'bar'], ['EXISTS', 'dst'],
    ['SUNIONSTORE', 'dst', 'foo'], ['SUNIONSTORE', 'a', 'a', 'b'], ['SMEMBERS', 'a'], ['SDIFFSTORE', 'a', 'a', 'b'], ['SMEMBERS', 'a'],
    ['SINTERSTORE', 'a', 'a', 'b'], ['EXISTS', 'a'], ['SINTERSTORE', 'dst'], ['SUNIONSTORE', 'dst'], ['SDIFFSTORE', 'dst'],
  ],
  'WRONGTYPE in any position': [
    ['SET', 'str', 'x'], ['SADD', 'set', 'a', 'b', 'c'], ['SADD', 'dst', 'e'], ['SADD', 'str', 'a'], ['SREM', 'str', 'a'], ['SMEMBERS', 'str'],
    ['SISMEMBER', 'str', 'a'], ['SMISMEMBER', 'str', 'a'], ['SCARD', 'str'], ['SSCAN', 'str', '0'], ['SSCAN', 'str', 'x'],
    ['SINTER', 'str', 'nokey'], ['SINTER', 'nokey', 'str'], ['SINTER', 'str', 'set'], ['SINTER', 'set', 'str'], ['SUNION', 'str', 'nokey'],
    ['SUNION', 'set', 'str'], ['SDIFF', 'str', 'nokey'], ['SDIFF', 'nokey', 'str'], ['SDIFF', 'set', 'str'], ['SINTERCARD', '1', 'str'],
    ['SINTERCARD', '2', 'set', 'str'], ['SINTERCARD', '2', 'str', 'nokey'], ['SINTERCARD', '1', 'str', 'LIMIT', 'x'],
    ['SINTERSTORE', 'x', 'str', 'nokey'], ['EXISTS', 'x'], ['SINTERSTORE', 'dst', 'nokey', 'str', 'set'], ['SMEMBERS', 'dst'],
    ['SUNIONSTORE', 'dst', 'str', 'set'], ['SDIFFSTORE', 'dst', 'set', 'str'], ['SDIFFSTORE', 'dst', 'nokey', 'str'], ['SMEMBERS', 'dst'],
    ['GET', 'set'], ['INCR', 'set'], ['HSET', 'set', 'a', '1'], ['TYPE', 'set'],
  ],
  'SSCAN arguments': [
    ['SADD', 's', 'a', '1'], ['SSCAN', 's', 'x'], ['SSCAN', 's', '0', 'COUNT', '0'], ['SSCAN', 's', '0', 'COUNT', '-1'], ['SSCAN', 's', '0', 'COUNT', 'x'],
    ['SSCAN', 's', '0', 'MATCH'], ['SSCAN', 's', '0', 'TYPE', 'set'], ['SSCAN', 's', '18446744073709551616'], ['SSCAN', 'nokey', '0'],
    ['SSCAN', 'nokey', '0', 'foo'], ['SSCAN', 'nokey', 'x'], ['SSCAN', 's'], ['SSCAN', 's', '0', 'MATCH', '*a*', 'COUNT', '100'],
    ['SSCAN', 's', '0', 'MATCH', '*1*', 'COUNT', '100'],
  ],
};

describe('set commands match redis-server', { skip: path === null ? 'redis-server is not installed' : false }, () => {
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

  test('SPOP and SRANDMEMBER counts: the same sizes, distinct where Redis is, members of the set', async () => {
    const members = Array.from({ length: 20 }, (_, i) => String(i + 1));
    for (const args of [['SRANDMEMBER', '5'], ['SRANDMEMBER', '20'], ['SRANDMEMBER', '30'], ['SRANDMEMBER', '-30'], ['SPOP', '2'], ['SPOP', '18'], ['SPOP', '30']]) {
      await compareCollectionCommands(redis, [['SADD', 's', ...members]]);
      const harness = new Harness();
      harness.apply('SADD', 's', ...members);
      const [name, count] = args as [string, string];
      const ours = plain(harness.apply(name, 's', count)) as string[];
      const theirs = (await redisReply(redis, [name, 's', count])) as string[];
      assert.equal(ours.length, theirs.length, args.join(' '));
      if (!count.startsWith('-')) assert.equal(new Set(ours).size, ours.length);
      for (const member of ours) assert.ok(members.includes(member));
      if (name === 'SPOP') {
        const rest = plain(harness.apply('SMEMBERS', 's')) as string[];
        assert.deepEqual([...rest, ...ours].sort(), [...members].sort(), 'popped and left make the set');
        assert.equal(rest.length, ((await redisReply(redis, ['SMEMBERS', 's'])) as string[]).length);
      }
    }
  });

  test('SSCAN returns every member once, with MATCH and COUNT', async () => {
    const members = Array.from({ length: 300 }, (_, i) => `member:${i}`);
    await compareCollectionCommands(redis, [['SADD', 's', ...members]]);
    const harness = new Harness();
    harness.apply('SADD', 's', ...members);
    for (const options of [[], ['MATCH', 'member:1*'], ['COUNT', '7'], ['MATCH', '*9', 'COUNT', '1000'], ['MATCH', 'nothing']]) {
      const ours = canonicalReply(['SMEMBERS'], await scanAll(async (cursor) => plain(harness.read('SSCAN', 's', cursor, ...options))));
      const theirs = canonicalReply(['SMEMBERS'], await scanAll(async (cursor) => redisReply(redis, ['SSCAN', 's', cursor, ...options])));
      assert.deepEqual(ours, theirs, `SSCAN ${options.join(' ')}`);
    }
  });

  test('random command sequences give the same replies (property)', async () => {
    const key = fc.constantFrom('s', 't', 'str');
    const member = fc.constantFrom('a', 'b', 'c', '1', '', '\xff');
    const command = fc.oneof(
      fc.tuple(fc.constantFrom('SADD', 'SREM', 'SMISMEMBER'), key, member, fc.option(member)).map(([c, k, m, more]) => [c, k, m, ...(more === null ? [] : [more])]),
      fc.tuple(fc.constantFrom('SISMEMBER'), key, member).map((t) => [...t]),
      fc.tuple(fc.constantFrom('SCARD', 'SMEMBERS', 'DEL', 'TYPE', 'EXISTS'), key).map((t) => [...t]),
      fc.tuple(fc.constant('SMOVE'), key, key, member).map((t) => [...t]),
      fc.tuple(fc.constantFrom('SINTER', 'SUNION', 'SDIFF'), key, key, fc.option(key)).map(([c, a, b, d]) => [c, a, b, ...(d === null ? [] : [d])]),
      fc.tuple(fc.constantFrom('SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE'), key, key, key).map((t) => [...t]),
      fc.tuple(fc.constant('SINTERCARD'), fc.constantFrom('1', '2'), key, key, fc.constantFrom([], ['LIMIT', '1'], ['LIMIT', '0'])).map(([c, n, a, b, l]) => [c, n, a, b, ...l]),
      // Counts whose replies do not depend on the random choice (the whole set, none, an error);
      // random picks are compared by what they may return in the test above.
      fc.tuple(fc.constantFrom('SPOP', 'SRANDMEMBER'), key, fc.constantFrom('0', 'x', '9223372036854775807')).map((t) => [...t]),
      fc.tuple(fc.constant('SET'), key, member).map((t) => [...t]),
    );
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 40 }), async (commands) => {
      await compareCollectionCommands(redis, commands);
    }), { numRuns: 60 });
  });
});
