// The command table, like Redis's: name, arity, flags, key positions, handler, and the
// state-free pre-check. Each command family's file exports its rows; arity and key
// positions match Redis 7's COMMAND output.

import type { Reply } from './reply.js';
import type { CommandSpec } from './command-spec.js';
import { arityError } from './replies.js';
import { latin1Of } from './binary.js';
import { stringCommands } from './string-commands.js';
import { keyCommands, raftisExpireCommandName } from './key-commands.js';
import { expireCommands } from './expire-commands.js';
import { hashCommands } from './hash-commands.js';
import { zsetCommands } from './zset-commands.js';
import { setCommands } from './set-commands.js';
import { listCommands } from './list-commands.js';
import { zsetBlockingCommands } from './zset-blocking-commands.js';
import { memoryCommands } from './memory-commands.js';
import { objectEncodingCommands } from './object-encoding.js';
import { scriptCommands } from './script-commands.js';
import { functionCommands } from './function-commands.js';
import { bitmapCommands } from './bitmap-commands.js';
import { bitfieldCommands } from './bitfield-commands.js';
import { lcsCommands } from './lcs-command.js';
import { hyperloglogCommands } from './hyperloglog-commands.js';
import { copyCommands } from './copy-command.js';
import { geoCommands } from './geo-commands.js';
import { publishCommands } from './publish-command.js';
import { streamCommands } from './stream-commands.js';
import { streamGroupCommands } from './stream-group-commands.js';
import { streamInfoCommands } from './stream-info-commands.js';
import { sortCommands } from './sort-command.js';
import { dumpCommands } from './dump-commands.js';
import { debugCommands } from './debug-commands.js';

export { raftisExpireCommandName };

export const commandTable: readonly CommandSpec[] = [
  ...stringCommands,
  ...keyCommands,
  ...expireCommands,
  ...hashCommands,
  ...zsetCommands,
  ...setCommands,
  ...listCommands,
  ...zsetBlockingCommands,
  ...memoryCommands,
  ...objectEncodingCommands,
  ...scriptCommands,
  ...functionCommands,
  ...bitmapCommands,
  ...bitfieldCommands,
  ...lcsCommands,
  ...hyperloglogCommands,
  ...copyCommands,
  ...geoCommands,
  ...publishCommands,
  ...streamCommands,
  ...streamGroupCommands,
  ...streamInfoCommands,
  ...sortCommands,
  ...dumpCommands,
  ...debugCommands,
];

const byName = new Map<string, CommandSpec>(commandTable.map((spec) => [spec.name, spec]));
/** The names as clients usually send them (lower or upper case): found without lowercasing. */
const byExactName = new Map<string, CommandSpec>(commandTable.flatMap((spec) => [[spec.name, spec], [spec.name.toUpperCase(), spec]]));

/** Case-insensitive lookup by command name. */
export function lookupCommand(name: Uint8Array | string): CommandSpec | undefined {
  const text = typeof name === 'string' ? name : latin1Of(name);
  return byExactName.get(text) ?? byName.get(text.toLowerCase());
}

/** Redis's arity rule: exact for positive arity, at least |arity| for negative. */
export function checkArity(spec: Pick<CommandSpec, 'name' | 'arity'>, argv: readonly unknown[]): Reply | null {
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
