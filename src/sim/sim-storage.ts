// A simulated node's storage is the real one: RaftStorage (WAL segments, hard state records,
// snapshot files, recovery) behind the server's StorageLogStore, over the storage layer's
// in-memory SimDisk. A crash keeps what was synced plus, by the run's PRNG, a prefix of the
// unsynced writes whose last may be torn (SimDisk.crash), so every restart runs recovery as
// production does. Two thin layers are the simulator's own: IncarnationDisk makes every
// sync take virtual time and goes silent once its process has died, and MonitoredLogStore
// tells the safety monitor which entries became durable (and holds the broken variants'
// persistence bugs).
import type { LogStore, SnapshotByteSink, SnapshotByteSource } from '../node/ports.js';
import type { Entry, HardState, SnapshotMeta } from '../raft/types.js';
import { logIndex, nodeId, term } from '../raft/types.js';
import type { DirLockResult, Disk, DiskStat, FileId, SimDisk } from '../storage/index.js';

export interface SyncScheduler {
  /** Runs `done` when a sync issued now would complete on this node's disk. */
  scheduleSync(done: () => void): void;
}

/** Thrown by a dead incarnation's synchronous disk calls (its asynchronous ones never settle). */
export class DeadProcessError extends Error {
  constructor() {
    super('the simulated process has crashed');
    this.name = 'DeadProcessError';
  }
}

const never = (): Promise<void> => new Promise<void>(() => undefined);

/**
 * One incarnation's view of its node's SimDisk. Writes land in the page cache at once;
 * fdatasync, fsync and a directory sync complete after a sync latency, and only then make
 * data durable. After the process dies nothing it issues reaches the disk, and nothing it
 * waits for completes.
 */
export class IncarnationDisk implements Disk {
  alive = true;

  constructor(
    private readonly disk: SimDisk,
    private readonly scheduler: SyncScheduler,
  ) {}

  private live(): SimDisk {
    if (!this.alive) throw new DeadProcessError();
    return this.disk;
  }

  private later(op: (disk: SimDisk) => Promise<void>): Promise<void> {
    if (!this.alive) return never();
    return new Promise((resolve, reject) => {
      this.scheduler.scheduleSync(() => {
        if (this.alive) op(this.disk).then(resolve, reject);
      });
    });
  }

  private now(op: (disk: SimDisk) => Promise<void>): Promise<void> {
    return this.alive ? op(this.disk) : never();
  }

  mkdir(path: string): void {
    this.live().mkdir(path);
  }
  readdir(path: string): string[] {
    return this.live().readdir(path);
  }
  stat(path: string): DiskStat | null {
    return this.live().stat(path);
  }
  openRead(path: string): FileId {
    return this.live().openRead(path);
  }
  openWrite(path: string, mode: 'new' | 'existing', writeThrough?: boolean): FileId {
    return this.live().openWrite(path, mode, writeThrough);
  }
  pread(file: FileId, target: Uint8Array, position: number): number {
    return this.live().pread(file, target, position);
  }
  fileSize(file: FileId): number {
    return this.live().fileSize(file);
  }
  close(file: FileId): void {
    if (this.alive) this.disk.close(file);
  }
  lockDir(path: string): DirLockResult {
    return this.live().lockDir(path);
  }
  pwrite(file: FileId, data: Uint8Array, position: number): Promise<void> {
    return this.now((disk) => disk.pwrite(file, data, position));
  }
  preallocate(file: FileId, sizeBytes: number): Promise<void> {
    return this.now((disk) => disk.preallocate(file, sizeBytes));
  }
  ftruncate(file: FileId, sizeBytes: number): Promise<void> {
    return this.now((disk) => disk.ftruncate(file, sizeBytes));
  }
  rename(from: string, to: string): Promise<void> {
    return this.now((disk) => disk.rename(from, to));
  }
  unlink(path: string): Promise<void> {
    return this.now((disk) => disk.unlink(path));
  }
  fdatasync(file: FileId): Promise<void> {
    return this.later((disk) => disk.fdatasync(file));
  }
  fsync(file: FileId): Promise<void> {
    return this.later((disk) => disk.fsync(file));
  }
  /** The write at once, its sync after the sync latency: the pair, as the real disk's write-through does in one call. */
  async pwriteDurable(file: FileId, data: Uint8Array, position: number): Promise<void> {
    await this.pwrite(file, data, position);
    await this.fdatasync(file);
  }
  fsyncDir(path: string): Promise<void> {
    return this.later((disk) => disk.fsyncDir(path));
  }
}

export interface PersistenceBugs {
  /** The vote is never persisted: after a crash the node has forgotten whom it voted for. */
  readonly forgetVote?: boolean;
  /** Term and vote are never persisted. */
  readonly forgetHardState?: boolean;
}

export interface DurableHooks {
  /** An entry is durable, with the term of the entry before it in this node's log (-1 when unknown). */
  onDurable(entry: Entry, previousTerm: number): void;
}

/**
 * The runtime's LogStore as production wires it, plus what the safety monitor needs: after
 * each sync, the entries it covered are reported durable with their predecessor's term.
 */
export class MonitoredLogStore implements LogStore {
  /** Term of each index in this incarnation's log, as far as it knows (sparse below the first entry). */
  private readonly terms: number[] = [];
  private unsynced: { entry: Entry; previousTerm: number }[] = [];

  constructor(
    private readonly inner: LogStore,
    private readonly hooks: DurableHooks,
    private readonly bugs: PersistenceBugs,
    recovered: { readonly snapshot: SnapshotMeta | null; readonly entries: readonly Entry[] },
  ) {
    if (recovered.snapshot !== null) this.terms[recovered.snapshot.index] = recovered.snapshot.term;
    for (const entry of recovered.entries) this.terms[entry.index] = entry.term;
  }

  append(entries: readonly Entry[], hardState: HardState | null): void {
    const first = entries[0];
    if (first !== undefined) {
      this.terms.length = first.index;
      this.unsynced = this.unsynced.filter((pending) => pending.entry.index < first.index);
      for (const entry of entries) {
        const previousTerm = entry.index === 1 ? 0 : (this.terms[entry.index - 1] ?? -1);
        this.terms[entry.index] = entry.term;
        this.unsynced.push({ entry, previousTerm });
      }
    }
    this.inner.append(entries, hardState === null ? null : this.persisted(hardState));
  }

  private persisted(hardState: HardState): HardState {
    if (this.bugs.forgetHardState === true) return { term: term(0), vote: nodeId(''), commit: logIndex(0) };
    if (this.bugs.forgetVote === true) return { ...hardState, vote: nodeId('') };
    return hardState;
  }

  sync(): Promise<void> {
    const covered = this.unsynced;
    this.unsynced = [];
    return this.inner.sync().then(() => {
      for (const { entry, previousTerm } of covered) this.hooks.onDurable(entry, previousTerm);
    });
  }

  entries(lo: number, hi: number, maxBytes: number): readonly Entry[] {
    if (this.inner.entries === undefined) throw new Error('the simulated log store reads no entries back');
    return this.inner.entries(lo, hi, maxBytes);
  }

  saveSnapshot(meta: SnapshotMeta): SnapshotByteSink {
    // An installed snapshot replaces the log below it: its term is the one the next entry follows.
    this.terms[meta.index] = meta.term;
    return this.inner.saveSnapshot(meta);
  }

  openSnapshot(meta?: SnapshotMeta): SnapshotByteSource | null {
    return this.inner.openSnapshot(meta);
  }

  compact(index: number): Promise<void> {
    return this.inner.compact(index);
  }
}
