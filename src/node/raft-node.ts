// The Raft runtime: drives the pure core with a clock, a log store, a network and a state
// machine, following the driver's duty of docs/internals/raft.md. This file is the one
// place that orders persistence, sending and applying (DESIGN §3):
//
//   1. One Ready per event-loop turn: everything proposed in the turn goes to the WAL in one
//      write and one fdatasync (group commit); the next Ready gathers while that sync runs.
//   2. The leader sends its Appends before its own sync completes; the core counts the
//      leader toward the quorum only at advance(), i.e. once its own write is durable.
//   3. Votes and append acknowledgements (messagesAfterPersist) go out only after the sync.
//   4. Committed entries are applied in order, exactly once; results go back to the
//      proposer waiting on this node; reads wait for their read index to be applied.

import type { Raft, RaftStatus } from '../raft/raft.js';
import type { ConfChange, Entry, LogIndex, Message, NodeId, Ready, SnapshotMeta, SoftState } from '../raft/types.js';
import { EntryType, MessageType, NO_NODE, StateRole } from '../raft/types.js';
import { decodeConfChange } from '../raft/conf-change.js';
import { NodeError } from './errors.js';
import { array, integer, object, optional, parseJson, string } from '../base/schema.js';
import { isPausedEntry, type PausedEntry, type PausedScriptRun } from './ports.js';
import { HeldEntries, scriptEffectsDefaults, scriptEffectsLimitsProblem, type ScriptEffectsLimits } from './held-entries.js';
import { LOG_STORE_NO_SPACE, type Clock, type EffectsRecord, type InboundSnapshot, type LogStore, type Network, type StateMachine, type TimerHandle } from './ports.js';

export { scriptEffectsDefaults, type ScriptEffectsLimits } from './held-entries.js';

export type ReadMode = 'linearizable' | 'lease' | 'stale';

/** What SCRIPT KILL / FUNCTION KILL got from the leader (RaftNode.killScript). */
export type ScriptKillOutcome<R> =
  | { readonly kind: 'notbusy' | 'unkillable' | 'other-kind' }
  | { readonly kind: 'decided'; readonly reply: R };

/** A pause predicate that never pauses (slices off: a run pauses only to wait for its decision). */
const never = (): boolean => false;

export interface RaftNodeOptions<R> {
  readonly id: NodeId;
  readonly raft: Raft;
  readonly log: LogStore;
  readonly network: Network;
  readonly clock: Clock;
  readonly stateMachine: StateMachine<R>;
  /** Milliseconds per Raft tick. */
  readonly tickMs: number;
  /** A proposal or read with no result after this long fails with TIMEOUT (outcome unknown). */
  readonly requestTimeoutMs: number;
  /** Take a snapshot when this many entries were applied since the last one (0 = never automatically). */
  readonly snapshotEntries: number;
  /** Entries kept in the log below a snapshot, for slightly slow followers. */
  readonly logRetainEntries: number;
  /** Also take a snapshot when the entries applied since the last one hold this many bytes (absent or 0 = no byte trigger). */
  readonly snapshotLogBytes?: number;
  /**
   * ...and, past that floor, only once they hold this percentage of the last snapshot's
   * bytes (absent or 0 = the floor alone), as Redis's auto-aof-rewrite-percentage: a snapshot
   * walks the whole state, so a fixed byte trigger would cost a large keyspace its size again
   * every snapshotLogBytes of writes.
   */
  readonly snapshotLogPercentage?: number;
  /** Also keep at most about this many bytes of entries below a snapshot (absent = only logRetainEntries bounds it). */
  readonly logRetainBytes?: number;
  /** Chunk size for writing snapshots; one chunk per event-loop turn keeps the loop responsive. */
  readonly snapshotChunkBytes: number;
  /** Pending proposals and reads allowed at once; beyond it new ones fail with BUSY. */
  readonly pendingRequestsMax: number;
  /**
   * How long a read waits for a leader to be known (an election in progress) before it fails
   * with NO_LEADER, as the write path waits for writes (--no-leader-wait-ms). 0 or absent: it
   * fails at once.
   */
  readonly noLeaderWaitMs?: number;
  /**
   * A read barrier the core has not answered within this long is asked again
   * (--read-index-retry-ms). The request or the heartbeats that confirm it travel as Raft
   * messages, which a link that is (re)connecting drops; nothing else would ask again, so the
   * reads would wait out their whole deadline. 0 or absent: never asked again.
   */
  readonly readIndexRetryMs?: number;
  /**
   * How long one turn may run a script before its apply pauses to let the event loop turn
   * (heartbeats, elections, clients), when the state machine can pause (applyPausable); the
   * entries committed after it wait. 0 or absent: an entry is applied in one go. Node-local: a
   * run's outcome does not depend on where it paused. A run recorded or replayed under deferred
   * script effects goes in one go (the state machine decides).
   */
  readonly scriptSliceMs?: number;
  /** Term of the entry at the state machine's applied index (the snapshot's term after a restore). */
  readonly initialAppliedTerm: number;
  readonly logger: NodeLogger;
  /** Called for each committed membership change, after it is applied (addresses live in cc.context). */
  readonly onConfChange?: (change: ConfChange, entry: Entry) => void;
  /**
   * Opaque bytes this node adds to every snapshot it streams, and hands to the receiver
   * with it (the server sends its members' addresses, which a snapshot's configuration
   * does not carry).
   */
  readonly snapshotContext?: () => Uint8Array;
  /** Called when the role or the known leader changes. */
  readonly onSoftState?: (state: SoftState) => void;
  /**
   * Called once when the node stops because it cannot go on safely (its WAL could not be
   * made durable, a snapshot could not be applied): the process should exit, and recovery
   * on restart decides what reached the disk.
   */
  readonly onFatal?: (error: Error) => void;
  /** Called when a snapshot is taken here, received from the leader or sent to a follower (the dashboard's events). */
  readonly onSnapshot?: (event: SnapshotEvent) => void;
  /**
   * A leader whose own WAL sync has been in flight this long (a slow or failing disk) hands
   * leadership to its most caught-up voter, so the cluster is served by a node whose disk
   * keeps up; absent or 0: never.
   */
  readonly leaderSyncStallMs?: number;
  /** Deferred script effects' limits (stateMachine.effects); absent: scriptEffectsDefaults. */
  readonly scriptEffects?: ScriptEffectsLimits;
}

/** A snapshot this node took (peer null), received from `peer` or sent to `peer`. */
export interface SnapshotEvent {
  readonly kind: 'taken' | 'received' | 'sent';
  readonly index: number;
  readonly peer: NodeId | null;
}

export interface NodeLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

/**
 * Counters of the Ready loop since start, for INFO and the benchmarks: how well group
 * commit batches (entries per sync), how long syncs take, how much each turn applies.
 */
export interface RaftNodeStats {
  /** Ready structures processed. */
  readies: number;
  /** WAL syncs awaited (Readies with entries, a snapshot or a new term/vote). */
  syncs: number;
  /** Total and largest time from a sync's start to its completion, in ms. */
  syncMsTotal: number;
  syncMsMax: number;
  /** Entries handed to the WAL; entriesPersisted / syncs is the group-commit batch size. */
  entriesPersisted: number;
  /** Largest number of entries in one Ready. */
  entriesPerReadyMax: number;
  /** Committed entries applied to the state machine. */
  entriesApplied: number;
  /** Raft messages handed to the network (excluding snapshot streams). */
  messagesSent: number;
  /** Proposals accepted by the core. */
  proposals: number;
  /** Script entries this node ran and recorded as the leader (deferred effects). */
  scriptEntriesRecorded: number;
  /** Script entries this node applied by replaying the leader's record. */
  scriptEntriesReplayed: number;
  /** Script entries this node ran for want of a record (it waited too long, held too much, or the record said "run it"). */
  scriptEntriesRunUnrecorded: number;
  /** Effects entries this node proposed as the leader. */
  effectsEntriesProposed: number;
  /** Read barriers asked of the core again, unanswered after --read-index-retry-ms. */
  readIndexRetries: number;
  /** Entries whose apply paused between slices of a script run (--script-slice-ms). */
  entriesApplyPaused: number;
  /** "continue" decision entries this node proposed as leader for a killable run waiting for one. */
  scriptDecisionsProposed: number;
  /** Slices after the first of those applies: each one an event-loop turn the node served meanwhile. */
  applySlices: number;
}

/** How applyEntry applies a command entry: as it is, running and recording its scripts (leader), or replaying a record. */
type ApplyMode = 'run' | 'record' | 'replay';

type ProposeCallback<R> = (error: NodeError | null, result: R | undefined) => void;
type ReadCallback = (error: NodeError | null, clusterTime: number) => void;

/**
 * Told once when its read may run (error null, with the cluster time to judge expiry by) or
 * why it may not: a read that keeps its own state in one object passes itself rather than a
 * closure, so a read allocates nothing here.
 */
export interface ReadWaiter {
  readPoint(error: NodeError | null, clusterTime: number): void;
}

/** Who waits for a read barrier: a callback or a waiter object. */
type ReadDone = ReadCallback | ReadWaiter;

function tell(read: ReadDone, error: NodeError | null, clusterTime: number): void {
  if (typeof read === 'function') read(error, clusterTime);
  else read.readPoint(error, clusterTime);
}

