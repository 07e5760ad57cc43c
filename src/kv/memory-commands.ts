// MEMORY USAGE: a key's share of the keyspace's memory estimate (its bytes, its value's and
// the fixed per-key overheads, what maxmemory counts), not V8's real usage. The estimate is
// exact, so SAMPLES is accepted and has nothing to sample. Other MEMORY subcommands belong
// to the introspection work (issue 21).

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, noKeys, parsedCommand, type CommandSpec } from './command-spec.js';
import { isKeyword, parseInt64 } from './integer-parse.js';
import { CommandError, arityError, errorReply, integerReply, nilReply, notIntegerError, syntaxError } from './replies.js';

interface MemoryRequest {
  readonly subcommand: 'usage' | 'help';
  readonly key: Uint8Array | null;
}

const helpLines = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Print this help.',
];

function parseMemory(argv: readonly Uint8Array[]): MemoryRequest {
  const subcommand = arg(argv, 1);
  if (isKeyword(subcommand, 'help') && argv.length === 2) return { subcommand: 'help', key: null };
  if (!isKeyword(subcommand, 'usage')) {
    const name = Buffer.from(subcommand).toString('latin1');
    throw new CommandError(errorReply(`ERR unknown subcommand '${name}'. Try MEMORY HELP.`));
  }
  if (argv.length < 3) throw new CommandError(arityError('memory|usage'));
  for (let j = 3; j < argv.length; j += 2) {
    if (!isKeyword(arg(argv, j), 'samples') || j + 1 >= argv.length) throw new CommandError(syntaxError);
    const samples = parseInt64(arg(argv, j + 1));
    if (samples === null) throw new CommandError(notIntegerError);
    if (samples < 0n) throw new CommandError(syntaxError);
  }
  return { subcommand: 'usage', key: arg(argv, 2) };
}

function memory(context: CommandContext, request: MemoryRequest): Reply {
  if (request.key === null) return { kind: 'array', value: helpLines.map((line) => ({ kind: 'simple', value: line })) };
  const entry = context.peek(request.key);
  return entry === undefined ? nilReply : integerReply(context.keyspace.memoryOf(entry));
}

export const memoryCommands: readonly CommandSpec[] = [
  // Key positions as Redis's COMMAND shows the container command (its USAGE subcommand has the key).
  parsedCommand('memory', -2, ['readonly'], noKeys, parseMemory, memory),
];
