// A node's configuration: every setting once, in one table, with its flag, its RAFTIS_*
// environment variable, its default and its validation. Sources in order of precedence:
// command-line flags, environment, config file (--config FILE: JSON or redis.conf style, see
// config-file.ts), defaults. The node's own runtime settings (NodeSettings: the slow log,
// the latency monitor, the encoding thresholds) are taken by their Redis names from flags
// and the file too. Every value is validated at start-up with a message that names the
// setting and what is wrong.

import { readFileSync } from 'node:fs';
import { ConfigFileError, readConfigFile } from './config-file.js';
import { NodeSettings } from './node-settings.js';
import { CLUSTER_SECRET_BYTES_MAX, CLUSTER_SECRET_BYTES_MIN } from '../transport/peer-handshake.js';
import { parseNotifyFlags } from '../kv/keyspace-events.js';

export type ReadConsistency = 'linearizable' | 'lease' | 'stale';
export const READ_CONSISTENCIES: readonly ReadConsistency[] = ['linearizable', 'lease', 'stale'];
export type EvictionPolicy = 'noeviction' | 'allkeys-lru' | 'volatile-lru' | 'allkeys-random' | 'volatile-ttl';
export const EVICTION_POLICIES: readonly EvictionPolicy[] = ['noeviction', 'allkeys-lru', 'volatile-lru', 'allkeys-random', 'volatile-ttl'];

/** Redis's enable-debug-command values: who may run DEBUG. */
export type DebugPermission = 'no' | 'yes' | 'local';
export const DEBUG_PERMISSIONS: readonly DebugPermission[] = ['no', 'yes', 'local'];

export type TlsAuthClients = 'yes' | 'no' | 'optional';
export const TLS_AUTH_CLIENTS: readonly TlsAuthClients[] = ['yes', 'no', 'optional'];
/** TLS versions by Redis's names (tls-protocols), oldest first. */
export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface ServerConfig {
  /** This node's id, e.g. "n1". Required on first start; afterwards read from the data directory. */
  readonly id: string;
  readonly listen: HostPort;
  readonly peerListen: HostPort;
  /** Admin HTTP address (metrics, status, health, dashboard), or null for none. */
  readonly adminListen: HostPort | null;
  /** The dashboard's history: a sample of the node every adminSampleMs, the last adminSamplesMax of them, the last adminEventsMax events. */
  readonly adminSampleMs: number;
  readonly adminSamplesMax: number;
  readonly adminEventsMax: number;
  readonly dataDir: string;
  /** Peer addresses of the initial voters, by id. Used only to bootstrap a new data directory. */
  readonly initialCluster: ReadonlyMap<string, HostPort>;
  /** Client address of any member of an existing cluster to join (new data directory only). */
  readonly join: HostPort | null;
  /** With --join: how long to keep asking while the cluster has no leader or the member cannot be reached. */
  readonly joinWaitMs: number;
  /** A learner added to become a voter is promoted once its log is this close to the commit index. */
  readonly learnerPromoteLagEntries: number;
  /** Distinguishes clusters that share hosts; part of the cluster id checked in every peer handshake. */
  readonly clusterToken: string;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly leaseDriftTicks: number;
  readonly readConsistency: ReadConsistency;
  readonly requestTimeoutMs: number;
  /** A leader whose own WAL sync has been in flight this long hands leadership over (0: never). */
  readonly leaderSyncStallMs: number;
  /** Deferred script effects: how long a script entry waits for the leader's record (0 = two election timeouts), and how much is held meanwhile. */
  readonly scriptEffectsWaitMs: number;
  readonly scriptEffectsHoldEntriesMax: number;
  readonly scriptEffectsHoldBytesMax: number;
  /** How long a request waits for a leader to be known before `-TRYAGAIN no leader`. */
  readonly noLeaderWaitMs: number;
  readonly snapshotEntries: number;
  readonly logRetainEntries: number;
  readonly snapshotLogBytes: number;
  readonly snapshotLogPercentage: number;
  readonly logRetainBytes: number;
  readonly snapshotChunkBytes: number;
  readonly walSegmentBytes: number;
  readonly logCacheBytes: number;
  /** One full garbage collection once nothing has been applied for this long (0: never)… */
  readonly idleGcMs: number;
  /** …after at least this many bytes of entries were applied since the last one… */
  readonly idleGcAppliedBytes: number;
  /** …while the V8 heap in use is at most this (above it, a young-generation collection only). */
  readonly idleGcHeapMaxBytes: number;
  /** …and after each, glibc's malloc_trim(0), which returns the free pages of malloc's heaps. */
  readonly idleMallocTrim: boolean;
  /** Still idle this long after the full collection (0: never), collections that compact old space… */
  readonly idleGcShrinkMs: number;
  /** …while it has more than this committed above what it uses… */
  readonly idleGcShrinkSlackBytes: number;
  /** …at most this many. */
  readonly idleGcShrinkRounds: number;
  readonly maxInflightMessages: number;
  readonly maxBytesPerMessage: number;
  readonly writeBatchCommandsMax: number;
  readonly writeBatchBytesMax: number;
  readonly maxUncommittedBytes: number;
  readonly pendingRequestsMax: number;
  readonly maxmemoryBytes: number;
  readonly maxmemoryPolicy: EvictionPolicy;
  readonly activeExpireIntervalMs: number;
  readonly activeExpireKeysMax: number;
  readonly protoMaxBulkLen: number;
  readonly maxClients: number;
  readonly clientOutputBufferMaxBytes: number;
  /** Bytes of one command not yet complete a client may have the node hold (Redis's client-query-buffer-limit). */
  readonly clientQueryBufferMaxBytes: number;
  /** A subscriber's limit instead (Redis's client-output-buffer-limit pubsub): slow subscribers are disconnected. */
  readonly clientOutputBufferPubsubMaxBytes: number;
  /** Keyspace notification classes at start-up (Redis's letters; CONFIG SET changes them cluster-wide). */
  readonly notifyKeyspaceEvents: string;
  readonly peerQueueMaxBytes: number;
  /** A peer connection that takes writes and delivers nothing back this long is redialled; 0: two election timeouts. */
  readonly peerStallMs: number;
  readonly readIndexRetryMs: number;
  /** How long a script runs in one turn before its entry's apply pauses for the event loop; 0: scripts run in one go. */
  readonly scriptSliceMs: number;
  /** Enables the transport's drop/delay/partition API (RAFT.DEBUG FAULT …). Never in production. */
  readonly debugFaultInjection: boolean;
  /** RAFT.DEBUG DISK: the data directory's disk can be made to fail syncs, run out of space or slow down (tests only). */
  readonly debugDiskFaults: boolean;
  /** Milliseconds added to this node's clock (RAFTIS_DEBUG_CLOCK_OFFSET_MS), for clock-skew tests. */
  readonly debugClockOffsetMs: number;
  /** Who may run DEBUG (Redis's enable-debug-command): nobody, everyone, or loopback clients. */
  readonly enableDebugCommand: DebugPermission;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Client TLS port on the --listen host (Redis tls-port); 0 = none. With --listen port 0 the only client port. */
  readonly tlsPort: number;
  /** PEM certificate (chain) this node presents to clients, to peers (--tls-cluster) and on admin HTTP (--admin-tls). */
  readonly tlsCertFile: string | null;
  readonly tlsKeyFile: string | null;
  /** Passphrase of an encrypted --tls-key-file. */
  readonly tlsKeyFilePass: string | null;
  /** PEM CA bundle: checks client certificates, and with --tls-cluster every peer's certificate. */
  readonly tlsCaCertFile: string | null;
  /** Whether TLS clients must present a certificate of the CA (optional: checked if presented). */
  readonly tlsAuthClients: TlsAuthClients;
  /** Space-separated TLS versions accepted (Redis tls-protocols), a contiguous range. */
  readonly tlsProtocols: string;
  /** OpenSSL cipher list for TLSv1.2 and below, or null for Node's default. */
  readonly tlsCiphers: string | null;
  /** TLSv1.3 cipher suites (colon-separated), or null for Node's default. */
  readonly tlsCiphersuites: string | null;
  /** Peers connect over mutual TLS (certificates of --tls-ca-cert-file naming their member ids), like Redis's tls-cluster and tls-replication. */
  readonly tlsCluster: boolean;
  /** Secret every member proves in each peer handshake (challenge-response); null = none. */
  readonly clusterSecret: string | null;
  /** File holding the cluster secret (trailing newline ignored); excludes --cluster-secret. */
  readonly clusterSecretFile: string | null;
  /** Bearer token required for admin HTTP /status and /metrics (not /health); null = none. */
  readonly adminToken: string | null;
  readonly adminTokenFile: string | null;
  /** Admin HTTP over TLS with --tls-cert-file and --tls-key-file. */
  readonly adminTls: boolean;
  /** The default user's password for a new cluster (Redis requirepass); users are replicated state afterwards. */
  readonly requirepass: string | null;
  /** ACL file: seeds the users of a new cluster; ACL SAVE and ACL LOAD write and read it on this node. */
  readonly aclFile: string | null;
  /**
   * The user a joining node authenticates as when it asks a member to add it (Redis's
   * masteruser idea); null = default. Needs RAFT.CLUSTERINFO and RAFT.NODE.
   */
  readonly joinUser: string | null;
  /** That user's password (Redis's masterauth idea); null = --requirepass, if given, else none. */
  readonly joinPassword: string | null;
  /** Redis's protected mode: bound beyond loopback with no password and no ACL user, refuse clients beyond loopback. */
  readonly protectedMode: boolean;
  /** The settings given explicitly (flag, environment or file), as opposed to defaulted. */
  readonly configured: ReadonlySet<string>;
  /** The config file this node was started with (CONFIG REWRITE writes it), or null. */
  readonly configFile: string | null;
  /** Node settings (NodeSettings, by Redis's names) given at start-up, checked, in order. */
  readonly nodeSettings: readonly (readonly [string, string])[];
}

