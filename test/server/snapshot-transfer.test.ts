// Snapshot transfers that go wrong, with real processes: the leader dies while a lagging
// follower is receiving a snapshot (the next leader must send a fresh one), and nodes
// restarted with a snapshot and a log that do not line up (a snapshot installed over an
// older log; a damaged newest snapshot with an older one and the WAL covering the gap).

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

interface LogLine {
  readonly msg?: string;
  readonly from?: string;
}

/** The node's JSON log lines from `fromByte` on (a line still being written is left out). */
function logLines(cluster: TestCluster, id: string, fromByte = 0): LogLine[] {
  const text = readFileSync(cluster.node(id).logPath, 'utf8').slice(fromByte);
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // the last line may be incomplete
    }
  }
  return lines;
}

function logSize(cluster: TestCluster, id: string): number {
  return readFileSync(cluster.node(id).logPath, 'utf8').length;
}

async function digests(cluster: TestCluster, ids: readonly string[]): Promise<Set<string> | null> {
  const seen = new Set<string>();
  for (const id of ids) {
    const reply = await cluster.call(id, ['RAFT.DIGEST']);
    if (!Array.isArray(reply)) return null;
    seen.add(`${String(reply[0])}/${String(reply[1])}`);
  }
  return seen;
}

async function digestsAgree(cluster: TestCluster, ids: readonly string[]): Promise<boolean> {
  const seen = await digests(cluster, ids);
  return seen !== null && seen.size === 1;
}

async function writeMany(cluster: TestCluster, id: string, prefix: string, count: number, value: string): Promise<void> {
  const redis = cluster.client(id);
  const pipelineSize = 100;
  for (let i = 0; i < count; i += pipelineSize) {
    const pipeline = redis.pipeline();
    for (let j = i; j < Math.min(count, i + pipelineSize); j++) pipeline.set(`${prefix}:${j}`, `${value}${j}`);
    const results = await pipeline.exec();
    for (const [error] of results ?? []) assert.equal(error, null);
  }
}

/** Every acknowledged key reads back with its value on every listed node (stale reads: local state). */
async function assertAllPresent(cluster: TestCluster, ids: readonly string[], acknowledged: ReadonlyMap<string, string>): Promise<void> {
  const keys = [...acknowledged.keys()];
  for (const id of ids) {
    const redis = cluster.client(id);
    await redis.call('RAFT.CONSISTENCY', 'stale');
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      const values = await redis.mget(...batch);
      batch.forEach((key, j) => assert.equal(values[j], acknowledged.get(key), `${id}: acknowledged write ${key} lost`));
    }
  }
}

// Small chunks make the transfer of a few megabytes thousands of chunks long, so the
// follower is still receiving when the test acts on it. One entry per write: the snapshot
// thresholds count entries, and the tests count on many of them.
const ONE_ENTRY_PER_WRITE = ['--write-batch-commands-max', '1'];
const TRANSFER_ARGS = ['--snapshot-entries', '400', '--log-retain-entries', '50', '--snapshot-chunk-bytes', '4096', ...ONE_ENTRY_PER_WRITE];

