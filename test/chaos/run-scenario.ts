// One chaos run end to end: start a cluster, run the clients and a nemesis, heal, then
// check everything a run must satisfy (linearizable history, acknowledged writes kept and
// the same final value on every member, convergence, the configuration every member holds
// equal to the members the nemesis left, recovery within a bound, no crash) and write the
// run directory: history, schedule, node logs, summary and timeline.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ChaosCluster, DIST } from './chaos-cluster.js';
import { makeDevCerts } from '../../src/cli/dev-certs.js';
import { CHAOS_ELECTION_TICKS, CHAOS_LEASE_DRIFT_TICKS, CHAOS_TICK_MS, healAll, MEMBERSHIP_SPARE_NODES, runNemesis, skewArgs, type NemesisEvent, type NemesisName } from './nemesis.js';
import { availability, faultWindows, perSecond, timelineSvg } from './report.js';
import { sleep, Workload, WORKLOAD_DEFAULTS, type ChaosWorkload, type WorkloadCheck, type WorkloadOptions } from './workload.js';
import { ListAppendWorkload } from './list-append-workload.js';
import { StreamWorkload } from './stream-workload.js';

/**
 * What the clients run: single-key operations checked for linearizability, list-append
 * transactions checked for strict serializability, sent as MULTI/EXEC or as Lua scripts, or
 * streams with a consumer group (stream-workload.ts, src/check/check-stream.ts).
 */
export type WorkloadKind = 'register' | 'list-append' | 'list-append-lua' | 'stream';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['register', 'list-append', 'list-append-lua', 'stream'];
import { networkUnavailableReason } from './chaos-network.js';

export type ReadMode = 'linearizable' | 'lease' | 'stale';

export interface ScenarioOptions {
  readonly nemesis: NemesisName;
  readonly nodes: number;
  /** How long faults are injected; the run takes a little longer (start, recovery, checks). */
  readonly timeMs: number;
  readonly readMode: ReadMode;
  /** Parent of the run directory; chaos-runs/ by default. */
  readonly runsRoot?: string;
  /** A leader must be back within this long after the last fault is healed. */
  readonly recoveryMs?: number;
  readonly checkTimeoutMs?: number;
  readonly workload?: Partial<WorkloadOptions>;
  /** 'register' by default. */
  readonly workloadKind?: WorkloadKind;
  readonly quietMs?: readonly [number, number];
  readonly faultMs?: readonly [number, number];
  /** Work around the request-id reuse bug (see ChaosClusterOptions); off by default. */
  readonly avoidRequestIdReuse?: boolean;
  /**
   * Nodes run with --requirepass and every client authenticates (AUTH on the nodes, joins
   * included); the peers speak mutual TLS and prove a cluster secret. Off by default. (With
   * --tls-cluster a joiner asks a member over TLS: not for the membership nemeses.)
   */
  readonly auth?: boolean;
  /**
   * Steer membership changes around bugs 5 and 6 (docs/testing.md); off by default. Bug 5:
   * no log compaction, so every node learns every member's address from the log, never
   * from an installed snapshot. Bug 6: see the membership nemesis.
   */
  readonly memberAddressWorkaround?: boolean;
}

export interface ScenarioResult {
  readonly name: string;
  readonly runDir: string;
  /** 'skipped' when the nemesis needs something this machine lacks (reason in problems). */
  readonly verdict: 'pass' | 'fail' | 'skipped';
  /** Everything that makes the run fail, one line each. */
  readonly problems: readonly string[];
  readonly check: WorkloadCheck | null;
  readonly summary: string;
}

export const RECOVERY_MS_DEFAULT = 15_000;
/** raftis's largest --log-retain-entries: with it, the log is never compacted. */
const LOG_RETAIN_ENTRIES_MAX = 1_000_000_000;
const CONVERGENCE_MS = 20_000;
const STARTUP_LEADER_MS = 20_000;
/** After healing, clients keep running this long so the timeline shows the recovery. */
const AFTER_HEAL_MS = 1500;

