// What a command is: the table row (name, arity, flags, key positions) and the context its
// handler runs in. The table itself is in commands.ts.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';

export type CommandFlag =
  | 'write' // changes the keyspace: goes through the log
  | 'readonly' // only reads: may be served by read() at a read point
  | 'denyoom' // may grow memory: refused (or evicts first) when over maxmemory
  | 'fast' // O(1) or O(log n)
  | 'admin'
  | 'internal' // proposed by raftis itself, never by clients
  | 'random'; // reply depends on a deterministic pseudo-random choice

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
