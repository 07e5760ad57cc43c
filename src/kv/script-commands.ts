// Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT. A script is one log
// entry (EVAL is a write) run inside apply on every replica, back to back: its redis.call's
// run the command table's handlers with nothing in between. EVAL_RO and EVALSHA_RO are reads,
// served at a read point like other reads, and refuse writes. The cache of scripts is
// replicated (script/script-store.ts); the VM and its rules are in script/script-vm.ts.
// FUNCTION and FCALL are in function-commands.ts.

import type { ErrorReply, Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, hasFlag, noKeys, parsedCommand, type CommandSpec } from './command-spec.js';
import { CommandError, arityError, errorReply, okReply, outOfMemoryError } from './replies.js';
import { isKeyword, parseInt64 } from './integer-parse.js';
import { latin1Of } from './binary.js';
import { mixSeed } from './hash.js';
import { sha1Hex } from './script/sha1.js';
import type { Scripting } from './script/scripting.js';
import { isPausedRun, type PausedRun, type PauseWhen, type ScriptRun } from './script/script-vm.js';
import { parseShebang } from './script/shebang.js';
import { selectReply } from './database-index.js';

export const noScriptError = errorReply('NOSCRIPT No matching script. Please use EVAL.');

/**
 * The answer of an EVAL, EVALSHA or FCALL served on the read path (scriptCannotWrite said it
 * could be) when, at its read point, it turns out it cannot: its body is no longer cached (EVAL
 * must cache it, a change of replicated state) or the function lost its no-writes flag. The
 * server then sends it through the log. Compared by identity; never sent to a client.
 */
export const scriptNeedsLog: Reply = errorReply('ERR internal: this script call must go through the log');

/**
 * Whether EVAL, EVALSHA or FCALL `argv` runs, on this node's state now, a script that cannot
 * write, so it may be served at a read point instead of through the log: an EVAL whose body
 * is cached and declares no-writes, an EVALSHA of such a cached body, an FCALL of a no-writes
 * function. A node whose state lags says false (the log then serves it); the read point
 * checks again (scriptNeedsLog).
 */
export function scriptCannotWrite(scripting: Scripting, argv: readonly Uint8Array[]): boolean {
  const name = scriptCommandName(arg(argv, 0));
  let request: ScriptRequest;
  try {
    request = parseScriptRequest(argv);
  } catch (error) {
    if (error instanceof CommandError) return false;
    throw error;
  }
  if (name === 'fcall') return scripting.functions.function(text(request.script))?.info.flags.includes('no-writes') ?? false;
  const body = name === 'eval' ? request.script : name === 'evalsha' ? scripting.store.get(text(request.script).toLowerCase()) : undefined;
  if (body === undefined) return false;
  const flags = parseShebang(body);
  if (flags instanceof CommandError || !flags.noWrites) return false;
  // Hashing last: most EVALs declare nothing and are decided by their first bytes.
  return name === 'evalsha' || scripting.store.has(sha1Hex(body));
}

/** The name of a script-calling command, lowercase, found without making a string (the leader asks for every EVALSHA). */
function scriptCommandName(bytes: Uint8Array): string {
  for (const name of ['evalsha', 'eval', 'fcall']) if (isKeyword(bytes, name)) return name;
  return text(bytes).toLowerCase();
}

export interface ScriptRequest {
  /** The script's text (EVAL), its SHA-1 (EVALSHA) or the function's name (FCALL). */
  readonly script: Uint8Array;
  readonly keys: readonly Uint8Array[];
  readonly args: readonly Uint8Array[];
}

/** EVAL script numkeys key... arg... (and FCALL, whose bad count has its own text): Redis's checks of numkeys. */
export function parseScriptRequest(argv: readonly Uint8Array[], badCount = 'ERR value is not an integer or out of range'): ScriptRequest {
  const count = parseInt64(arg(argv, 2));
  if (count === null) throw new CommandError(errorReply(badCount));
  if (count < 0n) throw new CommandError(errorReply("ERR Number of keys can't be negative"));
  if (count > BigInt(argv.length - 3)) throw new CommandError(errorReply("ERR Number of keys can't be greater than number of args"));
  const keyCount = Number(count);
  return { script: arg(argv, 1), keys: argv.slice(3, 3 + keyCount), args: argv.slice(3 + keyCount) };
}

export function scriptingOf(context: CommandContext): Scripting {
  if (context.scripting === null) throw new Error('kv: a script command ran without the state machine\'s scripting');
  return context.scripting;
}

export const text = latin1Of;

