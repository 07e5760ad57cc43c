// CONFIG GET / SET / RESETSTAT / REWRITE / HELP over every setting raftis has, by Redis's
// names where one exists. Three kinds:
//   replicated  applying the log depends on it (maxmemory, maxmemory-policy, ...): CONFIG SET
//               proposes it (kv/replicated-settings.ts) and answers once applied; every node
//               changes at the same index and keeps it across restarts and snapshots;
//   node        this node only (the encoding thresholds): changed at once, on the node asked;
//   start-up    fixed for the process (ports, data directory, persistence), and Redis settings
//               raftis has no counterpart for, at the value that describes it: CONFIG GET shows
//               them; CONFIG SET takes the value they have (nothing changes, as a client that
//               sets back what CONFIG GET * showed expects) and refuses any other as Redis
//               refuses an immutable setting, naming what sets it.
// A CONFIG SET is atomic as in Redis 7: every pair is checked first, then all are applied.
// CONFIG REWRITE writes what CONFIG SET can change into the node's config file (config-file.ts):
// the node settings, and the replicated ones that have a start-up flag (their file value only
// seeds a new cluster; a running one keeps them in its log). Start-up settings cannot change
// while the node runs, so the file and the flags it was started with stay as they were.

import type { Reply } from '../kv/reply.js';
import { arityError } from '../kv/replies.js';
import { configEntryName, configSetError, isReplicatedSetting, replicatedSettingNames, type ReplicatedSettings } from '../kv/replicated-settings.js';
import { globMatch } from '../kv/glob.js';
import { formatHostPort, type ServerConfig } from './config.js';
import { rewriteConfigFile, type RewriteSetting } from './config-file.js';
import { errorReply } from './errors.js';
import type { NodeSettings } from './node-settings.js';
import { serverCommand, unknownSubcommand, type ServerCall, type ServerCommand } from './command-registry.js';

export interface RuntimeConfigDeps {
  readonly config: ServerConfig;
  readonly settings: NodeSettings;
  /** This node's applied values of the replicated settings. */
  readonly replicated: () => ReplicatedSettings;
  /** CONFIG RESETSTAT: the node's statistics back to zero. */
  readonly resetStats: () => void;
}

const OK: Reply = { kind: 'simple', value: 'OK' };

/** Start-up settings by Redis's name, with the flag that sets them (CONFIG SET says so). */
function startupSettings(config: ServerConfig): Map<string, { value: string; flag: string }> {
  return new Map([
    ['port', { value: String(config.listen.port), flag: '--listen' }],
    ['bind', { value: config.listen.host, flag: '--listen' }],
    ['dir', { value: config.dataDir, flag: '--data-dir' }],
    ['maxclients', { value: String(config.maxClients), flag: '--maxclients' }],
    ['client-query-buffer-limit', { value: String(config.clientQueryBufferMaxBytes), flag: '--client-query-buffer-limit' }],
    // raftis's log is its append-only file, synced before every acknowledgement; snapshots
    // (point-in-time saves) are taken by log size, not by Redis's save points.
    ['appendonly', { value: 'yes', flag: '(always on: the Raft log)' }],
    ['appendfsync', { value: 'always', flag: '(always: the Raft log)' }],
    ['save', { value: '', flag: '(snapshots follow the log size: --snapshot-entries)' }],
    ['databases', { value: '1', flag: '(raftis has one database)' }],
    ['timeout', { value: '0', flag: '(raftis does not close idle clients)' }],
    ['daemonize', { value: 'no', flag: '(raftis runs in the foreground)' }],
    // Every node replicates the log; none is a Redis replica of another.
    ['replicaof', { value: '', flag: '(replication is Raft: raftis cluster add-node, --join)' }],
    ['slaveof', { value: '', flag: '(replication is Raft: raftis cluster add-node, --join)' }],
    // Eviction looks at every key of the policy's set, not at a sample; clients' buffers are not counted.
    ['maxmemory-samples', { value: '5', flag: '(eviction does not sample)' }],
    ['maxmemory-clients', { value: '0', flag: '(client buffers are limited per client: --client-output-buffer-limit)' }],
    ['enable-debug-command', { value: config.enableDebugCommand, flag: '--enable-debug-command' }],
    ['raftis-peer-listen', { value: formatHostPort(config.peerListen), flag: '--peer-listen' }],
    ['raftis-read-consistency', { value: config.readConsistency, flag: '--read-consistency (RAFT.CONSISTENCY per connection)' }],
  ]);
}

const CONFIG_HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>', '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>', '    Set the configuration <directive> to <value>.',
  'RESETSTAT', '    Reset statistics reported by the INFO command.',
  'REWRITE', '    Rewrite the configuration file.',
  'HELP', '    Prints this help.',
];

export function configCommand(deps: RuntimeConfigDeps): ServerCommand {
  return serverCommand('config', -2, ['admin', 'noscript', 'loading', 'stale'], (call) => {
    const { argv, done } = call;
    const sub = argv[1]?.toString('latin1').toLowerCase();
    switch (sub) {
      case 'get':
        if (argv.length < 3) return done(arityError('config|get'));
        return configGetAtReadPoint(call, deps, argv.slice(2).map((a) => a.toString('latin1').toLowerCase()));
      case 'set':
        if (argv.length < 4) return done(arityError('config|set'));
        return argv.length % 2 !== 0 ? done(errorReply('ERR syntax error')) : configSet(call, deps);
      case 'resetstat':
        if (argv.length !== 2) return done(arityError('config|resetstat'));
        deps.resetStats();
        return done(OK);
      case 'rewrite':
        return done(argv.length !== 2 ? arityError('config|rewrite') : configRewrite(deps));
      case 'help':
        return done({ kind: 'array', value: CONFIG_HELP.map((line) => ({ kind: 'simple', value: line })) });
      default:
        return done(unknownSubcommand('config', argv[1]));
    }
  }, [0, 0, 0], { get: -3, set: -4, resetstat: 2, rewrite: 2, help: 2 });
}

