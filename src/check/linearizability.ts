// The linearizability search for one model over one (sub-)history: Wing & Gong's
// backtracking search with Lowe's memoization, laid out as in Porcupine. Call and return
// events sit in a doubly linked list in time order; the search walks it, linearizing a
// pending call when the model accepts it (and the resulting (linearized set, state) pair
// is new), and backtracks when it reaches a return event whose call is not yet
// linearized. Unknown outcomes return at +infinity, so they may take effect at any point
// after their call; once every operation with a known outcome is linearized, the rest
// may simply never have happened and the history is accepted.
import { Bitset } from './bitset.js';
import { REJECTED } from './model.js';
import type { Model } from './model.js';

/** One operation of a history; see HistoryOp in history.ts for the meaning of the fields. */
export interface Operation<Op, Result> {
  readonly process: number;
  readonly call: number;
  readonly ret: number | null;
  readonly op: Op;
  readonly result?: Result;
}

export interface SearchBudget {
  /** Give up (verdict 'timeout') once now() passes this. */
  readonly deadline: number;
  readonly now: () => number;
}

export type SearchVerdict = 'linearizable' | 'not-linearizable' | 'timeout';

export interface SearchOutcome {
  readonly verdict: SearchVerdict;
  /** Model steps tried: a measure of the work done. */
  readonly steps: number;
}

/** Deadline checks cost a clock read: do one per this many loop iterations. */
const DEADLINE_CHECK_INTERVAL = 1024;

const NONE = -1;

interface MemoEntry<State> {
  readonly words: Uint32Array;
  readonly state: State;
}

export function searchLinearization<State, Op, Result>(
  model: Model<State, Op, Result>,
  operations: readonly Operation<Op, Result>[],
  budget: SearchBudget,
): SearchOutcome {
  const count = operations.length;
  if (count === 0) return { verdict: 'linearizable', steps: 0 };

  // Entry e < count is the call of operation e; entry count + e is its return.
  const order = eventOrder(operations);
  const head = 2 * count;
  const next = new Int32Array(2 * count + 1).fill(NONE);
  const prev = new Int32Array(2 * count + 1).fill(NONE);
  let last = head;
  for (const entry of order) {
    next[last] = entry;
    prev[entry] = last;
    last = entry;
  }

  let knownLeft = 0;
  for (const operation of operations) if (operation.ret !== null) knownLeft++;

  const linearized = new Bitset(count);
  const memo = new Map<number, MemoEntry<State>[]>();
  // The undo stack: operations linearized so far, and the state before each.
  const stackOps = new Int32Array(count);
  const stackStates: State[] = [];
  let depth = 0;
  let state = model.init();
  let steps = 0;
  let iterations = 0;

  let entry = next[head]!;
  while (knownLeft > 0) {
    if (++iterations % DEADLINE_CHECK_INTERVAL === 0 && budget.now() > budget.deadline) {
      return { verdict: 'timeout', steps };
    }
    if (entry === NONE) {
      throw new Error(`linearizability search ran off the event list with ${knownLeft} known operations left`);
    }
    if (entry < count) {
      const operation = operations[entry]!;
      steps++;
      const nextState = model.step(state, operation.op, operation.result);
      if (nextState !== REJECTED && remember(memo, model, linearized, entry, nextState)) {
        stackOps[depth] = entry;
        stackStates[depth] = state;
        depth++;
        state = nextState;
        linearized.set(entry);
        if (operation.ret !== null) knownLeft--;
        lift(next, prev, entry, count + entry);
        entry = next[head]!;
      } else {
        entry = next[entry]!;
      }
    } else {
      // A return whose call is still pending: nothing before it can be linearized next.
      if (depth === 0) return { verdict: 'not-linearizable', steps };
      depth--;
      const undone = stackOps[depth]!;
      state = stackStates[depth]!;
      linearized.clear(undone);
      if (operations[undone]!.ret !== null) knownLeft++;
      unlift(next, prev, undone, count + undone);
      entry = next[undone]!;
    }
  }
  return { verdict: 'linearizable', steps };
}

/** Entry indices sorted by time; at equal times calls come first (the operations overlap). */
function eventOrder<Op, Result>(operations: readonly Operation<Op, Result>[]): number[] {
  const count = operations.length;
  const time = (entry: number): number =>
    entry < count ? operations[entry]!.call : (operations[entry - count]!.ret ?? Infinity);
  const order = Array.from({ length: 2 * count }, (_, i) => i);
  order.sort((a, b) => {
    const byTime = time(a) - time(b);
    if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
    const aCall = a < count ? 0 : 1;
    const bCall = b < count ? 0 : 1;
    return aCall - bCall || a - b;
  });
  for (const operation of operations) {
    if (operation.ret !== null && operation.ret < operation.call) {
      throw new Error(`operation returns at ${operation.ret}, before its call at ${operation.call}`);
    }
  }
  return order;
}

/** Records (linearized ∪ {entry}, state) in the memo; false if it was already there. */
function remember<State, Op, Result>(
  memo: Map<number, MemoEntry<State>[]>,
  model: Model<State, Op, Result>,
  linearized: Bitset,
  entry: number,
  state: State,
): boolean {
  const key = (linearized.hashWith(entry) ^ Math.imul(model.hash(state), 0x27d4eb2d)) | 0;
  const bucket = memo.get(key);
  if (bucket === undefined) {
    memo.set(key, [{ words: linearized.wordsWith(entry), state }]);
    return true;
  }
  for (const seen of bucket) {
    if (model.equal(seen.state, state) && linearized.equalsWith(seen.words, entry)) return false;
  }
  bucket.push({ words: linearized.wordsWith(entry), state });
  return true;
}

/** Unlinks a call entry and its return entry. */
function lift(next: Int32Array, prev: Int32Array, call: number, ret: number): void {
  next[prev[call]!] = next[call]!;
  prev[next[call]!] = prev[call]!;
  next[prev[ret]!] = next[ret]!;
  if (next[ret] !== NONE) prev[next[ret]!] = prev[ret]!;
}

/** Relinks what lift() unlinked, in reverse order. */
function unlift(next: Int32Array, prev: Int32Array, call: number, ret: number): void {
  next[prev[ret]!] = ret;
  if (next[ret] !== NONE) prev[next[ret]!] = ret;
  next[prev[call]!] = call;
  prev[next[call]!] = call;
}
