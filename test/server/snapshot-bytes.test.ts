// Snapshot and compaction thresholds in bytes: large entries trigger a snapshot long before
// the entry count would, and the log kept below it is bounded in bytes, not only in entries.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

const VALUE_BYTES = 64 * 1024;
const WRITES = 48; // 3 MiB of values: past the 1 MiB trigger twice, far below any entry count
const ARGS = ['--snapshot-entries', '100000', '--log-retain-entries', '10000', '--snapshot-log-bytes', '1mb', '--log-retain-bytes', '256kb'];

async function raftInfo(cluster: TestCluster, id: string): Promise<Map<string, string>> {
  const text = String(await cluster.call(id, ['INFO', 'raft']));
  return new Map(text.split('\r\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
}

describe('snapshot thresholds in bytes', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3, args: ARGS });
  });

  after(async () => {
    await cluster.stop();
  });

  it('snapshots after --snapshot-log-bytes of entries and keeps about --log-retain-bytes below it', async () => {
    const leader = await cluster.waitForLeader();
    const value = 'x'.repeat(VALUE_BYTES);
    for (let i = 0; i < WRITES; i++) assert.equal(await cluster.call(leader, ['SET', `big:${i}`, value]), 'OK');
    for (const node of cluster.nodes) {
      await waitFor(`${node.id} to snapshot and compact by bytes`, async () => Number((await raftInfo(cluster, node.id)).get('log_first_index')) > 1, { timeoutMs: 15_000 });
      const info = await raftInfo(cluster, node.id);
      const kept = Number(info.get('log_last_index')) - Number(info.get('log_first_index')) + 1;
      // 256 KiB of 64 KiB entries is 4; one applied batch of slack, and entries past the snapshot.
      assert.ok(kept <= 24, `${node.id} keeps ${kept} entries in its log (${[...info].join(' ')})`);
      assert.match(readFileSync(node.logPath, 'utf8'), /snapshot taken/);
    }
    assert.equal(String(await cluster.call(leader, ['STRLEN', `big:${WRITES - 1}`])), String(VALUE_BYTES));
  });
});
