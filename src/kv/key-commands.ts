// Generic key commands: DEL, UNLINK, EXISTS, TYPE, RENAME(NX), KEYS, SCAN, RANDOMKEY, DBSIZE,
// FLUSHDB/FLUSHALL, and the internal RAFTIS.EXPIRE used by the leader's active expiry.
// Semantics and error texts follow Redis 7 (db.c).

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { allKeys, arg, command, noKeys, oneKey, type CommandSpec } from './command-spec.js';
import type { KeyEntry } from './keyspace.js';
import { globMatch } from './glob.js';
import { parseScanCount, parseScanCursor, scanCountDefault } from './collection-scan.js';
import { isKeyword } from './integer-parse.js';
import { randomSeed } from './random-picks.js';
import {
  bulkReply, bulkText, errorReply, integerReply, nilReply, noSuchKeyError, okReply, oneReply,
  syntaxError, zeroReply,
} from './replies.js';


export function delCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  let deleted = 0;
  for (let j = 1; j < argv.length; j++) {
    const entry = context.lookup(arg(argv, j));
    if (entry === undefined) continue;
    context.delete(entry);
    deleted++;
  }
  return integerReply(deleted);
}

export function existsCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  let found = 0;
  for (let j = 1; j < argv.length; j++) if (context.lookup(arg(argv, j)) !== undefined) found++;
  return integerReply(found);
}

function typeName(entry: KeyEntry | undefined): string {
  return entry === undefined ? 'none' : entry.valueType;
}

export function typeCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return { kind: 'simple', value: typeName(context.lookup(arg(argv, 1))) };
}

function renameGeneric(context: CommandContext, argv: readonly Uint8Array[], onlyIfAbsent: boolean): Reply {
  const source = context.lookup(arg(argv, 1));
  if (source === undefined) return noSuchKeyError;
  const targetKey = arg(argv, 2);
  if (Buffer.from(arg(argv, 1)).equals(targetKey)) return onlyIfAbsent ? zeroReply : okReply;
  const target = context.lookup(targetKey);
  if (target !== undefined) {
    if (onlyIfAbsent) return zeroReply;
    context.delete(target);
  }
  const { value, expireAtMs } = source;
  context.delete(source);
  context.keyspace.create(targetKey, value, expireAtMs);
  return onlyIfAbsent ? oneReply : okReply;
}

export function renameCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return renameGeneric(context, argv, false);
}

export function renamenxCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return renameGeneric(context, argv, true);
}

/** KEYS: every live key matching the pattern, in creation order (Redis's order is its hash table's). */
export function keysCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const pattern = arg(argv, 1);
  const matchAll = pattern.length === 1 && pattern[0] === 0x2a;
  const keys: Reply[] = [];
  for (const entry of context.keyspace.values()) {
    if (entry.expireAtMs <= context.nowMs) continue;
    const key = entry.key;
    if (matchAll || globMatch(pattern, key)) keys.push(bulkReply(key));
  }
  return { kind: 'array', value: keys };
}

interface ScanOptions {
  cursor: number;
  pattern: Uint8Array | null;
  count: number;
  type: string | null;
}

/**
 * SCAN's cursor is the creation stamp to continue from (0 = start/done). Keys are walked in
 * creation order, so a key present for the whole iteration is returned exactly once; keys
 * created meanwhile are returned (they sort after the cursor). Like Redis, MATCH and TYPE
 * filter after the COUNT slots were visited, so a call may return fewer keys than COUNT.
 */
function parseScan(argv: readonly Uint8Array[]): ScanOptions | Reply {
  // A negative cursor wraps around in C to a huge one; here it is one past every stamp (an empty page).
  const cursor = parseScanCursor(arg(argv, 1));
  if (cursor === null) return errorReply('ERR invalid cursor');
  const options: ScanOptions = { cursor, pattern: null, count: scanCountDefault, type: null };
  for (let j = 2; j < argv.length; j += 2) {
    const option = arg(argv, j);
    if (j + 1 >= argv.length) return syntaxError;
    const value = arg(argv, j + 1);
    if (isKeyword(option, 'count')) {
      const count = parseScanCount(value);
      if (typeof count !== 'number') return count;
      options.count = count;
    } else if (isKeyword(option, 'match')) {
      options.pattern = value;
    } else if (isKeyword(option, 'type')) {
      options.type = Buffer.from(value).toString('latin1').toLowerCase();
    } else {
      return syntaxError;
    }
  }
  return options;
}

