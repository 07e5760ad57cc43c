// What the dashboard charts and lists for one node: a sample of the node every
// admin-sample-ms (rates over the interval, latency percentiles of the commands answered in
// it, gauges at its end), and the events it saw (leader changes, membership changes,
// snapshots, slow commands, peers coming and going). Both live in bounded rings
// (admin-samples-max, admin-events-max), so the history covers the last minutes and its
// memory is fixed. Every node keeps its own, whether or not it serves admin HTTP: a node
// that does shows the others' through the peer channel (dashboard-view.ts).

import type { RaftNodeStats, SnapshotEvent } from '../node/raft-node.js';
import { ConfChangeType, type ConfChange, type RaftStatus, type SoftState } from '../node/consensus.js';
import { commandCategories, type AclCategory } from '../kv/acl/command-categories.js';
import { BoundedRing } from './bounded-ring.js';
import { CommandCounters } from './command-stats.js';
import type { RegisteredCommand } from './command-registry.js';
import { roleName } from './info.js';

/** The command families charted, by their ACL category; a command in none of them counts as `server`. */
export const COMMAND_FAMILIES = [
  'string', 'keyspace', 'hash', 'list', 'set', 'sortedset', 'stream', 'bitmap', 'hyperloglog', 'geo',
  'scripting', 'pubsub', 'transaction', 'connection', 'raft', 'server',
] as const;
export type CommandFamily = (typeof COMMAND_FAMILIES)[number];

/** One point of the node's time series. Rates are per second over the interval that ends at `t`. */
export interface DashboardSample {
  /** Milliseconds since the epoch (this node's clock). */
  readonly t: number;
  readonly term: number;
  readonly leader: string;
  readonly role: string;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** Commands answered per second, by family; families with none are left out. */
  readonly ops: Readonly<Partial<Record<CommandFamily, number>>>;
  /** Latency percentiles of the commands answered in the interval (dispatch to reply), null with none. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly commitPerSec: number;
  readonly applyPerSec: number;
  /** Mean WAL sync (fdatasync) time in the interval, null with no sync. */
  readonly walSyncMs: number | null;
  readonly walSyncsPerSec: number;
  readonly keys: number;
  /** The keyspace's estimate (what maxmemory limits), then the process's V8 heap and resident set. */
  readonly memoryBytes: number;
  readonly heapBytes: number;
  readonly rssBytes: number;
  readonly clients: number;
}

export type DashboardEventKind = 'leader' | 'membership' | 'snapshot' | 'slow' | 'peer';

export interface DashboardEvent {
  /** Increasing per node: a poller asks for the events after the last id it has. */
  readonly id: number;
  readonly t: number;
  readonly kind: DashboardEventKind;
  readonly text: string;
}

/** What a sample reads from the node. */
export interface HistorySource {
  readonly nodeId: string;
  readonly now: () => number;
  readonly status: () => RaftStatus;
  readonly stats: () => RaftNodeStats;
  readonly appliedIndex: () => number;
  readonly keys: () => number;
  readonly memoryBytes: () => number;
  readonly clients: () => number;
  /** Each peer's connection state. */
  readonly peers: () => ReadonlyMap<string, boolean>;
}

export interface HistoryLimits {
  readonly sampleMs: number;
  readonly samplesMax: number;
  readonly eventsMax: number;
}

/** The counters a sample turns into rates: their values at the previous sample. */
interface Baseline {
  readonly t: number;
  readonly commit: number;
  readonly applied: number;
  readonly syncs: number;
  readonly syncMsTotal: number;
}

/**
 * Slow commands make at most one event per this many ms (with the count since the last one):
 * under a write load every interval can hold some, and they must not crowd elections out of
 * the events kept.
 */
export const SLOW_EVENT_EVERY_MS = 10_000;

const familyByRow = new WeakMap<RegisteredCommand['row'], number>();

function familyIndex(command: RegisteredCommand): number {
  let index = familyByRow.get(command.row);
  if (index === undefined) {
    const categories = new Set<AclCategory | 'server'>(commandCategories(command.row));
    index = COMMAND_FAMILIES.findIndex((family) => categories.has(family));
    if (index < 0) index = COMMAND_FAMILIES.length - 1;
    familyByRow.set(command.row, index);
  }
  return index;
}

const CONF_CHANGE_WORDS: Record<ConfChangeType, string> = {
  [ConfChangeType.AddVoter]: 'added as a voter',
  [ConfChangeType.AddLearner]: 'added as a learner',
  [ConfChangeType.RemoveNode]: 'removed',
  [ConfChangeType.PromoteLearner]: 'promoted to voter',
  [ConfChangeType.UpdateNode]: 'changed its addresses',
};

export class DashboardHistory {
  readonly limits: HistoryLimits;
  readonly samples: BoundedRing<DashboardSample>;
  readonly events: BoundedRing<DashboardEvent>;
  private readonly source: HistorySource;
  private nextEventId = 1;
  private timer: NodeJS.Timeout | null = null;
  private baseline: Baseline;
  /** What the commands answered since the last sample add up to. */
  private readonly opsByFamily = new Float64Array(COMMAND_FAMILIES.length);
  private readonly latency = new CommandCounters();
  private slow = { count: 0, slowestUsec: 0, slowestName: '' };
  private slowNotedAt = Number.NEGATIVE_INFINITY;
  private leader: string | null = null;
  private peersConnected: ReadonlyMap<string, boolean> | null = null;
  /** Highest conf-change entry index recorded: the runtime reports each change when appended and again when applied. */
  private membershipIndex = 0;

