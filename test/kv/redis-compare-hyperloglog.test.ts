// HyperLogLog against a real redis-server: the same commands leave byte-identical values
// (sparse edits, promotion to dense, PFMERGE, PFDEBUG TODENSE), give the same counts and the
// same errors for corrupted values, and a value written by one counts the same in the other.
// One documented difference: Redis's PFCOUNT of one key writes the count into the header's
// cache, raftis's (a read) does not, so bytes 8..15 are compared only where no PFCOUNT ran.
// Skipped when redis-server is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, plain, type Plain } from './harness.js';
import { assertSameReply, describeWithRedis, redisReply } from './redis-compare-support.js';
import type { RedisInstance } from './redis-server.js';

const elements = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

const sequences: Record<string, readonly (readonly string[])[]> = {
  'PFADD, PFMERGE and PFDEBUG leave the same bytes': [
    ['PFADD', 'h'], ['GET', 'h'], ['PFADD', 'h', 'a', 'b', 'c'], ['GET', 'h'], ['PFADD', 'h', 'a', 'b', 'c'], ['GET', 'h'], ['PFADD', 'h', ''], ['GET', 'h'],
    ['PFADD', 's', ...elements('e', 200)], ['GET', 's'], ['PFDEBUG', 'ENCODING', 's'], ['PFDEBUG', 'DECODE', 's'],
    ['PFADD', 'd', ...elements('x', 3000)], ['GET', 'd'], ['PFDEBUG', 'ENCODING', 'd'], ['PFDEBUG', 'DECODE', 'd'],
    ['PFMERGE', 'm', 'h', 's'], ['GET', 'm'], ['PFMERGE', 'm', 'd'], ['GET', 'm'], ['PFMERGE', 'n'], ['GET', 'n'], ['PFMERGE', 'h', 's'], ['GET', 'h'],
    ['PFDEBUG', 'TODENSE', 's'], ['GET', 's'], ['PFDEBUG', 'TODENSE', 's'], ['PFDEBUG', 'GETREG', 'h'], ['GET', 'h'], ['PFDEBUG', 'FOO', 'h'],
    ['PFDEBUG', 'ENCODING', 'h', 'x'], ['PFDEBUG', 'GETREG', 'nokey'], ['PFDEBUG', 'FOO', 'nokey'], ['PFDEBUG', 'ENCODING'],
    ['PFCOUNT', 'h', 's', 'd', 'nokey'], ['PFCOUNT', 'nokey'], ['PFCOUNT', 'nokey', 'nokey2'], ['GET', 'd'],
    ['SET', 'e', 'v', 'EX', '1000'], ['DEL', 'e'], ['PFADD', 'e', 'a'], ['TTL', 'e'], ['EXPIRE', 'e', '1000'], ['PFADD', 'e', 'zz'], ['TTL', 'e'], ['GET', 'e'],
  ],
  'type checks and corrupted values': [
    ['SET', 'str', 'bar'], ['PFADD', 'str', 'a'], ['PFCOUNT', 'str'], ['PFMERGE', 'x', 'str'], ['PFMERGE', 'str', 'x'], ['PFCOUNT', 'x', 'str'],
    ['PFDEBUG', 'ENCODING', 'str'], ['LPUSH', 'l', 'a'], ['PFADD', 'l', 'a'], ['PFCOUNT', 'l'], ['PFMERGE', 'l'], ['PFCOUNT', 'x', 'l'],
    ['SET', 'n', '12345678901234567'], ['PFCOUNT', 'n'], ['PFADD', 'c', 'a', 'b', 'c'], ['APPEND', 'c', 'hello'], ['PFCOUNT', 'c'], ['PFADD', 'c', 'zzz'],
    ['PFCOUNT', 'c', 'x'], ['PFMERGE', 'x', 'c'], ['GET', 'c'], ['DEL', 'c'], ['PFADD', 'c', 'a', 'b', 'c'], ['SETRANGE', 'c', '0', '0123'], ['PFCOUNT', 'c'],
    ['DEL', 'c'], ['PFADD', 'c', 'a', 'b', 'c'], ['SETRANGE', 'c', '4', 'x'], ['PFCOUNT', 'c'], ['DEL', 'c'], ['PFADD', 'c', 'a', 'b', 'c'],
    ['SETRANGE', 'c', '4', '\x00'], ['PFCOUNT', 'c'], ['PFADD', 'c'], ['DEL', 'c'], ['PFADD', 'c', 'a'], ['SETRANGE', 'c', '17', '\x00'], ['PFCOUNT', 'c'],
    ['PFADD', 'c', 'a', 'b'], ['GET', 'c'], ['PFDEBUG', 'TODENSE', 'c'], ['PFDEBUG', 'GETREG', 'c'], ['PFDEBUG', 'DECODE', 'c'], ['PFADD'], ['PFCOUNT'], ['PFMERGE'],
    // A cached cardinality beyond 2^53 (byte 15 edited, its stale bit clear) is answered exactly.
    ['DEL', 'c'], ['PFADD', 'c'], ['SETRANGE', 'c', '15', '&'], ['PFCOUNT', 'c'], ['SETRANGE', 'c', '8', '\xff\xff'], ['PFCOUNT', 'c'],
  ],
};

