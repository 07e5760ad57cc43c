// Graceful shutdown of the leader (SIGTERM): it hands leadership to a follower before it
// exits, so the others know the new leader as soon as it is gone (without waiting out an
// election timeout); every request in flight on its connections ends with a reply or the
// connection's close, never a hang; acknowledged writes survive; the process exits 0.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
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

describe('graceful shutdown of the leader', () => {
  let cluster: TestCluster;

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster } = started));

  it('hands over leadership, answers or closes in-flight requests, keeps acknowledged writes and exits 0', async (t) => {
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

    await cluster.kill(leader, 'SIGTERM');
    const exit = cluster.node(leader).exits.at(-1);
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
  });
});
