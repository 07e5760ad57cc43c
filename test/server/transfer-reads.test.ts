// Reads that are pending while leadership moves (RAFT.TRANSFER-LEADER) must end promptly
// with a value or TRYAGAIN (the read certainly did not happen and may be retried), never sit
// until the request timeout and end with TIMEOUT ("outcome unknown", which is meaningless
// for a read). This once failed: a follower's ReadIndex request that reached the old leader
// was dropped and its reader waited the full request timeout (fixed in src/node/: pending
// reads are asked again of the new leader).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { RawConnection } from '../support/raw-resp.js';
import { waitFor } from '../support/wait.js';

const READS_PER_NODE = 20;

describe('reads during a leadership transfer', () => {
  let cluster: TestCluster;

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster } = started));

  it('end with a value or TRYAGAIN, never TIMEOUT', async () => {
    const ids = cluster.nodes.map((n) => n.id);
    const outcomes: string[] = [];
    for (let round = 0; round < 1; round++) {
      const leader = await cluster.waitForLeader();
      const target = ids.find((id) => id !== leader) ?? '';
      const readers = await Promise.all(ids.map((id) => RawConnection.open(cluster.node(id).port)));
      const control = await RawConnection.open(cluster.node(leader).port);
      const reads = readers.map(async (connection, i) => {
        for (let k = 0; k < READS_PER_NODE; k++) {
          const reply = await connection.call('GET', 'transfer-reads:missing');
          if (reply === null) continue;
          const text = typeof reply === 'object' && 'error' in reply ? reply.error : JSON.stringify(reply);
          if (!text.startsWith('TRYAGAIN')) outcomes.push(`${ids[i]}: ${text}`);
        }
      });
      assert.equal(await control.call('RAFT.TRANSFER-LEADER', target), 'OK');
      await Promise.all(reads);
      for (const connection of [...readers, control]) connection.close();
      await waitFor(`${target} to lead`, async () => (await cluster.waitForLeader()) === target, { timeoutMs: 10_000 });
    }
    assert.deepEqual(outcomes, []);
  });
});