interface PendingProposal<R> {
  readonly key: string;
  readonly index: number;
  /** The term the leader appended the entry in: (index, term) identifies it (log matching). */
  readonly term: number;
  readonly deadline: number;
  /** Everyone waiting on this request: a retried request joins the original's waiters. */
  readonly waiters: ProposeCallback<R>[];
}

/**
 * A read barrier waiting on the core (by context id) or on apply (by index): the reads of one
 * turn, which share a deadline (the turn's reads arrive within one event-loop turn).
 */
interface ReadBatch {
  readonly reads: ReadDone[];
  readonly deadline: number;
  /** When the core was last asked for this batch's read index (0 until it is). */
  askedAt?: number;
  index: number;
  clusterTime: number;
}

/** Missed ticks handed to the core at once after a stall: enough to expire any lease. */
const TICKS_CATCH_UP_MAX = 1000;
/** While the disk is full, a failed sync is tried again this often: the node recovers by itself once space returns. */
const NO_SPACE_RETRY_MS = 1000;

/** Per-entry bytes counted beside the data for the byte thresholds of snapshots and compaction (header, index, term). */
const ENTRY_OVERHEAD_BYTES = 32;

/** How often pending requests are checked against their deadlines. */
const DEADLINE_SWEEP_MS = 50;

export class RaftNode<R> {
  readonly id: NodeId;
  private readonly raft: Raft;
  private readonly options: RaftNodeOptions<R>;
  private readonly sm: StateMachine<R>;

  /** Proposals waiting for their entry to be applied, by request key. */
  private readonly proposals = new Map<string, PendingProposal<R>>();
  /** The same proposals by log index, to detect a slot taken by another entry. */
  private readonly proposalsByIndex = new Map<number, PendingProposal<R>>();
  /**
   * Reads gathered in this turn, sent to the core as one readIndex request at the turn's end
   * (their deadline is taken then: one clock read per turn, not per read). Lease reads become
   * linearizable ones if the lease cannot be trusted at that point.
   */
  private gathering: { linearizable: ReadDone[]; lease: ReadDone[] } = { linearizable: [], lease: [] };
  /** Batches to ask again, with their own deadlines (the leader changed while they waited for a read index). */
  private readsToAskAgain: ReadBatch[] = [];
  /** Batches the core refused for want of a leader, asked again once one is known; their deadline is the wait's end. */
  private readsAwaitingLeader: ReadBatch[] = [];
  /** Read batches the core has not answered yet, by context id. */
  private readonly readsAwaitingIndex = new Map<number, ReadBatch>();
  /** Read batches with a read index, waiting for apply to reach it. Ordered by index. */
  private readsAwaitingApply: ReadBatch[] = [];
  private nextReadContext = 1;
  /** Callers that gathered proposals in this turn (atTurnEnd), run before the turn's Ready. */
  private turnEndCallbacks: (() => void)[] = [];
  /**
   * The leader's Appends without entries (a commit index alone, a probe) to a follower that
   * has entries beyond that commit index in flight, by follower: this turn's, and the last
   * turn's, held one turn. Under load the next turn's Append to the same follower carries the
   * commit index with its entries, and each held one it replaces would cost the follower a
   * read, a Ready and an answer; one not replaced goes out at the end of the next turn. The
   * last news of a burst (nothing sent beyond the commit) is not held: followers see the last
   * write as soon as before.
   */
  private emptyAppends = new Map<NodeId, Message>();
  private heldEmptyAppends = new Map<NodeId, Message>();

  private readyScheduled = false;
  /** A snapshot from the leader is being restored: no Ready is taken until it is done. */
  private restoring = false;
  /** A snapshot stream from the leader is being written to storage. */
  private receivingSnapshot = false;
  /** The last WAL sync started and not yet complete; null when all are done. */
  private durableBarrier: Promise<void> | null = null;
  private softState: SoftState = { leader: '' as NodeId, role: StateRole.Follower };
  private tickTimer: TimerHandle | null = null;
  private sweepTimer: TimerHandle | null = null;
  private stopped = false;
  /** The snapshot being written, if any. Invariant: at most one at a time. */
  private snapshotRunning: Promise<number> | null = null;
  private lastSnapshotIndex = 0;
  /** Bytes of all entries applied since start (data plus a fixed per-entry overhead). */
  private appliedBytes = 0;
  /** appliedBytes when the applied index was lastSnapshotIndex. */
  private appliedBytesAtSnapshot = 0;
  /** Bytes of the last snapshot this node wrote or received (0 until one is, since start). */
  private lastSnapshotBytes = 0;
  /** Bytes of the snapshots this node has written or received since it started. */
  private snapshotBytesSum = 0;
  /** (index, appliedBytes) after each applied batch above the log's compaction point, ascending: to compact by bytes. */
  private appliedByteMarks: { index: number; bytes: number }[] = [];
  /** When the core last ticked (clock ms). */
  private lastTickAt: number;
  /** Start times (clock.now()) of this node's WAL syncs in flight, oldest first: they complete in order. */
  private readonly syncStarts: number[] = [];
  /** When this node last handed leadership over for a stalled sync: at most one hand-over per stall period. */
  private stallHandoverAt = -Infinity;
  /** Why the WAL cannot be written (the disk is full), while that lasts; null otherwise. */
  private noSpace: string | null = null;
  /** The last sync's completion: a sync retried while the disk is full must not let a later one report durability first. */
  private lastSync: Promise<void> = Promise.resolve();
  /** Term and vote last handed to the log store, to know when a sync is owed. */
  private persistedTerm = 0;
  private persistedVote = '';
  /** Term of the last applied entry: a snapshot taken now is labelled (appliedIndex, appliedTerm). */
  private appliedTerm = 0;
  /** Highest cluster time handed out; cluster time never runs backwards on this node. */
  private clusterTimeFloor = 0;
  private readonly counters: RaftNodeStats = {
    readies: 0, syncs: 0, syncMsTotal: 0, syncMsMax: 0, entriesPersisted: 0, entriesPerReadyMax: 0, entriesApplied: 0, messagesSent: 0, proposals: 0,
    scriptEntriesRecorded: 0, scriptEntriesReplayed: 0, scriptEntriesRunUnrecorded: 0, effectsEntriesProposed: 0,
    readIndexRetries: 0, entriesApplyPaused: 0, applySlices: 0, scriptDecisionsProposed: 0,
  };
  /**
   * Under deferred effects (sm.effects), the committed entries handed over by the core and not
   * yet applied: the core counts them as applied; they stay in the WAL above sm.appliedIndex,
   * which reads, snapshots and log compaction go by. Null without sm.effects.
   */
  private readonly held: HeldEntries<R> | null;
  /** The entry whose apply is paused between slices of a script run, and its apply; null when none is. */
  private paused: { readonly entry: Entry; apply: PausedEntry<R>; readonly since: number } | null = null;
  /** The paused apply's next slice is scheduled (Clock.defer). */
  private resumeScheduled = false;
  /**
   * The decision this node proposed, as leader, for the paused apply's killable run: its
   * entry's index, the term, and which (a new term may propose "continue" again; the first filed wins).
   */
  private decisionProposed: { readonly index: number; readonly term: number; readonly decision: 'kill' | 'continue' } | null = null;
  /** Committed entries that came while an apply was paused, in order, applied after it. */
  private afterPaused: Entry[] = [];
  /** Stale reads that came while an apply was paused, served once it ends. */
  private staleReadsWhilePaused: ReadDone[] = [];
  /** When the current slice of a script run ends (clock ms). */
  private sliceEnd = 0;
  private readonly sliceOver = (): boolean => this.options.clock.now() >= this.sliceEnd;

  private startSlice(): void {
    this.sliceEnd = this.options.clock.now() + (this.options.scriptSliceMs ?? 0);
  }
  /** Records this leader made in this turn's applies, proposed as one effects entry after them. */
  private recordsToPropose: EffectsRecord[] = [];
  private readonly effectsLimits: ScriptEffectsLimits;

  constructor(options: RaftNodeOptions<R>) {
    this.options = options;
    this.id = options.id;
    this.raft = options.raft;
    this.sm = options.stateMachine;
    this.lastSnapshotIndex = this.sm.appliedIndex;
    this.lastTickAt = options.clock.now();
    const initial = options.raft.status();
    this.persistedTerm = initial.term;
    this.persistedVote = initial.vote;
    this.appliedTerm = options.initialAppliedTerm;
    this.effectsLimits = options.scriptEffects ?? scriptEffectsDefaults;
    const problem = scriptEffectsLimitsProblem(this.effectsLimits);
    if (problem !== null) throw new Error(`invalid ${problem}`);
    const effects = this.sm.effects;
    this.held = effects === undefined ? null : new HeldEntries(effects, this.effectsLimits, () => options.clock.now());
    const log = options.log;
    // Entries applied and durable live on in the WAL (and its cache), not in the core's memory.
    if (log.entries !== undefined) this.raft.setEntryReader({ entries: (lo, hi, maxBytes) => (log.entries as NonNullable<LogStore['entries']>)(lo, hi + 1, maxBytes) });
  }

  start(): void {
    this.scheduleTick();
    this.sweepTimer = this.options.clock.setTimer(DEADLINE_SWEEP_MS, () => this.sweepDeadlines());
    this.scheduleReady();
  }

