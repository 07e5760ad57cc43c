// One deterministic run: N nodes, each the real Raft core, the real RaftNode runtime and a
// real KvStateMachine, over a virtual clock, a simulated network and simulated disks, with
// clients and a fault schedule, all drawn from one seed. Safety invariants are checked as
// the run goes; the client history (linearizability) and liveness are checked at the end.
//
// Each node's storage is the real RaftStorage over a simulated disk (sim-storage.ts), so a
// restart runs WAL recovery as production does. RaftNode and the storage chain work through
// promises, so after every event that may settle one the loop lets every microtask run
// (a macrotask turn: nothing in a run waits on one, so the queue is drained whatever the
// length of the chains). The interleaving depends only on the event order: the seed fixes
// the run.
import { KvStateMachine } from '../kv/state-machine.js';
import { kvDeferredEffects } from '../kv/script/deferred-effects.js';
import type { Reply } from '../kv/reply.js';
import { isPausedEntry, type Clock, type LogStore, type Network, type PausedEntry, type SnapshotByteSource, type StateMachine } from '../node/ports.js';
import { encodeCommand } from '../kv/command-codec.js';
import { scriptDecisionArgv } from '../kv/script/kill-decisions.js';
import type { KillDecision } from '../kv/script/script-vm.js';
import { RaftNode, decodeSnapshotHeader, type NodeLogger, type ReadMode } from '../node/raft-node.js';
import { defaultRaftConfig, type RaftTestBugs } from '../raft/config.js';
import { seededPrng } from '../raft/prng.js';
import { Raft } from '../raft/raft.js';
import { type Entry, type Message, MessageType, type NodeId, StateRole, logIndex, nodeId, term } from '../raft/types.js';
import { EventKind, EventQueue, eventKindNames, type SimEvent } from './event-queue.js';
import { MembershipChurn } from './membership-churn.js';
import { SafetyMonitor, SimViolation } from './safety-monitor.js';
import { StorageLogStore, snapshotMetaFromStored } from '../server/log-store.js';
import { RaftStorage, SimDisk, type StorageLogger } from '../storage/index.js';
import { IncarnationDisk, MonitoredLogStore } from './sim-storage.js';
import { createSimWritePath } from './sim-write-path.js';
import type { WritePath } from '../server/write-path.js';
import {
  SIM_CLOCK_RATE_DRIFT_MAX,
  SIM_ELECTION_TICKS,
  SIM_EVENTS_MAX,
  SIM_HEARTBEAT_TICKS,
  SIM_LEASE_DRIFT_TICKS,
  SIM_LOG_RETAIN_ENTRIES,
  SIM_NO_LEADER_WAIT_MS,
  SIM_REQUEST_TIMEOUT_MS,
  SIM_SETTLE_MS,
  SIM_SCRIPT_EFFECTS_LIMITS,
  SIM_TICK_MS,
  reproduceCommand,
  simOptionProblems,
  type SimOptions,
} from './sim-options.js';
import { SimRandom } from './sim-random.js';
import { ListAppendOps } from './list-append-ops.js';
import type { OperationSource } from './operation-source.js';
import { RegisterOps } from './register-ops.js';
import { Workload, type ClientNode, type WorkloadHost } from './workload.js';

export interface SimResult {
  readonly seed: number;
  readonly ok: boolean;
  /** What broke, e.g. "election safety: two leaders in term 3: n1 and n2"; null when ok. */
  readonly failure: string | null;
  readonly reproduce: string;
  readonly events: number;
  readonly virtualMs: number;
  /** FNV hash of every event (time, node, kind): equal for two runs of one seed. */
  readonly traceHash: string;
  readonly trace: readonly string[];
  readonly readMode: ReadMode;
  readonly ops: { readonly ok: number; readonly unknown: number; readonly failed: number };
  readonly faults: { readonly crashes: number; readonly partitions: number; readonly pauses: number; readonly snapshotResets: number };
  readonly leaders: number;
  /**
   * Snapshots begun by the nodes' state machines, snapshots received and restored
   * (InstallSnapshot), and snapshots refused by a receiver that had committed their index
   * already (sent again after a transfer that failed on the sender's side only).
   */
  readonly snapshots: { readonly taken: number; readonly installed: number; readonly refusedAsHeld: number };
  /**
   * How the nodes resolved script entries under deferred effects (summed over nodes and
   * incarnations): ran and recorded them as leader, replayed a record, or ran them for want of
   * one. All zero with script-effects off.
   */
  readonly scriptEntries: ScriptEntryCounts;
  /** Membership churn: remove/re-add cycles started, leadership transfers asked for. */
  readonly membership: { readonly removals: number; readonly transfers: number };
}

const NETWORK_DELAY_MS_MIN = 1;
const NETWORK_DELAY_MS_MAX = 5;
/** With network faults, a message is sometimes this much slower (reordering; a stale vote request). */
const NETWORK_SPIKE_MS_MAX = 250;
/**
 * Election faults: a voter is crashed right after it grants a vote (the moment an unpersisted
 * vote would be lost) and restarts at once, and vote requests are sometimes held back so they
 * reach a voter after such a restart.
 */