/** EVAL and EVAL_RO: compiles (and, applied, caches) the body, then runs it. */
function evalScript(readOnlyCommand: boolean) {
  return (context: CommandContext, request: ScriptRequest): Reply => {
    const scripting = scriptingOf(context);
    const sha = sha1Hex(request.script);
    const compileError = scripting.vm().compile(sha, request.script);
    if (compileError !== null) return compileError;
    // A read (EVAL_RO, or EVAL of a cached no-writes script) runs on one node only: it must
    // not change replicated state.
    if (context.writable) scripting.store.add(sha, request.script);
    else if (!readOnlyCommand && !scripting.store.has(sha)) return scriptNeedsLog;
    return runScript(context, sha, request.script, request, readOnlyCommand);
  };
}

/** EVALSHA and EVALSHA_RO: the cached body of the SHA-1 (any case), or NOSCRIPT. */
function evalCachedScript(readOnlyCommand: boolean) {
  return (context: CommandContext, request: ScriptRequest): Reply => {
    const sha = text(request.script).toLowerCase();
    const body = scriptingOf(context).store.get(sha);
    if (body === undefined) return noScriptError;
    return runScript(context, sha, body, request, readOnlyCommand);
  };
}

function runScript(context: CommandContext, sha: string, body: Uint8Array, request: ScriptRequest, readOnlyCommand: boolean): Reply {
  const scripting = scriptingOf(context);
  const flags = parseShebang(body);
  if (flags instanceof CommandError) return flags.reply;
  if (readOnlyCommand && flags.declared && !flags.noWrites) return errorReply('ERR Can not execute a script with write flag using *_ro command.');
  if (!context.writable && !readOnlyCommand && !flags.noWrites) return scriptNeedsLog;
  const seed = mixSeed(context.seed, context.readSalt);
  const call = scriptCaller(scripting, context, seed, readOnlyCommand || flags.noWrites, flags);
  if (typeof call !== 'function') return call;
  const run: ScriptRun = {
    name: sha, sha, body, keys: request.keys, args: request.args, seed,
    instructionsMax: scripting.instructionsMax, stringBytesMax: scripting.stringBytesMax,
    call,
    writes: (argv) => callWrites(scripting, argv),
    aclCheck: (argv) => aclCheck(scripting, argv),
  };
  if (scripting.effects === null) return settled(scripting, scripting.vm().start(run, scripting.pauseWhen, scripting.decision));
  return runWithEffects(scripting, context, (pauseWhen) => scripting.vm().start(run, pauseWhen, scripting.decision));
}

/**
 * Runs a script (`run`, given when it may pause), or, while the entry is applied with effects
 * recorded or replayed, records the run or replays it instead (a run then goes to its end). The
 * point is the same for EVAL, EVALSHA and FCALL: after every check that depends on replicated
 * state only, before anything the VM does.
 */
export function runWithEffects(scripting: Scripting, context: CommandContext, run: (pauseWhen: PauseWhen | null) => Reply | PausedRun<Reply>): Reply {
  const effects = scripting.effects;
  if (effects === null || !context.writable) return settled(scripting, run(scripting.pauseWhen));
  return effects.around(context, () => run(null) as Reply);
}

/** A run's reply, or, for a run that paused, what the suspended command answers (suspension.ts). */
function settled(scripting: Scripting, outcome: Reply | PausedRun<Reply>): Reply {
  return isPausedRun(outcome) ? scripting.suspend(outcome) : outcome;
}

/** Whether a script's call is of a write command (the first makes a run unkillable: script-vm.ts). */
export function callWrites(scripting: Scripting, argv: readonly Uint8Array[]): boolean {
  const spec = scripting.lookup(arg(argv, 0));
  return spec !== undefined && hasFlag(spec, 'write');
}

/** A run's memory refusals (scriptCaller): while `refusing`, until the keyspace changes from `stamp`. */
interface RunMemory {
  refusing: boolean;
  /** The keyspace's change stamp at the run's start (Keyspace.stamp: every change moves it). */
  readonly stamp: number;
}

/**
 * A run's redis.call, or the refusal of the whole run. Redis's memory rule (scriptVerifyOOM),
 * judged once as the script command starts, after evicting by policy: over maxmemory, a run that declared
 * its flags (a shebang, a function) without no-writes or allow-oom is refused outright (OOM);
 * any other run, unless it declared allow-oom, has its calls of commands that may grow memory
 * (denyoom) refused until it has changed the keyspace, as a run cannot stop halfway once it has. The state
 * at the entry decides it, the same on every replica. `seed` gives each call its own.
 */