describe('leader killed mid-transfer', () => {
  it('a lagging follower catches up by a fresh transfer from the next leader, with no acknowledged write lost', async () => {
    const cluster = await TestCluster.start({ nodes: 3, args: TRANSFER_ARGS });
    // The live writer stops with the test, however it ends (a writer left running would keep
    // the test process alive after a failure).
    let writing = true;
    try {
      const leader = await cluster.waitForLeader();
      const [victim, other] = cluster.nodes.map((n) => n.id).filter((id) => id !== leader) as [string, string];
      const value = 'x'.repeat(2000);
      const acknowledged = new Map<string, string>();
      await writeMany(cluster, leader, 'before', 50, value);
      await cluster.kill(victim, 'SIGKILL');
      await writeMany(cluster, leader, 'bulk', 3000, value); // ~6 MB: about 1,500 chunks
      for (let i = 0; i < 3000; i++) acknowledged.set(`bulk:${i}`, `${value}${i}`);
      for (let i = 0; i < 50; i++) acknowledged.set(`before:${i}`, `${value}${i}`);

      // Writes keep coming through the third node while the transfer runs and the leader dies.
      const writer = (async (): Promise<void> => {
        const redis = cluster.client(other);
        for (let i = 0; writing; i++) {
          try {
            if ((await redis.set(`live:${i}`, `v${i}`)) === 'OK') acknowledged.set(`live:${i}`, `v${i}`);
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 20)); // no leader yet: the outcome is unknown, not counted
          }
        }
      })();

      // The follower comes back and the leader starts streaming; freeze the follower mid-stream
      // (SIGSTOP) the moment it logs that it is receiving, so the kill lands mid-transfer.
      const logStart = logSize(cluster, victim);
      cluster.startNode(victim);
      await waitFor(`${victim} to start receiving a snapshot from ${leader}`,
        () => logLines(cluster, victim, logStart).some((l) => l.msg === 'receiving snapshot' && l.from === leader), { timeoutMs: 30_000, intervalMs: 5 });
      cluster.pause(victim);
      const receivedBeforeKill = logLines(cluster, victim, logStart).filter((l) => l.msg === 'received snapshot');
      assert.deepEqual(receivedBeforeKill, [], `${victim} must be mid-transfer when the leader dies (log ${cluster.node(victim).logPath})`);
      await cluster.kill(leader, 'SIGKILL');
      cluster.resume(victim);

      const newLeader = await cluster.waitForLeaderAmong([victim, other], 30_000);
      assert.equal(newLeader, other, 'the follower that missed the log cannot win the election');
      await waitFor(`${victim} to receive a whole snapshot from ${other}`,
        () => logLines(cluster, victim, logStart).some((l) => l.msg === 'received snapshot' && l.from === other), { timeoutMs: 60_000 });
      assert.ok(!logLines(cluster, victim, logStart).some((l) => l.msg === 'received snapshot' && l.from === leader), 'the cut transfer never completed');

      writing = false;
      await writer;
      await cluster.restart(leader);
      const everyone = cluster.nodes.map((n) => n.id);
      await waitFor('RAFT.DIGEST equal on every node', () => digestsAgree(cluster, everyone), { timeoutMs: 60_000 });
      assert.ok(acknowledged.size > 3050, `some writes were acknowledged during the transfer (${acknowledged.size})`);
      await assertAllPresent(cluster, everyone, acknowledged);

      // Restart the follower right away: its snapshot (installed from the leader) and its log
      // (entries from before it fell behind, then a gap) do not line up; Raft's rules reconcile them.
      await cluster.kill(victim, 'SIGKILL');
      await cluster.restart(victim);
      await waitFor('RAFT.DIGEST equal after the follower restarts on its installed snapshot', () => digestsAgree(cluster, everyone), { timeoutMs: 30_000 });
      await assertAllPresent(cluster, [victim], acknowledged);
      assert.deepEqual(cluster.crashes(), []);
    } finally {
      writing = false;
      await cluster.stop();
    }
  });
});

describe('snapshot and log that do not line up on restart', () => {
  it('a damaged newest snapshot is skipped for the older one, the WAL covering the gap; nothing is lost', async () => {
    // The log keeps more than one snapshot interval, so the WAL reaches back past the older snapshot.
    const cluster = await TestCluster.start({ nodes: 3, args: ['--snapshot-entries', '200', '--log-retain-entries', '1000', ...ONE_ENTRY_PER_WRITE] });
    try {
      const leader = await cluster.waitForLeader();
      const victim = cluster.nodes.find((n) => n.id !== leader)?.id ?? '';
      await writeMany(cluster, leader, 'k', 700, 'v');
      const snapDir = join(cluster.node(victim).dataDir, 'snap');
      await waitFor(`${victim} to hold two snapshots`, () => readdirSync(snapDir).filter((f) => f.endsWith('.snap')).length >= 2, { timeoutMs: 20_000 });
      await cluster.kill(victim, 'SIGKILL');
      // Snapshot files are named <term>-<index> in hexadecimal.
      const byIndex = (name: string): number => parseInt(/-([0-9a-f]+)\.snap$/.exec(name)?.[1] ?? '-1', 16);
      const files = readdirSync(snapDir).filter((f) => f.endsWith('.snap')).sort((a, b) => byIndex(a) - byIndex(b));
      const newest = join(snapDir, files[files.length - 1] ?? '');
      const bytes = readFileSync(newest);
      bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0xff;
      writeFileSync(newest, bytes);

      const logStart = logSize(cluster, victim);
      await cluster.restart(victim);
      await waitFor(`${victim} to say it uses the older snapshot`,
        () => logLines(cluster, victim, logStart).some((l) => l.msg === 'using an older snapshot; the WAL covers the gap'), { timeoutMs: 30_000 });
      await writeMany(cluster, leader, 'after', 100, 'w');
      const everyone = cluster.nodes.map((n) => n.id);
      await waitFor('RAFT.DIGEST equal on every node', () => digestsAgree(cluster, everyone), { timeoutMs: 30_000 });
      const follower = cluster.client(victim);
      await follower.call('RAFT.CONSISTENCY', 'stale');
      assert.equal(await follower.get('k:699'), 'v699');
      assert.equal(await follower.get('k:0'), 'v0');
      assert.equal(await follower.get('after:99'), 'w99');
      assert.deepEqual(cluster.crashes(), []);
    } finally {
      await cluster.stop();
    }
  });
});