const QUICK_RESTART_MS = [1, 20] as const;
const STALE_VOTE_PROBABILITY = 0.3;
const STALE_VOTE_MS = [5, 40] as const;
const SYNC_MS_MIN = 1;
const SYNC_MS_MAX = 4;
/** WAL segments are small so that runs roll segments and delete compacted ones (the storage layer's minimum is 4 KiB). */
const SIM_SEGMENT_BYTES = 16 * 1024;
/** With scriptSlices: the chance a script run pauses at each of the VM's checks (every 1,000 instructions). */
const SCRIPT_PAUSE_CHANCE = 0.3;
const SIM_DATA_DIR = '/data';
const SIM_CLUSTER_ID = 'sim';
/** Snapshot files carry no member addresses in the simulator: the network routes by id. */
const NO_MEMBERS: ReadonlyMap<string, never> = new Map<string, never>();
const SNAPSHOT_CHUNK_BYTES = 4096;
const PENDING_REQUESTS_MAX = 10_000;
/** Digest the state at every Nth applied index to compare replicas (cheap with few keys). */
const DIGEST_EVERY_INDEXES = 4;
/** After the clients stop, the run goes on this long at most for the last answers to arrive. */
const DRAIN_MS = 2 * SIM_REQUEST_TIMEOUT_MS + 500;
/** A node crash, pause and partition last a span drawn from these bounds (virtual ms). */
const CRASH_DOWN_MS = [50, 1_500] as const;
const PAUSE_MS = [50, 800] as const;
const PARTITION_MS = [100, 1_500] as const;
const FAULT_GAP_MS = [100, 600] as const;
/** Fault kind cut-leader: how often a new leader or a leader's commit is cut off, and for how long. */
const CUT_LEADER_PROBABILITY = 0.5;
const CUT_LEADER_MS = [200, 800] as const;
/** Fault kind snapshot-reset: how often a delivered snapshot's connection resets, and how long a reset link takes to redial (the transport's first backoff steps). */
const SNAPSHOT_RESET_PROBABILITY = 0.25;
const RESET_REDIAL_MS = [50, 250] as const;
/**
 * A leader may send a snapshot to a follower that already holds it (its earlier transfer
 * failed on the sender's side only). The follower refuses it and must answer with the index
 * it holds, so that the leader appends from there; it answers once the Ready is persisted (a
 * sync of 1-4 ms). No answer within this long is a leader that learns nothing of a follower
 * and sends the same snapshot again and again (bug 12 of docs/testing.md).
 */
const HELD_SNAPSHOT_ANSWER_MS = 50;

interface Incarnation extends ClientNode {
  alive: boolean;
}

interface NodeSlot {
  readonly index: number;
  readonly id: NodeId;
  /** Replaced by an empty one when the node is removed from the cluster (a new incarnation). */
  disk: SimDisk;
  /** The running (or recovering) process's view of the disk; null while the node is down. */
  io: IncarnationDisk | null;
  /** Bumped when the node is wiped: messages to or from an earlier incarnation are never delivered. */
  generation: number;
  /** Clock rate (virtual ms of this node per virtual ms) and offset: clock drift. */
  readonly rate: number;
  readonly offsetMs: number;
  /** The process runs nothing before this virtual time (a pause fault); its events wait in `held`. */
  pausedUntil: number;
  /** Events of the paused process, in the order they came due: they run, in that order, when it resumes. */
  readonly held: SimEvent[];
  /** Snapshot streams this node is receiving: a crash closes their connections, and their senders fail. */
  readonly inbound: Set<() => void>;
  inc: Incarnation | null;
}

export class Simulation implements WorkloadHost {
  now = 0;
  readonly random: SimRandom;
  readonly options: SimOptions;
  readonly monitor = new SafetyMonitor();
  private readonly queue = new EventQueue();
  private readonly slots: NodeSlot[] = [];
  private readonly ids = new Map<string, number>();
  /** Blocked directed links, from * 8 + to. */
  private readonly blocked = new Set<number>();
  /**
   * Links reset by fault kind snapshot-reset, from * 8 + to: down from `at` until `until`
   * (the redial), so what was on the wire at the reset and what is sent before the redial is lost.
   */
  private readonly resets = new Map<number, { readonly at: number; readonly until: number }>();
  /** Per receiver * 8 + sender: a snapshot refused as held, whose answer has not been sent yet (the refusal's time). */
  private readonly heldSnapshotAnswersDue = new Map<number, number>();
  private partitionEpoch = 0;
  private readonly lossProbability: number;
  private readonly duplicateProbability: number;
  private readonly spikeProbability: number;
  private networkFaultsOn: boolean;
  readonly faultEnd: number;
  /** After faults stop, the cluster has this long before every new operation must succeed. */
  private readonly settleMs: number;
  private readonly workload: Workload;
  readonly readMode: ReadMode;
  private failure: string | null = null;
  private events = 0;
  private traceHash = 0x811c9dc5;
  readonly trace: string[] = [];
  private crashes = 0;
  private partitions = 0;
  private pauses = 0;
  private snapshotResets = 0;
  private snapshotsTaken = 0;
  private snapshotsInstalled = 0;
  /** Script entry counts of incarnations that ended (crashes); the live ones are added at the end. */
  private readonly endedScriptEntries: ScriptEntryCounts = { recorded: 0, replayed: 0, runUnrecorded: 0, paused: 0, slices: 0, decisions: 0 };
  /** Snapshots a receiver refused because it had committed their index already (sent again after a reset). */
  private snapshotsRefusedAsHeld = 0;
  /** Test-only hooks handed to every core (broken variants); null in a correct run. */
  private readonly coreBugs: RaftTestBugs | null;
  private readonly churn: MembershipChurn = new MembershipChurn(this);
  /** Fault kind cut-leader: the virtual time each node last rolled for a cut (once per instant). */
  private readonly cutRolledAt: number[] = [];
  /** Incarnations started, for each one's request-id origin (the server's boot id). */
  private incarnations = 0;

