// Nemeses: the faults a chaos run injects, each as inject/heal steps on a live cluster, and
// the scheduler that alternates healthy and faulty periods and records every step.
// Membership changes are not implemented in raftis yet, so there is no membership nemesis.

import type { ChaosCluster } from './chaos-cluster.js';
import { sleep } from './workload.js';

export const NEMESIS_NAMES = ['kill', 'pause', 'partition', 'clock', 'snapshot', 'transfer', 'all'] as const;
export type NemesisName = (typeof NEMESIS_NAMES)[number];

/** One step of the schedule, in ms since the cluster started. */
export interface NemesisEvent {
  readonly atMs: number;
  readonly nemesis: string;
  readonly step: 'inject' | 'heal' | 'note';
  readonly detail: string;
}

export interface NemesisContext {
  readonly cluster: ChaosCluster;
  note(detail: string): void;
}

interface Fault {
  readonly name: string;
  /** Injects the fault and returns what it did; the returned heal undoes it. */
  inject(context: NemesisContext): Promise<{ detail: string; heal: () => Promise<string> }>;
}

/** Tick period of the chaos clusters, and how far a node's tick period may differ (see clock). */
export const CHAOS_TICK_MS = 25;
export const CHAOS_ELECTION_TICKS = 10;
export const CHAOS_LEASE_DRIFT_TICKS = 2;

/**
 * Tick periods within the lease's documented drift bound (docs/internals/raft.md):
 * T_leader / T_follower <= (electionTicks - 1) / (electionTicks - leaseDriftTicks) = 9/8.
 * 24 ms against 26 ms is at most 26/24 = 1.083.
 */
export const CLOCK_TICK_MS_CHOICES = [24, 25, 26] as const;
/** Wall-clock offsets: they only move cluster time (TTLs), never tick rates. */
export const CLOCK_OFFSET_MS_MAX = 30_000;

export function skewArgs(): string[] {
  const tick = CLOCK_TICK_MS_CHOICES[Math.floor(Math.random() * CLOCK_TICK_MS_CHOICES.length)] ?? CHAOS_TICK_MS;
  const offset = Math.round((Math.random() * 2 - 1) * CLOCK_OFFSET_MS_MAX);
  return ['--tick-ms', String(tick), '--debug-clock-offset-ms', String(offset)];
}

