// Commands pipelined on one connection take effect in order, as in Redis: a read sees the
// writes sent before it and none sent after it, at every read consistency level, on the
// leader and on followers (where writes are forwarded and reads are local); server commands
// that read replicated state (ACL GETUSER, CONFIG GET, OBJECT; INFO on the leader) too, and EXEC's queued
// server commands run between its entry and what the connection sent after it. Stale reads are
// local reads with no barrier at all: on a follower they may lag the connection's own
// acknowledged writes (the follower has not applied them yet), so for them order is checked
// on the leader only.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { encode, RawConnection, type Resp } from '../support/raw-resp.js';

const ROUNDS = 15;

async function pipeline(connection: RawConnection, commands: string[][]): Promise<Resp[]> {
  connection.write(Buffer.concat(commands.map((argv) => encode(argv))));
  const replies: Resp[] = [];
  for (let i = 0; i < commands.length; i++) replies.push((await connection.read()).value);
  return replies;
}

describe('pipelined commands on one connection', () => {
  let cluster: TestCluster;
  let ids: string[];

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
    const leader = await cluster.waitForLeader();
    ids = [leader, ...cluster.nodes.map((n) => n.id).filter((id) => id !== leader)];
  });

  after(async () => {
    await cluster?.stop();
  });

  for (const mode of ['linearizable', 'lease', 'stale']) {
    it(`run in order with ${mode} reads`, async () => {
      for (const id of mode === 'stale' ? ids.slice(0, 1) : ids) {
        const connection = await RawConnection.open(cluster.node(id).port);
        assert.equal(await connection.call('RAFT.CONSISTENCY', mode), 'OK');
        const wrong: string[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          const k = `order:${mode}:${id}:${i}`;
          const replies = await pipeline(connection, [
            ['GET', k], // before any write: nothing
            ['SET', k, 'a'],
            ['APPEND', k, 'bc'],
            ['GET', k], // sees both writes before it
            ['STRLEN', k],
            ['SET', k, 'later'],
            ['GET', k],
            ['INCR', `${k}:n`], ['INCR', `${k}:n`], ['GET', `${k}:n`],
          ]);
          const expected: Resp[] = [null, 'OK', 3, 'abc', 3, 'OK', 'later', 1, 2, '2'];
          if (JSON.stringify(replies) !== JSON.stringify(expected)) wrong.push(`${id} round ${i}: ${JSON.stringify(replies)}`);
        }
        connection.close();
        assert.deepEqual(wrong, [], `expected every round to be ${JSON.stringify([null, 'OK', 3, 'abc', 3, 'OK', 'later', 1, 2, '2'])}`);
      }
    });
  }

  it('server commands that read replicated state (ACL, CONFIG GET, OBJECT; INFO on the leader) see the writes pipelined before them', async () => {
    for (const id of ids) {
      const connection = await RawConnection.open(cluster.node(id).port);
      const wrong: string[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const user = `order-${id}-${i}`;
        const key = `order:server:${id}:${i}`;
        const sparse = String(2000 + i);
        const replies = await pipeline(connection, [
          ['ACL', 'SETUSER', user, 'on', '+get'], ['ACL', 'GETUSER', user], ['ACL', 'DELUSER', user], ['ACL', 'GETUSER', user],
          ['CONFIG', 'SET', 'hll-sparse-max-bytes', sparse], ['CONFIG', 'GET', 'hll-sparse-max-bytes'],
          ['INFO', 'keyspace'], ['SET', key, 'x'], ['INFO', 'keyspace'], ['OBJECT', 'ENCODING', key], ['DEL', key],
        ]);
        const keys = (info: Resp | undefined): number => Number(/db0:keys=(\d+)/.exec(String((info as { verbatim?: string }).verbatim ?? info))?.[1] ?? 0);
        const problems = [
          Array.isArray(replies[1]) ? null : `GETUSER after SETUSER: ${JSON.stringify(replies[1])}`,
          replies[3] === null ? null : `GETUSER after DELUSER: ${JSON.stringify(replies[3])}`,
          JSON.stringify(replies[5]) === JSON.stringify(['hll-sparse-max-bytes', sparse]) ? null : `CONFIG GET: ${JSON.stringify(replies[5])}`,
          // INFO is the node's own state with no read point: a follower may not have applied the SET yet.
          id !== ids[0] || keys(replies[8]) === keys(replies[6]) + 1 ? null : `INFO keyspace around SET: ${keys(replies[6])} then ${keys(replies[8])}`,
          replies[9] === 'embstr' ? null : `OBJECT ENCODING after SET: ${JSON.stringify(replies[9])}`,
        ].filter((problem) => problem !== null);
        if (problems.length > 0) wrong.push(`${id} round ${i}: ${problems.join('; ')}`);
      }
      assert.equal(await connection.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000'), 'OK');
      connection.close();
      assert.deepEqual(wrong, []);
    }
  });

  it('EXEC runs its queued server commands after its entry and before what the connection sent after it', async () => {
    for (const id of ids) {
      const connection = await RawConnection.open(cluster.node(id).port);
      const key = `order:exec:${id}`;
      const replies = await pipeline(connection, [
        ['MULTI'], ['SET', key, '1'], ['ACL', 'SETUSER', `exec-${id}`, 'on'], ['ACL', 'USERS'], ['PUBLISH', 'order:channel', 'm'], ['INFO', 'keyspace'], ['EXEC'],
        ['SET', key, '2'], ['ACL', 'DELUSER', `exec-${id}`], ['GET', key],
      ]);
      const exec = replies[6] as Resp[];
      assert.ok(Array.isArray(exec), JSON.stringify(replies[6]));
      assert.equal(exec[0], 'OK');
      assert.equal(exec[1], 'OK');
      assert.ok((exec[2] as Resp[]).includes(`exec-${id}`), `ACL USERS inside EXEC sees the SETUSER before it: ${JSON.stringify(exec[2])}`);
      assert.equal(exec[3], 0);
      assert.match(JSON.stringify(exec[4]), /db0:keys=\d+/);
      assert.deepEqual(replies.slice(7), ['OK', 1, '2']);
      // The DELUSER sent after EXEC came after the SETUSER queued inside it.
      assert.equal(await connection.call('ACL', 'GETUSER', `exec-${id}`), null);
      connection.close();
    }
  });

  it('reads pipelined behind a no-writes EVAL that goes through the log answer after it, in order', async () => {
    // An EVAL not cached yet is proposed (its entry caches it) although its shebang says it
    // cannot write: the reads sent after it are answered after it, at every node.
    for (const mode of ['linearizable', 'lease']) {
      for (const id of ids) {
        const connection = await RawConnection.open(cluster.node(id).port);
        assert.equal(await connection.call('RAFT.CONSISTENCY', mode), 'OK');
        const k = `fence:${mode}:${id}`;
        const script = `#!lua flags=no-writes\n-- ${k}\nreturn redis.call('GET', KEYS[1])`;
        const replies = await pipeline(connection, [['SET', k, 'v'], ['EVAL', script, '1', k], ['GET', k], ['STRLEN', k], ['GET', k]]);
        assert.deepEqual(replies, ['OK', 'v', 'v', 1, 'v'], `${mode} on ${id}`);
        connection.close();
      }
    }
  });

  it('still batches: many pipelined reads and writes all answer in order', async () => {
    const connection = await RawConnection.open(cluster.node(ids[1] ?? '').port);
    const commands: string[][] = [];
    const expected: Resp[] = [];
    for (let i = 0; i < 500; i++) {
      commands.push(['SET', `bulk:${i}`, String(i)]);
      expected.push('OK');
      if (i % 50 === 49) for (let j = i - 49; j <= i; j++) {
        commands.push(['GET', `bulk:${j}`]);
        expected.push(String(j));
      }
    }
    assert.deepEqual(await pipeline(connection, commands), expected);
    connection.close();
    assert.deepEqual(cluster.crashes(), []);
  });

  it('writes pipelined to the leader, or forwarded to it, share log entries and answer each in order', async () => {
    // The leader gathers the writes of a turn into one entry (a batch): fewer entries than
    // commands, each command still answered with its own reply.
    const stat = async (id: string, field: string): Promise<number> => {
      const info = String(await cluster.call(id, ['RAFT.INFO']));
      return Number(new RegExp(`${field}:(\\d+)`).exec(info)?.[1] ?? NaN);
    };
    const leader = ids[0] ?? '';
    for (const id of [leader, ids[1] ?? '']) {
      const entriesBefore = await stat(leader, 'stat_entries_applied');
      const commandsBefore = await stat(leader, 'stat_commands_applied');
      const connection = await RawConnection.open(cluster.node(id).port);
      const incrs = Array.from({ length: 100 }, () => ['INCR', `gathered:${id}`]);
      assert.deepEqual(await pipeline(connection, incrs), incrs.map((_, i) => i + 1));
      connection.close();
      const entries = await stat(leader, 'stat_entries_applied') - entriesBefore;
      const commands = await stat(leader, 'stat_commands_applied') - commandsBefore;
      assert.ok(commands >= incrs.length, `${commands} commands applied, at least the ${incrs.length} sent`);
      assert.ok(entries < incrs.length / 2, `${incrs.length} pipelined writes to ${id === leader ? 'the leader' : 'a follower'} took ${entries} log entries`);
    }
  });

  it('the exactly-once table keeps replies only for writes not yet answered', async () => {
    // Each write names its connection's first unanswered write, so once a pipeline has been
    // answered the next write lets every replica drop its replies (INFO exactly_once_replies).
    const leader = ids[0] ?? '';
    const replies = async (id: string): Promise<number> => {
      const info = String(await cluster.call(id, ['INFO', 'stats']));
      return Number(/exactly_once_replies:(\d+)/.exec(info)?.[1] ?? NaN);
    };
    const before = await replies(leader);
    const connection = await RawConnection.open(cluster.node(ids[1] ?? '').port);
    const writes = Array.from({ length: 200 }, (_, i) => ['SET', `window:${i}`, String(i)]);
    assert.deepEqual(await pipeline(connection, writes), writes.map(() => 'OK'));
    assert.ok(await replies(leader) > before + 1, 'more than the last reply is held while the pipeline may be retried');
    assert.equal(await connection.call('SET', 'window:last', 'x'), 'OK');
    assert.ok(await replies(leader) <= before + 1, `after the pipeline was answered, its ${writes.length} replies are dropped on the next write`);
    connection.close();
  });
});
