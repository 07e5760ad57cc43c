// Joining a cluster. A joiner whose sponsor is down for a moment keeps asking until it is
// back. A member that caught up by a snapshot taken after its own AddLearner entry never
// applies that entry. It must still know its own addresses: as leader it answers RAFT.CLUSTERINFO
// and streams its address book with snapshots, and a node joining through it must learn
// where the leader is (chaos bug 10, docs/testing.md).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { waitFor } from '../support/wait.js';

async function roles(cluster: TestCluster, via: string): Promise<Map<string, { role: string; peer: string }>> {
  const reply = await cluster.call(via, ['RAFT.NODES']);
  if (!Array.isArray(reply)) throw new Error(`RAFT.NODES on ${via}: ${String(reply)}`);
  return new Map(reply.map((row) => {
    const fields = row as unknown[];
    const get = (name: string): string => String(fields[fields.indexOf(name) + 1]);
    return [get('id'), { role: get('role'), peer: get('peer') }];
  }));
}

describe('joining', () => {
  let cluster: TestCluster;

  clusterPerSuite({ nodes: 3, args: ['--debug-fault-injection', 'true', '--snapshot-entries', '200', '--log-retain-entries', '50'] }, (started) => ({ cluster } = started));

  it('a joiner whose sponsor is down keeps asking until the sponsor is back', async () => {
    await cluster.waitForLeader();
    await cluster.kill('n3', 'SIGTERM');
    const joining = cluster.addNode('n6', 'n3');
    // n6 starts asking n3 while nothing listens there; n3 comes back a moment later.
    await waitFor('n6 to have asked at least once', () => {
      const node = cluster.nodes.find((n) => n.id === 'n6');
      return node !== undefined && existsSync(node.logPath) && readFileSync(node.logPath, 'utf8').includes('asking the cluster for its membership again');
    }, { timeoutMs: 10_000, intervalMs: 100 });
    cluster.startNode('n3');
    await joining;
    await waitFor('n6 to be a voter', async () => (await roles(cluster, 'n1')).get('n6')?.role === 'voter', { timeoutMs: 30_000, intervalMs: 100 });
    assert.deepEqual(cluster.crashes(), []);
  });

  it('a member that caught up by snapshot only leads, lists itself in RAFT.CLUSTERINFO, and a node joining through it catches up', async () => {
    const leader = await cluster.waitForLeader();
    // The members neither send to n4 nor hear from it until its AddLearner entry is compacted
    // into a snapshot: n4's first contact is that snapshot.
    const members = cluster.nodes.map((n) => n.id);
    for (const id of members) assert.equal(await cluster.call(id, ['RAFT.DEBUG', 'FAULT', 'DROP', 'n4', '1']), 'OK');
    await cluster.addNode('n4', leader);
    await waitFor('n4 to be a learner', async () => (await roles(cluster, leader)).get('n4')?.role === 'learner', { timeoutMs: 20_000, intervalMs: 100 });
    const redis = cluster.client(leader);
    for (let i = 0; i < 300; i++) await redis.set(`sj:${i}`, String(i));
    assert.match(String(await cluster.call(leader, ['RAFT.SNAPSHOT'])), /^\d+$/);
    // Cut off, n4 has not caught up: it refuses data commands, and INFO says it is loading.
    const loading = async (): Promise<string | undefined> => /^loading:(\d)\r?$/m.exec(String(await cluster.call('n4', ['INFO', 'persistence'])))?.[1];
    assert.equal(await loading(), '1');
    assert.match(String(await cluster.call('n4', ['GET', 'sj:1'])), /LOADING this node joined the cluster/);
    for (const id of members) assert.equal(await cluster.call(id, ['RAFT.DEBUG', 'FAULT', 'HEAL']), 'OK');
    await waitFor('n4 to be a voter', async () => (await roles(cluster, leader)).get('n4')?.role === 'voter', { timeoutMs: 30_000, intervalMs: 100 });
    await waitFor('n4 to serve', async () => (await loading()) === '0', { timeoutMs: 30_000, intervalMs: 100 });
    assert.equal(await cluster.call('n4', ['GET', 'sj:1']), '1');

    await cluster.moveLeadershipTo('n4');
    const info = await cluster.call('n1', ['RAFT.CLUSTERINFO']);
    assert.ok(Array.isArray(info), String(info));
    const current = (info[2] as unknown[]).map(String);
    assert.ok(current.some((line) => line.startsWith(`n4 127.0.0.1:${cluster.node('n4').peerPort} `)), `RAFT.CLUSTERINFO lists the leader n4: ${current.join(' | ')}`);

    await cluster.addNode('n5', 'n1');
    const read = await waitFor('n5 to answer a read through the leader n4', async () => {
      const reply = await cluster.call('n5', ['GET', 'sj:299']);
      return reply instanceof Error ? null : { reply };
    }, { timeoutMs: 30_000, intervalMs: 200 });
    assert.equal(read.reply, '299');
    assert.equal((await roles(cluster, 'n4')).get('n4')?.peer, `127.0.0.1:${cluster.node('n4').peerPort}`);
    assert.deepEqual(cluster.crashes(), []);
  });
});

