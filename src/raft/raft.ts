// The Raft consensus core: one node's state machine, driven by tick(), step() and the
// proposal calls, producing Ready batches for the driver (src/node/). Pure and deterministic:
// no I/O, no clock, randomness only from the injected Prng. Modelled on etcd-io/raft.
// The driver's duty and the design choices are in docs/internals/raft.md.
import { invariant } from './assert.js';
import { confChangeProblem, decodeConfChange, encodeConfChange } from './conf-change.js';
import { validateRaftConfig, type RaftConfig } from './config.js';
import { RaftLog, type EntryReader } from './log.js';
import { Progress, type ProgressState } from './progress.js';
import { quorumCommittedIndex, quorumSize, quorumValue, voteResult, VoteResult } from './quorum.js';
import { PENDING_READS_MAX, ReadOnly } from './read-only.js';
import {
  EntryType,
  MessageType,
  NO_NODE,
  StateRole,
  assertNever,
  type AppendMessage,
  type AppendResponseMessage,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type HeartbeatMessage,
  type HeartbeatResponseMessage,
  type LogIndex,
  type Message,
  type NodeId,
  type ReadIndexMessage,
  type ReadState,
  type Ready,
  type SnapshotMessage,
  type SnapshotMeta,
  type SoftState,
  type Term,
  type VoteMessage,
  type VoteResponseMessage,
} from './types.js';

/** What the driver recovered from disk. */
export interface RaftInitialState {
  /** term 0 / NO_NODE / 0 for a fresh node. */
  readonly hardState: HardState;
  /** Newest snapshot; its confState is the base membership. */
  readonly snapshot: SnapshotMeta | null;
  /** The persisted log after the snapshot, contiguous. */
  readonly entries: readonly Entry[];
  /** Membership if neither snapshot nor log has one: a fresh cluster's voters, empty when joining by snapshot. */
  readonly confState: ConfState;
  /** Index the state machine has applied (the snapshot index on restart). */
  readonly applied: LogIndex;
}

export type ProposeError =
  | 'not-leader-no-leader'
  | 'transfer-in-progress'
  | 'too-many-uncommitted'
  | 'removed'
  | 'conf-change-pending'
  | 'leader-not-ready'
  | 'invalid-conf-change';

export type ProposeResult =
  /** On the leader: the new entry's index and term (log matching identifies it by both). */
  | { readonly ok: true; readonly index?: LogIndex; readonly term?: Term }
  | { readonly ok: false; readonly error: ProposeError; readonly detail?: string };

export type ReadIndexError = 'not-leader-no-leader' | 'transfer-in-progress' | 'too-many-pending-reads' | 'removed';
export type ReadIndexResult = { readonly ok: true } | { readonly ok: false; readonly error: ReadIndexError };
export type ReadMode = 'read-index' | 'lease';

export interface PeerStatus {
  readonly id: NodeId;
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: ProgressState;
  readonly inflight: number;
  readonly recentActive: boolean;
  readonly isLearner: boolean;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: Term;
  readonly vote: NodeId;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly lastIndex: LogIndex;
  /** The last index of this node's log known to be durable (synced). */
  readonly persisted: LogIndex;
  readonly firstIndex: LogIndex;
  readonly leader: NodeId;
  readonly role: StateRole;
  readonly confState: ConfState;
  /** The leader's view of each other member; empty on a non-leader. */
  readonly progress: readonly PeerStatus[];
  readonly leaseValid: boolean;
  /** Index of the newest ConfChange entry in the log if it is not yet applied, else 0. */
  readonly pendingConfIndex: LogIndex;
  readonly transferee: NodeId;
}

type CampaignKind = 'pre-vote' | 'election' | 'transfer';

const EMPTY = new Uint8Array(0);

export class Raft {
  private readonly config: RaftConfig;
  readonly id: NodeId;
  private readonly log: RaftLog;

  private term: Term;
  private vote: NodeId;
  private role = StateRole.Follower;
  private leader: NodeId = NO_NODE;

  /** Ticks since the last reset (leader contact, campaign start, or leader's CheckQuorum round). */
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  /** This node's current election timeout, in [electionTicks, 2*electionTicks). */
  private randomizedElectionTicks = 0;
  /** Ticks since construction: the leader's lease clock. */
  private tickCount = 0;
  /** Restarted with a non-zero term: it may have acknowledged a leader whose lease still runs. */
  private readonly restarted: boolean;

  private votes = new Map<NodeId, boolean>();
  private readonly progress = new Map<NodeId, Progress>();
  private readOnly = new ReadOnly();
  private transferee: NodeId = NO_NODE;
  /**
   * This leader sent TimeoutNow in its term. Its lease is then gone for the rest of the term: a
   * TimeoutNow delivered late still starts an election that voters grant despite stickiness.
   */
  private timeoutNowSent = false;
  /** Entry bytes of this leader's term appended but not yet committed. */
  private uncommittedBytes = 0;
  /** Cluster time (opaque, from the driver), monotonic. */
  private clusterTime = 0;
  /** Newest snapshot the driver holds (initial, taken, or installed); what a lagging follower is sent. */
  private latestSnapshot: SnapshotMeta | null;

  /** The leader has appends or commit news to send at the next ready(). */
  private appendsDue = false;
  private commitDue = false;
  /** Queued reads need a heartbeat round: it starts at the next ready() so one turn's reads share it. */
  private readRoundDue = false;
  /** Peers that should get an Append at the next ready() even if it carries no entries. */
  private readonly probeDue = new Set<NodeId>();

  private messages: Message[] = [];
  private messagesAfterPersist: Message[] = [];
  private readStates: ReadState[] = [];
  private lastSoftState: SoftState;
  private lastHardState: HardState;
  private outstanding: Ready | null = null;