  /** Fails everything pending and stops ticking. Persistence in flight completes on its own. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.tickTimer?.cancel();
    this.sweepTimer?.cancel();
    const error = new NodeError('SHUTDOWN', 'node is shutting down');
    this.failAllProposals(error);
    this.failAllReads(error);
  }

  get isLeader(): boolean {
    return this.softState.role === StateRole.Leader;
  }

  get leader(): NodeId {
    return this.softState.leader;
  }

  /** True on a follower that heard its leader (`leader`) within the last election timeout. */
  get leaderInContact(): boolean {
    return this.raft.leaderInContact;
  }

  get appliedIndex(): number {
    return this.sm.appliedIndex;
  }

  /** Bytes of all entries applied since start (data plus a fixed per-entry overhead); only grows. */
  get appliedLogBytes(): number {
    return this.appliedBytes;
  }

  /** Bytes of the snapshots written or received since start; only grows. */
  get snapshotBytesTotal(): number {
    return this.snapshotBytesSum;
  }

  status(): RaftStatus {
    return this.raft.status();
  }

  /** A copy of the Ready-loop counters. */
  stats(): RaftNodeStats {
    return { ...this.counters };
  }

  /** The index of the entry whose apply is paused between slices of a script run; 0 when none is. */
  get applyPausedIndex(): number {
    return this.paused?.entry.index ?? 0;
  }

  /**
   * For a script served as a read (not an entry): true once it has run one slice
   * (scriptSliceMs) from now; null when runs are not sliced.
   */
  readScriptSlice(): (() => boolean) | null {
    const sliceMs = this.options.scriptSliceMs ?? 0;
    if (sliceMs === 0) return null;
    const clock = this.options.clock;
    const end = clock.now() + sliceMs;
    return () => clock.now() >= end;
  }

  /** The script run the apply is paused in; null when none is. */
  get pausedScript(): PausedScriptRun | null {
    return this.paused?.apply.run ?? null;
  }

  /** Milliseconds since the paused apply (applyPausedIndex) began; -1 when none is paused. */
  applyPausedMs(): number {
    const paused = this.paused;
    return paused === null ? -1 : this.options.clock.now() - paused.since;
  }

  /**
   * The time to stamp on a new entry: this node's clock, never below what it handed out
   * before (the state machine also keeps entry time monotonic across leader changes).
   */
  clusterTime(): number {
    return this.clusterTimeAt(this.options.clock.now());
  }

  private clusterTimeAt(now: number): number {
    if (now > this.clusterTimeFloor) this.clusterTimeFloor = now;
    return this.clusterTimeFloor;
  }

  /**
   * Proposes `data` (leader only). `key` identifies the request in the applied result
   * (StateMachine.apply returns it) so the result reaches this callback exactly once.
   */
  propose(key: string, data: Uint8Array, done: ProposeCallback<R>): void {
    if (this.stopped) return done(new NodeError('SHUTDOWN', 'node is shutting down'), undefined);
    if (!this.isLeader) return done(this.notLeaderError(), undefined);
    if (this.proposals.size >= this.options.pendingRequestsMax) {
      return done(new NodeError('BUSY', `too many pending requests (pendingRequestsMax ${this.options.pendingRequestsMax})`), undefined);
    }
    const existing = this.proposals.get(key);
    if (existing !== undefined) {
      existing.waiters.push(done);
      return;
    }
    // The core may have stepped down earlier in this turn (our role is from the last Ready).
    // It would then forward the proposal to the new leader, which could apply it, while we
    // answered "not the leader" (definitely not applied): refuse before it can forward.
    if (this.raft.currentRole !== StateRole.Leader) return done(this.notLeaderError(), undefined);
    const result = this.raft.propose(data);
    if (!result.ok) return done(this.proposeRefusal(result.error, result.detail), undefined);
    // Unreachable after the role check above; kept as the invariant's guard.
    if (result.index === undefined || result.term === undefined) return done(this.notLeaderError(), undefined);
    const pending: PendingProposal<R> = {
      key,
      index: result.index,
      term: result.term,
      deadline: this.options.clock.now() + this.options.requestTimeoutMs,
      waiters: [done],
    };
    this.proposals.set(key, pending);
    this.proposalsByIndex.set(pending.index, pending);
    this.counters.proposals++;
    this.scheduleReady();
  }

  /** Proposes a membership change (leader only); `done` runs once it is applied, or with the error. */
  proposeConfChange(change: ConfChange, done: (error: NodeError | null) => void): void {
    if (this.stopped) return done(new NodeError('SHUTDOWN', 'node is shutting down'));
    if (!this.isLeader || this.raft.currentRole !== StateRole.Leader) return done(this.notLeaderError());
    const result = this.raft.proposeConfChange(change);
    if (!result.ok) return done(this.proposeRefusal(result.error, result.detail));
    if (result.index === undefined || result.term === undefined) return done(this.notLeaderError());
    const index = result.index;
    const pending: PendingProposal<R> = {
      key: `conf-change/${index}`,
      index,
      term: result.term,
      deadline: this.options.clock.now() + this.options.requestTimeoutMs,
      waiters: [(error) => done(error)],
    };
    this.proposals.set(pending.key, pending);
    this.proposalsByIndex.set(index, pending);
    this.scheduleReady();
  }

  /**
   * Why this node's WAL cannot be written right now (its disk is full), or null. Its syncs
   * are retried meanwhile; the server refuses its clients' writes with this reason.
   */
  get diskFull(): string | null {
    return this.noSpace;
  }

  /** A sync whose completion comes after every earlier one's (durability is reported in order). */
  private syncInOrder(): Promise<void> {
    const ordered = Promise.all([this.lastSync, this.syncRetryingWhileFull()]).then(() => undefined);
    this.lastSync = ordered.catch(() => undefined);
    return ordered;
  }

  /**
   * log.sync(), tried again while the disk is full: the store keeps the data and writes it
   * again (LOG_STORE_NO_SPACE), so nothing is lost and the node recovers by itself when space
   * returns. Any other failure is final.
   */
  private syncRetryingWhileFull(): Promise<void> {
    return this.options.log.sync().then(() => {
      if (this.noSpace === null) return;
      this.noSpace = null;
      this.options.logger.info({}, 'the WAL can be written again');
    }, (error: unknown) => {
      if (this.stopped || (error as { code?: unknown } | null)?.code !== LOG_STORE_NO_SPACE) throw error;
      if (this.noSpace === null) this.options.logger.warn({ err: String(error) }, 'the disk is full: writes are refused here until a sync succeeds again');
      this.noSpace = error instanceof Error ? error.message : String(error);
      return new Promise<void>((resolve) => this.options.clock.setTimer(NO_SPACE_RETRY_MS, resolve)).then(() => this.syncRetryingWhileFull());
    });
  }

  /** See RaftNodeOptions.leaderSyncStallMs. */
  private handOverIfSyncStalled(now: number): void {
    const stallMs = this.options.leaderSyncStallMs ?? 0;
    const oldest = this.syncStarts[0];
    if (stallMs <= 0 || oldest === undefined || !this.isLeader) return;
    if (now - oldest < stallMs || now - this.stallHandoverAt < stallMs) return;
    const target = this.handOverLeadership();
    if (target === null) return;
    this.stallHandoverAt = now;
    this.options.logger.warn({ syncInFlightMs: now - oldest, to: target }, 'own WAL sync stalled: handing leadership over');
  }

  /**
   * On the leader with no transfer under way: starts handing leadership to `to`, or without
   * it to the voter whose log is most caught up (the core catches it up to the last entry,
   * then sends it TimeoutNow; it gives up after an election timeout), and returns its id.
   * Null when this node is not the leader, a transfer is already under way, or there is no
   * such other voter.
   */
  handOverLeadership(to?: NodeId): NodeId | null {
    const status = this.raft.status();
    if (!this.isLeader || status.transferee !== NO_NODE) return null;
    const target = to ?? [...status.progress]
      .filter((peer) => peer.id !== this.id && status.confState.voters.includes(peer.id))
      .sort((a, b) => b.match - a.match)[0]?.id;
    if (target === undefined || target === this.id || !status.confState.voters.includes(target)) return null;
    this.transferLeadership(target);
    return target;
  }

  /** Gives up a leadership transfer under way (see Raft.abortLeadershipTransfer); false when none is. */
  abortLeadershipTransfer(): boolean {
    const aborted = this.raft.abortLeadershipTransfer();
    if (aborted) this.scheduleReady();
    return aborted;
  }

  transferLeadership(to: NodeId): NodeError | null {
    if (!this.isLeader) return this.notLeaderError();
    this.raft.transferLeadership(to);
    this.scheduleReady();
    return null;
  }

  /**
   * Calls `done` once a read at the requested consistency may run against the state
   * machine, with the cluster time to judge expiry by. Reads in one turn share one
   * read-index request; the core shares one heartbeat round among all waiting requests.
   */
  read(mode: ReadMode, done: ReadDone): void {
    if (this.stopped) return tell(done, new NodeError('SHUTDOWN', 'node is shutting down'), 0);
    if (mode === 'stale' && this.paused === null) return tell(done, null, this.clusterTime());
    if (this.readsPending() >= this.options.pendingRequestsMax) {
      return tell(done, new NodeError('BUSY', `too many pending reads (pendingRequestsMax ${this.options.pendingRequestsMax})`), 0);
    }
    // Not at a state in the middle of an entry: a stale read waits for a paused apply to end.
    if (mode === 'stale') this.staleReadsWhilePaused.push(done);
    else if (mode === 'lease') this.gathering.lease.push(done);
    else this.gathering.linearizable.push(done);
    this.scheduleReady();
  }

