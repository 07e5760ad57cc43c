// The Lua VM scripts run in: one fengari state per state machine, sandboxed so that a
// script's outcome depends only on the script, its keys and arguments, the keyspace and the
// entry (DESIGN §5). What makes that hold on every replica, including one whose VM was made
// after a snapshot install:
//   - globals and library tables are read-only (Redis 7's "readonly tables"), so no run can
//     leave state for a later one; KEYS and ARGV are set per run;
//   - math.random is Redis's rand48, seeded from the entry per run;
//   - no io, os, package, debug, coroutine, print, dofile, loadfile; collectgarbage answers 0;
//   - fengari iterates tables in insertion order and has no finalizers or weak tables;
//   - the counter behind tostring({}) restarts at the same value for every run;
//   - an instruction budget, counted by a debug hook, stops a script at the same instruction
//     everywhere.

import fengari, { type DebugRecord, type LuaState } from 'fengari';
import type { Reply } from '../reply.js';
import { countedErrorReply, errorReply } from '../replies.js';
import { installLua51Numbers } from './lua-numbers.js';
import { hostCallStatus, installFengariFastPaths, nilValue, rawSet, stackValue, stringArray } from './fengari-fast-paths.js';
import type { FengariState, StackValue } from 'fengari/src/lstate.js';
import { installStringKeys } from './string-hash.js';
import { pushReply, toReply, type ScriptProtocol } from './lua-reply.js';
import { sandboxLua } from './sandbox-lua.js';
import { sha1Hex } from './sha1.js';
import { formatRedisDouble } from '../../base/double-format.js';
import { Rand48 } from './rand48.js';
import { registerFunction } from './register-function.js';
import { isCountedError, raise } from './lua-error.js';
import { checkStringBudget, installStringBudget, outsideStringBudget, pauseStringBudget, resumeStringBudget, setStringBudget, stringBudgetSpent, stringBytesUsed, StringBudgetExceeded, type Budget } from './string-budget.js';
import { chargeStandardLibraries, chargeWork, HOST_COST, pauseWorkMeter, resumeWorkMeter, setWorkMeter, STRING_BYTES_PER_INSTRUCTION, type ChargeWork, type PausedWorkMeter } from './host-work.js';
import { guardedHost } from './lua-library.js';
import { openBit } from './lua-bit.js';
import { CjsonLibrary } from './lua-cjson.js';
import { openCmsgpack } from './lua-cmsgpack.js';
import { openStruct } from './lua-struct.js';
import { LuaMemoryCounter, vmRoots } from './lua-memory.js';
import { callInstructions } from './call-cost.js';

const { lua, lauxlib, lualib } = fengari;

/** Longest string a script can make whatever its budget (what a JavaScript buffer holds comfortably). */
const stringBytesLimit = 2 ** 31;
/** Instructions between two checks of the budget: the granularity of the kill point. */
const hookInstructions = 1000;
/**
 * Instructions (host work included) after which a run that may pause and has called no write
 * command is killable: SCRIPT KILL / FUNCTION KILL may end it, and it waits at its first write
 * call, or at its end, for the decision entry of its index (docs/internals/scripting.md,
 * "BUSY and kill"). A constant, the same on every replica: where a run becomes killable must
 * not depend on any node's settings.
 */
export const KILLABLE_AFTER_INSTRUCTIONS = 100_000;
/** The reply of a killed run (Redis's words, for scripts and functions alike). */
export const killedByUser = 'ERR Script killed by user with SCRIPT KILL...';
const infoSourceLine = fengari.to_luastring('Sl');
/** Registry and global field names, made Lua strings once (a run looks several up). */
const registry = {
  functions: fengari.to_luastring('raftis.functions'),
  globals: fengari.to_luastring('raftis.globals'),
  libenv: fengari.to_luastring('raftis.libenv'),
  loadchunk: fengari.to_luastring('raftis.loadchunk'),
  loading: fengari.to_luastring('raftis.loading'),
  pending: fengari.to_luastring('raftis.pending'),
  random: fengari.to_luastring('raftis.random'),
  randomseed: fengari.to_luastring('raftis.randomseed'),
  register_function: fengari.to_luastring('raftis.register_function'),
  KEYS: fengari.to_luastring('KEYS'),
  ARGV: fengari.to_luastring('ARGV'),
};
/** A value's type without its variant bits (lobject.js ttnov): what lua_type answers. */
const typeTagMask = 0x0f;
/** A Lua string object (lstring.js TString): its bytes. */
interface LuaStringObject { getstr(): Uint8Array }
/** Where the counter behind tostring({}) restarts for each run (above the VM's own objects). */
const objectIdBase = 0x100000;

export interface ScriptRun {
  /** Names the script in error texts ("script: <name>, on @user_script:1."): the SHA-1 for EVAL. */
  readonly name: string;
  readonly sha: string;
  readonly body: Uint8Array;
  readonly keys: readonly Uint8Array[];
  readonly args: readonly Uint8Array[];
  readonly seed: number;
  /** Lua instructions the run may execute before it is stopped. */
  readonly instructionsMax: number;
  /** Bytes of strings the run may create before it is stopped (string-budget.ts). */
  readonly stringBytesMax: number;
  /** Runs one redis.call/pcall command; the caller applies the script rules (read-only, noscript). */
  readonly call: (argv: readonly Uint8Array[]) => Reply;
  /** Whether `argv` is a write command (what makes a run unkillable); absent: never asked. */
  readonly writes?: (argv: readonly Uint8Array[]) => boolean;
  /** redis.acl_check_cmd: whether the caller may run `argv`; null for an unknown command. */
  readonly aclCheck: (argv: readonly Uint8Array[]) => boolean | null;
}

/** What bounds one run: its Lua instructions and the bytes of the strings it makes. */
export interface RunLimits {
  readonly instructionsMax: number;
  readonly stringBytesMax: number;
}

export interface FunctionInfo {
  readonly name: string;
  readonly description: string | null;
  readonly flags: readonly string[];
}

