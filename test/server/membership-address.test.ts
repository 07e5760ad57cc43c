// Address changes of a member on real processes: a node restarted on its data directory with
// new client and peer ports announces them (RAFT.NODE UPDATE, a replicated conf change), the
// others reach it there, and it keeps counting toward the quorum, as a follower and as the
// leader. RAFT.NODES shows the new addresses, every replica converges, and the node's data
// directory remembers them for a restart with only --data-dir.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { TestCluster, freePort } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { waitFor } from '../support/wait.js';

const MAIN = resolve('dist/src/cli/main.js');
const run = promisify(execFile);

interface NodeRow { id: string; role: string; peer: string; client: string }

async function nodes(cluster: TestCluster, via: string): Promise<NodeRow[]> {
  const reply = await cluster.call(via, ['RAFT.NODES']);
  if (!Array.isArray(reply)) throw new Error(`RAFT.NODES failed: ${String(reply)}`);
  return reply.map((row) => {
    const fields = row as unknown[];
    const get = (name: string): string => String(fields[fields.indexOf(name) + 1]);
    return { id: get('id'), role: get('role'), peer: get('peer'), client: get('client') };
  });
}

/** Stops `id` and starts it again on the same data directory with fresh client and peer ports. */
async function move(cluster: TestCluster, id: string): Promise<{ port: number; peerPort: number }> {
  await cluster.kill(id, 'SIGTERM');
  const index = cluster.nodes.findIndex((n) => n.id === id);
  const old = cluster.node(id);
  const moved = { ...old, port: await freePort(), peerPort: await freePort(), process: null };
  assert.notEqual(moved.port, old.port);
  cluster.nodes[index] = moved;
  cluster.startNode(id);
  await cluster.waitForListening(id);
  return { port: moved.port, peerPort: moved.peerPort };
}

async function waitForAddresses(cluster: TestCluster, via: string, id: string, to: { port: number; peerPort: number }): Promise<void> {
  await waitFor(`RAFT.NODES on ${via} to show ${id} at its new addresses`, async () => {
    const row = (await nodes(cluster, via)).find((n) => n.id === id);
    return row !== undefined && row.role === 'voter' && row.peer === `127.0.0.1:${to.peerPort}` && row.client === `127.0.0.1:${to.port}`;
  }, { timeoutMs: 20_000, intervalMs: 100 });
}


function storedSelf(cluster: TestCluster, id: string): { client: string; peer: string } {
  const identity = JSON.parse(readFileSync(join(cluster.node(id).dataDir, 'raftis.json'), 'utf8')) as { self: { client: string; peer: string } };
  return identity.self;
}

