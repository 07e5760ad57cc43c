// The admin HTTP endpoint on a real cluster: Prometheus metrics that follow the node's
// state, /status agreeing with RAFT.INFO, /health turning 503 when a node loses its leader
// and 200 again when it is back, the dashboard page, and clear refusals of anything else.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { clusterPerSuite } from '../support/cluster-fixture.js';
import { waitFor } from '../support/wait.js';
import type { DashboardData } from '../../src/server/dashboard-view.js';

async function get(cluster: TestCluster, id: string, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(`http://127.0.0.1:${cluster.node(id).adminPort ?? 0}${path}`, { method });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

/** The value of one sample line, e.g. metric('raftis_kv_keys') on `body`. */
function metric(body: string, name: string, labels = ''): number {
  const line = body.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  if (line === undefined) throw new Error(`no ${name}{${labels}} in:\n${body.slice(0, 2000)}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('admin HTTP', () => {
  let cluster: TestCluster;
  let leader: string;

  clusterPerSuite({ nodes: 3, adminHttp: true }, (started) => ({ cluster, leader } = started));

  it('/metrics is Prometheus text that follows the node: writes, keys, leadership, log indexes', async () => {
    const before = await get(cluster, leader, '/metrics');
    assert.equal(before.status, 200);
    assert.match(before.type, /^text\/plain/);
    assert.match(before.body, /^# HELP raftis_raft_term /m);
    assert.match(before.body, /^# TYPE raftis_raft_proposals_total counter$/m);
    assert.match(before.body, /^raftis_process_cpu_seconds_total\{node="n\d"\} /m, 'process metrics, labelled with the node');
    const keysBefore = metric(before.body, 'raftis_kv_keys');
    const proposalsBefore = metric(before.body, 'raftis_raft_proposals_total');
    const redis = cluster.client(leader);
    for (let i = 0; i < 20; i++) await redis.set(`metrics:${i}`, 'v');
    const after = (await get(cluster, leader, '/metrics')).body;
    assert.equal(metric(after, 'raftis_kv_keys'), keysBefore + 20);
    assert.ok(metric(after, 'raftis_raft_proposals_total') >= proposalsBefore + 20);
    assert.equal(metric(after, 'raftis_raft_is_leader'), 1);
    assert.equal(metric(after, 'raftis_raft_voters'), 3);
    assert.ok(metric(after, 'raftis_raft_applied_index') >= metric(before.body, 'raftis_raft_applied_index') + 20);
    for (const id of cluster.nodes.map((n) => n.id).filter((n) => n !== leader)) {
      assert.ok(metric(after, 'raftis_raft_peer_match_index', `peer="${id}"`) > 0, `match index of ${id}`);
      const follower = (await get(cluster, id, '/metrics')).body;
      assert.equal(metric(follower, 'raftis_raft_is_leader'), 0, id);
      assert.equal(metric(follower, 'raftis_raft_has_leader'), 1, id);
    }
  });

  it('/status agrees with the cluster, and / serves the dashboard', async () => {
    const response = await get(cluster, leader, '/status');
    assert.equal(response.status, 200);
    assert.match(response.type, /^application\/json/);
    const status = JSON.parse(response.body) as { node: string; role: string; leader: string; members: { id: string; role: string; connected: boolean }[]; commitIndex: number };
    assert.equal(status.node, leader);
    assert.equal(status.role, 'leader');
    assert.equal(status.leader, leader);
    assert.deepEqual(status.members.map((m) => m.id).sort(), cluster.nodes.map((n) => n.id).sort());
    assert.ok(status.members.every((m) => m.role === 'voter' && m.connected));
    assert.ok(status.commitIndex > 0);
    const page = await get(cluster, leader, '/');
    assert.equal(page.status, 200);
    assert.match(page.type, /^text\/html/);
    assert.match(page.body, /<script src="assets\/uplot\.min\.js"><\/script>/);
    const script = await get(cluster, leader, '/assets/dashboard.js');
    assert.match(script.type, /^text\/javascript/);
    assert.match(script.body, /fetch\('dashboard\.json\?'/);
  });

  it('serves the chart library from the installed uplot package, and the dashboard data of every member from any node', async () => {
    const library = await get(cluster, leader, '/assets/uplot.min.js');
    assert.equal(library.status, 200);
    assert.equal(library.body, readFileSync(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'));
    assert.equal((await get(cluster, leader, '/assets/uplot.min.css')).status, 200);
    const follower = cluster.nodes.map((n) => n.id).find((id) => id !== leader) ?? '';
    const data = await waitFor('dashboard data with a sample of every member', async () => {
      const response = await get(cluster, follower, `/dashboard.json?node=${leader}&samplesAfter=0&eventsAfter=0`);
      const parsed = JSON.parse(response.body) as DashboardData;
      return parsed.samples.length > 0 && parsed.members.every((m) => m.report?.latest !== null) ? parsed : null;
    });
    assert.equal(data.node, follower);
    assert.equal(data.viewed, leader);
    assert.equal(data.leader, leader);
    assert.deepEqual(data.members.map((m) => [m.id, m.report?.role, m.health]).sort(), cluster.nodes.map((n) => [n.id, n.id === leader ? 'leader' : 'follower', 'ok']).sort());
    for (const member of data.members) assert.equal(member.client, `127.0.0.1:${cluster.node(member.id).port}`, `${member.id} reports its own client address`);
    assert.ok(data.events.some((e) => e.kind === 'leader' && e.text.startsWith(`${leader} (this node) is leader in term`)), JSON.stringify(data.events));
    const after = data.samples[data.samples.length - 1]?.t ?? 0;
    const next = JSON.parse((await get(cluster, follower, `/dashboard.json?node=${leader}&samplesAfter=${after}&eventsAfter=${data.events.at(-1)?.id ?? 0}`)).body) as DashboardData;
    assert.ok(next.samples.every((s) => s.t > after), 'only samples after the cursor');
    assert.equal(next.events.length, 0, 'no event repeated');
  });

  it('/health is 503 on a node without a leader and 200 again once it has one', async () => {
    for (const node of cluster.nodes) assert.equal((await get(cluster, node.id, '/health')).status, 200, node.id);
    const survivor = cluster.nodes.map((n) => n.id).find((id) => id !== leader) ?? '';
    const others = cluster.nodes.map((n) => n.id).filter((id) => id !== survivor);
    for (const id of others) await cluster.kill(id, 'SIGKILL');
    const unhealthy = await waitFor(`${survivor} to report no leader`, async () => {
      const health = await get(cluster, survivor, '/health');
      return health.status === 503 ? health : null;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    assert.deepEqual(JSON.parse(unhealthy.body), { ok: false, reason: 'no leader known' });
    for (const id of others) cluster.startNode(id);
    await waitFor(`${survivor} to be healthy again`, async () => (await get(cluster, survivor, '/health')).status === 200, { timeoutMs: 20_000, intervalMs: 100 });
    leader = await cluster.waitForLeader();
  });

  it('refuses other methods and paths clearly', async () => {
    const post = await get(cluster, leader, '/metrics', 'POST');
    assert.equal(post.status, 405);
    assert.match(post.body, /read-only/);
    const missing = await get(cluster, leader, '/nope');
    assert.equal(missing.status, 404);
    assert.match(missing.body, /\/metrics/);
    assert.deepEqual(cluster.crashes(), []);
  });
});
