// Functions (Redis 7): FUNCTION LOAD / DELETE / LIST / FLUSH / DUMP / RESTORE / STATS / KILL
// and FCALL / FCALL_RO. Libraries are replicated state (script/function-store.ts, carried in
// snapshots); FUNCTION is one write row, so every subcommand is an entry applied on every
// replica, and each VM loads a library's code when a function of it is first called.
// FCALL is a write like EVAL; FCALL_RO a read, allowed only for no-writes functions.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, noKeys, parsedCommand, type CommandSpec } from './command-spec.js';
import { arityError, errorReply, okReply } from './replies.js';
import { mixSeed } from './hash.js';
import { globMatch } from './glob.js';
import { ByteReader, ByteWriter, DecodeError } from './binary.js';
import { fnv1a, fnvOffsetBasis } from './hash.js';
import { aclCheck, callWrites, parseScriptRequest, runWithEffects, scriptCaller, scriptNeedsLog, scriptingOf, text, type ScriptRequest } from './script-commands.js';
import type { FunctionLibrary } from './script/function-store.js';
import type { Scripting } from './script/scripting.js';
import { sha1Hex } from './script/sha1.js';

const functionNotFound = errorReply('ERR Function not found');
const libraryNamePattern = /^[A-Za-z0-9_]+$/;
const dumpMagic = Buffer.from('RAFTISFN', 'latin1');
const dumpVersion = 1;

const bulk = (value: string | Uint8Array): Reply => ({ kind: 'bulk', value: typeof value === 'string' ? Buffer.from(value, 'latin1') : value });

/** The library name of `code`'s "#!lua name=..." line, or Redis's error. */
function libraryNameOf(code: Uint8Array): string | Reply {
  if (code[0] !== 0x23 || code[1] !== 0x21) return errorReply('ERR Missing library metadata');
  const end = code.indexOf(0x0a);
  const [engine = '', ...options] = text(code.subarray(2, end < 0 ? code.length : end)).split(' ').filter((part, i) => i === 0 || part !== '');
  if (engine.toLowerCase() !== 'lua') return errorReply(`ERR Engine '${engine}' not found`);
  let name: string | null = null;
  for (const option of options) {
    if (!option.startsWith('name=')) return errorReply(`ERR Invalid metadata value given: ${option}`);
    if (name !== null) return errorReply('ERR Invalid metadata value, name argument was given multiple times');
    name = option.slice('name='.length).replace(/^"(.*)"$/, '$1');
  }
  if (name === null) return errorReply('ERR Library name was not given');
  if (!libraryNamePattern.test(name)) return errorReply('ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long');
  return name;
}

/** Runs `code` in the VM and returns the library it defines, or the load's error. */
export function compileLibrary(scripting: Scripting, code: Uint8Array): FunctionLibrary | Reply {
  const name = libraryNameOf(code);
  if (typeof name !== 'string') return name;
  const codeSha = sha1Hex(code);
  const functions = scripting.vm().loadLibrary(name.toLowerCase(), codeSha, code, scripting);
  if (!Array.isArray(functions)) return functions as Reply;
  return { name, code: Uint8Array.from(code), codeSha, functions };
}

/** Adds libraries to the store, all or none: each must be new (or `replace`) and clash with no other's functions. */
function addLibraries(scripting: Scripting, libraries: readonly FunctionLibrary[], replace: boolean): Reply | null {
  for (const library of libraries) {
    // RESTORE's wording (LOAD checks first, with its own).
    if (!replace && scripting.functions.library(library.name) !== undefined) return errorReply(`ERR Library ${library.name} already exists`);
    const clash = scripting.functions.collision(library);
    if (clash !== null) return errorReply(`ERR Function ${clash} already exists`);
  }
  for (const library of libraries) scripting.functions.put(library);
  return null;
}

function functionLoad(scripting: Scripting, argv: readonly Uint8Array[]): Reply {
  if (argv.length < 3) return arityError('function|load');
  let replace = false;
  for (const option of argv.slice(2, -1)) {
    if (text(option).toLowerCase() === 'replace') replace = true;
    else return errorReply(`ERR Unknown option given: ${text(option)}`);
  }
  const library = compileLibrary(scripting, arg(argv, argv.length - 1));
  if ('kind' in library) return library;
  if (!replace && scripting.functions.library(library.name) !== undefined) return errorReply(`ERR Library '${library.name}' already exists`);
  return addLibraries(scripting, [library], replace) ?? bulk(library.name);
}

