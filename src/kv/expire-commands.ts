// Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (NX/XX/GT/LT), TTL, PTTL, PERSIST,
// EXPIRETIME, PEXPIRETIME. Semantics and error texts follow Redis 7 (expire.c). "Now" is
// the entry's cluster time for writes and the read point's cluster time for reads.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, command, oneKey, type CommandSpec } from './command-spec.js';
import { noExpiry } from './keyspace.js';
import { int64Max, int64Min, isKeyword } from './integer-parse.js';
import { expireCommandAt, type ExpireUnit } from './expire-time.js';
import { errorReply, integerReply, oneReply, zeroReply } from './replies.js';


interface ExpireFlags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
}

function parseExpireFlags(argv: readonly Uint8Array[]): ExpireFlags | Reply {
  const flags: ExpireFlags = { nx: false, xx: false, gt: false, lt: false };
  for (let j = 3; j < argv.length; j++) {
    const option = arg(argv, j);
    if (isKeyword(option, 'nx')) flags.nx = true;
    else if (isKeyword(option, 'xx')) flags.xx = true;
    else if (isKeyword(option, 'gt')) flags.gt = true;
    else if (isKeyword(option, 'lt')) flags.lt = true;
    // Redis prints the option with %s, which ends at a NUL byte.
    else return errorReply(`ERR Unsupported option ${Buffer.from(option).toString('latin1').split('\0', 1)[0] ?? ''}`);
  }
  if (flags.nx && (flags.xx || flags.gt || flags.lt)) {
    return errorReply('ERR NX and XX, GT or LT options at the same time are not compatible');
  }
  if (flags.gt && flags.lt) return errorReply('ERR GT and LT options at the same time are not compatible');
  return flags;
}

function isReply(value: unknown): value is Reply {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

function expireGeneric(context: CommandContext, argv: readonly Uint8Array[], relative: boolean, unit: ExpireUnit, commandName: string): Reply {
  const flags = parseExpireFlags(argv);
  if (isReply(flags)) return flags;
  const when = expireCommandAt(arg(argv, 2), unit, relative ? context.nowMs : 0, commandName);
  if (isReply(when)) return when;
  const entry = context.lookup(arg(argv, 1));
  if (entry === undefined) return zeroReply;
  const current = entry.expireAtMs;
  if (flags.nx && current !== noExpiry) return zeroReply;
  if (flags.xx && current === noExpiry) return zeroReply;
  if (flags.gt && (current === noExpiry || when <= current)) return zeroReply;
  if (flags.lt && current !== noExpiry && when >= current) return zeroReply;
  if (when <= context.nowMs) context.expireNow(entry);
  else context.keyspace.setExpiry(entry, when);
  return oneReply;
}

function validateExpireWith(unit: ExpireUnit, commandName: string) {
  return (argv: readonly Uint8Array[]): Reply | null => {
    const flags = parseExpireFlags(argv);
    if (isReply(flags)) return flags;
    // Base 0 checks the integer and the unit conversion; the overflow of adding "now" to a
    // relative time needs the entry's time and is left to apply.
    const when = expireCommandAt(arg(argv, 2), unit, 0, commandName);
    return isReply(when) ? when : null;
  };
}

export const validateExpire = validateExpireWith('seconds', 'expire');
export const validatePexpire = validateExpireWith('milliseconds', 'pexpire');
export const validateExpireat = validateExpireWith('seconds', 'expireat');
export const validatePexpireat = validateExpireWith('milliseconds', 'pexpireat');

export function expireCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return expireGeneric(context, argv, true, 'seconds', 'expire');
}

export function pexpireCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return expireGeneric(context, argv, true, 'milliseconds', 'pexpire');
}

export function expireatCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return expireGeneric(context, argv, false, 'seconds', 'expireat');
}

export function pexpireatCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return expireGeneric(context, argv, false, 'milliseconds', 'pexpireat');
}

/**
 * A time in ms as Redis's 64-bit reply: expiries are stored as doubles (expire-time.ts), so
 * one set near 2^63 may read back a little above it; the reply stays within int64.
 */
function int64MsReply(ms: number): Reply {
  if (Number.isSafeInteger(ms)) return integerReply(ms);
  const exact = BigInt(Math.trunc(ms));
  return integerReply(exact > int64Max ? int64Max : exact < int64Min ? int64Min : exact);
}

function ttlGeneric(context: CommandContext, argv: readonly Uint8Array[], milliseconds: boolean): Reply {
  const entry = context.lookup(arg(argv, 1));
  if (entry === undefined) return integerReply(-2);
  if (entry.expireAtMs === noExpiry) return integerReply(-1);
  const ttl = Math.max(0, entry.expireAtMs - context.nowMs);
  return int64MsReply(milliseconds ? ttl : Math.floor((ttl + 500) / 1000));
}

export function ttlCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return ttlGeneric(context, argv, false);
}

export function pttlCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return ttlGeneric(context, argv, true);
}

function expiretimeGeneric(context: CommandContext, argv: readonly Uint8Array[], milliseconds: boolean): Reply {
  const entry = context.lookup(arg(argv, 1));
  if (entry === undefined) return integerReply(-2);
  if (entry.expireAtMs === noExpiry) return integerReply(-1);
  return int64MsReply(milliseconds ? entry.expireAtMs : Math.floor((entry.expireAtMs + 500) / 1000));
}

export function expiretimeCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return expiretimeGeneric(context, argv, false);
}

export function pexpiretimeCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  return expiretimeGeneric(context, argv, true);
}

export function persistCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const entry = context.lookup(arg(argv, 1));
  if (entry === undefined || entry.expireAtMs === noExpiry) return zeroReply;
  context.keyspace.setExpiry(entry, noExpiry);
  return oneReply;
}

export const expireCommands: readonly CommandSpec[] = [
  command('expire', -3, ['write', 'fast'], oneKey, expireCommand, validateExpire),
  command('pexpire', -3, ['write', 'fast'], oneKey, pexpireCommand, validatePexpire),
  command('expireat', -3, ['write', 'fast'], oneKey, expireatCommand, validateExpireat),
  command('pexpireat', -3, ['write', 'fast'], oneKey, pexpireatCommand, validatePexpireat),
  command('ttl', 2, ['readonly', 'fast'], oneKey, ttlCommand),
  command('pttl', 2, ['readonly', 'fast'], oneKey, pttlCommand),
  command('expiretime', 2, ['readonly', 'fast'], oneKey, expiretimeCommand),
  command('pexpiretime', 2, ['readonly', 'fast'], oneKey, pexpiretimeCommand),
  command('persist', 2, ['write', 'fast'], oneKey, persistCommand),
];
