// What script commands need from the state machine: the replicated script cache, the VM,
// the instruction budget, and a way to run a command the script calls exactly as the state
// machine runs one (memory check, handler, settling), in the script's mode.

import type { CommandSpec } from '../command-spec.js';
import type { CommandContext } from '../command-context.js';
import type { Reply } from '../reply.js';
import type { ScriptStore } from './script-store.js';
import type { FunctionStore } from './function-store.js';
import type { ScriptVm } from './script-vm.js';
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
   * Runs `spec` as called by the script running in `outer`: same time and mode, its own
   * seed. Writes check memory first (OOM error) as top-level writes do.
   */
  execute(spec: CommandSpec, argv: readonly Uint8Array[], outer: CommandContext, seed: number): Reply;
  /**
   * While the state machine applies an entry with its scripts' effects recorded or replayed
   * (applyRecording, applyReplaying: script-effects.ts), how a run happens; null otherwise,
   * and then a run is just run.
   */
  effects: EffectsMode | null;
  /** Whether the entry's calling user may run `argv` (redis.acl_check_cmd). */
  aclAllows(spec: CommandSpec, argv: readonly Uint8Array[]): boolean;
}
