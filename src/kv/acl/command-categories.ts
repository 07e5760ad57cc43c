// The ACL categories of every command, in one place: the ones Redis derives from the flags
// (server.c setImplicitACLCategories), each family's value type (@string, @hash, ...), the
// few commands Redis marks beyond that (@dangerous ones, SORT's three types), raftis's own
// @raft for RAFT.*, and the subcommands of container commands (CLIENT, CONFIG, ACL, ...),
// whose categories Redis gives per subcommand. COMMAND INFO prints these, and ACL rules
// (+@read, -@dangerous) select commands by them.

import type { CommandSpec } from '../command-spec.js';
import { stringCommands } from '../string-commands.js';
import { keyCommands } from '../key-commands.js';
import { expireCommands } from '../expire-commands.js';
import { hashCommands } from '../hash-commands.js';
import { zsetCommands } from '../zset-commands.js';
import { setCommands } from '../set-commands.js';
import { listCommands } from '../list-commands.js';
import { zsetBlockingCommands } from '../zset-blocking-commands.js';
import { bitmapCommands } from '../bitmap-commands.js';
import { bitfieldCommands } from '../bitfield-commands.js';
import { lcsCommands } from '../lcs-command.js';
import { hyperloglogCommands } from '../hyperloglog-commands.js';
import { copyCommands } from '../copy-command.js';
import { geoCommands } from '../geo-commands.js';
import { scriptCommands } from '../script-commands.js';
import { functionCommands } from '../function-commands.js';
import { streamCommands } from '../stream-commands.js';
import { streamGroupCommands } from '../stream-group-commands.js';
import { streamInfoCommands } from '../stream-info-commands.js';
import { dumpCommands } from '../dump-commands.js';

/** Redis 7.0's categories in its order (ACL CAT, COMMAND INFO), then raftis's own. */
export const ACL_CATEGORIES = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream',
  'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting', 'raft',
] as const;
export type AclCategory = (typeof ACL_CATEGORIES)[number];

const categoryOrder = new Map<string, number>(ACL_CATEGORIES.map((name, index) => [name, index]));

export function isAclCategory(name: string): name is AclCategory {
  return categoryOrder.has(name);
}

/** Each data family's rows with its value type's category. */
const typeFamilies: readonly (readonly [readonly CommandSpec[], AclCategory])[] = [
  [stringCommands, 'string'], [lcsCommands, 'string'], [keyCommands, 'keyspace'], [expireCommands, 'keyspace'], [copyCommands, 'keyspace'],
  [hashCommands, 'hash'], [zsetCommands, 'sortedset'], [zsetBlockingCommands, 'sortedset'], [setCommands, 'set'], [listCommands, 'list'],
  [bitmapCommands, 'bitmap'], [bitfieldCommands, 'bitmap'], [hyperloglogCommands, 'hyperloglog'], [geoCommands, 'geo'], [scriptCommands, 'scripting'], [functionCommands, 'scripting'],
  [streamCommands, 'stream'], [streamGroupCommands, 'stream'], [streamInfoCommands, 'stream'], [dumpCommands, 'keyspace'],
];

/**
 * Categories beyond the flags and the family: Redis's @dangerous commands, SORT (three
 * types), pub/sub, and the server rows' type (connection, transaction).
 */
