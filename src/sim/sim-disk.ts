// A node's simulated disk: what survives a crash. Only data a completed sync made durable is
// here; appends since then live in the incarnation's SimLogStore and are lost with it, and a
// crash during a sync may leave a prefix of that batch (a torn write whose complete records
// recovery keeps). Snapshot files are written whole and renamed, so they are durable at commit.
import type { Entry, HardState, SnapshotMeta } from '../raft/types.js';
import { logIndex, nodeId, term } from '../raft/types.js';

export interface StoredSnapshot {
  readonly meta: SnapshotMeta;
  readonly bytes: Uint8Array;
}

/** One record of a write batch, in the order the runtime appended it. */
export type LogRecord =
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] }
  | { readonly kind: 'hard-state'; readonly hardState: HardState };

/** What a restarted node recovers: the newest snapshot and the contiguous log after it. */
export interface RecoveredState {
  readonly hardState: HardState;
  readonly snapshot: StoredSnapshot | null;
  readonly entries: readonly Entry[];
}

/** Snapshot files kept, like the storage layer's default snapshotsRetained. */
export const SIM_SNAPSHOTS_RETAINED = 2;

export class SimDisk {
  hardState: HardState = { term: term(0), vote: nodeId(''), commit: logIndex(0) };
  /** Durable log; entries[k].index === firstIndex + k. */
  private entries: Entry[] = [];
  private firstIndex = 1;
  /**
   * Snapshot files, newest (highest index) first, at most SIM_SNAPSHOTS_RETAINED, as the
   * storage layer keeps them: a stale snapshot received late never hides a newer one.
   */
  private snapshots: StoredSnapshot[] = [];
  /**
   * Test hook for a broken variant: when true, a crash forgets the vote of the current term
   * (as a node that never persisted its vote would). Never set in a correct run.
   */
  forgetVoteOnCrash = false;
  /** Stronger broken variant: a crash loses the whole hard state (term and vote), as if it were never synced. */
  forgetHardStateOnCrash = false;
  /** Called for every entry as it becomes durable, with the term of the entry before it (-1 when unknown). */
  onDurable: ((entry: Entry, previousTerm: number) => void) | null = null;

  get lastIndex(): number {
    return this.firstIndex + this.entries.length - 1;
  }

  termAt(index: number): number {
    if (this.snapshot !== null && index <= this.snapshot.meta.index) {
      // Below the snapshot the log may hold a stale tail the snapshot replaced.
      return index === this.snapshot.meta.index ? this.snapshot.meta.term : -1;
    }
    if (index === 0) return 0;
    const entry = this.entries[index - this.firstIndex];
    return entry === undefined ? -1 : entry.term;
  }

  /** Makes a batch durable, records in order. */
  write(records: readonly LogRecord[]): void {
    for (const record of records) {
      if (record.kind === 'hard-state') this.hardState = record.hardState;
      else this.appendEntries(record.entries);
    }
  }

  private appendEntries(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index > this.lastIndex + 1) {
      // A gap is legal only right after a snapshot that covers everything before it.
      const covered = this.snapshot?.meta.index ?? 0;
      if (covered < first.index - 1) {
        throw new Error(`sim disk: append at ${first.index} leaves a gap after last index ${this.lastIndex} (snapshot ${covered})`);
      }
      this.entries = [];
      this.firstIndex = first.index;
    } else if (first.index < this.firstIndex) {
      this.entries = [];
      this.firstIndex = first.index;
    } else {
      this.entries.length = first.index - this.firstIndex;
    }
    for (const entry of entries) {
      const expected = this.firstIndex + this.entries.length;
      if (entry.index !== expected) throw new Error(`sim disk: entry index ${entry.index} is not the next index ${expected}`);
      const previousTerm = this.termAt(entry.index - 1);
      this.entries.push(entry);
      this.onDurable?.(entry, previousTerm);
    }
  }

  /** The newest snapshot file; recovery starts from it. */
  get snapshot(): StoredSnapshot | null {
    return this.snapshots[0] ?? null;
  }

  /** The snapshot file with this index and term, or the newest when none is named. */
  findSnapshot(meta?: SnapshotMeta): StoredSnapshot | null {
    if (meta === undefined) return this.snapshot;
    return this.snapshots.find((s) => s.meta.index === meta.index && s.meta.term === meta.term) ?? null;
  }

  /**
   * A snapshot file was written, synced and renamed. Like the storage layer's WAL marker, a
   * snapshot the log does not continue (an installed one) resets the log to start after it.
   */
  saveSnapshot(snapshot: StoredSnapshot): void {
    const { index, term: snapshotTerm } = snapshot.meta;
    this.snapshots = this.snapshots.filter((s) => s.meta.index !== index || s.meta.term !== snapshotTerm);
    this.snapshots.push(snapshot);
    this.snapshots.sort((a, b) => b.meta.index - a.meta.index || b.meta.term - a.meta.term);
    this.snapshots.length = Math.min(this.snapshots.length, SIM_SNAPSHOTS_RETAINED);
    if (this.firstIndex > index) return;
    const own = this.entries[index - this.firstIndex];
    if (own !== undefined && own.term === snapshotTerm) return;
    this.entries = [];
    this.firstIndex = index + 1;
  }

  compact(index: number): void {
    const drop = Math.min(index - this.firstIndex + 1, this.entries.length);
    if (drop <= 0) return;
    this.entries = this.entries.slice(drop);
    this.firstIndex += drop;
  }

  /** What a restart reads back; the crash's effect on the vote applies here. */
  recover(): RecoveredState {
    const snapshot = this.snapshot;
    let entries = this.entries;
    if (snapshot !== null) {
      const at = snapshot.meta.index;
      // The log tail counts only if it continues the snapshot's history.
      const own = this.entries[at - this.firstIndex];
      const consistent = own === undefined ? this.firstIndex === at + 1 : own.term === snapshot.meta.term;
      entries = consistent ? this.entries.filter((entry) => entry.index > at) : [];
    }
    return { hardState: this.hardState, snapshot, entries: [...entries] };
  }

  crashed(): void {
    if (this.forgetVoteOnCrash) this.hardState = { ...this.hardState, vote: nodeId('') };
    if (this.forgetHardStateOnCrash) this.hardState = { term: term(0), vote: nodeId(''), commit: logIndex(0) };
  }
}
