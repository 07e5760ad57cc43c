// Scripts and functions on a real 3-node cluster: a script loaded on one node runs by its
// SHA-1 on every node, also after the leader is killed and on a node restarted from a
// snapshot; random numbers, TIME and SPOP inside a script leave every replica with the same
// state; read-only scripts and functions are served by followers; ioredis's defineCommand
// (EVALSHA, then EVAL on NOSCRIPT) works as applications use it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { waitFor } from '../support/wait.js';

const rmw = "local v = redis.call('incr', KEYS[1]) redis.call('expire', KEYS[1], 100) return v";
const mixed = "redis.call('sadd', KEYS[1], 'a', 'b', 'c', 'd', 'e', 'f') local p = redis.call('spop', KEYS[1]) " +
  "redis.call('set', KEYS[2], tostring(math.random()) .. ':' .. redis.call('time')[1] .. ':' .. p) " +
  "redis.call('set', KEYS[3], 'before the error') redis.call('lpush', KEYS[2], 'x') redis.call('set', KEYS[3], 'never')";

describe('scripts and functions on a 3-node cluster', () => {
  let cluster: TestCluster;
  let leader: string;
  let followers: string[];
  const ids = (): string[] => cluster.nodes.map((node) => node.id);

  // Frequent snapshots, so a restarted node recovers from one.
  clusterPerSuite({ nodes: 3, args: ['--snapshot-entries', '50', '--log-retain-entries', '10'] }, (started) => ({ cluster, leader, followers } = started));

  it('SCRIPT LOAD on a follower: EVALSHA runs on every node, EVAL_RO is served by a follower', async () => {
    const sha = await cluster.client(followers[0] as string).script('LOAD', rmw) as string;
    for (const [i, id] of ids().entries()) {
      assert.equal(await cluster.client(id).evalsha(sha, 1, 'counter'), i + 1, id);
    }
    assert.equal(await cluster.client(followers[1] as string).call('EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'counter'), '3');
    assert.match(String(await cluster.call(followers[1] as string, ['EVAL_RO', "redis.call('del', KEYS[1])", '1', 'counter'])), /Write commands are not allowed from read-only scripts/);
  });

  it('random numbers, TIME, SPOP and an error midway leave every replica with the same state', async () => {
    const reply = await cluster.client(followers[0] as string).eval(mixed, 3, 'mix:set', 'mix:out', 'mix:flag').then(() => null, (error: Error) => error.message);
    assert.match(String(reply), /^WRONGTYPE/);
    await cluster.waitForEqualDigests(ids());
    const values = await Promise.all(ids().map((id) => cluster.client(id).mget('mix:out', 'mix:flag')));
    for (const value of values) assert.deepEqual(value, values[0]);
    assert.equal(values[0]?.[1], 'before the error');
  });

  it('functions: FUNCTION LOAD on the leader, FCALL on a follower, FCALL_RO served by a follower', async () => {
    const code = "#!lua name=counters\nredis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)\n" +
      "redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}";
    assert.equal(await cluster.client(leader).call('FUNCTION', 'LOAD', code), 'counters');
    assert.equal(await cluster.client(followers[0] as string).call('FCALL', 'bump', '1', 'fn:n', '5'), 5);
    assert.equal(await cluster.client(followers[1] as string).call('FCALL_RO', 'peek', '1', 'fn:n'), '5');
  });

  it('EVAL, EVALSHA and FCALL of scripts that cannot write are served at a follower\'s read point, without a log entry', async () => {
    const follower = followers[1] as string;
    const client = cluster.client(follower);
    const body = "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])";
    await client.set('ro:key', 'seen');
    assert.equal(await client.eval(body, 1, 'ro:key'), 'seen', 'the first EVAL goes through the log and caches the body');
    await cluster.waitForEqualDigests(ids());
    const commitIndex = async (): Promise<number> => Number(/commit_index:(\d+)/.exec(String(await cluster.call(leader, ['RAFT.INFO'])))?.[1]);
    const before = await commitIndex();
    const sha = await client.script('LOAD', body).then(String).catch(() => '');
    const calls = 20;
    for (let i = 0; i < calls; i++) {
      assert.equal(await client.eval(body, 1, 'ro:key'), 'seen');
      assert.equal(await client.call('FCALL', 'peek', '1', 'fn:n'), '5');
    }
    const after = await commitIndex();
    // SCRIPT LOAD is one entry; 40 script calls through the log would be 40 more.
    assert.ok(after - before <= 3, `${after - before} entries for ${2 * calls} read-only script calls`);
    // Reads at a read point: a write the client made before is seen.
    await client.set('ro:key', 'later');
    assert.equal(await client.evalsha(sha, 1, 'ro:key'), 'later');
    assert.match(String(await cluster.call(follower, ['EVAL', "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 'x')", '1', 'ro:key'])), /Write commands are not allowed from read-only scripts/);
  });

  it('ioredis defineCommand (EVALSHA, then EVAL on NOSCRIPT) works from any node', async () => {
    for (const id of ids()) {
      const client = cluster.client(id) as Redis & { rateLimit(key: string, limit: number): Promise<number> };
      client.defineCommand('rateLimit', {
        numberOfKeys: 1,
        lua: "local n = redis.call('incr', KEYS[1]) if n == 1 then redis.call('pexpire', KEYS[1], 60000) end if n > tonumber(ARGV[1]) then return 0 end return 1",
      });
      const allowed = [];
      for (let i = 0; i < 4; i++) allowed.push(await client.rateLimit(`limit:${id}`, 3));
      assert.deepEqual(allowed, [1, 1, 1, 0], id);
    }
  });

  it('a long script runs in slices: its node answers a command meanwhile, BUSY past busy-reply-threshold, and every replica ends equal', async () => {
    const client = cluster.client(leader);
    const raftInfo = async (id: string, field: string): Promise<number> => Number(new RegExp(`${field}:(\\d+)`).exec(String(await cluster.call(id, ['RAFT.INFO'])))?.[1]);
    const before = await client.call('CONFIG', 'GET', 'script-instructions-max') as string[];
    await client.call('CONFIG', 'SET', 'script-instructions-max', '500000000');
    const runner = client.duplicate();
    try {
      // ~20 M instructions: most of a second of Lua on every node (seconds on a loaded machine, within the request timeout).
      let answered = false;
      const result = runner.eval("local n = 0 for i = 1, tonumber(ARGV[1]) do n = n + 1 end redis.call('set', KEYS[1], n) return n", 1, 'long:n', '10000000')
        .finally(() => { answered = true; });
      await waitFor('the leader to pause in the script', async () => await raftInfo(leader, 'apply_paused_index') > 0, { timeoutMs: 10_000, intervalMs: 10 });
      assert.equal(await client.ping(), 'PONG');
      assert.equal(answered, false, 'PING was answered while the script still ran');
      // Past busy-reply-threshold (alias lua-time-limit, a node setting), commands without
      // Redis's allow-busy flag are answered BUSY until the script ends.
      assert.equal(await client.call('CONFIG', 'SET', 'lua-time-limit', '1'), 'OK');
      await assert.rejects(client.ping(), /^ReplyError: BUSY Redis is busy running a script/);
      await assert.rejects(client.get('long:n'), /^ReplyError: BUSY/);
      assert.equal(answered, false, 'BUSY was answered while the script still ran');
      assert.equal(await result, 10_000_000);
      assert.equal(await client.call('CONFIG', 'SET', 'busy-reply-threshold', '5000'), 'OK');
      await cluster.waitForEqualDigests(ids());
      for (const id of ids()) assert.ok(await raftInfo(id, 'stat_entries_apply_paused') >= 1, id);
      // The script loops past its kill point before its write: it waited there for the leader's "continue".
      assert.ok(await raftInfo(leader, 'stat_script_decisions_proposed') >= 1);
      assert.equal(await cluster.client(followers[0] as string).get('long:n'), '10000000');
    } finally {
      runner.disconnect();
      await client.call('CONFIG', 'SET', 'script-instructions-max', String(before[1]));
    }
  });

  it('a read-only script longer than a slice does not stop its node: it goes through the log in slices, and SCRIPT KILL ends an endless one', async () => {
    const client = cluster.client(leader);
    const raftInfo = async (id: string, field: string): Promise<number> => Number(new RegExp(`${field}:(\\d+)`).exec(String(await cluster.call(id, ['RAFT.INFO'])))?.[1]);
    const term = await raftInfo(leader, 'term');
    const pausedBefore = await raftInfo(leader, 'stat_entries_apply_paused');
    await client.set('ro:k', 'v');
    // Seconds of Lua served as a read would stop the leader's heartbeats past an election
    // timeout: it is applied instead, in slices, on every node.
    const count = await client.call('EVAL_RO', "local n = 0 for i = 1, tonumber(ARGV[1]) do n = n + 1 end return {n, redis.call('get', KEYS[1])}", '1', 'ro:k', '20000000');
    assert.deepEqual(count, [20_000_000, 'v']);
    assert.equal(await raftInfo(leader, 'term'), term, 'no election while the read-only script ran');
    assert.match(String(await cluster.call(leader, ['RAFT.INFO'])), /role:leader/);
    assert.ok(await raftInfo(leader, 'stat_entries_apply_paused') > pausedBefore, 'the run was applied in slices');
    // An endless read-only script on a follower: SCRIPT KILL (sent to another node) ends it.
    const runner = cluster.client(followers[0] as string).duplicate();
    try {
      const endless = runner.call('EVAL_RO', 'local n = 0 while true do n = n + 1 end', '0').then(() => 'answered', (error: unknown) => String(error));
      await waitFor('the script to be killable', async () => {
        const reply = await cluster.client(followers[1] as string).call('SCRIPT', 'KILL').then(String, String);
        return reply === 'OK';
      }, { timeoutMs: 10_000, intervalMs: 20 });
      assert.match(await endless, /ERR Script killed by user with SCRIPT KILL/);
      assert.equal(await raftInfo(leader, 'term'), term);
      await cluster.waitForEqualDigests(ids());
    } finally {
      runner.disconnect();
    }
  });

  it('SCRIPT KILL and FUNCTION KILL, sent to a follower, end a run that has not written on every replica; one that wrote is UNKILLABLE', async () => {
    const client = cluster.client(leader);
    const follower = cluster.client(followers[0] as string);
    const raftInfo = async (id: string, field: string): Promise<number> => Number(new RegExp(`${field}:(\\d+)`).exec(String(await cluster.call(id, ['RAFT.INFO'])))?.[1]);
    const before = await client.call('CONFIG', 'GET', 'script-instructions-max') as string[];
    await client.call('CONFIG', 'SET', 'script-instructions-max', '2000000000');
    const runner = client.duplicate();
    const paused = async (): Promise<void> => { await waitFor('the leader to pause in the script', async () => await raftInfo(leader, 'apply_paused_index') > 0, { timeoutMs: 10_000, intervalMs: 10 }); };
    try {
      assert.equal(await follower.call('SCRIPT', 'KILL').catch((error: Error) => error.message), 'NOTBUSY No scripts in execution right now.');
      // A loop that never writes: killed wherever it is on each node.
      const looping = runner.eval('local n = 0 while true do n = n + 1 end', 0).then(() => 'returned', (error: Error) => error.message);
      await paused();
      assert.match(await follower.call('FUNCTION', 'KILL').catch((error: Error) => error.message) as string, /^BUSY .*only call SCRIPT KILL/);
      assert.match(await client.call('FUNCTION', 'STATS').catch((error: Error) => error.message) as string, /^BUSY /, 'FUNCTION STATS while a script runs');
      assert.equal(await follower.call('SCRIPT', 'KILL'), 'OK');
      assert.match(await looping, /Script killed by user/);
      assert.equal(await client.ping(), 'PONG');

      // A function that reads past its kill point, then would write: killed before the write.
      await client.call('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=killtest\nredis.register_function('spin', function(keys) local n = 0 while redis.call('exists', keys[1]) == 0 do n = n + 1 end redis.call('set', 'kill:written', n) end)");
      const spinning = runner.call('FCALL', 'spin', '1', 'kill:never').then(() => 'returned', (error: Error) => error.message);
      await paused();
      assert.match(await follower.call('SCRIPT', 'KILL').catch((error: Error) => error.message) as string, /^BUSY .*only call FUNCTION KILL/);
      const stats = await client.call('FUNCTION', 'STATS') as [string, [string, string, string, string[], string, number], ...unknown[]];
      assert.deepEqual(stats[1].slice(0, 4), ['name', 'spin', 'command', ['FCALL', 'spin', '1', 'kill:never']]);
      assert.equal(stats[1][4], 'duration_ms');
      assert.equal(await client.call('FUNCTION', 'KILL'), 'OK');
      assert.match(await spinning, /Script killed by user/);
      assert.equal(await follower.exists('kill:written'), 0);

      // A script that wrote first cannot be killed; it runs to its end.
      const writing = runner.eval("redis.call('set', KEYS[1], 'first') local n = 0 for i = 1, tonumber(ARGV[1]) do n = n + 1 end redis.call('set', KEYS[1], n) return n", 1, 'kill:wrote', '10000000');
      await paused();
      assert.match(await follower.call('SCRIPT', 'KILL').catch((error: Error) => error.message) as string, /^UNKILLABLE /);
      assert.equal(await writing, 10_000_000);
      await cluster.waitForEqualDigests(ids());
      for (const id of ids()) assert.equal(await cluster.client(id).get('kill:wrote'), '10000000', id);
    } finally {
      runner.disconnect();
      await client.call('CONFIG', 'SET', 'script-instructions-max', String(before[1]));
    }
  });

  it('the script cache and the libraries survive the leader\'s death and a restart from a snapshot', async () => {
    const sha = await cluster.client(leader).script('LOAD', rmw) as string;
    // Enough writes for snapshots to be taken and the log compacted behind them.
    const writer = cluster.client(leader);
    for (let i = 0; i < 120; i++) await writer.set(`fill:${i}`, 'x');
    await cluster.kill(leader);
    const survivors = followers;
    const next = await cluster.waitForLeaderAmong(survivors);
    assert.equal(await cluster.client(next).evalsha(sha, 1, 'after'), 1);
    assert.equal(await cluster.client(survivors.find((id) => id !== next) as string).call('FCALL', 'bump', '1', 'fn:n', '1'), 6);
    cluster.startNode(leader);
    await cluster.waitForListening(leader);
    await cluster.waitForEqualDigests(ids());
    assert.equal(await cluster.client(leader).evalsha(sha, 1, 'after'), 2);
    assert.equal(await cluster.client(leader).call('FCALL_RO', 'peek', '1', 'fn:n'), '6');
    assert.deepEqual(cluster.crashes(), []);
  });
});

describe('writes while a script runs longer than the request timeout', () => {
  let cluster: TestCluster;
  let leader: string;
  let followers: string[];
  clusterPerSuite({ nodes: 3, args: ['--request-timeout-ms', '1000'] }, (started) => ({ cluster, leader, followers } = started));

  it('the script\'s client and writes queued behind it, on the leader and on a follower, get their replies once it ends, not TIMEOUT', async () => {
    const runner = cluster.client(leader);
    const writers = [cluster.client(leader).duplicate(), cluster.client(followers[0] as string).duplicate()];
    try {
      const started = Date.now();
      // Writes first, then loops for well over the 1 s request timeout (seconds of Lua).
      const script = runner.eval("redis.call('set', KEYS[1], 'started') local n = 0 for i = 1, tonumber(ARGV[1]) do n = n + 1 end redis.call('set', KEYS[1], n) return n", 1, 'wait:script', '30000000');
      await waitFor('the leader to pause in the script', async () => /apply_paused_index:[1-9]/.test(String(await cluster.call(leader, ['RAFT.INFO']))), { timeoutMs: 10_000, intervalMs: 10 });
      // The follower's write is forwarded to the leader, which answers it only after the script:
      // the follower keeps asking while its leader is in contact (whether or not its own apply
      // is still in the script).
      const behind = writers.map((writer, i) => writer.set(`wait:behind:${i}`, 'v'));
      assert.equal(await script, 30_000_000);
      assert.ok(Date.now() - started > 1000, 'the script ran longer than the request timeout');
      assert.deepEqual(await Promise.all(behind), ['OK', 'OK']);
      await cluster.waitForEqualDigests(cluster.nodes.map((node) => node.id));
    } finally {
      for (const writer of writers) writer.disconnect();
    }
  });
});
