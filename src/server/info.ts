// INFO with Redis 7's sections and field names, so tools that read them as numbers work, plus
// raftis's own Raft section. Sections: no argument or `default` gives the default ones, `all`
// adds commandstats and latencystats, `everything` is all of them; any section may be asked
// for by name (case-insensitive), several at once, each once.

import { cpuUsage, memoryUsage } from 'node:process';
import { arch, release, totalmem, type as osType } from 'node:os';
import type { FailoverState } from './failover.js';
import type { AdminContext } from './admin.js';
import { formatHostPort } from './config.js';
import { StateRole } from '../node/consensus.js';
import type { KvStats, ScriptMemory } from '../kv/state-machine.js';

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace', 'raft'];
const ALL_SECTIONS = [...DEFAULT_SECTIONS.slice(0, -1), 'commandstats', 'latencystats', 'raft'];

/** The sections INFO's arguments ask for, in Redis's order. */
export function infoSections(args: readonly string[]): string[] {
  if (args.length === 0) return DEFAULT_SECTIONS;
  const wanted = new Set<string>();
  for (const arg of args.map((a) => a.toLowerCase())) {
    if (arg === 'all' || arg === 'everything') ALL_SECTIONS.forEach((s) => wanted.add(s));
    else if (arg === 'default') DEFAULT_SECTIONS.forEach((s) => wanted.add(s));
    else wanted.add(arg);
  }
  return ALL_SECTIONS.filter((s) => wanted.has(s));
}

/** Bytes as Redis's `_human` fields write them (bytesToHuman). */
export function bytesToHuman(bytes: number): string {
  const units: [number, string][] = [[1024 ** 5, 'P'], [1024 ** 4, 'T'], [1024 ** 3, 'G'], [1024 ** 2, 'M'], [1024, 'K']];
  for (const [size, unit] of units) if (bytes >= size) return `${(bytes / size).toFixed(2)}${unit}`;
  return `${bytes}B`;
}

/** What INFO shows that the admin commands keep rather than the context. */
export interface InfoExtras {
  /** When the last SAVE or BGSAVE finished (the start time before the first). */
  readonly lastSaveMs: number;
  /** A FAILOVER's progress on this node (failover.ts). */
  readonly failoverState: FailoverState;
}

type Section = (context: AdminContext, extras: InfoExtras) => string[];