export function validateScan(argv: readonly Uint8Array[]): Reply | null {
  const options = parseScan(argv);
  return 'kind' in options ? options : null;
}

export function scanCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const options = parseScan(argv);
  if ('kind' in options) return options;
  const keys: Reply[] = [];
  // Like Redis, a lone '*' matches every key (stringmatchlen would refuse the empty key).
  const pattern = options.pattern !== null && !(options.pattern.length === 1 && options.pattern[0] === 0x2a) ? options.pattern : null;
  const next = context.keyspace.walk(options.cursor, options.count, (entry) => {
    if (entry.expireAtMs <= context.nowMs) return;
    if (options.type !== null && entry.valueType !== options.type) return;
    const key = entry.key;
    if (pattern !== null && !globMatch(pattern, key)) return;
    keys.push(bulkReply(key));
  });
  return { kind: 'array', value: [bulkText(String(next)), { kind: 'array', value: keys }] };
}

/** Tries this many seeded picks before giving up on finding a key that is not expired. */
const randomKeyAttemptsMax = 100;

/**
 * RANDOMKEY: inside apply, a key chosen by a seed derived from the entry, the same on every
 * replica; for a client's read, drawn from this node's slots with the read count mixed into
 * the seed, so repeated reads at one read point draw different keys, about uniformly.
 */
export function randomkeyCommand(context: CommandContext, _argv: readonly Uint8Array[]): Reply {
  const seed = randomSeed(context);
  const keyspace = context.keyspace;
  for (let attempt = 0; attempt < randomKeyAttemptsMax; attempt++) {
    const draw = seed + attempt * 0x9e3779b1;
    const entry = context.readSalt === 0 ? keyspace.pick(draw) : keyspace.pickLocal(draw);
    if (entry === undefined) return nilReply;
    if (entry.expireAtMs > context.nowMs) return bulkReply(entry.key);
  }
  return nilReply;
}

/** DBSIZE counts stored keys, including expired ones not yet removed (as Redis does). */
export function dbsizeCommand(context: CommandContext, _argv: readonly Uint8Array[]): Reply {
  return integerReply(context.keyspace.size);
}

export function validateFlush(argv: readonly Uint8Array[]): Reply | null {
  if (argv.length > 2) return syntaxError;
  const mode = argv[1];
  if (mode !== undefined && !isKeyword(mode, 'async') && !isKeyword(mode, 'sync')) return syntaxError;
  return null;
}

export function flushCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const invalid = validateFlush(argv);
  if (invalid !== null) return invalid;
  context.assertWritable('flush');
  context.keyspace.clear(context.nowMs);
  context.events?.flushed();
  return okReply;
}

/** The internal command the leader proposes for active expiry. */
export const raftisExpireCommandName = 'raftis.expire';

/** RAFTIS.EXPIRE key…: deletes each key only if it is expired at this entry's time. */
export function raftisExpireCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  let expired = 0;
  for (let j = 1; j < argv.length; j++) {
    const entry = context.keyspace.raw(arg(argv, j));
    if (entry === undefined || entry.expireAtMs > context.nowMs) continue;
    context.expireNow(entry);
    expired++;
  }
  return integerReply(expired);
}

export const keyCommands: readonly CommandSpec[] = [
  command('del', -2, ['write'], allKeys, delCommand),
  command('unlink', -2, ['write', 'fast'], allKeys, delCommand),
  command('exists', -2, ['readonly', 'fast'], allKeys, existsCommand),
  // Redis's TOUCH also refreshes the keys' access time; raftis keeps no access times (its
  // LRU policies go by write recency), so it counts the keys that exist, as Redis answers.
  command('touch', -2, ['readonly', 'fast'], allKeys, existsCommand),
  command('type', 2, ['readonly', 'fast'], oneKey, typeCommand),
  command('rename', 3, ['write'], [1, 2, 1], renameCommand),
  command('renamenx', 3, ['write', 'fast'], [1, 2, 1], renamenxCommand),
  command('keys', 2, ['readonly'], noKeys, keysCommand),
  command('scan', -2, ['readonly'], noKeys, scanCommand, validateScan),
  command('randomkey', 1, ['readonly', 'random'], noKeys, randomkeyCommand),
  command('dbsize', 1, ['readonly', 'fast'], noKeys, dbsizeCommand),
  command('flushdb', -1, ['write'], noKeys, flushCommand, validateFlush),
  command('flushall', -1, ['write'], noKeys, flushCommand, validateFlush),
  command(raftisExpireCommandName, -2, ['write', 'internal', 'fast'], allKeys, raftisExpireCommand),
];
