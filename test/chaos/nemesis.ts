// Nemeses: the faults a chaos run injects, each as inject/heal steps on a live cluster, and
// the scheduler that alternates healthy and faulty periods and records every step.

import type { ChaosCluster } from './chaos-cluster.js';
import { sleep } from './workload.js';

export const NEMESIS_NAMES = ['kill', 'pause', 'partition', 'clock', 'snapshot', 'transfer', 'membership', 'disk', 'all'] as const;
export type NemesisName = (typeof NEMESIS_NAMES)[number];

/** One step of the schedule, in ms since the cluster started. */
export interface NemesisEvent {
  readonly atMs: number;
  readonly nemesis: string;
  /** 'problem': a heal that could not bring the cluster where it should be; it fails the run. */
  readonly step: 'inject' | 'heal' | 'note' | 'problem';
  readonly detail: string;
}

export interface NemesisContext {
  readonly cluster: ChaosCluster;
  /** Steer around bugs 5 and 6 (see WORKAROUND_FOUNDERS_KEPT); see also clusterArgs. */
  readonly memberAddressWorkaround: boolean;
  note(detail: string): void;
  problem(detail: string): void;
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
    if (cluster.members().length >= 5 && Math.random() < 0.5) victims.add(pick(cluster.running().map((n) => n.id).filter((id) => !victims.has(id))));
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

/** Exit status of a node whose WAL write or sync failed (EX_IOERR, src/server/node-server.ts). */
export const EXIT_STORAGE_FAILED = 74;
/** A node told to fail its syncs must have exited this long after the fault's end (it syncs with every write it takes). */
const DISK_EIO_EXIT_MS = 15_000;
/** How long each sync of a slow disk takes: past --leader-sync-stall-ms (2 s by default), so a slow leader hands over. */
const DISK_SLOW_MS = [2500, 6000] as const;

/** RAFT.DEBUG DISK calls wait this long for an answer (a loaded machine, a node busy catching up). */
const DISK_CALL_TIMEOUT_MS = 10_000;
/** A node restarted after its EIO exit must answer clients within this long. */
const DISK_RESTART_LISTEN_MS = 30_000;

/** RAFT.DEBUG DISK on a node (started with --debug-disk-faults): its reply, 'OK' when it took. */
async function diskCommand({ cluster }: NemesisContext, id: string, words: readonly string[]): Promise<string> {
  return describeReply(await cluster.call(id, ['RAFT.DEBUG', 'DISK', ...words], DISK_CALL_TIMEOUT_MS));
}

/**
 * Injects a disk fault. A node that did not take it (no answer on a loaded machine) only
 * makes the fault a quiet period: a note, not a problem.
 */
async function injectDisk(context: NemesisContext, id: string, words: readonly string[]): Promise<string> {
  const reply = await diskCommand(context, id, words);
  if (reply !== 'OK') context.note(`RAFT.DEBUG DISK ${words.join(' ')} on ${id} not taken: ${reply}`);
  return reply;
}

/** Heals a node's disk: it must take the HEAL (asked again while it does not answer), or the run fails. */
async function healDisk(context: NemesisContext, id: string): Promise<string> {
  let reply = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    reply = await diskCommand(context, id, ['HEAL']);
    if (reply === 'OK' || context.cluster.node(id).process === null) break;
  }
  if (reply !== 'OK') context.problem(`RAFT.DEBUG DISK HEAL on ${id}: ${reply}`);
  return `RAFT.DEBUG DISK HEAL on ${id}: ${reply}`;
}

/**
 * Failing syncs: the node must exit with status 74 by itself, never acknowledging what it
 * could not make durable; the heal restarts it on what reached its disk and waits until it
 * answers clients again.
 */
