// What one simulated run is: seed, cluster size, duration, which faults, and the limits the
// run is judged by. Validated up front; the same options and seed always give the same run.

/**
 * network: loss, duplication, delay spikes. partition: split, one-way, isolated leader, bridge.
 * crash: crash and restart (unsynced writes lost, torn batches). pause: a process stops for a
 * while. drift: clock rate and offset per node. election: voters crash right after voting,
 * leaders are crashed, vote requests arrive late. membership: a follower is removed and added
 * back with an empty disk (learner, then voter), and leadership is transferred.
 * snapshot-reset: a snapshot transfer's connection resets after the receiver has read the
 * whole stream, while it stores it: the sender's transfer fails though the receiver installs
 * the snapshot, and the link drops messages while it redials, both ways half of the times
 * (then the answer to the install is lost too). The leader believes the transfer failed and
 * sends the snapshot again to a node that holds it (bug 12 of docs/testing.md).
 */
export const faultKinds = ['network', 'partition', 'crash', 'pause', 'drift', 'election', 'membership', 'snapshot-reset'] as const;
/**
 * Targeted faults, named one by one (not part of `all`: they change the whole run around one
 * moment). cut-leader: a node is cut off from all others (messages on the wire included) at
 * the moment it becomes leader or its commit index advances, half of the times it does, for
 * 200–800 ms; the cut replaces any other, so leaders are cut one after another. That is the
 * schedule of the Raft paper's Figure 8: a leader's entries stop short of a majority, the
 * next leader's too, and an old leader that returns commits what it replicates, then leaves.
 */
export const targetedFaultKinds = ['cut-leader'] as const;
export type FaultKind = (typeof faultKinds)[number] | (typeof targetedFaultKinds)[number];

export interface SimOptions {
  readonly seed: number;
  readonly nodes: 3 | 5;
  /** Virtual milliseconds of client load; faults happen only in the first two thirds. */
  readonly durationMs: number;
  readonly faults: ReadonlySet<FaultKind>;
  readonly clients: number;
  readonly keys: number;
  /** Record every event in `trace` (costly; for replaying one seed). */
  readonly trace: boolean;
  /** Take a snapshot every this many applied entries; 0 = never. */
  readonly snapshotEntries: number;
  /** Broken variants the simulator must catch (tests only). */
  readonly bugs: SimBugs;
  /**
   * Entries per Append message (the core's maxEntriesPerMessage); absent: the core's
   * default. 1 makes a leader catch a follower up one entry per round trip, so a quorum can
   * hold an old term's entry while the new leader's own entry is still on its way.
   */
  readonly appendEntriesMax?: number;
  /**
   * Operations each client keeps in flight at once (pipelining); absent: 1. Its writes share
   * one request-id space and name the oldest one still unanswered, so retries of a pipeline
   * exercise the exactly-once window (kv/dedup-table.ts).
   */
  readonly pipeline?: number;
  /**
   * What the clients run; absent: register. register: single-key operations checked for
   * linearizability. list-append: transactions of appends and reads (MULTI/EXEC and scripts)
   * checked for strict serializability by the cycle checker.
   */
  readonly workload?: SimWorkload;
  /**
   * The replicated setting script-effects at start: leaders record script runs and followers
   * replay them (docs/internals/scripting.md, "Deferred effects"). Absent: off.
   */
  readonly scriptEffects?: boolean;
  /**
   * Script runs pause between slices as a server's do (--script-slice-ms), at points each node
   * draws on its own (replicas pause at different instructions), and some of the workload's
   * scripts run long: past a few slices, some past the point where they become killable, so
   * their writes wait for the leader's "continue" decision entry. Absent: runs go to their end.
   */
  readonly scriptSlices?: boolean;
}

export const simWorkloads = ['register', 'list-append'] as const;
export type SimWorkload = (typeof simWorkloads)[number];

export interface SimBugs {
  /** Followers forget their vote on a crash, as if they never persisted it. */
  readonly forgetVote?: boolean;
  /** Nodes lose term and vote on a crash: they never persisted their hard state. */
  readonly forgetHardState?: boolean;
  /** Core (RaftConfig.testBugs): the leader commits an older term's entry by counting replicas. */
  readonly commitOldTermByCounting?: boolean;
  /** Core (RaftConfig.testBugs): a new leader does not append its no-op entry. */
  readonly skipNoopOnElection?: boolean;
  /** Clients' reads skip the read barrier (the node's local state, as `stale` consistency): strict serializability must catch it. */
  readonly staleReads?: boolean;
}

export const simDefaults = {
  nodes: 3 as const,
  durationMs: 10_000,
  clients: 6,
  keys: 3,
  /** Snapshots, compaction and snapshot transfer run under faults in every default run. */
  snapshotEntries: 64,
};

/** Virtual milliseconds per Raft tick. */
export const SIM_TICK_MS = 10;
export const SIM_ELECTION_TICKS = 10;
export const SIM_HEARTBEAT_TICKS = 2;
export const SIM_LEASE_DRIFT_TICKS = 2;
/** A client request with no answer after this long is reported unknown (writes) or failed (reads). */
export const SIM_REQUEST_TIMEOUT_MS = 1_000;
/**
 * Deferred effects' limits: a script entry waits two election timeouts for its record before a
 * node runs it itself, so cut-off leaders and partitions exercise that fallback.
 */