  /** Delivers a message from a peer. */
  receive(message: Message): void {
    if (this.stopped) return;
    // While a snapshot is written to storage, entries must not reach the core's log: were they
    // to cover the snapshot, the core would only move its commit index while storage, having
    // committed the snapshot file, starts its log after it (a later append below it would
    // fail). The leader sends them again.
    if (this.receivingSnapshot && message.type === MessageType.Append) return;
    this.raft.step(message);
    this.scheduleReady();
  }

  /**
   * Receives a snapshot streamed by the leader: the bytes go to a snapshot file first, then
   * the core is told; the state machine is restored only if the core accepts it (ready()).
   * Resolves with null when taken, or with the reason it was refused.
   */
  async receiveSnapshot(message: Message, stream: InboundSnapshot): Promise<string | null> {
    if (message.type !== MessageType.Snapshot) throw new Error(`receiveSnapshot: message type ${message.type} is not Snapshot`);
    // One snapshot at a time, and only one the core would still take: a second stream
    // committed to storage while the first is being installed would leave storage and state
    // machine at different snapshots. A refusal is an answer, not a failure: the caller drops
    // the stream and the leader tries again later.
    if (this.receivingSnapshot || this.restoring) return `snapshot ${message.snapshot.index} refused: another snapshot is being installed`;
    // Stale: from a leader of an earlier term, committed here already, or the log holds its
    // last entry (the core would not install it).
    const stale = (): boolean => {
      const status = this.raft.status();
      return message.term < status.term || message.snapshot.index <= status.commit || this.raft.logMatches(message.snapshot.index, message.snapshot.term);
    };
    if (stale()) return this.refuseStaleSnapshot(message);
    this.receivingSnapshot = true;
    try {
      const sink = this.options.log.saveSnapshot(message.snapshot);
      this.options.logger.info({ from: message.from, index: message.snapshot.index, term: message.snapshot.term }, 'receiving snapshot');
      let received = 0;
      try {
        for (;;) {
          const chunk = await stream.read(this.options.snapshotChunkBytes);
          if (chunk === null) break;
          received += chunk.length;
          await sink.write(chunk);
        }
      } catch (error) {
        await sink.abort();
        throw error;
      }
      if (stale() || this.restoring) {
        const refusal = this.restoring ? `snapshot ${message.snapshot.index} refused: another snapshot is being installed` : this.refuseStaleSnapshot(message);
        await sink.abort();
        return refusal;
      }
      try {
        await sink.commit();
      } catch (error) {
        await sink.abort();
        // A sync that failed with EIO leaves the disk's state unknown, as the WAL's does: stop
        // (a follower that needs a snapshot would otherwise fail every one forever and never
        // sync its WAL, so never stop). A full disk (ENOSPC) is refused and retried instead.
        if ((error as NodeJS.ErrnoException).code === 'EIO' && !this.stopped) this.fatal('snapshot sync failed', error);
        throw error;
      }
      this.lastSnapshotBytes = received;
      this.snapshotBytesSum += received;
      this.options.logger.info({ from: message.from, index: message.snapshot.index, term: message.snapshot.term }, 'received snapshot');
      this.options.onSnapshot?.({ kind: 'received', index: message.snapshot.index, peer: message.from });
      // The term may have moved on while the file was committed (a slow disk outlasts an
      // election timeout): the core would drop the message, yet storage now starts its log
      // after the snapshot, and the next append below it would fail. The core takes it anyway.
      if (message.term < this.raft.status().term) {
        this.raft.restoreCommittedSnapshot(message.snapshot);
        this.scheduleReady();
      } else {
        this.receive(message);
      }
      return null;
    } finally {
      this.receivingSnapshot = false;
    }
  }

  /**
   * Refuses a snapshot this node does not need, and lets the core answer it as it answers any
   * stale snapshot: with the index its log holds. The leader may have sent it again because
   * its earlier transfer failed on its side only (the connection reset while this node stored
   * the file, and the answer to the install was lost with it): refused in silence, the leader
   * would learn nothing newer of this node and send the same snapshot on every heartbeat,
   * appending nothing to it, until it had a newer one.
   */
  private refuseStaleSnapshot(message: Message & { type: MessageType.Snapshot }): string {
    const commit = this.raft.status().commit;
    this.receive(message);
    return `snapshot ${message.snapshot.index} refused: this node has committed ${commit}`;
  }

  // ---------------------------------------------------------------------------------
  // The Ready loop.
  // ---------------------------------------------------------------------------------

  private scheduleReady(): void {
    if (this.readyScheduled || this.stopped) return;
    this.readyScheduled = true;
    this.options.clock.defer(this.turnEnd);
  }

  /** The end of a turn (one function for every turn: scheduling one allocates no closure). */
  private readonly turnEnd = (): void => {
    this.runTurnEndCallbacks();
    this.readyScheduled = false;
    this.flushGatheredReads();
    this.processReady();
    this.releaseEmptyAppends();
  };

  /** Sends a Ready's message, holding an Append without entries for a turn (emptyAppends). */
  private sendInTurn(message: Message): void {
    if (message.type === MessageType.Append) {
      this.heldEmptyAppends.delete(message.to);
      if (message.entries.length === 0 && message.prevIndex > message.commit) {
        this.emptyAppends.set(message.to, message);
        return;
      }
      this.emptyAppends.delete(message.to);
    }
    this.send(message);
  }

  /** Sends the Appends held since the last turn that no Append of this turn replaced, and holds this turn's. */
  private releaseEmptyAppends(): void {
    if (this.stopped) return;
    if (this.heldEmptyAppends.size > 0) {
      const term = this.raft.status().term;
      // A leader that stepped down meanwhile drops them: a lost message is always safe.
      if (this.isLeader) for (const message of this.heldEmptyAppends.values()) if (message.term === term) this.send(message);
      this.heldEmptyAppends.clear();
    }
    if (this.emptyAppends.size === 0) return;
    const held = this.heldEmptyAppends;
    this.heldEmptyAppends = this.emptyAppends;
    this.emptyAppends = held;
    this.scheduleReady(); // the next turn, which sends them unless replaced
  }

  /**
   * Runs `fn` once at the end of this turn, just before the turn's Ready is taken: a caller
   * that gathers the turn's writes proposes them from there, so they share one Ready (and,
   * gathered into one entry, one log slot) without waiting for another turn.
   */
  atTurnEnd(fn: () => void): void {
    if (this.stopped) return fn(); // no turn is coming: fn's proposals are refused at once
    this.turnEndCallbacks.push(fn);
    this.scheduleReady();
  }

  private runTurnEndCallbacks(): void {
    if (this.turnEndCallbacks.length === 0) return;
    const callbacks = this.turnEndCallbacks;
    this.turnEndCallbacks = [];
    for (const fn of callbacks) fn();
  }

  private scheduleTick(): void {
    this.tickTimer = this.options.clock.setTimer(this.options.tickMs, () => {
      if (this.stopped) return;
      this.raft.setClusterTime(this.clusterTime());
      // A stalled process (SIGSTOP, a long GC, a long apply) missed ticks: the core counts
      // them for the lease, which must end by the time that really passed (Raft.tick).
      const now = this.options.clock.now();
      const due = Math.min(Math.max(1, Math.floor((now - this.lastTickAt) / this.options.tickMs)), TICKS_CATCH_UP_MAX);
      this.raft.tick(due - 1);
      this.lastTickAt = now;
      // Only a tick on time judges the disk: after a stall of this process (a long apply), a
      // sync that finished meanwhile has not had its completion read yet.
      if (due === 1) this.handOverIfSyncStalled(now);
      if (!this.restoring) this.applyHeldNow();
      this.proposeContinue();
      this.scheduleReady();
      this.scheduleTick();
    });
  }

  /**
   * The core measures its lease in ticks, and a process that was stopped did not tick: if
   * the last tick is older than two periods, the lease cannot be trusted until ticks resume.
   */
  private leaseTrustworthy(now: number): boolean {
    return now - this.lastTickAt <= 2 * this.options.tickMs;
  }

  private flushGatheredReads(): void {
    const { linearizable, lease } = this.gathering;
    const again = this.readsToAskAgain;
    if (linearizable.length === 0 && lease.length === 0 && again.length === 0) return;
    if (linearizable.length > 0 || lease.length > 0) this.gathering = { linearizable: [], lease: [] };
    if (again.length > 0) this.readsToAskAgain = [];
    const now = this.options.clock.now();
    this.raft.setClusterTime(this.clusterTimeAt(now));
    const deadline = now + this.options.requestTimeoutMs;
    if (lease.length > 0) {
      if (!this.leaseTrustworthy(now)) linearizable.push(...lease);
      else if (linearizable.length > 0 || again.length > 0 || !this.serveLeaseReads(lease, now)) this.requestReadIndex(lease, 'lease', deadline);
    }
    for (const batch of again) this.requestReadIndex(batch.reads, 'read-index', batch.deadline);
    if (linearizable.length > 0) this.requestReadIndex(linearizable, 'read-index', deadline);
  }

