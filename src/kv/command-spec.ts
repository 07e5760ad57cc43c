// What a command is: the table row (name, arity, flags, key positions) and the context its
// handler runs in. The table itself is in commands.ts.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { CommandError } from './replies.js';

export type CommandFlag =
  | 'write' // changes the keyspace: goes through the log
  | 'readonly' // only reads: may be served by read() at a read point
  | 'denyoom' // may grow memory: refused (or evicts first) when over maxmemory
  | 'fast' // O(1) or O(log n)
  | 'admin'
  | 'internal' // proposed by raftis itself, never by clients
  | 'random' // reply depends on a deterministic pseudo-random choice
  | 'blocking' // may wait for a key (BLPOP): the server waits, the state machine runs the non-blocking form
  | 'noscript'
  | 'movablekeys'; // keys are found by parsing the arguments (numkeys), not by the key positions

export type CommandHandler = (context: CommandContext, argv: readonly Uint8Array[]) => Reply;

export interface CommandSpec {
  /** Lowercase, as in Redis's COMMAND output and error messages. */
  readonly name: string;
  /** Redis convention: N = exactly N arguments including the name, -N = at least N. */
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  /** Key positions like Redis's COMMAND: first and last key index (last -1 = the end) and step; 0 = no keys. */
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  readonly handler: CommandHandler;
  /** Errors that need no state (syntax, integer arguments), checked after arity. */
  readonly validate?: (argv: readonly Uint8Array[]) => Reply | null;
}

export function hasFlag(spec: CommandSpec, flag: CommandFlag): boolean {
  return spec.flags.includes(flag);
}

/** Key positions like Redis's COMMAND: [first, last (-1 = the end), step]. */
export type KeyPositions = readonly [number, number, number];
export const oneKey: KeyPositions = [1, 1, 1];
export const allKeys: KeyPositions = [1, -1, 1];
export const noKeys: KeyPositions = [0, 0, 0];

/** A command table row. */
export function command(
  name: string, arity: number, flags: readonly CommandFlag[], keyPositions: KeyPositions,
  handler: CommandHandler, validate?: (argv: readonly Uint8Array[]) => Reply | null,
): CommandSpec {
  const [firstKey, lastKey, step] = keyPositions;
  return validate === undefined
    ? { name, arity, flags, firstKey, lastKey, step, handler }
    : { name, arity, flags, firstKey, lastKey, step, handler, validate };
}

/**
 * A row whose arguments one function parses into a typed request, for both the check before
 * proposing and apply: `parse` throws a CommandError for bad arguments (never looking at
 * state), `run` does the keyspace work.
 */
export function parsedCommand<P>(
  name: string, arity: number, flags: readonly CommandFlag[], keyPositions: KeyPositions,
  parse: (argv: readonly Uint8Array[]) => P, run: (context: CommandContext, request: P) => Reply,
): CommandSpec {
  const validate = (argv: readonly Uint8Array[]): Reply | null => {
    try {
      parse(argv);
      return null;
    } catch (error) {
      if (error instanceof CommandError) return error.reply;
      throw error;
    }
  };
  return command(name, arity, flags, keyPositions, (context, argv) => run(context, parse(argv)), validate);
}

/** The key of a command whose only argument is its key. */
export function parseKey(argv: readonly Uint8Array[]): Uint8Array {
  return arg(argv, 1);
}

/** A key and the members after it (SREM, ZREM, ...), as latin1 strings. */
export interface KeyMembers {
  readonly key: Uint8Array;
  readonly members: readonly string[];
}

export function parseKeyMembers(argv: readonly Uint8Array[]): KeyMembers {
  return { key: arg(argv, 1), members: argv.slice(2).map((member) => Buffer.from(member.buffer, member.byteOffset, member.byteLength).toString('latin1')) };
}

/** Argument `index`, which the arity check guarantees. */
export function arg(argv: readonly Uint8Array[], index: number): Uint8Array {
  const value = argv[index];
  if (value === undefined) throw new Error(`kv: argument ${index} missing from ${argv.length} (arity check skipped?)`);
  return value;
}
