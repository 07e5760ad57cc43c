// OBJECT ENCODING's and REFCOUNT's answers: what Redis 7.0 would say for the same value.
// raftis keeps one representation per type, so the encoding is decided from the value and
// the node's encoding thresholds (Redis's CONFIG settings of the same names), which the
// server passes in. The internal read RAFTIS.OBJECT-ENCODING key hashEntries hashValue
// zsetEntries zsetValue intsetEntries answers [encoding, refcount, idle seconds], or nil for
// no key (the server's OBJECT command sends it at a read point). It leaves the key's access
// time as it was, as Redis's OBJECT does.

import type { CommandContext } from './command-context.js';
import { arg, command, oneKey, type CommandSpec } from './command-spec.js';
import { parseInt64 } from './integer-parse.js';
import type { Reply } from './reply.js';
import { bulkText, nilReply, notIntegerError } from './replies.js';
import type { HashValue } from './hash-value.js';
import type { SetValue } from './set-value.js';
import type { ZSetValue } from './zset-value.js';

export const objectEncodingCommandName = 'raftis.object-encoding';

export interface EncodingThresholds {
  readonly hashEntries: number;
  readonly hashValue: number;
  readonly zsetEntries: number;
  readonly zsetValue: number;
  readonly intsetEntries: number;
}

/** Redis keeps strings of up to 44 bytes in one allocation with the object header. */
const EMBSTR_BYTES_MAX = 44;

/** A string Redis stores as an integer: a canonical int64 of at most 20 characters. */
function isIntegerString(text: string): boolean {
  if (text.length === 0 || text.length > 20) return false;
  const value = parseInt64(Buffer.from(text, 'latin1'));
  return value !== null && String(value) === text;
}

function longestAtMost(strings: Iterable<string>, limit: number): boolean {
  for (const text of strings) if (text.length > limit) return false;
  return true;
}

export function encodingOf(stored: string | HashValue | SetValue | ZSetValue | { readonly type: string; readonly length: number }, limits: EncodingThresholds): string {
  if (typeof stored === 'string') return isIntegerString(stored) ? 'int' : stored.length <= EMBSTR_BYTES_MAX ? 'embstr' : 'raw';
  switch (stored.type) {
    case 'string':
      return 'raw'; // a string changed in place (mutable-string.ts): Redis's SETRANGE, APPEND and SETBIT leave it raw too
    case 'list':
      return 'quicklist'; // Redis 7.0 keeps every list in a quicklist
    case 'hash': {
      const hash = stored as HashValue;
      const small = hash.length <= limits.hashEntries && longestAtMost(hash.keys(), limits.hashValue) && longestAtMost(hash.values(), limits.hashValue);
      return small ? 'listpack' : 'hashtable';
    }
    case 'set': {
      const set = stored as SetValue;
      return set.length <= limits.intsetEntries && [...set.values()].every(isIntegerString) ? 'intset' : 'hashtable';
    }
    case 'zset': {
      const zset = stored as ZSetValue;
      if (zset.length > limits.zsetEntries) return 'skiplist';
      let small = true;
      zset.forEach((member) => {
        if (member.length > limits.zsetValue) small = false;
      });
      return small ? 'listpack' : 'skiplist';
    }
    default:
      return stored.type;
  }
}

function objectEncodingCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const numbers: number[] = [];
  for (let i = 2; i < 7; i++) {
    const value = parseInt64(arg(argv, i));
    if (value === null || value < 0n) return notIntegerError;
    numbers.push(Number(value));
  }
  const [hashEntries, hashValue, zsetEntries, zsetValue, intsetEntries] = numbers as [number, number, number, number, number];
  const entry = context.peek(arg(argv, 1));
  if (entry === undefined) return nilReply;
  const stored = entry.stored as Parameters<typeof encodingOf>[0];
  const encoding = encodingOf(stored, { hashEntries, hashValue, zsetEntries, zsetValue, intsetEntries });
  const idleSeconds = context.accessTimeOf(entry).idleSeconds;
  return { kind: 'array', value: [bulkText(encoding), { kind: 'integer', value: refcountOf(stored, encoding) }, { kind: 'integer', value: idleSeconds }] };
}

/** Redis shares the integers 0-9999 among all keys holding them (with its default eviction policy); every other value has one owner. */
function refcountOf(stored: Parameters<typeof encodingOf>[0], encoding: string): number {
  if (typeof stored !== 'string' || encoding !== 'int') return 1;
  const value = Number(stored);
  return value >= 0 && value < 10_000 ? 2_147_483_647 : 1;
}

export const objectEncodingCommands: readonly CommandSpec[] = [
  command(objectEncodingCommandName, 7, ['readonly', 'internal'], oneKey, objectEncodingCommand),
];
