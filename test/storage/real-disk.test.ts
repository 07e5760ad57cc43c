// The real disk's write-through files: the WAL's group commit is one write that returns
// durable (O_DSYNC), so a sync costs one call and one thread-pool hop, not a write and an
// fdatasync. Checked on the open files' flags as the kernel reports them (Linux's
// /proc/self/fdinfo), and on the bytes written.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realDisk } from '../../src/storage/real-disk.js';
import { RaftStorage } from '../../src/storage/raft-storage.js';
import { entries } from './helpers.js';

const fdinfo = existsSync('/proc/self/fdinfo');
const O_DSYNC = constants.O_DSYNC ?? 0;

/** The open flags of `fd` as the kernel holds them. */
function openFlags(fd: number): number {
  const line = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').find((l) => l.startsWith('flags:'));
  assert.ok(line !== undefined, `fdinfo of ${fd} has flags`);
  return Number.parseInt(line.slice('flags:'.length).trim(), 8);
}

function withDir(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftis-disk-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('a file opened write-through writes through (O_DSYNC); a plain one does not', { skip: !fdinfo || O_DSYNC === 0 }, withDir(async (dir) => {
  const through = realDisk.openWrite(join(dir, 'through'), 'new', true);
  const plain = realDisk.openWrite(join(dir, 'plain'), 'new');
  const existing = realDisk.openWrite(join(dir, 'plain'), 'existing', true);
  try {
    assert.notEqual(openFlags(through) & O_DSYNC, 0);
    assert.equal(openFlags(plain) & O_DSYNC, 0);
    assert.notEqual(openFlags(existing) & O_DSYNC, 0);
  } finally {
    for (const file of [through, plain, existing]) realDisk.close(file);
  }
}));

test('pwriteDurable writes its bytes at its position on either kind of file', withDir(async (dir) => {
  for (const writeThrough of [true, false]) {
    const path = join(dir, `f-${writeThrough}`);
    const file = realDisk.openWrite(path, 'new', writeThrough);
    try {
      await realDisk.pwriteDurable(file, Buffer.from('abc'), 0);
      await realDisk.pwriteDurable(file, Buffer.from('XY'), 1);
      assert.equal(readFileSync(path, 'latin1'), 'aXY');
    } finally {
      realDisk.close(file);
    }
  }
}));

test('the WAL segments a node appends to are open write-through', { skip: !fdinfo || O_DSYNC === 0 }, withDir(async (dir) => {
  const { storage } = await RaftStorage.open({ dir, clusterId: 'c', nodeId: 'n', segmentBytes: 65536 });
  try {
    storage.append(entries(1, 5, 1), { term: 1, vote: 'n', commit: 0 });
    await storage.sync();
    const wal = join(dir, 'wal');
    const segmentFds = readdirSync('/proc/self/fd').map(Number).filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${wal}/`);
      } catch {
        return false; // closed meanwhile (the directory listing's own fd)
      }
    });
    // The segment written and the next one, made ready beforehand.
    assert.ok(segmentFds.length >= 1, 'a segment is open for writing');
    for (const fd of segmentFds) assert.notEqual(openFlags(fd) & O_DSYNC, 0, readlinkSync(`/proc/self/fd/${fd}`));
  } finally {
    await storage.close();
  }
}));
