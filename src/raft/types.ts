// The data the Raft core exchanges with its driver: identifiers, log entries, persistent
// state, messages and the Ready batch. Everything here is plain data, so the transport can
// encode it and the simulator can copy it; nothing here performs I/O.

/** A Raft term. Starts at 0 and only grows on a given node. */
export type Term = number & { readonly __brand: 'Term' };
/** A position in the replicated log. 0 means "before the first entry". */
export type LogIndex = number & { readonly __brand: 'LogIndex' };
/** A node's stable identity, e.g. "n1". Never the empty string. */
export type NodeId = string & { readonly __brand: 'NodeId' };

export const term = (n: number): Term => n as Term;
export const logIndex = (n: number): LogIndex => n as LogIndex;
export const nodeId = (s: string): NodeId => s as NodeId;

/** No node: the vote is not cast, the leader is not known. */
export const NO_NODE = '' as NodeId;

export const enum EntryType {
  /** Application data (for raftis: one encoded KV command). Empty data = the leader's no-op. */
  Normal = 0,
  /** A membership change; data is an encoded ConfChange (see conf-change.ts). */
  ConfChange = 1,
}

export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** State that must be on stable storage before the node sends any message that depends on it. */
export interface HardState {
  readonly term: Term;
  /** Whom this node voted for in `term`, or NO_NODE. */
  readonly vote: NodeId;
  /** Highest index known committed. Persisting it is an optimisation, not a safety need. */
  readonly commit: LogIndex;
}

/** Membership. Single-server changes: there is only ever one voter set (docs/internals/raft.md). */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export const enum ConfChangeType {
  AddVoter = 0,
  AddLearner = 1,
  RemoveNode = 2,
  /** Promote an existing learner to voter. */
  PromoteLearner = 3,
  /**
   * Change an existing member's context (raftis: its addresses) and nothing else: the voter
   * and learner sets stay as they are. It is still a ConfChange entry, so it goes through the
   * log, obeys the one-change-at-a-time rule and is kept in snapshots like any other change.
   */
  UpdateNode = 4,
}

/** One membership change, carried in an EntryType.ConfChange entry. `context` is opaque (raftis puts the node's addresses there). */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  readonly context: Uint8Array;
}

/** Describes a snapshot: the state machine state as of `index`. The bytes live outside the core. */
export interface SnapshotMeta {
  readonly index: LogIndex;
  readonly term: Term;
  readonly confState: ConfState;
}

export const enum StateRole {
  Follower = 0,
  PreCandidate = 1,
  Candidate = 2,
  Leader = 3,
}

/** Volatile state the driver may want to show or act on; never persisted. */
export interface SoftState {
  readonly leader: NodeId;
  readonly role: StateRole;
}

/**
 * The answer to a readIndex() request: once the local state machine has applied `index`,
 * a read at this point is linearizable. `clusterTime` is the leader's cluster time when the
 * read was confirmed (see Raft.setClusterTime), used to judge TTL expiry at the read point.
 */
export interface ReadState {
  readonly index: LogIndex;
  readonly context: Uint8Array;
  readonly clusterTime: number;
}

// ---------------------------------------------------------------------------------------
// Messages. A discriminated union on `type`; every switch over it ends in assertNever.
// Common fields: `from`, `to`, `term` (the sender's term; 0 only for local messages).
// ---------------------------------------------------------------------------------------

export const enum MessageType {
  /** Leader → follower: entries after (prevIndex, prevTerm), and the leader's commit index. */
  Append = 0,
  AppendResponse = 1,
  Vote = 2,
  VoteResponse = 3,
  PreVote = 4,
  PreVoteResponse = 5,
  /** Leader → follower: empty append carrying commit, with an optional read-barrier context. */
  Heartbeat = 6,
  HeartbeatResponse = 7,
  /** Leader → follower: install the snapshot described by `snapshot`. The bytes travel beside it. */
  Snapshot = 8,
  /** Follower → leader: a proposal forwarded because this node is not the leader. */
  Propose = 9,
  /** Follower → leader: a read-index request on behalf of a follower read. */
  ReadIndex = 10,
  ReadIndexResponse = 11,
  /** Leader → transferee: start an election now, ignoring the lease. */
  TimeoutNow = 12,
}

