// A script run's effects: what it changed in the keyspace, as the commands that changed it,
// and its reply. Recorded while an entry is applied (EffectsRecorder) and applied instead of
// the run on a state identical to the one it was recorded on (EffectsReplayer), they give the
// same keyspace, the same reply, the same keyspace events and the same blocking-key
// readiness as running the script (docs/internals/scripting.md, "Deferred effects").
//
// Why replaying the calls is enough: every command a script calls runs at the entry's time
// with a seed of its own (the run's seed mixed with the call's number), and is a function of
// the state, its argv, that time and that seed. So each kept call is its argv and its seed;
// the time is the run's (every call of a run has the entry's time). What is kept:
//   - every call that is not a pure read (a write, an errored write: its lookups may have
//     deleted an expired key, its OOM check may have evicted), in order;
//   - a read that deleted an expired key on the way (its lookup is a write lookup inside
//     apply), so the deletion and its `expired` event come at the same point;
//   - every read while key-miss events are on (the replicated notify-keyspace-events has
//     class m), so each `keymiss` comes in order among the writes' events.
// Not kept: reads that changed nothing, calls refused before they ran (ACL, a write from a
// read-only script, arity, unknown command: they change nothing), TIME, PING and ECHO (no
// command), and everything the Lua side did (math.random, pcall's catching): their outcome
// is in the kept calls' argvs and in the reply. Node-local observers differ on a replica that
// replays (MONITOR sees only the kept calls; OBJECT IDLETIME is not refreshed by skipped
// reads); replicated state does not.

import type { Reply } from '../reply.js';
import type { CommandContext } from '../command-context.js';

/** One kept call: the command as the script called it, and the seed it ran with. */
export interface EffectCall {
  readonly argv: readonly Uint8Array[];
  readonly seed: number;
}

/** What one script run did, enough to apply it again without running the script. */
export interface ScriptEffects {
  /** The entry's cluster time, which every call ran at (a replay checks it has the same). */
  readonly timeMs: number;
  readonly calls: readonly EffectCall[];
  /** Read-only calls the run made (kept or not): node-local CLIENT TRACKING counts them. */
  readonly readCalls: number;
  readonly reply: Reply;
}


/**
 * How an entry's script runs happen while it is applied: recorded around the real run, or
 * replaced by recorded effects. The state machine holds one only while such an entry is
 * applied; otherwise scripts run with no recording at all.
 */
export interface EffectsMode {
  /** Runs a script (through `run`) or replays it, in the context of the command that runs it. */
  around(outer: CommandContext, run: () => Reply): Reply;
  /** A call the running script made that ran (not refused), with whether it must be kept. */
  called(argv: readonly Uint8Array[], seed: number, keep: boolean, read: boolean): void;
}

/**
 * Collects the effects of every script run of one entry, in order. A run that keeps more than
 * `callsMax` calls makes the entry's record too large to be worth replicating (the record
 * would outweigh the script): the recorder then stops keeping calls and says the entry has no
 * record (`overflowed`), so a follower runs the script. The run itself is never affected.
 */
export class EffectsRecorder implements EffectsMode {
  readonly runs: ScriptEffects[] = [];
  /** True when a run kept more than callsMax calls: the entry has no usable record. */
  overflowed = false;
  private calls: EffectCall[] | null = null;
  private readCalls = 0;

  constructor(private readonly callsMax: number) {}

  around(outer: CommandContext, run: () => Reply): Reply {
    if (this.calls !== null) throw new Error('kv: a script run started while another was recorded');
    this.calls = [];
    this.readCalls = 0;
    try {
      const reply = run();
      this.runs.push({ timeMs: outer.nowMs, calls: this.calls, readCalls: this.readCalls, reply });
      return reply;
    } finally {
      this.calls = null;
    }
  }

  called(argv: readonly Uint8Array[], seed: number, keep: boolean, read: boolean): void {
    const calls = this.calls;
    if (calls === null) throw new Error('kv: a script call outside a recorded run');
    if (read) this.readCalls++;
    if (!keep || this.overflowed) return;
    if (calls.length >= this.callsMax) {
      this.overflowed = true;
      calls.length = 0;
      return;
    }
    calls.push({ argv, seed });
  }
}

/**
 * Applies recorded runs in place of an entry's script runs, in order: `replay` applies one
 * run's calls as the state machine applies a script's calls. finish() checks every run was
 * used: a list that does not fit its entry is a bug, never a reason to guess.
 */
export class EffectsReplayer implements EffectsMode {
  private next = 0;
  /** The first mismatch found (thrown again by finish()). */
  private failure: Error | null = null;

  constructor(
    private readonly runs: readonly ScriptEffects[],
    private readonly replay: (effects: ScriptEffects, outer: CommandContext) => void,
  ) {}

  around(outer: CommandContext): Reply {
    const effects = this.runs[this.next];
    if (effects === undefined) this.fail(`the entry ran script ${this.next + 1} of ${this.runs.length} recorded`);
    if (effects.timeMs !== outer.nowMs) this.fail(`effects recorded at time ${effects.timeMs} replayed at ${outer.nowMs}`);
    this.next++;
    this.replay(effects, outer);
    return effects.reply;
  }

  called(): void {
    this.fail('a script ran while its effects were replayed');
  }

  /** Throws the first mismatch (a handler's error is answered as an internal error: it must not end there). */
  finish(): void {
    if (this.failure !== null) throw this.failure;
    if (this.next !== this.runs.length) throw new Error(`kv: the entry ran ${this.next} scripts, ${this.runs.length} were recorded`);
  }

  private fail(message: string): never {
    this.failure ??= new Error(`kv: ${message}`);
    throw this.failure;
  }
}