async function injectSyncFailure(context: NemesisContext, victim: string, role: string): Promise<{ detail: string; heal: () => Promise<string> }> {
  const { cluster, problem } = context;
  cluster.expectExit(victim);
  const reply = await injectDisk(context, victim, ['FAIL-SYNC', 'EIO']);
  return {
    detail: `every sync of ${victim}${role} fails with EIO: ${reply}`,
    heal: async () => {
      const exit = await cluster.awaitExit(victim, reply === 'OK' ? DISK_EIO_EXIT_MS : 0);
      let what: string;
      if (exit === null) {
        // Killed and restarted all the same: its disk may have taken the fault after all.
        if (reply === 'OK') problem(`${victim} still runs ${DISK_EIO_EXIT_MS} ms after its syncs began to fail with EIO`);
        what = 'still running, killed';
      } else {
        if (exit.code !== EXIT_STORAGE_FAILED) problem(`${victim} exited with ${exit.signal ?? `code ${exit.code}`} after EIO, not with ${EXIT_STORAGE_FAILED}`);
        what = `exited with ${exit.signal ?? `code ${exit.code}`}`;
      }
      await cluster.restart(victim);
      await cluster.waitForListening(victim, DISK_RESTART_LISTEN_MS).catch((error: unknown) => problem(`${victim} restarted after EIO: ${(error as Error).message}`));
      return `${victim} ${what}; restarted`;
    },
  };
}

const diskFault: Fault = {
  name: 'disk',
  async inject(context) {
    // The leader half of the time: its sync gates the commit of every write.
    const leader = await currentLeader(context.cluster);
    const victim = leader !== null && Math.random() < 0.5 ? leader : pick(context.cluster.running().map((n) => n.id));
    const role = victim === leader ? ' (leader)' : '';
    const kind = pick(['eio', 'full', 'slow'] as const);
    if (kind === 'eio') return injectSyncFailure(context, victim, role);
    const words = kind === 'full' ? ['FULL'] : ['SLOW', String(Math.round(between(DISK_SLOW_MS)))];
    const reply = await injectDisk(context, victim, words);
    return {
      detail: `${kind === 'full' ? 'disk full (ENOSPC)' : `every sync takes ${words[1]} ms`} on ${victim}${role}: ${reply}`,
      heal: () => healDisk(context, victim),
    };
  },
};

/** The membership nemesis keeps the number of members within these bounds. */
export const MEMBERS_MIN = 3;
export const MEMBERS_MAX = 5;
/** Spare slots a cluster needs for the membership nemesis: one per member it may replace. */
export const MEMBERSHIP_SPARE_NODES = MEMBERS_MAX;
/** After its fault is healed, a membership change must be complete within this long. */
const MEMBERSHIP_SETTLE_MS = 30_000;
/** A joining node still a learner this long after the heal is promoted by the harness. */
const MEMBERSHIP_PROMOTE_AFTER_MS = 5000;
/**
 * A joining node still not a member this long after the heal is added by the harness (its
 * own join requests go to its sponsor only, and give up after 12 request timeouts).
 */
const MEMBERSHIP_ADD_AFTER_MS = 10_000;
const MEMBERSHIP_CALL_TIMEOUT_MS = 5000;
const MEMBERSHIP_POLL_MS = 200;
/** Share of removals that remove the leader, and of membership changes made under a kill or a partition each. */
const REMOVE_LEADER_SHARE = 0.4;
const UNDER_KILL_SHARE = 0.35;
const UNDER_PARTITION_SHARE = 0.35;

function describeReply(reply: unknown): string {
  return reply instanceof Error ? reply.message : String(reply);
}

/** A running, unpaused member, preferring ones not in `avoid`; null when none runs. */
function liveMember(cluster: ChaosCluster, avoid: readonly string[] = []): string | null {
  const live = cluster.members().filter((n) => n.process !== null && !n.paused);
  const preferred = live.filter((n) => !avoid.includes(n.id));
  const from = preferred.length > 0 ? preferred : live;
  return from.length === 0 ? null : pick(from.map((n) => n.id));
}