const sections: Record<string, Section> = {
  server: (context) => {
    const { config, identity } = context;
    const uptime = Math.floor((context.now() - context.startedAt) / 1000);
    return ['redis_version:7.0.0', 'raftis_version:0.1.0', 'redis_git_sha1:00000000', 'redis_git_dirty:0', 'redis_build_id:0', 'redis_mode:standalone',
      `os:${osType()} ${release()} ${arch()}`, 'arch_bits:64', 'monotonic_clock:POSIX clock_gettime', 'multiplexing_api:epoll',
      `process_id:${process.pid}`, 'process_supervised:no', `run_id:${runId(identity.clusterId, identity.nodeId)}`, `tcp_port:${config.listen.port}`,
      `server_time_usec:${Math.floor(context.now() * 1000)}`, `uptime_in_seconds:${uptime}`, `uptime_in_days:${Math.floor(uptime / 86400)}`,
      'hz:10', 'configured_hz:10', `executable:${process.argv[1] ?? ''}`, 'config_file:', 'io_threads_active:0', `node_version:${process.version}`];
  },
  clients: (context) => {
    const stats = context.resp().stats();
    return [`connected_clients:${stats.connectedClients}`, 'cluster_connections:0', `maxclients:${context.config.maxClients}`,
      `blocked_clients:${context.blockedClients?.() ?? 0}`, `tracking_clients:${context.trackingStats?.().clients ?? 0}`, 'clients_in_timeout_table:0'];
  },
  memory: (context) => {
    const { kv } = context;
    const { maxMemoryBytes, evictionPolicy } = kv.replicatedSettings.values;
    const stats = kv.stats();
    const memory = memoryUsage();
    const used = kv.memoryUsage();
    const total = totalmem();
    return [`used_memory:${used}`, `used_memory_human:${bytesToHuman(used)}`, `used_memory_rss:${memory.rss}`, `used_memory_rss_human:${bytesToHuman(memory.rss)}`,
      `used_memory_heap:${memory.heapUsed}`, `used_memory_heap_committed:${memory.heapTotal}`, `used_memory_external:${memory.external}`,
      `used_memory_array_buffers:${memory.arrayBuffers}`, `used_memory_dataset:${stats.memoryBytes}`, `total_system_memory:${total}`, `total_system_memory_human:${bytesToHuman(total)}`,
      ...scriptMemoryLines(kv.scriptMemory(), stats),
      `maxmemory:${maxMemoryBytes}`, `maxmemory_human:${bytesToHuman(maxMemoryBytes)}`, `maxmemory_policy:${evictionPolicy}`,
      `mem_fragmentation_ratio:${used === 0 ? 0 : (memory.rss / used).toFixed(2)}`, 'mem_allocator:v8', 'lazyfree_pending_objects:0'];
  },
  // raftis's log is its append-only file, synced before a write is acknowledged; its
  // snapshots are the point-in-time saves.
  persistence: (context, extras) => [`loading:${context.loading() ? 1 : 0}`, 'async_loading:0', `rdb_changes_since_last_save:${context.kv.changesSinceSnapshot}`,
    `rdb_last_save_time:${Math.floor(extras.lastSaveMs / 1000)}`, 'rdb_bgsave_in_progress:0', 'rdb_last_bgsave_status:ok', 'aof_enabled:1',
    'aof_rewrite_in_progress:0', 'aof_last_write_status:ok', 'aof_fsync:always'],
  stats: (context) => {
    const stats = context.resp().stats();
    const kvStats = context.kv.stats();
    const registry = context.registry();
    const tracking = context.trackingStats?.() ?? { keys: 0, items: 0, prefixes: 0 };
    return [`total_connections_received:${stats.totalConnections}`, `total_commands_processed:${context.commandsProcessed()}`,
      `rejected_connections:${stats.rejectedConnections}`, `expired_keys:${kvStats.expiredKeys}`, `evicted_keys:${kvStats.evictedKeys}`,
      'pubsub_channels:0', 'pubsub_patterns:0', 'total_forks:0', 'migrate_cached_sockets:0',
      `tracking_total_keys:${tracking.keys}`, `tracking_total_items:${tracking.items}`, `tracking_total_prefixes:${tracking.prefixes}`, `total_error_replies:${registry.errors.total}`,
      `unexpected_error_replies:${kvStats.internalErrors + stats.commandFailures}`, `total_protocol_errors:${stats.protocolErrors}`,
      `exactly_once_clients:${kvStats.dedupEntries}`, `exactly_once_replies:${kvStats.dedupReplies}`,
      `internal_errors:${kvStats.internalErrors + stats.commandFailures}`];
  },
  replication: (context, extras) => replication(context, extras),
  cpu: () => {
    const usage = cpuUsage();
    const seconds = (micros: number): string => (micros / 1e6).toFixed(6);
    return [`used_cpu_sys:${seconds(usage.system)}`, `used_cpu_user:${seconds(usage.user)}`, 'used_cpu_sys_children:0.000000', 'used_cpu_user_children:0.000000',
      `used_cpu_sys_main_thread:${seconds(usage.system)}`, `used_cpu_user_main_thread:${seconds(usage.user)}`];
  },
  modules: () => [],
  errorstats: (context) => [...context.registry().errors.entries()].map(([kind, count]) => `errorstat_${kind}:count=${count}`),
  cluster: () => ['cluster_enabled:0'],
  keyspace: (context) => {
    const stats = context.kv.stats();
    return stats.keys > 0 ? [`db0:keys=${stats.keys},expires=${stats.expires},avg_ttl=0`] : [];
  },
  commandstats: (context) => {
    const lines: string[] = [];
    for (const { name, stats } of context.registry().counters()) {
      if (stats.calls === 0 && stats.rejected === 0) continue;
      const perCall = stats.calls === 0 ? 0 : stats.usec / stats.calls;
      lines.push(`cmdstat_${name}:calls=${stats.calls},usec=${stats.usec},usec_per_call=${perCall.toFixed(2)},rejected_calls=${stats.rejected},failed_calls=${stats.failed}`);
    }
    return lines;
  },
  latencystats: (context) => {
    const lines: string[] = [];
    for (const { name, stats } of context.registry().counters()) {
      if (stats.calls === 0) continue;
      lines.push(`latency_percentiles_usec_${name}:p50=${stats.percentile(50).toFixed(3)},p99=${stats.percentile(99).toFixed(3)},p99.9=${stats.percentile(99.9).toFixed(3)}`);
    }
    return lines;
  },
  raft: (context) => {
    const lines = raftInfoLines(context);
    for (const [id, member] of context.members()) lines.push(`member_${id}:peer=${formatHostPort(member.peer)},client=${formatHostPort(member.client)}`);
    return lines;
  },
};

