// The file-system surface the storage layer uses, so the same code runs on the real disk and
// on the simulated one (sim-disk.ts). Startup and bounded positional reads are synchronous;
// everything on the write path (writes, syncs, renames, deletes) is asynchronous.

/** An open file, as returned by open*(); meaningful only to the Disk that returned it. */
export type FileId = number;

export interface DiskStat {
  sizeBytes: number;
  isDirectory: boolean;
}

export type DirLockResult = { ok: true; release: () => void } | { ok: false; holder: string };

export interface Disk {
  /** Creates the directory and its parents; no error if it exists. */
  mkdir(path: string): void;
  /** Names (not paths) in the directory. */
  readdir(path: string): string[];
  /** null if nothing exists at path. */
  stat(path: string): DiskStat | null;
  openRead(path: string): FileId;
  /**
   * Read-write; 'new' fails if the file exists, 'existing' fails if it does not. With
   * `writeThrough`, pwriteDurable needs no separate sync: the system makes each write durable
   * before it returns (O_DSYNC), one call and one thread-pool hop instead of two (the WAL's
   * group commit). Every write to such a file is then durable on return, pwrite's too.
   */
  openWrite(path: string, mode: 'new' | 'existing', writeThrough?: boolean): FileId;
  /** Reads up to target.length bytes at position; returns how many were read (short at EOF). */
  pread(file: FileId, target: Uint8Array, position: number): number;
  fileSize(file: FileId): number;
  close(file: FileId): void;

  /** Writes all of data at position. */
  pwrite(file: FileId, data: Uint8Array, position: number): Promise<void>;
  /** Makes the file's data (and the metadata needed to read it) durable. */
  fdatasync(file: FileId): Promise<void>;
  /** pwrite, then as durable as after fdatasync: in one call on a file opened with `writeThrough`. */
  pwriteDurable(file: FileId, data: Uint8Array, position: number): Promise<void>;
  /** Makes the file's data and all its metadata durable. */
  fsync(file: FileId): Promise<void>;
  /** Extends the file to sizeBytes with zeros that are really allocated (not a sparse hole). */
  preallocate(file: FileId, sizeBytes: number): Promise<void>;
  ftruncate(file: FileId, sizeBytes: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Makes the directory's entries (creations, renames, deletions) durable. */
  fsyncDir(path: string): Promise<void>;

  /** Takes an exclusive lock on a data directory for this process until release(). */
  lockDir(path: string): DirLockResult;
}
