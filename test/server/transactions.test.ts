// MULTI/EXEC/DISCARD/WATCH/UNWATCH on a real cluster, through ioredis and node-redis as
// applications use them and over raw RESP for the exact replies: queued commands run
// together on every replica, a watched key written by another client (on another node)
// makes EXEC answer null and run nothing, and refused commands abort with EXECABORT.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createClient } from 'redis';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { RawConnection, encode } from '../support/raw-resp.js';

describe('transactions', () => {
  let cluster: TestCluster;
  let leader: string;
  let follower: string;

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster, leader, followers: [follower = ''] } = started));

  it('MULTI … EXEC through ioredis on a follower runs the commands together and every node sees the result', async () => {
    const redis = cluster.client(follower);
    const results = await redis.multi().set('tx:a', '1').incr('tx:a').incrby('tx:b', 5).get('tx:a').exec();
    assert.deepEqual(results, [[null, 'OK'], [null, 2], [null, 5], [null, '2']]);
    for (const node of cluster.nodes) {
      assert.deepEqual(await cluster.client(node.id).mget('tx:a', 'tx:b'), ['2', '5'], node.id);
    }
  });

  it('answers QUEUED, runs nothing before EXEC, and DISCARD drops the queue', async () => {
    const connection = await RawConnection.open(cluster.node(leader).port);
    assert.equal(await connection.call('MULTI'), 'OK');
    assert.equal(await connection.call('SET', 'tx:queued', 'x'), 'QUEUED');
    assert.equal(await cluster.client(follower).get('tx:queued'), null, 'not applied before EXEC');
    assert.equal(await connection.call('DISCARD'), 'OK');
    assert.deepEqual(await connection.call('EXEC'), { error: 'ERR EXEC without MULTI' });
    assert.deepEqual(await connection.call('DISCARD'), { error: 'ERR DISCARD without MULTI' });
    assert.equal(await cluster.client(leader).get('tx:queued'), null, 'discarded');
    assert.equal(await connection.call('MULTI'), 'OK');
    assert.deepEqual(await connection.call('MULTI'), { error: 'ERR MULTI calls can not be nested' });
    assert.deepEqual(await connection.call('EXEC'), []);
    connection.close();
  });

  it('a command refused while queued aborts the transaction with EXECABORT', async () => {
    const connection = await RawConnection.open(cluster.node(follower).port);
    assert.equal(await connection.call('MULTI'), 'OK');
    assert.equal(await connection.call('SET', 'tx:abort', 'x'), 'QUEUED');
    assert.deepEqual(await connection.call('GET'), { error: "ERR wrong number of arguments for 'get' command" });
    assert.match(JSON.stringify(await connection.call('NOSUCHCOMMAND', 'x')), /ERR unknown command 'NOSUCHCOMMAND'/);
    assert.deepEqual(await connection.call('EXEC'), { error: 'EXECABORT Transaction discarded because of previous errors.' });
    assert.equal(await cluster.client(leader).get('tx:abort'), null);
    // EXEC refused for its arity discards the transaction, as Redis does.
    assert.equal(await connection.call('MULTI'), 'OK');
    assert.deepEqual(await connection.call('EXEC', 'extra'), { error: "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command" });
    assert.deepEqual(await connection.call('EXEC'), { error: 'ERR EXEC without MULTI' });
    connection.close();
  });

  it('queues server commands too and runs them in order with the data commands, each reply in its place', async () => {
    const connection = await RawConnection.open(cluster.node(follower).port);
    assert.equal(await connection.call('MULTI'), 'OK');
    for (const command of [['SET', 'tx:mixed', '1'], ['PING'], ['CLIENT', 'SETNAME', 'mixer'], ['INCR', 'tx:mixed'], ['ECHO', 'hi'],
      ['CLIENT', 'GETNAME'], ['UNWATCH'], ['RAFT.LEADER'], ['GET', 'tx:mixed']]) {
      assert.equal(await connection.call(...command), 'QUEUED', command.join(' '));
    }
    const reply = await connection.call('EXEC');
    assert.deepEqual(reply, ['OK', 'PONG', 'OK', 2, 'hi', 'mixer', 'OK', leader, '2']);
    // A bad argument is that command's error inside EXEC's reply; the others run.
    assert.equal(await connection.call('MULTI'), 'OK');
    assert.equal(await connection.call('CONFIG', 'SET', 'maxmemory', 'bla'), 'QUEUED');
    assert.equal(await connection.call('INCR', 'tx:mixed'), 'QUEUED');
    const [configReply, incrReply] = await connection.call('EXEC') as unknown[];
    assert.match(JSON.stringify(configReply), /"error":"ERR /);
    assert.equal(incrReply, 3);
    // Only server commands, nothing watched: no log entry is needed, the replies are the same.
    assert.equal(await connection.call('MULTI'), 'OK');
    assert.equal(await connection.call('PING', 'alone'), 'QUEUED');
    assert.deepEqual(await connection.call('EXEC'), ['alone']);
    connection.close();
  });

  it('WATCH and MULTI keep their own errors inside MULTI; neither aborts the transaction', async () => {
    const connection = await RawConnection.open(cluster.node(leader).port);
    assert.equal(await connection.call('MULTI'), 'OK');
    assert.deepEqual(await connection.call('WATCH', 'tx:w'), { error: 'ERR WATCH inside MULTI is not allowed' });
    assert.equal(await connection.call('SET', 'tx:w', 'v'), 'QUEUED');
    assert.deepEqual(await connection.call('EXEC'), ['OK']);
    connection.close();
  });

  it('WATCH: a key written by another client on another node makes EXEC answer null and run nothing', async () => {
    const watcher = cluster.client(follower);
    const other = cluster.client(leader);
    await other.set('tx:balance', '10');
    assert.equal(await watcher.watch('tx:balance'), 'OK');
    const seen = Number(await watcher.get('tx:balance'));
    await other.incrby('tx:balance', 5);
    const lost = await watcher.multi().set('tx:balance', String(seen - 3)).set('tx:spent', '3').exec();
    assert.equal(lost, null, 'the optimistic transaction lost the race');
    assert.equal(await other.get('tx:balance'), '15');
    assert.equal(await other.get('tx:spent'), null);

    // Retried, with nobody else writing, it commits.
    assert.equal(await watcher.watch('tx:balance'), 'OK');
    const balance = Number(await watcher.get('tx:balance'));
    const won = await watcher.multi().set('tx:balance', String(balance - 3)).set('tx:spent', '3').exec();
    assert.deepEqual(won, [[null, 'OK'], [null, 'OK']]);
    assert.deepEqual(await other.mget('tx:balance', 'tx:spent'), ['12', '3']);
  });

  it('UNWATCH, and EXEC itself, end the watch', async () => {
    const watcher = cluster.client(leader);
    const other = cluster.client(follower);
    await watcher.watch('tx:u');
    await other.set('tx:u', '1');
    assert.equal(await watcher.unwatch(), 'OK');
    assert.deepEqual(await watcher.multi().set('tx:u', '2').exec(), [[null, 'OK']]);
    await watcher.watch('tx:u');
    assert.deepEqual(await watcher.multi().get('tx:u').exec(), [[null, '2']]);
    await other.set('tx:u', '3');
    assert.deepEqual(await watcher.multi().get('tx:u').exec(), [[null, '3']], 'the earlier EXEC ended the watch');
  });

  it('pipelined WATCH … EXEC or DISCARD ends the watch even while WATCH waits for its read point', async () => {
    // WATCH needs a read barrier (a round trip); MULTI, DISCARD and EXEC behind it in the same
    // pipeline arrive first. The watch must belong to that EXEC or DISCARD and end with it,
    // not be recorded afterwards and break the connection's next transaction.
    const other = cluster.client(leader);
    for (const end of ['EXEC', 'DISCARD']) {
      const connection = await RawConnection.open(cluster.node(follower).port);
      connection.write(Buffer.concat([['WATCH', 'tx:p'], ['MULTI'], [end]].map((argv) => encode(argv))));
      const replies = [];
      for (let i = 0; i < 3; i++) replies.push((await connection.read()).value);
      assert.deepEqual(replies, ['OK', 'OK', end === 'EXEC' ? [] : 'OK'], end);
      await other.set('tx:p', end);
      assert.equal(await connection.call('MULTI'), 'OK');
      assert.equal(await connection.call('SET', 'tx:p', `after ${end}`), 'QUEUED');
      assert.deepEqual(await connection.call('EXEC'), ['OK'], `the next transaction after a pipelined WATCH … ${end}`);
      connection.close();
    }
  });

  it('node-redis: multi and watch work unchanged', async () => {
    const client = createClient({ socket: { host: '127.0.0.1', port: cluster.node(follower).port } });
    await client.connect();
    try {
      assert.deepEqual(await client.multi().set('tx:nr', '1').incr('tx:nr').exec(), ['OK', 2]);
      await client.executeIsolated(async (isolated) => {
        await isolated.watch('tx:nr');
        await cluster.client(leader).set('tx:nr', '9');
        await assert.rejects(isolated.multi().incr('tx:nr').exec(), /WatchError|watched keys has been changed/i);
      });
      assert.equal(await client.get('tx:nr'), '9');
    } finally {
      await client.quit();
    }
    assert.deepEqual(cluster.crashes(), []);
  });
});
