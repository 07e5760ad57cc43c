// Shared set-up for the chaos regression tests: a cluster whose logs go to a run
// directory, a deadline-bounded retry for reads that may meet an election, and the crash
// check every test ends with.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { ChaosCluster, type ChaosClusterOptions } from './chaos-cluster.js';
import { clusterArgs } from './run-scenario.js';
import { waitFor } from '../support/wait.js';

/** Found by the 600-s pause run: see docs/testing.md. */
export const BUG_8 = 'bug 8 (docs/testing.md): a leader that steps down as it proposes forwards the write to the new leader and answers NOT_LEADER (TRYAGAIN)';

export function regressionDir(name: string): string {
  const dir = resolve('chaos-runs', `${new Date().toISOString().replace(/[:.]/g, '-')}-regression-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs `body` on a fresh cluster, then fails on any node exit nobody asked for. */
export async function withCluster(
  name: string,
  options: Partial<ChaosClusterOptions> & { readonly extraArgs?: readonly string[] },
  body: (cluster: ChaosCluster) => Promise<void>,
): Promise<void> {
  const cluster = await ChaosCluster.start({
    nodes: options.nodes ?? 3,
    logDir: regressionDir(name),
    args: [...clusterArgs('transfer', 'linearizable'), ...(options.extraArgs ?? [])],
    network: options.network ?? 'auto',
    avoidRequestIdReuse: options.avoidRequestIdReuse ?? false,
    spareNodes: options.spareNodes ?? 0,
  });
  try {
    await cluster.waitForLeader();
    await body(cluster);
    const crashes = cluster.crashes();
    assert.deepEqual(crashes, [], `unexpected exits:\n${crashes.map((c) => `${c}\n${cluster.logTail(c.split(' ')[0] ?? '')}`).join('\n')}`);
  } finally {
    await cluster.stop();
  }
}

/** A command's reply, or the error's message prefixed with "error: ". */
export async function attempt(cluster: ChaosCluster, id: string, argv: readonly string[], timeoutMs = 3000): Promise<unknown> {
  const reply = await cluster.call(id, argv, timeoutMs);
  return reply instanceof Error ? `error: ${reply.message}` : reply;
}

/** Retries a read until it gets a reply that is not an error (elections in progress), with a deadline. */
export async function readWithRetry(cluster: ChaosCluster, id: string, argv: readonly string[], timeoutMs = 15_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await attempt(cluster, id, argv);
    if (typeof reply !== 'string' || !reply.startsWith('error: ')) return reply;
    if (Date.now() > deadline) throw new Error(`${argv.join(' ')} on ${id} kept failing for ${timeoutMs} ms: ${reply}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
}

/** Moves leadership to `id` (RAFT.TRANSFER-LEADER through whoever leads), with a deadline. */
export async function transferLeadership(cluster: ChaosCluster, id: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(`${id} to lead`, async () => {
    const current = await cluster.leaderSeenBy(id);
    if (current === id) return true;
    if (current !== null) await attempt(cluster, current, ['RAFT.TRANSFER-LEADER', id]);
    return false;
  }, { timeoutMs, intervalMs: 300 });
}

/**
 * Three rounds of client load through every follower (`clientsPerFollower` connections each,
 * running `work` until told to stop) across a kill -9 of the leader: the leader is killed once
 * `flowing()` says the load gets answers, the load goes on through the failover window, then
 * the clients close and the old leader restarts.
 */
export async function loadAcrossLeaderKills(
  cluster: ChaosCluster,
  clientsPerFollower: number,
  flowing: () => boolean,
  work: (client: Redis, running: () => boolean) => Promise<void>,
): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const leader = await cluster.waitForLeader();
    const followers = cluster.running().map((n) => n.id).filter((id) => id !== leader);
    const clients = followers.flatMap((id) => Array.from({ length: clientsPerFollower }, () => cluster.client(id, 4000)));
    await Promise.all(clients.map((c) => c.connect()));
    let stop = false;
    const workers = clients.map((client) => work(client, () => !stop));
    await waitFor('the load to be answered', flowing, { timeoutMs: 10_000 });
    await cluster.kill(leader);
    // Keep the load on across the failover window.
    await new Promise((r) => setTimeout(r, 1500));
    stop = true;
    await Promise.all(workers);
    for (const client of clients) client.disconnect();
    await cluster.restart(leader);
  }
}

/** A counter every node agrees on, within [acknowledged, acknowledged + unknown] increments. */
export async function assertCountWithin(cluster: ChaosCluster, key: string, acknowledged: number, unknown: number): Promise<void> {
  await cluster.waitForLeader();
  const finals = await Promise.all(cluster.ids.map((id) => readWithRetry(cluster, id, ['GET', key])));
  const count = Number(finals[0]);
  assert.ok(finals.every((f) => f === finals[0]), `nodes disagree: ${finals.join(' ')}`);
  assert.ok(count >= acknowledged, `lost increments: count ${count} < ${acknowledged} acknowledged`);
  assert.ok(count <= acknowledged + unknown, `applied more than once: count ${count} > ${acknowledged} acknowledged + ${unknown} unknown`);
}

/** Waits until `via` sees `id` as a voter. */
export async function waitForVoter(cluster: ChaosCluster, via: string, id: string): Promise<void> {
  await waitFor(`${id} to be a voter as ${via} sees it`, async () => (await cluster.configurationSeenBy(via))?.voters.includes(id) === true, { timeoutMs: 20_000, intervalMs: 100 });
}

/** The first reply of `GET key` on `id` that is not an error (a new member catching up), with a deadline. */
export async function firstRead(cluster: ChaosCluster, id: string, key: string): Promise<unknown> {
  const read = await waitFor(`${id} to answer GET ${key}`, async () => {
    const reply = await attempt(cluster, id, ['GET', key], 2000);
    return typeof reply === 'string' && reply.startsWith('error: ') ? null : { reply };
  }, { timeoutMs: 20_000, intervalMs: 100 });
  return read.reply;
}