interface ActiveRun {
  /** A script or function run, or a library's load run (which collects what it registers). */
  readonly kind: 'script' | 'function' | 'load';
  readonly registered?: FunctionInfo[] | undefined;
  readonly run: ScriptRun;
  protocol: ScriptProtocol;
  instructions: number;
  /** math.random's generator, made on first use (most runs draw none; making one costs BigInt work). */
  random: Rand48 | null;
  /** The decision filed for a run that may be killed; null: never killable. */
  readonly decision: DecisionOf | null;
  /** It called a write command: no longer killable. */
  wrote: boolean;
  /** Stopped at its first write call for its decision. */
  awaiting: boolean;
}

export class ScriptError extends Error {}

/** Asked every hookInstructions instructions of a run started with it: true pauses the run there. */
export type PauseWhen = () => boolean;

/** The first decision entry for a killable run's index: end it, or let it write (or end) as it would. */
export type KillDecision = 'kill' | 'continue';

/**
 * How a run that may pause may also be killed: the decision filed for its entry so far (null
 * while none is). A run started without one is never killable (it runs to its end, or its budget).
 */
export type DecisionOf = () => KillDecision | null;

/**
 * A run paused between two slices (it yielded to its caller: the event loop may turn before it
 * goes on). Nothing else may run in its VM until it ends. A paused run's outcome is the one it
 * would have had unpaused: pauses change no count (instructions, string bytes, host work).
 */
export interface PausedRun<R> {
  /** Lua instructions and host work the run has counted so far. */
  readonly instructions: number;
  /** A function's run (FCALL), which FUNCTION KILL ends, not SCRIPT KILL. */
  readonly isFunction: boolean;
  /** The run's name: the function's, or the script's SHA-1. */
  readonly name: string;
  /** Whether it called a write command (before it was killable: it never will be). */
  readonly wrote: boolean;
  /** It has a kill point (started with a decision): false for a run no decision can end. */
  readonly hasKillPoint: boolean;
  /** Past KILLABLE_AFTER_INSTRUCTIONS with no write: a kill decision ends it. */
  readonly killable: boolean;
  /** It stopped at its first write call, or at its end, for its decision entry: resume() goes on only once it is filed. */
  readonly awaitingDecision: boolean;
  /** Goes on with the run: its reply, or a PausedRun again. */
  resume(): R | PausedRun<R>;
  /** Ends the run where it paused, doing nothing more (the VM is free again). */
  abandon(): void;
}

/** True when a run's outcome is a pause (between slices), not its reply. */
export function isPausedRun<R extends object>(outcome: R | PausedRun<R>): outcome is PausedRun<R> {
  return 'resume' in outcome;
}

/** One run in its thread, from its start to its end, across its pauses. */
interface Invocation<R> {
  readonly running: ActiveRun;
  readonly thread: LuaState;
  readonly finish: (L: LuaState, status: number, active: ActiveRun) => R;
  readonly pauseWhen: PauseWhen | null;
  /** The run's string budget and work meter while it is paused (put back when it resumes). */
  stringBudget: Budget | null;
  workMeter: PausedWorkMeter | null;
}

/** What the VM holds (lua-memory.ts), split as Redis splits its two VMs: scripts' and functions'. */
export interface VmMemory {
  /** Everything but the function libraries: the libraries, globals, compiled scripts (used_memory_vm_eval). */
  readonly evalBytes: number;
  /** The loaded libraries' functions (used_memory_vm_functions). */
  readonly functionsBytes: number;
}

export class ScriptVm {
  private L: LuaState;
  private active: ActiveRun | null = null;
  /**
   * SHA-1s of compiled scripts, each with the registry reference (luaL_ref) of its function:
   * a run finds it by integer, where a field named by the 40-character SHA-1 would cost a
   * string conversion and hash per run.
   */
  private readonly compiled = new Map<string, number>();
  /** The globals table and the strings "KEYS" and "ARGV" (values held by the registry), made with the state. */
  private names!: { readonly globals: StackValue; readonly keys: StackValue; readonly args: StackValue };
  private readonly hook = (L: LuaState): void => this.countInstructions(L);
  /** The thread runs that may pause go in (a coroutine); null until the next such run makes one. */
  private thread: LuaState | null = null;
  /** The running run's pause predicate (null: it runs to its end). */
  private pauseWhen: PauseWhen | null = null;
  /** The status of the run's protected call, set by the run thread's body as it ends. */
  private runStatus = 0;
  /** Host work of the libraries (host-work.ts), counted like instructions. */
  private readonly chargeWork: ChargeWork = (L, instructions) => {
    const active = this.active;
    if (active === null) return;
    active.instructions += instructions;
    if (this.overBudget(active)) this.stop(L, active);
  };
  /** cjson's settings, reset for every run. */
  private readonly cjson = new CjsonLibrary();
  /** Libraries whose functions are in the registry's function table, with the SHA-1 of the code loaded. */
  private readonly libraries = new Map<string, string>();
  /**
   * Bumped whenever what the VM keeps changes (a script compiled, a library loaded or
   * dropped, a reset); a run leaves nothing behind (read-only globals), so the memory
   * figure counted at one generation holds until the next.
   */
  private generation = 0;
  private memoryCounted: { readonly generation: number; readonly memory: VmMemory } | null = null;

  constructor() {
    installLua51Numbers();
    installFengariFastPaths();
    installStringKeys();
    installStringBudget();
    this.L = this.createState();
  }

  /** Compiles `code` (its shebang line blanked) onto an empty stack; Redis's error reply (after `prefix`) when it does not compile. */
  private loadChunk(code: Uint8Array, chunkName: string, prefix: string): Reply | null {
    const L = this.L;
    lua.lua_settop(L, 0);
    const source = withoutShebang(code);
    if (lauxlib.luaL_loadbuffer(L, source, source.length, chunkName) === lua.LUA_OK) return null;
    const message = lua.lua_tojsstring(L, -1);
    lua.lua_settop(L, 0);
    return errorReply(`${prefix}: ${lua51Wording(message)}`);
  }

