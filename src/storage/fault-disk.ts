// A Disk that injects faults into another, for tests of what a node does when its disk
// fails (switched on only by an explicit debug setting, as the transport's faults are):
// syncs that fail with an errno (EIO: the kernel could not write the pages back), writes
// that find no space (ENOSPC), and syncs that take a long time (a slow or overloaded disk).
// Faults are set and cleared while the node runs; with none set, every call passes through.

import type { DirLockResult, Disk, DiskStat, FileId } from './disk.js';

/** Longest injected sync delay: a slow disk, not a hung one. */
export const FAULT_SYNC_DELAY_MS_MAX = 60_000;

export interface DiskFaults {
  /** fdatasync, fsync and directory syncs fail with this errno code (e.g. 'EIO'); null: they succeed. */
  readonly failSyncs: 'EIO' | null;
  /** Writes and preallocation fail with ENOSPC (nothing written) while true. */
  readonly noSpace: boolean;
  /** Every sync completes this much later. */
  readonly syncDelayMs: number;
}

export const NO_DISK_FAULTS: DiskFaults = Object.freeze({ failSyncs: null, noSpace: false, syncDelayMs: 0 });

function errnoError(code: 'EIO' | 'ENOSPC', syscall: string): NodeJS.ErrnoException {
  const text = code === 'EIO' ? 'i/o error' : 'no space left on device';
  return Object.assign(new Error(`${code}: ${text}, ${syscall} (injected)`), { code, syscall, errno: code === 'EIO' ? -5 : -28 });
}

export class FaultDisk implements Disk {
  private faults: DiskFaults = NO_DISK_FAULTS;

  constructor(private readonly inner: Disk) {}

  get current(): DiskFaults {
    return this.faults;
  }

  set(faults: Partial<DiskFaults>): void {
    const next = { ...this.faults, ...faults };
    if (!Number.isInteger(next.syncDelayMs) || next.syncDelayMs < 0 || next.syncDelayMs > FAULT_SYNC_DELAY_MS_MAX) {
      throw new RangeError(`sync delay must be an integer in [0, ${FAULT_SYNC_DELAY_MS_MAX}] ms (got ${next.syncDelayMs})`);
    }
    this.faults = Object.freeze(next);
  }

  heal(): void {
    this.faults = NO_DISK_FAULTS;
  }

  private async sync(syscall: string, run: () => Promise<void>): Promise<void> {
    const { syncDelayMs } = this.faults;
    if (syncDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, syncDelayMs));
    // Judged when the sync would complete, so a fault set meanwhile applies to it.
    if (this.faults.failSyncs !== null) throw errnoError(this.faults.failSyncs, syscall);
    return run();
  }

  private write(syscall: string, run: () => Promise<void>): Promise<void> {
    if (this.faults.noSpace) return Promise.reject(errnoError('ENOSPC', syscall));
    return run();
  }

  mkdir(path: string): void {
    this.inner.mkdir(path);
  }
  readdir(path: string): string[] {
    return this.inner.readdir(path);
  }
  stat(path: string): DiskStat | null {
    return this.inner.stat(path);
  }
  openRead(path: string): FileId {
    return this.inner.openRead(path);
  }
  openWrite(path: string, mode: 'new' | 'existing', writeThrough?: boolean): FileId {
    return this.inner.openWrite(path, mode, writeThrough);
  }
  pread(file: FileId, target: Uint8Array, position: number): number {
    return this.inner.pread(file, target, position);
  }
  fileSize(file: FileId): number {
    return this.inner.fileSize(file);
  }
  close(file: FileId): void {
    this.inner.close(file);
  }
  lockDir(path: string): DirLockResult {
    return this.inner.lockDir(path);
  }
  ftruncate(file: FileId, sizeBytes: number): Promise<void> {
    return this.inner.ftruncate(file, sizeBytes);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  unlink(path: string): Promise<void> {
    return this.inner.unlink(path);
  }
  pwrite(file: FileId, data: Uint8Array, position: number): Promise<void> {
    return this.write('write', () => this.inner.pwrite(file, data, position));
  }
  preallocate(file: FileId, sizeBytes: number): Promise<void> {
    return this.write('fallocate', () => this.inner.preallocate(file, sizeBytes));
  }
  fdatasync(file: FileId): Promise<void> {
    return this.sync('fdatasync', () => this.inner.fdatasync(file));
  }
  fsync(file: FileId): Promise<void> {
    return this.sync('fsync', () => this.inner.fsync(file));
  }
  /** A write's fault (a full disk) first, then a sync's (delay, failure), as for the pair it stands for. */
  pwriteDurable(file: FileId, data: Uint8Array, position: number): Promise<void> {
    return this.write('write', () => this.sync('fdatasync', () => this.inner.pwriteDurable(file, data, position)));
  }
  fsyncDir(path: string): Promise<void> {
    return this.sync('fsync', () => this.inner.fsyncDir(path));
  }
}
