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