function listReply(library: FunctionLibrary, withCode: boolean): Reply {
  const functions: Reply[] = library.functions.map((info) => ({
    kind: 'map',
    value: [
      [bulk('name'), bulk(info.name)],
      [bulk('description'), info.description === null ? { kind: 'bulk', value: null } : bulk(info.description)],
      [bulk('flags'), { kind: 'set', value: info.flags.map((flag) => ({ kind: 'simple', value: flag }) as Reply) }],
    ],
  }));
  const fields: [Reply, Reply][] = [
    [bulk('library_name'), bulk(library.name)],
    [bulk('engine'), bulk('LUA')],
    [bulk('functions'), { kind: 'array', value: functions }],
  ];
  if (withCode) fields.push([bulk('library_code'), bulk(library.code)]);
  return { kind: 'map', value: fields };
}

function functionList(scripting: Scripting, argv: readonly Uint8Array[]): Reply {
  let withCode = false;
  let pattern: Uint8Array | null = null;
  for (let i = 2; i < argv.length; i++) {
    const option = text(arg(argv, i)).toLowerCase();
    if (option === 'withcode' && !withCode) withCode = true;
    else if (option === 'libraryname' && pattern === null) {
      if (i + 1 >= argv.length) return errorReply('ERR library name argument was not given');
      pattern = arg(argv, ++i);
    } else return errorReply(`ERR Unknown argument ${text(arg(argv, i))}`);
  }
  const libraries = scripting.functions.all().filter((library) => pattern === null || globMatch(pattern, Buffer.from(library.name, 'latin1')));
  return { kind: 'array', value: libraries.map((library) => listReply(library, withCode)) };
}

/** FUNCTION DUMP's payload: magic, version, the libraries' code, and a checksum of all before it. */
function functionDump(scripting: Scripting): Reply {
  const writer = new ByteWriter();
  writer.raw(dumpMagic);
  writer.u8(dumpVersion);
  const libraries = scripting.functions.all();
  writer.varint(libraries.length);
  for (const library of libraries) writer.bytes(library.code);
  const body = writer.finish();
  const sealed = new ByteWriter(body.length + 8);
  sealed.raw(body);
  sealed.u32(fnv1a(fnvOffsetBasis, body));
  return bulk(sealed.finish());
}

function decodeDump(payload: Uint8Array): Uint8Array[] | null {
  if (payload.length < dumpMagic.length + 5) return null;
  const body = payload.subarray(0, payload.length - 4);
  try {
    const checksum = new ByteReader(payload.subarray(payload.length - 4)).u32();
    if (checksum !== fnv1a(fnvOffsetBasis, body)) return null;
    const reader = new ByteReader(body);
    if (!reader.raw(dumpMagic.length).equals(dumpMagic) || reader.u8() !== dumpVersion) return null;
    const count = reader.varint();
    const codes: Uint8Array[] = [];
    for (let i = 0; i < count; i++) codes.push(reader.bytes());
    return reader.remaining === 0 ? codes : null;
  } catch (error) {
    if (error instanceof DecodeError) return null;
    throw error;
  }
}

function functionRestore(scripting: Scripting, argv: readonly Uint8Array[]): Reply {
  if (argv.length < 3 || argv.length > 4) return errorReply("ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP.");
  const policy = argv.length === 4 ? text(arg(argv, 3)).toLowerCase() : 'append';
  if (policy !== 'append' && policy !== 'replace' && policy !== 'flush') return errorReply('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
  const codes = decodeDump(arg(argv, 2));
  if (codes === null) return errorReply('ERR DUMP payload version or checksum are wrong');
  const libraries: FunctionLibrary[] = [];
  for (const code of codes) {
    const library = compileLibrary(scripting, code);
    if ('kind' in library) return library;
    libraries.push(library);
  }
  if (policy === 'flush') scripting.functions.clear();
  return addLibraries(scripting, libraries, policy !== 'append') ?? okReply;
}

/** A function whose run the node's apply is paused in, as FUNCTION STATS shows it. */
export interface RunningFunction {
  readonly name: string;
  readonly command: readonly Uint8Array[];
  readonly durationMs: number;
}

/** FUNCTION STATS: the libraries, and the function running (paused between slices) if any. */
export function functionStats(scripting: Scripting, running: RunningFunction | null = null): Reply {
  const lua: Reply = {
    kind: 'map',
    value: [
      [bulk('libraries_count'), { kind: 'integer', value: scripting.functions.libraryCount }],
      [bulk('functions_count'), { kind: 'integer', value: scripting.functions.functionCount }],
    ],
  };
  return {
    kind: 'map',
    value: [
      // Applied from the log, FUNCTION STATS comes after any run; a node whose apply is paused
      // in a function answers it itself (src/server/dispatch.ts), naming the function.
      [bulk('running_script'), running === null ? { kind: 'null' } : {
        kind: 'map',
        value: [
          [bulk('name'), bulk(running.name)],
          [bulk('command'), { kind: 'array', value: running.command.map((arg) => ({ kind: 'bulk', value: Buffer.from(arg) }) as Reply) }],
          [bulk('duration_ms'), { kind: 'integer', value: running.durationMs }],
        ],
      }],
      [bulk('engines'), { kind: 'map', value: [[bulk('LUA'), lua]] }],
    ],
  };
}

const functionHelp = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  'DELETE <LIBRARY NAME>',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  'FLUSH [ASYNC|SYNC]',
  'DUMP',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  'STATS',
  'KILL',
  'HELP',
];

