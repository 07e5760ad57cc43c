// Keyspace notifications against a real redis-server, command by command, for every family:
// key misses (class m: `__keyevent@0__:keymiss`) on keys that do not exist, reported for the
// same keys in the same order as Redis (reads through their lookups, Redis's lookupKeyRead;
// writes only for the keys they read as sources), and every other class's messages
// (keyspace and keyevent, `new` included) for writes on missing and on existing keys.
// Skipped when redis-server is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Harness } from './harness.js';
import { describeWithRedis, redisReply } from './redis-compare-support.js';
import type { RedisInstance } from './redis-server.js';
import { NotifyClass, parseNotifyFlags } from '../../src/kv/keyspace-events.js';

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

/** Commands on keys that exist (created by `setup`), in an order whose state both sides share: every family's events. */
const onExisting: readonly string[][] = [
  ['SET', 'e', '5'], ['APPEND', 'e', '1'], ['INCRBY', 'e', '2'], ['INCRBYFLOAT', 'e', '0.5'], ['SETRANGE', 'e', '0', 'x'], ['SETBIT', 'e', '3', '1'],
  ['GETEX', 'e', 'EX', '100'], ['PERSIST', 'e'], ['GETSET', 'e', '9'], ['EXPIRE', 'e', '100'], ['RENAME', 'e', 'e2'], ['COPY', 'e2', 'e3'], ['DEL', 'e2', 'e3'],
  ['MSET', 'a1', '1', 'a2', '2'], ['PEXPIRE', 'a1', '0'], ['GETDEL', 'a2'], ['SET', 'p', '1', 'PX', '100000'], ['PEXPIREAT', 'p', '1'],
  ['LPUSH', 'l', 'x'], ['RPUSH', 'l', 'y', 'z'], ['LSET', 'l', '0', 'w'], ['LINSERT', 'l', 'BEFORE', 'w', 'v'], ['LREM', 'l', '1', 'z'], ['LTRIM', 'l', '0', '3'],
  ['RPOPLPUSH', 'l', 'l2'], ['LMOVE', 'l', 'l2', 'LEFT', 'RIGHT'], ['LMPOP', '1', 'l', 'RIGHT', 'COUNT', '10'], ['LPOP', 'l2', '5'], ['SORT', 'l2', 'ALPHA', 'STORE', 'ls'],
  ['SADD', 's', 'b', 'c'], ['SREM', 's', 'c'], ['SMOVE', 's', 's2', 'b'], ['SINTERSTORE', 's3', 's', 's2'], ['SUNIONSTORE', 's3', 's', 's2'], ['SDIFFSTORE', 's4', 's2', 's2'], ['SPOP', 's', '5'],
  ['HSET', 'h', 'g', '1'], ['HSETNX', 'h', 'k', 'v'], ['HINCRBY', 'h', 'g', '2'], ['HINCRBYFLOAT', 'h', 'g', '0.5'], ['HDEL', 'h', 'f', 'g', 'k'],
  ['ZADD', 'z2', '1', 'a', '2', 'b', '3', 'c'], ['ZADD', 'z2', 'INCR', '5', 'a'], ['ZINCRBY', 'z2', '1', 'b'], ['ZREM', 'z2', 'c'], ['ZUNIONSTORE', 'z3', '1', 'z2'],
  ['ZINTERSTORE', 'z4', '1', 'z2'], ['ZDIFFSTORE', 'z5', '1', 'z2'], ['ZRANGESTORE', 'z6', 'z2', '0', '-1'], ['ZREMRANGEBYSCORE', 'z3', '0', '3'], ['ZREMRANGEBYRANK', 'z4', '0', '0'],
  ['ZREMRANGEBYLEX', 'z5', '-', '+'], ['ZPOPMAX', 'z2'], ['ZMPOP', '1', 'z2', 'MIN'], ['GEOADD', 'geo', '1', '1', 'b'], ['GEOSEARCHSTORE', 'geo2', 'geo', 'FROMLONLAT', '0', '0', 'BYRADIUS', '500', 'km'],
  ['PFADD', 'hll', 'a'], ['PFMERGE', 'hll2', 'hll'], ['BITOP', 'OR', 'bits', 'hll'], ['BITFIELD', 'bf', 'SET', 'u8', '0', '5'],
  ['XADD', 'x', '2-1', 'f', 'v'], ['XADD', 'x', 'MAXLEN', '1', '3-1', 'f', 'v'], ['XADD', 'x', '4-1', 'f', 'v'], ['XDEL', 'x', '3-1'], ['XTRIM', 'x', 'MAXLEN', '5'],
  ['XSETID', 'x', '9-9'], ['XGROUP', 'CREATE', 'x', 'g2', '$'], ['XGROUP', 'CREATECONSUMER', 'x', 'g2', 'alice'], ['XGROUP', 'SETID', 'x', 'g2', '0'],
  ['XREADGROUP', 'GROUP', 'g2', 'bob', 'STREAMS', 'x', '>'], ['XCLAIM', 'x', 'g2', 'carol', '0', '4-1'], ['XAUTOCLAIM', 'x', 'g2', 'dave', '0', '0'], ['XACK', 'x', 'g2', '4-1'],
  ['XGROUP', 'DELCONSUMER', 'x', 'g2', 'alice'], ['XGROUP', 'DESTROY', 'x', 'g2'], ['XGROUP', 'CREATE', 'newstream', 'g', '$', 'MKSTREAM'], ['XTRIM', 'x', 'MAXLEN', '0'],
  ['UNLINK', 'geo2', 'newstream'], ['FLUSHALL'],
];