  /** Compiles `body` (SCRIPT LOAD, EVAL): null when it compiles, else Redis's error reply. */
  compile(sha: string, body: Uint8Array): Reply | null {
    if (this.compiled.has(sha)) return null;
    const L = this.L;
    const failed = this.loadChunk(body, '@user_script', 'ERR Error compiling script (new function)');
    if (failed !== null) return failed;
    this.compiled.set(sha, lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX));
    lua.lua_settop(L, 0);
    this.generation++;
    return null;
  }

  /** The VM's memory as C Lua 5.1 would hold it, counted once per generation (INFO memory). */
  memory(): VmMemory {
    if (this.memoryCounted?.generation === this.generation) return this.memoryCounted.memory;
    const L = this.L;
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, registry.functions);
    const functions = { type: lua.LUA_TTABLE, value: lua.lua_topointer(L, -1) };
    lua.lua_pop(L, 1);
    // The libraries' table is counted last, so what it shares with the rest (globals,
    // libraries' code strings) is counted once, on the eval side, as Redis's separate VMs would.
    const counter = new LuaMemoryCounter();
    counter.skip(functions);
    const evalBytes = counter.count(vmRoots(L));
    counter.unskip(functions);
    const memory = { evalBytes, functionsBytes: counter.count([functions]) };
    this.memoryCounted = { generation: this.generation, memory };
    return memory;
  }

  /** Runs a script to its end, its error, or its instruction budget. */
  run(run: ScriptRun): Reply {
    return this.start(run, null) as Reply;
  }

  /** Runs a script as run() does, pausing between slices when `pauseWhen` says so. */
  start(run: ScriptRun, pauseWhen: PauseWhen | null, decision: DecisionOf | null = null): Reply | PausedRun<Reply> {
    const compileError = this.compile(run.sha, run.body);
    if (compileError !== null) return compileError;
    const ref = this.compiled.get(run.sha) as number;
    return this.invoke({ kind: 'script', run }, (L) => {
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref);
      this.setKeysAndArgs(run);
      return 0;
    }, (L, status, active) => (status === lua.LUA_OK ? toReply(L, -1, active.protocol) : this.failure(L, run)), pauseWhen, decision);
  }

  /**
   * Runs function `name` of library `library` (loaded by loadLibrary) with KEYS and ARGV as
   * its two arguments, as FCALL does.
   */
  callFunction(library: string, name: string, run: Omit<ScriptRun, 'sha' | 'body'>): Reply {
    return this.startFunction(library, name, run, null) as Reply;
  }

  /** Calls a function as callFunction() does, pausing between slices when `pauseWhen` says so. */
  startFunction(library: string, name: string, run: Omit<ScriptRun, 'sha' | 'body'>, pauseWhen: PauseWhen | null, decision: DecisionOf | null = null): Reply | PausedRun<Reply> {
    const full: ScriptRun = { ...run, sha: '', body: new Uint8Array(0) };
    return this.invoke({ kind: 'function', run: full }, (L) => {
      this.clearKeysAndArgs();
      lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, registry.functions);
      lua.lua_getfield(L, -1, library);
      lua.lua_getfield(L, -1, name);
      lua.lua_insert(L, -3); // the function alone under its arguments, as a thread's first resume wants
      lua.lua_pop(L, 2);
      pushStrings(L, run.keys);
      pushStrings(L, run.args);
      return 2;
    }, (L, status, active) => (status === lua.LUA_OK ? toReply(L, -1, active.protocol) : this.failure(L, full)), pauseWhen, decision);
  }

  /** True when library `library` is loaded in this VM from the code named `codeSha`. */
  hasLibrary(library: string, codeSha: string): boolean {
    return this.libraries.get(library) === codeSha;
  }

  /**
   * Runs a library's code (FUNCTION LOAD) with the load globals, collecting what it
   * registers; on success its functions replace the library's old ones in this VM.
   */
  loadLibrary(library: string, codeSha: string, code: Uint8Array, limits: RunLimits): readonly FunctionInfo[] | Reply {
    const L = this.L;
    const failed = this.loadChunk(code, '@user_function', 'ERR Error compiling function');
    if (failed !== null) return failed;
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, registry.libenv);
    lua.lua_setupvalue(L, 1, 1);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, registry.loadchunk);
    const registered: FunctionInfo[] = [];
    const run: ScriptRun = {
      name: library, sha: '', body: code, keys: [], args: [], seed: 0, instructionsMax: limits.instructionsMax, stringBytesMax: limits.stringBytesMax,
      call: () => errorReply('ERR redis.call is not available while loading'), aclCheck: () => null,
    };
    const reply = this.invoke({ kind: 'load', run, registered }, (state) => {
      lua.lua_getfield(state, lua.LUA_REGISTRYINDEX, registry.loadchunk);
      lua.lua_createtable(state, 0, 4);
      lua.lua_setfield(state, lua.LUA_REGISTRYINDEX, registry.pending);
      this.setLoading(state, true);
      return 0;
    }, (state, status) => {
      this.setLoading(state, false);
      if (status !== lua.LUA_OK) return errorReply(`ERR Error registering functions: ${this.errorMessage(state)}`);
      if (registered.length === 0) return errorReply('ERR No functions registered');
      lua.lua_getfield(state, lua.LUA_REGISTRYINDEX, registry.functions);
      lua.lua_getfield(state, lua.LUA_REGISTRYINDEX, registry.pending);
      lua.lua_setfield(state, -2, library);
      this.libraries.set(library, codeSha);
      this.generation++;
      return null;
    }, null) as Reply | null;
    // The load's chunk and table are garbage now: the registry must not keep them (they
    // would be counted as the VM's memory, and kept alive until the next load).
    for (const field of [registry.loadchunk, registry.pending]) {
      lua.lua_pushnil(L);
      lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, field);
    }
    return reply ?? registered;
  }

  /** Forgets every library `keep` refuses (given its lowercase name and the SHA-1 of its code). */
  retainLibraries(keep: (library: string, codeSha: string) => boolean): void {
    for (const [library, codeSha] of [...this.libraries]) if (!keep(library, codeSha)) this.dropLibrary(library);
  }

  /** Forgets a library's functions in this VM. */
  dropLibrary(library: string): void {
    if (!this.libraries.delete(library)) return;
    this.generation++;
    const L = this.L;
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, registry.functions);
    lua.lua_pushnil(L);
    lua.lua_setfield(L, -2, library);
    lua.lua_settop(L, 0);
  }

  private setLoading(L: LuaState, on: boolean): void {
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, registry.loading);
    lua.lua_pushboolean(L, on);
    lua.lua_call(L, 1, 0);
  }

  /**
   * One protected call with the error handler and the instruction budget, in the VM's run
   * thread (a coroutine, so a run can pause between slices) when the run may pause: `push` leaves the function and
   * its arguments on the thread's stack (returning how many arguments), `finish` turns the
   * outcome into the reply while the result is still on the stack. With `pauseWhen`, the run
   * pauses when it answers true (checked every hookInstructions instructions, where the run can
   * yield) and a PausedRun is returned.
   */
  private invoke<R>(active: Pick<ActiveRun, 'kind' | 'registered' | 'run'>, push: (L: LuaState) => number, finish: (L: LuaState, status: number, active: ActiveRun) => R, pauseWhen: PauseWhen | null, decision: DecisionOf | null = null): R | Reply | PausedRun<R | Reply> {
    if (this.active !== null) throw new Error('kv: a script started while another runs');
    const running: ActiveRun = {
      kind: active.kind, registered: active.registered, run: active.run, protocol: 2, instructions: 0, random: null,
      decision: pauseWhen === null || active.run.writes === undefined ? null : decision, wrote: false, awaiting: false,
    };
    this.active = running;
    this.cjson.reset();
    // A run that may not pause is one protected call on the main thread: the coroutine's
    // resume, runner and continuation cost a script of three calls ~10% more.
    const invocation: Invocation<R> = { running, thread: pauseWhen === null ? this.L : this.runThread(), finish, pauseWhen, stringBudget: null, workMeter: null };
    try {
      const T = invocation.thread;
      lua.lua_settop(this.L, 0);
      lua.lua_settop(T, 0);
      lua.lua_pushcfunction(T, pauseWhen === null ? errorHandler : this.runner);
      // Before push: the tables it makes (KEYS, ARGV) are the run's, and tostring(KEYS) must
      // not depend on what the VM ran before (a replica restored from a snapshot ran nothing).
      (T as unknown as { l_G: { id_counter: number } }).l_G.id_counter = objectIdBase;
      const nargs = push(T);
      lua.lua_sethook(T, this.hook, lua.LUA_MASKCOUNT, hookInstructions);
      setStringBudget(active.run.stringBytesMax);
      setWorkMeter(this.chargeWork);
      if (pauseWhen === null) return this.ended(invocation, lua.lua_pcall(T, nargs, 1, 1));
      this.pauseWhen = pauseWhen;
      return this.proceed(invocation, lua.lua_resume(T, null, nargs + 1));
    } catch (error) {
      return this.crashed(invocation, error);
    }
  }

  /** Where a run in the run thread stands after the thread stopped: paused (between slices) or ended. */
  private proceed<R>(invocation: Invocation<R>, status: number): R | Reply | PausedRun<R | Reply> {
    this.pauseWhen = null;
    if (status === lua.LUA_YIELD) return this.pause(invocation);
    // The runner's protected call catches every error, so its thread ends normally; if it
    // did not (an error in the runner itself), the thread is dead and its error is the run's.
    if (status !== lua.LUA_OK) this.thread = null;
    const running = invocation.running;
    const decided = this.killable(running) ? (running.decision as DecisionOf)() : 'continue';
    if (decided === 'kill') {
      this.endRun(invocation);
      return errorReply(killedByUser);
    }
    const reply = this.ended(invocation, status === lua.LUA_OK ? this.runStatus : status);
    return decided === null ? this.awaitingAtEnd(running, reply) : reply;
  }

  /** Past KILLABLE_AFTER_INSTRUCTIONS with no write call (a run that may be killed). */
  private killable(running: ActiveRun): boolean {
    return running.decision !== null && !running.wrote && running.instructions >= KILLABLE_AFTER_INSTRUCTIONS;
  }

  /**
   * A killable run that ended before its decision was filed: its reply waits for it (the run
   * wrote nothing, so the VM is free meanwhile); a kill makes it the killed run's reply.
   */
  private awaitingAtEnd<R>(running: ActiveRun, reply: R | Reply): PausedRun<R | Reply> {
    const decision = running.decision as DecisionOf;
    const waiting: PausedRun<R | Reply> = {
      instructions: running.instructions, isFunction: running.kind === 'function', name: running.run.name, wrote: false, hasKillPoint: true, killable: true, awaitingDecision: true,
      resume: () => {
        const decided = decision();
        return decided === null ? waiting : decided === 'kill' ? errorReply(killedByUser) : reply;
      },
      abandon: () => {},
    };
    return waiting;
  }

  /** The reply of a run whose protected call ended with `status` (its result or error on top of its thread's stack). */
  private ended<R>(invocation: Invocation<R>, status: number): R | Reply {
    const T = invocation.thread;
    try {
      setWorkMeter(null);
      const stringsSpent = stringBudgetSpent();
      setStringBudget(null);
      lua.lua_sethook(T, null, 0, 0);
      // Past the string budget in the middle of an instruction (a concatenation), fengari's
      // error path itself fails and leaves no error table: the run's error is the budget's,
      // and the VM, left mid-instruction, is made anew.
      if (status !== lua.LUA_OK && stringsSpent && lua.lua_type(T, -1) !== lua.LUA_TTABLE) {
        this.endRun(invocation); // before the state it ran in is closed
        this.reset();
        return errorReply(`${nativeErrorMessage(new StringBudgetExceeded(invocation.running.run.stringBytesMax))} script: ${invocation.running.run.name}.`);
      }
      return invocation.finish(T, status, invocation.running);
    } catch (error) {
      return this.crashed(invocation, error);
    } finally {
      this.endRun(invocation);
    }
  }

  /**
   * A JavaScript exception out of the VM (fengari bug, exhausted memory): the VM may be
   * inconsistent, so it is rebuilt; the reply is the same on every replica that fails alike.
   */
  private crashed<R>(invocation: Invocation<R>, error: unknown): Reply {
    this.endRun(invocation);
    this.reset();
    return errorReply(`ERR Error running script ${invocation.running.run.name}: ${error instanceof Error ? error.message : String(error)}`);
  }

  /** Clears what a run set (a no-op for a run ended already). */
  private endRun<R>(invocation: Invocation<R>): void {
    if (this.active !== invocation.running) return;
    setWorkMeter(null);
    setStringBudget(null);
    this.pauseWhen = null;
    const T = invocation.thread;
    lua.lua_sethook(T, null, 0, 0);
    lua.lua_settop(T, 0);
    compactStack(T);
    this.active = null;
  }

  /**
   * Pauses a run between two slices: the process-wide meters it counts with are taken off
   * (another VM in this process may run meanwhile) and put back when it resumes, with what
   * it had counted, so its counts are those of an unpaused run.
   */
  private pause<R>(invocation: Invocation<R>): PausedRun<R | Reply> {
    invocation.stringBudget = pauseStringBudget();
    invocation.workMeter = pauseWorkMeter();
    const running = invocation.running;
    return {
      get instructions() { return running.instructions; },
      isFunction: running.kind === 'function',
      name: running.run.name,
      hasKillPoint: running.decision !== null,
      get wrote() { return running.wrote; },
      killable: this.killable(running),
      get awaitingDecision() { return running.awaiting; },
      resume: () => this.resumeRun(invocation),
      abandon: () => this.abandonRun(invocation),
    };
  }

  private resumeRun<R>(invocation: Invocation<R>): R | Reply | PausedRun<R | Reply> {
    if (this.active !== invocation.running || invocation.workMeter === null) throw new Error('kv: a paused run resumed after it ended');
    resumeStringBudget(invocation.stringBudget);
    resumeWorkMeter(invocation.workMeter);
    invocation.workMeter = null;
    this.pauseWhen = invocation.pauseWhen;
    try {
      return this.proceed(invocation, lua.lua_resume(invocation.thread, null, 0));
    } catch (error) {
      return this.crashed(invocation, error);
    }
  }

  /** Ends a paused run where it stopped: nothing more of it runs, and its thread is dropped. */
  private abandonRun<R>(invocation: Invocation<R>): void {
    if (this.active !== invocation.running) return;
    this.thread = null;
    this.endRun(invocation);
  }

  /** The thread runs that may pause go in: kept from run to run while each ends normally. */
  private runThread(): LuaState {
    if (this.thread !== null) return this.thread;
    const thread = lua.lua_newthread(this.L);
    lua.lua_pop(this.L, 1); // the JavaScript reference keeps it (fengari has no collector)
    this.thread = thread;
    return thread;
  }

  /**
   * The body of the run thread: the function and its arguments under the message handler, in
   * a protected call that may yield (its continuation takes over after a pause).
   */
  private readonly runner = (T: LuaState): number => {
    // The thread's first call went through fengari's own precall (hostCallStatus says why this matters).
    (T as FengariState).ci.callstatus |= hostCallStatus(T as FengariState);
    lua.lua_pushcfunction(T, errorHandler);
    lua.lua_insert(T, 1);
    return this.ran(lua.lua_pcallk(T, lua.lua_gettop(T) - 2, 1, 1, 0, this.ranAfterPause));
  };

  /** The runner's continuation: LUA_YIELD is how Lua says the call went on to its end without error. */
  private readonly ranAfterPause = (_T: LuaState, status: number): number => this.ran(status === lua.LUA_YIELD ? lua.LUA_OK : status);

  private ran(status: number): number {
    this.runStatus = status;
    return 1; // the result, or the error
  }

  /** Forgets every compiled script and library and starts a fresh VM (SCRIPT FLUSH). */
  reset(): void {
    this.compiled.clear();
    this.libraries.clear();
    this.generation++;
    lua.lua_close(this.L);
    this.thread = null;
    this.L = this.createState();
  }

  /** Sets the globals KEYS and ARGV to new tables of the run's keys and arguments (straight into the table: they are set for every run). */
  private setKeysAndArgs(run: ScriptRun): void {
    const L = this.L as FengariState;
    const { globals, keys, args } = this.names;
    rawSet(L, globals, keys, stringArray(L, run.keys));
    rawSet(L, globals, args, stringArray(L, run.args));
  }

  /**
   * Removes the globals KEYS and ARGV before a function runs: they are a script run's (a
   * function gets its own as arguments), and a function that read the last script's would
   * see what this VM ran before, which a replica restored from a snapshot did not run.
   * Redis runs functions in a VM without them.
   */
  private clearKeysAndArgs(): void {
    const L = this.L as FengariState;
    const { globals, keys, args } = this.names;
    rawSet(L, globals, keys, nilValue());
    rawSet(L, globals, args, nilValue());
  }

  /** The budget hook: past the budget it raises an error at every instruction, so pcall cannot swallow it for long. */
  private countInstructions(L: LuaState): void {
    const active = this.active;
    if (active === null) return;
    active.instructions += hookInstructions;
    // Before the budget: once killed, the kill is raised at every instruction (as stop's
    // error is), and its error must stay the run's though the count grows past the budget.
    if (this.killable(active) && (active.decision as DecisionOf)() === 'kill') this.kill(L);
    if (this.overBudget(active)) this.stop(L, active);
    // Not every point can yield (a comparator of table.sort, a gsub callback: a host function
    // runs them): the run then pauses at a later check. Where it pauses changes nothing it does.
    if (this.pauseWhen !== null && lua.lua_isyieldable(L) && this.pauseWhen()) lua.lua_yield(L, 0);
  }

  /**
   * Past the budget: Lua instructions, host work counted as instructions (redis.call, the
   * libraries), and the bytes of the strings made, which cost time as they are built.
   */
  private overBudget(active: ActiveRun): boolean {
    return active.instructions + Math.floor(stringBytesUsed() / STRING_BYTES_PER_INSTRUCTION) > active.run.instructionsMax;
  }

  /** Ends a run past its budget: the error now, and again at every instruction, so pcall cannot hold it. */
  private stop(L: LuaState, active: ActiveRun): never {
    lua.lua_sethook(L, this.hook, lua.LUA_MASKCOUNT, 1);
    if (active.kind === 'load') raise(L, 'ERR FUNCTION LOAD timeout');
    raise(L, `ERR Script killed after ${active.run.instructionsMax} Lua instructions (script-instructions-max); the writes it made before were kept`);
  }

  /** Ends a run a kill decision was filed for: its error now, and again at every instruction, so pcall cannot hold it. */
  private kill(L: LuaState): never {
    lua.lua_sethook(L, this.hook, lua.LUA_MASKCOUNT, 1);
    raise(L, killedByUser);
  }

  /** The error reply of a failed run: the error table's `err`, with where it was raised, as Redis words it. */
  private failure(L: LuaState, run: ScriptRun): Reply {
    // An exception in the middle of an instruction (a concatenation past the string budget)
    // can leave the exception itself as the error, without the handlers' table.
    if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) {
      return errorReply(`ERR Error running script ${run.name}: ${lua.lua_tojsstring(L, -1)}`);
    }
    const message = this.errorMessage(L);
    const source = tableField(L, 'source');
    const line = tableField(L, 'line');
    const text = source !== null && line !== null ? `${message} script: ${run.name}, on ${source}:${line}.` : message;
    return isCountedError(L) ? countedErrorReply(text) : errorReply(text);
  }

  /** The `err` of the error table on top of the stack (newlines made spaces, as Redis sends errors). */
  private errorMessage(L: LuaState): string {
    if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) return lua.lua_tojsstring(L, -1);
    return (tableField(L, 'err') ?? 'ERR unknown error').replace(/[\r\n]/g, ' ');
  }

  private createState(): LuaState {
    const L = lauxlib.luaL_newstate();
    for (const [name, open] of [['_G', lualib.luaopen_base], ['table', lualib.luaopen_table], ['string', lualib.luaopen_string], ['math', lualib.luaopen_math]] as const) {
      lauxlib.luaL_requiref(L, name, open, 1);
      lua.lua_pop(L, 1);
    }
    lua.lua_createtable(L, 0, 0);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, registry.functions);
    lua.lua_getglobal(L, 'string');
    lua.lua_pushcfunction(L, stringRep);
    lua.lua_setfield(L, -2, 'rep');
    lua.lua_pop(L, 1);
    this.registerRedisApi(L);
    openBit(L);
    this.cjson.open(L);
    openCmsgpack(L);
    openStruct(L);
    chargeStandardLibraries(L);
    sandboxLua(L);
    // The registry holds the three (so they live as long as the state); a run uses the values.
    const held = (push: () => void): StackValue => {
      push();
      const value = stackValue(L as FengariState, -1);
      lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
      return value;
    };
    this.names = {
      globals: held(() => lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, registry.globals)),
      keys: held(() => lua.lua_pushstring(L, registry.KEYS)),
      args: held(() => lua.lua_pushstring(L, registry.ARGV)),
    };
    // Setting up the libraries grew the stack; runs that may pause never use it to shrink it.
    lua.lua_settop(L, 0);
    compactStack(L);
    return L;
  }

  private registerRedisApi(L: LuaState): void {
    const functions: Record<string, (state: LuaState) => number> = {
      call: (state) => this.redisCall(state, true),
      acl_check_cmd: (state) => this.aclCheck(state),
      pcall: (state) => this.redisCall(state, false),
      sha1hex: sha1hexFunction,
      error_reply: (state) => replyTable(state, 'err'),
      status_reply: (state) => replyTable(state, 'ok'),
      setresp: (state) => this.setProtocol(state),
      log: () => 0,
      set_repl: () => 0,
      replicate_commands: (state) => (lua.lua_pushboolean(state, true), 1),
      breakpoint: (state) => (lua.lua_pushboolean(state, false), 1),
      debug: () => 0,
    };
    lua.lua_createtable(L, 0, 24);
    for (const [name, fn] of Object.entries(functions)) {
      lua.lua_pushcfunction(L, guardedHost(fn));
      lua.lua_setfield(L, -2, name);
    }
    const constants: Record<string, number | string> = {
      LOG_DEBUG: 0, LOG_VERBOSE: 1, LOG_NOTICE: 2, LOG_WARNING: 3,
      REPL_NONE: 0, REPL_AOF: 1, REPL_SLAVE: 2, REPL_REPLICA: 2, REPL_ALL: 3,
      REDIS_VERSION: '7.0.15', REDIS_VERSION_NUM: 0x07000f,
    };
    for (const [name, value] of Object.entries(constants)) {
      if (typeof value === 'number') lua.lua_pushnumber(L, value);
      else lua.lua_pushliteral(L, value);
      lua.lua_setfield(L, -2, name);
    }
    lua.lua_setglobal(L, 'redis');
    lua.lua_atnativeerror(L, nativeError);
    lua.lua_pushcfunction(L, guardedHost((state) => this.mathRandom(state)));
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, registry.random);
    lua.lua_pushcfunction(L, guardedHost((state) => this.mathRandomseed(state)));
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, registry.randomseed);
    lua.lua_pushcfunction(L, guardedHost((state) => registerFunction(state, this.active)));
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, registry.register_function);
  }

  private redisCall(L: LuaState, raises: boolean): number {
    const active = this.activeRun(L);
    const argv = this.callArguments(L);
    if (active.decision !== null && !active.wrote && (active.run.writes as (argv: readonly Uint8Array[]) => boolean)(argv)) {
      if (this.killable(active) && this.mayNotWriteYet(L, active)) return this.awaitDecision(L, active, raises);
      active.wrote = true;
    }
    const reply = active.run.call(argv);
    // Host work counts in the budget (call-cost.ts); past it the script stops here, after
    // the call, which ran (its writes are kept, as those before a stop always are).
    active.instructions += callInstructions(argv, reply);
    if (this.overBudget(active)) this.stop(L, active);
    if (raises && reply.kind === 'error') raise(L, reply.message, true);
    pushReply(L, reply, active.protocol);
    return 1;
  }

  /**
   * A killable run's first write call: it goes on once its decision says so; a kill ends it
   * here, and with none filed yet the run stops for it (true).
   */
  private mayNotWriteYet(L: LuaState, active: ActiveRun): boolean {
    const decided = (active.decision as DecisionOf)();
    if (decided === 'kill') this.kill(L);
    if (decided === 'continue') return false;
    // Inside a host function's callback (a table.sort comparator, a gsub replacement) the run
    // cannot stop; going on would make it unkillable on this node only: the run fails here
    // instead, as it does on every replica.
    if (!lua.lua_isyieldable(L)) raise(L, `ERR a script past its kill point (no write in its first ${KILLABLE_AFTER_INSTRUCTIONS} instructions) may not make its first write from a library callback`);
    return true;
  }

  /** Stops the run at its write call until its decision is filed (resume() calls the command then, or kills the run). */
  private awaitDecision(L: LuaState, active: ActiveRun, raises: boolean): number {
    active.awaiting = true;
    return lua.lua_yieldk(L, 0, raises ? 1 : 0, this.afterDecision);
  }

  /** The continuation of a write call that stopped for its decision: the call again, with the stack as it was. */
  private readonly afterDecision = (L: LuaState, _status: number, raises: number): number => {
    const active = this.activeRun(L);
    active.awaiting = false;
    return this.redisCall(L, raises === 1);
  };

  private aclCheck(L: LuaState): number {
    const active = this.activeRun(L);
    const argv = this.callArguments(L);
    const allowed = active.run.aclCheck(argv);
    if (allowed === null) raise(L, 'ERR Invalid command passed to redis.acl_check_cmd()');
    lua.lua_pushboolean(L, allowed);
    return 1;
  }

  /** The arguments of redis.call and friends as a command's argv: strings, and numbers written as Redis writes them. */
  private callArguments(L: LuaState): Uint8Array[] {
    // Read in place from the host frame's slots (what lua_type and lua_tolstring would find
    // through index2addr, for every redis.call argument).
    const state = L as FengariState;
    const base = state.ci.funcOff + 1;
    const argc = state.top - base;
    if (argc === 0) raise(L, 'ERR Please specify at least one argument for this redis lib call');
    const argv = new Array<Uint8Array>(argc);
    for (let i = 0; i < argc; i++) {
      const slot = state.stack[base + i] as StackValue;
      const type = slot.type & typeTagMask;
      // A Lua string's bytes are never changed once made: the command may read them in place.
      if (type === lua.LUA_TSTRING) argv[i] = (slot.value as LuaStringObject).getstr();
      else if (type === lua.LUA_TNUMBER) argv[i] = Buffer.from(formatRedisDouble(slot.value as number), 'latin1');
      else raise(L, 'ERR Lua redis lib command arguments must be strings or integers');
    }
    return argv;
  }

  private setProtocol(L: LuaState): number {
    const active = this.activeRun(L);
    if (lua.lua_gettop(L) !== 1) raise(L, 'ERR redis.setresp() requires one argument.');
    const protocol = lua.lua_tonumber(L, 1);
    if (protocol !== 2 && protocol !== 3) raise(L, 'ERR RESP version must be 2 or 3.');
    active.protocol = protocol;
    return 0;
  }

  /** Lua 5.1's math.random over Redis's rand48: [0,1), [1,m] or [m,n]. */
  private mathRandom(L: LuaState): number {
    const random = this.randomOf(this.activeRun(L)).nextFraction();
    const argc = lua.lua_gettop(L);
    if (argc === 0) {
      lua.lua_pushnumber(L, random);
      return 1;
    }
    const lower = argc === 1 ? 1 : Math.trunc(lauxlib.luaL_checknumber(L, 1));
    const upper = Math.trunc(lauxlib.luaL_checknumber(L, argc === 1 ? 1 : 2));
    if (argc > 2) lauxlib.luaL_error(L, 'wrong number of arguments');
    if (lower > upper) lauxlib.luaL_error(L, `bad argument #${argc === 1 ? 1 : 2} to 'random' (interval is empty)`);
    lua.lua_pushnumber(L, Math.floor(random * (upper - lower + 1)) + lower);
    return 1;
  }

  private mathRandomseed(L: LuaState): number {
    this.randomOf(this.activeRun(L)).seed(Math.trunc(lauxlib.luaL_checknumber(L, 1)) | 0);
    return 0;
  }

  private randomOf(active: ActiveRun): Rand48 {
    return (active.random ??= new Rand48(active.run.seed));
  }

  private activeRun(L: LuaState): ActiveRun {
    const active = this.active;
    if (active === null) return lauxlib.luaL_error(L, 'redis API used outside of a script run');
    return active;
  }
}