/** True once every running member other than `except` holds a configuration `accept` likes. */
async function everyMemberSees(cluster: ChaosCluster, accept: (conf: { voters: string[]; learners: string[] }) => boolean, except: string | null): Promise<boolean> {
  const live = cluster.members().filter((n) => n.process !== null && !n.paused && n.id !== except);
  if (live.length === 0) return false;
  const views = await Promise.all(live.map((n) => cluster.configurationSeenBy(n.id)));
  return views.every((conf) => conf !== null && accept(conf));
}

/**
 * A kill (of the leader or a random member) or a partition for the membership change to
 * happen under, or none. A killed member is restarted by the heal if it is still a member.
 */
async function companionFault(context: NemesisContext): Promise<{ detail: string; heal: () => Promise<string> } | null> {
  const { cluster } = context;
  const roll = Math.random();
  if (roll < UNDER_KILL_SHARE) {
    const victim = await leaderOrRandom(cluster);
    await cluster.kill(victim, 'SIGKILL');
    return {
      detail: `kill -9 ${victim}`,
      heal: async () => {
        if (!cluster.node(victim).member || cluster.node(victim).process !== null) return `${victim} stays down (no longer a member)`;
        await cluster.restart(victim);
        return `restart ${victim}`;
      },
    };
  }
  if (roll < UNDER_KILL_SHARE + UNDER_PARTITION_SHARE && cluster.network !== null) return partitionFault.inject(context);
  return null;
}

/** Removes a member (the leader sometimes); the heal makes sure the removal took, then stops the node. */
async function removeMember(context: NemesisContext): Promise<{ detail: string; settle: () => Promise<string> }> {
  const { cluster, note, problem } = context;
  const leader = await currentLeader(cluster);
  const removeLeader = leader !== null && Math.random() < REMOVE_LEADER_SHARE;
  let candidates = cluster.members().map((n) => n.id);
  if (context.memberAddressWorkaround && cluster.members().filter((n) => n.founder).length <= WORKAROUND_FOUNDERS_KEPT) {
    candidates = cluster.members().filter((n) => !n.founder).map((n) => n.id);
  }
  const victim = removeLeader && leader !== null && candidates.includes(leader) ? leader : pick(candidates);
  const via = liveMember(cluster) ?? victim;
  const reply = await cluster.call(via, ['RAFT.NODE', 'REMOVE', victim], MEMBERSHIP_CALL_TIMEOUT_MS);
  let detail = `RAFT.NODE REMOVE ${victim}${victim === leader ? ' (the leader)' : ''} via ${via}: ${describeReply(reply)}`;
  if (context.memberAddressWorkaround && reply === 'OK') {
    // Bug 6: a removed node that connects to a peer after its removal is recorded again there.
    await cluster.retire(victim, 'SIGKILL');
    detail += ` (workaround, bug 6: ${victim} stopped at once)`;
  }
  return {
    detail,
    settle: async () => {
      const started = cluster.nowMs();
      let confirmed = false;
      while (!confirmed && cluster.nowMs() - started < MEMBERSHIP_SETTLE_MS) {
        // An unknown outcome is resolved by asking again; "not a member" means it took.
        const member = liveMember(cluster, [victim]);
        if (member !== null) {
          const again = await cluster.call(member, ['RAFT.NODE', 'REMOVE', victim], MEMBERSHIP_CALL_TIMEOUT_MS);
          if (again === 'OK') note(`RAFT.NODE REMOVE ${victim} again via ${member}: OK`);
          if (again === 'OK' || (again instanceof Error && /not a member/.test(again.message))) {
            confirmed = await everyMemberSees(cluster, (conf) => !conf.voters.includes(victim) && !conf.learners.includes(victim), victim);
          }
        }
        if (!confirmed) await sleep(MEMBERSHIP_POLL_MS);
      }
      if (!confirmed) problem(`removal of ${victim} not seen by every member within ${MEMBERSHIP_SETTLE_MS} ms of the heal`);
      // Removed nodes are stopped, the way an operator would; sometimes without a clean shutdown.
      const signal = Math.random() < 0.5 ? 'SIGTERM' : 'SIGKILL';
      await cluster.retire(victim, signal);
      return `${victim} removed${confirmed ? '' : ' (NOT confirmed)'}, stopped with ${signal}; members ${cluster.ids.join(' ')}`;
    },
  };
}