  /**
   * Serves the turn's lease reads now, when the core would answer them at once anyway (a
   * leader with a valid lease, its ticks on time: the caller checked) and apply has reached
   * the commit index: what the core's ReadState and the apply loop would do, without them.
   * Only with no other read waiting on this node (the caller checked this turn's), so no read
   * is served at an older state than one that arrived before it and still waits. False: ask
   * the core.
   */
  private serveLeaseReads(reads: readonly ReadDone[], now: number): boolean {
    if (this.restoring || this.readsAwaitingApply.length !== 0 || this.readsAwaitingIndex.size !== 0) return false;
    const index = this.raft.leaseReadIndex();
    if (index === null || this.sm.appliedIndex < index) return false;
    const clusterTime = this.clusterTimeAt(now);
    for (const read of reads) tell(read, null, clusterTime);
    return true;
  }

  private requestReadIndex(reads: ReadDone[], mode: 'read-index' | 'lease', deadline: number): void {
    const contextId = this.nextReadContext++;
    this.readsAwaitingIndex.set(contextId, { reads, deadline, askedAt: this.options.clock.now(), index: 0, clusterTime: 0 });
    const result = this.raft.readIndex(encodeReadContext(contextId), mode);
    if (!result.ok) {
      this.readsAwaitingIndex.delete(contextId);
      const error = this.proposeRefusal(result.error);
      if (error.code === 'NO_LEADER' && this.awaitLeader(reads, deadline)) return;
      for (const read of reads) tell(read, error, 0);
    }
  }

  /**
   * Parks reads refused because no leader is known (an election), until one is (onSoftState
   * asks again) or --no-leader-wait-ms passes (sweepDeadlines fails them with NO_LEADER).
   * False when reads do not wait for a leader.
   */
  private awaitLeader(reads: ReadDone[], deadline: number): boolean {
    const waitMs = this.options.noLeaderWaitMs ?? 0;
    if (waitMs <= 0) return false;
    this.readsAwaitingLeader.push({ reads, deadline: Math.min(deadline, this.options.clock.now() + waitMs), index: 0, clusterTime: 0 });
    return true;
  }

  private processReady(): void {
    if (this.stopped || this.restoring || !this.raft.hasReady()) return;
    const ready = this.raft.ready();
    const counters = this.counters;
    counters.readies++;
    counters.entriesPersisted += ready.entries.length;
    if (ready.entries.length > counters.entriesPerReadyMax) counters.entriesPerReadyMax = ready.entries.length;
    counters.entriesApplied += ready.committedEntries.length;
    if (ready.softState !== null) this.onSoftState(ready.softState);

    // The leader's Appends go out now, so followers sync in parallel with us.
    for (const message of ready.messages) this.sendInTurn(message);
    if (ready.snapshot !== null) {
      this.processSnapshotReady(ready, ready.snapshot);
      return;
    }
    const mustSync = ready.entries.length > 0 || this.voteChanged(ready);
    if (ready.entries.length > 0 || ready.hardState !== null) this.options.log.append(ready.entries, ready.hardState);
    this.noteConfChangesAppended(ready.entries);
    this.notePersistedProposals(ready.entries);

    // The Appends (with the commit index that lets followers apply) leave before this node
    // applies: an entry that takes long to apply (a script) then stalls every node at once,
    // instead of the leader going silent while the followers wait for it.
    if (ready.committedEntries.length > 0) this.options.network.flush?.();
    // Pipelined persistence: committed entries are durable here already (the core hands out
    // only entries an earlier sync covered), so they are applied now, and the next Ready may
    // be taken while this one's write syncs: a reply waits for one fsync, and the leader keeps
    // replicating new entries while its own sync runs. Syncs complete in order, each covering
    // everything appended before it started.
    this.applyCommitted(ready);
    this.raft.advanceApplied(ready);
    this.proposeRecords();
    this.raft.releaseLogData(this.sm.appliedIndex as LogIndex);
    this.maybeSnapshot();
    if (mustSync) {
      const syncStartedAt = performance.now(); // stats only: real time, even under the simulator
      const last = ready.entries[ready.entries.length - 1];
      this.syncStarts.push(this.options.clock.now());
      const synced = this.syncInOrder().then(() => {
        this.syncStarts.shift();
        const syncMs = performance.now() - syncStartedAt;
        counters.syncs++;
        counters.syncMsTotal += syncMs;
        if (syncMs > counters.syncMsMax) counters.syncMsMax = syncMs;
        if (this.durableBarrier === synced) this.durableBarrier = null;
        if (this.stopped) return;
        for (const message of ready.messagesAfterPersist) this.send(message);
        if (last !== undefined) {
          this.raft.persistedTo(last.index, last.term);
          this.raft.releaseLogData(this.sm.appliedIndex as LogIndex);
        }
        this.scheduleReady();
      }, (error: unknown) => {
        if (!this.stopped) this.fatal('WAL sync failed', error);
      });
      this.durableBarrier = synced;
    } else if (ready.messagesAfterPersist.length > 0) {
      // Nothing new to make durable (a commit index alone rides along with the next sync),
      // but an acknowledgement may cover entries an earlier sync is still writing: it leaves
      // after that sync, the last one started (syncs complete in order).
      const barrier = this.durableBarrier;
      if (barrier === null) for (const message of ready.messagesAfterPersist) this.send(message);
      else {
        void barrier.then(() => {
          if (this.stopped) return;
          for (const message of ready.messagesAfterPersist) this.send(message);
        });
      }
    }
    this.scheduleReady();
  }

  /**
   * A Ready with a snapshot is not pipelined: after every earlier write is durable, the
   * snapshot replaces the state machine, then this Ready's entries are synced, and only then
   * may the next Ready be taken.
   */
  private processSnapshotReady(ready: Ready, snapshot: SnapshotMeta): void {
    this.restoring = true;
    this.voteChanged(ready);
    if (ready.entries.length > 0 || ready.hardState !== null) this.options.log.append(ready.entries, ready.hardState);
    this.noteConfChangesAppended(ready.entries);
    this.notePersistedProposals(ready.entries);
    const run = async (): Promise<void> => {
      await this.options.log.sync();
      if (this.stopped) return;
      for (const message of ready.messagesAfterPersist) this.send(message);
      await this.restoreSnapshot(snapshot);
      this.afterRestoreOverPaused();
      this.applyCommitted(ready);
      this.restoring = false;
      if (this.stopped) return;
      this.raft.advance(ready);
      this.proposeRecords();
      this.maybeSnapshot();
      this.scheduleReady();
    };
    run().catch((error: unknown) => this.fatal('applying a snapshot failed', error));
  }

  /**
   * A snapshot installed while an apply was paused replaced what its run wrote (the state
   * machine abandoned the run): the entries that waited behind it are applied now, those the
   * snapshot covers skipped.
   */
  private afterRestoreOverPaused(): void {
    if (this.paused === null) return;
    this.paused = null;
    this.applyAfterPaused();
  }

  /** The entries that waited behind a paused apply, until one pauses again; then the stale reads, once none is paused. */
  private applyAfterPaused(): void {
    if (this.held !== null) this.applyHeld(this.held);
    const waiting = this.afterPaused;
    let next = 0;
    while (this.paused === null && next < waiting.length) this.applyEntry(waiting[next++] as Entry, 'run', null);
    this.afterPaused = next === waiting.length ? [] : waiting.slice(next);
    this.fileDecisions(this.afterPaused);
    this.serveStaleReadsAfterPause();
  }

  private serveStaleReadsAfterPause(): void {
    if (this.paused !== null || this.staleReadsWhilePaused.length === 0) return;
    const reads = this.staleReadsWhilePaused;
    this.staleReadsWhilePaused = [];
    const clusterTime = this.clusterTime();
    for (const read of reads) tell(read, null, clusterTime);
  }

  /**
   * Term and vote must be durable before any message that depends on them; a change of the
   * commit index alone rides along with the next sync (a stale commit on disk is safe).
   */
  private voteChanged(ready: Ready): boolean {
    const hardState = ready.hardState;
    if (hardState === null) return false;
    const changed = hardState.term !== this.persistedTerm || hardState.vote !== this.persistedVote;
    this.persistedTerm = hardState.term;
    this.persistedVote = hardState.vote;
    return changed;
  }

  /** Applies a Ready's read states and committed entries (under deferred effects, as far as records allow). */
  private applyCommitted(ready: Ready): void {
    for (const readState of ready.readStates) this.onReadState(decodeReadContext(readState.context), readState.index, readState.clusterTime);
    const held = this.held;
    if (held === null) {
      for (const entry of ready.committedEntries) {
        if (this.paused === null) this.applyEntry(entry, 'run', null);
        else this.afterPaused.push(entry);
      }
    } else {
      for (const entry of ready.committedEntries) held.add(entry, this.sm.appliedIndex);
      this.applyHeld(held);
    }
    if (this.paused !== null) this.fileDecisions(ready.committedEntries);
    if (ready.committedEntries.length > 0 && this.paused === null) this.markAppliedBytes();
    this.releaseReads();
  }