  constructor(config: RaftConfig, initial: RaftInitialState) {
    this.config = validateRaftConfig(config);
    this.id = config.id;
    this.log = new RaftLog(initial.snapshot, initial.entries, initial.confState, initial.hardState.commit, initial.applied);
    this.term = initial.hardState.term;
    this.vote = initial.hardState.vote;
    this.restarted = initial.hardState.term > 0;
    this.latestSnapshot = initial.snapshot;
    this.resetTimers();
    this.lastSoftState = this.softState();
    this.lastHardState = this.hardState();
  }

  // -------------------------------------------------------------------------------------
  // Inputs
  // -------------------------------------------------------------------------------------

  /**
   * One logical clock tick: drives election timeouts, heartbeats, CheckQuorum and the lease.
   * `missed` ticks passed before it undelivered: the driver's process stalled (a long apply,
   * a GC pause, SIGSTOP). They count for the lease and the restart's vote refusal, which must
   * end by real time. The liveness timers instead give the peers as long again as the stall
   * before judging them silent: messages that arrived during it are still unread, and a
   * stall in apply is one every node goes through for the same entries, the others possibly
   * finishing later (a loaded machine runs three nodes on fewer cores). Counting the stall
   * would make a follower campaign against a leader whose heartbeats wait in its socket or
   * which is still applying, and a leader fail CheckQuorum on followers still applying. A
   * lower election count only makes a follower stickier, never less, so the lease stays
   * sound. A leader sends its heartbeat at once, so followers hear from it first.
   */
  tick(missed = 0): void {
    this.tickCount += 1 + missed;
    if (missed > 0) this.electionElapsed = Math.min(this.electionElapsed, 0) - missed;
    if (this.role === StateRole.Leader) {
      if (missed > 0) this.heartbeatElapsed = Math.max(this.heartbeatElapsed, this.config.heartbeatTicks - 1);
      this.tickLeader();
    } else this.tickElection();
  }

  /** The driver's cluster clock; only its maximum is kept, so it never runs backwards here. */
  setClusterTime(ms: number): void {
    if (ms > this.clusterTime) this.clusterTime = ms;
  }

  /**
   * Proposes application data. The leader appends it (the result carries its index); a
   * follower with a known leader forwards it (no index; it may be lost and must be timed out).
   */
  /** This node's role now; the last Ready's soft state may lag behind it within a turn. */
  get currentRole(): StateRole {
    return this.role;
  }

  /** This node's term now. */
  get currentTerm(): Term {
    return this.term;
  }

  /** True on a follower that heard its leader within the last election timeout. */
  get leaderInContact(): boolean {
    return this.role === StateRole.Follower && this.leader !== NO_NODE && this.electionElapsed < this.config.electionTicks;
  }

  propose(data: Uint8Array): ProposeResult {
    return this.proposeEntry(EntryType.Normal, data);
  }

  /** Proposes a single-server membership change; see confChangeRefusal for when it is refused. */
  proposeConfChange(cc: ConfChange): ProposeResult {
    if (this.role === StateRole.Leader) {
      const refused = this.confChangeRefusal(cc);
      if (refused !== null) return refused;
    }
    return this.proposeEntry(EntryType.ConfChange, encodeConfChange(cc));
  }

  /**
   * Asks for a linearizable read point. The answer is a ReadState with `context` in a later
   * Ready (or nothing, if leadership is lost: the driver times the read out).
   */
  readIndex(context: Uint8Array, mode: ReadMode = 'read-index'): ReadIndexResult {
    if (this.role === StateRole.Leader) return this.leaderRead(this.id, context, mode);
    if (this.isRemoved()) return { ok: false, error: 'removed' };
    if (this.leader === NO_NODE) return { ok: false, error: 'not-leader-no-leader' };
    // A follower has no lease of its own: it always asks the leader for a read index.
    const m: ReadIndexMessage = { type: MessageType.ReadIndex, from: this.id, to: this.leader, term: this.term, context };
    this.messages.push(m);
    return { ok: true };
  }

  /**
   * The index a lease read may be served at right now with no ReadState (readIndex's lease
   * answer, given at once): the commit index, when this node leads with a valid lease and has
   * committed an entry of its term; null when the read must go through readIndex.
   */
  leaseReadIndex(): LogIndex | null {
    if (this.role !== StateRole.Leader || this.transferee !== NO_NODE) return null;
    if (this.log.term(this.log.committed) !== this.term || !this.leaseValid()) return null;
    return this.log.committed;
  }

  /** etcd semantics: catch `to` up, then send it TimeoutNow; abort after an election timeout. */
  transferLeadership(to: NodeId): void {
    if (this.role !== StateRole.Leader) return;
    if (to === this.id || to === this.transferee) return;
    if (!this.log.membership.current().voters.includes(to)) return;
    const pr = this.progress.get(to);
    if (pr === undefined) return;
    this.transferee = to;
    // The election timeout bounds the attempt; the lease ends now because TimeoutNow lets
    // `to` win an election that the followers' stickiness would otherwise refuse.
    this.electionElapsed = 0;
    this.readOnly.revokeLease();
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.probeDue.add(to); // start catching it up now rather than at the next heartbeat
  }

  /**
   * Gives up a transfer under way (FAILOVER ABORT), so proposals are accepted again at once;
   * false when none is. A TimeoutNow already sent may still win its election, and the lease
   * stays off for the term (see timeoutNowSent).
   */
  abortLeadershipTransfer(): boolean {
    if (this.transferee === NO_NODE) return false;
    this.transferee = NO_NODE;
    return true;
  }

  /** The connection to `id` failed: stop streaming to it optimistically. */
  reportUnreachable(id: NodeId): void {
    const pr = this.progress.get(id);
    if (this.role !== StateRole.Leader || pr === undefined) return;
    if (pr.state === 'replicate') pr.becomeProbe();
  }

