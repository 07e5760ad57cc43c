// Key-miss notifications (class m: `__keyevent@0__:keymiss`) against a real redis-server: for
// each command of every family run on keys that do not exist (and on keys that do), raftis
// reports the same keys, in the same order, as Redis does; reads report through lookups
// (Redis's lookupKeyRead), writes only the keys they read as sources. Skipped when
// redis-server is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Harness } from './harness.js';
import { describeWithRedis, redisReply } from './redis-compare-support.js';
import { NotifyClass } from '../../src/kv/keyspace-events.js';

const setup: readonly string[][] = [
  ['SET', 'e', '1'], ['RPUSH', 'l', 'a', 'b'], ['SADD', 's', 'a'], ['HSET', 'h', 'f', 'v'], ['ZADD', 'z', '1', 'a'],
  ['XADD', 'x', '1-1', 'f', 'v'], ['XGROUP', 'CREATE', 'x', 'g', '0'], ['GEOADD', 'geo', '0', '0', 'a'], ['SET', 'w_a', '1'], ['SET', 'expiring', 'v', 'PX', '1'],
];

/** Each command runs on fresh missing keys: `?` is replaced by a key no command has touched. */
const commands: readonly string[][] = [
  // strings and bits
  ['GET', '?'], ['MGET', '?', 'e', '?'], ['STRLEN', '?'], ['GETRANGE', '?', '0', '1'], ['SUBSTR', '?', '0', '1'], ['GETBIT', '?', '1'],
  ['BITCOUNT', '?'], ['BITPOS', '?', '1'], ['BITFIELD_RO', '?', 'GET', 'u8', '0'], ['LCS', '?', 'e'], ['PFCOUNT', '?', 'e'],
  ['SET', '?', 'v'], ['SET', '?', 'v', 'GET'], ['GETSET', '?', 'v'], ['GETDEL', '?'], ['GETEX', '?', 'PX', '100'], ['INCR', '?'], ['APPEND', '?', 'a'],
  ['SETRANGE', '?', '1', 'a'], ['SETBIT', '?', '1', '1'], ['BITFIELD', '?', 'SET', 'u8', '0', '1'], ['BITOP', 'AND', '?', '?', 'e'], ['PFADD', '?', 'a'], ['PFMERGE', '?', '?'],
  ['MSETNX', '?', 'a', '?', 'b'], ['SETNX', '?', 'a'], ['INCRBYFLOAT', '?', '1.5'],
  // keys and expiry
  ['EXISTS', '?', 'e', '?'], ['TYPE', '?'], ['TTL', '?'], ['PTTL', '?'], ['EXPIRETIME', '?'], ['PEXPIRETIME', '?'], ['DUMP', '?'], ['TOUCH', '?', 'e'],
  ['OBJECT', 'ENCODING', '?'], ['MEMORY', 'USAGE', '?'], ['GET', 'expiring'],
  ['DEL', '?'], ['UNLINK', '?'], ['EXPIRE', '?', '10'], ['PERSIST', '?'], ['COPY', '?', '?'], ['COPY', 'e', '?'], ['RENAME', '?', '?'], ['RENAMENX', '?', '?'],
  ['RESTORE', '?', '0', 'bad'], ['SORT', '?'], ['SORT_RO', '?'], ['SORT', 'l', 'BY', 'nosort', 'GET', 'w_*'], ['SORT', 'l', 'BY', 'w_*', 'STORE', '?'],
  // lists
  ['LRANGE', '?', '0', '-1'], ['LLEN', '?'], ['LINDEX', '?', '0'], ['LPOS', '?', 'a'], ['LPOP', '?'], ['RPOP', '?', '2'], ['LPUSHX', '?', 'a'],
  ['LREM', '?', '0', 'a'], ['LSET', '?', '0', 'a'], ['LTRIM', '?', '0', '1'], ['LINSERT', '?', 'BEFORE', 'a', 'b'], ['LMOVE', '?', '?', 'LEFT', 'RIGHT'],
  ['RPOPLPUSH', '?', 'l'], ['LMPOP', '2', '?', '?', 'LEFT'], ['BLPOP', '?', 'l', '0'],
  // sets
  ['SMEMBERS', '?'], ['SISMEMBER', '?', 'a'], ['SMISMEMBER', '?', 'a'], ['SCARD', '?'], ['SRANDMEMBER', '?'], ['SINTER', '?', 's'], ['SUNION', 's', '?'],
  ['SDIFF', 's', '?'], ['SINTERCARD', '2', '?', 's'], ['SSCAN', '?', '0'], ['SREM', '?', 'a'], ['SPOP', '?'], ['SMOVE', '?', 's', 'a'],
  ['SINTERSTORE', '?', '?', 's'], ['SUNIONSTORE', '?', 's', '?'], ['SDIFFSTORE', '?', 's', '?'],
  // hashes
  ['HGET', '?', 'f'], ['HMGET', '?', 'f'], ['HGETALL', '?'], ['HLEN', '?'], ['HEXISTS', '?', 'f'], ['HSTRLEN', '?', 'f'], ['HRANDFIELD', '?'], ['HKEYS', '?'],
  ['HSCAN', '?', '0'], ['HDEL', '?', 'f'], ['HSETNX', '?', 'f', 'v'], ['HINCRBY', '?', 'f', '1'],
  // sorted sets and geo
  ['ZRANGE', '?', '0', '-1'], ['ZSCORE', '?', 'a'], ['ZMSCORE', '?', 'a'], ['ZCARD', '?'], ['ZRANK', '?', 'a'], ['ZCOUNT', '?', '0', '1'], ['ZLEXCOUNT', '?', '-', '+'],
  ['ZRANGEBYSCORE', '?', '0', '1'], ['ZRANDMEMBER', '?'], ['ZSCAN', '?', '0'], ['ZUNION', '2', '?', 'z'], ['ZINTERCARD', '2', '?', 'z'], ['ZDIFF', '2', 'z', '?'],
  ['ZREM', '?', 'a'], ['ZPOPMIN', '?'], ['ZINCRBY', '?', '1', 'a'], ['ZMPOP', '2', '?', '?', 'MIN'], ['BZPOPMIN', '?', 'z', '0'],
  ['ZUNIONSTORE', '?', '2', '?', 'z'], ['ZINTERSTORE', '?', '2', 'z', '?'], ['ZDIFFSTORE', '?', '2', 'z', '?'], ['ZRANGESTORE', '?', '?', '0', '-1'],
  ['ZREMRANGEBYRANK', '?', '0', '1'], ['GEOPOS', '?', 'a'], ['GEODIST', '?', 'a', 'b'], ['GEOHASH', '?', 'a'],
  ['GEOSEARCH', '?', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'], ['GEOSEARCHSTORE', '?', '?', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
  ['GEORADIUS', '?', '0', '0', '1', 'km', 'STORE', '?'], ['GEORADIUS_RO', '?', '0', '0', '1', 'km'],
  // streams
  ['XRANGE', '?', '-', '+'], ['XREVRANGE', '?', '+', '-'], ['XLEN', '?'], ['XREAD', 'STREAMS', '?', 'x', '0', '0'], ['XINFO', 'STREAM', '?'], ['XINFO', 'GROUPS', '?'],
  ['XPENDING', '?', 'g'], ['XADD', '?', 'NOMKSTREAM', '*', 'f', 'v'], ['XADD', '?', '1-1', 'f', 'v'], ['XDEL', '?', '1-1'], ['XTRIM', '?', 'MAXLEN', '0'], ['XACK', '?', 'g', '1-1'],
  ['XCLAIM', '?', 'g', 'c', '0', '1-1'], ['XAUTOCLAIM', '?', 'g', 'c', '0', '0'], ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', '?', '>'],
  ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'x', '>'], ['XGROUP', 'CREATE', '?', 'g', '$'], ['XSETID', '?', '1-1'],
];

