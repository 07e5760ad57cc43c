// raftis backup and raftis restore, as an operator runs them: a backup taken from a follower
// while a client keeps writing holds every write acknowledged before it started; restored
// into a fresh 3-node cluster, every node of that cluster reports the backup's digest; a
// damaged file is refused before anything is written.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ClusterUp, call, freeBasePort, runRaftis as raftis } from '../support/cluster-up.js';
import { waitFor } from '../support/wait.js';
import { loadBackupState } from '../../src/cli/backup.js';
import { verifyBackup } from '../../src/cli/backup-file.js';

const NODES = 3;

/** Writes keys one after another until stopped; `acked` holds each key once its write was acknowledged. */
function startWriter(redis: Redis): { acked: string[]; stop: () => Promise<void> } {
  const acked: string[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const key = `w:${i}`;
      await redis.multi().set(key, String(i)).hset(`wh:${i % 16}`, `f${i}`, String(i)).rpush(`wl:${i % 8}`, String(i)).exec();
      acked.push(key);
    }
  })();
  return { acked, stop: async () => { running = false; await loop; } };
}

describe('raftis backup and restore', () => {
  let root: string;
  const clusters: ClusterUp[] = [];

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'raftis-backup-'));
  });

  after(async () => {
    for (const cluster of clusters) if (cluster.child.exitCode === null && cluster.child.signalCode === null) cluster.child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('backs up a follower under write load and seeds a new 3-node cluster with the same digest', async () => {
    const sourceBase = await freeBasePort(NODES);
    const source = new ClusterUp(NODES, sourceBase, join(root, 'source'), []);
    clusters.push(source);
    await source.waitUp();
    const redis = new Redis({ port: sourceBase, lazyConnect: true, maxRetriesPerRequest: 5 });
    await redis.connect();
    await redis.zadd('scores', 1, 'a', 2.5, 'b', -3, 'c');
    await redis.sadd('tags', 'x', 'y', 'z');
    await redis.set('volatile', 'v', 'EX', 100_000);
    const writer = startWriter(redis);
    await waitFor('some writes before the backup', () => writer.acked.length >= 200, { timeoutMs: 60_000 });
    const ackedBefore = [...writer.acked];
    const follower = await waitFor('a follower', async () => {
      for (let i = 0; i < NODES; i++) if (/role:follower/.test(String(await call(sourceBase + i, 'RAFT.INFO')))) return sourceBase + i;
      return null;
    });
    const file = join(root, 'cluster.backup');
    const backup = await raftis('backup', '--server', `127.0.0.1:${follower}`, '--out', file);
    assert.equal(backup.code, 0, backup.stderr);
    await waitFor('writes after the backup started', () => writer.acked.length >= ackedBefore.length + 50, { timeoutMs: 60_000 });
    await writer.stop();
    redis.disconnect();
    assert.match(backup.stdout, /applied index \d+ .* crc32 [0-9a-f]{8}/);
    await source.stop();

    const state = loadBackupState(verifyBackup(file));
    const exists = (keys: string[]): unknown => state.read([Buffer.from('EXISTS'), ...keys.map((k) => Buffer.from(k))], state.stats().clusterTime);
    assert.deepEqual(exists(ackedBefore), { kind: 'integer', value: ackedBefore.length }, 'every write acknowledged before the backup began is in it');
    assert.deepEqual(exists(['scores', 'tags', 'volatile']), { kind: 'integer', value: 3 });
    const digest = state.digest();

    const restoredBase = await freeBasePort(NODES);
    const restoredDir = join(root, 'restored');
    const restore = await raftis('restore', file, '--cluster-dir', restoredDir, '--nodes', String(NODES), '--port', String(restoredBase));
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, new RegExp(`n3 of a new cluster .* digest ${digest.hash}`));
    const restored = new ClusterUp(NODES, restoredBase, restoredDir, []);
    clusters.push(restored);
    await restored.waitUp();
    for (let i = 0; i < NODES; i++) {
      const reply = await waitFor(`n${i + 1}'s digest`, async () => {
        const answer = await call(restoredBase + i, 'RAFT.DIGEST');
        return Array.isArray(answer) ? answer : null;
      }, { timeoutMs: 30_000 });
      assert.equal(String(reply[1]), digest.hash, `n${i + 1} holds the backup's state`);
      assert.ok(Number(reply[0]) > digest.appliedIndex, 'the new cluster goes on after the backup\'s index');
    }
    assert.deepEqual(await call(restoredBase + 1, 'ZRANGE', 'scores', '0', '-1', 'WITHSCORES'), ['c', '-3', 'a', '1', 'b', '2.5']);
    assert.equal(await call(restoredBase + 2, 'SET', 'after', 'restore'), 'OK');
    await restored.stop();
  });

  it('refuses a damaged backup and leaves the data directory empty', async () => {
    const file = join(root, 'cluster.backup');
    const damaged = join(root, 'damaged.backup');
    const bytes = readFileSync(file);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0x40;
    writeFileSync(damaged, bytes);
    const dataDir = join(root, 'from-damaged');
    const restore = await raftis('restore', damaged, '--data-dir', dataDir, '--id', 'n1');
    assert.equal(restore.code, 1);
    assert.match(restore.stderr, /checksum mismatch .* the file is damaged/);
    assert.equal(existsSync(join(dataDir, 'raftis.json')), false);
  });

  it('refuses to restore over a node', async () => {
    const restore = await raftis('restore', join(root, 'cluster.backup'), '--data-dir', join(root, 'restored', 'n1'), '--id', 'n1');
    assert.equal(restore.code, 78);
    assert.match(restore.stderr, /already holds a node; restore into a new data directory/);
  });
});
