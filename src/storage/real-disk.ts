// The production Disk on node:fs. Write-path calls use the callback API wrapped in one
// promise each (cheaper than fs/promises FileHandle objects); the lock is a pid file.

import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import type { Disk, DirLockResult, DiskStat, FileId } from './disk.js';

const PREALLOCATE_CHUNK_BYTES = 1 << 20;
const LOCK_FILE_NAME = 'LOCK';

// Directories this process holds, so a second RaftStorage in the same process is refused
// too (process.kill(ourPid, 0) would say "alive" but the pid is ours).
const heldDirs = new Set<string>();

/**
 * Files opened with writeThrough where the platform has O_DSYNC: their writes are durable on
 * return, so pwriteDurable makes no fdatasync call. Elsewhere writeThrough opens a plain file
 * and pwriteDurable syncs after the write.
 */
const writeThroughFiles = new Set<FileId>();
const O_DSYNC: number | undefined = fs.constants.O_DSYNC;

function promisified(run: (done: (error: NodeJS.ErrnoException | null) => void) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    run((error) => (error ? reject(error) : resolvePromise()));
  });
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else: alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The lock: a file `LOCK` created with O_EXCL holding our pid. A LOCK whose pid is not a live
 * process is stale (its owner died, e.g. kill -9) and is taken over. The one weakness: if the
 * dead owner's pid has been reused by an unrelated process the directory looks locked; the
 * error names the pid so an operator can check and delete LOCK by hand.
 */
function lockDirectory(dir: string): DirLockResult {
  const absolute = resolve(dir);
  if (heldDirs.has(absolute)) return { ok: false, holder: `this process (pid ${process.pid})` };
  const lockPath = join(absolute, LOCK_FILE_NAME);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lockPath, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o644);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      heldDirs.add(absolute);
      let released = false;
      return {
        ok: true,
        release: () => {
          if (released) return;
          released = true;
          heldDirs.delete(absolute);
          try {
            if (fs.readFileSync(lockPath, 'utf8').trim() === String(process.pid)) fs.unlinkSync(lockPath);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let text = '';
    try {
      text = fs.readFileSync(lockPath, 'utf8').trim();
    } catch {
      continue; // Removed between our open and read: retry.
    }
    const pid = Number.parseInt(text, 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isProcessAlive(pid)) {
      return { ok: false, holder: `process ${pid} (${lockPath})` };
    }
    // Stale: its owner is gone (or the file is empty from a crash while writing it).
    try {
      fs.unlinkSync(lockPath);
    } catch {
      // Someone else removed it first; the O_EXCL create decides who wins.
    }
  }
  return { ok: false, holder: `a process racing for ${lockPath}` };
}

export const realDisk: Disk = {
  mkdir(path) {
    fs.mkdirSync(path, { recursive: true });
  },
  readdir(path) {
    return fs.readdirSync(path);
  },
  stat(path): DiskStat | null {
    try {
      const s = fs.statSync(path);
      return { sizeBytes: s.size, isDirectory: s.isDirectory() };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  },
  openRead(path) {
    return fs.openSync(path, 'r');
  },
  openWrite(path, mode, writeThrough = false) {
    const { O_RDWR, O_CREAT, O_EXCL } = fs.constants;
    const through = writeThrough && O_DSYNC !== undefined ? O_DSYNC : 0;
    const file = fs.openSync(path, (mode === 'new' ? O_RDWR | O_CREAT | O_EXCL : O_RDWR) | through, 0o666);
    if (through !== 0) writeThroughFiles.add(file);
    return file;
  },
  pread(file: FileId, target, position) {
    let done = 0;
    while (done < target.length) {
      const n = fs.readSync(file, target, done, target.length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  },
  fileSize(file) {
    return fs.fstatSync(file).size;
  },
  close(file) {
    writeThroughFiles.delete(file);
    fs.closeSync(file);
  },
  async pwrite(file, data, position) {
    let done = 0;
    while (done < data.length) {
      const written = await new Promise<number>((resolvePromise, reject) => {
        fs.write(file, data, done, data.length - done, position + done, (error, n) => (error ? reject(error) : resolvePromise(n)));
      });
      done += written;
    }
  },
  fdatasync(file) {
    return promisified((done) => fs.fdatasync(file, done));
  },
  async pwriteDurable(file, data, position) {
    await realDisk.pwrite(file, data, position);
    if (!writeThroughFiles.has(file)) await realDisk.fdatasync(file);
  },
  fsync(file) {
    return promisified((done) => fs.fsync(file, done));
  },
  async preallocate(file, sizeBytes) {
    const current = fs.fstatSync(file).size;
    const zeros = new Uint8Array(PREALLOCATE_CHUNK_BYTES);
    for (let position = current; position < sizeBytes; position += PREALLOCATE_CHUNK_BYTES) {
      const length = Math.min(PREALLOCATE_CHUNK_BYTES, sizeBytes - position);
      await realDisk.pwrite(file, length === zeros.length ? zeros : zeros.subarray(0, length), position);
    }
  },
  ftruncate(file, sizeBytes) {
    return promisified((done) => fs.ftruncate(file, sizeBytes, done));
  },
  rename(from, to) {
    return promisified((done) => fs.rename(from, to, done));
  },
  unlink(path) {
    return promisified((done) => fs.unlink(path, done));
  },
  async fsyncDir(path) {
    const fd = fs.openSync(path, 'r');
    try {
      await promisified((done) => fs.fsync(fd, done));
    } finally {
      fs.closeSync(fd);
    }
  },
  lockDir: lockDirectory,
};
