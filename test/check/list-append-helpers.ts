// Shorthands for list-append histories in the check tests, and a generator of histories a
// correct (strictly serializable) store could produce, for the size and agreement tests.
import type { MicroOp, TxnOp } from '../../src/check/txn-history.js';
import { seededRandom } from '../../src/transport/fault-injector.js';

/**
 * A transaction from micro-operations written as text: `a x 1` appends 1 to x, `r x 1 2`
 * reads x as [1 2], `r x` reads it empty, `r x ?` is a read whose result is unknown.
 */
export function txn(type: TxnOp['type'], process: number, call: number, ret: number | null, ...mops: string[]): TxnOp {
  return { process, type, call, ret, txn: mops.map(microOp) };
}

export const ok = (process: number, call: number, ret: number, ...mops: string[]): TxnOp => txn('ok', process, call, ret, ...mops);

function microOp(text: string): MicroOp {
  const [f, key, ...rest] = text.split(' ');
  if (key === undefined) throw new Error(`bad micro-op ${text}`);
  if (f === 'a') return { f: 'append', key, value: rest[0]! };
  if (f === 'r') return { f: 'r', key, value: rest[0] === '?' ? null : rest };
  throw new Error(`bad micro-op ${text}`);
}

export interface GeneratorOptions {
  readonly transactions: number;
  readonly processes: number;
  readonly keys: number;
  /** A key takes this many appends, then a fresh key replaces it (as Elle's generator does). */
  readonly appendsPerKey: number;
  readonly seed: number;
}

/**
 * A history of a correct store: each transaction takes effect atomically at one instant
 * between its call and its return, against one in-memory map. Time advances one tick per
 * step; at each step a random process calls, takes effect, or returns.
 */
export function correctHistory(options: GeneratorOptions): TxnOp[] {
  const next = seededRandom(options.seed);
  const lists = new Map<string, string[]>();
  const active = Array.from({ length: options.keys }, (_, i) => `k${i}`);
  let freshKey = options.keys;
  let value = 0;
  interface Running { call: number; mops: MicroOp[]; applied: boolean }
  const running = new Map<number, Running>();
  const out: TxnOp[] = [];
  let started = 0;
  for (let time = 0; out.length < options.transactions; time++) {
    const process = Math.floor(next() * options.processes);
    const current = running.get(process);
    if (current === undefined) {
      if (started >= options.transactions) continue;
      started++;
      const mops: MicroOp[] = Array.from({ length: 1 + Math.floor(next() * 4) }, () => {
        const key = active[Math.floor(next() * active.length)]!;
        return next() < 0.5 ? { f: 'append', key, value: String(++value) } : { f: 'r', key, value: null };
      });
      running.set(process, { call: time, mops, applied: false });
    } else if (!current.applied) {
      current.mops = current.mops.map((mop) => apply(mop, lists));
      current.applied = true;
      for (const [i, key] of active.entries()) if ((lists.get(key)?.length ?? 0) >= options.appendsPerKey) active[i] = `k${freshKey++}`;
    } else {
      out.push({ process, type: 'ok', call: current.call, ret: time, txn: current.mops });
      running.delete(process);
    }
  }
  return out;
}

function apply(mop: MicroOp, lists: Map<string, string[]>): MicroOp {
  const list = lists.get(mop.key) ?? [];
  lists.set(mop.key, list);
  if (mop.f === 'append') {
    list.push(mop.value);
    return mop;
  }
  return { f: 'r', key: mop.key, value: [...list] };
}