const namedCategories: ReadonlyMap<string, readonly AclCategory[]> = new Map<string, readonly AclCategory[]>([
  ...typeFamilies.flatMap(([rows, category]) => rows.map((row) => [row.name, [category]] as const)),
  ['keys', ['keyspace', 'dangerous']], ['flushdb', ['keyspace', 'dangerous']], ['flushall', ['keyspace', 'dangerous']],
  ['sort', ['set', 'sortedset', 'list', 'dangerous']], ['sort_ro', ['set', 'sortedset', 'list', 'dangerous']],
  ['pfdebug', ['hyperloglog', 'admin', 'dangerous']], ['pfselftest', ['hyperloglog', 'admin', 'dangerous']],
  ['publish', ['pubsub']], ['spublish', ['pubsub']], ['subscribe', ['pubsub']], ['ssubscribe', ['pubsub']], ['psubscribe', ['pubsub']],
  ['unsubscribe', ['pubsub']], ['sunsubscribe', ['pubsub']], ['punsubscribe', ['pubsub']],
  ['info', ['dangerous']], ['lastsave', ['admin', 'dangerous']], ['role', ['admin', 'dangerous']], ['wait', ['connection']], ['restore', ['keyspace', 'dangerous']],
  ['ping', ['connection']], ['echo', ['connection']], ['hello', ['connection']], ['auth', ['connection']], ['select', ['connection']],
  ['quit', ['connection']], ['reset', ['connection']],
  ['multi', ['transaction']], ['exec', ['transaction']], ['discard', ['transaction']], ['watch', ['transaction']], ['unwatch', ['transaction']],
]);

const adminCategories: readonly AclCategory[] = ['admin', 'slow', 'dangerous'];
const connectionAdmin: readonly AclCategory[] = ['admin', 'slow', 'dangerous', 'connection'];
const connectionSlow: readonly AclCategory[] = ['slow', 'connection'];
const scriptingSlow: readonly AclCategory[] = ['slow', 'scripting'];
const streamWrite: readonly AclCategory[] = ['write', 'stream', 'slow'];
const streamRead: readonly AclCategory[] = ['read', 'stream', 'slow'];
const keyspaceRead: readonly AclCategory[] = ['keyspace', 'read', 'slow'];
const pubsubSlow: readonly AclCategory[] = ['pubsub', 'slow'];

/**
 * Commands whose read or write flag is the state machine's business (a script is one entry,
 * PFSELFTEST reads nothing) but not an ACL category, as in Redis: +@write does not allow EVAL.
 */
const noAccessCategory: ReadonlySet<string> = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro', 'pfselftest']);
const scriptingWrite: readonly AclCategory[] = ['write', 'slow', 'scripting'];

