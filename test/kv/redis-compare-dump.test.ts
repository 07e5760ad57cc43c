// DUMP and RESTORE against a real redis-server: a payload DUMPed by Redis in each encoding it
// writes (integer, raw and LZF strings; quicklists, plain and LZF-compressed; intsets and
// hash tables; listpack and skiplist sorted sets; listpack and hash-table hashes) RESTOREs
// into raftis with the same contents, a payload DUMPed by raftis RESTOREs into Redis with the
// same contents, and RESTORE's errors and options answer as Redis does. Skipped when
// redis-server is missing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, plain, type Plain } from './harness.js';
import { redisServerPath, startRedis, type RedisInstance } from './redis-server.js';
import { compareSteps, redisReply, sortPlain, type Step } from './redis-compare-support.js';
import { crc64 } from '../../src/kv/rdb/index.js';

const path = redisServerPath();

const range = (count: number, make: (i: number) => string[]): string[] => Array.from({ length: count }, (_, i) => make(i)).flat();
const long = (i: number): string => `value-${i}-${'x'.repeat(70)}`;
const random = (i: number): string => Array.from({ length: 40 }, (_, j) => String.fromCharCode(((i * 131 + j * 977) * 2654435761) % 251)).join('');

/** Values built by the same commands on both sides; each is DUMPed on one side and RESTOREd on the other. */
const values: Record<string, readonly string[]> = {
  'small integer string': ['SET', 'k', '12345'],
  'large integer string': ['SET', 'k', '-9223372036854775808'],
  'raw string': ['SET', 'k', 'hello \x00\xff world'],
  'LZF string': ['SET', 'k', 'a'.repeat(500)],
  'incompressible string': ['SET', 'k', random(1)],
  'empty string': ['SET', 'k', ''],
  'listpack list': ['RPUSH', 'k', 'a', '1', '-7', '300', '-70000', '5000000000', 'x'.repeat(100)],
  'quicklist of many nodes': ['RPUSH', 'k', ...range(2000, (i) => [i % 3 === 0 ? String(i) : long(i)])],
  'intset': ['SADD', 'k', '1', '-2', '70000', '-5000000000'],
  'hash-table set': ['SADD', 'k', ...range(300, (i) => [long(i)])],
  'listpack sorted set': ['ZADD', 'k', '1.5', 'a', '-inf', 'b', '3', '42', '1e300', 'c'],
  'skiplist sorted set': ['ZADD', 'k', ...range(300, (i) => [String(i / 7), long(i)])],
  'listpack hash': ['HSET', 'k', 'f', 'v', 'n', '12', 'big', '-123456789012'],
  'hash-table hash': ['HSET', 'k', ...range(300, (i) => [`f${i}`, long(i)])],
};

/** The contents of `k` in one comparable form, whatever its type. */
const reads = (type: string): string[][] => {
  switch (type) {
    case 'string': return [['GET', 'k']];
    case 'list': return [['LRANGE', 'k', '0', '-1']];
    case 'set': return [['SMEMBERS', 'k']];
    case 'zset': return [['ZRANGE', 'k', '0', '-1', 'WITHSCORES']];
    default: return [['HGETALL', 'k']];
  }
};

async function redisContents(redis: RedisInstance): Promise<Plain[]> {
  const type = await redis.client.type('k');
  const contents: Plain[] = [type];
  for (const read of reads(type)) contents.push(type === 'hash' ? sortPairs(await redisReply(redis, read)) : sortPlain(await redisReply(redis, read)));
  return contents;
}

function harnessContents(harness: Harness): Plain[] {
  const type = plain(harness.apply('TYPE', 'k')) as string;
  return [type, ...reads(type).map((read) => (type === 'hash' ? sortPairs(plain(harness.apply(...read))) : sortPlain(plain(harness.apply(...read)))))];
}

/** A flat field-value array as sorted "field=value" strings. */
function sortPairs(value: Plain): Plain {
  if (!Array.isArray(value)) return value;
  const pairs: string[] = [];
  for (let i = 0; i < value.length; i += 2) pairs.push(`${String(value[i])}=${String(value[i + 1])}`);
  return pairs.sort();
}