export function scenarioName(options: Pick<ScenarioOptions, 'nemesis' | 'nodes' | 'readMode' | 'workloadKind' | 'auth'>): string {
  const workload = (options.workloadKind ?? 'register') === 'register' ? '' : `-${options.workloadKind}`;
  return `${options.nemesis}-${options.nodes}n-${options.readMode}${workload}${options.auth === true ? '-auth' : ''}`;
}

/** The default user's password of a scenario run with AUTH. */
const CHAOS_PASSWORD = 'chaos-default-user-password';
/** The cluster secret of a scenario run with AUTH (its peers also speak mutual TLS). */
const CHAOS_CLUSTER_SECRET = 'chaos-cluster-secret-of-32-bytes';

/**
 * A scenario with AUTH secures the peers too: mutual TLS with certificates of a local CA
 * naming each member id and the hosts peers dial (`raftis dev-certs`), and the cluster secret
 * proven in every handshake.
 */
function peerSecurityArgs(runDir: string, ids: readonly string[]): (hosts: readonly string[]) => Promise<(id: string) => string[]> {
  return async (hosts) => {
    const certs = await makeDevCerts({ dir: join(runDir, 'tls'), nodes: ids, hosts: ['localhost', '127.0.0.1', ...new Set(hosts)] });
    return (id) => ['--tls-cluster', '--tls-ca-cert-file', certs.caCert, '--tls-cert-file', certs.node(id).cert, '--tls-key-file', certs.node(id).key, '--cluster-secret', CHAOS_CLUSTER_SECRET];
  };
}

