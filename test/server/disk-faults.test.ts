// Disk faults in real processes (--debug-disk-faults, RAFT.DEBUG DISK): a node whose WAL sync
// fails with EIO stops serving and exits (status 74) naming the file, never acknowledging the
// write it could not make durable; restarted, it recovers from what reached its disk and
// catches up, and every acknowledged write is on every node. A leader whose syncs take
// seconds hands leadership over within a bounded time (--leader-sync-stall-ms), and the
// cluster keeps serving writes through the others while its disk stays slow.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

/** EX_IOERR: src/server/node-server.ts EXIT_STORAGE_FAILED. */
const EXIT_STORAGE_FAILED = 74;
const WRITES = 20;
/** The stall bound given to the nodes, and each sync's delay on the slow disk (well beyond it). */
const STALL_MS = 1000;
const SLOW_SYNC_MS = 8000;
/** Stall bound + an election and a margin for a loaded machine: the hand-over must come within this. */
const HANDOVER_BOUND_MS = STALL_MS + 4000;

describe('disk faults', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3, args: ['--debug-disk-faults', '--leader-sync-stall-ms', String(STALL_MS)] });
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
    assert.match(log, /raftis server: fatal: WAL sync failed: writing \d+ bytes at offset \d+ and fdatasync of \S+\/wal\/[0-9a-f]+-[0-9a-f]+\.wal failed: EIO: i\/o error, fdatasync/);
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

  it('a leader whose disk takes seconds per sync hands leadership over within a bounded time, and writes go on through the others', async () => {
    const leader = await cluster.waitForLeader();
    assert.equal(await cluster.call(leader, ['RAFT.DEBUG', 'DISK', 'SLOW', String(SLOW_SYNC_MS)]), 'OK');
    const started = Date.now();
    // A write needs a sync on the leader: it starts the stall.
    const slowWrite = cluster.call(leader, ['SET', 'slow:first', '1']);
    const others = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
    const next = await waitFor('another leader', async () => {
      for (const id of others) {
        const info = String(await cluster.call(id, ['RAFT.INFO']));
        if (/role:leader/.test(info)) return id;
      }
      return null;
    }, { timeoutMs: HANDOVER_BOUND_MS + 5000 });
    const handoverMs = Date.now() - started;
    assert.ok(handoverMs <= HANDOVER_BOUND_MS, `leadership left the slow leader after ${handoverMs} ms (bound ${HANDOVER_BOUND_MS} ms)`);
    // The slow node is a follower now; writes through the new leader and through the slow node
    // itself (forwarded) are answered without waiting on its disk.
    for (let i = 0; i < 10; i++) {
      const began = Date.now();
      assert.equal(await cluster.call(next, ['SET', `slow:${i}`, String(i)]), 'OK');
      assert.ok(Date.now() - began < SLOW_SYNC_MS, 'a write waited for the slow disk');
    }
    assert.equal(await cluster.call(leader, ['SET', 'slow:via-follower', 'x']), 'OK');
    // The write that met the stall may have any outcome (the test client gives up first); if
    // it was acknowledged, it must be there.
    const stalled = await slowWrite;
    assert.equal(await cluster.call(leader, ['RAFT.DEBUG', 'DISK', 'HEAL']), 'OK');
    await cluster.waitForEqualDigests(cluster.nodes.map((n) => n.id));
    if (stalled === 'OK') assert.equal(await cluster.call(next, ['GET', 'slow:first']), '1');
    assert.match(String(await cluster.call(leader, ['RAFT.INFO'])), /role:follower/);
  });

  it('a follower whose disk is full refuses its clients\' writes with MISCONF, the cluster goes on, and it recovers by itself when space returns', async () => {
    const leader = await cluster.waitForLeader();
    const full = cluster.nodes.map((n) => n.id).find((id) => id !== leader) as string;
    const other = cluster.nodes.map((n) => n.id).find((id) => id !== leader && id !== full) as string;
    assert.equal(await cluster.call(full, ['RAFT.DEBUG', 'DISK', 'FULL']), 'OK');
    const acknowledged: string[] = [];
    let n = 0;
    const write = async (via: string): Promise<unknown> => {
      const key = `full:${n++}`;
      const reply = await cluster.call(via, ['SET', key, 'v']);
      if (reply === 'OK') acknowledged.push(key);
      return reply;
    };
    // The full node learns it when it next syncs (the leader's next Append); its clients' writes are refused from then on.
    const refusal = await waitFor('a MISCONF refusal on the full node', async () => {
      assert.equal(await write(leader), 'OK');
      const reply = await write(full);
      return reply instanceof Error && /^ReplyError: MISCONF writes are refused on this node while its disk is full/.test(String(reply)) ? String(reply) : null;
    }, { timeoutMs: 20_000 });
    assert.match(refusal, /no space left on device/);
    // The others keep serving reads and writes.
    for (let i = 0; i < 5; i++) assert.equal(await write(other), 'OK');
    assert.equal(await cluster.call(other, ['GET', acknowledged[0] as string]), 'v');
    assert.equal(await cluster.call(full, ['RAFT.DEBUG', 'DISK', 'HEAL']), 'OK');
    await waitFor('the full node taking writes again', async () => (await write(full)) === 'OK', { timeoutMs: 20_000 });
    await cluster.waitForEqualDigests(cluster.nodes.map((n) => n.id));
    for (const id of cluster.nodes.map((n) => n.id)) {
      for (const key of acknowledged) assert.equal(await cluster.call(id, ['GET', key]), 'v', `${id} lost ${key}`);
    }
    assert.deepEqual(cluster.crashes(), []);
  });

  it('a leader whose disk is full hands leadership over and writes go on through the new leader', async () => {
    const leader = await cluster.waitForLeader();
    assert.equal(await cluster.call(leader, ['RAFT.DEBUG', 'DISK', 'FULL']), 'OK');
    const started = Date.now();
    void cluster.call(leader, ['SET', 'full-leader:first', '1']);
    const others = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
    const next = await cluster.waitForLeaderAmong(others, HANDOVER_BOUND_MS + 5000);
    assert.ok(Date.now() - started <= HANDOVER_BOUND_MS + 1000, `leadership left the full leader after ${Date.now() - started} ms`);
    for (let i = 0; i < 5; i++) assert.equal(await cluster.call(next, ['SET', `full-leader:${i}`, 'v']), 'OK');
    assert.equal(await cluster.call(leader, ['RAFT.DEBUG', 'DISK', 'HEAL']), 'OK');
    await cluster.waitForEqualDigests(cluster.nodes.map((n) => n.id));
    for (let i = 0; i < 5; i++) assert.equal(await cluster.call(leader, ['GET', `full-leader:${i}`]), 'v');
    assert.deepEqual(cluster.crashes(), []);
  });
});