/** Section titles as Redis writes them. */
const TITLES: Record<string, string> = {
  server: 'Server', clients: 'Clients', memory: 'Memory', persistence: 'Persistence', stats: 'Stats', replication: 'Replication', cpu: 'CPU',
  modules: 'Modules', errorstats: 'Errorstats', cluster: 'Cluster', keyspace: 'Keyspace', commandstats: 'Commandstats', latencystats: 'Latencystats', raft: 'Raft',
};

/** INFO's text for `args` (its arguments). */
export function renderInfo(context: AdminContext, args: readonly string[], extras: InfoExtras): string {
  const out: string[] = [];
  for (const name of infoSections(args)) {
    const section = sections[name];
    if (section === undefined) continue;
    if (out.length > 0) out.push('');
    out.push(`# ${TITLES[name] ?? name}`, ...section(context, extras));
  }
  return out.length === 0 ? '' : out.join('\r\n') + '\r\n';
}

/**
 * Redis 7.0's scripting fields, in its order. Redis has one Lua VM for EVAL and one for
 * functions; raftis has one VM for both, and reports the libraries' part of it as the
 * functions VM (script/lua-memory.ts says how the VM is counted).
 */
function scriptMemoryLines(memory: ScriptMemory, stats: KvStats): string[] {
  const vmTotal = memory.evalBytes + memory.functionsBytes;
  const scripts = memory.cachedScriptBytes + memory.libraryCodeBytes;
  return [`used_memory_lua:${memory.evalBytes}`, `used_memory_vm_eval:${memory.evalBytes}`, `used_memory_lua_human:${bytesToHuman(memory.evalBytes)}`,
    `used_memory_scripts_eval:${memory.cachedScriptBytes}`, `number_of_cached_scripts:${stats.cachedScripts}`, `number_of_functions:${stats.functions}`,
    `number_of_libraries:${stats.functionLibraries}`, `used_memory_vm_functions:${memory.functionsBytes}`, `used_memory_vm_total:${vmTotal}`,
    `used_memory_vm_total_human:${bytesToHuman(vmTotal)}`, `used_memory_functions:${memory.libraryCodeBytes}`, `used_memory_scripts:${scripts}`,
    `used_memory_scripts_human:${bytesToHuman(scripts)}`];
}

/** Redis's run_id is 40 hex characters; raftis's is stable per cluster and node. */
function runId(clusterId: string, nodeId: string): string {
  return Buffer.from(`${clusterId}:${nodeId}`).toString('hex').padEnd(40, '0').slice(0, 40);
}

/**
 * Redis's replication fields mapped onto Raft: the leader is the master and its followers
 * the replicas; the replication offset is the applied log index.
 */
function replication(context: AdminContext, extras: InfoExtras): string[] {
  const { node, members } = context;
  const status = node.status();
  const offset = node.appliedIndex;
  const failover = `master_failover_state:${extras.failoverState}`;
  if (node.isLeader) {
    const followers = status.progress.filter((p) => p.id !== node.id);
    const lines = ['role:master', `connected_slaves:${followers.length}`];
    followers.forEach((p, i) => {
      const member = members().get(p.id);
      lines.push(`slave${i}:ip=${member?.client.host ?? ''},port=${member?.client.port ?? 0},state=online,offset=${p.match},lag=0`);
    });
    return [...lines, failover, `master_repl_offset:${offset}`, 'repl_backlog_active:1'];
  }
  const leader = members().get(status.leader);
  return ['role:slave', `master_host:${leader?.client.host ?? ''}`, `master_port:${leader?.client.port ?? 0}`,
    `master_link_status:${status.leader === '' ? 'down' : 'up'}`, 'master_sync_in_progress:0', `slave_repl_offset:${offset}`,
    'slave_read_only:0', 'connected_slaves:0', failover, `master_repl_offset:${offset}`];
}