  /** The snapshot transfer to `id` finished (ok) or failed; required for every Snapshot message. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    const pr = this.progress.get(id);
    if (this.role !== StateRole.Leader || pr === undefined || pr.state !== 'snapshot') return;
    // On failure forget the snapshot index so the next probe starts from what is known to match
    // (which sends the snapshot again if that is still compacted), after a wait that doubles
    // with each failure in a row, from a heartbeat interval up to an election timeout.
    if (ok) pr.snapshotFailures = 0;
    else {
      pr.pendingSnapshot = 0 as LogIndex;
      pr.snapshotFailures++;
      pr.snapshotHoldTicks = Math.min(this.config.heartbeatTicks * 2 ** Math.min(pr.snapshotFailures - 1, 20), this.config.electionTicks);
    }
    pr.becomeProbe();
    // Wait for the next heartbeat answer before probing, as etcd does.
    pr.probeSent = true;
  }

  /** The driver holds a durable snapshot described by `meta`; lagging followers may be sent it. */
  snapshotTaken(meta: SnapshotMeta): void {
    invariant(meta.index <= this.log.applied, () => `snapshot at ${meta.index} beyond applied ${this.log.applied}`);
    const t = this.log.term(meta.index);
    invariant(t === null || t === meta.term, () => `snapshot ${meta.index} has term ${meta.term}, log has ${t}`);
    if (this.latestSnapshot === null || meta.index > this.latestSnapshot.index) this.latestSnapshot = meta;
  }

  /**
   * Lets the log read entries back from the driver's durable log, so that it can release the
   * data of entries that are applied and durable (releaseLogData).
   */
  setEntryReader(reader: EntryReader): void {
    this.log.setReader(reader);
  }

  /** Releases the data of entries up to `index` (at most the applied and durable ones); see RaftLog.releaseData. */
  releaseLogData(index: LogIndex): void {
    this.log.releaseData(index);
  }

  /** Drops in-memory entries up to `index`, which a snapshot must cover. */
  compact(index: LogIndex): void {
    const snap = this.latestSnapshot?.index ?? 0;
    invariant(index <= snap, () => `compact ${index} beyond the latest snapshot ${snap}`);
    this.log.compact(index);
  }

  /** The configuration in force once the log up to `index` is applied (for the driver's snapshots). */
  confStateAt(index: LogIndex): ConfState {
    return this.log.membership.at(index);
  }

  /**
   * A snapshot the driver has already committed to storage but whose message the term rules
   * would now drop: its sender was deposed, or this node campaigned, while the file was
   * written. A snapshot holds only committed entries, whoever sent it, so the log takes it
   * as a follower takes one from its leader (without answering the deposed sender); the
   * driver's storage and the log then start at the same index.
   */
  restoreCommittedSnapshot(s: SnapshotMeta): void {
    if (s.index <= this.log.committed) return;
    if (this.log.matchTerm(s.index, s.term)) this.log.commitTo(s.index);
    else this.log.restore(s);
  }

  /** A message from a peer. Messages for another node or from a stale term are dropped. */
  step(m: Message): void {
    if (m.to !== this.id) return;
    if (!this.stepTerm(m)) return;
    switch (m.type) {
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(m);
        return;
      default:
        break;
    }
    switch (this.role) {
      case StateRole.Leader:
        this.stepLeader(m);
        return;
      case StateRole.Candidate:
      case StateRole.PreCandidate:
        this.stepCandidate(m);
        return;
      case StateRole.Follower:
        this.stepFollower(m);
        return;
    }
  }

  // -------------------------------------------------------------------------------------
  // Ready / advance
  // -------------------------------------------------------------------------------------

  hasReady(): boolean {
    if (this.outstanding !== null) return false;
    return (
      this.appendsDue ||
      this.commitDue ||
      this.readRoundDue ||
      this.probeDue.size > 0 ||
      this.messages.length > 0 ||
      this.messagesAfterPersist.length > 0 ||
      this.readStates.length > 0 ||
      this.log.handedOut < this.log.lastIndex() ||
      this.log.pendingSnapshot !== null ||
      this.log.hasCommittedToApply() ||
      !sameSoftState(this.softState(), this.lastSoftState) ||
      !sameHardState(this.hardState(), this.lastHardState)
    );
  }

