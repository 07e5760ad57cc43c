// MEMORY USAGE: a key's share of the keyspace's memory estimate (its bytes, its value's and
// the fixed per-key overheads, what maxmemory counts), not V8's real usage. The estimate is
// exact, so SAMPLES is accepted and has nothing to sample. MEMORY DOCTOR answers as Redis
// 7.0 does for a healthy instance, judging "very little memory" (under 5 MB) by the same
// estimate; raftis's memory has no allocator to report or purge (MALLOC-STATS, PURGE answer
// as Redis without jemalloc does).

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, noKeys, parsedCommand, type CommandSpec } from './command-spec.js';
import { isKeyword, parseInt64 } from './integer-parse.js';
import { CommandError, arityError, errorReply, integerReply, nilReply, notIntegerError, syntaxError } from './replies.js';

type Subcommand = 'usage' | 'help' | 'doctor' | 'malloc-stats' | 'purge';

interface MemoryRequest {
  readonly subcommand: Subcommand;
  readonly key: Uint8Array | null;
}

const helpLines = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
  'HELP',
  '    Print this help.',
];

function parseMemory(argv: readonly Uint8Array[]): MemoryRequest {
  const subcommand = arg(argv, 1);
  for (const name of ['help', 'doctor', 'malloc-stats', 'purge'] as const) {
    if (isKeyword(subcommand, name) && argv.length === 2) return { subcommand: name, key: null };
  }
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

/** Below this, Redis's doctor says the instance is too empty to judge (getMemoryDoctorReport). */
const DOCTOR_BYTES_MIN = 5 * 1024 * 1024;
const DOCTOR_EMPTY = 'Hi Sam, this instance is empty or is using very little memory, my issues detector can\'t be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n';
const DOCTOR_HEALTHY = 'Hi Sam, I can\'t find any memory issue in your instance. I can only account for what occurs on this base.\n';

function memory(context: CommandContext, request: MemoryRequest): Reply {
  switch (request.subcommand) {
    case 'help': return { kind: 'array', value: helpLines.map((line) => ({ kind: 'simple', value: line })) };
    case 'doctor': return { kind: 'verbatim', format: 'txt', value: context.keyspace.memoryBytes < DOCTOR_BYTES_MIN ? DOCTOR_EMPTY : DOCTOR_HEALTHY };
    case 'malloc-stats': return { kind: 'verbatim', format: 'txt', value: 'Stats not supported for the current allocator' };
    case 'purge': return { kind: 'simple', value: 'OK' };
    case 'usage': break;
  }
  if (request.key === null) throw new Error('MEMORY USAGE without a key');
  const entry = context.peek(request.key);
  return entry === undefined ? nilReply : integerReply(context.keyspace.memoryOf(entry));
}

export const memoryCommands: readonly CommandSpec[] = [
  // Key positions as Redis's COMMAND shows the container command (its USAGE subcommand has the key).
  parsedCommand('memory', -2, ['readonly'], noKeys, parseMemory, memory),
];