function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(Math.random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** The leader as some running node sees it, or a random running node when none knows. */
async function currentLeader(cluster: ChaosCluster): Promise<string | null> {
  for (const node of cluster.running().filter((n) => !n.paused)) {
    const leader = await cluster.leaderSeenBy(node.id);
    if (leader !== null && cluster.node(leader).process !== null) return leader;
  }
  return null;
}

async function leaderOrRandom(cluster: ChaosCluster, leaderShare = 0.5): Promise<string> {
  const leader = Math.random() < leaderShare ? await currentLeader(cluster) : null;
  return leader ?? pick(cluster.running().map((n) => n.id));
}

const killFault: Fault = {
  name: 'kill',
  async inject({ cluster }) {
    // A minority at most, so the cluster keeps a quorum: the leader, or random nodes.
    const victims = new Set<string>([await leaderOrRandom(cluster)]);
    if (cluster.nodes.length >= 5 && Math.random() < 0.5) victims.add(pick(cluster.running().map((n) => n.id).filter((id) => !victims.has(id))));
    for (const id of victims) await cluster.kill(id, 'SIGKILL');
    return {
      detail: `kill -9 ${[...victims].join(' ')}`,
      heal: async () => {
        for (const id of victims) await cluster.restart(id);
        return `restart ${[...victims].join(' ')}`;
      },
    };
  },
};

const pauseFault: Fault = {
  name: 'pause',
  async inject({ cluster }) {
    const victim = await leaderOrRandom(cluster, 0.7);
    cluster.pause(victim);
    return { detail: `SIGSTOP ${victim}`, heal: async () => { cluster.resume(victim); return `SIGCONT ${victim}`; } };
  },
};

const partitionFault: Fault = {
  name: 'partition',
  async inject({ cluster }) {
    const network = cluster.network;
    if (network === null) throw new Error('partition nemesis without a chaos network');
    const ids = shuffle(cluster.ids);
    const leader = await currentLeader(cluster);
    const kinds = ['majority-minority', 'isolate-leader', 'bridge', ...(ids.length >= 5 ? ['ring'] : [])];
    const kind = pick(kinds);
    const half = Math.floor(ids.length / 2);
    let detail: string;
    if (kind === 'isolate-leader' && leader !== null) {
      network.partition([[leader], ids.filter((id) => id !== leader)]);
      detail = `isolate leader ${leader} | ${ids.filter((id) => id !== leader).join(' ')}`;
    } else if (kind === 'bridge') {
      // One node sees both sides; the sides do not see each other.
      const [bridge, ...rest] = ids;
      const left = rest.slice(0, half);
      const right = rest.slice(half);
      network.cutLinks(left.flatMap((a) => right.map((b) => [a, b] as const)));
      detail = `bridge ${left.join(' ')} <-> ${String(bridge)} <-> ${right.join(' ')}`;
    } else if (kind === 'ring') {
      // Each node sees only its two ring neighbours: every node has a majority view, none a shared one.
      const neighbours = (i: number, j: number): boolean => Math.abs(i - j) === 1 || Math.abs(i - j) === ids.length - 1;
      const cuts: (readonly [string, string])[] = [];
      ids.forEach((a, i) => ids.forEach((b, j) => { if (i < j && !neighbours(i, j)) cuts.push([a, b]); }));
      network.cutLinks(cuts);
      detail = `ring ${ids.join(' - ')} - ${String(ids[0])}`;
    } else {
      const minority = ids.slice(0, half);
      const majority = ids.slice(half);
      network.partition([minority, majority]);
      detail = `partition ${minority.join(' ')} | ${majority.join(' ')}${leader !== null && minority.includes(leader) ? ' (leader in minority)' : ''}`;
    }
    return { detail, heal: async () => { network.heal(); return 'heal network'; } };
  },
};

const clockFault: Fault = {
  name: 'clock',
  async inject({ cluster, note }) {
    // A node restarts with a new tick rate and wall-clock offset (within the bound), then the
    // leader stops long enough for others to elect: its lease must have ended by then.
    const skewed = pick(cluster.running().map((n) => n.id));
    const args = skewArgs();
    await cluster.restart(skewed, args);
    note(`restart ${skewed} with ${args.join(' ')}`);
    const victim = await leaderOrRandom(cluster, 0.9);
    cluster.pause(victim);
    return { detail: `SIGSTOP ${victim} (skewed clocks)`, heal: async () => { cluster.resume(victim); return `SIGCONT ${victim}`; } };
  },
};

const snapshotFault: Fault = {
  name: 'snapshot',
  async inject({ cluster, note }) {
    // A follower misses enough entries that the leader compacts them away and must send a
    // snapshot; meanwhile other nodes snapshot on demand, and one restarts right after.
    const leader = await currentLeader(cluster);
    const victim = pick(cluster.running().map((n) => n.id).filter((id) => id !== leader));
    await cluster.kill(victim, 'SIGKILL');
    return {
      detail: `kill -9 ${victim}, snapshots meanwhile`,
      heal: async () => {
        for (const node of cluster.running().filter((n) => !n.paused)) {
          const reply = await cluster.call(node.id, ['RAFT.SNAPSHOT'], 5000);
          note(`RAFT.SNAPSHOT on ${node.id}: ${reply instanceof Error ? reply.message : String(reply)}`);
        }
        const bounce = pick(cluster.running().map((n) => n.id));
        await cluster.restart(bounce);
        note(`restart ${bounce} right after its snapshot`);
        await cluster.restart(victim);
        return `restart ${victim} (needs a snapshot)`;
      },
    };
  },
};

const transferFault: Fault = {
  name: 'transfer',
  async inject({ cluster }) {
    const leader = await currentLeader(cluster);
    if (leader === null) return { detail: 'transfer skipped: no leader', heal: async () => 'nothing to heal' };
    const target = pick(cluster.running().map((n) => n.id).filter((id) => id !== leader));
    const reply = await cluster.call(leader, ['RAFT.TRANSFER-LEADER', target]);
    // Half the time the fault lands mid-transfer: the target or the old leader stops.
    const paused = Math.random() < 0.5 ? pick([target, leader]) : null;
    if (paused !== null) cluster.pause(paused);
    return {
      detail: `RAFT.TRANSFER-LEADER ${leader} -> ${target}: ${reply instanceof Error ? reply.message : String(reply)}${paused === null ? '' : `; SIGSTOP ${paused}`}`,
      heal: async () => {
        if (paused !== null) cluster.resume(paused);
        return paused === null ? 'nothing to heal' : `SIGCONT ${paused}`;
      },
    };
  },
};

const FAULTS: Readonly<Record<Exclude<NemesisName, 'all'>, Fault>> = {
  kill: killFault,
  pause: pauseFault,
  partition: partitionFault,
  clock: clockFault,
  snapshot: snapshotFault,
  transfer: transferFault,
};

export interface ScheduleOptions {
  readonly nemesis: NemesisName;
  readonly durationMs: number;
  /** Healthy time between faults, and how long each fault lasts (uniform in [min, max]). */
  readonly quietMs: readonly [number, number];
  readonly faultMs: readonly [number, number];
}

function between([min, max]: readonly [number, number]): number {
  return min + Math.random() * (max - min);
}

/** Runs faults until the duration is over, then heals everything; returns the schedule. */
export async function runNemesis(cluster: ChaosCluster, options: ScheduleOptions): Promise<NemesisEvent[]> {
  const events: NemesisEvent[] = [];
  const record = (nemesis: string, step: NemesisEvent['step'], detail: string): void => {
    events.push({ atMs: cluster.nowMs(), nemesis, step, detail });
  };
  const choices = options.nemesis === 'all'
    ? Object.values(FAULTS).filter((f) => f.name !== 'partition' || cluster.network !== null)
    : [FAULTS[options.nemesis]];
  const end = cluster.nowMs() + options.durationMs;
  let pending: { fault: Fault; heal: () => Promise<string> } | null = null;
  try {
    while (cluster.nowMs() < end) {
      await sleep(Math.min(between(options.quietMs), Math.max(0, end - cluster.nowMs())));
      if (cluster.nowMs() >= end) break;
      const fault = pick(choices);
      const context: NemesisContext = { cluster, note: (detail) => record(fault.name, 'note', detail) };
      const injected = await fault.inject(context);
      record(fault.name, 'inject', injected.detail);
      pending = { fault, heal: injected.heal };
      await sleep(between(options.faultMs));
      record(fault.name, 'heal', await injected.heal());
      pending = null;
    }
  } finally {
    if (pending !== null) record(pending.fault.name, 'heal', await pending.heal());
    await healAll(cluster);
    record('all', 'heal', 'heal network, resume and start every node');
  }
  return events;
}

/** Undoes every fault: network healed, paused nodes resumed, stopped nodes started. */
export async function healAll(cluster: ChaosCluster): Promise<void> {
  cluster.network?.heal();
  for (const node of cluster.nodes) {
    if (node.paused) cluster.resume(node.id);
    if (node.process === null) await cluster.restart(node.id);
  }
}