  /**
   * Files the decision entries among committed entries behind the paused apply (its run may
   * wait for one: kill-decisions.ts in src/kv/script); a decision for the waiting run resumes it.
   */
  private fileDecisions(entries: readonly Entry[]): void {
    const paused = this.paused;
    const decisions = this.sm.killDecisions;
    if (paused === null || decisions === undefined) return;
    for (const entry of entries) {
      if (entry.index <= paused.entry.index || entry.type !== EntryType.Normal || entry.data.length === 0) continue;
      if (decisions.file(entry) === paused.entry.index) this.scheduleResume();
    }
  }

  private markAppliedBytes(): void {
    if (this.options.logRetainBytes !== undefined) this.appliedByteMarks.push({ index: this.sm.appliedIndex, bytes: this.appliedBytes });
  }

  /** Applies held entries from the front until one must wait for its record (order is the state machine's contract). */
  private applyHeld(held: HeldEntries<R>): void {
    const leaderTerm = this.raft.currentRole === StateRole.Leader ? this.raft.currentTerm : null;
    while (this.paused === null) {
      const step = held.next(this.sm.appliedIndex, leaderTerm);
      if (step === null || step === 'wait') return;
      if (step === 'fallback') {
        this.counters.scriptEntriesRunUnrecorded++;
        this.applyEntry(held.front, 'run', null);
      } else if (step !== 'skip') {
        this.applyEntry(held.front, step, step === 'replay' ? held.frontRecord : null);
      }
      held.shift();
    }
  }

  /**
   * On a tick, outside a Ready: applies what held entries can be now (the fallback's timer),
   * with what follows an apply, and proposes records a refusal kept back.
   */
  private applyHeldNow(): void {
    const held = this.held;
    if (held === null) return;
    const before = this.sm.appliedIndex;
    if (held.size > 0) this.applyHeld(held);
    if (this.sm.appliedIndex !== before) {
      this.markAppliedBytes();
      this.releaseReads();
      this.raft.releaseLogData(this.sm.appliedIndex as LogIndex);
      this.maybeSnapshot();
    }
    this.proposeRecords();
  }

  /**
   * Proposes the records this leader made as one effects entry. A node that is no longer the
   * leader drops them: whoever leads resolves those entries again, with the same outcome. A
   * leader the core refuses for now (too many uncommitted bytes, a transfer under way) keeps
   * them for its next turn, up to script-effects-hold-entries-max of them; past that, followers
   * run those scripts once they have waited.
   */
  private proposeRecords(): void {
    const records = this.recordsToPropose;
    const effects = this.held?.effects;
    if (records.length === 0 || effects === undefined) return;
    this.recordsToPropose = [];
    if (this.raft.currentRole !== StateRole.Leader) return;
    const result = this.raft.propose(effects.encode(records));
    if (!result.ok) {
      if (records.length <= this.effectsLimits.holdEntriesMax) this.recordsToPropose = records;
      return;
    }
    this.counters.effectsEntriesProposed++;
    this.scheduleReady();
  }

  private applyEntry(entry: Entry, mode: ApplyMode, record: EffectsRecord | null): void {
    if (entry.index <= this.sm.appliedIndex) return; // already covered by a restored snapshot
    this.appliedTerm = entry.term;
    this.appliedBytes += entry.data.length + ENTRY_OVERHEAD_BYTES;
    let result: R | undefined;
    let applied = false;
    if (entry.type === EntryType.ConfChange) {
      applied = true;
      this.sm.applyNoop(entry);
      this.options.onConfChange?.(decodeConfChangeEntry(entry), entry);
    } else if (entry.data.length === 0) {
      this.sm.applyNoop(entry);
    } else if (mode !== 'run') {
      result = this.applyWithEffects(entry, mode, record);
      applied = true;
    } else {
      const outcome = this.applyInSlices(entry);
      if (isPausedEntry(outcome)) {
        this.counters.entriesApplyPaused++;
        // Since its first slice began (applyInSlices set the slice's end).
        this.paused = { entry, apply: outcome, since: this.sliceEnd - (this.options.scriptSliceMs ?? 0) };
        this.continuePaused();
        return;
      }
      result = outcome;
      applied = true;
    }
    this.answerProposal(entry, applied, result);
  }

  /**
   * apply, in slices when they are on and the state machine can pause (the first slice now).
   * With slices off, an apply still pauses where its run waits for a decision entry: whether a
   * run is killable must not depend on a node's settings.
   */
  private applyInSlices(entry: Entry): R | PausedEntry<R> {
    const sliceMs = this.options.scriptSliceMs ?? 0;
    if (this.sm.applyPausable === undefined || (sliceMs === 0 && this.sm.killDecisions === undefined)) return this.sm.apply(entry);
    this.startSlice();
    return this.sm.applyPausable(entry, sliceMs === 0 ? never : this.sliceOver);
  }

  /**
   * The paused apply goes on in its next slice, on a later turn; while its run waits for a
   * decision entry it goes on once one is filed, and a leader proposes "continue" for it (a
   * kill, SCRIPT KILL's, would have been proposed before the run reached the wait).
   */
  private continuePaused(): void {
    const paused = this.paused;
    if (paused === null) return;
    if (!paused.apply.run.awaitingDecision) this.scheduleResume();
    else this.proposeContinue();
  }

  private scheduleResume(): void {
    if (this.resumeScheduled) return;
    this.resumeScheduled = true;
    this.options.clock.defer(this.resumePaused);
  }

  /** As leader, proposes "continue" for the paused apply's run waiting for its decision, once per term (on ticks too: a new leader's). */
  private proposeContinue(): void {
    const paused = this.paused;
    const decisions = this.sm.killDecisions;
    if (paused === null || decisions === undefined || !paused.apply.run.awaitingDecision || this.raft.currentRole !== StateRole.Leader) return;
    const index = paused.entry.index;
    const term = this.raft.currentTerm;
    if (this.decisionProposed !== null && this.decisionProposed.index === index && this.decisionProposed.term === term) return;
    const result = this.raft.propose(decisions.encode(index, 'continue', this.clusterTime()));
    if (!result.ok) return; // again on the next tick
    this.decisionProposed = { index, term, decision: 'continue' };
    this.counters.scriptDecisionsProposed++;
    this.scheduleReady();
  }

  /**
   * SCRIPT KILL (`isFunction` false) or FUNCTION KILL on the leader: proposes a kill for the
   * paused apply's run once it is killable, and answers with the decision entry's reply;
   * without a paused run, or for one that wrote or is of the other kind, says why not.
   */
  async killScript(isFunction: boolean): Promise<ScriptKillOutcome<R>> {
    for (;;) {
      const paused = this.paused;
      const decisions = this.sm.killDecisions;
      if (paused === null || decisions === undefined || this.stopped) return { kind: 'notbusy' };
      const run = paused.apply.run;
      if (run.isFunction !== isFunction) return { kind: 'other-kind' };
      const index = paused.entry.index;
      const proposed = this.decisionProposed !== null && this.decisionProposed.index === index ? this.decisionProposed.decision : null;
      if (run.wrote || !run.hasKillPoint || proposed === 'continue') return { kind: 'unkillable' };
      if (run.killable) {
        const reply = await new Promise<R>((resolve, reject) => {
          this.propose(`script-decision:${index}:${this.raft.currentTerm}`, decisions.encode(index, 'kill', this.clusterTime()), (error, result) => (error === null ? resolve(result as R) : reject(error)));
          if (this.raft.currentRole === StateRole.Leader) this.decisionProposed = { index, term: this.raft.currentTerm, decision: 'kill' };
        });
        return { kind: 'decided', reply };
      }
      // Not yet at its kill point: a later slice tells whether it gets there without a write.
      await yieldTurn(this.options.clock);
    }
  }

  /**
   * The next slice of the paused apply, on a later turn; once it ends, the entries that waited
   * behind it, then what follows an apply (reads, log release, snapshot, the next Ready).
   */
  private readonly resumePaused = (): void => {
    this.resumeScheduled = false;
    const paused = this.paused;
    // A snapshot being installed replaces the state the run wrote to: the run ends with it.
    if (paused === null || this.stopped || this.restoring) return;
    this.startSlice();
    this.counters.applySlices++;
    const outcome = paused.apply.resume();
    if (isPausedEntry(outcome)) {
      paused.apply = outcome;
      this.continuePaused();
      return;
    }
    this.paused = null;
    this.answerProposal(paused.entry, true, outcome);
    this.applyAfterPaused();
    this.proposeRecords();
    this.markAppliedBytes();
    this.releaseReads();
    this.raft.releaseLogData(this.sm.appliedIndex as LogIndex);
    this.maybeSnapshot();
    this.scheduleReady();
  };

  /** Answers the proposal at an applied entry's index: its result, or dropped when another term's entry took its slot. */
  private answerProposal(entry: Entry, applied: boolean, result: R | undefined): void {
    // Log matching: the entry at (index, term) is the one this node proposed, or it is not.
    const pending = this.proposalsByIndex.get(entry.index);
    if (pending === undefined) return;
    this.forgetProposal(pending);
    if (pending.term === entry.term && applied) {
      for (const waiter of pending.waiters) waiter(null, result);
    } else {
      const dropped = new NodeError('DROPPED', 'the request was dropped by a leader change and not applied; retry');
      for (const waiter of pending.waiters) waiter(dropped, undefined);
    }
  }

