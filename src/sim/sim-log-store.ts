// The runtime's LogStore over a SimDisk, for one incarnation of a node. Appends are buffered;
// sync() takes everything buffered so far as one batch, and the batch becomes durable when
// the simulated fsync completes (a latency drawn from the run's seed). A crash loses the
// buffer and the batch in flight, or keeps a prefix of the batch (a torn write).
import type { LogStore, SnapshotByteSink, SnapshotByteSource } from '../node/ports.js';
import type { Entry, HardState, SnapshotMeta } from '../raft/types.js';
import type { LogRecord, SimDisk } from './sim-disk.js';

export interface SyncScheduler {
  /** Runs `done` when a sync of `records` would complete on this node's disk. */
  scheduleSync(done: () => void): void;
}

export class SimLogStore implements LogStore {
  private buffered: LogRecord[] = [];
  /** The batch whose sync is in flight; null when none. Invariant: at most one. */
  private syncing: LogRecord[] | null = null;
  /** The sync that starts when the one in flight completes, shared by every call meanwhile. */
  private queued: Promise<void> | null = null;
  private afterSync: (() => void) | null = null;
  private dead = false;

  constructor(
    private readonly disk: SimDisk,
    private readonly scheduler: SyncScheduler,
  ) {}

  append(entries: readonly Entry[], hardState: HardState | null): void {
    if (this.dead) return;
    if (entries.length > 0) this.buffered.push({ kind: 'entries', entries });
    if (hardState !== null) this.buffered.push({ kind: 'hard-state', hardState });
  }

  /**
   * Like the real WAL's group commit: one sync in flight at a time; calls made while one
   * runs share the next one, which takes everything buffered by the time it starts.
   */
  sync(): Promise<void> {
    if (this.syncing === null) return this.startSync();
    if (this.queued === null) {
      this.queued = new Promise((resolve) => {
        this.afterSync = () => {
          this.queued = null;
          this.startSync().then(resolve, () => undefined);
        };
      });
    }
    return this.queued;
  }

  private startSync(): Promise<void> {
    const batch = this.buffered;
    this.buffered = [];
    this.syncing = batch;
    return new Promise((resolve) => {
      this.scheduler.scheduleSync(() => {
        if (this.dead) return;
        this.syncing = null;
        this.disk.write(batch);
        resolve();
        const next = this.afterSync;
        this.afterSync = null;
        next?.();
      });
    });
  }

  saveSnapshot(meta: SnapshotMeta): SnapshotByteSink {
    const chunks: Uint8Array[] = [];
    return {
      write: (chunk) => {
        chunks.push(chunk.slice());
        return Promise.resolve();
      },
      // The file is synced and renamed: durable once that completes, like a WAL sync.
      commit: () =>
        new Promise((resolve) => {
          this.scheduler.scheduleSync(() => {
            if (this.dead) return;
            this.disk.saveSnapshot({ meta, bytes: concat(chunks) });
            resolve();
          });
        }),
      abort: () => Promise.resolve(),
    };
  }

  openSnapshot(meta?: SnapshotMeta): SnapshotByteSource | null {
    const stored = this.disk.findSnapshot(meta);
    return stored === null ? null : bytesSource(stored.bytes);
  }

  compact(index: number): Promise<void> {
    if (!this.dead) this.disk.compact(index);
    return Promise.resolve();
  }

  /**
   * The process died: nothing more reaches the disk. `tornRecords` (from the run's PRNG)
   * says how many records of the batch in flight made it anyway; entries records count
   * per entry, so a batch can be cut inside a record of many entries.
   */
  crash(tornUnits: number): void {
    this.dead = true;
    const batch = this.syncing;
    this.syncing = null;
    this.buffered = [];
    if (batch !== null && tornUnits > 0) this.disk.write(prefixOf(batch, tornUnits));
    this.disk.crashed();
  }

  /** Records in the batch in flight, counting each entry as one unit. */
  get syncingUnits(): number {
    let units = 0;
    for (const record of this.syncing ?? []) units += record.kind === 'entries' ? record.entries.length : 1;
    return units;
  }
}

function prefixOf(batch: readonly LogRecord[], units: number): LogRecord[] {
  const out: LogRecord[] = [];
  let left = units;
  for (const record of batch) {
    if (left <= 0) break;
    if (record.kind === 'hard-state') {
      out.push(record);
      left--;
    } else {
      const entries = record.entries.slice(0, left);
      out.push({ kind: 'entries', entries });
      left -= entries.length;
    }
  }
  return out;
}

export function bytesSource(bytes: Uint8Array): SnapshotByteSource {
  let offset = 0;
  return {
    read: (maxBytes) => {
      if (offset >= bytes.length) return Promise.resolve(null);
      const chunk = bytes.subarray(offset, offset + maxBytes);
      offset += chunk.length;
      return Promise.resolve(chunk);
    },
    close: () => undefined,
  };
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
