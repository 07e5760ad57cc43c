// The directory lock: one RaftStorage per data directory, across processes (pid file checked
// for a live owner) and within one process; a lock left by a dead process is taken over.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { RaftStorage } from '../../src/storage/raft-storage.js';
import { StorageLockedError } from '../../src/storage/errors.js';
import { SimDisk } from '../../src/storage/sim-disk.js';
import { openSim } from './helpers.js';

function withDir(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftis-lock-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const open = (dir: string) => RaftStorage.open({ dir, clusterId: 'c', nodeId: 'n', segmentBytes: 65536 });

test('a second open of a directory in the same process is refused until the first closes', withDir(async (dir) => {
  const { storage } = await open(dir);
  await assert.rejects(open(dir), (error) => error instanceof StorageLockedError && /this process/.test(error.message));
  await storage.close();
  assert.equal(existsSync(join(dir, 'LOCK')), false);
  const { storage: again } = await open(dir);
  await again.close();
}));

test('a LOCK held by another live process is refused, naming its pid', withDir(async (dir) => {
  writeFileSync(join(dir, 'LOCK'), `${process.ppid}\n`);
  await assert.rejects(open(dir), (error) => error instanceof StorageLockedError && error.message.includes(`process ${process.ppid}`));
}));

test('a LOCK left by a dead process (kill -9) is taken over', withDir(async (dir) => {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.equal(child.status, 0);
  writeFileSync(join(dir, 'LOCK'), `${child.pid}\n`);
  const { storage } = await open(dir);
  await storage.close();
}));

test('SimDisk locks too: two storages on one simulated directory are refused', async () => {
  const disk = new SimDisk();
  const { storage } = await openSim(disk);
  await assert.rejects(openSim(disk), StorageLockedError);
  await storage.close();
  const { storage: again } = await openSim(disk);
  await again.close();
});

test('a directory held by another live process running RaftStorage is refused', withDir(async (dir) => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'writer.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('start')) resolve();
      });
      child.on('exit', () => reject(new Error('writer exited before opening the storage')));
    });
    await assert.rejects(
      RaftStorage.open({ dir, clusterId: 'kill9', nodeId: 'n1', segmentBytes: 256 * 1024 }),
      (error) => error instanceof StorageLockedError && error.message.includes(`process ${child.pid}`),
    );
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  const { storage } = await RaftStorage.open({ dir, clusterId: 'kill9', nodeId: 'n1', segmentBytes: 256 * 1024 });
  await storage.close();
}));