  private applyWithEffects(entry: Entry, mode: ApplyMode, record: EffectsRecord | null): R {
    const effects = this.held?.effects;
    if (effects === undefined) throw new Error(`raft-node: entry ${entry.index} applied with effects by a state machine without them`);
    if (mode === 'record') {
      const recorded = effects.applyRecording(entry);
      this.recordsToPropose.push(recorded.record);
      this.counters.scriptEntriesRecorded++;
      return recorded.result;
    }
    if (record === null) throw new Error(`raft-node: entry ${entry.index} replayed without a record`);
    if (record.runs === null) this.counters.scriptEntriesRunUnrecorded++;
    else this.counters.scriptEntriesReplayed++;
    return effects.applyReplaying(entry, record);
  }

  /** A proposal's slot overwritten by another term's entry means the proposal is lost. */
  private notePersistedProposals(entries: readonly Entry[]): void {
    if (this.proposalsByIndex.size === 0) return;
    for (const entry of entries) {
      const pending = this.proposalsByIndex.get(entry.index);
      if (pending === undefined) continue;
      if (pending.term !== entry.term) {
        this.forgetProposal(pending);
        const dropped = new NodeError('DROPPED', 'the request was overwritten by a new leader and not applied; retry');
        for (const waiter of pending.waiters) waiter(dropped, undefined);
      }
    }
  }

  private forgetProposal(pending: PendingProposal<R>): void {
    this.proposals.delete(pending.key);
    if (this.proposalsByIndex.get(pending.index) === pending) this.proposalsByIndex.delete(pending.index);
  }

  private onReadState(contextId: number, index: number, clusterTime: number): void {
    const batch = this.readsAwaitingIndex.get(contextId);
    if (batch === undefined) return; // timed out meanwhile
    this.readsAwaitingIndex.delete(contextId);
    batch.index = index;
    batch.clusterTime = clusterTime;
    this.readsAwaitingApply.push(batch);
    this.readsAwaitingApply.sort((a, b) => a.index - b.index);
  }

  /** Serves the reads whose index is applied; none while an apply is paused (the state is in the middle of an entry). */
  private releaseReads(): void {
    if (this.paused !== null) return;
    const applied = this.sm.appliedIndex;
    let released = 0;
    for (const batch of this.readsAwaitingApply) {
      if (batch.index > applied) break;
      released++;
      const clusterTime = Math.max(batch.clusterTime, 0);
      for (const read of batch.reads) tell(read, null, clusterTime);
    }
    if (released > 0) this.readsAwaitingApply.splice(0, released);
  }

  private onSoftState(state: SoftState): void {
    const previous = this.softState;
    this.softState = state;
    if (previous.leader !== state.leader || (previous.role === StateRole.Leader) !== (state.role === StateRole.Leader)) {
      // Read-index requests in flight were addressed to (or confirmed by) the old leader and
      // may never be answered: ask again, of the new leader, in this turn's batch. With no
      // leader known, the new request waits for one (awaitLeader).
      const batches = [...this.readsAwaitingIndex.values()];
      this.readsAwaitingIndex.clear();
      // Reads parked for want of a leader arrived before those: they are asked first.
      if (state.leader !== '' && this.readsAwaitingLeader.length > 0) {
        batches.unshift(...this.readsAwaitingLeader);
        this.readsAwaitingLeader = [];
      }
      this.readsToAskAgain.push(...batches);
      if (batches.length > 0) this.scheduleReady();
    }
    this.options.onSoftState?.(state);
  }

  private noteConfChangesAppended(entries: readonly Entry[]): void {
    // Addresses must be known as soon as a member is in the (uncommitted) configuration,
    // because the core starts replicating to it right away.
    const change = this.options.onConfChange;
    if (change === undefined) return;
    for (const entry of entries) {
      if (entry.type === EntryType.ConfChange) change(decodeConfChangeEntry(entry), entry);
    }
  }

  private send(message: Message): void {
    if (message.type === MessageType.Snapshot) {
      void this.sendSnapshot(message);
      return;
    }
    this.counters.messagesSent++;
    this.options.network.send(message);
  }

  private async sendSnapshot(message: Message & { type: MessageType.Snapshot }): Promise<void> {
    const source = this.options.log.openSnapshot(message.snapshot);
    if (source === null) {
      this.options.logger.warn({ to: message.to, index: message.snapshot.index }, 'snapshot to send is gone; the core will retry with a newer one');
      this.raft.reportSnapshot(message.to, false);
      this.scheduleReady();
      return;
    }
    try {
      this.options.logger.info({ to: message.to, index: message.snapshot.index }, 'sending snapshot');
      await this.options.network.sendSnapshot(message.to, encodeSnapshotHeader(message, this.options.snapshotContext?.()), source);
      this.raft.reportSnapshot(message.to, true);
      this.options.logger.info({ to: message.to, index: message.snapshot.index }, 'snapshot sent');
      this.options.onSnapshot?.({ kind: 'sent', index: message.snapshot.index, peer: message.to });
    } catch (error) {
      this.options.logger.warn({ to: message.to, err: String(error) }, 'snapshot transfer failed');
      this.raft.reportSnapshot(message.to, false);
    } finally {
      source.close();
      this.scheduleReady();
    }
  }

  // ---------------------------------------------------------------------------------
  // Snapshots of the local state machine.
  // ---------------------------------------------------------------------------------

  /** Takes a snapshot now (RAFT.SNAPSHOT), after any one in progress; resolves with its index. */
  async snapshotNow(): Promise<number> {
    // Not in the middle of an entry whose apply is paused: its writes so far are no state.
    while (this.paused !== null && !this.stopped) await yieldTurn(this.options.clock);
    while (this.snapshotRunning !== null) await this.snapshotRunning.catch(() => 0);
    return this.takeSnapshot();
  }

  private maybeSnapshot(): void {
    const every = this.options.snapshotEntries;
    if (this.snapshotRunning !== null || this.paused !== null) return;
    const byEntries = every > 0 && this.sm.appliedIndex - this.lastSnapshotIndex >= every;
    const everyBytes = this.snapshotLogBytesDue();
    const byBytes = everyBytes > 0 && this.appliedBytes - this.appliedBytesAtSnapshot >= everyBytes;
    if (!byEntries && !byBytes) return;
    void this.takeSnapshot().catch((error: unknown) => this.options.logger.error({ err: String(error) }, 'snapshot failed'));
  }

  /** Log bytes since the last snapshot that call for the next: the floor, or the share of the last snapshot's size above it. */
  private snapshotLogBytesDue(): number {
    const floor = this.options.snapshotLogBytes ?? 0;
    if (floor === 0) return 0;
    return Math.max(floor, (this.lastSnapshotBytes * (this.options.snapshotLogPercentage ?? 0)) / 100);
  }

  private takeSnapshot(): Promise<number> {
    const running = this.writeSnapshot().finally(() => {
      this.snapshotRunning = null;
    });
    this.snapshotRunning = running;
    return running;
  }

  private async writeSnapshot(): Promise<number> {
    const index = this.sm.appliedIndex;
    const bytesAtIndex = this.appliedBytes;
    const meta: SnapshotMeta = { index: index as SnapshotMeta['index'], term: this.appliedTerm as SnapshotMeta['term'], confState: this.raft.confStateAt(index as SnapshotMeta['index']) };
    const view = this.sm.beginSnapshot();
    const sink = this.options.log.saveSnapshot(meta);
    let snapshotBytes = 0;
    try {
      for (;;) {
        const chunk = view.next(this.options.snapshotChunkBytes);
        if (chunk === null) break;
        snapshotBytes += chunk.length;
        await sink.write(chunk);
        await yieldTurn(this.options.clock);
      }
      await sink.commit();
    } catch (error) {
      await sink.abort();
      throw error;
    } finally {
      view.close();
    }
    // An on-demand snapshot may have started between an apply and the core's advance().
    while (this.raft.status().applied < index && !this.stopped) await yieldTurn(this.options.clock);
    this.raft.snapshotTaken(meta);
    this.lastSnapshotIndex = index;
    this.appliedBytesAtSnapshot = bytesAtIndex;
    this.lastSnapshotBytes = snapshotBytes;
    this.snapshotBytesSum += snapshotBytes;
    const compactTo = Math.min(index, Math.max(index - this.options.logRetainEntries, this.retainedBytesBound(index, bytesAtIndex)));
    this.appliedByteMarks = this.appliedByteMarks.filter((mark) => mark.index > compactTo);
    if (compactTo > 0) {
      this.raft.compact(compactTo as SnapshotMeta['index']);
      await this.options.log.compact(compactTo);
    }
    this.options.logger.info({ index, compactedTo: Math.max(compactTo, 0) }, 'snapshot taken');
    this.options.onSnapshot?.({ kind: 'taken', index, peer: null });
    return index;
  }