// A cluster with no leader (two of three members down) is no configuration error: a joiner
// keeps asking for --join-wait-ms, saying why, and joins once a leader is back; one whose
// wait runs out exits with 69 (EX_UNAVAILABLE), not 78. Requests time out after 500 ms
// here, so the old bound (6 request time-outs) would have given up after 3 s.
describe('joining a cluster that has no leader', () => {
  const REQUEST_TIMEOUT_MS = 500;
  let cluster: TestCluster;

  clusterPerSuite({
    nodes: 3,
    args: ['--request-timeout-ms', String(REQUEST_TIMEOUT_MS), '--no-leader-wait-ms', '200'],
    nodeArgs: (id) => (id === 'n5' ? ['--join-wait-ms', '1500'] : []),
  }, (started) => ({ cluster } = started));

  const logOf = (id: string): string => {
    const node = cluster.nodes.find((n) => n.id === id);
    return node !== undefined && existsSync(node.logPath) ? readFileSync(node.logPath, 'utf8') : '';
  };

  it('a joiner whose --join-wait-ms runs out exits with 69 and says the cluster has no leader', async () => {
    await cluster.waitForLeader();
    await cluster.kill('n1', 'SIGTERM');
    await cluster.kill('n2', 'SIGTERM');
    // n3 alone answers TRYAGAIN no leader once it has stepped down; the cluster stays so for the next test too.
    await waitFor('n3 to have no leader', async () => /^leader:$/m.test(String(await cluster.call('n3', ['RAFT.INFO'])).replace(/\r/g, '')), { timeoutMs: 30_000, intervalMs: 100 });
    void cluster.addNode('n5', 'n3').catch(() => undefined);
    const exits = (): { code: number | null }[] => cluster.nodes.find((n) => n.id === 'n5')?.exits ?? [];
    await waitFor('n5 to exit', () => exits().length > 0, { timeoutMs: 30_000, intervalMs: 100 });
    assert.equal(exits()[0]?.code, 69, logOf('n5'));
    assert.match(logOf('n5'), /the cluster has no leader right now/);
    assert.match(logOf('n5'), /the cluster had no leader for \d+ ms \(--join-wait-ms\)/);
  });

  it('a joiner keeps asking while the cluster has no leader, and joins once it has one', async () => {
    const started = Date.now();
    const joining = cluster.addNode('n4', 'n3');
    await waitFor('n4 to wait past 6 request time-outs, saying why', () => {
      const waited = Date.now() - started > 6 * REQUEST_TIMEOUT_MS + 1000;
      return waited && /the cluster has no leader right now/.test(logOf('n4'));
    }, { timeoutMs: 30_000, intervalMs: 100 });
    assert.deepEqual(cluster.node('n4').exits, [], logOf('n4'));
    cluster.startNode('n1');
    cluster.startNode('n2');
    await joining;
    await waitFor('n4 to be a voter', async () => (await roles(cluster, 'n1')).get('n4')?.role === 'voter', { timeoutMs: 30_000, intervalMs: 100 });
    assert.deepEqual(cluster.crashes().map((c) => c.split(';')[0]), ['n5 exited with code 69']);
  });
});