/** Subscribes to every keyspace channel on Redis and on a harness, runs `list` on both, and returns each command whose messages differ. */
async function compareEvents(redis: RedisInstance, flags: string, list: readonly string[][], fresh: boolean): Promise<string[]> {
  const client = redis.client;
  await client.flushall();
  await client.config('SET', 'notify-keyspace-events', flags);
  const subscriber = new Redis({ port: client.options.port ?? 0, host: '127.0.0.1', lazyConnect: true });
  await subscriber.connect();
  const received: string[] = [];
  // The setup's expiring key expires on Redis whenever its active expiry finds it; raftis's
  // expiry is a log decision of its own timing (the leader's), so its events are left out.
  const timed = (message: string): boolean => message.includes('expired expiring') || message.includes('expiring expired');
  subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => {
    if (!timed(`${channel} ${message}`)) received.push(`${channel} ${message}`);
  });
  await subscriber.psubscribe('__key*__:*', 'sentinel');
  const harness = new Harness({ notifyKeyspaceEvents: parseNotifyFlags(flags) ?? 0 });
  const reported: string[] = [];
  harness.kv.events.sink = (channel, payload) => {
    const message = `${Buffer.from(channel).toString('latin1')} ${Buffer.from(payload).toString('latin1')}`;
    if (!timed(message)) reported.push(message);
  };
  const mismatches: string[] = [];
  try {
    for (const args of setup) {
      await redisReply(redis, args);
      harness.apply(...args);
    }
    harness.advance(10);
    await new Promise((resolve) => setTimeout(resolve, 10)); // let the key set with PX 1 expire on Redis too
    for (const [i, command] of list.entries()) {
      const args = fresh ? concrete(command, i) : [...command];
      received.length = 0;
      reported.length = 0;
      await redisReply(redis, args);
      await client.publish('sentinel', 'end');
      const deadline = Date.now() + 10_000;
      while (received[received.length - 1] !== 'sentinel end' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
      harness.apply(...args);
      const expected = received.slice(0, -1);
      if (JSON.stringify(reported) !== JSON.stringify(expected)) mismatches.push(`${args.join(' ')}: raftis ${JSON.stringify(reported)}, Redis ${JSON.stringify(expected)}`);
    }
  } finally {
    subscriber.disconnect();
  }
  return mismatches;
}

describeWithRedis('keyspace notifications against redis-server', (redis) => {
  test('key misses: every family reports the keys Redis reports, command by command', async () => {
    assert.deepEqual(await compareEvents(redis(), 'Em', commands, true), []);
  });

  test('every event class, on missing keys and on existing ones, command by command', async () => {
    const mismatches = [...await compareEvents(redis(), 'KEA', commands, true), ...await compareEvents(redis(), 'KEAnm', onExisting, false)];
    assert.deepEqual(mismatches, []);
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
