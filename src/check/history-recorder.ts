// Records a client history as a harness runs: the harness calls invoke() before sending a
// request and ok() / fail() / info() when it learns the outcome. Misuse (completing an
// operation twice, time running backwards) is a harness bug and throws.
import { resultMismatch } from './history.js';
import type { HistoryOp, KvOp, KvResult } from './history.js';

interface Pending {
  readonly process: number;
  readonly call: number;
  readonly op: KvOp;
  /** undefined while in flight; null once the operation is known not to have happened. */
  outcome: { readonly ret: number | null; readonly result?: KvResult } | null | undefined;
}

export class HistoryRecorder {
  readonly #entries: Pending[] = [];

  /** Records the call of `op` by `process` at `time`; returns the id to complete it with. */
  invoke(process: number, op: KvOp, time: number): number {
    assertTime(time, 'call');
    this.#entries.push({ process, call: time, op, outcome: undefined });
    return this.#entries.length - 1;
  }

  /** The operation completed with `result`. */
  ok(id: number, result: KvResult, time: number): void {
    const entry = this.#pending(id, time);
    const mismatch = resultMismatch(entry.op, result);
    if (mismatch !== null) {
      throw new Error(`history op ${id}: result ${JSON.stringify(result)} does not fit ${entry.op.f}: ${mismatch}`);
    }
    entry.outcome = { ret: time, result };
  }

  /** The operation definitely did not take effect (an error reply that rules it out). */
  fail(id: number, time: number): void {
    this.#pending(id, time);
    this.#entries[id]!.outcome = null;
  }

  /** The outcome is unknown (timeout, connection lost): it may or may not have happened. */
  info(id: number, time: number): void {
    this.#pending(id, time);
    this.#entries[id]!.outcome = { ret: null };
  }

  /** Number of operations invoked so far, failed ones included. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * The history so far: failed operations left out, operations still in flight
   * reported with an unknown outcome.
   */
  history(): HistoryOp[] {
    const out: HistoryOp[] = [];
    for (const entry of this.#entries) {
      if (entry.outcome === null) continue;
      const base = { process: entry.process, call: entry.call, op: entry.op };
      if (entry.outcome === undefined || entry.outcome.ret === null) {
        out.push({ ...base, ret: null });
      } else {
        out.push({ ...base, ret: entry.outcome.ret, result: entry.outcome.result as KvResult });
      }
    }
    return out;
  }

  #pending(id: number, time: number): Pending {
    const entry = this.#entries[id];
    if (entry === undefined) throw new Error(`history op ${id} was never invoked (size ${this.#entries.length})`);
    if (entry.outcome !== undefined) throw new Error(`history op ${id} completed twice`);
    assertTime(time, 'return');
    if (time < entry.call) throw new Error(`history op ${id}: return time ${time} is before call time ${entry.call}`);
    return entry;
  }
}

function assertTime(time: number, what: string): void {
  if (!Number.isFinite(time)) throw new Error(`history ${what} time must be a finite number, got ${time}`);
}