/** Slots of a new fengari stack (lstate.js BASIC_STACK_SIZE), and those it keeps free at its end (EXTRA_STACK). */
const stackSlotsStart = 40;
const stackSlotsExtra = 5;
/** Slots the base frame of a new fengari state may use above its top (LUA_MINSTACK). */
const stackSlotsMinimum = 20;

/**
 * Puts the VM's stack back to a fresh array of the size fengari starts with, between runs.
 * fengari pops with `delete stack[i]`; once its stack has grown to 64 slots or more (loading
 * the libraries does), V8 judges the array sparse and turns it into a dictionary, and every
 * stack access of every later run is a hash look-up: EVALSHA of a three-call script cost
 * twice the time. Between runs only the base slots are in use and no frame refers to the
 * array, so a new one holding them is the same stack.
 */
function compactStack(L: LuaState): void {
  const state = L as unknown as { stack: unknown[]; top: number; stack_last: number; ci: { top: number; previous: unknown } };
  if (state.stack.length <= stackSlotsStart) return;
  // Only the base frame is left, and it fits a new stack. Its limit (ci.top) goes back to a
  // new state's too: lua_checkstack raised it while the stack was large, and fengari checks
  // that every frame's limit is within the stack (stackinuse, after an error).
  const baseTop = state.top + stackSlotsMinimum;
  if (state.ci.previous !== null || baseTop > stackSlotsStart - stackSlotsExtra) return;
  const fresh: unknown[] = new Array(stackSlotsStart);
  for (let i = 0; i < state.top; i++) fresh[i] = state.stack[i];
  state.stack = fresh;
  state.stack_last = stackSlotsStart - stackSlotsExtra;
  state.ci.top = baseTop;
}

