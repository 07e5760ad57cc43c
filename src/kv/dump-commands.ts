// DUMP and RESTORE, as Redis 7 answers them (cluster.c): DUMP serializes a value in Redis's
// own payload format (rdb/: RDB value encoding, version 10, CRC-64), so values move between
// raftis and Redis both ways; RESTORE creates a key from such a payload. RESTORE is a write
// decided in the log: the payload is checked and decoded in apply, after the BUSYKEY check,
// in Redis's order. IDLETIME sets the new key's access time (node-local: each node's own clock
// less the seconds given, as Redis under a non-LFU policy); raftis keeps no access frequency
// (it has no LFU policy), so FREQ is checked and then has no effect.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, command, oneKey, parsedCommand, type CommandSpec } from './command-spec.js';
import { isKeyword, parseInt64 } from './integer-parse.js';
import { DecodeError } from './binary.js';
import { bulkReply, CommandError, errorReply, nilReply, notIntegerError, okReply, syntaxError } from './replies.js';
import { createDumpPayload, readDumpPayload, verifyDumpPayload } from './rdb/index.js';
import type { Value } from './value.js';
import { stringBytesMax } from './string-bits.js';

const busyKeyError = errorReply('BUSYKEY Target key name already exists.');
const payloadError = errorReply('ERR DUMP payload version or checksum are wrong');
const badFormatError = errorReply('ERR Bad data format');

function dump(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const entry = context.lookup(arg(argv, 1));
  return entry === undefined ? nilReply : bulkReply(createDumpPayload(entry.value));
}

interface RestoreRequest {
  readonly key: Uint8Array;
  readonly ttl: Uint8Array;
  readonly payload: Uint8Array;
  readonly replace: boolean;
  readonly absoluteTtl: boolean;
  /** Seconds the key counts as idle (IDLETIME), or null. */
  readonly idleSeconds: number | null;
}

function parseCount(bytes: Uint8Array): bigint {
  const value = parseInt64(bytes);
  if (value === null) throw new CommandError(notIntegerError);
  return value;
}

/** The options, checked as Redis checks them before it looks at the key (IDLETIME and FREQ exclude each other). */
function parseRestore(argv: readonly Uint8Array[]): RestoreRequest {
  let replace = false;
  let absoluteTtl = false;
  let idle = false;
  let idleSeconds: number | null = null;
  let frequency = false;
  for (let j = 4; j < argv.length; j++) {
    const option = arg(argv, j);
    const more = j + 1 < argv.length;
    if (isKeyword(option, 'replace')) replace = true;
    else if (isKeyword(option, 'absttl')) absoluteTtl = true;
    else if (isKeyword(option, 'idletime') && more && !frequency) {
      const seconds = parseCount(arg(argv, ++j));
      if (seconds < 0n) throw new CommandError(errorReply('ERR Invalid IDLETIME value, must be >= 0'));
      idle = true;
      idleSeconds = Number(seconds);
    } else if (isKeyword(option, 'freq') && more && !idle) {
      const value = parseCount(arg(argv, ++j));
      if (value < 0n || value > 255n) throw new CommandError(errorReply('ERR Invalid FREQ value, must be >= 0 and <= 255'));
      frequency = true;
    } else {
      throw new CommandError(syntaxError);
    }
  }
  return { key: arg(argv, 1), ttl: arg(argv, 2), payload: arg(argv, 3), replace, absoluteTtl, idleSeconds };
}

function decodePayload(context: CommandContext, payload: Uint8Array): Value {
  if (!verifyDumpPayload(payload)) throw new CommandError(payloadError);
  try {
    return readDumpPayload(payload, stringBytesMax(context));
  } catch (error) {
    if (error instanceof DecodeError) throw new CommandError(badFormatError);
    throw error;
  }
}

function restore(context: CommandContext, request: RestoreRequest): Reply {
  const existing = context.lookup(request.key);
  if (existing !== undefined && !request.replace) return busyKeyError;
  const ttl = parseCount(request.ttl);
  if (ttl < 0n) return errorReply('ERR Invalid TTL value, must be >= 0');
  const value = decodePayload(context, request.payload);
  if (existing !== undefined) context.delete(existing);
  const expireAtMs = ttl === 0n ? Number.POSITIVE_INFINITY : Number(ttl) + (request.absoluteTtl ? 0 : context.nowMs);
  // A time already past: the key is not created (an old one was still replaced), as in Redis.
  if (context.isDue(expireAtMs)) return okReply;
  const entry = context.keyspace.create(request.key, value, expireAtMs);
  if (request.idleSeconds !== null) context.keyspace.setIdle(entry, request.idleSeconds);
  return okReply;
}

export const dumpCommands: readonly CommandSpec[] = [
  command('dump', 2, ['readonly'], oneKey, dump),
  parsedCommand('restore', -4, ['write', 'denyoom'], oneKey, parseRestore, restore),
];
