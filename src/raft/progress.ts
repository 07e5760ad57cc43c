// What the leader knows about one follower's log, and how it paces Append messages to it.
//
//   probe:     the leader does not know where the follower's log matches; it sends one Append
//              and waits (probeSent) for the answer or the next heartbeat response.
//   replicate: the follower's log matches up to `match`; the leader streams Appends
//              optimistically (next advances on send) up to maxInflightMessages unacknowledged.
//   snapshot:  the entries the follower needs are compacted; a snapshot is on its way and
//              nothing else is sent until reportSnapshot() or an AppendResponse covers it.
import { invariant } from './assert.js';
import type { LogIndex } from './types.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** The last indexes of unacknowledged Appends, oldest first, at most `capacity` of them. */
export class Inflights {
  private readonly lastIndexes: LogIndex[] = [];

  constructor(readonly capacity: number) {
    invariant(capacity >= 1, () => `inflight capacity must be >= 1 (got ${capacity})`);
  }

  get count(): number {
    return this.lastIndexes.length;
  }

  full(): boolean {
    return this.lastIndexes.length >= this.capacity;
  }

  add(lastIndex: LogIndex): void {
    invariant(!this.full(), () => `inflights full (${this.capacity}) when adding ${lastIndex}`);
    const newest = this.lastIndexes[this.lastIndexes.length - 1];
    invariant(newest === undefined || lastIndex > newest, () => `inflight ${lastIndex} not after ${newest}`);
    this.lastIndexes.push(lastIndex);
  }

  /** Forget every Append whose last index is <= index (the follower acknowledged it). */
  freeTo(index: LogIndex): void {
    let n = 0;
    while (n < this.lastIndexes.length && (this.lastIndexes[n] as LogIndex) <= index) n++;
    if (n > 0) this.lastIndexes.splice(0, n);
  }

  /** Forget the oldest Append: lets a full window send one more probe after a heartbeat answer. */
  freeOldest(): void {
    this.lastIndexes.shift();
  }

  reset(): void {
    this.lastIndexes.length = 0;
  }
}

export class Progress {
  /** Highest index known to be replicated on the follower. Invariant: match < next. */
  match = 0 as LogIndex;
  /** Next index to send. */
  next: LogIndex;
  state: ProgressState = 'probe';
  /** In probe state: an Append was sent and no answer has arrived yet. */
  probeSent = false;
  /** In snapshot state: index of the snapshot being sent. */
  pendingSnapshot = 0 as LogIndex;
  /** Snapshot transfers to this follower that failed in a row (reset by one that succeeds). */
  snapshotFailures = 0;
  /**
   * Ticks left before a snapshot may be sent to it again after one failed. Without the wait, every
   * heartbeat answer (and a read round is one) would probe it and resend the whole snapshot.
   */
  snapshotHoldTicks = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** Highest read round this follower has acknowledged in the current term. */
  ackedReadRound = 0;
  readonly inflights: Inflights;

  constructor(next: LogIndex, maxInflight: number, readonly isLearner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  becomeProbe(): void {
    // After a snapshot, resume right after it; otherwise after what is known to match.
    const from = this.state === 'snapshot' ? Math.max(this.match, this.pendingSnapshot) : this.match;
    this.state = 'probe';
    this.probeSent = false;
    this.pendingSnapshot = 0 as LogIndex;
    this.next = (from + 1) as LogIndex;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.probeSent = false;
    this.pendingSnapshot = 0 as LogIndex;
    this.next = (this.match + 1) as LogIndex;
    this.inflights.reset();
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.state = 'snapshot';
    this.probeSent = false;
    this.pendingSnapshot = snapshotIndex;
    this.inflights.reset();
  }

  /** The follower acknowledged `index`; returns false if that was old news. */
  maybeUpdate(index: LogIndex): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    if (index + 1 > this.next) this.next = (index + 1) as LogIndex;
    return updated;
  }

  /**
   * The follower rejected an Append at `rejected`; `matchHint` is the highest index that may
   * match (from the fast-backtracking hint). Returns false if the rejection is stale.
   */
  maybeDecreaseTo(rejected: LogIndex, matchHint: LogIndex): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = (this.match + 1) as LogIndex;
      return true;
    }
    // Probe: only the answer to the Append we sent (prevIndex = next - 1) counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1) as LogIndex;
    this.probeSent = false;
    return true;
  }

  /** Sent an Append whose last entry is `lastIndex` (or an empty probe when `lastIndex` is null). */
  sentEntries(lastIndex: LogIndex | null): void {
    if (this.state === 'replicate') {
      if (lastIndex !== null) {
        this.next = (lastIndex + 1) as LogIndex;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    } else {
      invariant(false, () => `sent entries to a follower in snapshot state (pending ${this.pendingSnapshot})`);
    }
  }

  /** No Append may be sent now. */
  paused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