export function scriptCaller(
  scripting: Scripting, context: CommandContext, seed: number, readOnly: boolean, flags: { readonly declared: boolean; readonly noWrites: boolean; readonly allowOom: boolean },
): Reply | ((argv: readonly Uint8Array[]) => Reply) {
  const overLimit = context.writable && !flags.noWrites && scripting.overMaxmemory;
  if (overLimit && flags.declared && !flags.allowOom) return outOfMemoryError;
  const memory: RunMemory = { refusing: overLimit && !flags.allowOom, stamp: context.keyspace.stamp };
  let calls = 0;
  return (argv) => callFromScript(scripting, context, argv, readOnly, mixSeed(seed, ++calls), memory);
}

/**
 * One redis.call/pcall: Redis's refusals (unknown command, arity, not allowed from scripts,
 * writes from a read-only script, memory: scriptCaller, ACL), then the command as the state
 * machine runs it, each told to the node's call log when it keeps one (call-stats.ts). TIME is
 * the entry's time, the same on every replica.
 */
function callFromScript(scripting: Scripting, context: CommandContext, argv: readonly Uint8Array[], readOnly: boolean, seed: number, memory: RunMemory): Reply {
  const name = commandName(arg(argv, 0));
  const log = scripting.callLog;
  const spec = scripting.lookup(name);
  const refusal = callRefusal(scripting, context, name, spec, argv, readOnly, memory);
  if (refusal !== null) {
    log?.rejected(spec === undefined && !scriptLocalArity.has(name) ? null : name, argv, refusal.message);
    return refusal;
  }
  const started = log === null ? 0 : log.now();
  const reply = scriptLocalCommand(name, argv, context) ?? scripting.execute(spec as CommandSpec, argv, context, seed);
  log?.ran(name, argv, started, reply.kind === 'error' ? reply.message : null);
  return reply;
}

/** Why a script's call of `name` may not run, or null when it may (callFromScript). */
function callRefusal(
  scripting: Scripting, context: CommandContext, name: string, spec: CommandSpec | undefined, argv: readonly Uint8Array[], readOnly: boolean, memory: RunMemory,
): ErrorReply | null {
  const localArity = scriptLocalArity.get(name);
  if (localArity !== undefined) return localArity(argv.length) ? null : errorReply('ERR Wrong number of args calling Redis command from script');
  if (spec === undefined && serverCommands.has(name)) return errorReply('ERR This Redis command is not allowed from script');
  if (spec === undefined || hasFlag(spec, 'internal')) return errorReply('ERR Unknown Redis command called from script');
  if ((spec.arity > 0 && argv.length !== spec.arity) || argv.length < -spec.arity) return errorReply('ERR Wrong number of args calling Redis command from script');
  if (hasFlag(spec, 'noscript')) return errorReply('ERR This Redis command is not allowed from script');
  if ((name === 'xread' || name === 'xreadgroup') && blocks(argv)) {
    return errorReply(`ERR ${name} command is not allowed with BLOCK option from scripts`);
  }
  if (hasFlag(spec, 'write') && (readOnly || !context.writable)) return errorReply('ERR Write commands are not allowed from read-only scripts.');
  if (memory.refusing) {
    // Once the run changed something it cannot stop halfway (Redis's SCRIPT_WRITE_DIRTY).
    if (context.keyspace.stamp !== memory.stamp) memory.refusing = false;
    else if (hasFlag(spec, 'denyoom')) return outOfMemoryError;
  }
  return scripting.denied(spec, argv);
}

/**
 * Command names a script called, lowercase, by the bytes they came in. A name written in the
 * script is one Lua string, the same bytes object in every run (its compiled constant), so
 * each run after the first finds it without converting it.
 */
const commandNames = new WeakMap<Uint8Array, string>();

function commandName(bytes: Uint8Array): string {
  let name = commandNames.get(bytes);
  if (name === undefined) {
    name = text(bytes).toLowerCase();
    commandNames.set(bytes, name);
  }
  return name;
}

/** Whether XREAD/XREADGROUP arguments ask to block (a BLOCK option before STREAMS). */
function blocks(argv: readonly Uint8Array[]): boolean {
  for (const part of argv.slice(1)) {
    const word = text(part).toLowerCase();
    if (word === 'streams') return false;
    if (word === 'block') return true;
  }
  return false;
}

/** redis.acl_check_cmd: null for a command the table does not have. */
export function aclCheck(scripting: Scripting, argv: readonly Uint8Array[]): boolean | null {
  const spec = scripting.lookup(arg(argv, 0));
  return spec === undefined ? null : scripting.denied(spec, argv) === null;
}

/**
 * Commands raftis has outside the state machine's table (connection, server, cluster): they
 * exist, but a script runs inside apply, where they cannot, so they are "not allowed" rather
 * than unknown.
 */