interface Base {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
}

export interface AppendMessage extends Base {
  readonly type: MessageType.Append;
  readonly prevIndex: LogIndex;
  readonly prevTerm: Term;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
}

export interface AppendResponseMessage extends Base {
  readonly type: MessageType.AppendResponse;
  /** True if the consistency check failed (the follower has no entry at prevIndex with prevTerm). */
  readonly reject: boolean;
  /** On success: the last index now known to match. On reject: the rejected prevIndex. */
  readonly index: LogIndex;
  /** On reject, the fast-backtracking hint: the follower's term at `hintIndex` (0 if its log is shorter). */
  readonly hintTerm: Term;
  /** On reject: the highest index the leader should try next (last index, or first index of hintTerm). */
  readonly hintIndex: LogIndex;
}

export interface VoteMessage extends Base {
  readonly type: MessageType.Vote | MessageType.PreVote;
  readonly lastIndex: LogIndex;
  readonly lastTerm: Term;
  /** True when the election was started by TimeoutNow: voters ignore their leader lease. */
  readonly transfer: boolean;
}

export interface VoteResponseMessage extends Base {
  readonly type: MessageType.VoteResponse | MessageType.PreVoteResponse;
  readonly reject: boolean;
}

export interface HeartbeatMessage extends Base {
  readonly type: MessageType.Heartbeat;
  readonly commit: LogIndex;
  /** Read-barrier round this heartbeat belongs to (0 = none). */
  readonly readRound: number;
}

export interface HeartbeatResponseMessage extends Base {
  readonly type: MessageType.HeartbeatResponse;
  readonly readRound: number;
}

export interface SnapshotMessage extends Base {
  readonly type: MessageType.Snapshot;
  readonly snapshot: SnapshotMeta;
}

export interface ProposeMessage extends Base {
  readonly type: MessageType.Propose;
  readonly entries: readonly Entry[];
}

export interface ReadIndexMessage extends Base {
  readonly type: MessageType.ReadIndex;
  readonly context: Uint8Array;
}

export interface ReadIndexResponseMessage extends Base {
  readonly type: MessageType.ReadIndexResponse;
  readonly context: Uint8Array;
  /** 0 with reject=true when the leader could not serve it (e.g. stepping down, transfer). */
  readonly index: LogIndex;
  readonly clusterTime: number;
  readonly reject: boolean;
}

export interface TimeoutNowMessage extends Base {
  readonly type: MessageType.TimeoutNow;
}

export type Message =
  | AppendMessage
  | AppendResponseMessage
  | VoteMessage
  | VoteResponseMessage
  | HeartbeatMessage
  | HeartbeatResponseMessage
  | SnapshotMessage
  | ProposeMessage
  | ReadIndexMessage
  | ReadIndexResponseMessage
  | TimeoutNowMessage;

/**
 * One batch of work for the driver. The driver's duty, in this order (docs/internals/raft.md):
 *  1. persist `snapshot` (if any), then `entries` and `hardState` (if any), durably;
 *  2. send `messages` (a leader may send its Append messages before step 1 completes,
 *     see `messagesAfterPersist` for the ones that must wait);
 *  3. apply `snapshot` then `committedEntries` to the state machine, in order;
 *  4. call advance(ready) when 1 is durable.
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  /** Entries to append to stable storage. May overwrite a suffix: truncate from entries[0].index. */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader, to persist and restore. */
  readonly snapshot: SnapshotMeta | null;
  /** Entries known committed, to apply in order. Never includes an entry not yet in a persisted Ready. */
  readonly committedEntries: readonly Entry[];
  /** Messages safe to send before this Ready's persistence completes (the leader's Appends). */
  readonly messages: readonly Message[];
  /** Messages that depend on this Ready's persisted state (votes, append responses): send only after step 1. */
  readonly messagesAfterPersist: readonly Message[];
  readonly readStates: readonly ReadState[];
}

/** Deterministic pseudo-random source, injected so that a run can be replayed from its seed. */
export interface Prng {
  /** A uniformly distributed integer in [0, bound). */
  nextInt(bound: number): number;
}

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