/** A GET reply with the cached cardinality (bytes 8..15) blanked: PFCOUNT writes it in Redis only. */
function withoutCache(reply: Plain): Plain {
  return typeof reply === 'string' && reply.startsWith('HYLL') ? reply.slice(0, 8) + '\0'.repeat(8) + reply.slice(16) : reply;
}

/** A way to carry a value between the two servers: its bytes out of one, into the other. */
interface Mover {
  fromTheirs(redis: RedisInstance, key: string): Promise<Buffer>;
  intoOurs(harness: Harness, key: string, payload: Buffer): void;
  fromOurs(harness: Harness, key: string): Buffer;
  intoTheirs(redis: RedisInstance, key: string, payload: Buffer): Promise<unknown>;
}

const ourBytes = (harness: Harness, ...args: string[]): Buffer => Buffer.from(plain(harness.apply(...args)) as string, 'latin1');

const movers: Record<string, Mover> = {
  'GET and SET': {
    fromTheirs: async (redis, key) => (await redis.client.getBuffer(key)) as Buffer,
    intoOurs: (harness, key, payload) => assert.equal(plain(harness.apply('SET', key, payload)), 'OK'),
    fromOurs: (harness, key) => ourBytes(harness, 'GET', key),
    intoTheirs: (redis, key, payload) => redis.client.set(key, payload),
  },
  'DUMP and RESTORE': {
    fromTheirs: async (redis, key) => (await redis.client.dumpBuffer(key)) as Buffer,
    intoOurs: (harness, key, payload) => assert.equal(plain(harness.apply('RESTORE', key, '0', payload)), 'OK'),
    fromOurs: (harness, key) => ourBytes(harness, 'DUMP', key),
    intoTheirs: (redis, key, payload) => redis.client.restore(key, 0, payload),
  },
};

/** Flushes redis, then applies each command to it and to `harness`: the same replies, GET's without the cache when `blankCache`. */
async function compareCommands(redis: RedisInstance, commands: readonly (readonly string[])[], harness = new Harness(), blankCache = false): Promise<void> {
  await redis.client.flushall();
  const shown = (reply: Plain): Plain => (blankCache ? withoutCache(reply) : reply);
  for (const args of commands) assertSameReply(shown(plain(harness.apply(...args))), shown(await redisReply(redis, args)), args.slice(0, 4).join(' '));
}

