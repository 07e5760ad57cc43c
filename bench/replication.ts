// Replication latency by cluster size: for each write, the time from its acknowledgement
// by the leader to its value being readable on every follower. Method: one writer on the
// leader SETs a fresh value; as soon as the OK arrives, one connection per follower (in
// RAFT.CONSISTENCY stale, i.e. the follower's own applied state) GETs the key in a tight
// loop, one request in flight, until it returns the new value. The sample is the slowest
// follower's time. The polling itself loads the followers, and a sample is rounded up to
// the next poll reply, so this slightly overstates the true apply delay.

import { encodeCommand } from '../src/resp/index.js';
import { LatencyHistogram } from './histogram.js';
import type { Progress } from './progress.js';
import { RespClient, replyFailure, replyText } from './resp-client.js';
import type { ReplicationRow } from './results.js';
import { RaftisCluster } from './systems/raftis-cluster.js';

export const REPLICATION_SIZES = [3, 5, 7] as const;
const REPLICATION_KEY = 'bench:replication';
/** A sample whose value has not reached every follower by then counts as an error. */
const FOLLOWER_WAIT_MAX_MS = 10_000;

function pollUntil(follower: RespClient, request: Buffer, expected: string, giveUpAt: number, done: (ok: boolean) => void): void {
  follower.sendEncoded(request, (reply) => {
    if (replyText(reply) === expected) done(true);
    else if (follower.closed || performance.now() > giveUpAt) done(false);
    else pollUntil(follower, request, expected, giveUpAt, done);
  });
}

async function sampleOnce(writer: RespClient, followers: readonly RespClient[], sequence: number): Promise<number | null> {
  const value = `v${sequence}`;
  const failure = replyFailure(await writer.call(['SET', REPLICATION_KEY, value]));
  if (failure !== null) return null;
  const acked = performance.now();
  const get = encodeCommand(['GET', REPLICATION_KEY]);
  const times = await Promise.all(followers.map((follower) => new Promise<number | null>((resolveFollower) => {
    pollUntil(follower, get, value, acked + FOLLOWER_WAIT_MAX_MS, (ok) => resolveFollower(ok ? performance.now() - acked : null));
  })));
  if (times.some((t) => t === null)) return null;
  return Math.max(...(times as number[]));
}

export async function measureReplication(nodes: number, durationMs: number, profileDir: string | null, progress: Progress): Promise<ReplicationRow> {
  const line = progress.start(`replication latency, ${nodes}-node raftis`);
  const cluster = await RaftisCluster.start({ nodes, profileDir });
  const clients: RespClient[] = [];
  try {
    const leader = await cluster.waitForLeader();
    const writer = await RespClient.open(leader.port);
    clients.push(writer);
    const followers: RespClient[] = [];
    for (const node of cluster.nodes.filter((n) => n !== leader)) {
      const follower = await RespClient.open(node.port);
      clients.push(follower);
      const failure = replyFailure(await follower.call(['RAFT.CONSISTENCY', 'stale']));
      if (failure !== null) throw new Error(`RAFT.CONSISTENCY stale on ${node.id}: ${failure}`);
      followers.push(follower);
    }
    const histogram = new LatencyHistogram();
    let errors = 0;
    const end = performance.now() + durationMs;
    for (let sequence = 0; performance.now() < end; sequence++) {
      const sample = await sampleOnce(writer, followers, sequence);
      if (sample === null) errors++;
      else histogram.recordUs(sample * 1000);
      if (sequence % 50 === 0) line.update(`${histogram.count} samples, p50 ${histogram.percentileMs(50).toFixed(2)} ms`);
    }
    const row: ReplicationRow = {
      nodes, samples: histogram.count, errors,
      p50Ms: histogram.percentileMs(50), p95Ms: histogram.percentileMs(95), p99Ms: histogram.percentileMs(99),
    };
    line.done(`${row.samples} samples, p50 ${row.p50Ms.toFixed(2)} ms p95 ${row.p95Ms.toFixed(2)} ms p99 ${row.p99Ms.toFixed(2)} ms${errors > 0 ? `, ${errors} errors` : ''}`);
    return row;
  } finally {
    for (const client of clients) client.close();
    await cluster.stop();
  }
}