export const SIM_SCRIPT_EFFECTS_LIMITS = { waitMs: 2 * SIM_ELECTION_TICKS * SIM_TICK_MS, holdEntriesMax: 1000, holdBytesMax: 4 * 1024 * 1024 };
/** Writes of one turn gathered into one entry, as the server does (small, so seeds see batches and lone writes alike). */
export const SIM_WRITE_BATCH_COMMANDS_MAX = 4;
export const SIM_WRITE_BATCH_BYTES_MAX = 64 * 1024;
/** A write on a node that knows no leader waits this long for one before TRYAGAIN (the server's no-leader-wait-ms). */
export const SIM_NO_LEADER_WAIT_MS = 500;
/**
 * Entries the runtime keeps behind a snapshot: small, so that a node that was down or cut
 * off for a few hundred milliseconds is caught up by InstallSnapshot, not by the log.
 */
export const SIM_LOG_RETAIN_ENTRIES = 16;
/**
 * Clock rates stay within 1 ± this. The lease bound of docs/internals/raft.md needs
 * T_leader / T_follower ≤ (electionTicks − 1) / (electionTicks − leaseDriftTicks) = 9/8;
 * 1.04 / 0.96 ≈ 1.083 keeps every pair inside it.
 */
export const SIM_CLOCK_RATE_DRIFT_MAX = 0.04;
/** After faults stop, the cluster has this long (capped at a sixth of the run) to settle before every new request must succeed. */
export const SIM_SETTLE_MS = 2_000;
export const SIM_DURATION_MS_MIN = 1_500;
/** Bound on the events of one run: a run that needs more is stuck in a loop. */
export const SIM_EVENTS_MAX = 5_000_000;
/** Most operations one simulated client may pipeline. */
export const SIM_PIPELINE_MAX = 16;

const everyFaultKind: readonly FaultKind[] = [...faultKinds, ...targetedFaultKinds];

/** `all`, `none`, or a comma-separated list of kinds, which may include `all` (e.g. `all,cut-leader`). */
export function parseFaults(text: string): ReadonlySet<FaultKind> | Error {
  if (text === 'none') return new Set();
  const out = new Set<FaultKind>();
  for (const word of text.split(',')) {
    if (word.trim() === 'all') {
      for (const kind of faultKinds) out.add(kind);
      continue;
    }
    const kind = everyFaultKind.find((k) => k === word.trim());
    if (kind === undefined) return new Error(`unknown fault kind "${word}" (expected all, none, or a list of ${everyFaultKind.join(', ')})`);
    out.add(kind);
  }
  return out;
}

export function formatFaults(faults: ReadonlySet<FaultKind>): string {
  if (faults.size === 0) return 'none';
  const all = faultKinds.every((k) => faults.has(k));
  const listed = all ? ['all', ...targetedFaultKinds.filter((k) => faults.has(k))] : everyFaultKind.filter((k) => faults.has(k));
  return listed.join(',');
}

export function simOptionProblems(o: SimOptions): string[] {
  const problems: string[] = [];
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) problems.push(`seed must be an integer >= 0 (got ${o.seed})`);
  if (o.nodes !== 3 && o.nodes !== 5) problems.push(`nodes must be 3 or 5 (got ${String(o.nodes)})`);
  if (!Number.isSafeInteger(o.durationMs) || o.durationMs < SIM_DURATION_MS_MIN) {
    problems.push(`durationMs must be an integer >= ${SIM_DURATION_MS_MIN} (got ${o.durationMs})`);
  }
  if (!Number.isSafeInteger(o.clients) || o.clients < 1 || o.clients > 64) problems.push(`clients must be in [1, 64] (got ${o.clients})`);
  if (!Number.isSafeInteger(o.snapshotEntries) || o.snapshotEntries < 0) problems.push(`snapshotEntries must be an integer >= 0 (got ${o.snapshotEntries})`);
  if (!Number.isSafeInteger(o.keys) || o.keys < 1 || o.keys > 64) problems.push(`keys must be in [1, 64] (got ${o.keys})`);
  if (o.pipeline !== undefined && (!Number.isSafeInteger(o.pipeline) || o.pipeline < 1 || o.pipeline > SIM_PIPELINE_MAX)) {
    problems.push(`pipeline must be an integer in [1, ${SIM_PIPELINE_MAX}] (got ${o.pipeline})`);
  }
  if (o.workload !== undefined && !simWorkloads.includes(o.workload)) problems.push(`workload must be one of ${simWorkloads.join(', ')} (got ${String(o.workload)})`);
  if (o.appendEntriesMax !== undefined && (!Number.isSafeInteger(o.appendEntriesMax) || o.appendEntriesMax < 1)) {
    problems.push(`appendEntriesMax must be an integer >= 1 (got ${o.appendEntriesMax})`);
  }
  return problems;
}

/** The command line that replays a run. */
export function reproduceCommand(o: SimOptions): string {
  const parts = [`raftis sim --seed ${o.seed}`];
  if (o.nodes !== simDefaults.nodes) parts.push(`--nodes ${o.nodes}`);
  parts.push(`--faults ${formatFaults(o.faults)}`);
  if (o.durationMs !== simDefaults.durationMs) parts.push(`--duration-ms ${o.durationMs}`);
  if (o.snapshotEntries !== simDefaults.snapshotEntries) parts.push(`--snapshot-entries ${o.snapshotEntries}`);
  if (o.clients !== simDefaults.clients) parts.push(`--clients ${o.clients}`);
  if (o.keys !== simDefaults.keys) parts.push(`--keys ${o.keys}`);
  if (o.appendEntriesMax !== undefined) parts.push(`--append-entries ${o.appendEntriesMax}`);
  if (o.pipeline !== undefined) parts.push(`--pipeline ${o.pipeline}`);
  if (o.workload !== undefined && o.workload !== 'register') parts.push(`--workload ${o.workload}`);
  if (o.scriptEffects === true) parts.push('--script-effects');
  if (o.scriptSlices === true) parts.push('--script-slices');
  parts.push('--trace');
  return parts.join(' ');
}
