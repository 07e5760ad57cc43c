// What script commands need from the state machine: the replicated script cache, the VM,
// the instruction budget, and a way to run a command the script calls exactly as the state
// machine runs one (memory check, handler, settling), in the script's mode.

import type { CommandSpec } from '../command-spec.js';
import type { CommandContext } from '../command-context.js';
import type { ErrorReply, Reply } from '../reply.js';
import type { ScriptCallLog } from './call-stats.js';
import type { ScriptStore } from './script-store.js';
import type { FunctionStore } from './function-store.js';
import type { DecisionOf, PausedRun, PauseWhen, ScriptVm } from './script-vm.js';
import type { EffectsMode } from './script-effects.js';

export interface Scripting {
  readonly store: ScriptStore;
  readonly functions: FunctionStore;
  /** The VM, made on first use. */
  vm(): ScriptVm;
  /** Lua instructions one script may execute (script-instructions-max). */
  readonly instructionsMax: number;
  /** Bytes of strings one script may create (script-string-bytes-max). */
  readonly stringBytesMax: number;
  /** The command table's row of `name` (any case; a string is the caller's already converted name). */
  lookup(name: Uint8Array | string): CommandSpec | undefined;
  /**
   * Whether the script command being applied found the memory estimate over maxmemory once it
   * had evicted keys by policy, as before any write; false with no maxmemory (scriptCaller).
   */
  readonly overMaxmemory: boolean;
  /** Runs `spec` as called by the script running in `outer` (its refusals checked): same time and mode, its own seed. */
  execute(spec: CommandSpec, argv: readonly Uint8Array[], outer: CommandContext, seed: number): Reply;
  /**
   * While the state machine applies an entry with its scripts' effects recorded or replayed
   * (applyRecording, applyReplaying: script-effects.ts), how a run happens; null otherwise,
   * and then a run is just run.
   */
  effects: EffectsMode | null;
  /**
   * While the state machine applies an entry that may pause (applyPausable), when a script
   * run of it pauses between slices; null otherwise, and then a run goes to its end.
   */
  readonly pauseWhen: PauseWhen | null;
  /** With pauseWhen: the decision filed so far for the entry's killable run (kill-decisions.ts). */
  readonly decision: DecisionOf | null;
  /** Takes a run that paused: the state machine resumes it later; the command answers what this returns (suspension.ts). */
  suspend(run: PausedRun<Reply>): Reply;
  /** Why the entry's calling user may not run `argv` (NOPERM), or null when it may (a call's check, redis.acl_check_cmd). */
  denied(spec: CommandSpec, argv: readonly Uint8Array[]): ErrorReply | null;
  /** Where the calls of the command being run are told (call-stats.ts); null on a node that does not count them. */
  readonly callLog: ScriptCallLog | null;
}
