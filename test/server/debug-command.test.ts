// DEBUG and OBJECT IDLETIME on a 1-node cluster beside a real redis-server: DEBUG refused by
// default with Redis 7.0's error; once enabled (--enable-debug-command yes, restarted), the
// subcommands raftis answers give Redis's replies byte for byte where they do not depend on
// the server's internals (PROTOCOL, SLEEP, errors, an empty keyspace's digest), and Redis's
// shapes where they do (OBJECT, DIGEST, DIGEST-VALUE). DEBUG SLEEP holds only its own
// connection. OBJECT IDLETIME counts from the key's last read or write on this node, and the
// reads Redis leaves untouched (TYPE, TTL, EXISTS, OBJECT) leave it.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { TestCluster } from '../support/cluster.js';
import { besideRedisPerSuite, bothReplies, replyDifferences } from '../support/beside-redis.js';
import { encode, RawConnection, type Resp } from '../support/raw-resp.js';
import { missingTool } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

const skip = missingTool('redis-server');

describe('DEBUG and OBJECT IDLETIME compared with redis-server', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  let debugEnabled = false;
  let raftis: RawConnection;
  let redis: RawConnection;

  besideRedisPerSuite({
    cluster: { nodeArgs: () => (debugEnabled ? ['--enable-debug-command', 'yes'] : []) },
    redisArgs: ['--enable-debug-command', 'yes'],
  }, (started) => ({ cluster, raftis, redis } = started));
  after(() => raftis?.close()); // the connection opened after the restart

  it('refuses DEBUG by default with Redis 7.0\'s error', async () => {
    const refused = await raftis.call('DEBUG', 'SLEEP', '0');
    assert.deepEqual(refused, { error: 'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.' });
    assert.deepEqual(await raftis.call('CONFIG', 'GET', 'enable-debug-command'), ['enable-debug-command', 'no']);
    assert.match(JSON.stringify(await raftis.call('CONFIG', 'SET', 'enable-debug-command', 'yes')), /can't set immutable config/);
    // Enabled from here on: at start-up only, as Redis's protected setting.
    raftis.close();
    debugEnabled = true;
    await cluster.restart('n1');
    await cluster.waitForLeader();
    raftis = await RawConnection.open(cluster.node('n1').port);
    assert.deepEqual(await raftis.call('CONFIG', 'GET', 'enable-debug-command'), ['enable-debug-command', 'yes']);
  });

  it('answers PROTOCOL, SLEEP, SET-ACTIVE-EXPIRE, CHANGE-REPL-ID, STRINGMATCH-TEST, ERROR, LOG, errors, and MEMORY DOCTOR byte for byte like Redis, in RESP2 and RESP3', async () => {
    const types = ['string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'true', 'false', 'verbatim', 'nosuchtype'];
    const resp2 = [
      ['FLUSHALL'], ['DEBUG', 'DIGEST'], ['DEBUG', 'DIGEST-VALUE', 'nokey'], ['MEMORY', 'DOCTOR'], ['MEMORY', 'PURGE'],
      ...types.map((type) => ['DEBUG', 'PROTOCOL', type]), ['DEBUG', 'PROTOCOL', 'attrib'], ['DEBUG', 'PROTOCOL', 'push'],
      ['DEBUG', 'SLEEP', '0'], ['DEBUG', 'SLEEP', 'x'], ['DEBUG', 'SLEEP', '0.01'], ['DEBUG', 'SET-ACTIVE-EXPIRE', '1'], ['DEBUG', 'CHANGE-REPL-ID'],
      ['DEBUG', 'STRINGMATCH-TEST'], ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '100'], ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', 'x'],
      ['DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '5gb'], ['DEBUG', 'ERROR', 'MYERR something bad'], ['DEBUG', 'ERROR'], ['DEBUG', 'LOG', 'hello'],
      ['DEBUG', 'SET-ACTIVE-EXPIRE', 'x'], ['DEBUG', 'STRINGMATCH-LEN'],
      ['DEBUG', 'OBJECT', 'nokey'], ['DEBUG', 'NOSUCHSUB'], ['DEBUG', 'SLEEP'], ['DEBUG'],
    ];
    const resp3 = [...types.map((type) => ['DEBUG', 'PROTOCOL', type]), ['DEBUG', 'PROTOCOL', 'attrib']];
    assert.deepEqual(await replyDifferences(raftis, redis, resp2), []);
    await bothReplies(raftis, redis, ['HELLO', '3']); // each server's own
    assert.deepEqual(await replyDifferences(raftis, redis, resp3), []);
    await bothReplies(raftis, redis, ['HELLO', '2']);
  });

  it('answers OBJECT, DIGEST and DIGEST-VALUE in Redis\'s shapes: equal values digest alike, the digest follows the data', async () => {
    const empty = await raftis.call('DEBUG', 'DIGEST');
    assert.equal(empty, '0'.repeat(40), 'an empty keyspace digests to zeros, as in Redis');
    await raftis.call('RPUSH', 'dbg:list', 'a', 'b', 'c');
    await raftis.call('RPUSH', 'dbg:copy', 'a', 'b', 'c');
    await raftis.call('SET', 'dbg:s', 'hello');
    const digest = await raftis.call('DEBUG', 'DIGEST');
    assert.match(String(digest), /^[0-9a-f]{40}$/);
    assert.notEqual(digest, empty);
    const values = await raftis.call('DEBUG', 'DIGEST-VALUE', 'dbg:list', 'dbg:copy', 'dbg:s', 'nokey') as Resp[];
    assert.equal(values.length, 4);
    assert.equal(values[0], values[1], 'equal lists digest alike');
    assert.notEqual(values[0], values[2]);
    assert.equal(values[3], '0'.repeat(40));
    await raftis.call('SET', 'dbg:s', 'changed');
    assert.notEqual(await raftis.call('DEBUG', 'DIGEST'), digest);
    const line = /^Value at:0x[0-9a-f]+ refcount:(\d+) encoding:(\w+) serializedlength:(\d+) lru:(\d+) lru_seconds_idle:(\d+)$/;
    // A long string's serialized length is not compared: Redis LZF-compresses it in an RDB, raftis does not.
    for (const [key, value, compared] of [['dbg:s', 'hello', 4], ['dbg:n', '12345', 4], ['dbg:long', 'x'.repeat(100), 3]] as const) {
      const [ours, theirs] = await Promise.all([raftis, redis].map(async (connection) => {
        await connection.call('SET', key, value);
        return line.exec(String(await connection.call('DEBUG', 'OBJECT', key)));
      }));
      assert.ok(ours !== null && ours !== undefined && theirs !== null && theirs !== undefined, `Redis's line for ${key}`);
      assert.deepEqual(ours.slice(1, compared), theirs.slice(1, compared), `${key}: Redis's refcount, encoding and serialized length`);
      assert.ok(Number(ours[5]) <= 1, `${key} was just written`);
    }
  });

  it('DEBUG SLEEP holds its own connection only, and counts as its execution in SLOWLOG', async () => {
    const other = await RawConnection.open(cluster.node('n1').port);
    try {
      const started = Date.now();
      raftis.write(encode(['DEBUG', 'SLEEP', '2']));
      const slept = raftis.read(10_000).then((frame) => ({ value: frame.value, at: Date.now() }));
      assert.equal(await other.call('PING'), 'PONG');
      const pongAt = Date.now();
      const { value, at } = await slept;
      assert.equal(value, 'OK');
      assert.ok(pongAt < at, 'another client was served during the sleep');
      assert.ok(at - started >= 2000, 'the sleeping connection waited');
      // Its sleep is its execution, as Redis's: the slow log has it, alone or inside EXEC (EXEC itself is not logged).
      assert.equal(await other.call('CONFIG', 'SET', 'slowlog-log-slower-than', '100000'), 'OK');
      assert.equal(await other.call('SLOWLOG', 'RESET'), 'OK');
      assert.equal(await other.call('DEBUG', 'SLEEP', '0.2'), 'OK');
      for (const argv of [['MULTI'], ['DEBUG', 'SLEEP', '0.2'], ['EXEC']]) await other.call(...argv);
      const logged = await other.call('SLOWLOG', 'GET') as Resp[][];
      assert.deepEqual(logged.map((entry) => entry[3]), [['DEBUG', 'SLEEP', '0.2'], ['DEBUG', 'SLEEP', '0.2']]);
      assert.ok(logged.every((entry) => Number(entry[2]) >= 200_000), 'each logged with its 0.2 s');
      assert.equal(await other.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000'), 'OK');
    } finally {
      other.close();
    }
  });

  it('OBJECT IDLETIME counts from the last access; TYPE, TTL, EXISTS and OBJECT do not touch, GET and TOUCH do; CLIENT NO-TOUCH', async () => {
    await raftis.call('SET', 'idle:k', 'v');
    await waitFor('the key to be idle 2 s', async () => Number(await raftis.call('OBJECT', 'IDLETIME', 'idle:k')) >= 2, { timeoutMs: 10_000, intervalMs: 200 });
    for (const argv of [['TYPE', 'idle:k'], ['TTL', 'idle:k'], ['PTTL', 'idle:k'], ['EXISTS', 'idle:k'], ['OBJECT', 'ENCODING', 'idle:k']]) await raftis.call(...argv);
    assert.ok(Number(await raftis.call('OBJECT', 'IDLETIME', 'idle:k')) >= 2, 'untouched by TYPE, TTL, EXISTS, OBJECT');
    await raftis.call('GET', 'idle:k');
    assert.ok(Number(await raftis.call('OBJECT', 'IDLETIME', 'idle:k')) < 2, 'GET touched it');
    await waitFor('the key to be idle 2 s again', async () => Number(await raftis.call('OBJECT', 'IDLETIME', 'idle:k')) >= 2, { timeoutMs: 10_000, intervalMs: 200 });
    await raftis.call('TOUCH', 'idle:k');
    assert.ok(Number(await raftis.call('OBJECT', 'IDLETIME', 'idle:k')) < 2, 'TOUCH touched it');
    // CLIENT NO-TOUCH (Redis 7.2): that client's reads leave the access time, TOUCH aside.
    const quiet = await RawConnection.open(cluster.node('n1').port);
    try {
      assert.equal(await quiet.call('CLIENT', 'NO-TOUCH', 'ON'), 'OK');
      assert.match(String(await quiet.call('CLIENT', 'INFO')), / flags=T /);
      await waitFor('the key to be idle 2 s once more', async () => Number(await raftis.call('OBJECT', 'IDLETIME', 'idle:k')) >= 2, { timeoutMs: 10_000, intervalMs: 200 });
      assert.equal(await quiet.call('GET', 'idle:k'), 'v');
      assert.ok(Number(await raftis.call('OBJECT', 'IDLETIME', 'idle:k')) >= 2, 'a NO-TOUCH client\'s GET left it');
      await quiet.call('TOUCH', 'idle:k');
      assert.ok(Number(await raftis.call('OBJECT', 'IDLETIME', 'idle:k')) < 2, 'its TOUCH touched it');
      assert.deepEqual(await quiet.call('CLIENT', 'NO-TOUCH', 'maybe'), { error: 'ERR syntax error' });
    } finally {
      quiet.close();
    }
    assert.deepEqual(await raftis.call('OBJECT', 'IDLETIME', 'idle:none'), null);
    assert.match(JSON.stringify(await raftis.call('OBJECT', 'FREQ', 'idle:k')), /An LFU maxmemory policy is not selected/);
  });
});