describe('member address changes', () => {
  let cluster: TestCluster;

  clusterPerSuite({ nodes: 3 }, (started) => ({ cluster } = started));

  it('a follower restarted on new ports is reached there and counts toward the quorum', async () => {
    const leader = await cluster.waitForLeader();
    const [mover, other] = cluster.nodes.map((n) => n.id).filter((id) => id !== leader) as [string, string];
    assert.equal(await cluster.call(leader, ['SET', 'before-move', '1']), 'OK');
    const to = await move(cluster, mover);
    await waitForAddresses(cluster, leader, mover, to);
    await waitForAddresses(cluster, other, mover, to);
    await waitFor(`${mover} to remember its new addresses`, () => storedSelf(cluster, mover).client === `127.0.0.1:${to.port}`);
    assert.deepEqual(storedSelf(cluster, mover), { client: `127.0.0.1:${to.port}`, peer: `127.0.0.1:${to.peerPort}` });

    // With the third node down, nothing commits unless the leader reaches the moved node.
    await cluster.kill(other, 'SIGKILL');
    for (let i = 0; i < 20; i++) assert.equal(await cluster.call(leader, ['SET', `moved-follower:${i}`, String(i)]), 'OK');
    assert.equal(await cluster.call(mover, ['GET', 'moved-follower:19']), '19', 'a linearizable read on the moved node');
    assert.equal(await cluster.call(mover, ['INCR', 'moved-follower:n']), 1, 'a write forwarded from the moved node to the leader');

    await cluster.restart(other);
    await cluster.waitForEqualDigests(cluster.nodes.map((n) => n.id));
    assert.equal(await cluster.call(other, ['GET', 'before-move']), '1');

    // The new address survives a restart on a snapshot taken after the move (member list in
    // the snapshot, WAL after it): without it the restarted node could not reach the moved
    // one, and with the old leader down nothing would commit.
    for (const id of [leader, other]) {
      const snapshot = await cluster.call(id, ['RAFT.SNAPSHOT']);
      assert.ok(!(snapshot instanceof Error), `RAFT.SNAPSHOT on ${id}: ${String(snapshot)}`);
    }
    await cluster.restart(other);
    await cluster.kill(leader, 'SIGKILL');
    await cluster.waitForLeaderAmong([mover, other]);
    assert.equal(await cluster.call(other, ['SET', 'after-snapshot-restart', 'yes']), 'OK');
    assert.equal(await cluster.call(mover, ['GET', 'after-snapshot-restart']), 'yes');
    await cluster.restart(leader);
    await cluster.waitForEqualDigests(cluster.nodes.map((n) => n.id));
    assert.deepEqual(cluster.crashes(), []);
  });

  it('a leader that moves is reached at its new ports and can lead again', async () => {
    const leader = await cluster.waitForLeader();
    const to = await move(cluster, leader);
    const others = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
    for (const id of others) await waitForAddresses(cluster, id, leader, to);

    // Leadership handed back to the moved node: its heartbeats and appends reach the others,
    // and their acknowledgements reach it.
    await waitFor(`${leader} to lead again`, async () => {
      const now = await cluster.call(others[0] ?? '', ['RAFT.LEADER']);
      if (now === leader) return true;
      if (typeof now === 'string' && now !== '') await cluster.call(now, ['RAFT.TRANSFER-LEADER', leader]);
      return false;
    }, { timeoutMs: 20_000, intervalMs: 300 });
    assert.equal(await cluster.waitForLeader(), leader);
    const [down, up] = others as [string, string];
    await cluster.kill(down, 'SIGKILL');
    for (let i = 0; i < 20; i++) assert.equal(await cluster.call(leader, ['SET', `moved-leader:${i}`, String(i)]), 'OK');
    assert.equal(await cluster.call(up, ['GET', 'moved-leader:19']), '19');
    assert.deepEqual((await nodes(cluster, up)).map((n) => n.role), ['voter', 'voter', 'voter']);

    await cluster.restart(down);
    await cluster.waitForEqualDigests(cluster.nodes.map((n) => n.id));
    assert.deepEqual(cluster.crashes(), []);
  });

  it('raftis ctl update records a member\'s addresses through any node, and ctl nodes shows them', async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.node(cluster.nodes.map((n) => n.id).find((id) => id !== leader) ?? '');
    const server = ['--server', `127.0.0.1:${follower.port}`];
    const update = await run(process.execPath, [MAIN, 'ctl', 'update', follower.id, `127.0.0.1:${follower.peerPort}`, `127.0.0.1:${follower.port}`, ...server]);
    assert.equal(update.stdout, 'OK\n');
    const listed = await run(process.execPath, [MAIN, 'ctl', 'nodes', ...server]);
    const lines = listed.stdout.trim().split('\n');
    assert.deepEqual(lines[0]?.split(/\s+/), ['ID', 'ROLE', 'LEADER', 'PEER', 'CLIENT', 'MATCH', 'LAG'], listed.stdout);
    assert.equal(lines.length, 4, listed.stdout); // the header and one row per member
    assert.match(listed.stdout, new RegExp(`^${follower.id}\\s+voter\\s+0\\s+127\\.0\\.0\\.1:${follower.peerPort}\\s+127\\.0\\.0\\.1:${follower.port}\\s+\\d+\\s+\\d+$`, 'm'));
    const json = await run(process.execPath, [MAIN, 'ctl', 'nodes', '--json', ...server]);
    const members = JSON.parse(json.stdout) as { id: string; peer: string; client: string; leader: number }[];
    assert.equal(members.length, 3, json.stdout);
    assert.deepEqual(members.find((m) => m.id === follower.id), { ...members.find((m) => m.id === follower.id), peer: `127.0.0.1:${follower.peerPort}`, client: `127.0.0.1:${follower.port}`, leader: 0 });
    assert.equal(members.filter((m) => m.leader === 1).length, 1, json.stdout);
  });

  it('RAFT.NODE UPDATE refuses non-members and malformed addresses', async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.nodes.map((n) => n.id).find((id) => id !== leader) ?? '';
    const notMember = await cluster.call(follower, ['RAFT.NODE', 'UPDATE', 'n9', '127.0.0.1:1']);
    assert.ok(notMember instanceof Error && /node n9 is not a member/.test(notMember.message), String(notMember));
    const malformed = await cluster.call(leader, ['RAFT.NODE', 'UPDATE', follower, 'no-port']);
    assert.ok(malformed instanceof Error && /expected host:port/.test(malformed.message), String(malformed));
    const usage = await cluster.call(leader, ['RAFT.NODE', 'UPDATE', follower]);
    assert.ok(usage instanceof Error && /usage: RAFT.NODE UPDATE/.test(usage.message), String(usage));
  });
});