/** Container commands: the container's own categories and each subcommand's, as Redis 7.0's COMMAND INFO lists them. */
const containers: ReadonlyMap<string, { readonly own: readonly AclCategory[]; readonly subcommands: Readonly<Record<string, readonly AclCategory[]>> }> = new Map([
  ['acl', {
    own: ['slow'],
    subcommands: {
      cat: ['slow'], deluser: adminCategories, dryrun: adminCategories, genpass: ['slow'], getuser: adminCategories, help: ['slow'],
      list: adminCategories, load: adminCategories, log: adminCategories, save: adminCategories, setuser: adminCategories,
      users: adminCategories, whoami: ['slow'],
    },
  }],
  ['client', {
    own: ['slow'],
    subcommands: {
      getname: connectionSlow, help: connectionSlow, id: connectionSlow, info: connectionSlow, kill: connectionAdmin, list: connectionAdmin,
      'no-evict': connectionAdmin, setinfo: connectionSlow, setname: connectionSlow, unblock: connectionAdmin,
    },
  }],
  ['command', {
    own: ['slow', 'connection'],
    subcommands: { count: connectionSlow, docs: connectionSlow, getkeys: connectionSlow, getkeysandflags: connectionSlow, help: connectionSlow, info: connectionSlow, list: connectionSlow },
  }],
  ['cluster', {
    own: ['slow'],
    subcommands: {
      addslots: adminCategories, addslotsrange: adminCategories, bumpepoch: adminCategories, 'count-failure-reports': adminCategories,
      countkeysinslot: ['slow'], delslots: adminCategories, delslotsrange: adminCategories, failover: adminCategories, flushslots: adminCategories,
      forget: adminCategories, getkeysinslot: ['slow'], help: ['slow'], info: ['slow'], keyslot: ['slow'], links: ['slow'], meet: adminCategories,
      myid: ['slow'], nodes: ['slow'], replicas: adminCategories, replicate: adminCategories, reset: adminCategories, saveconfig: adminCategories,
      'set-config-epoch': adminCategories, setslot: adminCategories, shards: ['slow'], slaves: adminCategories, slots: ['slow'],
    },
  }],
  ['config', { own: ['slow'], subcommands: { get: adminCategories, help: ['slow'], resetstat: adminCategories, rewrite: adminCategories, set: adminCategories } }],
  ['memory', { own: ['slow'], subcommands: { doctor: ['slow'], help: ['slow'], 'malloc-stats': ['slow'], purge: ['slow'], stats: ['slow'], usage: ['read', 'slow'] } }],
  ['script', { own: ['slow'], subcommands: { exists: scriptingSlow, flush: scriptingSlow, help: scriptingSlow, kill: scriptingSlow, load: scriptingSlow } }],
  ['xgroup', {
    own: ['slow'],
    subcommands: { create: streamWrite, createconsumer: streamWrite, delconsumer: streamWrite, destroy: streamWrite, help: ['stream', 'slow'], setid: streamWrite },
  }],
  ['xinfo', { own: ['slow'], subcommands: { consumers: streamRead, groups: streamRead, help: ['stream', 'slow'], stream: streamRead } }],
  ['object', {
    own: ['slow'],
    subcommands: { encoding: keyspaceRead, freq: keyspaceRead, help: ['keyspace', 'slow'], idletime: keyspaceRead, refcount: keyspaceRead },
  }],
  ['slowlog', { own: ['slow'], subcommands: { get: adminCategories, help: ['slow'], len: adminCategories, reset: adminCategories } }],
  ['latency', {
    own: ['slow'],
    subcommands: {
      doctor: adminCategories, graph: adminCategories, help: ['slow'], histogram: adminCategories, history: adminCategories, latest: adminCategories,
      reset: adminCategories,
    },
  }],
  ['pubsub', {
    own: ['slow'],
    subcommands: { channels: pubsubSlow, help: ['slow'], numpat: pubsubSlow, numsub: pubsubSlow, shardchannels: pubsubSlow, shardnumsub: pubsubSlow },
  }],
  ['function', {
    own: ['slow'],
    subcommands: {
      delete: scriptingWrite, dump: scriptingSlow, flush: scriptingWrite, help: scriptingSlow, kill: scriptingSlow, list: scriptingSlow,
      load: scriptingWrite, restore: scriptingWrite, stats: scriptingSlow,
    },
  }],
]);

/** What categories are derived from: a row's name and flags. */
export interface CategorizedRow {
  readonly name: string;
  readonly flags: readonly string[];
}

/** A row's categories in Redis's order, without the '@'. */
export function commandCategories(row: CategorizedRow): AclCategory[] {
  const container = containers.get(row.name);
  if (container !== undefined) return sortCategories(container.own);
  const out = new Set<AclCategory>(namedCategories.get(row.name) ?? []);
  const flags = row.flags;
  if (flags.includes('write') && !noAccessCategory.has(row.name)) out.add('write');
  if (flags.includes('readonly') && !noAccessCategory.has(row.name)) out.add('read');
  if (flags.includes('admin')) {
    out.add('admin');
    out.add('dangerous');
  }
  if (flags.includes('blocking')) out.add('blocking');
  if (flags.includes('pubsub')) out.add('pubsub');
  out.add(flags.includes('fast') ? 'fast' : 'slow');
  if (row.name.startsWith('raft.')) out.add('raft');
  return sortCategories([...out]);
}

/** The subcommands of a container command with their categories; null for other commands. */
/** Whether `name` (lowercase) is a container command, counted by subcommand (CONFIG, XGROUP, ...). */
export function isContainerCommand(name: string): boolean {
  return containers.has(name);
}

export function subcommandCategories(name: string): ReadonlyMap<string, AclCategory[]> | null {
  const container = containers.get(name);
  if (container === undefined) return null;
  return new Map(Object.entries(container.subcommands).map(([sub, categories]) => [sub, sortCategories(categories)]));
}

function sortCategories(categories: readonly AclCategory[]): AclCategory[] {
  return [...categories].sort((a, b) => (categoryOrder.get(a) ?? 0) - (categoryOrder.get(b) ?? 0));
}