const keyOf = (i: number, k: number): string => `miss:${i}:${k}`;

function concrete(command: readonly string[], i: number): string[] {
  let k = 0;
  return command.map((part) => (part === '?' ? keyOf(i, k++) : part));
}

describeWithRedis('keymiss notifications against redis-server', (redis) => {
  test('every family reports the keys Redis reports, command by command', async () => {
    const client = redis().client;
    await client.flushall();
    await client.config('SET', 'notify-keyspace-events', 'Em');
    const subscriber = new Redis({ port: client.options.port ?? 0, host: '127.0.0.1', lazyConnect: true });
    await subscriber.connect();
    const received: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => received.push(message));
    await subscriber.subscribe('__keyevent@0__:keymiss', 'sentinel');
    const harness = new Harness({ notifyKeyspaceEvents: NotifyClass.keyevent | NotifyClass.keyMiss });
    const reported: string[] = [];
    harness.kv.events.sink = (channel, payload) => {
      if (Buffer.from(channel).toString('latin1') === '__keyevent@0__:keymiss') reported.push(Buffer.from(payload).toString('latin1'));
    };
    try {
      for (const args of setup) {
        await redisReply(redis(), args);
        harness.apply(...args);
      }
      harness.advance(10);
      await new Promise((resolve) => setTimeout(resolve, 10)); // let the key set with PX 1 expire on Redis too
      const mismatches: string[] = [];
      for (const [i, command] of commands.entries()) {
        const args = concrete(command, i);
        received.length = 0;
        reported.length = 0;
        await redisReply(redis(), args);
        await client.publish('sentinel', 'end');
        const deadline = Date.now() + 10_000;
        while (received[received.length - 1] !== 'end' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
        harness.apply(...args);
        const expected = received.slice(0, -1);
        if (JSON.stringify(reported) !== JSON.stringify(expected)) mismatches.push(`${args.join(' ')}: raftis ${JSON.stringify(reported)}, Redis ${JSON.stringify(expected)}`);
      }
      assert.deepEqual(mismatches, []);
    } finally {
      subscriber.disconnect();
    }
  });

  test('a read on the read path reports its misses on the node that served it', () => {
    const harness = new Harness({ notifyKeyspaceEvents: NotifyClass.keyspace | NotifyClass.keyMiss });
    const reported: string[] = [];
    harness.kv.events.sink = (channel, payload) => reported.push(`${Buffer.from(channel).toString('latin1')} ${Buffer.from(payload).toString('latin1')}`);
    harness.apply('SET', 'present', '1');
    harness.read('MGET', 'absent', 'present');
    harness.read('OBJECT', 'ENCODING', 'absent');
    assert.deepEqual(reported, ['__keyspace@0__:absent keymiss']);
  });
});