  constructor(options: SimOptions) {
    const problems = simOptionProblems(options);
    if (problems.length > 0) throw new Error(`invalid simulation options: ${problems.join('; ')}`);
    this.options = options;
    const { commitOldTermByCounting = false, skipNoopOnElection = false } = options.bugs;
    this.coreBugs = commitOldTermByCounting || skipNoopOnElection ? { commitOldTermByCounting, skipNoopOnElection } : null;
    this.random = new SimRandom(options.seed);
    const faults = options.faults;
    this.faultEnd = Math.floor((options.durationMs * 2) / 3);
    const network = faults.has('network');
    this.networkFaultsOn = network;
    this.lossProbability = network ? this.random.fraction() * 0.05 : 0;
    this.duplicateProbability = network ? this.random.fraction() * 0.03 : 0;
    this.spikeProbability = network ? 0.05 : 0;
    const readMode = this.random.chance(0.3) ? 'lease' : 'linearizable';
    this.readMode = options.bugs.staleReads === true ? 'stale' : readMode;
    for (let index = 0; index < options.nodes; index++) {
      const drift = faults.has('drift');
      const rate = drift ? 1 + (this.random.fraction() * 2 - 1) * SIM_CLOCK_RATE_DRIFT_MAX : 1;
      const offsetMs = drift ? this.random.between(0, 500) : 0;
      const slot: NodeSlot = { index, id: nodeId(`n${index + 1}`), disk: this.newDisk(), io: null, generation: 0, rate, offsetMs, pausedUntil: 0, held: [], inbound: new Set(), inc: null };
      this.slots.push(slot);
      this.ids.set(slot.id, index);
    }
    const settleMs = Math.min(SIM_SETTLE_MS, Math.floor(options.durationMs / 6));
    this.settleMs = settleMs;
    this.workload = new Workload(this, {
      clients: options.clients,
      keys: options.keys,
      readMode: this.readMode,
      requestTimeoutMs: SIM_REQUEST_TIMEOUT_MS,
      retryDelayMs: SIM_TICK_MS,
      stopAt: options.durationMs,
      mustSucceedFrom: this.faultEnd + settleMs,
      pipeline: options.pipeline ?? 1,
    }, this.operationSource());
    for (const slot of this.slots) this.startNode(slot);
    if (faults.size > 0) this.schedule(this.random.between(...FAULT_GAP_MS), -1, EventKind.Fault, () => this.nextFault());
    this.schedule(this.faultEnd, -1, EventKind.Fault, () => this.healAll());
  }

  private operationSource(): OperationSource {
    const { workload = 'register', keys } = this.options;
    return workload === 'list-append' ? new ListAppendOps(this.random, keys) : new RegisterOps(this.random, keys, this.options.scriptSlices === true);
  }

  /** A node's disk: what a crash keeps of unsynced writes is drawn from the run's PRNG. */
  private newDisk(): SimDisk {
    return new SimDisk({ random: () => this.random.fraction() });
  }

  get nodeCount(): number {
    return this.slots.length;
  }

  nodeId(index: number): NodeId {
    return this.slot(index).id;
  }

  indexOf(id: string): number {
    const index = this.ids.get(id);
    if (index === undefined) throw new Error(`unknown node id "${id}"`);
    return index;
  }

  incarnation(index: number): Incarnation | null {
    return this.slot(index).inc;
  }

  // MembershipHost.
  leaderIndex(): number | null {
    const leader = this.slots.find((slot) => slot.inc?.runtime.isLeader === true);
    return leader === undefined ? null : leader.index;
  }

  runtime(index: number): RaftNode<Reply> | null {
    return this.slot(index).inc?.runtime ?? null;
  }

  wipe(index: number): void {
    const slot = this.slot(index);
    // A removal still in progress when faults stopped ends here: its clients lose their
    // connections, so the cluster gets its settle time again from now.
    if (this.now >= this.faultEnd) this.workload.postponeLiveness(this.now + this.settleMs);
    this.crash(slot);
    slot.disk = this.newDisk();
    slot.generation++;
  }

  writePathOf(index: number): WritePath | null {
    return this.slot(index).inc?.writes ?? null;
  }

  rejoin(index: number): void {
    const slot = this.slot(index);
    if (slot.io === null) this.startNode(slot);
  }

  schedule(delayMs: number, node: number, kind: EventKind, run: () => void): void {
    this.queue.push(this.now + delayMs, node, kind, run);
  }

  hop(from: number, to: number): number | null {
    if (this.blocked.has(from * 8 + to) || this.lostToReset(from, to, this.now)) return null;
    if (this.networkFaultsOn && this.random.chance(this.lossProbability)) return null;
    return this.networkDelay();
  }

