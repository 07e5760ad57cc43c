// Decision entries for killable script runs (docs/internals/scripting.md, "BUSY and kill"): a
// run past its kill point with no write waits, at its first write call or at its end, for the
// first decision entry for its index in log order: "kill" ends it, "continue" lets it go on.
// The leader proposes them (a kill for SCRIPT KILL / FUNCTION KILL, a continue when its own
// run waits); every node files them as they commit, before they are applied (a paused apply
// holds the entries behind it), so every replica's run obeys the same one.

import { isKeyword } from '../integer-parse.js';
import type { Reply } from '../reply.js';
import { errorReply, okReply } from '../replies.js';
import type { KillDecision } from './script-vm.js';

/** The command of a decision entry (never a client's: the server's registry has no such command). */
export const scriptDecisionCommandName = 'raftis.script-decision';

const unkillable = errorReply('UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.');

export interface ScriptDecision {
  /** The index of the entry whose run it decides. */
  readonly target: number;
  readonly decision: KillDecision;
}

export function scriptDecisionArgv(decision: ScriptDecision): Uint8Array[] {
  return [Buffer.from(scriptDecisionCommandName), Buffer.from(String(decision.target)), Buffer.from(decision.decision)];
}

/** The decision an entry's command is, or null for any other command. */
export function parseScriptDecision(argv: readonly Uint8Array[]): ScriptDecision | null {
  const name = argv[0];
  if (argv.length !== 3 || name === undefined || !isKeyword(name, scriptDecisionCommandName)) return null;
  const target = Number(Buffer.from(argv[1] as Uint8Array).toString('latin1'));
  const decision = Buffer.from(argv[2] as Uint8Array).toString('latin1');
  if (!Number.isSafeInteger(target) || target < 1 || (decision !== 'kill' && decision !== 'continue')) return null;
  return { target, decision };
}

/** The first decision filed for each index above the applied one, with the index of the entry that carried it. */
export class KillDecisions {
  private readonly filed = new Map<number, { readonly decision: KillDecision; readonly at: number }>();

  /** Files decision entry `at` (committed, not yet applied), unless a decision for its target was filed first or the target is applied. */
  file(decision: ScriptDecision, at: number, applied: number): void {
    if (decision.target > applied && decision.target < at && !this.filed.has(decision.target)) this.filed.set(decision.target, { decision: decision.decision, at });
  }

  /** The decision filed for the run of entry `target`, or null while none is. */
  of(target: number): KillDecision | null {
    return this.filed.get(target)?.decision ?? null;
  }

  /**
   * Applies decision entry `at`: its reply (what SCRIPT KILL answers) is OK when it was the
   * kill filed first for its target, UNKILLABLE otherwise (a "continue" came first). Its target
   * was applied before it: its filed decision goes.
   */
  applied(decision: ScriptDecision, at: number): Reply {
    const first = this.filed.get(decision.target);
    this.filed.delete(decision.target);
    return first?.at === at && decision.decision === 'kill' ? okReply : unkillable;
  }

  /** Forgets every filed decision (a snapshot replaced the state; its paused run, if any, was abandoned). */
  clear(): void {
    this.filed.clear();
  }
}

export { unkillable as unkillableReply };