/** A string or number field of the table on top of the stack. */
function tableField(L: LuaState, name: string): string | null {
  const type = lua.lua_getfield(L, -1, name);
  const text = type === lua.LUA_TSTRING || type === lua.LUA_TNUMBER ? lua.lua_tojsstring(L, -1) : null;
  lua.lua_pop(L, 1);
  return text;
}

/**
 * string.rep, which checks the size against the run's string budget before building the
 * result (fengari's builds it first: a huge count would take seconds and the memory). A
 * budget refusal is a JavaScript exception on purpose: nativeError turns it into the run's
 * error, as for any string.
 */
function stringRep(L: LuaState): number {
  const text = lauxlib.luaL_checklstring(L, 1);
  const count = Math.trunc(lauxlib.luaL_checknumber(L, 2));
  const separator = lua.lua_gettop(L) >= 3 ? lauxlib.luaL_checklstring(L, 3) : new Uint8Array(0);
  if (count <= 0) {
    lua.lua_pushliteral(L, '');
    return 1;
  }
  const total = text.length * count + separator.length * (count - 1);
  checkStringBudget(total);
  if (total >= stringBytesLimit) lauxlib.luaL_error(L, 'resulting string too large');
  // One copy of the text (and separator), then the filled part copied onto the rest,
  // doubling: a byte at a time would cost ~30 ns a byte, far more than its instructions.
  const result = Buffer.alloc(total);
  result.set(text, 0);
  if (count > 1) result.set(separator, text.length);
  const unit = text.length + separator.length;
  for (let filled = Math.min(unit, total); filled < total; filled *= 2) result.copyWithin(filled, 0, Math.min(filled, total - filled));
  lua.lua_pushstring(L, result);
  return 1;
}