export function clusterArgs(nemesis: NemesisName, readMode: ReadMode, memberAddressWorkaround = false): string[] {
  const args = [
    '--tick-ms', String(CHAOS_TICK_MS),
    '--election-ticks', String(CHAOS_ELECTION_TICKS),
    '--lease-drift-ticks', String(CHAOS_LEASE_DRIFT_TICKS),
    '--request-timeout-ms', '2000',
    '--no-leader-wait-ms', '1000',
    '--read-consistency', readMode,
    // Clients reach the nodes at their namespaces' addresses, beyond loopback, and the
    // cluster has no password: protected mode (on by default, as in Redis) would refuse them.
    '--protected-mode', 'no',
  ];
  // Small snapshots and a short retained tail, so snapshot installs and compaction happen
  // during faults in every scenario that restarts nodes, and new members catch up by snapshot.
  // The bug 5 workaround instead takes snapshots only on demand and never compacts the log.
  if (memberAddressWorkaround) args.push('--snapshot-entries', '0', '--log-retain-entries', String(LOG_RETAIN_ENTRIES_MAX));
  else if (nemesis === 'snapshot' || nemesis === 'all' || nemesis === 'kill' || nemesis === 'membership' || nemesis === 'disk') args.push('--snapshot-entries', '200', '--log-retain-entries', '50');
  // The disk nemesis drives each node's fault-injecting disk through RAFT.DEBUG DISK.
  if (nemesis === 'disk' || nemesis === 'all') args.push('--debug-disk-faults');
  return args;
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const name = scenarioName(options);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = resolve(options.runsRoot ?? 'chaos-runs', `${stamp}-${name}`);
  mkdirSync(runDir, { recursive: true });
  const needsNetwork = options.nemesis === 'partition';
  const unavailable = needsNetwork ? networkUnavailableReason() : null;
  if (unavailable !== null) {
    const summary = `${name}: skipped: packet-level partitions need network namespaces and iptables: ${unavailable}`;
    writeFileSync(join(runDir, 'summary.txt'), `${summary}\n`);
    return { name, runDir, verdict: 'skipped', problems: [unavailable], check: null, summary };
  }
  const skewed = options.nemesis === 'clock' || options.nemesis === 'all';
  const spareNodes = options.nemesis === 'membership' || options.nemesis === 'all' ? MEMBERSHIP_SPARE_NODES : 0;
  const ids = Array.from({ length: options.nodes + spareNodes }, (_, i) => `n${i + 1}`);
  const cluster = await ChaosCluster.start({
    nodes: options.nodes,
    logDir: runDir,
    avoidRequestIdReuse: options.avoidRequestIdReuse ?? false,
    args: [...clusterArgs(options.nemesis, options.readMode, options.memberAddressWorkaround ?? false), ...(options.auth === true ? ['--requirepass', CHAOS_PASSWORD] : [])],
    ...(options.auth === true ? { nodeArgs: peerSecurityArgs(runDir, ids) } : {}),
    spareNodes,
    ...(skewed ? { perNodeArgs: () => skewArgs() } : {}),
  });
  const problems: string[] = [];
  const workloadOptions = { ...WORKLOAD_DEFAULTS, ...options.workload };
  const kind = options.workloadKind ?? 'register';
  const workload: ChaosWorkload = kind === 'register' ? new Workload(cluster, workloadOptions)
    : kind === 'stream' ? new StreamWorkload(cluster, workloadOptions) : new ListAppendWorkload(cluster, workloadOptions, kind === 'list-append-lua');
  let events: NemesisEvent[] = [];
  let recoveryMs: number | null = null;
  let finalValues = new Map<string, Map<string, string>>();
  let digest = '';
  let configuration = '';
  try {
    try {
      await cluster.waitForLeader(STARTUP_LEADER_MS);
    } catch (error) {
      // Reported with the crash list below (a node that cannot start shows up there).
      problems.push(`no leader within ${STARTUP_LEADER_MS} ms of start: ${(error as Error).message}`);
      throw error;
    }
    workload.start();
    events = await runNemesis(cluster, {
      nemesis: options.nemesis,
      durationMs: options.timeMs,
      quietMs: options.quietMs ?? [800, 2000],
      faultMs: options.faultMs ?? [1000, 3000],
      memberAddressWorkaround: options.memberAddressWorkaround ?? false,
    });
    for (const event of events) if (event.step === 'problem') problems.push(`${event.nemesis} at ${(event.atMs / 1000).toFixed(2)} s: ${event.detail}`);
    const healedAt = cluster.nowMs();
    try {
      await cluster.waitForLeader(options.recoveryMs ?? RECOVERY_MS_DEFAULT);
      recoveryMs = cluster.nowMs() - healedAt;
    } catch (error) {
      problems.push(`no leader within ${options.recoveryMs ?? RECOVERY_MS_DEFAULT} ms after healing: ${(error as Error).message}`);
    }
    await sleep(AFTER_HEAL_MS);
    await workload.stop();
    finalValues = await finalReads(cluster, workload, workload.keysUsed(), problems);
    try {
      digest = await cluster.waitForConvergence(CONVERGENCE_MS);
    } catch (error) {
      problems.push(`replicas did not converge: ${(error as Error).message}`);
    }
    configuration = await checkConfiguration(cluster, problems);
  } catch (error) {
    if (problems.length === 0) throw error;
  } finally {
    await workload.stop();
    await healAll(cluster).catch(() => {});
    for (const crash of cluster.crashes()) {
      const id = crash.split(' ')[0] ?? '';
      problems.push(`unexpected exit: ${crash}\n--- last lines of ${id}'s log ---\n${cluster.logTail(id)}`);
    }
    await cluster.stop();
  }

  for (const anomaly of workload.anomalies.slice(0, 10)) problems.push(`transaction anomaly: ${anomaly}`);
  const check = workload.check(options.checkTimeoutMs ?? 30_000, options.readMode !== 'stale');
  if (check.problem !== null) problems.push(check.problem);
  if (check.undecided !== null) problems.push(check.undecided);

  writeFileSync(join(runDir, 'history.jsonl'), check.history);
  writeFileSync(join(runDir, 'nemesis.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  writeFileSync(join(runDir, 'ops.jsonl'), workload.records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const stats = perSecond(workload.records);
  writeFileSync(join(runDir, 'timeline.svg'), timelineSvg(`${name} (${cluster.networkNote})`, stats, events));
  if (check.violation !== null) writeFileSync(join(runDir, 'violation.txt'), check.violation);
  const undecided = check.undecided !== null;
  const failed = problems.some((p) => p !== check.undecided);
  const verdict = failed ? 'fail' : 'pass';
  const summary = summarize({ name, runDir, options, networkNote: cluster.networkNote, workload, events, check, recoveryMs, finalValues, digest, configuration, problems, verdict, undecided });
  writeFileSync(join(runDir, 'summary.txt'), summary);
  return { name, runDir, verdict, problems, check, summary };
}

/**
 * Every member must hold the configuration the nemesis left: its members all voters, no
 * learner, nobody else. Returns the configuration for the summary.
 */
async function checkConfiguration(cluster: ChaosCluster, problems: string[]): Promise<string> {
  const expected = cluster.ids.sort().join(',');
  const views = await Promise.all(cluster.members().map(async (n) => [n.id, await cluster.configurationSeenBy(n.id)] as const));
  const wrong = views.filter(([, conf]) => conf === null || conf.voters.join(',') !== expected || conf.learners.length > 0);
  if (wrong.length > 0) {
    problems.push(`configuration differs from the members ${expected}: ${wrong.map(([id, conf]) => `${id} sees ${conf === null ? '(no answer)' : `voters ${conf.voters.join(',')} learners ${conf.learners.join(',') || 'none'}`}`).join('; ')}`);
  }
  return expected;
}

/** How long a final read keeps retrying a definite refusal (TRYAGAIN: an election right after healing, on a loaded machine). */
const FINAL_READ_RETRY_MS = 15_000;

/** One key's final read on one node, again after a refusal (a read that surely did not happen) until FINAL_READ_RETRY_MS. */
async function finalRead(workload: ChaosWorkload, process: number, client: Parameters<ChaosWorkload['finalRead']>[1], node: string, key: string): ReturnType<ChaosWorkload['finalRead']> {
  const deadline = Date.now() + FINAL_READ_RETRY_MS;
  for (;;) {
    const result = await workload.finalRead(process, client, node, key);
    if (result.outcome !== 'fail' || Date.now() >= deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Reads every key from every member after healing, linearizably; all must agree (they are recorded too). */
async function finalReads(cluster: ChaosCluster, workload: ChaosWorkload, keys: readonly string[], problems: string[]): Promise<Map<string, Map<string, string>>> {
  const values = new Map<string, Map<string, string>>();
  for (const [index, node] of cluster.nodes.entries()) {
    if (!node.member) continue;
    const client = cluster.client(node.id, 5000);
    try {
      await client.connect();
      // The end state is read linearizably whatever the run's read mode: a stale read on a
      // node that was paused until just now may still answer from before it caught up.
      await client.call('RAFT.CONSISTENCY', 'linearizable');
      for (const key of keys) {
        const result = await finalRead(workload, 100_000 + index, client, node.id, key);
        let perKey = values.get(key);
        if (perKey === undefined) values.set(key, (perKey = new Map()));
        perKey.set(node.id, result.value ?? `(${result.outcome})`);
      }
    } catch (error) {
      problems.push(`final reads on ${node.id} failed: ${(error as Error).message}`);
    } finally {
      client.disconnect();
    }
  }
  for (const [key, perNode] of values) {
    const distinct = new Set(perNode.values());
    if (distinct.size !== 1 || [...distinct].some((v) => v.startsWith('('))) {
      problems.push(`final reads of ${key} differ or failed: ${[...perNode].map(([id, v]) => `${id}=${v}`).join(' ')}`);
    }
  }
  return values;
}

interface SummaryInput {
  readonly name: string;
  readonly runDir: string;
  readonly options: ScenarioOptions;
  readonly networkNote: string;
  readonly workload: ChaosWorkload;
  readonly events: readonly NemesisEvent[];
  readonly check: WorkloadCheck;
  readonly recoveryMs: number | null;
  readonly finalValues: Map<string, Map<string, string>>;
  readonly digest: string;
  /** The final members, comma-separated. */
  readonly configuration: string;
  readonly problems: readonly string[];
  readonly verdict: string;
  readonly undecided: boolean;
}

/** How many members the membership nemesis added and removed, for the summary. */
function membershipCounts(events: readonly NemesisEvent[]): string {
  const changes = events.filter((e) => e.nemesis === 'membership' && e.step === 'inject');
  if (changes.length === 0) return '';
  const removals = changes.filter((e) => e.detail.startsWith('RAFT.NODE REMOVE')).length;
  return ` (${changes.length - removals} joined, ${removals} removed)`;
}

/** Characters of a final value shown in the summary (list-append lists grow long; the history has them whole). */
const SUMMARY_VALUE_CHARS_MAX = 40;

function shortValue(value: string): string {
  return value.length <= SUMMARY_VALUE_CHARS_MAX ? value : `${value.slice(0, SUMMARY_VALUE_CHARS_MAX)}…(${value.length} chars)`;
}

function summarize(s: SummaryInput): string {
  const records = s.workload.records;
  const count = (outcome: string): number => records.filter((r) => r.outcome === outcome).length;
  const windows = faultWindows(s.events);
  const all = availability(records);
  const during = availability(records, windows);
  const errors = new Map<string, number>();
  for (const r of records) if (r.error !== undefined) errors.set(r.error.split(' ')[0] ?? r.error, (errors.get(r.error.split(' ')[0] ?? r.error) ?? 0) + 1);
  const lines = [
    `chaos run ${s.name}: ${s.verdict.toUpperCase()}${s.undecided ? ' (inconclusive check)' : ''}`,
    `directory: ${s.runDir}`,
    `nemesis ${s.options.nemesis}, ${s.options.nodes} nodes, reads ${s.options.readMode}, faults for ${(s.options.timeMs / 1000).toFixed(0)} s, network ${s.networkNote}`,
    `request-id reuse workaround: ${s.options.avoidRequestIdReuse ?? false ? 'on (restarted nodes use up old client ids first)' : 'OFF'}`,
    `build: ${DIST}`,
    ...(s.options.memberAddressWorkaround === true ? ['member-address workaround (bugs 5 and 6): on: no log compaction, removed nodes stopped at once, fresh ids first'] : []),
    '',
    `operations: ${records.length} (ok ${count('ok')}, fail ${count('fail')}, info ${count('info')})`,
    `availability: ${all.percent.toFixed(1)}% overall, ${during.percent.toFixed(1)}% of ${during.total} ops called during faults`,
    `errors: ${[...errors].map(([e, n]) => `${e} ${n}`).join(', ') || 'none'}`,
    `recovery: ${s.recoveryMs === null ? 'NO LEADER' : `leader agreed ${s.recoveryMs.toFixed(0)} ms after the last heal`}`,
    `convergence: ${s.digest === '' ? 'NOT converged' : `every node at digest ${s.digest}`}`,
    `members at the end: ${s.configuration === '' ? '(not checked)' : s.configuration}${membershipCounts(s.events)}`,
    `workload: ${s.options.workloadKind ?? 'register'}`,
    `checker: ${s.check.line}`,
    `final values: ${[...s.finalValues].map(([k, v]) => `${k}=${[...new Set(v.values())].map(shortValue).join('|')}`).join(' ')}`,
    '',
    `faults (${windows.length}):`,
    ...s.events.map((e) => `  ${(e.atMs / 1000).toFixed(2).padStart(7)} s  ${e.step.padEnd(6)} ${e.nemesis.padEnd(9)} ${e.detail}`),
    '',
    s.problems.length === 0 ? 'problems: none' : `problems:\n${s.problems.map((p) => `  - ${p}`).join('\n')}`,
    '',
  ];
  return lines.join('\n');
}
