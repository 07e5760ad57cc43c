// Commands pipelined on one connection take effect in order, as in Redis: a read sees the
// writes sent before it and none sent after it, at every read consistency level, on the
// leader and on followers (where writes are forwarded and reads are local). Stale reads are
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
