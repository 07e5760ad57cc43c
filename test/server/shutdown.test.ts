// Graceful shutdown of the leader (SIGTERM, or SHUTDOWN from a client): it hands leadership
// to a follower before it exits, so the others know the new leader as soon as it is gone
// (without waiting out an election timeout); every request in flight on its connections ends
// with a reply or the connection's close, never a hang; acknowledged writes survive; the
// process exits 0. SHUTDOWN's caller gets no reply: its connection closes, as with Redis.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { encode, RawConnection } from '../support/raw-resp.js';
import { waitFor } from '../support/wait.js';

const CONNECTIONS = 4;
const PIPELINE = 20;
/** Defaults: 10 ticks of 100 ms. Without a hand-over, followers keep the old leader this long at least. */
const ELECTION_TIMEOUT_MS = 1000;
/** Longest a batch of requests may go unanswered before it counts as a hang. */
const REPLY_DEADLINE_MS = 15_000;

interface LoadResult {
  readonly acknowledged: string[];
  readonly errors: string[];
  /** Requests written but neither answered nor refused when the server closed the connection. */
  readonly unanswered: number;
}

/** Pipelined SETs on one connection until the server closes it. */
async function writeUntilClosed(port: number, name: string, started: () => void): Promise<LoadResult> {
  const connection = await RawConnection.open(port);
  const acknowledged: string[] = [];
  const errors: string[] = [];
  let batch = 0;
  let unanswered = 0;
  while (!connection.closed) {
    const keys = Array.from({ length: PIPELINE }, (_, i) => `shutdown:${name}:${batch}:${i}`);
    connection.write(Buffer.concat(keys.map((k) => encode(['SET', k, 'v']))));
    for (const [index, key] of keys.entries()) {
      let reply;
      try {
        reply = (await connection.read(REPLY_DEADLINE_MS)).value;
      } catch (error) {
        if (connection.closed) { // the rest of the batch is unanswered, and the client knows it
          unanswered += keys.length - index;
          break;
        }
        throw error; // a hang
      }
      if (reply === 'OK') acknowledged.push(key);
      else errors.push(typeof reply === 'object' && reply !== null && 'error' in reply ? reply.error : JSON.stringify(reply));
    }
    batch++;
    if (batch === 2) started();
  }
  connection.close();
  return { acknowledged, errors, unanswered };
}

/**
 * Stops the leader with `stop` while clients write to it, and checks what a graceful stop
 * promises: exit 0, a new leader named at once, replies or closes (never hangs), no
 * acknowledged write lost.
 */
async function stopLeaderUnderLoad(t: TestContext, cluster: TestCluster, stop: (leader: string) => Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined>): Promise<void> {
  const leader = await cluster.waitForLeader();
  const survivors = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
  const port = cluster.node(leader).port;
  let running = 0;
  let allRunning: () => void = () => {};
  const loadStarted = new Promise<void>((resolve) => { allRunning = resolve; });
  const loads = Array.from({ length: CONNECTIONS }, (_, i) => writeUntilClosed(port, `c${i}`, () => {
    if (++running === CONNECTIONS) allRunning();
  }));
  await loadStarted;

  const exit = (await stop(leader)) ?? cluster.node(leader).exits.at(-1);
  assert.deepEqual(exit && { code: exit.code, signal: exit.signal }, { code: 0, signal: null }, 'a graceful stop exits 0');

  // The hand-over happened before the exit: the survivors already agree on a new leader
  // (without it they would keep naming the dead leader for an election timeout or more).
  const newLeader = await waitFor('the survivors to name a new leader', async () => {
    const named = await Promise.all(survivors.map((id) => cluster.call(id, ['RAFT.LEADER'])));
    return named.every((n) => n === named[0]) && survivors.includes(String(named[0])) ? String(named[0]) : null;
  }, { timeoutMs: ELECTION_TIMEOUT_MS, intervalMs: 20 });
  const log = readFileSync(cluster.node(leader).logPath, 'utf8');
  assert.match(log, /"handedOver":true[^\n]*leadership transfer on shutdown/, 'the leader logged a completed hand-over');

  const results = await Promise.all(loads);
  const acknowledged = results.flatMap((r) => r.acknowledged);
  const errors = results.flatMap((r) => r.errors);
  assert.ok(acknowledged.length >= CONNECTIONS * PIPELINE, `writes were acknowledged before the stop (${acknowledged.length})`);
  const unanswered = results.reduce((sum, r) => sum + r.unanswered, 0);
  t.diagnostic(`acknowledged ${acknowledged.length}, errors ${errors.length}, unanswered at close ${unanswered}: ${[...new Set(errors)].join(' | ')}`);
  for (const error of errors) assert.match(error, /^(TRYAGAIN|SHUTDOWN) /, 'in-flight requests fail with a clear, retryable or explicit shutdown error');

  const reader = cluster.client(newLeader);
  for (let i = 0; i < acknowledged.length; i += 500) {
    const keys = acknowledged.slice(i, i + 500);
    const values = await reader.mget(...keys);
    keys.forEach((key, j) => assert.equal(values[j], 'v', `acknowledged ${key} survived`));
  }
  assert.equal(await reader.set('shutdown:after', 'ok'), 'OK', 'the remaining two nodes take writes');
  assert.deepEqual(cluster.crashes(), []);
}

describe('graceful shutdown of the leader', () => {
  let cluster: TestCluster;

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster } = started));

  it('hands over leadership, answers or closes in-flight requests, keeps acknowledged writes and exits 0', async (t) => {
    await stopLeaderUnderLoad(t, cluster, async (leader) => {
      await cluster.kill(leader, 'SIGTERM');
      return undefined;
    });
  });
});

describe('SHUTDOWN', () => {
  let cluster: TestCluster;

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster } = started));

  it('answers Redis 7.0\'s errors for what it cannot do, and keeps running', async () => {
    const leader = await cluster.waitForLeader();
    const connection = await RawConnection.open(cluster.node(leader).port);
    try {
      assert.deepEqual(await connection.call('SHUTDOWN', 'ABORT'), { error: 'ERR No shutdown in progress.' });
      for (const flags of [['SAVE', 'NOSAVE'], ['ABORT', 'NOW'], ['LATER']]) {
        assert.deepEqual(await connection.call('SHUTDOWN', ...flags), { error: 'ERR syntax error' }, flags.join(' '));
      }
      assert.equal(await connection.call('MULTI'), 'OK');
      assert.deepEqual(await connection.call('SHUTDOWN'), { error: 'ERR Command not allowed inside a transaction' });
      assert.equal(await connection.call('DISCARD'), 'OK');
      assert.deepEqual(await connection.call('CONFIG', 'GET', 'shutdown-timeout'), ['shutdown-timeout', '10']);
      assert.match(JSON.stringify(await connection.call('CONFIG', 'SET', 'shutdown-timeout', '-1')), /argument must be between 0 and 2147483647/);
      assert.equal(await connection.call('PING'), 'PONG');
    } finally {
      connection.close();
    }
  });

  it('SHUTDOWN SAVE on the leader hands over, closes the caller\'s connection with no reply and exits 0', async (t) => {
    await stopLeaderUnderLoad(t, cluster, async (leader) => {
      const connection = await RawConnection.open(cluster.node(leader).port);
      const exit = await cluster.stopBy(leader, async () => {
        connection.write(encode(['SHUTDOWN', 'SAVE']));
        await connection.waitClosed(REPLY_DEADLINE_MS);
      });
      assert.equal(connection.pending(), '', 'no reply came before the close');
      return exit;
    });
  });
});
