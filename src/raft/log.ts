// The in-memory Raft log, from the snapshot/compaction point on, with the indexes that say
// what is committed, what has been handed to the driver, what is durable and what is applied.
//
//   offset < firstIndex <= ... <= lastIndex          entries[i] has index offset + 1 + i
//   Invariant: offset <= applied <= applying <= committed <= lastIndex
//   Invariant: handedOut <= lastIndex, persisted <= lastIndex
import { invariant } from './assert.js';
import { Membership } from './membership.js';
import type { ConfState, Entry, LogIndex, SnapshotMeta, Term } from './types.js';

/**
 * The driver's durable log, read back synchronously: entries [lo, hi] (inclusive), at most
 * maxBytes of data but at least one. The core reads entries it has released from here.
 */
export interface EntryReader {
  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): readonly Entry[];
}

/** The data of an entry whose bytes the log released (they are read back from the driver's log). */
const RELEASED = new Uint8Array(0);

export class RaftLog {
  /** Index of the last compacted entry (snapshot index); its term is offsetTerm. */
  private offset: LogIndex;
  private offsetTerm: Term;
  private entries: Entry[];
  readonly membership: Membership;

  /** Highest index known committed. Never decreases. */
  committed: LogIndex;
  /** Highest index handed to the driver to apply (in a Ready not yet advanced, or earlier). */
  applying: LogIndex;
  /** Highest index the driver has applied (advanced). */
  applied: LogIndex;
  /** Highest index durable on this node (its Ready was advanced). */
  persisted: LogIndex;
  /** Highest index handed to the driver to persist. Entries after it go in the next Ready. */
  handedOut: LogIndex;
  /** A snapshot received from the leader that the driver has not yet been given. */
  pendingSnapshot: SnapshotMeta | null = null;
  /** Where released entries are read back from; null: nothing is released. */
  private reader: EntryReader | null = null;
  /**
   * Entries up to here keep index, term and type in memory but not their data, which the
   * reader serves. Invariant: offset <= releasedTo <= min(applied, persisted).
   */
  private releasedTo: LogIndex;

  constructor(snapshot: SnapshotMeta | null, entries: readonly Entry[], baseConf: ConfState, commit: LogIndex, applied: LogIndex) {
    this.offset = snapshot?.index ?? (0 as LogIndex);
    this.offsetTerm = snapshot?.term ?? (0 as Term);
    this.membership = new Membership(this.offset, snapshot?.confState ?? baseConf);
    // The driver's log may still hold entries the snapshot covers (it keeps a tail): skip them,
    // checking the one at the snapshot index agrees with the snapshot.
    const atOffset = entries.find((e) => e.index === this.offset);
    invariant(atOffset === undefined || atOffset.term === this.offsetTerm,
      () => `log entry ${this.offset} has term ${atOffset?.term}, the snapshot there has term ${this.offsetTerm}`);
    const after = entries.filter((e) => e.index > this.offset);
    checkContiguous(this.offset, this.offsetTerm, after);
    this.entries = after;
    this.membership.appended(after);
    const last = this.lastIndex();
    this.committed = Math.max(commit, this.offset) as LogIndex;
    invariant(this.committed <= last, () => `initial commit ${this.committed} is out of range [lastIndex ${last}]`);
    invariant(applied >= this.offset && applied <= this.committed,
      () => `initial applied ${applied} not in [snapshot ${this.offset}, commit ${this.committed}]`);
    this.applied = applied;
    this.applying = applied;
    this.persisted = last;
    this.handedOut = last;
    this.releasedTo = this.offset;
  }

  /** From now on, entries may be released (releaseData) and are then read back through `reader`. */
  setReader(reader: EntryReader): void {
    this.reader = reader;
  }