  ready(): Ready {
    invariant(this.outstanding === null, () => 'ready() called before the previous Ready was advanced');
    if (this.role === StateRole.Leader) {
      this.flushAppends();
      if (this.readRoundDue && !this.readOnly.roundInFlight()) this.startReadRound();
      this.readRoundDue = false;
    }
    const soft = this.softState();
    const hard = this.hardState();
    const snapshot = this.log.pendingSnapshot;
    const entries = this.log.unhandedEntries();
    this.log.handedOut = this.log.lastIndex();
    if (snapshot !== null) {
      this.log.applying = Math.max(this.log.applying, snapshot.index) as LogIndex;
      this.log.pendingSnapshot = null;
    }
    const committedEntries = this.log.committedToApply();
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted !== undefined) this.log.applying = lastCommitted.index;
    const rd: Ready = {
      softState: sameSoftState(soft, this.lastSoftState) ? null : soft,
      hardState: sameHardState(hard, this.lastHardState) ? null : hard,
      entries,
      snapshot,
      committedEntries,
      messages: this.messages,
      messagesAfterPersist: this.messagesAfterPersist,
      readStates: this.readStates,
    };
    this.lastSoftState = soft;
    this.lastHardState = hard;
    this.messages = [];
    this.messagesAfterPersist = [];
    this.readStates = [];
    this.outstanding = rd;
    return rd;
  }

  /** The Ready is durable (snapshot, entries, hard state) and its committed entries are applied. */
  advance(rd: Ready): void {
    this.advanceApplied(rd);
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) this.persistedTo(last.index, last.term);
    // The leader counts its own log toward the quorum only once it is durable.
    else if (this.role === StateRole.Leader) this.maybeCommit();
  }

  /**
   * Pipelined persistence, first half: the Ready's snapshot is restored and its committed
   * entries are applied, but its entries and hard state may still be syncing. The next
   * Ready may be taken now; durability is reported later, in order, with persistedTo().
   * The runtime must still hold back rd.messagesAfterPersist until that sync completes.
   */
  advanceApplied(rd: Ready): void {
    invariant(rd === this.outstanding, () => 'advance() called with a Ready that is not the outstanding one');
    this.outstanding = null;
    if (rd.snapshot !== null) {
      if (this.latestSnapshot === null || rd.snapshot.index > this.latestSnapshot.index) this.latestSnapshot = rd.snapshot;
      if (rd.snapshot.index > this.log.applied) this.log.applied = rd.snapshot.index;
    }
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied !== undefined && lastApplied.index > this.log.applied) this.log.applied = lastApplied.index;
    invariant(this.log.applied <= this.log.committed, () => `applied ${this.log.applied} > commit ${this.log.committed}`);
  }

  /**
   * Pipelined persistence, second half: the log up to (index, term) is durable. If a later
   * append replaced that entry meanwhile (its term no longer matches), the report is stale
   * and ignored: the replacement's own report follows.
   */
  persistedTo(index: LogIndex, term: Term): void {
    if (this.log.matchTerm(index, term) && index > this.log.persisted) this.log.persisted = index;
    // The leader counts its own log toward the quorum only now that it is durable.
    if (this.role === StateRole.Leader) this.maybeCommit();
  }

  /** True when the log holds the entry at `index` with term `entryTerm`: a snapshot ending there would only move the commit index, not be installed. */
  logMatches(index: LogIndex, entryTerm: Term): boolean {
    return this.log.matchTerm(index, entryTerm);
  }

  status(): RaftStatus {
    const progress: PeerStatus[] = [];
    if (this.role === StateRole.Leader) {
      for (const [id, pr] of this.progress) {
        progress.push({
          id, match: pr.match, next: pr.next, state: pr.state, inflight: pr.inflights.count,
          recentActive: pr.recentActive, isLearner: pr.isLearner,
        });
      }
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      persisted: this.log.persisted,
      firstIndex: this.log.firstIndex(),
      leader: this.leader,
      role: this.role,
      confState: this.log.membership.current(),
      progress,
      leaseValid: this.leaseValid(),
      pendingConfIndex: this.pendingConfIndex(),
      transferee: this.transferee,
    };
  }

  // -------------------------------------------------------------------------------------
  // Roles
  // -------------------------------------------------------------------------------------

  private resetTimers(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTicks = this.config.electionTicks + this.config.prng.nextInt(this.config.electionTicks);
  }

  private becomeFollower(t: Term, leader: NodeId): void {
    this.setTerm(t);
    this.role = StateRole.Follower;
    this.leader = leader;
    this.resetRoleState();
  }

  private setTerm(t: Term): void {
    invariant(t >= this.term, () => `term would decrease from ${this.term} to ${t}`);
    if (t > this.term) {
      this.term = t;
      this.vote = NO_NODE;
    }
  }

  private resetRoleState(): void {
    this.resetTimers();
    this.votes = new Map();
    this.progress.clear();
    this.readOnly = new ReadOnly();
    this.transferee = NO_NODE;
    this.timeoutNowSent = false;
    this.uncommittedBytes = 0;
    this.appendsDue = false;
    this.commitDue = false;
    this.readRoundDue = false;
    this.probeDue.clear();
  }

  private becomeLeader(): void {
    invariant(this.role === StateRole.Candidate, () => `becoming leader from role ${this.role} in term ${this.term}`);
    this.role = StateRole.Leader;
    this.leader = this.id;
    this.resetRoleState();
    const next = (this.log.lastIndex() + 1) as LogIndex;
    const cs = this.log.membership.current();
    for (const id of cs.voters) if (id !== this.id) this.progress.set(id, new Progress(next, this.config.maxInflightMessages, false));
    for (const id of cs.learners) if (id !== this.id) this.progress.set(id, new Progress(next, this.config.maxInflightMessages, true));
    // TEST ONLY: a broken variant leaves the no-op out.
    if (this.config.testBugs?.skipNoopOnElection === true) return;
    // The no-op entry lets the new leader commit an entry of its own term promptly, which
    // commits everything before it (§5.4.2) and unblocks reads and membership changes.
    this.appendAsLeader([{ term: this.term, index: 0 as LogIndex, type: EntryType.Normal, data: EMPTY }]);
  }

  private campaign(kind: CampaignKind): void {
    const cs = this.log.membership.current();
    let voteTerm: Term;
    if (kind === 'pre-vote') {
      this.role = StateRole.PreCandidate;
      this.leader = NO_NODE;
      this.resetRoleState();
      voteTerm = (this.term + 1) as Term;
    } else {
      this.setTerm((this.term + 1) as Term);
      this.vote = this.id;
      this.role = StateRole.Candidate;
      this.leader = NO_NODE;
      this.resetRoleState();
      voteTerm = this.term;
    }
    this.votes.set(this.id, true);
    if (this.tallyVotes()) return;
    const type = kind === 'pre-vote' ? MessageType.PreVote : MessageType.Vote;
    for (const id of cs.voters) {
      if (id === this.id) continue;
      const m: VoteMessage = {
        type, from: this.id, to: id, term: voteTerm,
        lastIndex: this.log.lastIndex(), lastTerm: this.log.lastTerm(), transfer: kind === 'transfer',
      };
      // A Vote request carries the new term and self-vote: those must be durable first, or a
      // restart could vote again in the same term. A PreVote changes nothing durable.
      if (type === MessageType.Vote) this.messagesAfterPersist.push(m);
      else this.messages.push(m);
    }
  }

  /** Counts votes; returns true if the campaign ended (won or lost). */
  private tallyVotes(): boolean {
    const result = voteResult(this.log.membership.current().voters, this.votes);
    if (result === VoteResult.Won) {
      if (this.role === StateRole.PreCandidate) this.campaign('election');
      else this.becomeLeader();
      return true;
    }
    if (result === VoteResult.Lost) {
      this.becomeFollower(this.term, NO_NODE);
      return true;
    }
    return false;
  }

  /**
   * May this node start an election? Yes if it is a voter in its newest configuration, and
   * also while its own removal is not yet committed (thesis §4.2.2): it may hold the only
   * up-to-date log the remaining voters can elect from. Its own vote counts only if it is in
   * the newest configuration (tallyVotes counts voters of that configuration only).
   */
  private promotable(): boolean {
    const m = this.log.membership;
    return m.current().voters.includes(this.id) || m.at(this.log.committed).voters.includes(this.id);
  }

  private isRemoved(): boolean {
    const cs = this.log.membership.current();
    return cs.voters.length > 0 && !cs.voters.includes(this.id) && !cs.learners.includes(this.id);
  }

  private hup(kind: 'pre-vote' | 'transfer'): void {
    if (this.role === StateRole.Leader || !this.promotable()) return;
    this.campaign(kind === 'transfer' ? 'transfer' : this.config.preVote ? 'pre-vote' : 'election');
  }

  /** Campaign now, as if the election timeout had passed (tests and the driver's explicit start). */
  campaignNow(): void {
    this.hup('pre-vote');
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTicks) {
      this.electionElapsed = 0;
      this.hup('pre-vote');
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const pr of this.progress.values()) if (pr.snapshotHoldTicks > 0) pr.snapshotHoldTicks--;
    if (this.electionElapsed >= this.config.electionTicks) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum) {
        if (!this.quorumActive()) {
          this.becomeFollower(this.term, NO_NODE);
          return;
        }
        for (const pr of this.progress.values()) pr.recentActive = false;
      }
      // An unfinished transfer is abandoned (if TimeoutNow went out, the lease stays off).
      if (this.transferee !== NO_NODE) this.transferee = NO_NODE;
    }
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.startReadRound();
    }
  }

  private quorumActive(): boolean {
    const voters = this.log.membership.current().voters;
    let active = 0;
    for (const id of voters) if (id === this.id || this.progress.get(id)?.recentActive === true) active++;
    return active >= quorumSize(voters.length);
  }

  /** Followers that heard a leader within the election timeout ignore votes (leader stickiness). */
  private inLease(): boolean {
    if (!this.config.checkQuorum) return false;
    if (this.leader !== NO_NODE && this.electionElapsed < this.config.electionTicks) return true;
    // After a restart this node may have acknowledged a leader just before it went down; it
    // keeps that promise for one election timeout so the leader's lease stays sound.
    return this.restarted && this.tickCount < this.config.electionTicks;
  }

  private leaseValid(): boolean {
    if (this.role !== StateRole.Leader || !this.config.checkQuorum) return false;
    if (this.transferee !== NO_NODE || this.timeoutNowSent) return false;
    const start = this.readOnly.leaseStartTick;
    return start !== null && this.tickCount - start < this.config.electionTicks - this.config.leaseDriftTicks;
  }

  private softState(): SoftState {
    return { leader: this.leader, role: this.role };
  }

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  // -------------------------------------------------------------------------------------
  // Step
  // -------------------------------------------------------------------------------------

  /** Applies the term rules common to every message; returns false if the message is done with. */
  private stepTerm(m: Message): boolean {
    if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        if (!m.transfer && this.inLease()) return false;
      }
      if (m.type === MessageType.PreVote) return true;
      if (m.type === MessageType.PreVoteResponse && !m.reject) return true;
      const fromLeader = m.type === MessageType.Append || m.type === MessageType.Heartbeat || m.type === MessageType.Snapshot;
      this.becomeFollower(m.term, fromLeader ? m.from : NO_NODE);
      return true;
    }
    if (m.term < this.term) {
      // A forwarded proposal or read request carries no state of its sender's term: serve it.
      if (m.type === MessageType.Propose || m.type === MessageType.ReadIndex) return true;
      if ((this.config.checkQuorum || this.config.preVote) && (m.type === MessageType.Append || m.type === MessageType.Heartbeat)) {
        // A deposed leader may not hear the new term otherwise (its peers ignore it): tell it.
        this.sendAppendResponse(m.from, false, 0 as LogIndex, 0 as Term, 0 as LogIndex, false);
      } else if (m.type === MessageType.PreVote) {
        this.messages.push({ type: MessageType.PreVoteResponse, from: this.id, to: m.from, term: this.term, reject: true });
      }
      return false;
    }
    return true;
  }

  private handleVoteRequest(m: VoteMessage): void {
    // Only voters of our configuration may lead it; a removed node's campaigns are ignored.
    if (!this.log.membership.current().voters.includes(m.from)) return;
    const isPre = m.type === MessageType.PreVote;
    const canVote = this.vote === m.from || (this.vote === NO_NODE && this.leader === NO_NODE) || (isPre && m.term > this.term);
    const grant = canVote && this.log.isUpToDate(m.lastIndex, m.lastTerm);
    const responseType = isPre ? MessageType.PreVoteResponse : MessageType.VoteResponse;
    const response: VoteResponseMessage = {
      type: responseType, from: this.id, to: m.from, term: grant && isPre ? m.term : this.term, reject: !grant,
    };
    if (grant && !isPre) {
      this.electionElapsed = 0;
      this.vote = m.from;
    }
    this.messagesAfterPersist.push(response);
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MessageType.Append:
        this.heardFromLeader(m.from);
        this.handleAppend(m);
        return;
      case MessageType.Heartbeat:
        this.heardFromLeader(m.from);
        this.handleHeartbeat(m);
        return;
      case MessageType.Snapshot:
        this.heardFromLeader(m.from);
        this.handleSnapshot(m);
        return;
      case MessageType.TimeoutNow:
        this.hup('transfer');
        return;
      case MessageType.ReadIndexResponse:
        this.setClusterTime(m.clusterTime);
        // A refused read is dropped: the driver times it out and retries (see raft.md).
        if (!m.reject) this.readStates.push({ index: m.index, context: m.context, clusterTime: m.clusterTime });
        return;
      case MessageType.Propose:
      case MessageType.ReadIndex:
        // Not the leader (any more): the sender retries when it learns the new leader.
        return;
      case MessageType.AppendResponse:
      case MessageType.HeartbeatResponse:
      case MessageType.VoteResponse:
      case MessageType.PreVoteResponse:
        return;
      case MessageType.Vote:
      case MessageType.PreVote:
        return;
      default:
        assertNever(m, 'message');
    }
  }

  private heardFromLeader(from: NodeId): void {
    this.electionElapsed = 0;
    this.leader = from;
  }

  private stepCandidate(m: Message): void {
    switch (m.type) {
      case MessageType.Append:
      case MessageType.Heartbeat:
      case MessageType.Snapshot:
        // A leader exists in our term (or a later one): stop campaigning.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      case MessageType.VoteResponse:
      case MessageType.PreVoteResponse: {
        const expected = this.role === StateRole.PreCandidate ? MessageType.PreVoteResponse : MessageType.VoteResponse;
        if (m.type !== expected) return;
        if (!this.log.membership.current().voters.includes(m.from)) return;
        if (!this.votes.has(m.from)) this.votes.set(m.from, !m.reject);
        this.tallyVotes();
        return;
      }
      case MessageType.AppendResponse:
      case MessageType.HeartbeatResponse:
      case MessageType.Propose:
      case MessageType.ReadIndex:
      case MessageType.ReadIndexResponse:
      case MessageType.TimeoutNow:
      case MessageType.Vote:
      case MessageType.PreVote:
        return;
      default:
        assertNever(m, 'message');
    }
  }

  private stepLeader(m: Message): void {
    switch (m.type) {
      case MessageType.AppendResponse:
        this.handleAppendResponse(m);
        return;
      case MessageType.HeartbeatResponse:
        this.handleHeartbeatResponse(m);
        return;
      case MessageType.Propose:
        this.handleForwardedProposal(m.entries);
        return;
      case MessageType.ReadIndex:
        if (this.progress.has(m.from)) {
          const r = this.leaderRead(m.from, m.context, 'read-index');
          if (!r.ok) this.sendReadIndexResponse(m.from, m.context, 0 as LogIndex, true);
        }
        return;
      case MessageType.Append:
      case MessageType.Heartbeat:
      case MessageType.Snapshot:
        invariant(false, () => `leader ${this.id} got message type ${m.type} from ${m.from} in its own term ${this.term}: two leaders`);
        return;
      case MessageType.VoteResponse:
      case MessageType.PreVoteResponse:
      case MessageType.ReadIndexResponse:
      case MessageType.TimeoutNow:
      case MessageType.Vote:
      case MessageType.PreVote:
        return;
      default:
        assertNever(m, 'message');
    }
  }

  // -------------------------------------------------------------------------------------
  // Follower: replication
  // -------------------------------------------------------------------------------------

  private handleAppend(m: AppendMessage): void {
    const log = this.log;
    if (m.prevIndex < log.committed) {
      // Everything up to our commit index matches the leader already.
      this.sendAppendResponse(m.from, false, log.committed, 0 as Term, 0 as LogIndex, true);
      return;
    }
    if (log.matchTerm(m.prevIndex, m.prevTerm)) {
      const lastNew = log.appendAfter(m.prevIndex, m.entries);
      log.commitTo(Math.min(m.commit, lastNew) as LogIndex);
      this.sendAppendResponse(m.from, false, lastNew, 0 as Term, 0 as LogIndex, true);
      return;
    }
    // Consistency check failed (§5.3): hint where the logs may match (fast backtracking).
    const hint = log.findConflictByTerm(Math.min(m.prevIndex, log.lastIndex()) as LogIndex, m.prevTerm);
    this.sendAppendResponse(m.from, true, m.prevIndex, hint.term, hint.index, true);
  }

  private handleHeartbeat(m: HeartbeatMessage): void {
    // The leader sends min(match, commit), so the commit point is always within our log.
    this.log.commitTo(m.commit);
    const response: HeartbeatResponseMessage = {
      type: MessageType.HeartbeatResponse, from: this.id, to: m.from, term: this.term, readRound: m.readRound,
    };
    this.messages.push(response);
  }

  private handleSnapshot(m: SnapshotMessage): void {
    const s = m.snapshot;
    const log = this.log;
    if (s.index <= log.committed) {
      this.sendAppendResponse(m.from, false, log.committed, 0 as Term, 0 as LogIndex, true);
      return;
    }
    if (log.matchTerm(s.index, s.term)) {
      // We already have the snapshot's last entry: the log matches up to it, just commit.
      log.commitTo(s.index);
      this.sendAppendResponse(m.from, false, log.committed, 0 as Term, 0 as LogIndex, true);
      return;
    }
    log.restore(s);
    this.sendAppendResponse(m.from, false, log.lastIndex(), 0 as Term, 0 as LogIndex, true);
  }

  private sendAppendResponse(
    to: NodeId, reject: boolean, index: LogIndex, hintTerm: Term, hintIndex: LogIndex, afterPersist: boolean,
  ): void {
    const m: AppendResponseMessage = { type: MessageType.AppendResponse, from: this.id, to, term: this.term, reject, index, hintTerm, hintIndex };
    // A success acknowledges entries as durable: it must wait until they are.
    (afterPersist ? this.messagesAfterPersist : this.messages).push(m);
  }

  // -------------------------------------------------------------------------------------
  // Leader: proposals and replication
  // -------------------------------------------------------------------------------------

  private proposeEntry(type: EntryType, data: Uint8Array): ProposeResult {
    if (this.role === StateRole.Leader) {
      if (this.transferee !== NO_NODE) return { ok: false, error: 'transfer-in-progress' };
      if (this.uncommittedBytes > 0 && this.uncommittedBytes + data.length > this.config.maxUncommittedBytes) {
        return { ok: false, error: 'too-many-uncommitted' };
      }
      const index = this.appendAsLeader([{ term: this.term, index: 0 as LogIndex, type, data }]);
      return { ok: true, index, term: this.term };
    }
    if (this.isRemoved()) return { ok: false, error: 'removed' };
    if (this.leader === NO_NODE) return { ok: false, error: 'not-leader-no-leader' };
    const entry: Entry = { term: 0 as Term, index: 0 as LogIndex, type, data };
    this.messages.push({ type: MessageType.Propose, from: this.id, to: this.leader, term: this.term, entries: [entry] });
    return { ok: true };
  }

  private pendingConfIndex(): LogIndex {
    const last = this.log.membership.lastChangeIndex();
    return last > this.log.applied ? last : (0 as LogIndex);
  }

  private confChangeRefusal(cc: ConfChange): ProposeResult | null {
    if (this.transferee !== NO_NODE) return { ok: false, error: 'transfer-in-progress' };
    // One change at a time: the previous one must be applied before the next is accepted.
    const pending = this.pendingConfIndex();
    if (pending !== 0) {
      return { ok: false, error: 'conf-change-pending', detail: `conf change at ${pending} not applied (applied ${this.log.applied})` };
    }
    // Until the leader commits an entry of its term it may not know the newest committed
    // configuration (the single-server change bug, Ongaro 2015).
    if (this.log.term(this.log.committed) !== this.term) return { ok: false, error: 'leader-not-ready' };
    const problem = confChangeProblem(this.log.membership.current(), cc);
    if (problem !== null) return { ok: false, error: 'invalid-conf-change', detail: problem };
    return null;
  }

  private handleForwardedProposal(entries: readonly Entry[]): void {
    if (this.transferee !== NO_NODE) return;
    for (const e of entries) {
      if (e.type === EntryType.ConfChange) {
        const decoded = decodeConfChange(e.data);
        if (!decoded.ok || this.confChangeRefusal(decoded.value) !== null) continue;
      }
      this.proposeEntry(e.type, e.data);
    }
  }

  /** Appends entries of this term at the end of the log; returns the last index. */
  private appendAsLeader(entries: readonly Entry[]): LogIndex {
    let index = this.log.lastIndex();
    const stamped: Entry[] = [];
    for (const e of entries) {
      index = (index + 1) as LogIndex;
      stamped.push({ term: this.term, index, type: e.type, data: e.data });
      this.uncommittedBytes += e.data.length;
    }
    const before = this.log.lastIndex();
    this.log.append(stamped);
    invariant(this.log.lastIndex() === before + stamped.length, () => `leader log truncated: last ${this.log.lastIndex()}, expected ${before + stamped.length}`);
    if (stamped.some((e) => e.type === EntryType.ConfChange)) {
      this.syncProgressWithConfig();
      // The lease rests on a quorum of the configuration its round was counted in; a new
      // configuration needs a round of its own.
      this.readOnly.revokeLease();
    }
    this.appendsDue = true;
    // A single-voter cluster commits as soon as its own write is durable (advance()).
    return index;
  }

  /** Adds progress for new members and drops removed ones (membership takes effect on append). */
  private syncProgressWithConfig(): void {
    const cs = this.log.membership.current();
    const members = new Set<NodeId>([...cs.voters, ...cs.learners]);
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    const next = this.log.lastIndex();
    for (const id of members) {
      if (id === this.id) continue;
      const isLearner = cs.learners.includes(id);
      const pr = this.progress.get(id);
      if (pr === undefined) {
        const fresh = new Progress(next, this.config.maxInflightMessages, isLearner);
        fresh.recentActive = true;
        this.progress.set(id, fresh);
      } else if (pr.isLearner !== isLearner) {
        const promoted = new Progress(pr.next, this.config.maxInflightMessages, isLearner);
        promoted.match = pr.match;
        promoted.recentActive = true;
        this.progress.set(id, promoted);
      }
    }
  }

  private handleAppendResponse(m: AppendResponseMessage): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    if (m.reject) {
      let probe = m.hintIndex;
      if (m.hintTerm > 0) probe = this.log.findConflictByTerm(m.hintIndex, m.hintTerm).index;
      if (pr.maybeDecreaseTo(m.index, probe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.appendsDue = true;
      }
      return;
    }
    const wasProbeAtMatch = pr.state === 'probe' && pr.match === m.index;
    if (!pr.maybeUpdate(m.index) && !wasProbeAtMatch) return;
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match >= this.log.compactedIndex()) pr.becomeReplicate();
    else if (pr.state === 'replicate') pr.inflights.freeTo(m.index);
    this.appendsDue = true;
    this.maybeCommit();
    if (this.role === StateRole.Leader && m.from === this.transferee && pr.match === this.log.lastIndex()) {
      this.sendTimeoutNow(m.from);
    }
  }

  private handleHeartbeatResponse(m: HeartbeatResponseMessage): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    pr.probeSent = false;
    // A lost Append would otherwise stall a full window forever: free one slot and probe.
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeOldest();
    if (pr.match < this.log.lastIndex()) this.probeDue.add(m.from);
    if (m.readRound > pr.ackedReadRound && !pr.isLearner) {
      pr.ackedReadRound = m.readRound;
      this.maybeConfirmReadRound();
    }
  }

  private maybeCommit(): void {
    const voters = this.log.membership.current().voters;
    const index = quorumCommittedIndex(voters, (id) => (id === this.id ? this.log.persisted : this.progress.get(id)?.match ?? (0 as LogIndex)));
    // §5.4.2: only an entry of the current term is committed by counting replicas.
    if (index <= this.log.committed) return;
    // TEST ONLY: a broken variant commits an older term's entry by counting (paper Figure 8).
    if (this.log.term(index) !== this.term && this.config.testBugs?.commitOldTermByCounting !== true) return;
    const before = this.log.committed;
    const firstOfTerm = this.log.term(before) !== this.term;
    this.log.commitTo(index);
    for (const e of this.log.slice((before + 1) as LogIndex, index)) {
      if (e.term === this.term) this.uncommittedBytes -= e.data.length;
    }
    invariant(this.uncommittedBytes >= 0, () => `uncommitted bytes ${this.uncommittedBytes} < 0 after commit ${index}`);
    this.commitDue = true;
    this.appendsDue = true;
    if (firstOfTerm) {
      this.readOnly.assignIndex(this.log.committed);
      if (this.readOnly.needsNewRound()) this.readRoundDue = true;
    }
    // A leader that removed itself leads until the removal commits, then steps down (§4.2.2).
    if (!this.log.membership.at(this.log.committed).voters.includes(this.id)) {
      this.flushAppends();
      this.becomeFollower(this.term, NO_NODE);
    }
  }

  /** Sends what each follower needs: new entries, commit news, probes, snapshots. */
  private flushAppends(): void {
    const commitNews = this.commitDue;
    for (const [id, pr] of this.progress) this.sendAppends(id, pr, commitNews || this.probeDue.has(id));
    this.appendsDue = false;
    this.commitDue = false;
    this.probeDue.clear();
  }

  private sendAppends(to: NodeId, pr: Progress, sendIfEmpty: boolean): void {
    const last = this.log.lastIndex();
    let force = sendIfEmpty || (pr.state === 'probe' && pr.match < last);
    // Pipelining: in replicate state keep sending batches until the window is full.
    while (!pr.paused()) {
      const prevIndex = (pr.next - 1) as LogIndex;
      const prevTerm = this.log.term(prevIndex);
      if (prevTerm === null) {
        if (pr.snapshotHoldTicks === 0) this.sendSnapshot(to, pr);
        return;
      }
      const entries = pr.next <= last ? this.log.slice(pr.next, last, this.config.maxBytesPerMessage, this.config.maxEntriesPerMessage) : [];
      if (entries.length === 0 && !force) return;
      const m: AppendMessage = { type: MessageType.Append, from: this.id, to, term: this.term, prevIndex, prevTerm, entries, commit: this.log.committed };
      this.messages.push(m);
      const lastSent = entries[entries.length - 1];
      pr.sentEntries(lastSent === undefined ? null : lastSent.index);
      force = false;
      if (lastSent === undefined) return;
    }
  }

  private sendSnapshot(to: NodeId, pr: Progress): void {
    const snap = this.latestSnapshot;
    invariant(snap !== null && snap.index >= this.log.compactedIndex(),
      () => `follower ${to} needs compacted entries (next ${pr.next}, first ${this.log.firstIndex()}) but there is no snapshot covering them`);
    const m: SnapshotMessage = { type: MessageType.Snapshot, from: this.id, to, term: this.term, snapshot: snap };
    this.messages.push(m);
    pr.becomeSnapshot(snap.index);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.timeoutNowSent = true;
    this.messages.push({ type: MessageType.TimeoutNow, from: this.id, to, term: this.term });
  }

  // -------------------------------------------------------------------------------------
  // Leader: reads
  // -------------------------------------------------------------------------------------

  private leaderRead(from: NodeId, context: Uint8Array, mode: ReadMode): ReadIndexResult {
    if (this.transferee !== NO_NODE) return { ok: false, error: 'transfer-in-progress' };
    const ownTermCommitted = this.log.term(this.log.committed) === this.term;
    if (ownTermCommitted && mode === 'lease' && this.leaseValid()) {
      this.answerRead(from, context, this.log.committed);
      return { ok: true };
    }
    if (this.readOnly.pendingCount >= PENDING_READS_MAX) return { ok: false, error: 'too-many-pending-reads' };
    this.readOnly.enqueue(from, context, ownTermCommitted ? this.log.committed : null);
    if (ownTermCommitted) this.readRoundDue = true;
    return { ok: true };
  }

  /** Starts a heartbeat round: every heartbeat carries its number; followers echo it. */
  private startReadRound(): void {
    const round = this.readOnly.startRound(this.tickCount);
    for (const [id, pr] of this.progress) {
      const m: HeartbeatMessage = {
        type: MessageType.Heartbeat, from: this.id, to: id, term: this.term,
        commit: Math.min(pr.match, this.log.committed) as LogIndex, readRound: round,
      };
      this.messages.push(m);
    }
    this.maybeConfirmReadRound();
  }

  private maybeConfirmReadRound(): void {
    const voters = this.log.membership.current().voters;
    const acked = voters.map((id) => (id === this.id ? this.readOnly.latestRound : this.progress.get(id)?.ackedReadRound ?? 0));
    const released = this.readOnly.confirm(quorumValue(acked));
    for (const r of released) this.answerRead(r.from, r.context, r.index as LogIndex);
    if (released.length > 0 && this.readOnly.needsNewRound()) this.readRoundDue = true;
  }

  private answerRead(from: NodeId, context: Uint8Array, index: LogIndex): void {
    if (from === this.id) this.readStates.push({ index, context, clusterTime: this.clusterTime });
    else this.sendReadIndexResponse(from, context, index, false);
  }

  private sendReadIndexResponse(to: NodeId, context: Uint8Array, index: LogIndex, reject: boolean): void {
    this.messages.push({ type: MessageType.ReadIndexResponse, from: this.id, to, term: this.term, context, index, clusterTime: this.clusterTime, reject });
  }
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