  /**
   * The lowest index the log may be compacted to so that the entries kept below a snapshot
   * at `index` hold at most logRetainBytes (0 when there is no byte bound).
   */
  private retainedBytesBound(index: number, bytesAtIndex: number): number {
    const retain = this.options.logRetainBytes;
    if (retain === undefined) return 0;
    // Marks ascend in bytes too: skip those that would keep too much; the first that keeps
    // little enough is the bound (within one applied batch of the budget).
    let exceeded = false;
    for (const mark of this.appliedByteMarks) {
      if (mark.index > index) break;
      if (bytesAtIndex - mark.bytes > retain) exceeded = true;
      else return exceeded ? mark.index : 0;
    }
    return 0;
  }

  private async restoreSnapshot(meta: SnapshotMeta): Promise<void> {
    const source = this.options.log.openSnapshot(meta);
    if (source === null) throw new Error(`snapshot ${meta.term}-${meta.index} accepted by the core is not on disk`);
    try {
      const error = await this.sm.restore(source, meta.index);
      if (error !== null) throw new Error(`restoring snapshot ${meta.term}-${meta.index} failed: ${error}`);
    } finally {
      source.close();
    }
    this.lastSnapshotIndex = meta.index;
    this.appliedBytesAtSnapshot = this.appliedBytes;
    this.appliedByteMarks = [];
    this.appliedTerm = meta.term;
    // Proposals and reads below the snapshot can no longer be matched to their entries.
    this.failAllProposals(new NodeError('TIMEOUT', 'state replaced by a snapshot; the request outcome is unknown'));
    this.options.logger.info({ index: meta.index, term: meta.term }, 'restored snapshot');
  }

  // ---------------------------------------------------------------------------------
  // Deadlines and failure.
  // ---------------------------------------------------------------------------------

  private sweepDeadlines(): void {
    if (this.stopped) return;
    const now = this.options.clock.now();
    // Writes at or behind an entry whose script run is paused wait for it, as Redis's clients
    // wait for a running script (the run is bounded by its instruction budget).
    const waitingFrom = this.paused?.entry.index ?? Number.POSITIVE_INFINITY;
    for (const pending of this.proposals.values()) {
      if (pending.deadline <= now && pending.index < waitingFrom) {
        this.forgetProposal(pending);
        const timeout = new NodeError('TIMEOUT', `no result within ${this.options.requestTimeoutMs} ms; the outcome is unknown`);
        for (const waiter of pending.waiters) waiter(timeout, undefined);
      }
    }
    const timeout = (): NodeError => new NodeError('TIMEOUT', `read not confirmed within ${this.options.requestTimeoutMs} ms`, this.leader);
    const retryMs = this.options.readIndexRetryMs ?? 0;
    for (const [contextId, batch] of this.readsAwaitingIndex) {
      if (batch.deadline <= now) {
        this.readsAwaitingIndex.delete(contextId);
        const error = timeout();
        for (const read of batch.reads) tell(read, error, 0);
      } else if (retryMs > 0 && (batch.askedAt ?? now) + retryMs <= now) {
        // Asked again under a new context: an answer to the old one finds nothing and is dropped.
        this.readsAwaitingIndex.delete(contextId);
        this.readsToAskAgain.push(batch);
        this.counters.readIndexRetries++;
        this.scheduleReady();
      }
    }
    this.readsAwaitingApply = this.readsAwaitingApply.filter((batch) => {
      if (batch.deadline > now) return true;
      const error = timeout();
      for (const read of batch.reads) tell(read, error, 0);
      return false;
    });
    this.readsAwaitingLeader = this.readsAwaitingLeader.filter((batch) => {
      if (batch.deadline > now) return true;
      const error = new NodeError('NO_LEADER', `no leader is known (waited ${this.options.noLeaderWaitMs ?? 0} ms)`);
      for (const read of batch.reads) tell(read, error, 0);
      return false;
    });
    this.sweepTimer = this.options.clock.setTimer(DEADLINE_SWEEP_MS, () => this.sweepDeadlines());
  }

  private readsPending(): number {
    let count = this.gathering.linearizable.length + this.gathering.lease.length + this.staleReadsWhilePaused.length;
    for (const batch of this.readsToAskAgain) count += batch.reads.length;
    for (const batch of this.readsAwaitingLeader) count += batch.reads.length;
    for (const batch of this.readsAwaitingIndex.values()) count += batch.reads.length;
    for (const batch of this.readsAwaitingApply) count += batch.reads.length;
    return count;
  }

  private failAllProposals(error: NodeError): void {
    const pending = [...this.proposals.values()];
    this.proposals.clear();
    this.proposalsByIndex.clear();
    for (const proposal of pending) for (const waiter of proposal.waiters) waiter(error, undefined);
  }

  private failReadsAwaitingIndex(error: NodeError): void {
    const batches = [...this.readsAwaitingIndex.values()];
    this.readsAwaitingIndex.clear();
    for (const batch of batches) for (const read of batch.reads) tell(read, error, 0);
  }

  private failAllReads(error: NodeError): void {
    const gathered = [...this.gathering.linearizable, ...this.gathering.lease];
    this.gathering = { linearizable: [], lease: [] };
    const again = this.readsToAskAgain;
    this.readsToAskAgain = [];
    for (const read of gathered) tell(read, error, 0);
    for (const batch of again) for (const read of batch.reads) tell(read, error, 0);
    const parked = this.readsAwaitingLeader;
    this.readsAwaitingLeader = [];
    for (const batch of parked) for (const read of batch.reads) tell(read, error, 0);
    this.failReadsAwaitingIndex(error);
    const waiting = this.readsAwaitingApply;
    this.readsAwaitingApply = [];
    for (const batch of waiting) for (const read of batch.reads) tell(read, error, 0);
    const stale = this.staleReadsWhilePaused;
    this.staleReadsWhilePaused = [];
    for (const read of stale) tell(read, error, 0);
  }

  private notLeaderError(): NodeError {
    const leader = this.softState.leader;
    return leader === '' ? new NodeError('NO_LEADER', 'no leader is known') : new NodeError('NOT_LEADER', `the leader is ${leader}`, leader);
  }

  private proposeRefusal(reason: string, detail?: string): NodeError {
    if (reason === 'not-leader-no-leader') return this.notLeaderError();
    if (reason === 'invalid-conf-change') return new NodeError('INVALID', detail ?? reason, this.leader);
    return new NodeError('BUSY', `the leader refused the request: ${reason}${detail === undefined ? '' : ` (${detail})`}`, this.leader);
  }

  private fatal(what: string, error: unknown): never {
    this.options.logger.error({ err: String(error) }, `${what}; stopping the node`);
    this.stop();
    const cause = error instanceof Error ? error.message : String(error);
    this.options.onFatal?.(new Error(`${what}: ${cause}`, { cause: error }));
    // A node that cannot persist must not continue: its promises to peers would be lies.
    throw error instanceof Error ? error : new Error(String(error));
  }
}


function encodeReadContext(id: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, id);
  return bytes;
}

function decodeReadContext(bytes: Uint8Array): number {
  if (bytes.length !== 8) return -1;
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0);
}

/** The snapshot message travels as a small JSON header beside the bytes, with the sender's context bytes. */
export function encodeSnapshotHeader(message: Message & { type: MessageType.Snapshot }, context?: Uint8Array): Uint8Array {
  const header = { from: message.from, to: message.to, term: message.term, snapshot: message.snapshot, context: context === undefined ? '' : Buffer.from(context).toString('base64') };
  return new TextEncoder().encode(JSON.stringify(header));
}

/** Node ids in a configuration at most (the peer codec's bound). */
const CONF_NODES_MAX = 0xffff;
const headerNodeId = string(255, true);
/** Base64 of at most the 16 MiB of membership a snapshot file may hold. */
const CONTEXT_CHARS_MAX = 24 * 1024 * 1024;

const snapshotHeaderSchema = object({
  from: headerNodeId,
  to: headerNodeId,
  term: integer(),
  snapshot: object({
    index: integer(),
    term: integer(),
    confState: object({ voters: array(headerNodeId, CONF_NODES_MAX), learners: array(headerNodeId, CONF_NODES_MAX) }),
  }),
  context: optional(string(CONTEXT_CHARS_MAX)),
});

/** A snapshot header from a peer, checked before use (SchemaError naming the bad field). */
export function decodeSnapshotHeader(bytes: Uint8Array): Message & { type: MessageType.Snapshot } {
  const header = parseJson(bytes, snapshotHeaderSchema, 'snapshot header');
  const { index, term, confState } = header.snapshot;
  const snapshot = { index: index as SnapshotMeta['index'], term: term as SnapshotMeta['term'], confState: { voters: confState.voters as NodeId[], learners: confState.learners as NodeId[] } };
  return { type: MessageType.Snapshot, from: header.from as NodeId, to: header.to as NodeId, term: header.term as Message['term'], snapshot };
}

/** The sender's context bytes of a snapshot header (empty when it sent none). */
export function snapshotHeaderContext(bytes: Uint8Array): Uint8Array {
  return Buffer.from(parseJson(bytes, snapshotHeaderSchema, 'snapshot header').context ?? '', 'base64');
}

function decodeConfChangeEntry(entry: Entry): ConfChange {
  const decoded = decodeConfChange(entry.data);
  if (!decoded.ok) throw new Error(`conf-change entry ${entry.index} (term ${entry.term}) is undecodable: ${decoded.error}`);
  return decoded.value;
}

function yieldTurn(clock: Clock): Promise<void> {
  return new Promise((resolve) => clock.defer(resolve));
}