const PEER_STALL_MS_MIN = 100;
/**
 * V8 shrinks its young generation at a collection only when what it measured allocated over
 * the 5 s before was little: a shrink sooner after the idle full collection would still count
 * the load's last writes (src/server/idle-collection.ts).
 */
const IDLE_GC_SHRINK_MS_MIN = 6000;

/** The peer-stall bound in force: --peer-stall-ms, or two election timeouts. */
/** script-effects-wait-ms, with 0 read as two election timeouts. */
export function scriptEffectsWaitMs(config: Pick<ServerConfig, 'scriptEffectsWaitMs' | 'electionTicks' | 'tickMs'>): number {
  return config.scriptEffectsWaitMs !== 0 ? config.scriptEffectsWaitMs : 2 * config.electionTicks * config.tickMs;
}

/** How long a read barrier waits for the core's answer before it is asked again: --read-index-retry-ms, 0 = one election timeout. */
export function readIndexRetryMs(config: Pick<ServerConfig, 'readIndexRetryMs' | 'electionTicks' | 'tickMs'>): number {
  return config.readIndexRetryMs !== 0 ? config.readIndexRetryMs : config.electionTicks * config.tickMs;
}

export function peerStallMs(config: Pick<ServerConfig, 'peerStallMs' | 'electionTicks' | 'tickMs'>): number {
  return config.peerStallMs !== 0 ? config.peerStallMs : 2 * config.electionTicks * config.tickMs;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Kind = 'string' | 'int' | 'bool' | 'hostport' | 'cluster' | 'bytes' | 'tls-auth-clients';

interface Setting {
  readonly key: keyof ServerConfig;
  readonly flag: string;
  readonly kind: Kind;
  readonly help: string;
  readonly min?: number;
  readonly max?: number;
  readonly choices?: readonly string[];
}

const MiB = 1024 * 1024;

/** The settings table: flags are kebab-case, env vars RAFTIS_<FLAG_IN_CAPS>, config-file keys camelCase. */
export const SETTINGS: readonly Setting[] = [
  { key: 'id', flag: 'id', kind: 'string', help: 'node id, e.g. n1 (letters, digits, - and _)' },
  { key: 'listen', flag: 'listen', kind: 'hostport', help: 'client (RESP) address, default 127.0.0.1:6379' },
  { key: 'peerListen', flag: 'peer-listen', kind: 'hostport', help: 'peer address, default client port + 10000' },
  { key: 'adminListen', flag: 'admin-listen', kind: 'hostport', help: 'admin HTTP address: /metrics (Prometheus), /status, /health, / (dashboard); default none' },
  { key: 'adminSampleMs', flag: 'admin-sample-ms', kind: 'int', min: 100, max: 60_000, help: 'the dashboard samples the node this often (default 1000)' },
  { key: 'adminSamplesMax', flag: 'admin-samples-max', kind: 'int', min: 10, max: 3600, help: 'samples the dashboard keeps: its charts span this many intervals (default 300)' },
  { key: 'adminEventsMax', flag: 'admin-events-max', kind: 'int', min: 10, max: 10_000, help: 'events the dashboard keeps: elections, membership, snapshots, slow commands (default 200)' },
  { key: 'dataDir', flag: 'data-dir', kind: 'string', help: 'data directory, default ./data/<id>' },
  { key: 'initialCluster', flag: 'initial-cluster', kind: 'cluster', help: 'initial voters: n1=host:port,n2=host:port,… (peer addresses)' },
  { key: 'join', flag: 'join', kind: 'hostport', help: 'client address of a member of the cluster to join (empty data directory)' },
  { key: 'joinWaitMs', flag: 'join-wait-ms', kind: 'int', min: 0, max: 3_600_000, help: 'with --join: keep asking this long while the cluster has no leader or the member cannot be reached, then exit (69 with no leader, 78 unreachable) (default 60000)' },
  { key: 'learnerPromoteLagEntries', flag: 'learner-promote-lag-entries', kind: 'int', min: 0, max: 1e9, help: 'promote a joining learner once this close to the commit index (default 1000)' },
  { key: 'clusterToken', flag: 'cluster-token', kind: 'string', help: 'cluster name mixed into the cluster id, default raftis' },
  { key: 'tickMs', flag: 'tick-ms', kind: 'int', min: 1, max: 10_000, help: 'milliseconds per Raft tick (default 50)' },
  { key: 'electionTicks', flag: 'election-ticks', kind: 'int', min: 2, max: 1000, help: 'election timeout in ticks, randomized up to twice that (default 12)' },
  { key: 'heartbeatTicks', flag: 'heartbeat-ticks', kind: 'int', min: 1, max: 1000, help: 'heartbeat interval in ticks (default 2)' },
  { key: 'leaseDriftTicks', flag: 'lease-drift-ticks', kind: 'int', min: 1, max: 1000, help: 'lease safety margin in ticks: lease = election − drift (default 2)' },
  { key: 'readConsistency', flag: 'read-consistency', kind: 'string', choices: READ_CONSISTENCIES, help: 'default read mode: linearizable | lease | stale' },
  { key: 'requestTimeoutMs', flag: 'request-timeout-ms', kind: 'int', min: 10, max: 600_000, help: 'a request with no result after this fails (default 5000)' },
  { key: 'leaderSyncStallMs', flag: 'leader-sync-stall-ms', kind: 'int', min: 0, max: 600_000, help: 'a leader whose own WAL sync has been in flight this long (a slow disk) hands leadership to its most caught-up voter, 0 = never (default 2000)' },
  { key: 'scriptEffectsWaitMs', flag: 'script-effects-wait-ms', kind: 'int', min: 0, max: 600_000, help: 'with the replicated setting script-effects on, a node runs a script entry itself once it has waited this long for the leader\'s record; 0 = two election timeouts, 2 × election-ticks × tick-ms (default 0: 1200 ms)' },
  { key: 'scriptEffectsHoldEntriesMax', flag: 'script-effects-hold-entries-max', kind: 'int', min: 1, max: 10_000_000, help: 'committed entries a node holds behind a script entry waiting for its record; past it, it runs the script itself (default 10000)' },
  { key: 'scriptEffectsHoldBytesMax', flag: 'script-effects-hold-bytes-max', kind: 'bytes', min: 1024, max: 16_384 * MiB, help: 'bytes of committed entries a node holds behind a script entry waiting for its record; past it, it runs the script itself (default 64mb)' },
  { key: 'scriptSliceMs', flag: 'script-slice-ms', kind: 'int', min: 0, max: 60_000, help: 'a script (EVAL, FCALL) that runs longer than this in one turn pauses, and its entry\'s apply goes on in the next turn, so heartbeats, elections and commands that need no keyspace are served while it runs; the entries after it wait; 0 = scripts run in one go (default 50)' },
  { key: 'readIndexRetryMs', flag: 'read-index-retry-ms', kind: 'int', min: 0, max: 600_000, help: 'ask the leader again for a linearizable read\'s read index when no answer came within this long (a request or its heartbeats lost while a peer link reconnects); 0 = one election timeout, election-ticks × tick-ms (default 0: 600 ms)' },
  { key: 'noLeaderWaitMs', flag: 'no-leader-wait-ms', kind: 'int', min: 0, max: 600_000, help: 'wait this long for a leader before -TRYAGAIN (default 3000)' },
  { key: 'snapshotEntries', flag: 'snapshot-entries', kind: 'int', min: 0, max: 1e9, help: 'snapshot after this many applied entries, 0 = never (default 100000)' },
  { key: 'logRetainEntries', flag: 'log-retain-entries', kind: 'int', min: 0, max: 1e9, help: 'entries kept below a snapshot for slow followers (default 10000)' },
  { key: 'snapshotLogBytes', flag: 'snapshot-log-bytes', kind: 'bytes', min: 0, max: 16_384 * MiB, help: 'also snapshot once the entries applied since the last snapshot hold this many bytes, 0 = never (default 64mb)' },
  { key: 'snapshotLogPercentage', flag: 'snapshot-log-percentage', kind: 'int', min: 0, max: 100_000, help: 'past snapshot-log-bytes, snapshot only once those entries hold this percentage of the last snapshot\'s size, 0 = the floor alone (default 0: the log since the last snapshot is held in memory too)' },
  { key: 'logRetainBytes', flag: 'log-retain-bytes', kind: 'bytes', min: 0, max: 16_384 * MiB, help: 'keep at most this many bytes of entries below a snapshot (default 8mb)' },
  { key: 'snapshotChunkBytes', flag: 'snapshot-chunk-bytes', kind: 'bytes', min: 4096, max: 64 * MiB, help: 'snapshot chunk size (default 1mb)' },
  { key: 'walSegmentBytes', flag: 'wal-segment-bytes', kind: 'bytes', min: MiB, max: 4096 * MiB, help: 'WAL segment size (default 64mb)' },
  { key: 'logCacheBytes', flag: 'log-cache-bytes', kind: 'bytes', min: 0, max: 16_384 * MiB, help: 'the newest applied log entries kept in memory for followers catching up; older ones are read from the WAL (default 8mb)' },
  { key: 'idleGcMs', flag: 'idle-gc-ms', kind: 'int', min: 0, max: 3_600_000, help: 'a full garbage collection once nothing has been applied for this long after a burst of writes (and a young-generation one as long again later), so the burst\'s garbage goes back to the system; 0 = never (default 5000)' },
  { key: 'idleGcAppliedBytes', flag: 'idle-gc-applied-bytes', kind: 'bytes', min: 0, max: 16_384 * MiB, help: 'the burst: entry bytes applied (and snapshot bytes written or received) since the last such collection, at least (default 16mb)' },
  { key: 'idleGcHeapMaxBytes', flag: 'idle-gc-heap-max', kind: 'bytes', min: 0, max: 16_384 * MiB, help: 'the full collection only while the V8 heap in use is at most this, as its pause grows with the heap; above, a young-generation one only (default 256mb)' },
  { key: 'idleMallocTrim', flag: 'idle-malloc-trim', kind: 'bool', help: 'after each idle collection, glibc\'s malloc_trim(0), which gives the system back the free pages that malloc keeps under blocks still in use (Linux with glibc; elsewhere skipped) (default yes)' },
  { key: 'idleGcShrinkMs', flag: 'idle-gc-shrink-ms', kind: 'int', min: 0, max: 3_600_000, help: 'still idle this long after the idle full collection (at least 6000), a young collection if the young generation is still at its load size, then full ones with V8 optimizing for memory, which compact the old pages the load\'s garbage left part empty, so their memory goes back to the system; 0 = never (default 15000)' },
  { key: 'idleGcShrinkSlackBytes', flag: 'idle-gc-shrink-slack', kind: 'bytes', min: 0, max: 16_384 * MiB, help: 'each only while its generation of the V8 heap has more than this committed above what it uses (default 8mb)' },
  { key: 'idleGcShrinkRounds', flag: 'idle-gc-shrink-rounds', kind: 'int', min: 1, max: 100, help: 'those at most this many times per burst, one per quarter of idle-gc-ms, stopping early once one gives nothing back (default 4)' },
  { key: 'maxInflightMessages', flag: 'max-inflight-messages', kind: 'int', min: 1, max: 65_536, help: 'unacknowledged Appends per follower (default 256)' },
  { key: 'maxBytesPerMessage', flag: 'max-bytes-per-message', kind: 'bytes', min: 1024, max: 256 * MiB, help: 'entry bytes per Append (default 1mb)' },
  { key: 'writeBatchCommandsMax', flag: 'write-batch-commands-max', kind: 'int', min: 1, max: 100_000, help: 'writes of one turn gathered into one log entry, at most (default 256; 1 = an entry per write)' },
  { key: 'writeBatchBytesMax', flag: 'write-batch-bytes-max', kind: 'bytes', min: 1024, max: 256 * MiB, help: 'argument bytes of the writes gathered into one log entry, at most (default 256kb; a bigger write goes alone)' },
  { key: 'maxUncommittedBytes', flag: 'max-uncommitted-bytes', kind: 'bytes', min: MiB, max: 16_384 * MiB, help: 'leader refuses writes beyond this backlog (default 64mb)' },
  { key: 'pendingRequestsMax', flag: 'pending-requests-max', kind: 'int', min: 1, max: 10_000_000, help: 'writes and reads in flight per node (default 100000)' },
  { key: 'maxmemoryBytes', flag: 'maxmemory', kind: 'bytes', min: 0, max: Number.MAX_SAFE_INTEGER, help: 'memory limit for data, 0 = none (default 0)' },
  { key: 'maxmemoryPolicy', flag: 'maxmemory-policy', kind: 'string', choices: EVICTION_POLICIES, help: 'eviction policy (default noeviction)' },
  { key: 'activeExpireIntervalMs', flag: 'active-expire-interval-ms', kind: 'int', min: 1, max: 600_000, help: 'how often the leader proposes deletion of expired keys (default 100)' },
  { key: 'activeExpireKeysMax', flag: 'active-expire-keys-max', kind: 'int', min: 1, max: 100_000, help: 'expired keys deleted per round (default 200)' },
  { key: 'protoMaxBulkLen', flag: 'proto-max-bulk-len', kind: 'bytes', min: 1024, max: 4096 * MiB, help: 'largest bulk string accepted (default 512mb)' },
  { key: 'maxClients', flag: 'maxclients', kind: 'int', min: 1, max: 1_000_000, help: 'client connections at most (default 10000)' },
  { key: 'clientQueryBufferMaxBytes', flag: 'client-query-buffer-limit', kind: 'bytes', min: MiB, max: 16_384 * MiB, help: 'a client sending a command bigger than this is disconnected (default 1gb)' },
  { key: 'clientOutputBufferMaxBytes', flag: 'client-output-buffer-limit', kind: 'bytes', min: 64 * 1024, max: 16_384 * MiB, help: 'per-client reply backlog before disconnect (default 256mb)' },
  { key: 'notifyKeyspaceEvents', flag: 'notify-keyspace-events', kind: 'string', help: 'keyspace notification classes, Redis\'s letters (default "": off)' },
  { key: 'clientOutputBufferPubsubMaxBytes', flag: 'client-output-buffer-limit-pubsub', kind: 'bytes', min: 64 * 1024, max: 16_384 * MiB, help: 'a subscriber\'s message backlog before disconnect (default 32mb)' },
  { key: 'peerQueueMaxBytes', flag: 'peer-queue-max-bytes', kind: 'bytes', min: 64 * 1024, max: 16_384 * MiB, help: 'outbound queue per peer (default 64mb)' },
  { key: 'peerStallMs', flag: 'peer-stall-ms', kind: 'int', min: 0, max: 600_000, help: 'redial a peer connection that has taken writes and answered nothing, not even a probe, for this long (packets dropped without a reset); 0 = two election timeouts, 2 × election-ticks × tick-ms (default 0: 1200 ms)' },
  { key: 'debugFaultInjection', flag: 'debug-fault-injection', kind: 'bool', help: 'enable RAFT.DEBUG fault commands (tests only)' },
  { key: 'debugDiskFaults', flag: 'debug-disk-faults', kind: 'bool', help: 'enable RAFT.DEBUG DISK fault commands: failing syncs, a full or a slow disk (tests only)' },
  { key: 'enableDebugCommand', flag: 'enable-debug-command', kind: 'string', choices: DEBUG_PERMISSIONS, help: 'who may run DEBUG: no | yes | local (loopback clients), as Redis 7 (default no)' },
  { key: 'debugClockOffsetMs', flag: 'debug-clock-offset-ms', kind: 'int', min: -86_400_000, max: 86_400_000, help: 'skew this node\'s clock (tests only)' },
  { key: 'logLevel', flag: 'log-level', kind: 'string', choices: ['debug', 'info', 'warn', 'error', 'silent'], help: 'log level (default info)' },
  { key: 'tlsPort', flag: 'tls-port', kind: 'int', min: 0, max: 65_535, help: 'client TLS port on the --listen host, 0 = none (default 0); --listen HOST:0 turns plain TCP off' },
  { key: 'tlsCertFile', flag: 'tls-cert-file', kind: 'string', help: 'PEM certificate for clients, peers (--tls-cluster) and admin HTTP (--admin-tls)' },
  { key: 'tlsKeyFile', flag: 'tls-key-file', kind: 'string', help: 'PEM private key of --tls-cert-file' },
  { key: 'tlsKeyFilePass', flag: 'tls-key-file-pass', kind: 'string', help: 'passphrase of an encrypted --tls-key-file' },
  { key: 'tlsCaCertFile', flag: 'tls-ca-cert-file', kind: 'string', help: 'PEM CA bundle that signs client certificates and, with --tls-cluster, every peer certificate' },
  { key: 'tlsAuthClients', flag: 'tls-auth-clients', kind: 'tls-auth-clients', help: 'TLS clients must present a certificate: yes | no | optional (default yes)' },
  { key: 'tlsProtocols', flag: 'tls-protocols', kind: 'string', help: 'TLS versions accepted, e.g. "TLSv1.2 TLSv1.3" (the default)' },
  { key: 'tlsCiphers', flag: 'tls-ciphers', kind: 'string', help: 'OpenSSL cipher list for TLSv1.2 and below (default Node\'s)' },
  { key: 'tlsCiphersuites', flag: 'tls-ciphersuites', kind: 'string', help: 'TLSv1.3 cipher suites, colon-separated (default Node\'s)' },
  { key: 'tlsCluster', flag: 'tls-cluster', kind: 'bool', help: 'peers use mutual TLS; each certificate must name its member id (CN or DNS name)' },
  { key: 'clusterSecret', flag: 'cluster-secret', kind: 'string', help: 'secret every peer proves in its handshake (at least 16 bytes; prefer --cluster-secret-file)' },
  { key: 'clusterSecretFile', flag: 'cluster-secret-file', kind: 'string', help: 'file holding the cluster secret' },
  { key: 'adminToken', flag: 'admin-token', kind: 'string', help: 'bearer token for admin HTTP /status and /metrics (prefer --admin-token-file)' },
  { key: 'adminTokenFile', flag: 'admin-token-file', kind: 'string', help: 'file holding the admin HTTP bearer token' },
  { key: 'adminTls', flag: 'admin-tls', kind: 'bool', help: 'serve admin HTTP over TLS with --tls-cert-file and --tls-key-file' },
  { key: 'requirepass', flag: 'requirepass', kind: 'string', help: 'the default user\'s password, set once when the cluster is new (then ACL SETUSER changes it)' },
  { key: 'aclFile', flag: 'aclfile', kind: 'string', help: 'ACL file (Redis format): the users of a new cluster; ACL SAVE/LOAD use it' },
  { key: 'joinUser', flag: 'join-user', kind: 'string', help: 'with --join: the ACL user to ask the cluster as (default: default); needs RAFT.CLUSTERINFO and RAFT.NODE' },
  { key: 'joinPassword', flag: 'join-password', kind: 'string', help: 'with --join: that user\'s password (default: --requirepass)' },
  { key: 'protectedMode', flag: 'protected-mode', kind: 'bool', help: 'refuse non-loopback clients while bound beyond loopback with no password and no ACL user (default yes)' },
];

const DEFAULTS: Omit<ServerConfig, 'id' | 'listen' | 'peerListen' | 'dataDir' | 'initialCluster' | 'configured' | 'configFile' | 'nodeSettings'> = {
  join: null,
  // A leader is normally back within an election or two; a minute also rides out a partition
  // (the chaos runs' last 4–12 s) or a cluster whose nodes are restarting.
  joinWaitMs: 60_000,
  adminListen: null,
  adminSampleMs: 1000,
  adminSamplesMax: 300,
  adminEventsMax: 200,
  learnerPromoteLagEntries: 1000,
  clusterToken: 'raftis',
  // 600–1200 ms election timeout with heartbeats every 100 ms: a failed leader is replaced
  // within ~1.3 s, while a leader's event loop may stall for half a second without an election.
  tickMs: 50,
  electionTicks: 12,
  heartbeatTicks: 2,
  leaseDriftTicks: 2,
  readConsistency: 'linearizable',
  requestTimeoutMs: 5000,
  leaderSyncStallMs: 2000,
  scriptEffectsWaitMs: 0,
  scriptEffectsHoldEntriesMax: 10_000,
  scriptEffectsHoldBytesMax: 64 * MiB,
  noLeaderWaitMs: 3000,
  readIndexRetryMs: 0,
  scriptSliceMs: 50,
  snapshotEntries: 100_000,
  logRetainEntries: 10_000,
  // Large entries (MSET, big values) must not keep hundreds of megabytes of log in memory
  // until the entry count catches up.
  snapshotLogBytes: 64 * MiB,
  snapshotLogPercentage: 0,
  logRetainBytes: 8 * MiB,
  snapshotChunkBytes: MiB,
  walSegmentBytes: 64 * MiB,
  logCacheBytes: 8 * MiB,
  idleGcMs: 5000,
  idleGcAppliedBytes: 16 * MiB,
  // A full collection's pause grows with the heap: ~20 ms at 100 MB, up to 670 ms at 280 MB
  // on a busy 2-core machine, where 600 ms without a heartbeat starts an election.
  idleGcHeapMaxBytes: 256 * MiB,
  idleMallocTrim: true,
  // After a 1M-key load a node may hold its young generation at 32 MB, or old space 12–18 MB
  // above its use; a young round pauses for milliseconds, an old one as long as the idle full
  // collection.
  idleGcShrinkMs: 15_000,
  idleGcShrinkSlackBytes: 8 * MiB,
  idleGcShrinkRounds: 4,
  maxInflightMessages: 256,
  maxBytesPerMessage: MiB,
  writeBatchCommandsMax: 256,
  writeBatchBytesMax: 256 * 1024,
  maxUncommittedBytes: 64 * MiB,
  pendingRequestsMax: 100_000,
  maxmemoryBytes: 0,
  maxmemoryPolicy: 'noeviction',
  activeExpireIntervalMs: 100,
  activeExpireKeysMax: 200,
  protoMaxBulkLen: 512 * MiB,
  maxClients: 10_000,
  clientOutputBufferMaxBytes: 256 * MiB,
  clientQueryBufferMaxBytes: 1024 * MiB,
  clientOutputBufferPubsubMaxBytes: 32 * MiB,
  notifyKeyspaceEvents: '',
  peerQueueMaxBytes: 64 * MiB,
  peerStallMs: 0,
  debugFaultInjection: false,
  debugDiskFaults: false,
  debugClockOffsetMs: 0,
  enableDebugCommand: 'no',
  logLevel: 'info',
  tlsPort: 0,
  tlsCertFile: null,
  tlsKeyFile: null,
  tlsKeyFilePass: null,
  tlsCaCertFile: null,
  tlsAuthClients: 'yes',
  tlsProtocols: 'TLSv1.2 TLSv1.3',
  tlsCiphers: null,
  tlsCiphersuites: null,
  tlsCluster: false,
  clusterSecret: null,
  clusterSecretFile: null,
  adminToken: null,
  adminTokenFile: null,
  adminTls: false,
  requirepass: null,
  aclFile: null,
  joinUser: null,
  joinPassword: null,
  protectedMode: true,
};

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function parseHostPort(text: string, what: string): HostPort {
  const match = /^(.*):(\d{1,5})$/.exec(text.trim());
  if (match === null) throw new ConfigError(`${what}: expected host:port, got "${text}"`);
  const host = (match[1] ?? '').replace(/^\[(.*)\]$/, '$1');
  const port = Number(match[2]);
  if (host === '') throw new ConfigError(`${what}: missing host in "${text}"`);
  if (port > 65_535) throw new ConfigError(`${what}: port ${port} is out of range 0..65535`);
  return { host, port };
}

export function formatHostPort(address: HostPort): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export function parseCluster(text: string, what: string): Map<string, HostPort> {
  const members = new Map<string, HostPort>();
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${what}: expected id=host:port, got "${part}"`);
    const id = part.slice(0, eq);
    if (!NODE_ID.test(id)) throw new ConfigError(`${what}: invalid node id "${id}" (letters, digits, - and _, at most 64)`);
    if (members.has(id)) throw new ConfigError(`${what}: node id "${id}" appears twice`);
    members.set(id, parseHostPort(part.slice(eq + 1), `${what} (${id})`));
  }
  if (members.size === 0) throw new ConfigError(`${what}: no members given`);
  return members;
}

/** Parses "64mb", "1gb", "512k", "1000" (bytes) like redis.conf. */
export function parseBytes(text: string, what: string): number {
  const match = /^(\d+)\s*(b|k|kb|m|mb|g|gb)?$/i.exec(text.trim());
  if (match === null) throw new ConfigError(`${what}: expected a size like 1048576, 512kb, 64mb or 1gb, got "${text}"`);
  const units: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: MiB, g: 1e9, gb: 1024 * MiB };
  return Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1);
}

type RawValues = Map<string, { value: string | number | boolean; source: string }>;
/** Node settings by name, as given, with where: the last source wins, as for the other settings. */
type NodeValues = Map<string, { value: string; source: string }>;

function envName(flag: string): string {
  return `RAFTIS_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** The settings of argv: (name, value) pairs in order, and the config file named. */
function parseArgv(argv: readonly string[], env: NodeJS.ProcessEnv): { flags: [string, string | true][]; configFile: string | undefined } {
  const byFlag = new Map(SETTINGS.map((s) => [s.flag, s]));
  const nodeSettings = new NodeSettings();
  let configFile = env['RAFTIS_CONFIG'];
  const flags: [string, string | true][] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}" (settings are given as --name value)`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string | true | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (name === 'config') {
      configFile = value === undefined ? argv[++i] : value;
      if (configFile === undefined) throw new ConfigError('--config: missing file name');
      continue;
    }
    const setting = byFlag.get(name);
    if (setting === undefined && !nodeSettings.has(name)) throw new ConfigError(`unknown setting --${name} (see raftis server --help)`);
    if (value === undefined) {
      const next = argv[i + 1];
      if (setting?.kind === 'bool' && (next === undefined || next.startsWith('--'))) value = true;
      else if (next === undefined) throw new ConfigError(`--${name}: missing value`);
      else { value = next; i++; }
    }
    flags.push([name, value]);
  }
  return { flags, configFile };
}