  /**
   * Lets go of the data of entries up to `index` that are applied and durable: a lagging
   * follower's entries are then read back from the driver's log, and the memory the log holds
   * is the unapplied tail, not everything since the last compaction.
   */
  releaseData(index: LogIndex): void {
    if (this.reader === null) return;
    const upTo = Math.min(index, this.applied, this.persisted, this.lastIndex());
    for (let i = this.releasedTo + 1; i <= upTo; i++) {
      const slot = i - this.offset - 1;
      const e = this.entries[slot] as Entry;
      this.entries[slot] = { index: e.index, term: e.term, type: e.type, data: RELEASED };
    }
    if (upTo > this.releasedTo) this.releasedTo = upTo as LogIndex;
  }

  firstIndex(): LogIndex {
    return (this.offset + 1) as LogIndex;
  }

  lastIndex(): LogIndex {
    return (this.offset + this.entries.length) as LogIndex;
  }

  /** Index of the compaction point; entries up to it are only in the snapshot. */
  compactedIndex(): LogIndex {
    return this.offset;
  }

  /** The term of the entry at `index`, or null when it is compacted or beyond the log. */
  term(index: LogIndex): Term | null {
    if (index === this.offset) return this.offsetTerm;
    if (index < this.offset || index > this.lastIndex()) return null;
    return (this.entries[index - this.offset - 1] as Entry).term;
  }

  lastTerm(): Term {
    return this.term(this.lastIndex()) as Term;
  }

  matchTerm(index: LogIndex, t: Term): boolean {
    return this.term(index) === t;
  }

  /** §5.4.1: a candidate's log is at least as up-to-date as ours. */
  isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  entry(index: LogIndex): Entry {
    invariant(index > this.offset && index <= this.lastIndex(), () => `entry ${index} out of range (${this.offset}, ${this.lastIndex()}]`);
    if (index <= this.releasedTo) return this.readBack(index, index, Infinity)[0] as Entry;
    return this.entries[index - this.offset - 1] as Entry;
  }

  private readBack(from: LogIndex, to: LogIndex, maxBytes: number): readonly Entry[] {
    const got = (this.reader as EntryReader).entries(from, to, maxBytes);
    invariant(got.length > 0 && got[0]?.index === from && (got[got.length - 1] as Entry).index <= to,
      () => `the driver's log returned entries ${got[0]?.index}..${got[got.length - 1]?.index} for ${from}..${to}`);
    return got;
  }

  /**
   * Entries [from, to] limited to `maxCount` entries and `maxBytes` payload bytes, but always
   * at least one entry when the range is not empty.
   */
  slice(from: LogIndex, to: LogIndex, maxBytes = Infinity, maxCount = Infinity): Entry[] {
    invariant(from > this.offset, () => `slice from ${from} is compacted (firstIndex ${this.firstIndex()})`);
    invariant(to <= this.lastIndex(), () => `slice to ${to} beyond lastIndex ${this.lastIndex()}`);
    // Released entries come back from the driver's log; a slice stops where they end.
    if (from <= this.releasedTo) {
      const got = this.readBack(from, Math.min(to, this.releasedTo) as LogIndex, maxBytes);
      return got.length > maxCount ? got.slice(0, maxCount) : [...got];
    }
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = from; i <= to && out.length < maxCount; i++) {
      const e = this.entries[i - this.offset - 1] as Entry;
      bytes += e.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Index of the first entry in `entries` that is absent from or conflicts with the log, or 0. */
  findConflict(entries: readonly Entry[]): LogIndex {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0 as LogIndex;
  }

  /**
   * The fast-backtracking probe (thesis §5.3, etcd findConflictByTerm): the largest index
   * <= `index` whose term is <= `t`, with that term. Entries in between cannot match a log
   * whose entry at `index` has term `t`, so the leader may skip them all at once. Returns the
   * term 0 when it is unknown (compacted).
   */
  findConflictByTerm(index: LogIndex, t: Term): { index: LogIndex; term: Term } {
    let i = Math.min(index, this.lastIndex()) as LogIndex;
    for (; ;) {
      const ti = this.term(i);
      if (ti === null) return { index: i, term: 0 as Term };
      if (ti <= t) return { index: i, term: ti };
      i = (i - 1) as LogIndex;
    }
  }

  /**
   * The follower's side of AppendEntries after the consistency check at prevIndex passed:
   * skip entries already present, truncate at the first conflict, append the rest.
   * Returns the index of the last entry the leader sent (the new match point).
   */
  appendAfter(prevIndex: LogIndex, entries: readonly Entry[]): LogIndex {
    const lastNew = (prevIndex + entries.length) as LogIndex;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      invariant(conflict > this.committed, () => `entry ${conflict} conflicts with committed entry (committed ${this.committed})`);
      this.append(entries.slice(conflict - prevIndex - 1));
    }
    return lastNew;
  }

