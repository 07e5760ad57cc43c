// The command table, like Redis's: name, arity, flags, key positions, handler, and the
// state-free pre-check. Arity and key positions match Redis 7's COMMAND output.

import type { Reply } from './reply.js';
import type { CommandFlag, CommandHandler, CommandSpec } from './command-spec.js';
import { arityError } from './replies.js';
import * as strings from './string-commands.js';
import * as keys from './key-commands.js';
import * as expires from './expire-commands.js';

/** The internal command the leader proposes for active expiry. */
export const raftisExpireCommandName = 'raftis.expire';

function command(
  name: string, arity: number, flags: readonly CommandFlag[], keyPositions: readonly [number, number, number],
  handler: CommandHandler, validate?: (argv: readonly Uint8Array[]) => Reply | null,
): CommandSpec {
  const [firstKey, lastKey, step] = keyPositions;
  return validate === undefined
    ? { name, arity, flags, firstKey, lastKey, step, handler }
    : { name, arity, flags, firstKey, lastKey, step, handler, validate };
}

const oneKey = [1, 1, 1] as const;
const allKeys = [1, -1, 1] as const;
const noKeys = [0, 0, 0] as const;

export const commandTable: readonly CommandSpec[] = [
  // strings
  command('get', 2, ['readonly', 'fast'], oneKey, strings.getCommand),
  command('set', -3, ['write', 'denyoom'], oneKey, strings.setCommand, strings.validateSet),
  command('setnx', 3, ['write', 'denyoom', 'fast'], oneKey, strings.setnxCommand),
  command('setex', 4, ['write', 'denyoom'], oneKey, strings.setexCommand, strings.validateSetex),
  command('psetex', 4, ['write', 'denyoom'], oneKey, strings.psetexCommand, strings.validatePsetex),
  command('getset', 3, ['write', 'denyoom', 'fast'], oneKey, strings.getsetCommand),
  command('getdel', 2, ['write', 'fast'], oneKey, strings.getdelCommand),
  command('getex', -2, ['write', 'fast'], oneKey, strings.getexCommand, strings.validateGetex),
  command('mget', -2, ['readonly', 'fast'], allKeys, strings.mgetCommand),
  command('mset', -3, ['write', 'denyoom'], [1, -1, 2], strings.msetCommand, strings.validateMset),
  command('msetnx', -3, ['write', 'denyoom'], [1, -1, 2], strings.msetnxCommand, strings.validateMsetnx),
  command('append', 3, ['write', 'denyoom', 'fast'], oneKey, strings.appendCommand),
  command('strlen', 2, ['readonly', 'fast'], oneKey, strings.strlenCommand),
  command('getrange', 4, ['readonly'], oneKey, strings.getrangeCommand, strings.validateGetrange),
  command('setrange', 4, ['write', 'denyoom'], oneKey, strings.setrangeCommand, strings.validateSetrange),
  command('incr', 2, ['write', 'denyoom', 'fast'], oneKey, strings.incrCommand),
  command('decr', 2, ['write', 'denyoom', 'fast'], oneKey, strings.decrCommand),
  command('incrby', 3, ['write', 'denyoom', 'fast'], oneKey, strings.incrbyCommand, strings.validateIncrby),
  command('decrby', 3, ['write', 'denyoom', 'fast'], oneKey, strings.decrbyCommand, strings.validateDecrby),
  command('incrbyfloat', 3, ['write', 'denyoom', 'fast'], oneKey, strings.incrbyfloatCommand),
  // keys
  command('del', -2, ['write'], allKeys, keys.delCommand),
  command('unlink', -2, ['write', 'fast'], allKeys, keys.delCommand),
  command('exists', -2, ['readonly', 'fast'], allKeys, keys.existsCommand),
  command('type', 2, ['readonly', 'fast'], oneKey, keys.typeCommand),
  command('rename', 3, ['write'], [1, 2, 1], keys.renameCommand),
  command('renamenx', 3, ['write', 'fast'], [1, 2, 1], keys.renamenxCommand),
  command('keys', 2, ['readonly'], noKeys, keys.keysCommand),
  command('scan', -2, ['readonly'], noKeys, keys.scanCommand, keys.validateScan),
  command('randomkey', 1, ['readonly', 'random'], noKeys, keys.randomkeyCommand),
  command('dbsize', 1, ['readonly', 'fast'], noKeys, keys.dbsizeCommand),
  command('flushdb', -1, ['write'], noKeys, keys.flushCommand, keys.validateFlush),
  command('flushall', -1, ['write'], noKeys, keys.flushCommand, keys.validateFlush),
  // expiry
  command('expire', -3, ['write', 'fast'], oneKey, expires.expireCommand, expires.validateExpire),
  command('pexpire', -3, ['write', 'fast'], oneKey, expires.pexpireCommand, expires.validatePexpire),
  command('expireat', -3, ['write', 'fast'], oneKey, expires.expireatCommand, expires.validateExpireat),
  command('pexpireat', -3, ['write', 'fast'], oneKey, expires.pexpireatCommand, expires.validatePexpireat),
  command('ttl', 2, ['readonly', 'fast'], oneKey, expires.ttlCommand),
  command('pttl', 2, ['readonly', 'fast'], oneKey, expires.pttlCommand),
  command('expiretime', 2, ['readonly', 'fast'], oneKey, expires.expiretimeCommand),
  command('pexpiretime', 2, ['readonly', 'fast'], oneKey, expires.pexpiretimeCommand),
  command('persist', 2, ['write', 'fast'], oneKey, expires.persistCommand),
  // internal
  command(raftisExpireCommandName, -2, ['write', 'internal', 'fast'], allKeys, keys.raftisExpireCommand),
];

const byName = new Map<string, CommandSpec>(commandTable.map((spec) => [spec.name, spec]));

/** Case-insensitive lookup by command name. */
export function lookupCommand(name: Uint8Array | string): CommandSpec | undefined {
  const text = typeof name === 'string' ? name : Buffer.from(name.buffer, name.byteOffset, name.byteLength).toString('latin1');
  return byName.get(text.toLowerCase());
}

/** Redis's arity rule: exact for positive arity, at least |arity| for negative. */
export function checkArity(spec: CommandSpec, argv: readonly Uint8Array[]): Reply | null {
  const count = argv.length;
  if ((spec.arity > 0 && count !== spec.arity) || count < -spec.arity) return arityError(spec.name);
  return null;
}

/**
 * Errors a command can be rejected with before it is proposed: unknown command excepted
 * (the server words that one), arity and state-free argument checks. Null = looks valid.
 * The same checks run again in apply, so skipping this changes nothing but latency.
 */
export function validateCommand(argv: readonly Uint8Array[]): Reply | null {
  const name = argv[0];
  if (name === undefined) return { kind: 'error', message: 'ERR empty command' };
  const spec = lookupCommand(name);
  if (spec === undefined) return null;
  return checkArity(spec, argv) ?? (spec.validate === undefined ? null : spec.validate(argv));
}