  async run(): Promise<SimResult> {
    const endAt = this.options.durationMs + DRAIN_MS;
    try {
      // The nodes' recoveries, begun by the constructor, run up to their first disk sync.
      await drainMicrotasks();
      for (;;) {
        const event = this.queue.pop();
        if (event === undefined) break;
        if (event.time > endAt) break;
        if (event.time >= this.options.durationMs && this.workload.idle) break;
        if (event.node >= 0) {
          const slot = this.slot(event.node);
          if (slot.pausedUntil > event.time) {
            // A paused process runs nothing; its events wait for it to resume, in order.
            slot.held.push(event);
            continue;
          }
        }
        this.now = event.time;
        this.events++;
        if (this.events > SIM_EVENTS_MAX) throw new SimViolation('bounded run', `more than ${SIM_EVENTS_MAX} events`);
        this.traceHash = mixHash(mixHash(mixHash(this.traceHash, Math.round(event.time * 1000)), event.node + 1), event.kind);
        if (this.options.trace) this.trace.push(`${event.time.toFixed(3)} ${event.node >= 0 ? this.slot(event.node).id : 'sim'} ${eventKindNames[event.kind] ?? event.kind}`);
        event.run();
        await drainMicrotasks();
        if (this.failure !== null) break;
      }
      if (this.failure === null) this.finalChecks();
    } catch (error) {
      this.failure ??= error instanceof SimViolation ? error.message : `unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    }
    this.stopAll();
    return this.result();
  }

  private finalChecks(): void {
    // Safety before liveness: a run that both lost an answer and broke linearizability
    // reports the worse of the two.
    const violation = this.workload.source.check();
    if (violation !== null) throw violation;
    if (this.workload.livenessFailure !== null) throw new SimViolation('liveness', this.workload.livenessFailure);
    const leaders = this.slots.filter((slot) => slot.inc?.runtime.isLeader === true);
    if (leaders.length === 0) throw new SimViolation('liveness', `no leader at the end of the run (${this.now} ms)`);
  }

  private result(): SimResult {
    const failure = this.failure;
    return {
      seed: this.options.seed,
      ok: failure === null,
      failure,
      reproduce: reproduceCommand(this.options),
      events: this.events,
      virtualMs: this.now,
      traceHash: (this.traceHash >>> 0).toString(16).padStart(8, '0'),
      trace: this.trace,
      readMode: this.readMode,
      ops: { ok: this.workload.opsOk, unknown: this.workload.opsUnknown, failed: this.workload.opsFailed },
      faults: { crashes: this.crashes, partitions: this.partitions, pauses: this.pauses, snapshotResets: this.snapshotResets },
      leaders: this.monitor.leaderElections,
      snapshots: { taken: this.snapshotsTaken, installed: this.snapshotsInstalled, refusedAsHeld: this.snapshotsRefusedAsHeld },
      membership: { removals: this.churn.removals, transfers: this.churn.transfers },
      scriptEntries: this.scriptEntryCounts(),
    };
  }

  private scriptEntryCounts(): ScriptEntryCounts {
    const counts = { ...this.endedScriptEntries };
    for (const slot of this.slots) if (slot.inc !== null) addScriptEntryCounts(counts, slot.inc.runtime);
    return counts;
  }

  private slot(index: number): NodeSlot {
    const slot = this.slots[index];
    if (slot === undefined) throw new Error(`node index ${index} out of range [0, ${this.slots.length})`);
    return slot;
  }

  note(line: string): void {
    if (this.options.trace) this.trace.push(`${this.now.toFixed(3)} ${line}`);
  }

  // ---------------------------------------------------------------------------------
  // Nodes: start (fresh or from the disk after a crash), crash.
  // ---------------------------------------------------------------------------------

  /** Starts a process on the node's disk: recovery (RaftStorage.open) takes virtual time, then the runtime starts. */
  private startNode(slot: NodeSlot): void {
    const io = new IncarnationDisk(slot.disk, {
      scheduleSync: (done) => this.schedule(this.random.between(SYNC_MS_MIN, SYNC_MS_MAX), slot.index, EventKind.SyncDone, done),
    });
    slot.io = io;
    this.recover(slot, io).catch((error: unknown) => {
      if (io.alive) this.failure ??= `recovery: ${slot.id}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    });
  }

  private async recover(slot: NodeSlot, io: IncarnationDisk): Promise<void> {
    const { storage, recovered } = await RaftStorage.open({
      dir: SIM_DATA_DIR, clusterId: SIM_CLUSTER_ID, nodeId: slot.id, segmentBytes: SIM_SEGMENT_BYTES, disk: io, log: this.storageLogger(slot),
    });
    if (!io.alive) return;
    const kv = new KvStateMachine({ scriptEffects: this.options.scriptEffects === true });
    const snapshot = recovered.snapshot === null ? null : snapshotMetaFromStored(recovered.snapshot);
    if (snapshot !== null) {
      const reader = storage.openSnapshot();
      if (reader === null) throw new SimViolation('recovery', `${slot.id}: snapshot ${snapshot.index} vanished during start-up`);
      const error = restoreKvSync(kv, await readAll({ read: async (n) => reader.readChunk(n), close: () => reader.close() }), snapshot.index);
      if (error !== null) throw new SimViolation('recovery', `${slot.id}: snapshot ${snapshot.index} does not restore: ${error}`);
    }
    const entries = recovered.entries as unknown as Entry[];
    const log = new MonitoredLogStore(new StorageLogStore(storage, () => NO_MEMBERS), {
      onDurable: (entry, previousTerm) => this.monitor.noteDurable(slot.id, entry, previousTerm),
    }, this.options.bugs, { snapshot, entries });
    // Every node, one added back with an empty disk too, starts from the founding
    // configuration: the log replays membership changes on top of it (as the server's --join).
    const voters = this.slots.map((s) => s.id);
    // The core is built here rather than by the runtime's factory so that a broken variant's
    // test-only hooks can reach it.
    const raft = new Raft(
      {
        ...defaultRaftConfig(slot.id, seededPrng(this.random.seed())),
        electionTicks: SIM_ELECTION_TICKS,
        heartbeatTicks: SIM_HEARTBEAT_TICKS,
        leaseDriftTicks: SIM_LEASE_DRIFT_TICKS,
        maxInflightMessages: 64,
        maxBytesPerMessage: 64 * 1024,
        ...(this.options.appendEntriesMax === undefined ? {} : { maxEntriesPerMessage: this.options.appendEntriesMax }),
        maxUncommittedBytes: 1024 * 1024,
        ...(this.coreBugs === null ? {} : { testBugs: this.coreBugs }),
      },
      {
        hardState: { term: term(recovered.hardState.term), vote: nodeId(recovered.hardState.vote), commit: logIndex(recovered.hardState.commit) },
        snapshot,
        entries,
        confState: { voters, learners: [] },
        applied: logIndex(kv.appliedIndex),
      },
    );
    this.startRuntime(slot, raft, log, kv, recovered.snapshot?.term ?? 0);
  }

  private storageLogger(slot: NodeSlot): StorageLogger {
    return (level, msg, fields) => this.note(`${slot.id} storage ${level} ${msg}${fields === undefined ? '' : ` ${JSON.stringify(fields)}`}`);
  }

  private startRuntime(slot: NodeSlot, raft: Raft, log: LogStore, kv: KvStateMachine, initialAppliedTerm: number): void {
    // The incarnation object exists before the runtime so that clock and network can check it.
    const holder: { inc: Incarnation | null } = { inc: null };
    const alive = (): boolean => holder.inc !== null && holder.inc.alive;
    const clock: Clock = {
      now: () => Math.floor(slot.offsetMs + this.now * slot.rate),
      setTimer: (ms, fn) => {
        let live = true;
        this.schedule(ms / slot.rate, slot.index, EventKind.Timer, () => {
          if (live && alive()) fn();
        });
        return { cancel: () => (live = false) };
      },
      defer: (fn) => this.schedule(0, slot.index, EventKind.Defer, () => {
        if (alive()) fn();
      }),
    };
    const network: Network = {
      send: (message) => {
        if (alive()) this.send(message);
      },
      sendSnapshot: (to, header, source) => this.sendSnapshot(slot.index, to, header, source),
    };
    const logger = this.nodeLogger(slot, alive);
    const origin = `${slot.id}#${++this.incarnations}`;
    const runtime = new RaftNode<Reply>({
      id: slot.id,
      raft,
      log,
      network,
      clock,
      stateMachine: this.stateMachine(slot, kv, this.options.scriptSlices === true ? this.pauseDraws() : null),
      tickMs: SIM_TICK_MS,
      requestTimeoutMs: SIM_REQUEST_TIMEOUT_MS,
      snapshotEntries: this.options.snapshotEntries,
      logRetainEntries: SIM_LOG_RETAIN_ENTRIES,
      snapshotChunkBytes: SNAPSHOT_CHUNK_BYTES,
      pendingRequestsMax: PENDING_REQUESTS_MAX,
      noLeaderWaitMs: SIM_NO_LEADER_WAIT_MS,
      // As a server does by default: one election timeout.
      readIndexRetryMs: SIM_ELECTION_TICKS * SIM_TICK_MS,
      scriptEffects: SIM_SCRIPT_EFFECTS_LIMITS,
      initialAppliedTerm,
      logger,
      onSoftState: (state) => {
        holder.inc?.writes.leaderChanged();
        if (state.role === StateRole.Leader && holder.inc !== null && holder.inc.alive) {
          this.monitor.noteLeader(holder.inc.runtime.status().term, slot.id);
          this.note(`${slot.id} became leader of term ${holder.inc.runtime.status().term}`);
          this.maybeCutLeader(slot, 'became leader');
        }
      },
    });
    const writes = createSimWritePath(this, { index: slot.index, origin, runtime, clock, alive });
    holder.inc = { runtime, kv, writes, alive: true };
    slot.inc = holder.inc;
    runtime.start();
  }

  /** A node's own draws of where its script runs pause (SimOptions.scriptSlices), seeded from the run's stream. */
  private pauseDraws(): () => boolean {
    const draws = new SimRandom(this.random.int(0x7fff_ffff));
    return () => draws.chance(SCRIPT_PAUSE_CHANCE);
  }

  /** `pauseWhen`: script runs pause when it says so (the node's slices), with kill decisions; null: runs go to their end. */
  private stateMachine(slot: NodeSlot, kv: KvStateMachine, pauseWhen: (() => boolean) | null): StateMachine<Reply> {
    const afterApply = (entry: Entry): void => {
      if (entry.index % DIGEST_EVERY_INDEXES === 0) this.monitor.noteDigest(slot.id, entry.index, kv.digest().hash);
      // A leader applies what it just committed: the moment its commit index advanced.
      if (slot.inc?.runtime.isLeader === true) this.maybeCutLeader(slot, `committed ${entry.index}`);
    };
    const noted = (entry: Entry, apply: () => Reply): Reply => {
      this.monitor.noteApplied(slot.id, entry);
      const reply = apply();
      afterApply(entry);
      return reply;
    };
    /** Notes the entry's end once its paused apply is over (afterApply, as `noted` does for an apply in one go). */
    const slices = (entry: Entry, outcome: Reply | PausedEntry<Reply>): Reply | PausedEntry<Reply> => {
      if (!isPausedEntry(outcome)) {
        afterApply(entry);
        return outcome;
      }
      return { run: outcome.run, resume: () => slices(entry, outcome.resume()) };
    };
    const sliced = pauseWhen === null ? {} : {
      // The runtime's own predicate (its clock's slice) never fires in virtual time, which does not pass while a script runs.
      applyPausable: (entry: Entry): Reply | PausedEntry<Reply> => {
        this.monitor.noteApplied(slot.id, entry);
        return slices(entry, kv.applyPausable(entry.index, entry.data, pauseWhen));
      },
      killDecisions: {
        encode: (target: number, decision: KillDecision, time: number) => encodeCommand({ origin: '', client: 0, seq: 0, firstUnanswered: 0, time, argv: scriptDecisionArgv({ target, decision }) }),
        file: (entry: Entry) => kv.fileDecision(entry.index, entry.data),
      },
    };
    return {
      ...sliced,
      apply: (entry) => noted(entry, () => kv.apply(entry.index, entry.data)),
      applyNoop: (entry) => {
        this.monitor.noteApplied(slot.id, entry);
        kv.applyNoop(entry.index);
        afterApply(entry);
      },
      get appliedIndex() {
        return kv.appliedIndex;
      },
      beginSnapshot: () => {
        this.snapshotsTaken++;
        return kv.beginSnapshot();
      },
      restore: async (source, index) => {
        const bytes = await readAll(source);
        this.snapshotsInstalled++;
        const error = restoreKvSync(kv, bytes, index);
        if (error === null) this.monitor.noteDigest(slot.id, index, kv.digest().hash);
        return error;
      },
      effects: kvDeferredEffects(kv, noted),
    };
  }

  private nodeLogger(slot: NodeSlot, alive: () => boolean): NodeLogger {
    return {
      info: (_fields, msg) => this.note(`${slot.id} ${msg}`),
      warn: (fields, msg) => this.note(`${slot.id} warn ${msg} ${JSON.stringify(fields)}`),
      error: (fields, msg) => {
        // The runtime logs here before it stops on a broken promise (a failed sync or apply);
        // a crashed process's last words (its disk went away under it) are no finding.
        if (alive()) this.failure ??= `node error: ${slot.id}: ${msg} ${JSON.stringify(fields)}`;
      },
    };
  }

  /** The process dies (a running one, or one still recovering): the disk keeps what it synced, and maybe part of the rest. */
  private crash(slot: NodeSlot): void {
    const io = slot.io;
    if (io === null) return;
    io.alive = false;
    slot.io = null;
    slot.disk.crash();
    for (const closed of [...slot.inbound]) closed();
    const inc = slot.inc;
    slot.inc = null;
    this.crashes++;
    this.note(`${slot.id} crashed${inc === null ? ' while recovering' : ''}`);
    if (inc === null) return;
    inc.alive = false;
    addScriptEntryCounts(this.endedScriptEntries, inc.runtime);
    this.workload.nodeCrashed(slot.index);
  }

  private restart(slot: NodeSlot): void {
    if (slot.io !== null || this.churn.isOut(slot.index)) return;
    this.note(`${slot.id} restarts`);
    this.startNode(slot);
  }

  private stopAll(): void {
    for (const slot of this.slots) {
      const inc = slot.inc;
      if (inc === null) continue;
      inc.alive = false;
      inc.runtime.stop();
    }
  }

  // ---------------------------------------------------------------------------------
  // Network.
  // ---------------------------------------------------------------------------------

  private networkDelay(): number {
    let delay = this.random.between(NETWORK_DELAY_MS_MIN, NETWORK_DELAY_MS_MAX) + this.random.fraction();
    if (this.networkFaultsOn && this.random.chance(this.spikeProbability)) delay += this.random.between(0, NETWORK_SPIKE_MS_MAX);
    return delay;
  }

  private send(message: Message): void {
    const from = this.indexOf(message.from);
    const to = this.indexOf(message.to);
    if (message.type === MessageType.AppendResponse) this.heldSnapshotAnswersDue.delete(from * 8 + to);
    if (message.type === MessageType.VoteResponse && !message.reject) this.maybeCrashAfterVote(from);
    if (this.networkFaultsOn && this.random.chance(this.lossProbability)) return;
    const copies = this.networkFaultsOn && this.random.chance(this.duplicateProbability) ? 2 : 1;
    // A wiped node's connections die with it: nothing it sent, and nothing sent to it, crosses over to its next incarnation.
    const generation = this.slot(to).generation;
    const senderGeneration = this.slot(from).generation;
    const held = message.type === MessageType.Vote && this.electionFaultsOn() && this.random.chance(STALE_VOTE_PROBABILITY);
    const extraMs = held ? this.random.between(...STALE_VOTE_MS) : 0;
    const sentAt = this.now;
    for (let copy = 0; copy < copies; copy++) {
      this.schedule(this.networkDelay() + extraMs, to, EventKind.Deliver, () => {
        // A partition, and a connection reset, also cut messages already on the wire.
        if (this.blocked.has(from * 8 + to) || this.lostToReset(from, to, sentAt)) return;
        const target = this.slot(to);
        if (target.generation !== generation || this.slot(from).generation !== senderGeneration) return;
        target.inc?.runtime.receive(message);
      });
    }
  }

  /**
   * A snapshot travels as one delayed message. As the server's transport does, the receiver
   * holds back its "complete" until the snapshot is durable and stepped into its core, and
   * answers a refusal by cancelling the stream: the sender's transfer succeeds only when the
   * receiver took the snapshot and its answer came back, and fails when the receiver refused
   * it, crashed meanwhile, or the connection broke (a partition, a reset).
   */
  private async sendSnapshot(fromIndex: number, to: NodeId, header: Uint8Array, source: SnapshotByteSource): Promise<void> {
    const bytes = await readAll(source);
    const toIndex = this.indexOf(to);
    const delay = this.networkDelay() + bytes.length / 10_000;
    const sentAt = this.now;
    return new Promise((resolve, reject) => {
      this.schedule(delay, toIndex, EventKind.Snapshot, () => {
        const targetSlot = this.slot(toIndex);
        const target = targetSlot.inc;
        if (this.blocked.has(fromIndex * 8 + toIndex) || this.lostToReset(fromIndex, toIndex, sentAt) || target === null) {
          reject(new Error(`snapshot to ${to} lost`));
          return;
        }
        let settled = false;
        const settle = (error: Error | null): void => {
          if (settled) return;
          settled = true;
          targetSlot.inbound.delete(closed);
          if (error === null) resolve();
          else reject(error);
        };
        const closed = (): void => settle(new Error(`connection to ${to} closed`));
        targetSlot.inbound.add(closed);
        // The receiver has read the whole stream; the connection may reset while it stores
        // it, before its "complete" reaches the sender.
        if (this.snapshotResetNow()) {
          this.resetConnection(fromIndex, toIndex);
          settle(new Error(`connection to ${to} reset after the snapshot was delivered`));
        }
        const message = decodeSnapshotHeader(header);
        target.runtime.receiveSnapshot(message, bytesSource(bytes)).then((refusal) => {
          if (refusal !== null) this.note(`${to} ${refusal}`);
          const status = target.runtime.status();
          if (refusal !== null && status.commit >= message.snapshot.index && status.term === message.term) {
            this.expectHeldSnapshotAnswer(fromIndex, toIndex, message.snapshot.index);
          }
          this.answerSnapshot(toIndex, fromIndex, refusal, settle);
        }, (error: unknown) => {
          this.failure ??= `node error: ${to}: receiving a snapshot failed: ${String(error)}`;
        });
      });
    });
  }

  /**
   * A snapshot of the current term refused by a receiver that holds it: its core must answer
   * the sender (an AppendResponse with the index it holds) within HELD_SNAPSHOT_ANSWER_MS.
   * The check is an event of the receiver's process, so a pause of it delays the check too.
   */
  private expectHeldSnapshotAnswer(from: number, to: number, index: number): void {
    this.snapshotsRefusedAsHeld++;
    const key = to * 8 + from;
    const since = this.now;
    const incarnation = this.slot(to).inc;
    this.heldSnapshotAnswersDue.set(key, since);
    this.schedule(HELD_SNAPSHOT_ANSWER_MS, to, EventKind.Fault, () => {
      if (this.heldSnapshotAnswersDue.get(key) !== since || this.slot(to).inc !== incarnation) return;
      this.heldSnapshotAnswersDue.delete(key);
      this.failure ??= `replication progress: ${this.slot(to).id} refused snapshot ${index} from ${this.slot(from).id}, which it holds, and sent no answer within ${HELD_SNAPSHOT_ANSWER_MS} ms: the leader learns nothing of it`;
    });
  }

  /** The receiver's "complete", or its cancel with the refusal, travels back to the sender on the stream's connection. */
  private answerSnapshot(from: number, to: number, refusal: string | null, settle: (error: Error | null) => void): void {
    const sentAt = this.now;
    this.schedule(this.networkDelay(), to, EventKind.Snapshot, () => {
      if (this.blocked.has(from * 8 + to) || this.lostToReset(from, to, sentAt)) settle(new Error(`snapshot answer from ${this.slot(from).id} lost`));
      else settle(refusal === null ? null : new Error(refusal));
    });
  }

  /** A message sent at `sentAt` from `from` to `to` is lost if a reset of that link, or its redial, falls between its sending and now. */
  private lostToReset(from: number, to: number, sentAt: number): boolean {
    const reset = this.resets.get(from * 8 + to);
    return reset !== undefined && sentAt < reset.until && this.now >= reset.at;
  }

  private snapshotResetNow(): boolean {
    return this.options.faults.has('snapshot-reset') && this.now < this.faultEnd && this.random.chance(SNAPSHOT_RESET_PROBABILITY);
  }

  /**
   * Fault kind snapshot-reset: the connection that carried a snapshot resets. The sender's
   * link redials; half of the times the receiver's link to the sender resets with it, so its
   * answer to the install, sent once the snapshot is durable, is lost.
   */
  private resetConnection(from: number, to: number): void {
    const at = this.now;
    this.resets.set(from * 8 + to, { at, until: at + this.random.between(...RESET_REDIAL_MS) });
    const bothWays = this.random.chance(0.5);
    if (bothWays) this.resets.set(to * 8 + from, { at, until: at + this.random.between(...RESET_REDIAL_MS) });
    this.snapshotResets++;
    this.note(`connection ${this.slot(from).id} -> ${this.slot(to).id} reset after a snapshot was delivered${bothWays ? ', both ways' : ''}`);
  }

  // ---------------------------------------------------------------------------------
  // Faults: one every FAULT_GAP_MS until faultEnd, then everything heals.
  // ---------------------------------------------------------------------------------

  private nextFault(): void {
    if (this.now >= this.faultEnd) return;
    const faults = this.options.faults;
    const actions: (() => void)[] = [];
    if (faults.has('crash')) actions.push(() => this.crashSome());
    if (faults.has('election') || faults.has('crash')) actions.push(() => this.crashLeader());
    if (faults.has('partition')) actions.push(() => this.partitionSome());
    if (faults.has('pause')) actions.push(() => this.pauseSome());
    if (faults.has('membership')) actions.push(() => this.churn.act());
    if (actions.length > 0) this.random.pick(actions)();
    this.schedule(this.random.between(...FAULT_GAP_MS), -1, EventKind.Fault, () => this.nextFault());
  }

  private crashSome(): void {
    const down = this.slots.filter((slot) => slot.inc === null).length;
    // At most a minority down at once, so that most of a run can make progress.
    if (down >= Math.floor(this.slots.length / 2)) return;
    const slot = this.random.pick(this.slots.filter((s) => s.inc !== null));
    this.crash(slot);
    this.schedule(this.random.between(...CRASH_DOWN_MS), -1, EventKind.Fault, () => this.restart(slot));
  }

  private electionFaultsOn(): boolean {
    return this.options.faults.has('election') && this.now < this.faultEnd;
  }

  /** Crashing the leader forces an election: where vote persistence matters. */
  private crashLeader(): void {
    const down = this.slots.filter((slot) => slot.inc === null).length;
    if (down >= Math.floor(this.slots.length / 2)) return;
    const leader = this.slots.find((slot) => slot.inc?.runtime.isLeader === true);
    if (leader === undefined) return;
    this.crash(leader);
    this.schedule(this.random.between(...CRASH_DOWN_MS), -1, EventKind.Fault, () => this.restart(leader));
  }

  /** A targeted crash: the voter dies just after its vote left, and comes back at once. */
  private maybeCrashAfterVote(voter: number): void {
    if (!this.electionFaultsOn()) return;
    const down = this.slots.filter((slot) => slot.inc === null).length;
    if (down >= Math.floor(this.slots.length / 2)) return;
    const slot = this.slot(voter);
    this.schedule(0, -1, EventKind.Fault, () => {
      if (slot.inc === null) return;
      this.crash(slot);
      this.schedule(this.random.between(...QUICK_RESTART_MS), -1, EventKind.Fault, () => this.restart(slot));
    });
  }

  private pauseSome(): void {
    const slot = this.random.pick(this.slots);
    if (slot.pausedUntil > this.now) return;
    const until = this.now + this.random.between(...PAUSE_MS);
    slot.pausedUntil = until;
    this.pauses++;
    this.note(`${slot.id} paused until ${until}`);
    this.schedule(until - this.now, -1, EventKind.Fault, () => {
      if (slot.pausedUntil === until) this.resume(slot);
    });
  }

  /** The paused process runs again (SIGCONT): what came due meanwhile runs now, in order. */
  private resume(slot: NodeSlot): void {
    slot.pausedUntil = this.now;
    for (const event of slot.held.splice(0)) this.queue.push(this.now, event.node, event.kind, event.run);
  }

  private partitionSome(): void {
    if (this.blocked.size > 0) return;
    const n = this.slots.length;
    const order = this.shuffled();
    const kind = this.random.int(4);
    const cut = (a: readonly number[], b: readonly number[], bothWays: boolean): void => {
      for (const x of a) {
        for (const y of b) {
          this.blocked.add(x * 8 + y);
          if (bothWays) this.blocked.add(y * 8 + x);
        }
      }
    };
    let what: string;
    if (kind === 0) {
      const minority = this.random.between(1, Math.floor(n / 2));
      cut(order.slice(0, minority), order.slice(minority), true);
      what = `split ${this.names(order.slice(0, minority))} | ${this.names(order.slice(minority))}`;
    } else if (kind === 1) {
      const [a = 0, b = 1] = order;
      cut([a], [b], false);
      what = `one-way ${this.slot(a).id} -> ${this.slot(b).id} cut`;
    } else if (kind === 2) {
      const leader = this.slots.findIndex((slot) => slot.inc?.runtime.isLeader === true);
      const isolated = leader >= 0 ? leader : (order[0] ?? 0);
      cut([isolated], order.filter((i) => i !== isolated), true);
      what = `isolate ${this.slot(isolated).id}${leader >= 0 ? ' (leader)' : ''}`;
    } else {
      // Bridge: two sides that cannot talk, and one node that talks to both.
      const [bridge = 0, ...rest] = order;
      const half = Math.ceil(rest.length / 2);
      cut(rest.slice(0, half), rest.slice(half), true);
      what = `bridge ${this.slot(bridge).id} between ${this.names(rest.slice(0, half))} and ${this.names(rest.slice(half))}`;
    }
    this.partitions++;
    this.note(`partition: ${what}`);
    const epoch = ++this.partitionEpoch;
    this.schedule(this.random.between(...PARTITION_MS), -1, EventKind.Fault, () => {
      if (epoch !== this.partitionEpoch) return;
      this.blocked.clear();
      this.note('partition healed');
    });
  }

  /**
   * Fault kind cut-leader: a leader is cut off from every other node at the moment it was
   * elected or applied what it committed, half of the times. The cut is an event at the same
   * virtual time, so the messages of that Ready are on the wire and die with the cut; it
   * replaces any partition (the previous cut node comes back) and heals after CUT_LEADER_MS.
   * One roll per node and virtual instant: a Ready that commits many entries is one moment.
   */
  private maybeCutLeader(slot: NodeSlot, why: string): void {
    if (!this.options.faults.has('cut-leader') || this.now >= this.faultEnd) return;
    if (this.cutRolledAt[slot.index] === this.now) return;
    this.cutRolledAt[slot.index] = this.now;
    this.schedule(0, -1, EventKind.Fault, () => {
      if (slot.inc === null || !this.random.chance(CUT_LEADER_PROBABILITY)) return;
      this.blocked.clear();
      const others = this.slots.filter((other) => other !== slot).map((other) => other.index);
      for (const other of others) {
        this.blocked.add(slot.index * 8 + other);
        this.blocked.add(other * 8 + slot.index);
      }
      this.partitions++;
      this.note(`partition: cut ${slot.id} (${why})`);
      const epoch = ++this.partitionEpoch;
      this.schedule(this.random.between(...CUT_LEADER_MS), -1, EventKind.Fault, () => {
        if (epoch !== this.partitionEpoch) return;
        this.blocked.clear();
        this.note('partition healed');
      });
    });
  }

  /** Faults stop: the network heals and is clean, crashed nodes come back. Drift stays. */
  private healAll(): void {
    this.partitionEpoch++;
    this.blocked.clear();
    this.resets.clear();
    this.networkFaultsOn = false;
    for (const slot of this.slots) {
      // A pause begun just before faults stop would otherwise outlast them, into the time
      // the cluster is given to settle: paused processes resume, as the chaos suite's heal does.
      if (slot.pausedUntil > this.now) {
        this.note(`${slot.id} resumed (paused until ${slot.pausedUntil})`);
        this.resume(slot);
      }
      this.restart(slot);
    }
    this.note('faults stop: all healed');
  }

  private shuffled(): number[] {
    const order = this.slots.map((slot) => slot.index);
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.random.int(i + 1);
      const t = order[i] as number;
      order[i] = order[j] as number;
      order[j] = t;
    }
    return order;
  }

  private names(indexes: readonly number[]): string {
    return indexes.map((i) => this.slot(i).id).join(',');
  }
}