const serverCommands = new Set([
  'acl', 'auth', 'bgsave', 'client', 'cluster', 'command', 'config', 'debug', 'discard', 'exec', 'failover', 'hello', 'info',
  'latency', 'monitor', 'multi', 'psubscribe', 'publish', 'punsubscribe', 'quit', 'readonly', 'readwrite', 'replicaof', 'reset',
  'save', 'shutdown', 'slaveof', 'slowlog', 'subscribe', 'swapdb', 'sync', 'unsubscribe', 'unwatch', 'wait', 'watch',
]);

/** Commands a script may call that live outside the command table (answered from the entry), with their arity checks. */
const scriptLocalArity: ReadonlyMap<string, (argc: number) => boolean> = new Map([
  ['time', (argc: number) => argc === 1],
  ['ping', (argc: number) => argc <= 2],
  ['echo', (argc: number) => argc === 2],
  ['select', (argc: number) => argc === 2],
]);

/** The reply of a command outside the command table (scriptLocalArity) whose arity was checked; null for any other. */
function scriptLocalCommand(name: string, argv: readonly Uint8Array[], context: CommandContext): Reply | null {
  switch (name) {
    case 'time': {
      const seconds = Math.floor(context.nowMs / 1000);
      const micros = (context.nowMs - seconds * 1000) * 1000;
      return { kind: 'array', value: [String(seconds), String(Math.floor(micros))].map((part) => ({ kind: 'bulk', value: Buffer.from(part, 'latin1') }) as Reply) };
    }
    case 'ping':
      return argv.length === 2 ? { kind: 'bulk', value: arg(argv, 1) } : { kind: 'simple', value: 'PONG' };
    case 'echo':
      return { kind: 'bulk', value: arg(argv, 1) };
    case 'select':
      // One database: a script may select db 0, as a client may (database-index.ts).
      return selectReply(text(arg(argv, 1)));
    default:
      return null;
  }
}

const scriptHelp = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Print this help.',
];

/** SCRIPT LOAD | EXISTS | FLUSH | KILL | HELP (one write row: LOAD and FLUSH change the replicated cache). */
function script(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const scripting = scriptingOf(context);
  const sub = text(arg(argv, 1)).toLowerCase();
  const wrongArity = (): Reply => arityError(`script|${sub}`);
  switch (sub) {
    case 'load': {
      if (argv.length !== 3) return wrongArity();
      const body = arg(argv, 2);
      const sha = sha1Hex(body);
      const compileError = scripting.vm().compile(sha, body);
      if (compileError !== null) return compileError;
      scripting.store.add(sha, body);
      return { kind: 'bulk', value: Buffer.from(sha, 'latin1') };
    }
    case 'exists':
      if (argv.length < 3) return wrongArity();
      return { kind: 'array', value: argv.slice(2).map((sha) => ({ kind: 'integer', value: scripting.store.has(text(sha).toLowerCase()) ? 1 : 0 }) as Reply) };
    case 'flush': {
      if (argv.length > 3) return errorReply('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
      const mode = argv.length === 3 ? text(arg(argv, 2)).toLowerCase() : 'sync';
      if (mode !== 'sync' && mode !== 'async') return errorReply('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
      scripting.store.clear();
      scripting.vm().reset();
      return okReply;
    }
    case 'kill':
      // A script runs inside apply, from start to end in one go: none is ever running when a command arrives.
      return argv.length === 2 ? errorReply('NOTBUSY No scripts in execution right now.') : wrongArity();
    case 'help':
      return { kind: 'array', value: scriptHelp.map((line) => ({ kind: 'simple', value: line }) as Reply) };
    default:
      return errorReply(`ERR unknown subcommand '${text(arg(argv, 1)).slice(0, 128)}'. Try SCRIPT HELP.`);
  }
}

export const scriptCommands: readonly CommandSpec[] = [
  parsedCommand('eval', -3, ['write', 'noscript', 'movablekeys'], noKeys, (argv) => parseScriptRequest(argv), evalScript(false)),
  parsedCommand('evalsha', -3, ['write', 'noscript', 'movablekeys'], noKeys, (argv) => parseScriptRequest(argv), evalCachedScript(false)),
  parsedCommand('eval_ro', -3, ['readonly', 'noscript', 'movablekeys'], noKeys, (argv) => parseScriptRequest(argv), evalScript(true)),
  parsedCommand('evalsha_ro', -3, ['readonly', 'noscript', 'movablekeys'], noKeys, (argv) => parseScriptRequest(argv), evalCachedScript(true)),
  parsedCommand('script', -2, ['write', 'noscript'], noKeys, (argv) => argv, script),
];
