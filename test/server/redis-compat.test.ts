// Connection and server commands compared with a real redis-server: the same command
// sequences go to a 1-node raftis cluster and to redis-server (one database, persistence
// off), and the replies must match byte for byte, or in shape where the values are the
// server's own (ids, versions, clocks). Where raftis differs on purpose, its documented
// behaviour is asserted instead.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestCluster } from '../support/cluster.js';
import { besideRedisPerSuite, bothReplies, replyDifferences } from '../support/beside-redis.js';
import { encode, parseFrame, RawConnection, type Resp } from '../support/raw-resp.js';
import { missingTool, type RedisServer } from '../support/redis-server.js';

const skip = missingTool('redis-server');

const both = bothReplies;

function text(raw: Buffer): string {
  return raw.toString('latin1');
}

function mapOf(value: Resp): Map<string, Resp> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'map' in value) return new Map(value.map.map(([k, v]) => [String(k), v]));
  assert.ok(Array.isArray(value) && value.length % 2 === 0, `expected a map or a flat key/value array, got ${JSON.stringify(value)}`);
  const out = new Map<string, Resp>();
  for (let i = 0; i < value.length; i += 2) out.set(String(value[i]), value[i + 1] ?? null);
  return out;
}

describe('connection and server commands compared with redis-server', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  let redisServer: RedisServer;
  let raftis: RawConnection;
  let redis: RawConnection;

  besideRedisPerSuite({}, (started) => ({ cluster, redisServer, raftis, redis } = started));

  /** Sends `calls` in RESP2, then in RESP3, to both servers: every reply must be the same bytes. */
  async function sameInBothProtocols(calls: readonly string[][]): Promise<void> {
    for (const version of ['2', '3']) {
      await both(raftis, redis, ['HELLO', version]);
      for (const argv of calls) {
        const [ours, theirs] = await both(raftis, redis, argv);
        assert.equal(text(ours), text(theirs), `RESP${version}: ${argv.join(' ')}`);
      }
    }
    await both(raftis, redis, ['RESET']);
  }

  it('answers PING, ECHO, SELECT, CLIENT, CONFIG GET, DBSIZE and error texts byte for byte like Redis', async () => {
    const sequences: string[][] = [
      ['PING'], ['PING', 'hello world'], ['PING', 'a', 'b'], ['ping'],
      ['ECHO', 'x y'], ['ECHO', ''], ['ECHO'], ['ECHO', 'a', 'b'],
      ['SELECT', '0'], ['SELECT', '1'], ['SELECT', '-1'], ['SELECT', 'x'], ['SELECT'],
      ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME', 'worker-1'], ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', 'has space'], ['CLIENT', 'SETNAME', 'new\nline'], ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME', '\u0001'], ['CLIENT', 'SETNAME', 'caf\u00e9'], ['CLIENT', 'SETNAME', '~!{}'], ['CLIENT', 'GETNAME'],
      ['HELLO', '2', 'SETNAME', 'bad name'], ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME', ''], ['CLIENT', 'GETNAME'],
      ['CLIENT', 'SETNAME'], ['CLIENT'], ['CLIENT', 'NOSUCHSUB'],
      ['HELLO', '4'], ['HELLO', '0'], ['HELLO', 'x'],
      ['CONFIG', 'GET', 'save'], ['CONFIG', 'GET', 'nosuchsetting'], ['CONFIG', 'GET'], ['CONFIG', 'GET', 'databases'],
      ['DBSIZE'], ['DBSIZE', 'extra'],
      ['AUTH', 'secret'], ['AUTH', 'default', 'anything'], ['AUTH', 'nosuchuser', 'x'], ['AUTH'], ['AUTH', 'a', 'b', 'c'],
      ['NOSUCHCOMMAND'], ['NOSUCHCOMMAND', 'a', 'b c'], ['nosuchcommand', 'x'],
      ['COMMAND', 'COUNT', 'x'], ['COMMAND', 'NOSUCHSUB'], ['CONFIG'], ['CONFIG', 'NOSUCHSUB'], ['CONFIG', 'GET', 'nosuch', 'alsonosuch'],
      ['CLIENT', 'ID', 'x'], ['CLIENT', 'GETNAME', 'x'], ['RESET', 'x'], ['INFO', 'a', 'b', 'c', 'd'],
      ['GET'], ['SET', 'k'], ['INCR'], ['MSET', 'a'], ['MGET'], ['DEL'], ['TIME', 'extra'],
      ['SET', 'compat:k', 'v'], ['DBSIZE'], ['GET', 'compat:k'], ['SET', 'compat:k', 'v', 'BADOPTION'],
      ['INCR', 'compat:k'], ['RESET'], ['CLIENT', 'GETNAME'],
    ];
    assert.deepEqual(await replyDifferences(raftis, redis, sequences), []);
  });

  it('answers transactions, unknown commands and SELECT byte for byte like Redis (cases the differential fuzzer found)', async () => {
    const sequences: string[][] = [
      // Only the arity is checked when queueing: a bad argument is an error inside EXEC's reply.
      ['MULTI'], ['SET', 'fz:k', '1'], ['EXPIRE', 'fz:k', '1.5'], ['EXEC'],
      // An unknown command inside MULTI gets Redis's unknown-command text and aborts.
      ['MULTI'], ['NOSUCHCOMMAND', 'x'], ['EXEC'],
      // EXEC with arguments discards the transaction, in or out of MULTI.
      ['EXEC', 'x'], ['MULTI'], ['SET', 'fz:k', '2'], ['EXEC', 'x'], ['EXEC'], ['GET', 'fz:k'],
      // An arity error of MULTI, WATCH, DISCARD or RESET inside MULTI aborts the transaction.
      ['MULTI'], ['MULTI', 'x'], ['EXEC'], ['MULTI'], ['WATCH'], ['EXEC'], ['MULTI'], ['DISCARD', 'x'], ['EXEC'],
      ['MULTI'], ['RESET', 'x'], ['SET', 'fz:k', '3'], ['EXEC'], ['GET', 'fz:k'],
      // UNWATCH inside MULTI is queued (OK in EXEC's reply) and does not end the watch.
      ['SET', 'fz:w', '1'], ['WATCH', 'fz:w'], ['SET', 'fz:w', '2'], ['MULTI'], ['UNWATCH'], ['GET', 'fz:w'], ['EXEC'],
      ['MULTI'], ['UNWATCH'], ['SET', 'fz:k', '4'], ['UNWATCH'], ['EXEC'],
      // Client bytes in errors: as received (not UTF-8 re-encoded), up to a NUL, at most 128 of them.
      ['NOSUCH\u00ff\u0000X', 'a\u0000b', '\u00e9'], ['NOSUCHCOMMAND', 'x'.repeat(100), 'y'.repeat(100), 'z'], ['N'.repeat(200)],
      ['CLIENT', 'NO\u0000SUCH'], ['CLIENT', 'INFO', 'x'], ['CLIENT', 'LIST', 'x'],
      ['SELECT', '2147483647'], ['SELECT', '2147483648'], ['SELECT', '-2147483649'], ['SELECT', '9223372036854775807'], ['SELECT', '9223372036854775808'],
    ];
    assert.deepEqual(await replyDifferences(raftis, redis, sequences), []);
  });

  // OBJECT ENCODING is decided from the value and the thresholds when asked; Redis converts a
  // value only when it is written, so after a CONFIG SET of a threshold an unchanged value
  // may still show its old encoding there.
  it('answers MULTI with server commands queued, OBJECT and SAVE in MULTI byte for byte like Redis', async () => {
    const bigHash = Array.from({ length: 600 }, (_, i) => [`f${i}`, 'v']).flat();
    const sequences: string[][] = [
      ['MULTI'], ['PING'], ['ECHO', 'x'], ['SET', 'ob:s', '1'], ['CLIENT', 'GETNAME'], ['INCR', 'ob:s'], ['EXEC'],
      ['MULTI'], ['SET', 'ob:s', '2'], ['SAVE'], ['EXEC'], ['GET', 'ob:s'],
      ['MULTI'], ['SET', 'ob:s', '3'], ['CONFIG', 'SET', 'maxmemory', 'bla'], ['EXEC'],
      ['CONFIG', 'SET', 'nosuch', '1'], ['CONFIG', 'SET', 'maxmemory', '1mb', 'maxmemory', '2mb'], ['CONFIG', 'SET', 'maxmemory-policy', 'bogus'],
      ['CONFIG', 'SET', 'maxmemory'], ['CONFIG', 'SET', 'maxmemory', '1mb', 'x'], ['CONFIG', 'SET', 'maxmemory', '3mb'], ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'SET', 'maxmemory', '0'], ['CONFIG', 'GET', 'maxmemory-policy'], ['CONFIG', 'RESETSTAT', 'x'],
      ['SET', 'ob:int', '12'], ['SET', 'ob:bigint', '123456'], ['SET', 'ob:neg', '-5'], ['SET', 'ob:lead', '012'], ['SET', 'ob:short', 'hello'],
      ['SET', 'ob:long', 'x'.repeat(45)], ['SET', 'ob:edge', 'y'.repeat(44)],
      ['RPUSH', 'ob:list', 'a'], ['HSET', 'ob:hash', 'f', 'v'], ['HSET', 'ob:bighash', ...bigHash], ['HSET', 'ob:longhash', 'f', 'v'.repeat(65)],
      ['SADD', 'ob:ints', '1', '2', '3'], ['SADD', 'ob:mixed', '1', 'a'], ['ZADD', 'ob:z', '1', 'a'], ['ZADD', 'ob:longz', '1', 'm'.repeat(65)],
      ...['ob:int', 'ob:bigint', 'ob:neg', 'ob:lead', 'ob:short', 'ob:long', 'ob:edge', 'ob:list', 'ob:hash', 'ob:bighash', 'ob:longhash', 'ob:ints',
        'ob:mixed', 'ob:z', 'ob:longz', 'ob:none'].flatMap((key) => [['OBJECT', 'ENCODING', key], ['OBJECT', 'REFCOUNT', key]]),
      ['OBJECT', 'FREQ', 'ob:int'], ['OBJECT', 'FREQ', 'ob:none'], ['OBJECT'], ['OBJECT', 'ENCODING'], ['OBJECT', 'NOSUCH', 'x'], ['OBJECT', 'HELP'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '0'], ['HSET', 'ob:small', 'f', 'v'], ['OBJECT', 'ENCODING', 'ob:small'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '512'],
    ];
    assert.deepEqual(await replyDifferences(raftis, redis, sequences, (argv) => argv.slice(0, 4)), []);
  });

  it('answers HELLO 2 and HELLO 3 with the keys and types clients rely on', async () => {
    for (const version of ['3', '2']) {
      const [ours, theirs] = await both(raftis, redis, ['HELLO', version]);
      assert.equal(ours[0], theirs[0], `HELLO ${version}: same reply type (${text(ours).slice(0, 3)} vs ${text(theirs).slice(0, 3)})`);
      assert.equal(text(ours)[0], version === '3' ? '%' : '*');
      const raftisReply = reparse(ours);
      const redisReply = reparse(theirs);
      const a = mapOf(raftisReply);
      const b = mapOf(redisReply);
      assert.deepEqual([...a.keys()], [...b.keys()], 'same keys in the same order');
      assert.deepEqual([...a.keys()], ['server', 'version', 'proto', 'id', 'mode', 'role', 'modules']);
      assert.equal(a.get('server'), 'redis');
      assert.match(String(a.get('version')), /^\d+\.\d+\.\d+$/);
      assert.equal(a.get('proto'), Number(version));
      assert.equal(typeof a.get('id'), 'number');
      assert.equal(a.get('mode'), b.get('mode'));
      assert.equal(a.get('role'), 'master', 'a 1-node cluster leader reports master');
      assert.deepEqual(a.get('modules'), []);
      // The id in HELLO is the one CLIENT ID returns on the same connection.
      assert.equal(await raftis.call('CLIENT', 'ID'), a.get('id'));
    }
    // HELLO 3 switched the protocol: a null is now RESP3's `_`, as in Redis.
    await both(raftis, redis, ['HELLO', '3']);
    const [ours, theirs] = await both(raftis, redis, ['GET', 'compat:missing']);
    assert.equal(text(ours), '_\r\n');
    assert.equal(text(ours), text(theirs));
    const [ours2, theirs2] = await both(raftis, redis, ['RESET']);
    assert.equal(text(ours2), text(theirs2));
    const [ours3, theirs3] = await both(raftis, redis, ['GET', 'compat:missing']);
    assert.equal(text(ours3), '$-1\r\n', 'RESET goes back to RESP2');
    assert.equal(text(ours3), text(theirs3));
  });

  it('answers geo coordinates as RESP3 doubles and distances as bulk strings, byte for byte like Redis in RESP2 and RESP3', async () => {
    const calls = [
      ['DEL', 'compat:geo'], ['GEOADD', 'compat:geo', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania', '-180', '-85.05112878', 'corner'],
      ['GEOPOS', 'compat:geo', 'Palermo', 'nosuch', 'corner'], ['GEOPOS', 'compat:nokey', 'a'], ['GEODIST', 'compat:geo', 'Palermo', 'Catania', 'km'],
      ['GEORADIUS', 'compat:geo', '15', '37', '200', 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH', 'ASC'],
      ['GEORADIUSBYMEMBER', 'compat:geo', 'Palermo', '200', 'km', 'WITHCOORD', 'DESC'], ['GEORADIUS_RO', 'compat:geo', '15', '37', '200', 'km', 'WITHCOORD', 'ASC'],
      ['GEOSEARCH', 'compat:geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'WITHDIST', 'WITHCOORD', 'ASC'],
      ['GEOSEARCH', 'compat:geo', 'FROMMEMBER', 'Catania', 'BYBOX', '400', '400', 'km', 'WITHCOORD', 'ASC'],
      ['EVAL', "return redis.call('GEOPOS', KEYS[1], 'Palermo')", '1', 'compat:geo'],
    ];
    await sameInBothProtocols(calls);
  });

  it('answers CLIENT TRACKINGINFO and GETREDIR, WAIT\'s and FAILOVER\'s argument errors byte for byte like Redis in RESP2 and RESP3', async () => {
    // One node, so no replicas: FAILOVER's checks stop where Redis's do on a master without any.
    const calls = [
      ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'GETREDIR'], ['CLIENT', 'TRACKINGINFO', 'x'], ['CLIENT', 'GETREDIR', 'x'],
      ['WAIT', '0', '0'], ['WAIT', '-1', '0'], ['WAIT', '0', 'abc'], ['WAIT', 'abc', '0'], ['WAIT', '0', '-1'], ['WAIT', '1'],
      ['FAILOVER'], ['FAILOVER', 'ABORT'], ['FAILOVER', 'ABORT', 'FORCE'], ['FAILOVER', 'TIMEOUT', '0'], ['FAILOVER', 'TIMEOUT', '-5'],
      ['FAILOVER', 'TIMEOUT', 'abc'], ['FAILOVER', 'TIMEOUT'], ['FAILOVER', 'FORCE'], ['FAILOVER', 'FORCE', 'FORCE'],
      ['FAILOVER', 'TO', '127.0.0.1', 'abc'], ['FAILOVER', 'TO', '127.0.0.1'], ['FAILOVER', 'TO', '127.0.0.1', '1', 'FORCE'], ['FAILOVER', 'NOSUCH'],
    ];
    await sameInBothProtocols(calls);
  });

  it('answers HELLO with SETNAME and CLIENT ID like Redis', async () => {
    const [ours] = await both(raftis, redis, ['HELLO', '2', 'SETNAME', 'via-hello']);
    assert.equal(text(ours)[0], '*');
    const [name, theirName] = await both(raftis, redis, ['CLIENT', 'GETNAME']);
    assert.equal(text(name), '$9\r\nvia-hello\r\n');
    assert.equal(text(name), text(theirName));
    const [badOption, theirBadOption] = await both(raftis, redis, ['HELLO', '2', 'NOSUCHOPTION']);
    assert.equal(text(badOption), text(theirBadOption));
    const first = await raftis.call('CLIENT', 'ID');
    const other = await RawConnection.open(cluster.node('n1').port);
    const second = await other.call('CLIENT', 'ID');
    other.close();
    assert.equal(typeof first, 'number');
    assert.equal(typeof second, 'number');
    assert.notEqual(first, second, 'each connection has its own id');
    await both(raftis, redis, ['RESET']);
  });

  it('answers TIME, COMMAND COUNT, COMMAND INFO and CONFIG GET with the same shapes as Redis', async () => {
    const [time] = await both(raftis, redis, ['TIME']);
    const [seconds, micros] = reparse(time) as [string, string];
    assert.match(seconds, /^\d+$/);
    assert.match(micros, /^\d{1,6}$/);
    assert.ok(Math.abs(Number(seconds) - Date.now() / 1000) < 60, `TIME ${seconds} is the wall clock`);

    const [count] = await both(raftis, redis, ['COMMAND', 'COUNT']);
    const commands = reparse(count);
    assert.equal(typeof commands, 'number');
    assert.ok((commands as number) > 0);

    const listed = reparse((await both(raftis, redis, ['COMMAND']))[0]) as Resp[][];
    assert.equal(listed.length, commands, 'COMMAND lists COMMAND COUNT commands');
    const names = listed.map((entry) => entry[0]);
    for (const name of ['get', 'set', 'incr', 'mset', 'mget', 'del', 'expire']) assert.ok(names.includes(name), `COMMAND lists ${name}`);
    assert.ok(!names.includes('raftis.expire'), 'internal commands are not listed');
    assert.deepEqual(await raftis.call('COMMAND', 'INFO', 'raftis.expire'), [null]);

    const [info, theirInfo] = await both(raftis, redis, ['COMMAND', 'INFO', 'get', 'set', 'nosuchcommand']);
    const ours = reparse(info) as Resp[][];
    const theirs = reparse(theirInfo) as Resp[][];
    assert.equal(ours.length, 3);
    // name, arity, flags, first key, last key, step: what clients use to find keys.
    for (const i of [0, 1]) assert.deepEqual(ours[i]?.slice(0, 6), theirs[i]?.slice(0, 6), `COMMAND INFO entry ${i}`);
    assert.equal(ours[2], null);
    assert.equal(theirs[2], null);

    const [appendonly] = await both(raftis, redis, ['CONFIG', 'GET', 'appendonly']);
    // raftis always keeps a write-ahead log: appendonly is "yes" (Redis here runs with it off).
    assert.deepEqual(reparse(appendonly), ['appendonly', 'yes']);
    const [many, theirMany] = await both(raftis, redis, ['CONFIG', 'GET', 'save', 'maxmemory']);
    assert.deepEqual([...mapOf(reparse(many)).keys()].sort(), [...mapOf(reparse(theirMany)).keys()].sort());
  });

  it('closes the connection after QUIT with +OK, like Redis', async () => {
    const a = await RawConnection.open(cluster.node('n1').port);
    const b = await RawConnection.open(redisServer.port);
    // A command pipelined after QUIT is not run.
    a.write(encode(['QUIT']));
    a.write(encode(['SET', 'after:quit', '1']));
    b.write(encode(['QUIT']));
    assert.equal(text((await a.read()).raw), '+OK\r\n');
    assert.equal(text((await b.read()).raw), '+OK\r\n');
    await Promise.all([a.waitClosed(), b.waitClosed()]);
    assert.equal(a.pending(), '');
    assert.equal(await raftis.call('EXISTS', 'after:quit'), 0);
  });

  it('has RAFT.* commands that Redis does not', async () => {
    for (const argv of [['RAFT.LEADER'], ['RAFT.INFO'], ['RAFT.DIGEST']]) {
      const [ours, theirs] = await both(raftis, redis, argv);
      assert.match(text(theirs), new RegExp(`^-ERR unknown command '${argv[0]?.replace('.', '\\.')}'`));
      assert.notEqual(text(ours)[0], '-', `${argv[0]} answers on raftis: ${text(ours)}`);
    }
    assert.equal(await raftis.call('RAFT.LEADER'), 'n1');
  });
});

function reparse(raw: Buffer): Resp {
  const parsed = parseFrame(raw, 0);
  assert.ok(parsed !== null);
  return parsed.value;
}