/**
 * Reads settings from argv (`--flag value` or `--flag=value`; booleans may omit the value),
 * the environment and an optional config file, then validates them.
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const raw: RawValues = new Map();
  const nodeValues: NodeValues = new Map();
  const byFlag = new Map(SETTINGS.map((s) => [s.flag, s]));
  const byKey = new Map(SETTINGS.map((s) => [s.key as string, s]));
  const nodeSettings = new NodeSettings();
  const { flags, configFile } = parseArgv(argv, env);
  const take = (name: string, value: string | number | boolean, source: string): void => {
    const setting = byKey.get(name) ?? byFlag.get(name);
    if (setting !== undefined) raw.set(setting.key, { value, source });
    else if (nodeSettings.has(name)) nodeValues.set(nodeSettings.canonicalName(name), { value: String(value), source });
    else throw new ConfigError(`${source.replace(/ "[^"]*"$/, '')}: unknown setting "${name}"`);
  };
  if (configFile !== undefined) {
    try {
      for (const { name, value, source } of readConfigFile(configFile)) take(name, value, source);
    } catch (error) {
      if (error instanceof ConfigFileError) throw new ConfigError(error.message);
      throw error;
    }
  }
  for (const setting of SETTINGS) {
    const value = env[envName(setting.flag)];
    if (value !== undefined && value !== '') raw.set(setting.key, { value, source: envName(setting.flag) });
  }
  for (const [name, value] of flags) take(name, value, `--${name}`);
  return { ...resolve(raw), configFile: configFile ?? null, nodeSettings: checkNodeSettings(nodeValues) };
}

/** Node settings checked as CONFIG SET checks them, the message naming where each came from. */
function checkNodeSettings(values: NodeValues): [string, string][] {
  const checker = new NodeSettings();
  for (const [name, { value, source }] of values) {
    const refused = checker.check([name, value]);
    if (refused !== null) throw new ConfigError(`${source}: ${refused.kind === 'error' ? refused.message.replace(/^ERR CONFIG SET failed \(possibly related to argument '[^']*'\) - /, '') : 'invalid'}`);
  }
  return [...values].map(([name, { value }]) => [name, value]);
}

