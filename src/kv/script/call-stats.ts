// What a script's calls did (redis.call, redis.pcall), for INFO commandstats and errorstats
// of the node whose client ran the script. Redis counts each call as a command of its own:
// one refused before it ran (arity, a write from a read-only script, OOM, ACL) as rejected,
// one that ran as a call with its time, failed when it answered an error; each error once,
// where it arose. Node-local: a log is kept only on a node that counts (the server; not the
// simulator), nothing a script does depends on it, and the node's own clock times the calls.

import { latin1Of } from '../binary.js';

export type ScriptCallOutcome = 'ok' | 'failed' | 'rejected';

export interface ScriptCall {
  /** The name INFO commandstats counts the call under ('set', 'xgroup|createconsumer'); null for a name no command has. */
  readonly command: string | null;
  readonly usec: number;
  readonly outcome: ScriptCallOutcome;
  /** The error the call answered, counted in errorstats; null when it answered none. */
  readonly error: string | null;
}

/** The calls of the command being run, as they happen; taken when it is over. */
export class ScriptCallLog {
  private calls: ScriptCall[] | null = null;

  /** `isContainer(name)`: whether calls of `name` (lowercase) count by subcommand (CONFIG, XGROUP, ...). */
  constructor(private readonly clockMs: () => number, private readonly isContainer: (name: string) => boolean) {}

  /** The clock reading a call's time starts from. */
  now(): number {
    return this.clockMs();
  }

  /** A call of `name` (lowercase) with `argv` that ran from `startedMs` and answered `error` (null: no error). */
  ran(name: string, argv: readonly Uint8Array[], startedMs: number, error: string | null): void {
    const usec = Math.max(0, (this.clockMs() - startedMs) * 1000);
    this.add({ command: this.statsName(name, argv), usec, outcome: error === null ? 'ok' : 'failed', error });
  }

  /** A call refused before it ran, with the refusal's error; `name` null for a name no command has. */
  rejected(name: string | null, argv: readonly Uint8Array[], error: string): void {
    this.add({ command: name === null ? null : this.statsName(name, argv), usec: 0, outcome: 'rejected', error });
  }

  /** The calls since the last take, or null when there were none. */
  take(): readonly ScriptCall[] | null {
    const calls = this.calls;
    this.calls = null;
    return calls;
  }

  private add(call: ScriptCall): void {
    (this.calls ??= []).push(call);
  }

  /** The name a call counts under: `container|sub` for a container's subcommand. */
  private statsName(name: string, argv: readonly Uint8Array[]): string {
    const sub = argv[1];
    if (sub === undefined || !this.isContainer(name)) return name;
    return `${name}|${latin1Of(sub).toLowerCase()}`;
  }
}