describe('DUMP and RESTORE against redis-server', { skip: path === null ? 'redis-server not installed' : false }, () => {
  let redis: RedisInstance;
  before(async () => {
    redis = await startRedis(path as string);
    // Compressed quicklist nodes too (list-compress-depth 1 LZF-compresses inner nodes).
    await redis.client.config('SET', 'list-compress-depth', '1');
  });
  after(async () => {
    await redis.stop();
  });

  test('crc64 is Redis\'s (Jones, reflected): the check value of "123456789"', () => {
    assert.equal(crc64(Buffer.from('123456789')), 0xe9c6d914c4b8d9can);
  });

  for (const [name, build] of Object.entries(values)) {
    test(`${name}: Redis's DUMP restores into raftis, raftis's DUMP restores into Redis`, async () => {
      await redis.client.flushall();
      await redisReply(redis, build);
      const expected = await redisContents(redis);
      const fromRedis = await redis.client.dumpBuffer('k');
      const harness = new Harness();
      assert.deepEqual(plain(harness.apply('RESTORE', 'k', '0', fromRedis)), 'OK', name);
      assert.deepEqual(harnessContents(harness), expected, `${name}: Redis → raftis`);
      const fromRaftis = harness.apply('DUMP', 'k');
      assert.ok(fromRaftis.kind === 'bulk' && fromRaftis.value !== null);
      await redis.client.del('k');
      assert.equal(await redis.client.restore('k', 0, Buffer.from(fromRaftis.value)), 'OK');
      assert.deepEqual(await redisContents(redis), expected, `${name}: raftis → Redis`);
    });
  }

  test('RESTORE errors and options as Redis answers them', async () => {
    const payload = (await (async () => {
      await redis.client.flushall();
      await redis.client.set('src', 'v');
      return (await redis.client.dumpBuffer('src')).toString('latin1');
    })());
    const corrupt = `${payload.slice(0, -1)}${String.fromCharCode((payload.charCodeAt(payload.length - 1) + 1) % 256)}`;
    const steps: Step[] = [
      ['SET', 'src', 'v'], ['RESTORE', 'k', '0', payload], ['GET', 'k'], ['RESTORE', 'k', '0', payload], ['RESTORE', 'k', '0', payload, 'REPLACE'],
      ['RESTORE', 'k', '0', corrupt, 'REPLACE'], ['RESTORE', 'k2', '0', corrupt], ['RESTORE', 'k2', '0', 'short'], ['RESTORE', 'k2', '-1', payload],
      ['RESTORE', 'k2', 'x', payload], ['RESTORE', 'k', '-1', payload], ['RESTORE', 'k2', '100000', payload], ['TTL', 'k2'],
      ['RESTORE', 'k3', '1', payload, 'ABSTTL'], ['EXISTS', 'k3'], ['RESTORE', 'k', '1', payload, 'ABSTTL', 'REPLACE'], ['EXISTS', 'k'],
      ['RESTORE', 'k4', '0', payload, 'IDLETIME', '10'], ['RESTORE', 'k5', '0', payload, 'FREQ', '100'], ['RESTORE', 'k6', '0', payload, 'FREQ', '256'],
      ['RESTORE', 'k6', '0', payload, 'IDLETIME', '-1'], ['RESTORE', 'k6', '0', payload, 'IDLETIME', '1', 'FREQ', '1'], ['RESTORE', 'k6', '0', payload, 'FREQ', '1', 'IDLETIME', '1'],
      ['RESTORE', 'k6', '0', payload, 'bogus'], ['RESTORE', 'k6', '0', payload, 'IDLETIME'], ['RESTORE', 'k4', '0', payload, 'bogus'],
      ['DUMP', 'nokey'], ['RESTORE', 'k6', '0'], ['DUMP'],
    ].map((args) => ({ args }));
    await compareSteps(redis, steps);
  });

  test('malformed payloads with a valid checksum are "Bad data format", and raftis keeps running', async () => {
    const withFooter = (body: Buffer): string => {
      const version = Buffer.from([10, 0]);
      const checked = Buffer.concat([body, version]);
      const crc = Buffer.alloc(8);
      crc.writeBigUInt64LE(crc64(checked), 0);
      return Buffer.concat([checked, crc]).toString('latin1');
    };
    const bodies = [
      Buffer.from([0]), Buffer.from([0, 0x85]), Buffer.from([1, 0]), Buffer.from([2, 2, 1, 0x61, 1, 0x61]), Buffer.from([4, 1, 1, 0x61]),
      Buffer.from([0, 0xc3, 5, 100, 0, 0x61]), Buffer.from([16, 3, 1, 2, 3]), Buffer.from([15, 0]), Buffer.from([11, 12, ...Buffer.alloc(12)]),
      Buffer.from([5, 1, 1, 0x61, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f]), Buffer.from([18, 1, 7, 1, 0x61]),
    ];
    await compareSteps(redis, bodies.map((body) => ({ args: ['RESTORE', 'k', '0', withFooter(body), 'REPLACE'] })));
  });
});