/** One subcommand's handler and its argument count (Redis's arity: N exact, -N at least). */
const subcommands: Record<string, readonly [number, (scripting: Scripting, argv: readonly Uint8Array[]) => Reply]> = {
  load: [-3, functionLoad],
  delete: [3, (scripting, argv) => (scripting.functions.delete(text(arg(argv, 2))) ? okReply : errorReply('ERR Library not found'))],
  list: [-2, functionList],
  flush: [-2, (scripting, argv) => {
    const mode = argv.length === 3 ? text(arg(argv, 2)).toLowerCase() : 'sync';
    if (argv.length > 3) return errorReply("ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.");
    if (mode !== 'sync' && mode !== 'async') return errorReply('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
    scripting.functions.clear();
    return okReply;
  }],
  dump: [2, functionDump],
  restore: [-3, functionRestore],
  stats: [2, (scripting) => functionStats(scripting)],
  kill: [2, () => errorReply('NOTBUSY No scripts in execution right now.')],
  help: [2, () => ({ kind: 'array', value: functionHelp.map((line) => ({ kind: 'simple', value: line }) as Reply) })],
};

function functionCommand(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const name = text(arg(argv, 1)).toLowerCase();
  const sub = subcommands[name];
  if (sub === undefined) return errorReply(`ERR unknown subcommand '${text(arg(argv, 1)).slice(0, 128)}'. Try FUNCTION HELP.`);
  const [arity, handler] = sub;
  const scripting = scriptingOf(context);
  if ((arity > 0 && argv.length !== arity) || argv.length < -arity) return name === 'restore' ? handler(scripting, argv) : arityError(`function|${name}`);
  const reply = handler(scripting, argv);
  if (changesLibraries.has(name)) {
    // The VM drops what the store no longer has (a deleted library, a failed load's code),
    // so it holds only what FCALL can reach (INFO's used_memory_vm_functions counts it).
    scripting.vm().retainLibraries((library, codeSha) => scripting.functions.library(library)?.codeSha === codeSha);
  }
  return reply;
}

/** The subcommands after which the VM may hold a library the store does not. */
const changesLibraries: ReadonlySet<string> = new Set(['load', 'delete', 'flush', 'restore']);

/** FCALL and FCALL_RO: the function's library is loaded in this node's VM if it is not yet. */
function fcall(readOnlyCommand: boolean) {
  return (context: CommandContext, request: ScriptRequest): Reply => {
    const scripting = scriptingOf(context);
    const entry = scripting.functions.function(text(request.script));
    if (entry === undefined) return functionNotFound;
    const noWrites = entry.info.flags.includes('no-writes');
    if (readOnlyCommand && !noWrites) return errorReply('ERR Can not execute a script with write flag using *_ro command.');
    // Served at a read point (scriptCannotWrite) but replaced meanwhile by a function that may write.
    if (!context.writable && !readOnlyCommand && !noWrites) return scriptNeedsLog;
    const { library, info } = entry;
    const seed = mixSeed(context.seed, context.readSalt);
    const call = scriptCaller(scripting, context, seed, readOnlyCommand || noWrites, { declared: true, noWrites, allowOom: info.flags.includes('allow-oom') });
    if (typeof call !== 'function') return call;
    return runWithEffects(scripting, context, (pauseWhen) => {
      const vm = scripting.vm();
      if (!vm.hasLibrary(library.name.toLowerCase(), library.codeSha)) {
        const loaded = vm.loadLibrary(library.name.toLowerCase(), library.codeSha, library.code, scripting);
        if (!Array.isArray(loaded)) return loaded as Reply;
      }
      return vm.startFunction(library.name.toLowerCase(), info.name.toLowerCase(), {
        name: info.name, keys: request.keys, args: request.args, seed, instructionsMax: scripting.instructionsMax, stringBytesMax: scripting.stringBytesMax,
        call,
        writes: (argv) => callWrites(scripting, argv),
        aclCheck: (argv) => aclCheck(scripting, argv),
      }, pauseWhen, scripting.decision);
    });
  };
}

const parseFcall = (argv: readonly Uint8Array[]): ScriptRequest => parseScriptRequest(argv, 'ERR Bad number of keys provided');

export const functionCommands: readonly CommandSpec[] = [
  parsedCommand('function', -2, ['write', 'noscript'], noKeys, (argv) => argv, functionCommand),
  parsedCommand('fcall', -3, ['write', 'noscript', 'movablekeys'], noKeys, parseFcall, fcall(false)),
  parsedCommand('fcall_ro', -3, ['readonly', 'noscript', 'movablekeys'], noKeys, parseFcall, fcall(true)),
];
