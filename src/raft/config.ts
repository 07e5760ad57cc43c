// Configuration of one Raft core: named, validated limits (no magic numbers inside the core).
import type { NodeId, Prng } from './types.js';

export interface RaftConfig {
  /** This node's identity. */
  readonly id: NodeId;
  /** Election timeout base; a follower's timeout is drawn from [electionTicks, 2*electionTicks). */
  readonly electionTicks: number;
  /** The leader sends a heartbeat every heartbeatTicks. Must be < electionTicks. */
  readonly heartbeatTicks: number;
  /** In-flight Append messages per follower in the replicate state before sending pauses. */
  readonly maxInflightMessages: number;
  /** Entry payload bytes per Append message (at least one entry is always sent). */
  readonly maxBytesPerMessage: number;
  /** Entries per Append message. */
  readonly maxEntriesPerMessage: number;
  /** The leader refuses proposals while more than this many entry bytes of its term are uncommitted. */
  readonly maxUncommittedBytes: number;
  /** Run a pre-election (thesis §9.6) so a partitioned node that rejoins does not raise the term. */
  readonly preVote: boolean;
  /** Leader steps down without a quorum heard within an election timeout; followers with a live leader ignore votes. */
  readonly checkQuorum: boolean;
  /** Lease = electionTicks - leaseDriftTicks ticks from the start of the last quorum-acknowledged heartbeat round. */
  readonly leaseDriftTicks: number;
  /** The only source of randomness. */
  readonly prng: Prng;
  /**
   * TEST ONLY: deliberately broken variants that the simulator must catch (test/sim/
   * broken-variants.test.ts). Absent or all false in every real configuration.
   */
  readonly testBugs?: RaftTestBugs;
}

/** TEST ONLY: each flag breaks one rule of the protocol on purpose; all default to off. */
export interface RaftTestBugs {
  /** The leader commits the quorum match index even when its entry is from an older term (drops §5.4.2's check). */
  readonly commitOldTermByCounting?: boolean;
  /** A new leader does not append its empty entry of the new term. */
  readonly skipNoopOnElection?: boolean;
}

export const DEFAULT_ELECTION_TICKS = 10;
export const DEFAULT_HEARTBEAT_TICKS = 1;
export const DEFAULT_MAX_INFLIGHT_MESSAGES = 256;
export const DEFAULT_MAX_BYTES_PER_MESSAGE = 1024 * 1024;
export const DEFAULT_MAX_ENTRIES_PER_MESSAGE = 4096;
export const DEFAULT_MAX_UNCOMMITTED_BYTES = 64 * 1024 * 1024;
export const DEFAULT_LEASE_DRIFT_TICKS = 2;

export function defaultRaftConfig(id: NodeId, prng: Prng): RaftConfig {
  return {
    id,
    electionTicks: DEFAULT_ELECTION_TICKS,
    heartbeatTicks: DEFAULT_HEARTBEAT_TICKS,
    maxInflightMessages: DEFAULT_MAX_INFLIGHT_MESSAGES,
    maxBytesPerMessage: DEFAULT_MAX_BYTES_PER_MESSAGE,
    maxEntriesPerMessage: DEFAULT_MAX_ENTRIES_PER_MESSAGE,
    maxUncommittedBytes: DEFAULT_MAX_UNCOMMITTED_BYTES,
    preVote: true,
    checkQuorum: true,
    leaseDriftTicks: DEFAULT_LEASE_DRIFT_TICKS,
    prng,
  };
}

/** Every problem with `c`, each as a precise sentence; empty when the config is valid. */
export function raftConfigProblems(c: RaftConfig): string[] {
  const problems: string[] = [];
  if (c.id === '') problems.push('id must not be empty');
  const positive = (name: string, v: number): void => {
    if (!Number.isSafeInteger(v) || v < 1) problems.push(`${name} must be an integer >= 1 (got ${v})`);
  };
  positive('electionTicks', c.electionTicks);
  positive('heartbeatTicks', c.heartbeatTicks);
  positive('maxInflightMessages', c.maxInflightMessages);
  positive('maxBytesPerMessage', c.maxBytesPerMessage);
  positive('maxEntriesPerMessage', c.maxEntriesPerMessage);
  positive('maxUncommittedBytes', c.maxUncommittedBytes);
  if (c.electionTicks <= c.heartbeatTicks) {
    problems.push(`electionTicks must be > heartbeatTicks (got ${c.electionTicks} <= ${c.heartbeatTicks})`);
  }
  if (!Number.isSafeInteger(c.leaseDriftTicks) || c.leaseDriftTicks < 0 || c.leaseDriftTicks >= c.electionTicks) {
    problems.push(`leaseDriftTicks must be an integer in [0, electionTicks) (got ${c.leaseDriftTicks}, electionTicks ${c.electionTicks})`);
  }
  for (const [name, value] of Object.entries(c.testBugs ?? {})) {
    if (typeof value !== 'boolean') problems.push(`testBugs.${name} must be a boolean (got ${String(value)})`);
  }
  return problems;
}

/** Throws one Error naming every problem; returns the config unchanged when it is valid. */
export function validateRaftConfig(c: RaftConfig): RaftConfig {
  const problems = raftConfigProblems(c);
  if (problems.length > 0) throw new Error(`invalid RaftConfig: ${problems.join('; ')}`);
  return c;
}