/**
 * Starts a new member in a free slot: empty data directory, --join through a live member;
 * under a partition it shares its sponsor's side. The heal waits until every member sees it
 * as a voter, promoting or adding it by hand when its own requests did not get through.
 */
async function addMember(context: NemesisContext, underPartition: boolean): Promise<{ detail: string; settle: () => Promise<string> }> {
  const { cluster, note, problem } = context;
  const free = cluster.nodes.filter((n) => !n.founder && !n.member && n.process === null);
  if (free.length === 0) throw new Error(`membership nemesis: no free slot for a new member (${cluster.nodes.length} slots, members ${cluster.ids.join(' ')})`);
  // Half the time a slot used before: the same id comes back with a new incarnation (with
  // the workaround, only when no fresh slot is left: bug 6).
  const reused = free.filter((n) => n.incarnations > 0);
  const fresh = free.filter((n) => n.incarnations === 0);
  const reuse = reused.length > 0 && (fresh.length === 0 || (!context.memberAddressWorkaround && Math.random() < 0.5));
  const slot = pick(reuse ? reused : fresh);
  const sponsor = liveMember(cluster);
  if (sponsor === null) throw new Error('membership nemesis: no running member to join through');
  if (underPartition) cluster.network?.sameSideAs(slot.id, sponsor);
  await cluster.join(slot.id, sponsor);
  const detail = `${slot.id} joins via ${sponsor} (incarnation ${slot.incarnations}, empty data directory)${underPartition ? `, on ${sponsor}'s side` : ''}`;
  const id = slot.id;
  return {
    detail,
    settle: async () => {
      if (context.memberAddressWorkaround) await founderLeads(context);
      const started = cluster.nowMs();
      let promoted = false;
      let added = false;
      let voter = false;
      while (!voter && cluster.nowMs() - started < MEMBERSHIP_SETTLE_MS) {
        voter = await everyMemberSees(cluster, (conf) => conf.voters.includes(id), null);
        if (voter) break;
        const elapsed = cluster.nowMs() - started;
        const member = liveMember(cluster, [id]);
        const leader = member === null ? null : await cluster.leaderSeenBy(member);
        const conf = leader === null ? null : await cluster.configurationSeenBy(leader);
        if (member !== null && conf !== null) {
          if (!promoted && elapsed > MEMBERSHIP_PROMOTE_AFTER_MS && conf.learners.includes(id)) {
            promoted = true;
            note(`RAFT.NODE PROMOTE ${id} via ${member}: ${describeReply(await cluster.call(member, ['RAFT.NODE', 'PROMOTE', id], MEMBERSHIP_CALL_TIMEOUT_MS))}`);
          } else if (!added && elapsed > MEMBERSHIP_ADD_AFTER_MS && !conf.voters.includes(id) && !conf.learners.includes(id)) {
            added = true;
            const address = `${slot.host}:${slot.peerPort}`;
            note(`RAFT.NODE ADD ${id} via ${member}: ${describeReply(await cluster.call(member, ['RAFT.NODE', 'ADD', id, address, `${slot.host}:${slot.port}`], MEMBERSHIP_CALL_TIMEOUT_MS))}`);
          }
        }
        await sleep(MEMBERSHIP_POLL_MS);
      }
      if (!voter) problem(`${id} not a voter in every member's configuration within ${MEMBERSHIP_SETTLE_MS} ms of the heal`);
      return `${id} ${voter ? 'is a voter' : 'is NOT a voter'} after ${((cluster.nowMs() - started) / 1000).toFixed(1)} s${promoted ? ' (promoted by hand)' : ''}${added ? ' (added by hand)' : ''}; members ${cluster.ids.join(' ')}`;
    },
  };
}

