// The leader's read barrier (thesis §6.4): read requests wait for a heartbeat round that
// started after they arrived to be acknowledged by a quorum; then the commit index noted at
// arrival is safe to read at. Rounds are numbered per term; a follower's HeartbeatResponse
// echoes the newest round it has seen, which acknowledges every earlier round too.
//
// Batching: a request joins the next round. That round starts at the next ready() when none
// is in flight (so every request of one event-loop turn shares it), otherwise when the
// in-flight one completes or at the next heartbeat tick, whichever comes first; every request
// queued meanwhile shares it.
import { invariant } from './assert.js';
import type { LogIndex, NodeId } from './types.js';

/** Read requests queued on one leader before it refuses more (each holds a context buffer). */
export const PENDING_READS_MAX = 16_384;
/** Start ticks remembered for unconfirmed rounds (bounded; a forgotten round only shortens the lease). */
const ROUND_STARTS_MAX = 1_024;

export interface PendingRead {
  /** The requesting node (this node for a local read). */
  readonly from: NodeId;
  readonly context: Uint8Array;
  /** The first round that may confirm this read: one started after it arrived. */
  readonly round: number;
  /** Commit index to read at; null until the leader has committed an entry of its term. */
  index: LogIndex | null;
}

export class ReadOnly {
  /** Newest round started in this term. */
  latestRound = 0;
  /** Newest round acknowledged by a quorum. Invariant: confirmedRound <= latestRound. */
  confirmedRound = 0;
  /** Tick at which the newest confirmed round started (the lease is measured from it), or null. */
  leaseStartTick: number | null = null;
  /** Rounds up to this one may not (re)start the lease: they began before it was revoked. */
  private leaseFloorRound = 0;
  private readonly roundStarts = new Map<number, number>();
  private pending: PendingRead[] = [];

  get pendingCount(): number {
    return this.pending.length;
  }

  roundInFlight(): boolean {
    return this.latestRound > this.confirmedRound;
  }

  enqueue(from: NodeId, context: Uint8Array, index: LogIndex | null): void {
    invariant(this.pending.length < PENDING_READS_MAX, () => `pending reads ${this.pending.length} at limit ${PENDING_READS_MAX}`);
    this.pending.push({ from, context, round: this.latestRound + 1, index });
  }

  /** Reads that still need a round newer than the latest one started. */
  needsNewRound(): boolean {
    return this.pending.some((r) => r.index !== null && r.round > this.latestRound);
  }

  /** The leader committed an entry of its term: reads waiting for that may now use `index`. */
  assignIndex(index: LogIndex): void {
    for (const r of this.pending) if (r.index === null) r.index = index;
  }

  startRound(tick: number): number {
    this.latestRound++;
    this.roundStarts.set(this.latestRound, tick);
    if (this.roundStarts.size > ROUND_STARTS_MAX) {
      const oldest = this.roundStarts.keys().next().value as number;
      this.roundStarts.delete(oldest);
    }
    return this.latestRound;
  }

  /** Ends the lease; only a round started from now on can establish a new one. */
  revokeLease(): void {
    this.leaseStartTick = null;
    this.leaseFloorRound = this.latestRound;
  }

  /** A quorum has acknowledged `round`: returns the reads it releases, in arrival order. */
  confirm(round: number): PendingRead[] {
    if (round <= this.confirmedRound) return [];
    invariant(round <= this.latestRound, () => `confirmed read round ${round} was never started (latest ${this.latestRound})`);
    this.confirmedRound = round;
    const start = this.roundStarts.get(round);
    const newer = this.leaseStartTick === null || (start !== undefined && start > this.leaseStartTick);
    if (start !== undefined && round > this.leaseFloorRound && newer) this.leaseStartTick = start;
    for (const r of [...this.roundStarts.keys()]) if (r <= round) this.roundStarts.delete(r);
    const released: PendingRead[] = [];
    const kept: PendingRead[] = [];
    for (const r of this.pending) (r.index !== null && r.round <= round ? released : kept).push(r);
    this.pending = kept;
    return released;
  }
}
