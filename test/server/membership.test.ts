// Membership changes on real processes: grow 3 → 5 under write load, shrink 5 → 3 removing
// the leader, replace a node whose disk was lost; no acknowledged write lost and all
// replicas converged at the end.

import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { waitFor } from '../support/wait.js';

interface NodeRow { id: string; role: string; leader: number; incarnation: string }

async function nodes(cluster: TestCluster, via: string): Promise<NodeRow[]> {
  const reply = await cluster.call(via, ['RAFT.NODES']);
  if (!Array.isArray(reply)) throw new Error(`RAFT.NODES failed: ${String(reply)}`);
  return reply.map((row) => {
    const fields = row as unknown[];
    const get = (name: string): unknown => fields[fields.indexOf(name) + 1];
    return { id: String(get('id')), role: String(get('role')), leader: Number(get('leader')), incarnation: fields.includes('incarnation') ? String(get('incarnation')) : '' };
  });
}

async function voters(cluster: TestCluster, via: string): Promise<string[]> {
  return (await nodes(cluster, via)).filter((n) => n.role === 'voter').map((n) => n.id).sort();
}

/** Writes distinct keys through every listed node until stopped; returns what was acknowledged. */
function writeLoad(cluster: TestCluster, ids: () => string[]): { stop: () => Promise<Map<string, string>> } {
  const acknowledged = new Map<string, string>();
  let running = true;
  let n = 0;
  const workers = [0, 1, 2, 3].map(async (w) => {
    while (running) {
      const list = ids();
      const id = list[(n + w) % list.length] ?? '';
      const key = `load:${w}:${n++}`;
      const reply = await cluster.call(id, ['SET', key, key]);
      if (reply === 'OK') acknowledged.set(key, key);
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return acknowledged;
    },
  };
}

async function assertAllPresent(cluster: TestCluster, ids: string[], acknowledged: Map<string, string>): Promise<void> {
  for (const id of ids) {
    const redis = cluster.client(id);
    const keys = [...acknowledged.keys()];
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      const values = await redis.mget(...batch);
      batch.forEach((key, j) => assert.equal(values[j], acknowledged.get(key), `${id} lost acknowledged ${key}`));
    }
  }
}


describe('membership changes', () => {
  let cluster: TestCluster;

  clusterPerSuite({ nodes: 3, args: ['--snapshot-entries', '500', '--log-retain-entries', '100'] }, (started) => ({ cluster } = started));

  it('grows from 3 to 5 voters under write load with no acknowledged write lost', async () => {
    const load = writeLoad(cluster, () => ['n1', 'n2', 'n3']);
    await cluster.addNode('n4', 'n2');
    await waitFor('n4 to become a voter', async () => (await voters(cluster, 'n1')).includes('n4'), { timeoutMs: 30_000 });
    await cluster.addNode('n5', 'n3');
    await waitFor('n5 to become a voter', async () => (await voters(cluster, 'n1')).includes('n5'), { timeoutMs: 30_000 });
    const acknowledged = await load.stop();
    assert.ok(acknowledged.size > 0);
    assert.deepEqual(await voters(cluster, 'n4'), ['n1', 'n2', 'n3', 'n4', 'n5']);
    const all = ['n1', 'n2', 'n3', 'n4', 'n5'];
    await cluster.waitForEqualDigests(all);
    await assertAllPresent(cluster, all, acknowledged);
    // A joiner's data-directory incarnation is part of the replicated configuration, the same
    // on every member; founders have none there (each member records theirs locally), and
    // RAFT.NODES leaves the field out for them.
    const stored = (id: string): string => (JSON.parse(readFileSync(join(cluster.node(id).dataDir, 'raftis.json'), 'utf8')) as { incarnation: string }).incarnation;
    for (const via of all) {
      const rows = await nodes(cluster, via);
      for (const row of rows) assert.equal(row.incarnation, row.id === 'n4' || row.id === 'n5' ? stored(row.id) : '', `${row.id}'s incarnation as ${via} sees it`);
    }
  });

  it('RAFT.NODE ADD refuses a malformed incarnation and adds nothing', async () => {
    const leader = await cluster.waitForLeader();
    for (const bad of [['INCARNATION'], ['INCARNATION', 'not-hex'], ['INCARNATION', 'ab', 'extra'], ['LEARNER', '127.0.0.1:1']]) {
      const reply = await cluster.call(leader, ['RAFT.NODE', 'ADD', 'n9', '127.0.0.1:1', ...bad]);
      assert.ok(reply instanceof Error && /^ERR (invalid incarnation|usage)/.test(reply.message), `${bad.join(' ')}: ${String(reply)}`);
    }
    assert.ok(!(await nodes(cluster, leader)).some((row) => row.id === 'n9'));
  });

  it('shrinks from 5 to 3 voters, removing the leader first, and keeps serving', async () => {
    const leader = await cluster.waitForLeader();
    const load = writeLoad(cluster, () => cluster.nodes.map((n) => n.id).filter((id) => id !== leader));
    assert.equal(await cluster.call(leader, ['RAFT.NODE', 'REMOVE', leader]), 'OK');
    const rest = cluster.nodes.map((n) => n.id).filter((id) => id !== leader);
    const newLeader = await cluster.waitForLeaderAmong(rest);
    assert.notEqual(newLeader, leader);
    const second = rest.find((id) => id !== newLeader) ?? '';
    assert.equal(await cluster.call(rest.find((id) => id !== second) ?? newLeader, ['RAFT.NODE', 'REMOVE', second]), 'OK', 'removal asked of any node is forwarded to the leader');
    const acknowledged = await load.stop();
    await cluster.retire(leader);
    await cluster.retire(second);
    const remaining = cluster.nodes.map((n) => n.id);
    assert.equal(remaining.length, 3);
    assert.deepEqual(await voters(cluster, remaining[0] ?? ''), [...remaining].sort());
    await cluster.waitForLeaderAmong(remaining);
    assert.equal(await cluster.call(remaining[0] ?? '', ['SET', 'after-shrink', 'yes']), 'OK');
    await cluster.waitForEqualDigests(remaining);
    await assertAllPresent(cluster, remaining, acknowledged);
  });

  it('replaces a node whose disk was lost: removed, then a new member added on an empty directory, catching up by snapshot', async () => {
    const leader = await cluster.waitForLeader();
    const victim = cluster.nodes.map((n) => n.id).find((id) => id !== leader) ?? '';
    const victimNode = cluster.node(victim);
    await cluster.kill(victim, 'SIGKILL');
    rmSync(victimNode.dataDir, { recursive: true, force: true });
    assert.equal(await cluster.call(leader, ['RAFT.NODE', 'REMOVE', victim]), 'OK');
    for (let i = 0; i < 700; i++) assert.equal(await cluster.call(leader, ['SET', `replace:${i}`, String(i)]), 'OK');
    await cluster.retire(victim);
    // The replacement machine gets a new identity: a founding member's id cannot join again.
    const replacement = `${victim}r`;
    await cluster.addNode(replacement, leader);
    await waitFor(`${replacement} to be a voter`, async () => (await voters(cluster, leader)).includes(replacement), { timeoutMs: 30_000 });
    const all = cluster.nodes.map((n) => n.id);
    await cluster.waitForEqualDigests(all);
    const redis = cluster.client(replacement);
    assert.equal(await redis.get('replace:699'), '699');
    assert.equal(await redis.get('after-shrink'), 'yes');
    assert.deepEqual(cluster.crashes(), []);
  });
});