/** Replicated settings a start-up flag also sets, with the names a config file gives them by and their defaults. */
const REWRITTEN_REPLICATED: readonly { readonly name: string; readonly key: string; readonly defaultValue: string }[] = [
  { name: 'maxmemory', key: 'maxmemoryBytes', defaultValue: '0' },
  { name: 'maxmemory-policy', key: 'maxmemoryPolicy', defaultValue: 'noeviction' },
  { name: 'proto-max-bulk-len', key: 'protoMaxBulkLen', defaultValue: String(512 * 1024 * 1024) },
  { name: 'notify-keyspace-events', key: 'notifyKeyspaceEvents', defaultValue: '' },
];

/** CONFIG REWRITE: Redis's replies, the error naming what failed. */
function configRewrite(deps: RuntimeConfigDeps): Reply {
  const file = deps.config.configFile;
  if (file === null) return errorReply('ERR The server is running without a config file');
  const replicated = deps.replicated();
  const settings: RewriteSetting[] = [
    ...deps.settings.each(),
    ...REWRITTEN_REPLICATED.map(({ name, key, defaultValue }) => {
      const value = replicated.get(name) ?? defaultValue;
      return { names: [name, key], value, isDefault: value === defaultValue };
    }),
  ];
  try {
    rewriteConfigFile(file, settings);
  } catch (error) {
    return errorReply(`ERR Rewriting config file: ${(error as Error).message}`);
  }
  return OK;
}

/** Every setting's (name, value), each once. */
function allSettings(deps: RuntimeConfigDeps): [string, string][] {
  const replicated = deps.replicated();
  return [
    ...replicatedSettingNames().map((name) => [name, replicated.get(name) ?? ''] as [string, string]),
    ...deps.settings.entries(),
    ...[...startupSettings(deps.config)].map(([name, { value }]) => [name, value] as [string, string]),
  ];
}

/**
 * CONFIG GET, at a read point of the connection's consistency when it shows a replicated
 * setting (start-up and node settings need none), so a follower shows one its client already
 * saw CONFIG SET acknowledge; this node's values when no read point can be had.
 */
function configGetAtReadPoint({ done, read }: ServerCall, deps: RuntimeConfigDeps, patterns: readonly string[]): void {
  const replicated = replicatedSettingNames().some((name) => patterns.some((pattern) => globMatch(Buffer.from(pattern, 'latin1'), Buffer.from(name, 'latin1'))));
  if (!replicated) return done(configGet(deps, patterns));
  read(() => configGet(deps, patterns), done, 'serve-local');
}

/** CONFIG GET pattern...: the matching settings as a map (RESP2: a flat array), each once. */
function configGet(deps: RuntimeConfigDeps, patterns: readonly string[]): Reply {
  const pairs: [Reply, Reply][] = [];
  for (const [name, value] of allSettings(deps)) {
    const nameBytes = Buffer.from(name, 'latin1');
    if (!patterns.some((pattern) => globMatch(Buffer.from(pattern, 'latin1'), nameBytes))) continue;
    pairs.push([{ kind: 'bulk', value: nameBytes }, { kind: 'bulk', value: Buffer.from(value) }]);
  }
  return { kind: 'map', value: pairs };
}

/** CONFIG SET name value ...: checks every pair, proposes the replicated ones, then applies the node's. */
function configSet({ argv, done, write }: ServerCall, deps: RuntimeConfigDeps): void {
  const replicated: string[] = [];
  const local: string[] = [];
  const seen = new Set<string>();
  const startup = startupSettings(deps.config);
  for (let i = 2; i < argv.length; i += 2) {
    const name = (argv[i] as Buffer).toString('latin1').toLowerCase();
    const value = (argv[i + 1] as Buffer).toString('latin1');
    if (seen.has(name)) return done(configSetError(name, 'duplicate parameter'));
    seen.add(name);
    if (isReplicatedSetting(name)) replicated.push(name, value);
    else if (deps.settings.has(name)) local.push(name, value);
    else if (startup.has(name)) {
      const fixed = startup.get(name);
      if (fixed?.value !== value) return done(configSetError(name, `can't set immutable config: raftis sets it only at start-up ${fixed?.flag ?? ''}`.trimEnd()));
    }
    else return done(errorReply(`ERR Unknown option or number of arguments for CONFIG SET - '${(argv[i] as Buffer).toString('latin1')}'`));
  }
  const localRefusal = local.length === 0 ? null : deps.settings.check(local);
  if (localRefusal !== null) return done(localRefusal);
  const checked = replicated.length === 0 ? null : deps.replicated().check(replicated);
  if (checked !== null && 'kind' in checked) return done(checked);
  const applyLocal = (): void => {
    if (local.length > 0) deps.settings.set(local);
    done(OK);
  };
  if (replicated.length === 0) return applyLocal();
  write([Buffer.from(configEntryName), ...replicated.map((text) => Buffer.from(text, 'latin1'))], (reply) => {
    if (reply.kind === 'error') return done(reply);
    applyLocal();
  });
}