describe('a follower\'s write to a leader that cannot commit it', () => {
  const REQUEST_TIMEOUT_MS = 1500;
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3, args: ['--debug-disk-faults', '--request-timeout-ms', String(REQUEST_TIMEOUT_MS)] });
    await cluster.waitForLeader();
  });

  after(async () => {
    await cluster?.stop();
  });

  it('is answered TIMEOUT within its time, although that leader stays in contact (a forward the leader answers is not waited on again)', async () => {
    const leader = await cluster.waitForLeader();
    const [follower, stopped] = cluster.nodes.map((n) => n.id).filter((id) => id !== leader) as [string, string];
    assert.equal(await cluster.call(follower, ['SET', 'stuck:before', '1']), 'OK');
    // One follower gone and the other unable to sync: the leader cannot commit, yet it stays
    // leader (the slow follower still answers its heartbeats) and the follower keeps hearing it.
    await cluster.kill(stopped);
    // Each of its syncs takes 10 s: far past the write's time (1.5 s, and the forward's 1 s grace).
    assert.equal(await cluster.call(follower, ['RAFT.DEBUG', 'DISK', 'SLOW', '10000']), 'OK');
    const started = Date.now();
    const reply = await cluster.call(follower, ['SET', 'stuck:write', '1']).then(String, String);
    const tookMs = Date.now() - started;
    assert.match(reply, /TIMEOUT/);
    assert.ok(tookMs < 4 * REQUEST_TIMEOUT_MS, `the write was answered after ${tookMs} ms`);
    assert.match(String(await cluster.call(leader, ['RAFT.INFO'])), /role:leader/, 'the leader stayed leader throughout');
    assert.equal(await cluster.call(follower, ['RAFT.DEBUG', 'DISK', 'HEAL']), 'OK');
    await cluster.restart(stopped);
    await waitFor('writes through the follower again', async () => (await cluster.call(follower, ['SET', 'stuck:after', '1']).then(String, String)) === 'OK', { timeoutMs: 30_000 });
  });
});
