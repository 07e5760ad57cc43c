// What DEBUG asks of the keyspace (the server's DEBUG command sends these internal reads at a
// read point): a value's digest (DEBUG DIGEST-VALUE, and each key's share of the state
// machine's digest) and a value's RDB length with its idle time (DEBUG OBJECT).
//   RAFTIS.DEBUG-DIGEST-VALUE key [key ...]  -> one 40-hex digest per key (zeros for none)
//   RAFTIS.DEBUG-OBJECT key                  -> [serializedlength, lru, lru_seconds_idle] or nil

import type { CommandContext } from './command-context.js';
import { allKeys, arg, command, oneKey, type CommandSpec } from './command-spec.js';
import { fnv1a, fnv1aLatin1, fnvOffsetBasis, mixSeed } from './hash.js';
import type { KeyEntry } from './keyspace.js';
import type { Reply } from './reply.js';
import { nilReply } from './replies.js';
import { createDumpPayload } from './rdb/dump-payload.js';

export const debugDigestValueCommandName = 'raftis.debug-digest-value';
export const debugObjectCommandName = 'raftis.debug-object';

/** `state` mixed with the entry's type and value (not its key nor its expiry). */
export function digestValue(state: number, entry: KeyEntry): number {
  const low = fnv1aLatin1(state, entry.valueType);
  const stored = entry.stored;
  if (typeof stored === 'string') return fnv1aLatin1(low, stored);
  return stored.type === 'string' ? fnv1a(low, stored.view()) : mixSeed(low, stored.digest());
}

/** Redis prints a digest as 20 bytes in hex; ours is 32 bits, spread over as many so no key digests to Redis's zeros. */
const NO_DIGEST = '0'.repeat(40);
function digestText(digest: number): string {
  let text = '';
  for (let word = 0; word < 5; word++) text += mixSeed(digest, word).toString(16).padStart(8, '0');
  return text;
}

function debugDigestValue(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const digests: Reply[] = [];
  for (let i = 1; i < argv.length; i++) {
    const entry = context.peek(arg(argv, i));
    digests.push({ kind: 'simple', value: entry === undefined ? NO_DIGEST : digestText(digestValue(fnvOffsetBasis, entry)) });
  }
  return { kind: 'array', value: digests };
}

/** The payload's RDB type byte and 10-byte footer are not part of Redis's rdbSavedObjectLen. */
const DUMP_OVERHEAD_BYTES = 11;

function debugObject(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const entry = context.peek(arg(argv, 1));
  if (entry === undefined) return nilReply;
  const integer = (value: number): Reply => ({ kind: 'integer', value });
  const { clock, idleSeconds } = context.accessTimeOf(entry);
  return { kind: 'array', value: [integer(createDumpPayload(entry.value).length - DUMP_OVERHEAD_BYTES), integer(clock), integer(idleSeconds)] };
}

export const debugCommands: readonly CommandSpec[] = [
  command(debugDigestValueCommandName, -1, ['readonly', 'internal'], allKeys, debugDigestValue),
  command(debugObjectCommandName, 2, ['readonly', 'internal'], oneKey, debugObject),
];
