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

describe('snapshot cadence against the state size (--snapshot-log-percentage)', () => {
  let cluster: TestCluster;
  const KEYS = 16; // a 1 MiB state of 64 KiB values

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3, args: ['--snapshot-log-bytes', '128kb', '--log-retain-bytes', '128kb', '--snapshot-log-percentage', '300'] });
  });

  after(async () => {
    await cluster.stop();
  });

  it('past the byte floor, waits for a log of the given share of the last snapshot\'s size', async () => {
    const leader = await cluster.waitForLeader();
    const value = 'y'.repeat(VALUE_BYTES);
    const taken = (): number => (readFileSync(cluster.node(leader).logPath, 'utf8').match(/snapshot taken/g) ?? []).length;
    for (let i = 0; i < KEYS; i++) assert.equal(await cluster.call(leader, ['SET', `state:${i}`, value]), 'OK');
    await waitFor('a snapshot of the loaded state', async () => taken() > 0, { timeoutMs: 15_000 });
    assert.equal(await cluster.call(leader, ['RAFT.SNAPSHOT']) !== null, true);
    await waitFor('the on-demand snapshot in the log', async () => taken() > 1, { timeoutMs: 15_000 });
    const before = taken();
    // 4 MiB of overwrites: at the 128 KiB floor alone that is 32 snapshots of the 1 MiB state;
    // at 300% of it, one every 3 MiB.
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < KEYS; i++) assert.equal(await cluster.call(leader, ['SET', `state:${i}`, value]), 'OK');
    }
    await waitFor('a snapshot once 3 MiB were written', async () => taken() > before, { timeoutMs: 15_000 });
    const during = taken() - before;
    assert.ok(during <= 2, `${during} snapshots of a 1 MiB state during 4 MiB of writes`);
  });
});
