// A read that finds no leader (an election under way, or a node cut off from the rest) waits
// for one up to --no-leader-wait-ms, as a write does, and is then served; only when the wait
// ends without a leader does it answer `-TRYAGAIN no leader`. Linearizable and lease reads
// alike: both need a leader's read index.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { encode, RawConnection } from '../support/raw-resp.js';
import { waitFor } from '../support/wait.js';

/** The wait of the first part: longer than any restart and election here. */
const LONG_WAIT_MS = 60_000;
/** The wait of the second part, short enough to see it end. */
const SHORT_WAIT_MS = 1500;
/** How long a read may take to be answered once a leader can be elected (a node's restart and an election, on a busy machine). */
const ANSWER_DEADLINE_MS = 45_000;

/** Sends one command; its reply, waited for up to ANSWER_DEADLINE_MS. */
async function send(connection: RawConnection, ...argv: string[]): Promise<unknown> {
  connection.write(encode(argv));
  return (await connection.read(ANSWER_DEADLINE_MS)).value;
}

describe('reads with no leader known', () => {
  let cluster: TestCluster;
  let leader: string;
  let followers: string[];
  let noLeaderWaitMs = LONG_WAIT_MS;

  clusterPerSuite({
    args: ['--request-timeout-ms', String(LONG_WAIT_MS)],
    nodeArgs: () => ['--no-leader-wait-ms', String(noLeaderWaitMs)],
  }, (started) => ({ cluster, leader, followers } = started));

  /** Kills every node but `survivor` and waits until it knows no leader. */
  async function isolate(survivor: string): Promise<void> {
    for (const node of cluster.nodes) if (node.id !== survivor && node.process !== null) await cluster.kill(node.id);
    await waitFor(`${survivor} to know no leader`, async () => {
      const reply = await cluster.call(survivor, ['RAFT.LEADER']);
      return reply instanceof Error && reply.message.startsWith('TRYAGAIN');
    }, { timeoutMs: 20_000 });
  }

  it('wait for a leader and are then served, at linearizable and lease reads', async () => {
    const [survivor, other] = followers as [string, string];
    await cluster.call(leader, ['SET', 'nl:k', 'v1']);
    await cluster.waitForEqualDigests(cluster.nodes.map((n) => n.id));
    await isolate(survivor);
    const linearizable = await RawConnection.open(cluster.node(survivor).port);
    const lease = await RawConnection.open(cluster.node(survivor).port);
    try {
      assert.equal(await lease.call('RAFT.CONSISTENCY', 'lease'), 'OK');
      // Sent while the survivor knows no leader and none can be elected (its two peers are down).
      const reads = [send(linearizable, 'GET', 'nl:k'), send(lease, 'GET', 'nl:k')];
      cluster.startNode(other);
      assert.deepEqual(await Promise.all(reads), ['v1', 'v1']);
    } finally {
      linearizable.close();
      lease.close();
    }
  });

  it('answer TRYAGAIN once --no-leader-wait-ms passes with no leader', async () => {
    const survivor = cluster.nodes.find((n) => n.process !== null)?.id ?? '';
    noLeaderWaitMs = SHORT_WAIT_MS;
    await isolate(survivor);
    await cluster.restart(survivor); // with the short wait, and still alone
    await isolate(survivor);
    const connection = await RawConnection.open(cluster.node(survivor).port);
    try {
      const sent = Date.now();
      const reply = await send(connection, 'GET', 'nl:k');
      assert.deepEqual(reply, { error: 'TRYAGAIN no leader' });
      assert.ok(Date.now() - sent >= SHORT_WAIT_MS - 100, `answered after ${Date.now() - sent} ms, before the wait of ${SHORT_WAIT_MS} ms ended`);
    } finally {
      connection.close();
    }
  });
});