export function roleName(role: StateRole): string {
  switch (role) {
    case StateRole.Leader:
      return 'leader';
    case StateRole.Candidate:
      return 'candidate';
    case StateRole.PreCandidate:
      return 'pre-candidate';
    case StateRole.Follower:
      return 'follower';
  }
}

/**
 * The process's CPU time (user + system, every thread) since start over the log entries, or
 * the commands, it applied (a batch entry carries many): what a replicated write costs this
 * node, on a live cluster (summed over the members, the cost of a write to the cluster).
 * Idle time's ticks and heartbeats are in it too, so it reads high on a quiet node and
 * settles near the per-write cost under load.
 */
function cpuMicrosPer(applied: number): string {
  if (applied === 0) return '0';
  const usage = cpuUsage();
  return ((usage.user + usage.system) / applied).toFixed(2);
}

/** RAFT.INFO's fields (also INFO's Raft section). */
export function raftInfoLines(context: AdminContext): string[] {
  const { node, identity, config } = context;
  const status = node.status();
  const stats = node.stats();
  const lines = [
    `node_id:${identity.nodeId}`, `cluster_id:${identity.clusterId}`, `role:${roleName(status.role)}`, `term:${status.term}`, `leader:${status.leader}`,
    `commit_index:${status.commit}`, `applied_index:${node.appliedIndex}`, `log_first_index:${status.firstIndex}`, `log_last_index:${status.lastIndex}`,
    `voters:${status.confState.voters.join(',')}`, `learners:${status.confState.learners.join(',')}`, `read_consistency_default:${config.readConsistency}`,
    `stat_readies:${stats.readies}`, `stat_proposals:${stats.proposals}`, `stat_syncs:${stats.syncs}`,
    `stat_sync_ms_avg:${stats.syncs === 0 ? 0 : (stats.syncMsTotal / stats.syncs).toFixed(3)}`, `stat_sync_ms_max:${stats.syncMsMax.toFixed(3)}`,
    `stat_entries_persisted:${stats.entriesPersisted}`, `stat_entries_per_sync_avg:${stats.syncs === 0 ? 0 : (stats.entriesPersisted / stats.syncs).toFixed(2)}`,
    `stat_entries_per_ready_max:${stats.entriesPerReadyMax}`, `stat_entries_applied:${stats.entriesApplied}`, `stat_messages_sent:${stats.messagesSent}`,
    `stat_cpu_us_per_entry_applied:${cpuMicrosPer(stats.entriesApplied)}`,
    `stat_commands_applied:${context.kv.commandsApplied}`, `stat_cpu_us_per_command_applied:${cpuMicrosPer(context.kv.commandsApplied)}`,
    // Deferred effects: which way this node resolved its script entries (docs/internals/scripting.md).
    `stat_script_entries_recorded:${stats.scriptEntriesRecorded}`, `stat_script_entries_replayed:${stats.scriptEntriesReplayed}`,
    `stat_script_entries_run_unrecorded:${stats.scriptEntriesRunUnrecorded}`, `stat_effects_entries_proposed:${stats.effectsEntriesProposed}`,
    `stat_read_index_retries:${stats.readIndexRetries}`,
    // A script running in slices (--script-slice-ms): the entry it is paused in, and how its applies went.
    `apply_paused_index:${node.applyPausedIndex}`, `stat_entries_apply_paused:${stats.entriesApplyPaused}`, `stat_apply_slices:${stats.applySlices}`, `stat_script_decisions_proposed:${stats.scriptDecisionsProposed}`,
  ];
  const transport = context.transportStats();
  // Every node redials its own stalled links, followers too: the totals, beside the leader's per-peer lines.
  const peers = [...transport.values()];
  lines.push(`stat_peer_reconnects:${peers.reduce((sum, p) => sum + p.reconnects, 0)}`, `stat_peer_stall_redials:${peers.reduce((sum, p) => sum + p.stallRedials, 0)}`);
  for (const progress of status.progress) {
    const peer = transport.get(progress.id);
    lines.push(`peer_${progress.id}:match=${progress.match},next=${progress.next},state=${progress.state},learner=${progress.isLearner ? 1 : 0},connected=${peer?.connected === true ? 1 : 0},frames_sent=${peer?.sentFrames ?? 0},socket_writes=${peer?.socketWrites ?? 0},reconnects=${peer?.reconnects ?? 0},stall_redials=${peer?.stallRedials ?? 0}`);
  }
  return lines;
}