function resolve(raw: RawValues): ServerConfig {
  const values: Record<string, unknown> = { ...DEFAULTS };
  for (const setting of SETTINGS) {
    const entry = raw.get(setting.key);
    if (entry === undefined) continue;
    values[setting.key] = convert(setting, entry.value, entry.source);
  }
  const id = typeof values['id'] === 'string' ? values['id'] : '';
  if (id !== '' && !NODE_ID.test(id)) throw new ConfigError(`--id: invalid node id "${id}" (letters, digits, - and _, at most 64)`);
  const listen = (values['listen'] as HostPort | undefined) ?? { host: '127.0.0.1', port: 6379 };
  const clientPort = listen.port === 0 ? (values['tlsPort'] as number) : listen.port;
  const peerListen = (values['peerListen'] as HostPort | undefined) ?? { host: listen.host, port: clientPort + 10_000 };
  if (peerListen.port > 65_535) throw new ConfigError(`--peer-listen: default client port + 10000 = ${peerListen.port} is out of range; give --peer-listen`);
  const config = {
    ...values,
    id,
    listen,
    peerListen,
    dataDir: typeof values['dataDir'] === 'string' ? values['dataDir'] : `./data/${id === '' ? 'node' : id}`,
    initialCluster: (values['initialCluster'] as Map<string, HostPort> | undefined) ?? new Map<string, HostPort>(),
    configured: new Set(raw.keys()),
    configFile: null,
    nodeSettings: [],
  } as unknown as ServerConfig;
  validate(config);
  return config;
}