/** Runs one simulation to the end. */
export function runSimulation(options: SimOptions): Promise<SimResult> {
  return new Simulation(options).run();
}

/**
 * Lets every pending microtask run, chains of any length included: a macrotask runs only
 * once the microtask queue is empty, and nothing else in a run is a macrotask.
 */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function mixHash(hash: number, value: number): number {
  let h = hash;
  h = Math.imul(h ^ (value & 0xffff), 0x01000193);
  h = Math.imul(h ^ (value >>> 16), 0x01000193);
  return h >>> 0;
}

function bytesSource(bytes: Uint8Array): SnapshotByteSource {
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

async function readAll(source: SnapshotByteSource): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const chunk = await source.read(SNAPSHOT_CHUNK_BYTES * 16);
    if (chunk === null) break;
    chunks.push(chunk);
    length += chunk.length;
  }
  source.close();
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function restoreKvSync(kv: KvStateMachine, bytes: Uint8Array, index: number): string | null {
  const sink = kv.beginRestore();
  const writeError = sink.write(bytes);
  if (writeError !== null) return writeError.message;
  const error = sink.finish();
  if (error !== null) return error.message;
  if (kv.appliedIndex !== index) return `snapshot says index ${index} but the restored state is at ${kv.appliedIndex}`;
  return null;
}

export interface ScriptEntryCounts {
  recorded: number;
  replayed: number;
  runUnrecorded: number;
  /** With scriptSlices: entries whose apply paused, the slices they resumed in, and "continue" decisions leaders proposed. */
  paused: number;
  slices: number;
  decisions: number;
}

function addScriptEntryCounts(counts: ScriptEntryCounts, runtime: RaftNode<Reply>): void {
  const stats = runtime.stats();
  counts.recorded += stats.scriptEntriesRecorded;
  counts.replayed += stats.scriptEntriesReplayed;
  counts.runUnrecorded += stats.scriptEntriesRunUnrecorded;
  counts.paused += stats.entriesApplyPaused;
  counts.slices += stats.applySlices;
  counts.decisions += stats.scriptDecisionsProposed;
}
