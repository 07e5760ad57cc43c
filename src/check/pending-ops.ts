// Pairs invoke events with their completions, per process, for the event-log formats
// (Jepsen and EDN): each event line is one point in time, its line number.
import type { HistoryOp, KvOp, KvResult } from './history.js';

interface Invocation {
  readonly call: number;
  readonly op: KvOp;
}

export class PendingOps {
  readonly ops: HistoryOp[] = [];
  readonly #pending = new Map<number, Invocation>();

  /**
   * A new call by `process`. A process that invokes again while its last operation is
   * open has given up on it (Jepsen reuses no process after :info, but a log may): that
   * operation's outcome is unknown.
   */
  invoke(process: number, op: KvOp, time: number): void {
    this.#abandon(process);
    this.#pending.set(process, { call: time, op });
  }

  /** The open operation of `process`, or undefined when it has none. */
  open(process: number): KvOp | undefined {
    return this.#pending.get(process)?.op;
  }

  ok(process: number, result: KvResult, time: number): void {
    const invocation = this.#take(process);
    this.ops.push({ process, call: invocation.call, ret: time, op: invocation.op, result });
  }

  /** The operation definitely did not happen: it leaves the history. */
  fail(process: number): void {
    this.#take(process);
  }

  info(process: number): void {
    this.#abandon(process);
  }

  /** Operations never completed have unknown outcomes. */
  finish(): HistoryOp[] {
    for (const process of [...this.#pending.keys()]) this.#abandon(process);
    return this.ops;
  }

  #take(process: number): Invocation {
    const invocation = this.#pending.get(process);
    if (invocation === undefined) throw new Error(`pending-ops: process ${process} has no open operation`);
    this.#pending.delete(process);
    return invocation;
  }

  #abandon(process: number): void {
    const invocation = this.#pending.get(process);
    if (invocation === undefined) return;
    this.#pending.delete(process);
    this.ops.push({ process, call: invocation.call, ret: null, op: invocation.op });
  }
}