  /** Appends entries whose first index is <= lastIndex + 1, truncating any suffix they replace. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const last = this.lastIndex();
    invariant(first.index > this.committed, () => `append at ${first.index} would overwrite committed ${this.committed}`);
    invariant(first.index <= last + 1, () => `append at ${first.index} leaves a gap after lastIndex ${last}`);
    if (first.index <= last) {
      this.entries.length = first.index - this.offset - 1;
      this.membership.truncateFrom(first.index);
      const kept = (first.index - 1) as LogIndex;
      this.persisted = Math.min(this.persisted, kept) as LogIndex;
      this.handedOut = Math.min(this.handedOut, kept) as LogIndex;
    }
    checkContiguous(this.lastIndex(), this.lastTerm(), entries);
    for (const e of entries) this.entries.push(e);
    this.membership.appended(entries);
  }

  commitTo(index: LogIndex): void {
    if (index <= this.committed) return;
    invariant(index <= this.lastIndex(), () => `commit ${index} is out of range [lastIndex ${this.lastIndex()}]`);
    this.committed = index;
  }

  /** Replace the whole log with a snapshot received from the leader. */
  restore(snapshot: SnapshotMeta): void {
    invariant(snapshot.index > this.committed, () => `restoring snapshot ${snapshot.index} at or below commit ${this.committed}`);
    this.offset = snapshot.index;
    this.offsetTerm = snapshot.term;
    this.entries = [];
    this.releasedTo = snapshot.index;
    this.membership.reset(snapshot.index, snapshot.confState);
    this.committed = snapshot.index;
    this.persisted = snapshot.index;
    this.handedOut = snapshot.index;
    this.pendingSnapshot = snapshot;
  }

  /** Drop entries up to `index` (already applied and covered by a snapshot). */
  compact(index: LogIndex): void {
    if (index <= this.offset) return;
    invariant(index <= this.applied, () => `compact ${index} beyond applied ${this.applied}`);
    this.offsetTerm = this.term(index) as Term;
    this.entries = this.entries.slice(index - this.offset);
    this.offset = index;
    if (this.releasedTo < index) this.releasedTo = index;
    this.membership.compactTo(index);
  }

  /** Entries not yet handed to the driver to persist. */
  unhandedEntries(): Entry[] {
    const last = this.lastIndex();
    return this.handedOut < last ? this.slice((this.handedOut + 1) as LogIndex, last) : [];
  }

  /** The apply point once any pending snapshot is handed out. */
  private applyFrom(): LogIndex {
    return Math.max(this.applying, this.pendingSnapshot?.index ?? 0) as LogIndex;
  }

  /** Committed, durable entries not yet handed to the driver to apply. */
  hasCommittedToApply(): boolean {
    return Math.min(this.committed, this.persisted) > this.applyFrom();
  }

  committedToApply(): Entry[] {
    const from = (this.applyFrom() + 1) as LogIndex;
    const to = Math.min(this.committed, this.persisted) as LogIndex;
    return to >= from ? this.slice(from, to) : [];
  }
}

function checkContiguous(prevIndex: LogIndex, prevTerm: Term, entries: readonly Entry[]): void {
  let index = prevIndex;
  let t = prevTerm;
  for (const e of entries) {
    invariant(e.index === index + 1, () => `log entries not contiguous: ${e.index} after ${index}`);
    invariant(e.term >= t, () => `log term decreases at ${e.index}: ${e.term} after ${t}`);
    index = e.index;
    t = e.term;
  }
}