/**
 * The member-address workaround (bugs 5 and 6 of docs/testing.md). A joining node knows
 * the addresses of the founders only (RAFT.CLUSTERINFO), and of other members once it
 * applies their conf-change entries, never from a snapshot: so the log is never compacted
 * (clusterArgs), at least two founders stay members, and a founder leads while a new
 * member catches up. And a removed node is stopped at once, and ids are used again only
 * when no fresh slot is left (bug 6).
 */
const WORKAROUND_FOUNDERS_KEPT = 2;
const WORKAROUND_TRANSFER_MS = 10_000;
const WORKAROUND_TRANSFER_RETRY_MS = 1000;

async function founderLeads({ cluster, note, problem }: NemesisContext): Promise<void> {
  const started = cluster.nowMs();
  while (cluster.nowMs() - started < WORKAROUND_TRANSFER_MS) {
    const leader = await currentLeader(cluster);
    if (leader !== null && cluster.node(leader).founder) return;
    const founder = cluster.members().find((n) => n.founder && n.process !== null && !n.paused);
    if (founder === undefined) break;
    if (leader !== null) note(`workaround: RAFT.TRANSFER-LEADER ${leader} -> ${founder.id}: ${describeReply(await cluster.call(leader, ['RAFT.TRANSFER-LEADER', founder.id]))}`);
    await sleep(WORKAROUND_TRANSFER_RETRY_MS);
  }
  problem('workaround: no founder leads for the new member to catch up from');
}

const membershipFault: Fault = {
  name: 'membership',
  async inject(context) {
    // Between MEMBERS_MIN and MEMBERS_MAX members: grow at the bottom, shrink at the top.
    const count = context.cluster.members().length;
    const grow = count <= MEMBERS_MIN ? true : count >= MEMBERS_MAX ? false : Math.random() < 0.5;
    const companion = await companionFault(context);
    const network = context.cluster.network;
    const underPartition = network !== null && network.describeBlocked() !== '';
    const change = grow ? await addMember(context, underPartition) : await removeMember(context);
    return {
      detail: `${change.detail}${companion === null ? '' : `; under ${companion.detail}`}`,
      heal: async () => {
        const healed = companion === null ? '' : `${await companion.heal()}; `;
        return `${healed}${await change.settle()}`;
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
  membership: membershipFault,
  disk: diskFault,
};

export interface ScheduleOptions {
  readonly nemesis: NemesisName;
  readonly durationMs: number;
  /** Steer around bug 6 in runs that change membership (see removeMember and addMember). */
  readonly memberAddressWorkaround?: boolean;
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
  const spareSlots = cluster.nodes.some((n) => !n.founder);
  const choices = options.nemesis === 'all'
    ? Object.values(FAULTS).filter((f) => (f.name !== 'partition' || cluster.network !== null) && (f.name !== 'membership' || spareSlots))
    : [FAULTS[options.nemesis]];
  if (options.nemesis === 'membership' && !spareSlots) throw new Error('the membership nemesis needs a cluster with spare slots (spareNodes)');
  const workaround = (options.memberAddressWorkaround ?? false) && spareSlots;
  const end = cluster.nowMs() + options.durationMs;
  let pending: { fault: Fault; heal: () => Promise<string> } | null = null;
  try {
    while (cluster.nowMs() < end) {
      await sleep(Math.min(between(options.quietMs), Math.max(0, end - cluster.nowMs())));
      if (cluster.nowMs() >= end) break;
      const fault = pick(choices);
      const context: NemesisContext = { cluster, memberAddressWorkaround: workaround, note: (detail) => record(fault.name, 'note', detail), problem: (detail) => record(fault.name, 'problem', detail) };
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

/** Undoes every fault: network healed, paused nodes resumed, stopped members started, nodes no longer members stopped. */
export async function healAll(cluster: ChaosCluster): Promise<void> {
  cluster.network?.heal();
  for (const node of cluster.nodes) {
    if (node.paused) cluster.resume(node.id);
    if (node.member && node.process === null) await cluster.restart(node.id);
    if (!node.member && node.process !== null) await cluster.retire(node.id, 'SIGTERM');
  }
}