  constructor(source: HistorySource, limits: HistoryLimits) {
    this.source = source;
    this.limits = limits;
    this.samples = new BoundedRing(limits.samplesMax);
    this.events = new BoundedRing(limits.eventsMax);
    this.baseline = this.readBaseline(source.now());
  }

  start(): void {
    this.timer = setInterval(() => this.sample(), this.limits.sampleMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * A command answered on this node `usec` µs after it arrived; `slowUsec` is its execution
   * time when the slow log took it (SLOWLOG judges execution, not the wait for the log), else null.
   */
  commandAnswered(command: RegisteredCommand, usec: number, slowUsec: number | null): void {
    this.opsByFamily[familyIndex(command)]! += 1;
    this.latency.record(usec, false);
    if (slowUsec === null) return;
    this.slow.count++;
    if (slowUsec > this.slow.slowestUsec) this.slow = { count: this.slow.count, slowestUsec: slowUsec, slowestName: command.row.name };
  }

  leaderChanged(state: SoftState, term: number): void {
    if (state.leader === this.leader) return;
    this.leader = state.leader;
    const self = this.source.nodeId;
    if (state.leader === '') this.note('leader', `no leader in term ${term}: ${self} is ${roleName(state.role)}`);
    else this.note('leader', `${state.leader === self ? `${self} (this node)` : state.leader} is leader in term ${term}`);
  }

  /** A membership change at entry `index`, reported once whether seen appended or applied. */
  membershipChanged(change: ConfChange, index: number): void {
    if (index <= this.membershipIndex) return;
    this.membershipIndex = index;
    this.note('membership', `${change.nodeId} ${CONF_CHANGE_WORDS[change.type]} (entry ${index})`);
  }

  snapshot(event: SnapshotEvent): void {
    const text = event.kind === 'taken' ? `snapshot taken at index ${event.index}`
      : event.kind === 'received' ? `snapshot at index ${event.index} installed from ${event.peer ?? '?'}`
        : `snapshot at index ${event.index} sent to ${event.peer ?? '?'}`;
    this.note('snapshot', text);
  }

  /** Takes the sample for the interval ending now (the timer's job; tests call it directly). */
  sample(): DashboardSample {
    const now = this.source.now();
    const next = this.readBaseline(now);
    const previous = this.baseline;
    this.baseline = next;
    const seconds = Math.max(now - previous.t, 1) / 1000;
    const rate = (later: number, earlier: number): number => Math.max(later - earlier, 0) / seconds;
    const syncs = next.syncs - previous.syncs;
    const status = this.source.status();
    const memory = process.memoryUsage();
    const sample: DashboardSample = {
      t: now,
      term: status.term,
      leader: status.leader,
      role: roleName(status.role),
      commitIndex: next.commit,
      appliedIndex: next.applied,
      ops: this.takeOps(seconds),
      p50Ms: this.latency.calls === 0 ? null : this.latency.percentile(50) / 1000,
      p99Ms: this.latency.calls === 0 ? null : this.latency.percentile(99) / 1000,
      commitPerSec: rate(next.commit, previous.commit),
      applyPerSec: rate(next.applied, previous.applied),
      walSyncMs: syncs > 0 ? (next.syncMsTotal - previous.syncMsTotal) / syncs : null,
      walSyncsPerSec: rate(next.syncs, previous.syncs),
      keys: this.source.keys(),
      memoryBytes: this.source.memoryBytes(),
      heapBytes: memory.heapUsed,
      rssBytes: memory.rss,
      clients: this.source.clients(),
    };
    this.latency.reset();
    this.noteSlowCommands(now);
    this.notePeers();
    this.samples.push(sample);
    return sample;
  }

  private readBaseline(t: number): Baseline {
    const stats = this.source.stats();
    return { t, commit: this.source.status().commit, applied: this.source.appliedIndex(), syncs: stats.syncs, syncMsTotal: stats.syncMsTotal };
  }

  private takeOps(seconds: number): DashboardSample['ops'] {
    const ops: Partial<Record<CommandFamily, number>> = {};
    COMMAND_FAMILIES.forEach((family, index) => {
      const count = this.opsByFamily[index] ?? 0;
      if (count > 0) ops[family] = count / seconds;
    });
    this.opsByFamily.fill(0);
    return ops;
  }

  private noteSlowCommands(now: number): void {
    const { count, slowestUsec, slowestName } = this.slow;
    if (count === 0 || now - this.slowNotedAt < SLOW_EVENT_EVERY_MS) return;
    this.slowNotedAt = now;
    this.slow = { count: 0, slowestUsec: 0, slowestName: '' };
    const plural = count === 1 ? 'slow command' : 'slow commands';
    this.note('slow', `${count} ${plural}, slowest ${slowestName.toUpperCase()} ${(slowestUsec / 1000).toFixed(1)} ms (SLOWLOG GET)`);
  }

  private notePeers(): void {
    const current = this.source.peers();
    const previous = this.peersConnected;
    this.peersConnected = new Map(current);
    if (previous === null) return;
    for (const [peer, connected] of current) {
      if (previous.get(peer) !== connected) this.note('peer', `peer ${peer} ${connected ? 'connected' : 'disconnected'}`);
    }
  }

  private note(kind: DashboardEventKind, text: string): void {
    this.events.push({ id: this.nextEventId++, t: this.source.now(), kind, text });
  }
}