describeWithRedis('HyperLogLog matches redis-server', (server) => {
  for (const [name, sequence] of Object.entries(sequences)) {
    test(name, async () => compareCommands(server(), sequence));
  }

  test('PFCOUNT of one key counts as Redis does but leaves the cached count stale (the documented difference)', async () => {
    const redis = server();
    await redis.client.flushall();
    const harness = new Harness();
    for (const args of [['PFADD', 'h', 'a', 'b', 'c'], ['PFCOUNT', 'h']]) {
      assert.deepEqual(plain(harness.apply(...args)), await redisReply(redis, args), args.join(' '));
    }
    assert.equal(await redisReply(redis, ['GETRANGE', 'h', '15', '15']), '\x00', 'Redis cached the count');
    assert.deepEqual(plain(harness.apply('GETRANGE', 'h', '15', '15')), '\x80', 'raftis did not');
    assert.deepEqual(withoutCache(plain(harness.apply('GET', 'h'))), withoutCache(await redisReply(redis, ['GET', 'h'])));
  });

  for (const [how, mover] of Object.entries(movers)) {
    test(`values move both ways by ${how} and count the same`, async () => {
      const redis = server();
      await redis.client.flushall();
      const harness = new Harness();
      for (const [key, count] of [['small', 40], ['large', 4000]] as const) {
        await redis.client.pfadd(`${key}-redis`, ...elements('r', count));
        harness.apply('PFADD', `${key}-raftis`, ...elements('f', count));
        mover.intoOurs(harness, `${key}-redis`, await mover.fromTheirs(redis, `${key}-redis`));
        await mover.intoTheirs(redis, `${key}-raftis`, mover.fromOurs(harness, `${key}-raftis`));
        for (const name of [`${key}-redis`, `${key}-raftis`]) {
          assert.deepEqual(plain(harness.apply('PFCOUNT', name)), await redisReply(redis, ['PFCOUNT', name]), name);
          assert.deepEqual(plain(harness.apply('PFADD', name, 'one-more')), await redisReply(redis, ['PFADD', name, 'one-more']), name);
          assert.deepEqual(withoutCache(plain(harness.apply('GET', name))), withoutCache(await redisReply(redis, ['GET', name])), name);
        }
      }
    });
  }

  test('a smaller hll-sparse-max-bytes turns values dense at the same point as Redis', async () => {
    const redis = server();
    await redis.client.flushall();
    const harness = new Harness();
    await redis.client.config('SET', 'hll-sparse-max-bytes', '120');
    try {
      assert.equal(plain(harness.apply('RAFTIS.CONFIG', 'hll-sparse-max-bytes', '120')), 'OK');
      for (let round = 0; round < 12; round++) {
        for (const args of [['PFADD', 'h', ...elements(`r${round}:`, 5)], ['PFDEBUG', 'ENCODING', 'h'], ['GET', 'h'], ['PFMERGE', 'm', 'h']]) {
          assert.deepEqual(plain(harness.apply(...args)), await redisReply(redis, args), `${args.slice(0, 2).join(' ')} round ${round}`);
        }
      }
      assert.equal(plain(harness.apply('PFDEBUG', 'ENCODING', 'h')), 'dense');
    } finally {
      await redis.client.config('SET', 'hll-sparse-max-bytes', '3000');
    }
  });

  test('random PFADD, PFMERGE, PFCOUNT and PFDEBUG sequences leave the same bytes (property)', async () => {
    const redis = server();
    const key = fc.constantFrom('a', 'b', 'c');
    const element = fc.oneof(fc.string({ maxLength: 12 }), fc.integer().map(String));
    const command = fc.oneof(
      { weight: 4, arbitrary: fc.tuple(key, fc.array(element, { maxLength: 40 })).map(([k, items]) => ['PFADD', k, ...items]) },
      { weight: 1, arbitrary: fc.tuple(key, fc.integer({ min: 200, max: 3000 }), fc.integer()).map(([k, n, salt]) => ['PFADD', k, ...elements(`${salt}:`, n)]) },
      { weight: 1, arbitrary: fc.tuple(key, fc.array(key, { maxLength: 3 })).map(([k, sources]) => ['PFMERGE', k, ...sources]) },
      { weight: 1, arbitrary: fc.array(key, { minLength: 1, maxLength: 3 }).map((keys) => ['PFCOUNT', ...keys]) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('TODENSE', 'ENCODING', 'DECODE'), key).map(([sub, k]) => ['PFDEBUG', sub, k]) },
    );
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), async (commands) => {
      await redis.client.flushall();
      const harness = new Harness();
      for (const args of commands) {
        assert.deepEqual(plain(harness.apply(...args)), await redisReply(redis, args), args.slice(0, 3).join(' '));
        for (const name of ['a', 'b', 'c']) {
          assert.deepEqual(withoutCache(plain(harness.apply('GET', name))), withoutCache(await redisReply(redis, ['GET', name])), `GET ${name} after ${args.slice(0, 3).join(' ')}`);
        }
      }
    }), { numRuns: 40 });
  });

  test('corrupted values give the same replies (property)', async () => {
    const redis = server();
    const corruption = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }));
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 3000 }), fc.integer(), fc.array(corruption, { minLength: 1, maxLength: 5 }), fc.boolean(),
      async (count, salt, corruptions, thenAdd) => {
        await redis.client.flushall();
        const harness = new Harness();
        const commands: string[][] = [['PFADD', 'h', ...elements(`${salt}:`, count)]];
        const length = Number(plain(harness.apply('PFADD', 'probe', ...elements(`${salt}:`, count))) === 1 ? (plain(harness.apply('STRLEN', 'probe')) as number) : 18);
        for (const [position, byte] of corruptions) commands.push(['SETRANGE', 'h', String(position % length), String.fromCharCode(byte)]);
        commands.push(thenAdd ? ['PFADD', 'h', 'x', 'y', 'z'] : ['PFCOUNT', 'h'], ['PFCOUNT', 'h', 'nokey'], ['GET', 'h']);
        await compareCommands(redis, commands, harness, true);
      }), { numRuns: 60 });
  });
});