function convert(setting: Setting, value: string | number | boolean, source: string): unknown {
  const text = String(value);
  switch (setting.kind) {
    case 'string':
      if (setting.choices !== undefined && !setting.choices.includes(text)) {
        throw new ConfigError(`${source}: "${text}" is not one of ${setting.choices.join(', ')}`);
      }
      return text;
    case 'bool':
      if (value === true || text === 'true' || text === 'yes' || text === '1') return true;
      if (value === false || text === 'false' || text === 'no' || text === '0') return false;
      throw new ConfigError(`${source}: expected true or false, got "${text}"`);
    case 'int': {
      if (!/^-?\d+$/.test(text)) throw new ConfigError(`${source}: expected a whole number, got "${text}"`);
      return checkRange(setting, Number(text), source);
    }
    case 'bytes':
      return checkRange(setting, typeof value === 'number' ? value : parseBytes(text, source), source);
    case 'hostport':
      return parseHostPort(text, source);
    case 'cluster':
      return parseCluster(text, source);
    case 'tls-auth-clients':
      // Redis takes yes/no and their boolean spellings.
      if (value === true || text === 'yes' || text === 'true' || text === '1') return 'yes';
      if (value === false || text === 'no' || text === 'false' || text === '0') return 'no';
      if (text === 'optional') return 'optional';
      throw new ConfigError(`${source}: "${text}" is not one of ${TLS_AUTH_CLIENTS.join(', ')}`);
  }
}

