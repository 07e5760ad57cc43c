// Disk faults in real processes (--debug-disk-faults, RAFT.DEBUG DISK): a node whose WAL sync
// fails with EIO stops serving and exits (status 74) naming the file, never acknowledging the
// write it could not make durable; restarted, it recovers from what reached its disk and
// catches up, and every acknowledged write is on every node.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

/** EX_IOERR: src/server/node-server.ts EXIT_STORAGE_FAILED. */
const EXIT_STORAGE_FAILED = 74;
const WRITES = 20;

describe('disk faults', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3, args: ['--debug-disk-faults'] });
    await cluster.waitForLeader();
  });

  after(async () => {
    await cluster?.stop();
  });

  it('RAFT.DEBUG DISK needs its own debug flag and validates its arguments', async () => {
    const leader = await cluster.waitForLeader();
    assert.match(String(await cluster.call(leader, ['RAFT.DEBUG', 'FAULT', 'HEAL'])), /RAFT\.DEBUG FAULT is disabled; start the node with --debug-fault-injection/);
    assert.match(String(await cluster.call(leader, ['RAFT.DEBUG', 'DISK', 'SLOW', '99999999'])), /sync delay must be an integer in \[0, 60000\] ms/);
    assert.match(String(await cluster.call(leader, ['RAFT.DEBUG', 'DISK', 'FAIL-SYNC', 'EPERM'])), /ERR usage: RAFT\.DEBUG DISK FAIL-SYNC EIO \| FULL \| SLOW ms/);
    assert.equal(await cluster.call(leader, ['RAFT.DEBUG', 'DISK', 'HEAL']), 'OK');
  });

  it('a leader whose fdatasync fails with EIO exits naming the WAL file; restarted, it recovers and nothing acknowledged is lost', async () => {
    const leader = await cluster.waitForLeader();
    const client = cluster.client(leader);
    for (let i = 0; i < WRITES; i++) assert.equal(await client.set(`eio:${i}`, `v${i}`), 'OK');
    assert.equal(await cluster.call(leader, ['RAFT.DEBUG', 'DISK', 'FAIL-SYNC', 'EIO']), 'OK');
    // The next write needs a sync on the leader: it fails, and the node must not answer OK.
    const doomed = await cluster.call(leader, ['SET', 'eio:doomed', 'x']);
    assert.notEqual(doomed, 'OK', 'a write was acknowledged by a node whose sync failed');
    const node = cluster.node(leader);
    await waitFor(`${leader} to exit`, () => node.process === null, { timeoutMs: 20_000 });
    assert.deepEqual(node.exits.at(-1), { code: EXIT_STORAGE_FAILED, signal: null, expected: false });
    const log = readFileSync(node.logPath, 'utf8');
    assert.match(log, /raftis server: fatal: WAL sync failed: fdatasync of \S+\/wal\/[0-9a-f]+-[0-9a-f]+\.wal failed: EIO: i\/o error, fdatasync/);
    // The others go on without it, and it comes back by itself from its data directory.
    const survivors = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
    const next = await cluster.waitForLeaderAmong(survivors);
    assert.equal(await cluster.call(next, ['SET', 'eio:after', 'y']), 'OK');
    await cluster.restart(leader);
    await cluster.waitForEqualDigests(cluster.nodes.map((n) => n.id));
    for (const id of cluster.nodes.map((n) => n.id)) {
      for (let i = 0; i < WRITES; i++) assert.equal(await cluster.call(id, ['GET', `eio:${i}`]), `v${i}`, `${id} lost eio:${i}`);
      assert.equal(await cluster.call(id, ['GET', 'eio:after']), 'y');
    }
    // Forget the expected exit so the crash check of other tests stays meaningful.
    node.exits.length = 0;
    assert.deepEqual(cluster.crashes(), []);
  });
});