/**
 * A JavaScript exception inside the VM as the run's error: the string budget's with its
 * text, anything else (a fengari bug, a string beyond what JavaScript can hold) as ERR with
 * its message. Both depend only on what the script did, so every replica raises the same.
 */
function nativeError(L: LuaState): number {
  return outsideStringBudget(() => nativeErrorTable(L));
}

function nativeErrorMessage(error: unknown): string {
  return error instanceof StringBudgetExceeded
    ? `ERR Script used more than ${error.limitBytes} bytes of strings (script-string-bytes-max); the writes it made before were kept`
    : `ERR ${error instanceof Error ? error.message : String(error)}`;
}

function nativeErrorTable(L: LuaState): number {
  const message = nativeErrorMessage(lua.lua_touserdata(L, 1));
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushstring(L, Buffer.from(message, 'latin1'));
  lua.lua_setfield(L, -2, 'err');
  return 1;
}

/**
 * The message handler of every run, as Redis 7's: a string error becomes {err = 'ERR ' .. msg};
 * the table gets `source` and `line` of the Lua function that raised it.
 */
function errorHandler(L: LuaState): number {
  return outsideStringBudget(() => completeError(L));
}

function completeError(L: LuaState): number {
  if (lua.lua_type(L, 1) !== lua.LUA_TTABLE) {
    const message = lua.lua_type(L, 1) === lua.LUA_TSTRING || lua.lua_type(L, 1) === lua.LUA_TNUMBER ? lua51Wording(lua.lua_tojsstring(L, 1)) : 'unknown error';
    lua.lua_settop(L, 0);
    lua.lua_createtable(L, 0, 3);
    lua.lua_pushstring(L, Buffer.from(`ERR ${message}`, 'latin1'));
    lua.lua_setfield(L, -2, 'err');
  }
  const record: DebugRecord = { currentline: -1, source: null, what: null };
  for (let level = 1; level <= 3; level++) {
    if (lua.lua_getstack(L, level, record) === 0) break;
    lua.lua_getinfo(L, infoSourceLine, record);
    // A host function (no line) or the sandbox's own Lua (readonly tables, missing globals)
    // raised it for the script: the place is the caller's.
    if (record.currentline <= 0 || record.source === null || record.source[0] === 0x3d) continue;
    lua.lua_pushstring(L, record.source);
    lua.lua_setfield(L, 1, 'source');
    lua.lua_pushnumber(L, record.currentline);
    lua.lua_setfield(L, 1, 'line');
    break;
  }
  lua.lua_settop(L, 1);
  return 1;
}

