// Failover: under a light write load (4 closed-loop clients on the followers), kill -9 the
// leader and measure the time until a write succeeds again: a probe connection on a
// surviving node sends SET right after the kill, retrying at once on any error, and the
// sample is kill → first OK. The killed node is restarted and the cluster allowed to agree
// on a leader again before the next round.

import { runClosedLoop } from './closed-loop.js';
import { openRespLoadClient, type LoadClient } from './load-clients.js';
import type { Progress } from './progress.js';
import { RespClient, replyFailure } from './resp-client.js';
import { percentileOf, type FailoverResult } from './results.js';
import { RaftisCluster } from './systems/raftis-cluster.js';

const LOAD_CLIENTS_PER_FOLLOWER = 2;
/** Writes not succeeding this long after the kill count as a failed round. */
const RECOVERY_MAX_MS = 20_000;
const WARMUP_MS = 500;
const PROBE_RETRY_MS = 5;

async function probeUntilWritable(port: number, killedAt: number): Promise<number | null> {
  let client: RespClient | null = null;
  for (let attempt = 0; performance.now() - killedAt < RECOVERY_MAX_MS; attempt++) {
    try {
      client ??= await RespClient.open(port);
      const failure = replyFailure(await client.call(['SET', 'bench:failover', String(attempt)]));
      if (failure === null) {
        client.close();
        return performance.now() - killedAt;
      }
    } catch {
      // Connection refused or reset: try again below.
    }
    if (client?.closed === true) client = null;
    await new Promise((resolveWait) => setTimeout(resolveWait, PROBE_RETRY_MS));
  }
  client?.close();
  return null;
}

export async function measureFailover(rounds: number, profileDir: string | null, progress: Progress): Promise<FailoverResult> {
  const line = progress.start(`failover: kill -9 the leader ${rounds} times`);
  const cluster = await RaftisCluster.start({ nodes: 3, profileDir });
  const samplesMs: number[] = [];
  let failures = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      const leader = await cluster.waitForLeader();
      const followers = cluster.nodes.filter((n) => n !== leader);
      const load: LoadClient[] = [];
      for (const follower of followers) {
        for (let i = 0; i < LOAD_CLIENTS_PER_FOLLOWER; i++) load.push(await openRespLoadClient(follower.port, null));
      }
      let stopped = false;
      const background = runClosedLoop(load, { durationMs: RECOVERY_MAX_MS + WARMUP_MS, readFraction: 0, shouldStop: () => stopped });
      await new Promise((resolveWait) => setTimeout(resolveWait, WARMUP_MS));
      const killedAt = performance.now();
      await cluster.kill(leader);
      const sample = await probeUntilWritable(followers[round % followers.length]!.port, killedAt);
      stopped = true;
      await background;
      for (const client of load) client.close();
      if (sample === null) failures++;
      else samplesMs.push(sample);
      cluster.restart(leader);
      line.update(`round ${round + 1}/${rounds}: ${sample === null ? 'no recovery' : `${sample.toFixed(0)} ms`}; p50 ${percentileOf(samplesMs, 50).toFixed(0)} ms`);
    }
    await cluster.waitForLeader();
  } finally {
    await cluster.stop();
  }
  line.done(`${samplesMs.length} rounds, p50 ${percentileOf(samplesMs, 50).toFixed(0)} ms p99 ${percentileOf(samplesMs, 99).toFixed(0)} ms${failures > 0 ? `, ${failures} without recovery` : ''}`);
  return { samplesMs, failures };
}