function checkRange(setting: Setting, n: number, source: string): number {
  if (setting.min !== undefined && n < setting.min) throw new ConfigError(`${source}: ${n} is below the minimum ${setting.min}`);
  if (setting.max !== undefined && n > setting.max) throw new ConfigError(`${source}: ${n} is above the maximum ${setting.max}`);
  return n;
}

function validate(config: ServerConfig): void {
  if (parseNotifyFlags(config.notifyKeyspaceEvents) === null) {
    throw new ConfigError(`notify-keyspace-events "${config.notifyKeyspaceEvents}": unknown class letter (use Redis's: K E g $ l s h z x e t m d n A)`);
  }
  const admin = config.adminListen;
  if (admin !== null && admin.port !== 0) {
    for (const [flag, other] of [['listen', config.listen], ['peer-listen', config.peerListen]] as const) {
      if (other.port === admin.port && (other.host === admin.host || other.host === '0.0.0.0' || admin.host === '0.0.0.0')) {
        throw new ConfigError(`--admin-listen ${formatHostPort(admin)} is the same address as --${flag}`);
      }
    }
  }
  if (config.peerStallMs !== 0 && config.peerStallMs < PEER_STALL_MS_MIN) {
    throw new ConfigError(`peer-stall-ms (${config.peerStallMs}) must be 0 (two election timeouts) or at least ${PEER_STALL_MS_MIN}: a busy peer answers a probe within tens of milliseconds, not less`);
  }
  if (config.idleGcShrinkMs !== 0 && config.idleGcShrinkMs < IDLE_GC_SHRINK_MS_MIN) {
    throw new ConfigError(`idle-gc-shrink-ms (${config.idleGcShrinkMs}) must be 0 (never) or at least ${IDLE_GC_SHRINK_MS_MIN}: V8 gives its young generation back only once it has measured 5 s of little allocation`);
  }
  if (config.heartbeatTicks >= config.electionTicks) {
    throw new ConfigError(`heartbeat-ticks (${config.heartbeatTicks}) must be below election-ticks (${config.electionTicks})`);
  }
  if (config.leaseDriftTicks >= config.electionTicks) {
    throw new ConfigError(`lease-drift-ticks (${config.leaseDriftTicks}) must be below election-ticks (${config.electionTicks}): the lease would be empty`);
  }
  if (config.join !== null && config.initialCluster.size > 0) {
    throw new ConfigError('--join and --initial-cluster exclude each other: a new cluster is bootstrapped, an existing one is joined');
  }
  if (config.initialCluster.size > 0 && config.id !== '' && !config.initialCluster.has(config.id)) {
    throw new ConfigError(`--initial-cluster does not name this node's id "${config.id}"`);
  }
  if (config.protoMaxBulkLen > config.clientQueryBufferMaxBytes) {
    throw new ConfigError(`proto-max-bulk-len (${config.protoMaxBulkLen}) must not exceed client-query-buffer-limit (${config.clientQueryBufferMaxBytes}): a bulk that size could never arrive`);
  }
  if (config.writeBatchBytesMax > config.maxBytesPerMessage) {
    throw new ConfigError(`write-batch-bytes-max (${config.writeBatchBytesMax}) must not exceed max-bytes-per-message (${config.maxBytesPerMessage}): a batch is one entry, sent whole`);
  }
  if (config.maxBytesPerMessage > config.maxUncommittedBytes) {
    throw new ConfigError(`max-bytes-per-message (${config.maxBytesPerMessage}) must not exceed max-uncommitted-bytes (${config.maxUncommittedBytes})`);
  }
  validateSecurity(config);
}

