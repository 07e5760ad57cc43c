// The sorted-set family against a real redis-server: the same command sequences on both,
// replies compared in RESP2 (through ioredis) and byte for byte in RESP3 (doubles, pairs,
// nulls), plus random sequences (property). Redis is set to its skiplist encoding where
// the order of elements with equal scores or -0 would otherwise differ in its listpack
// (both orders are Redis's; raftis keeps one). Skipped only when redis-server is missing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, plain } from './harness.js';
import { redisServerPath, startRedis, type RedisInstance } from './redis-server.js';
import { compareSteps } from './redis-compare-support.js';
import { RawConnection } from '../support/raw-resp.js';
import { encodeReply } from '../../src/resp/reply-writer.js';

const path = redisServerPath();
if (path === null) console.log('# SKIP redis-compare-zset: redis-server is not on PATH (apt-get install -y redis-server)');

type Command = readonly string[];

const sequences: Record<string, readonly Command[]> = {
  'ZADD options and errors': [
    ['ZADD', 'z', '1', 'a', '2', 'b'], ['ZADD', 'z', 'NX', '5', 'a', '3', 'c'], ['ZADD', 'z', 'XX', '6', 'a', '4', 'd'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
    ['ZADD', 'z', 'GT', 'CH', '1', 'a', '9', 'b', '7', 'e'], ['ZADD', 'z', 'LT', 'CH', '0', 'a', '100', 'b'], ['ZADD', 'z', 'LT', 'XX', 'CH', '-1', 'a', '-1', 'zz'],
    ['ZADD', 'z', 'INCR', '2.5', 'a'], ['ZADD', 'z', 'INCR', 'NX', '1', 'a'], ['ZADD', 'z', 'INCR', 'XX', '1', 'nope'], ['ZADD', 'z', 'INCR', 'GT', '-1', 'a'],
    ['ZADD', 'z', 'nx', 'xx', '1', 'a'], ['ZADD', 'z', 'gt', 'lt', '1', 'a'], ['ZADD', 'z', 'gt', 'nx', '1', 'a'], ['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'],
    ['ZADD', 'z', '1'], ['ZADD', 'z', '1', 'a', '2'], ['ZADD', 'z', 'x', 'a'], ['ZADD', 'z', 'nan', 'a'], ['ZADD', 'z', '', 'a'], ['ZADD', 'z', ' 1', 'a'],
    ['ZADD', 'z', '1 ', 'a'], ['ZADD', 'z', '1e400', 'a'], ['ZADD', 'z', '1e-400', 'a'], ['ZADD', 'z', '0x10', 'hex'], ['ZADD', 'z', 'inf', 'i', '-inf', 'j', '+inf', 'k'],
    ['ZADD', 'z', 'CH'], ['ZADD', 'z', 'INCR', '+inf', 'i'], ['ZADD', 'z', 'INCR', '-inf', 'i'], ['ZINCRBY', 'z', '-inf', 'i'], ['ZSCORE', 'z', 'i'],
    ['ZADD', 'xx', 'XX', '1', 'a'], ['EXISTS', 'xx'], ['ZADD', 'xx', 'XX', 'INCR', '1', 'a'], ['ZADD', 'z', '1.5e-7', 'f', '1e20', 'g', '123456789012345678', 'h'],
    ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['ZCARD', 'z'], ['ZCARD', 'nope'], ['SET', 's', 'x'], ['ZADD', 's', '1', 'a'], ['ZADD', 's', 'x', 'a'], ['ZCARD', 's'],
  ],
  'ZINCRBY ZREM ZSCORE ZMSCORE ZRANK': [
    ['ZINCRBY', 'z', '1', 'a'], ['ZINCRBY', 'z', '0.1', 'a'], ['ZINCRBY', 'z', '0.2', 'a'], ['ZINCRBY', 'z', 'x', 'a'], ['ZINCRBY', 'z', 'nx', 'a'],
    ['ZINCRBY', 'z', '-1.3', 'a'], ['ZSCORE', 'z', 'a'], ['ZSCORE', 'z', 'b'], ['ZSCORE', 'nope', 'a'], ['ZMSCORE', 'z', 'a', 'b', 'a'], ['ZMSCORE', 'nope', 'a', 'b'],
    ['ZADD', 'z', '3', 'b', '3', 'c', '2', 'd'], ['ZRANK', 'z', 'c'], ['ZREVRANK', 'z', 'c'], ['ZRANK', 'z', 'x'], ['ZRANK', 'nope', 'x'], ['ZREVRANK', 'z', 'a'],
    ['ZREM', 'z', 'a', 'x', 'a'], ['ZREM', 'nope', 'a'], ['ZREM', 'z', 'b', 'c', 'd'], ['EXISTS', 'z'], ['SET', 's', 'x'], ['ZSCORE', 's', 'a'], ['ZREM', 's', 'a'],
    ['ZRANK', 's', 'a'], ['ZMSCORE', 's', 'a'], ['ZINCRBY', 's', '1', 'a'], ['ZMSCORE', 'z'], ['ZINCRBY', 'z', '1'],
  ],
  'ZRANGE by rank, score and lex, with REV, LIMIT and WITHSCORES': [
    ['ZADD', 'z', '-inf', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5', 'f', '+inf', 'g'],
    ['ZRANGE', 'z', '0', '-1'], ['ZRANGE', 'z', '-3', '-2', 'WITHSCORES'], ['ZRANGE', 'z', '5', '100'], ['ZRANGE', 'z', '4', '2'], ['ZRANGE', 'z', '-100', '1'],
    ['ZRANGE', 'z', '0', '-1', 'REV'], ['ZRANGE', 'z', '1', '2', 'REV', 'WITHSCORES'], ['ZREVRANGE', 'z', '0', '2'], ['ZREVRANGE', 'z', '-2', '-1', 'WITHSCORES'],
    ['ZRANGE', 'z', '(1', '4', 'BYSCORE'], ['ZRANGE', 'z', '4', '(1', 'BYSCORE', 'REV'], ['ZRANGE', 'z', '-inf', '+inf', 'BYSCORE', 'LIMIT', '1', '3', 'WITHSCORES'],
    ['ZRANGE', 'z', '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', '2', '2'], ['ZRANGE', 'z', '0', '10', 'BYSCORE', 'LIMIT', '-1', '2'], ['ZRANGE', 'z', '0', '10', 'BYSCORE', 'LIMIT', '1', '-1'],
    ['ZRANGE', 'z', '0', '-1', 'LIMIT', '1', '-1'], ['ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '2'], ['ZRANGE', 'z', '0', '-', 'LIMIT', '1', '-1'], ['ZRANGE', 'z', '0', '10', 'BYSCORE', 'LIMIT', '100', '1'], ['ZRANGE', 'z', '0', '10', 'BYSCORE', 'LIMIT', '0', '0'], ['ZRANGEBYSCORE', 'z', '2', '2'], ['ZRANGEBYSCORE', 'z', '(2', '2'],
    ['ZRANGEBYSCORE', 'z', '3', '1'], ['ZRANGEBYSCORE', 'z', '-inf', '(-inf'], ['ZRANGEBYSCORE', 'z', '(-inf', '(+inf', 'WITHSCORES'], ['ZREVRANGEBYSCORE', 'z', '(3', '(1', 'WITHSCORES'],
    ['ZRANGEBYSCORE', 'z', '1', '5', 'LIMIT', '1', '2'], ['ZREVRANGEBYSCORE', 'z', '5', '1', 'LIMIT', '1', '2', 'WITHSCORES'], ['ZRANGEBYSCORE', 'z', 'x', '1'], ['ZRANGEBYSCORE', 'z', '1', 'nan'],
    ['ZRANGEBYSCORE', 'z', '', '(', 'WITHSCORES'], ['ZRANGEBYSCORE', 'z', ' 1', '2 '], ['ZRANGEBYSCORE', 'z', '1', '2', 'LIMIT', '1'], ['ZRANGEBYSCORE', 'z', '1', '2', 'LIMIT', 'x', '1'],
    ['ZRANGEBYSCORE', 'z', '1', '2', 'REV'], ['ZRANGEBYSCORE', 'z', '1', '2', 'BYLEX'], ['ZREVRANGE', 'z', '0', '1', 'BYSCORE'], ['ZREVRANGE', 'z', '0', '1', 'LIMIT', '0', '1'],
    ['ZRANGE', 'z', '0', '1', 'LIMIT', '0', '1'], ['ZRANGE', 'z', '0', '1', 'BYLEX', 'WITHSCORES'], ['ZRANGE', 'z', 'a', 'b'], ['ZRANGE', 'z', '0', '1', 'BYSCORE', 'BYLEX'],
    ['ZRANGE', 'z', '0', '1', 'REV', 'REV'], ['ZRANGE', 'z', '0', '1', 'WITHSCORES', 'WITHSCORES'], ['ZRANGE', 'nope', '0', '-1'], ['ZRANGE', 'nope', 'x', '1', 'BYSCORE'],
    ['SET', 's', 'x'], ['ZRANGE', 's', '0', '-1'], ['ZRANGE', 's', 'x', '1', 'BYSCORE'], ['ZRANGE', 'z', '0'],
  ],
  'lex ranges': [
    ['ZADD', 'l', '0', 'alpha', '0', 'bar', '0', 'cool', '0', 'down', '0', 'elephant', '0', 'foo', '0', 'great', '0', 'hill', '0', 'omega', '0', ''],
    ['ZRANGEBYLEX', 'l', '-', '[cool'], ['ZRANGEBYLEX', 'l', '[bar', '(down'], ['ZRANGEBYLEX', 'l', '(great', '+'], ['ZREVRANGEBYLEX', 'l', '+', '[d'],
    ['ZREVRANGEBYLEX', 'l', '(down', '(bar'], ['ZRANGEBYLEX', 'l', '-', '+', 'LIMIT', '2', '3'], ['ZREVRANGEBYLEX', 'l', '+', '-', 'LIMIT', '1', '2'],
    ['ZRANGEBYLEX', 'l', '[', '[a'], ['ZRANGEBYLEX', 'l', '(', '(b'], ['ZRANGEBYLEX', 'l', '+', '-'], ['ZRANGEBYLEX', 'l', '-', '-'], ['ZRANGEBYLEX', 'l', '+', '+'],
    ['ZRANGEBYLEX', 'l', '[b', '[a'], ['ZRANGEBYLEX', 'l', '(b', '[b'], ['ZRANGEBYLEX', 'l', 'b', '[c'], ['ZRANGEBYLEX', 'l', '[b', 'c'], ['ZRANGEBYLEX', 'l', '+x', '[c'],
    ['ZRANGEBYLEX', 'l', '-', '+', 'WITHSCORES'], ['ZLEXCOUNT', 'l', '-', '+'], ['ZLEXCOUNT', 'l', '[b', '(f'], ['ZLEXCOUNT', 'l', '+', '-'], ['ZLEXCOUNT', 'l', 'x', '+'],
    ['ZLEXCOUNT', 'nope', '-', '+'], ['ZRANGE', 'l', '[c', '[a', 'BYLEX', 'REV'], ['ZRANGE', 'l', '[a', '[c', 'BYLEX', 'LIMIT', '1', '1'],
    ['ZREMRANGEBYLEX', 'l', '[c', '(f'], ['ZRANGE', 'l', '0', '-1'], ['ZREMRANGEBYLEX', 'l', 'x', '+'], ['ZREMRANGEBYLEX', 'l', '-', '+'], ['EXISTS', 'l'],
  ],
  'ZCOUNT ZREMRANGEBYSCORE ZREMRANGEBYRANK': [
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'], ['ZCOUNT', 'z', '2', '4'], ['ZCOUNT', 'z', '(2', '(4'], ['ZCOUNT', 'z', '4', '2'], ['ZCOUNT', 'z', '-inf', '+inf'],
    ['ZCOUNT', 'z', 'x', '1'], ['ZCOUNT', 'nope', '1', '2'], ['ZREMRANGEBYSCORE', 'z', '(1', '2'], ['ZREMRANGEBYSCORE', 'z', '10', '1'], ['ZREMRANGEBYSCORE', 'z', 'x', '1'],
    ['ZREMRANGEBYRANK', 'z', '0', '0'], ['ZREMRANGEBYRANK', 'z', '-1', '-1'], ['ZREMRANGEBYRANK', 'z', '5', '10'], ['ZREMRANGEBYRANK', 'z', 'x', '1'], ['ZRANGE', 'z', '0', '-1'],
    ['ZREMRANGEBYRANK', 'z', '-100', '100'], ['EXISTS', 'z'], ['ZREMRANGEBYRANK', 'nope', '0', '1'], ['SET', 's', 'x'], ['ZREMRANGEBYRANK', 's', '0', '1'], ['ZREMRANGEBYRANK', 's', 'x', '1'],
    ['ZCOUNT', 's', '1', '2'], ['ZREMRANGEBYSCORE', 's', '1', '2'], ['ZREMRANGEBYLEX', 's', '-', '+'],
  ],
  'ZRANGESTORE': [
    ['ZADD', 'src', '1', 'a', '2', 'b', '3', 'c', '4', 'd'], ['ZRANGESTORE', 'dst', 'src', '0', '-1'], ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
    ['ZRANGESTORE', 'dst', 'src', '1', '2'], ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'], ['ZRANGESTORE', 'dst', 'src', '[b', '[c', 'BYLEX'], ['ZRANGESTORE', 'dst', 'src', '5', '0', 'BYSCORE', 'REV', 'LIMIT', '0', '2'],
    ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'], ['ZRANGESTORE', 'dst', 'src', '5', '6'], ['EXISTS', 'dst'], ['ZRANGESTORE', 'dst', 'nope', '0', '-1'], ['SET', 'str', 'x'],
    ['ZRANGESTORE', 'str', 'src', '0', '0'], ['TYPE', 'str'], ['ZRANGESTORE', 'dst', 'str', '0', '-1'], ['ZRANGESTORE', 'dst', 'src', '0', '-1', 'WITHSCORES'],
    ['ZRANGESTORE', 'dst', 'src', '0', '-1', 'LIMIT', '1', '2'], ['ZRANGESTORE', 'src', 'src', '1', '1'], ['ZRANGE', 'src', '0', '-1', 'WITHSCORES'], ['ZRANGESTORE', 'dst', 'src', '0'],
  ],
  'ZPOPMIN ZPOPMAX ZMPOP': [
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'], ['ZPOPMIN', 'z'], ['ZPOPMAX', 'z'], ['ZPOPMIN', 'z', '2'], ['ZPOPMAX', 'z', '0'], ['ZPOPMAX', 'z', '10'],
    ['EXISTS', 'z'], ['ZPOPMIN', 'z'], ['ZPOPMIN', 'z', '1'], ['ZPOPMIN', 'z', '-1'], ['ZPOPMIN', 'z', 'x'], ['ZPOPMIN', 'z', '1', '2'], ['SET', 's', 'x'], ['ZPOPMIN', 's'],
    ['ZPOPMIN', 's', '0'], ['ZPOPMIN', 's', '-1'], ['ZADD', 'y', '1', 'a', '2', 'b', '3', 'c'], ['ZMPOP', '1', 'y', 'MIN'], ['ZMPOP', '2', 'nope', 'y', 'max', 'count', '5'],
    ['ZMPOP', '1', 'y', 'MIN'], ['ZMPOP', '2', 'nope', 'y', 'MIN', 'COUNT', '1'], ['ZMPOP', '0', 'y', 'MIN'], ['ZMPOP', 'x', 'y', 'MIN'], ['ZMPOP', '-1', 'y', 'MIN'],
    ['ZMPOP', '1', 'y', 'LEFT'], ['ZMPOP', '1', 'y', 'MIN', 'COUNT', '0'], ['ZMPOP', '1', 'y', 'MIN', 'COUNT', 'x'], ['ZMPOP', '1', 'y', 'MIN', 'COUNT'],
    ['ZMPOP', '1', 'y', 'MIN', 'COUNT', '1', 'COUNT', '2'], ['ZMPOP', '1', 'y', 'MIN', 'foo'], ['ZMPOP', '3', 'y', 'MIN'], ['ZMPOP', '1', 's', 'MIN'], ['ZMPOP', '2', 'nope', 's', 'MAX'],
    ['ZMPOP', '2', 's', 'y', 'MIN'], ['ZMPOP', '1', 'y'], ['ZMPOP', '9223372036854775807', 'y', 'MIN'],
  ],
  'ZUNION ZINTER ZDIFF ZINTERCARD and their STORE forms': [
    ['ZADD', 'a', '1', 'x', '2', 'y', '3', 'z'], ['ZADD', 'b', '10', 'y', '20', 'z', '30', 'w'], ['ZADD', 'c', '+inf', 'x', '-inf', 'y'],
    ['ZUNION', '2', 'a', 'b'], ['ZUNION', '2', 'a', 'b', 'WITHSCORES'], ['ZUNION', '3', 'a', 'b', 'c', 'WITHSCORES'], ['ZUNION', '2', 'a', 'c', 'WEIGHTS', '0', '0', 'WITHSCORES'],
    ['ZUNION', '2', 'a', 'b', 'WEIGHTS', '2', '-1', 'AGGREGATE', 'MIN', 'WITHSCORES'], ['ZUNION', '2', 'a', 'b', 'AGGREGATE', 'max', 'WITHSCORES'], ['ZINTER', '2', 'a', 'b', 'WITHSCORES'],
    ['ZINTER', '3', 'a', 'b', 'c', 'WITHSCORES'], ['ZINTER', '2', 'a', 'a', 'WITHSCORES'], ['ZINTER', '2', 'a', 'nope'], ['ZDIFF', '2', 'b', 'a', 'WITHSCORES'], ['ZDIFF', '1', 'a'],
    ['ZDIFF', '3', 'a', 'b', 'c'], ['ZDIFF', '2', 'a', 'a'], ['ZINTERCARD', '2', 'a', 'b'], ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '1'], ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '0'],
    ['ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '0.5'], ['ZRANGE', 'd', '0', '-1', 'WITHSCORES'], ['ZINTERSTORE', 'd', '2', 'a', 'b', 'AGGREGATE', 'MIN'],
    ['ZRANGE', 'd', '0', '-1', 'WITHSCORES'], ['ZDIFFSTORE', 'd', '2', 'a', 'b'], ['ZRANGE', 'd', '0', '-1', 'WITHSCORES'], ['ZINTERSTORE', 'd', '2', 'a', 'nope'], ['EXISTS', 'd'],
    ['ZUNIONSTORE', 'a', '2', 'a', 'b'], ['ZRANGE', 'a', '0', '-1', 'WITHSCORES'], ['ZUNION', '0', 'a'], ['ZUNIONSTORE', 'd', '0', 'a'], ['ZINTERCARD', '0', 'a'], ['ZDIFFSTORE', 'd', '-1', 'a'],
    ['ZUNION', '3', 'a', 'b'], ['ZUNION', 'x', 'a'], ['ZUNION', '1', 'a', 'WEIGHTS'], ['ZUNION', '1', 'a', 'WEIGHTS', 'x'], ['ZUNION', '2', 'a', 'b', 'WEIGHTS', '1'],
    ['ZUNION', '1', 'a', 'AGGREGATE', 'avg'], ['ZUNION', '1', 'a', 'AGGREGATE'], ['ZUNIONSTORE', 'd', '1', 'a', 'WITHSCORES'], ['ZDIFF', '1', 'a', 'WEIGHTS', '1'],
    ['ZDIFF', '1', 'a', 'AGGREGATE', 'SUM'], ['ZINTERCARD', '1', 'a', 'WITHSCORES'], ['ZINTERCARD', '1', 'a', 'a'], ['ZINTERCARD', '1', 'a', 'LIMIT'], ['ZINTERCARD', '1', 'a', 'LIMIT', '-1'],
    ['ZINTERCARD', '1', 'a', 'LIMIT', 'x'], ['ZUNION', '1', 'a', 'WEIGHTS', 'nan'], ['SET', 's', 'x'], ['ZUNION', '2', 'a', 's'], ['ZUNION', '2', 's', 'a', 'WEIGHTS', 'x'],
    ['ZINTERCARD', '1', 's', 'LIMIT', '-1'], ['ZUNIONSTORE', 's', '1', 'a'], ['TYPE', 's'], ['ZINTER', '2', 'nope', 's'], ['ZDIFF', '2', 'nope', 's'],
  ],
  'plain sets as inputs (score 1)': [
    ['SADD', 'set', 'x', 'y', 'q'], ['SADD', 'ints', '1', '2', '3'], ['ZADD', 'z', '5', 'x', '6', 'w', '7', '1'], ['ZUNION', '2', 'set', 'z', 'WITHSCORES'],
    ['ZUNION', '2', 'set', 'z', 'WEIGHTS', '2', '3', 'WITHSCORES'], ['ZINTER', '2', 'set', 'z', 'WITHSCORES'], ['ZINTER', '2', 'ints', 'z', 'AGGREGATE', 'MAX', 'WITHSCORES'],
    ['ZDIFF', '2', 'set', 'z', 'WITHSCORES'], ['ZDIFF', '2', 'z', 'set', 'WITHSCORES'], ['ZINTERCARD', '2', 'set', 'z'], ['ZUNIONSTORE', 'd', '2', 'set', 'ints'],
    ['ZRANGE', 'd', '0', '-1', 'WITHSCORES'], ['ZINTERSTORE', 'd', '2', 'set', 'set', 'WEIGHTS', '0.5', '0.25'], ['ZRANGE', 'd', '0', '-1', 'WITHSCORES'],
    ['ZDIFFSTORE', 'd', '2', 'ints', 'z'], ['ZRANGE', 'd', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'set', '0', '-1'], ['ZCARD', 'set'],
  ],
  'ZRANDMEMBER errors and shapes': [
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'], ['ZRANDMEMBER', 'nope'], ['ZRANDMEMBER', 'nope', '5'], ['ZRANDMEMBER', 'nope', '-5', 'WITHSCORES'], ['ZRANDMEMBER', 'z', '0'],
    ['ZRANDMEMBER', 'z', 'x'], ['ZRANDMEMBER', 'z', '-0'], ['ZRANDMEMBER', 'z', '1', 'x'], ['ZRANDMEMBER', 'z', '1', 'WITHSCORES', 'x'], ['ZRANDMEMBER', 'z', '-9223372036854775808'],
    ['ZRANDMEMBER', 'z', '-9223372036854770000', 'WITHSCORES'], ['ZRANDMEMBER', 'z', '4611686018427387904', 'WITHSCORES'], ['ZRANDMEMBER', 'z', '3', 'WITHSCORES'],
    ['ZRANDMEMBER', 'z', '10'], ['SET', 's', 'x'], ['ZRANDMEMBER', 's'], ['ZRANDMEMBER', 's', 'x'], ['ZRANDMEMBER', 's', '1'],
  ],
};

/** Commands whose reply order is Redis's own choice (random picks): compared sorted, or only by length. */
function canonical(args: Command, raw: string): string {
  return args[0] === 'ZRANDMEMBER' && args.length > 2 && !raw.startsWith('-') ? [...raw.split('\r\n')].sort().join('|') : raw;
}


async function compareBytes(port: number, protocol: 2 | 3, commands: readonly Command[]): Promise<void> {
  const connection = await RawConnection.open(port);
  try {
    for (const setup of [['HELLO', String(protocol)], ['FLUSHALL'], ['CONFIG', 'SET', 'zset-max-listpack-entries', '0']]) {
      connection.write(encodeCommand(setup));
      await connection.read();
    }
    const harness = new Harness();
    for (const args of commands) {
      connection.write(encodeCommand(args));
      const theirs = (await connection.read()).raw.toString('latin1');
      const ours = encodeReply(harness.apply(...args), protocol).toString('latin1');
      assert.equal(canonical(args, ours), canonical(args, theirs), `RESP${protocol} ${args.join(' ')}`);
    }
  } finally {
    connection.close();
  }
}

function encodeCommand(args: Command): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`, 'latin1')];
  for (const arg of args) parts.push(Buffer.from(`$${Buffer.byteLength(arg, 'latin1')}\r\n${arg}\r\n`, 'latin1'));
  return Buffer.concat(parts);
}

describe('sorted sets match redis-server', { skip: path === null ? 'redis-server is not installed' : false }, () => {
  let redis: RedisInstance;
  let port = 0;
  before(async () => {
    redis = await startRedis(path as string);
    port = redis.client.options.port ?? 0;
  });
  after(async () => {
    await redis?.stop();
  });

  for (const [name, commands] of Object.entries(sequences)) {
    test(`${name} (RESP2)`, async () => compareBytes(port, 2, commands));
    test(`${name} (RESP3)`, async () => compareBytes(port, 3, commands));
  }

  test('the default (listpack) encoding answers the same for distinct scores', async () => {
    await redis.client.config('SET', 'zset-max-listpack-entries', '128');
    await compareSteps(redis, sequences['ZRANGE by rank, score and lex, with REV, LIMIT and WITHSCORES']!.map((args) => ({ args })));
  });

  test('ZSCAN returns every member with its score once, with MATCH and COUNT', async () => {
    const harness = new Harness();
    await redis.client.flushall();
    const members: string[] = [];
    for (let i = 0; i < 300; i++) members.push(String(i % 7 === 0 ? i / 7 : i + 0.5), `m:${i}`);
    await redis.client.call('ZADD', 'z', ...members);
    harness.apply('ZADD', 'z', ...members);
    async function scanAll(run: (cursor: string) => Promise<unknown>): Promise<string[]> {
      const pairs: string[] = [];
      let cursor = '0';
      do {
        const [next, items] = (await run(cursor)) as [string, string[]];
        cursor = next;
        for (let i = 0; i < items.length; i += 2) pairs.push(`${items[i]}=${items[i + 1]}`);
      } while (cursor !== '0');
      return pairs.sort();
    }
    for (const options of [[], ['MATCH', 'm:1*'], ['COUNT', '7'], ['MATCH', '*9', 'COUNT', '1000']]) {
      const ours = await scanAll(async (cursor) => plain(harness.read('ZSCAN', 'z', cursor, ...options)));
      const theirs = await scanAll(async (cursor) => redis.client.call('ZSCAN', 'z', cursor, ...options));
      assert.deepEqual(ours, theirs, `ZSCAN ${options.join(' ')}`);
    }
    await compareSteps(redis, [
      ['ZSCAN', 'nope', '0'], ['ZSCAN', 'z', 'x'], ['ZSCAN', 'z', '0', 'COUNT', '0'], ['ZSCAN', 'z', '0', 'COUNT', 'x'], ['ZSCAN', 'z', '0', 'MATCH'],
      ['ZSCAN', 'z', '0', 'FOO', 'bar'], ['ZSCAN', 'nope', '0', 'FOO', 'bar'], ['SET', 's', 'x'], ['ZSCAN', 's', '0'], ['ZSCAN', 's', '0', 'FOO', 'bar'],
    ].map((args) => ({ args })));
  });

  test('random sequences give the same replies (property)', async () => {
    const key = fc.constantFrom('a', 'b', 'c');
    const member = fc.constantFrom('m', 'n', 'o', 'p', 'q', '', 'm\x00', '\xff');
    const score = fc.constantFrom('0', '1', '-1', '2.5', '0.1', '1e20', '-inf', '+inf', '3', '(1', 'x');
    const bound = fc.constantFrom('-inf', '+inf', '0', '(0', '1', '(1', '2.5', '(3', '10', 'x');
    const lex = fc.constantFrom('-', '+', '[m', '(m', '[o', '(p', '[', 'q', '[\xff');
    const index = fc.constantFrom('0', '1', '-1', '2', '-2', '10', '-10', 'x');
    const command = fc.oneof(
      fc.tuple(fc.constant('ZADD'), key, fc.subarray(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'], { maxLength: 2 }), fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 3 }))
        .map(([c, k, flags, pairs]) => [c, k, ...flags, ...pairs.flat()]),
      fc.tuple(fc.constant('ZINCRBY'), key, score, member).map((t) => [...t]),
      fc.tuple(fc.constantFrom('ZREM', 'ZSCORE', 'ZRANK', 'ZREVRANK', 'ZMSCORE'), key, member).map((t) => [...t]),
      fc.tuple(fc.constantFrom('ZRANGE', 'ZREVRANGE', 'ZREMRANGEBYRANK'), key, index, index).map((t) => [...t]),
      fc.tuple(fc.constantFrom('ZRANGEBYSCORE', 'ZREVRANGEBYSCORE', 'ZCOUNT', 'ZREMRANGEBYSCORE'), key, bound, bound).map((t) => [...t]),
      fc.tuple(fc.constantFrom('ZRANGEBYSCORE', 'ZREVRANGEBYSCORE'), key, bound, bound, index, index).map(([c, k, min, max, o, n]) => [c, k, min, max, 'WITHSCORES', 'LIMIT', o, n]),
      fc.tuple(fc.constantFrom('ZCARD', 'ZPOPMIN', 'ZPOPMAX', 'TYPE', 'DEL'), key).map((t) => [...t]),
      fc.tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), key, fc.constantFrom('0', '1', '2', '5')).map((t) => [...t]),
      fc.tuple(fc.constantFrom('ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE'), key, key, key).map(([c, d, x, y]) => [c, d, '2', x, y]),
      fc.tuple(fc.constantFrom('ZUNION', 'ZINTER', 'ZDIFF'), key, key).map(([c, x, y]) => [c, '2', x, y, 'WITHSCORES']),
      fc.tuple(fc.constant('ZMPOP'), key, key, fc.constantFrom('MIN', 'MAX'), fc.constantFrom('1', '3')).map(([c, x, y, w, n]) => [c, '2', x, y, w, 'COUNT', n]),
      fc.tuple(fc.constant('ZRANGESTORE'), key, key, index, index).map((t) => [...t]),
      fc.constant(['SET', 'c', 'string']),
    );
    const lexCommand = fc.oneof(
      fc.tuple(fc.constant('ZADD'), key, fc.array(member, { minLength: 1, maxLength: 4 })).map(([c, k, ms]) => [c, k, ...ms.flatMap((m) => ['0', m])]),
      fc.tuple(fc.constantFrom('ZRANGEBYLEX', 'ZREVRANGEBYLEX', 'ZLEXCOUNT', 'ZREMRANGEBYLEX'), key, lex, lex).map((t) => [...t]),
      fc.tuple(fc.constantFrom('ZRANGEBYLEX', 'ZREVRANGEBYLEX'), key, lex, lex, index, index).map(([c, k, a, b, o, n]) => [c, k, a, b, 'LIMIT', o, n]),
      fc.tuple(fc.constantFrom('ZREM'), key, member).map((t) => [...t]),
    );
    await fc.assert(fc.asyncProperty(fc.oneof(fc.array(command, { minLength: 1, maxLength: 30 }), fc.array(lexCommand, { minLength: 1, maxLength: 30 })), async (commands) => {
      await compareBytes(port, 2, commands);
    }), { numRuns: 100 });
  });
});