/**
 * Lua 5.3 names the culprit after the type ("attempt to call a nil value (field 'f')"); 5.1,
 * which scripts and Redis's tests expect, before it ("attempt to call field 'f' (a nil value)").
 * 5.1 also quotes every token in syntax errors ("near '<eof>'").
 */
function lua51Wording(message: string): string {
  return message
    .replace(/attempt to (\w+) an? (\w+) value \((\w+) '([^']*)'\)/, "attempt to $1 $3 '$4' (a $2 value)")
    .replace(/ near <eof>$/, " near '<eof>'");
}

function sha1hexFunction(L: LuaState): number {
  if (lua.lua_gettop(L) !== 1) raise(L, 'ERR wrong number of arguments');
  const data = lua.lua_tolstring(L, 1) ?? new Uint8Array(0);
  chargeWork(L, data.length * HOST_COST.sha1Byte);
  lua.lua_pushliteral(L, sha1Hex(data));
  return 1;
}

/** redis.error_reply / redis.status_reply: {err = msg} or {ok = msg}. */
function replyTable(L: LuaState, field: 'err' | 'ok'): number {
  if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, 1) !== lua.LUA_TSTRING) raise(L, 'ERR wrong number or type of arguments');
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushvalue(L, 1);
  lua.lua_setfield(L, -2, field);
  return 1;
}

function pushStrings(L: LuaState, values: readonly Uint8Array[]): void {
  lua.lua_createtable(L, values.length, 0);
  values.forEach((value, i) => {
    lua.lua_pushstring(L, value);
    lua.lua_rawseti(L, -2, i + 1);
  });
}


/** The script text Lua compiles: a "#!" first line is blanked (kept as a line, so line numbers hold). */
export function withoutShebang(body: Uint8Array): Uint8Array {
  if (body[0] !== 0x23 || body[1] !== 0x21) return body;
  const newline = body.indexOf(0x0a);
  return newline < 0 ? new Uint8Array(0) : body.subarray(newline);
}