/** The TLS, cluster-secret and admin-token settings: which need which, and which exclude which. */
function validateSecurity(config: ServerConfig): void {
  if (config.listen.port === 0 && config.tlsPort === 0) {
    throw new ConfigError('--listen port 0 turns plain TCP off: give --tls-port, or clients have nowhere to connect');
  }
  if (config.tlsPort !== 0 && config.tlsPort === config.listen.port) throw new ConfigError(`--tls-port ${config.tlsPort} is the --listen port; give each its own (or --listen ${config.listen.host}:0 for TLS only)`);
  if (config.tlsPort !== 0 && config.tlsPort === config.peerListen.port) throw new ConfigError(`--tls-port ${config.tlsPort} is the --peer-listen port`);
  const users = [config.tlsPort !== 0 ? '--tls-port' : null, config.tlsCluster ? '--tls-cluster' : null, config.adminTls ? '--admin-tls' : null].filter((u) => u !== null);
  if (users.length > 0) {
    if (config.tlsCertFile === null) throw new ConfigError(`${users.join(', ')} needs --tls-cert-file`);
    if (config.tlsKeyFile === null) throw new ConfigError(`${users.join(', ')} needs --tls-key-file`);
  }
  if (config.tlsCaCertFile === null) {
    if (config.tlsCluster) throw new ConfigError('--tls-cluster needs --tls-ca-cert-file: the CA that signs every peer\'s certificate');
    if (config.tlsPort !== 0 && config.tlsAuthClients !== 'no') {
      throw new ConfigError(`--tls-auth-clients ${config.tlsAuthClients} needs --tls-ca-cert-file to check client certificates (or --tls-auth-clients no)`);
    }
  }
  parseTlsProtocols(config.tlsProtocols, '--tls-protocols');
  if (config.clusterSecret !== null && config.clusterSecretFile !== null) throw new ConfigError('--cluster-secret and --cluster-secret-file exclude each other');
  if (config.clusterSecret !== null) checkClusterSecret(Buffer.from(config.clusterSecret, 'utf8'), '--cluster-secret');
  if (config.adminToken !== null && config.adminTokenFile !== null) throw new ConfigError('--admin-token and --admin-token-file exclude each other');
  if (config.adminToken !== null) checkAdminToken(config.adminToken, '--admin-token');
  if (config.joinUser !== null && config.joinPassword === null) throw new ConfigError('--join-user needs --join-password');
  if (config.requirepass !== null && config.aclFile !== null) throw new ConfigError('--requirepass and --aclfile exclude each other: give the default user its password in the ACL file');
  if (config.aclFile !== null) {
    try {
      readFileSync(config.aclFile);
    } catch (error) {
      throw new ConfigError(`--aclfile ${config.aclFile}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Shortest admin token accepted, for the same reason as the cluster secret's minimum. */
export const ADMIN_TOKEN_CHARS_MIN = 16;
export const ADMIN_TOKEN_CHARS_MAX = 4096;

export function checkClusterSecret(secret: Buffer, what: string): Buffer {
  if (secret.byteLength < CLUSTER_SECRET_BYTES_MIN || secret.byteLength > CLUSTER_SECRET_BYTES_MAX) {
    throw new ConfigError(`${what}: the cluster secret has ${secret.byteLength} bytes; it needs ${CLUSTER_SECRET_BYTES_MIN} to ${CLUSTER_SECRET_BYTES_MAX} (e.g. openssl rand -hex 32)`);
  }
  return secret;
}

export function checkAdminToken(token: string, what: string): string {
  if (token.length < ADMIN_TOKEN_CHARS_MIN || token.length > ADMIN_TOKEN_CHARS_MAX) {
    throw new ConfigError(`${what}: the admin token has ${token.length} characters; it needs ${ADMIN_TOKEN_CHARS_MIN} to ${ADMIN_TOKEN_CHARS_MAX} (e.g. openssl rand -hex 32)`);
  }
  // A bearer token travels in an HTTP header: visible ASCII only (RFC 6750's token68 and more).
  if (!/^[\x21-\x7e]+$/.test(token)) throw new ConfigError(`${what}: the admin token must be printable ASCII without spaces`);
  return token;
}

/** The protocol range of a tls-protocols value ("TLSv1.2 TLSv1.3"; names as Redis spells them, any case). */
export function parseTlsProtocols(text: string, what: string): { readonly min: TlsVersion; readonly max: TlsVersion } {
  const words = text.split(/[\s,]+/).filter((w) => w !== '');
  if (words.length === 0) throw new ConfigError(`${what}: no protocol given (use e.g. "TLSv1.2 TLSv1.3")`);
  const indexes = words.map((word) => {
    const index = TLS_VERSIONS.findIndex((v) => v.toLowerCase() === word.toLowerCase());
    if (index < 0) throw new ConfigError(`${what}: unknown protocol "${word}" (known: ${TLS_VERSIONS.join(', ')})`);
    return index;
  }).sort((a, b) => a - b);
  const min = indexes[0] ?? 0;
  const max = indexes[indexes.length - 1] ?? 0;
  if (new Set(indexes).size !== max - min + 1) throw new ConfigError(`${what}: "${text}" leaves a gap; give a contiguous range of versions`);
  return { min: TLS_VERSIONS[min] ?? 'TLSv1.2', max: TLS_VERSIONS[max] ?? 'TLSv1.3' };
}

/** Where clients reach this node: the plain address, or the TLS one when plain TCP is off. */
export function clientAddress(config: Pick<ServerConfig, 'listen' | 'tlsPort'>): HostPort {
  return config.listen.port === 0 ? { host: config.listen.host, port: config.tlsPort } : config.listen;
}

export function usage(): string {
  const lines = SETTINGS.map((s) => `  --${s.flag.padEnd(28)} ${s.help}  [${envName(s.flag)}]`);
  const nodeNames = new NodeSettings().each().map((s) => s.names[0] ?? '');
  return ['raftis server [--config FILE] [settings]', '',
    'Settings (flag, environment variable). A config file (--config FILE) is JSON ({"tickMs": 50}, keys camelCase or as the flags)',
    'or redis.conf style (one "name value" a line, names as the flags, # comments); CONFIG REWRITE writes it back.', ...lines, '',
    `Node settings, by Redis's names, as flags or in the config file (CONFIG SET changes them on the node): ${nodeNames.join(', ')}`].join('\n');
}
