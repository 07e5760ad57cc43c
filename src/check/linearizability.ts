// The linearizability search for one model over one (sub-)history: Wing & Gong's
// backtracking search with Lowe's memoization, laid out as in Porcupine. Call and return
// events sit in a doubly linked list in time order; the search walks it, linearizing a
// pending call when the model accepts it (and the resulting (linearized set, state) pair
// is new), and backtracks when it reaches a return event whose call is not yet
// linearized. Unknown outcomes return at +infinity, so they may take effect at any point
// after their call; once every operation with a known outcome is linearized, the rest
// may simply never have happened and the history is accepted.
import { Bitset } from './bitset.js';
import { MemoTable } from './memo-table.js';
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
  /**
   * Memo entries the searches sharing this budget may still create; past it they give up
   * (verdict 'out-of-memory'). Each entry costs some 40 bytes plus 4 per 32 operations,
   * plus its state.
   * Decremented by the searches. Unlimited when absent.
   */
  memoEntriesLeft?: number;
}

export type SearchVerdict = 'linearizable' | 'not-linearizable' | 'timeout' | 'out-of-memory';

export interface SearchOutcome {
  readonly verdict: SearchVerdict;
  /** Model steps tried: a measure of the work done. */
  readonly steps: number;
}

/** Deadline checks cost a clock read: do one per this many loop iterations. */
const DEADLINE_CHECK_INTERVAL = 1024;

const NONE = -1;

/** Runs one search to its end or its budget. */
export function searchLinearization<State, Op, Result>(
  model: Model<State, Op, Result>,
  operations: readonly Operation<Op, Result>[],
  budget: SearchBudget,
): SearchOutcome {
  const search = new LinearizabilitySearch(model, operations);
  while (true) {
    const verdict = search.run(DEADLINE_CHECK_INTERVAL, budget);
    if (verdict !== 'running') return { verdict, steps: search.steps };
    if (budget.now() > budget.deadline) return { verdict: 'timeout', steps: search.steps };
  }
}

/**
 * One search, resumable: run() advances it by a bounded number of iterations, so a
 * caller can interleave the searches of several keys and stop at the first violation
 * (a non-linearizable key can take exponential time while another fails at once).
 */
export class LinearizabilitySearch<State, Op, Result> {
  /** Model steps tried so far. */
  steps = 0;
  readonly #model: Model<State, Op, Result>;
  readonly #operations: readonly Operation<Op, Result>[];
  readonly #count: number;
  /** Entry e < count is the call of operation e; entry count + e is its return; 2 * count is the head. */
  readonly #head: number;
  readonly #next: Int32Array;
  readonly #prev: Int32Array;
  readonly #linearized: Bitset;
  readonly #memo: MemoTable<State>;
  /** The undo stack: operations linearized so far, and the state before each. */
  readonly #stackOps: Int32Array;
  /**
   * For an operation with unknown outcome, the latest-called earlier one identical to it
   * (same op, also unknown), else NONE. Both may take effect at any time after their
   * calls, so any linearization using the later one can use the earlier one instead:
   * the search only linearizes an unknown operation once its earlier twin is in.
   */
  readonly #earlierTwin: Int32Array;
  readonly #stackStates: State[] = [];
  #depth = 0;
  #state: State;
  /** Operations with a known outcome not yet linearized; the search succeeds at 0. */
  #knownLeft = 0;
  #entry: number;
  #verdict: SearchVerdict | 'running' = 'running';

  constructor(model: Model<State, Op, Result>, operations: readonly Operation<Op, Result>[]) {
    this.#model = model;
    this.#operations = operations;
    const count = operations.length;
    this.#count = count;
    this.#head = 2 * count;
    this.#next = new Int32Array(2 * count + 1).fill(NONE);
    this.#prev = new Int32Array(2 * count + 1).fill(NONE);
    let last = this.#head;
    for (const entry of eventOrder(operations)) {
      this.#next[last] = entry;
      this.#prev[entry] = last;
      last = entry;
    }
    for (const operation of operations) if (operation.ret !== null) this.#knownLeft++;
    this.#linearized = new Bitset(count);
    this.#memo = new MemoTable<State>(this.#linearized.words.length, model.equal);
    this.#stackOps = new Int32Array(count);
    this.#earlierTwin = earlierTwins(operations);
    this.#state = model.init();
    this.#entry = this.#next[this.#head]!;
    if (this.#knownLeft === 0) this.#verdict = 'linearizable';
  }

  /** Advances by at most `iterations` loop turns; 'running' when not yet decided. */
  run(iterations: number, budget: SearchBudget): SearchVerdict | 'running' {
    if (this.#verdict !== 'running') return this.#verdict;
    const model = this.#model;
    const operations = this.#operations;
    const count = this.#count;
    const next = this.#next;
    const prev = this.#prev;
    const head = this.#head;
    let entry = this.#entry;
    for (let turn = 0; turn < iterations; turn++) {
      if (entry === NONE) {
        throw new Error(`linearizability search ran off the event list with ${this.#knownLeft} known operations left`);
      }
      if (entry < count) {
        const operation = operations[entry]!;
        const twin = this.#earlierTwin[entry]!;
        if (twin !== NONE && !this.#linearized.has(twin)) {
          // Identical unknown operations are interchangeable: take them in call order.
          entry = next[entry]!;
          continue;
        }
        this.steps++;
        const nextState = model.step(this.#state, operation.op, operation.result);
        if (nextState === REJECTED || (operation.ret === null && model.equal(nextState, this.#state))) {
          // An unknown operation that would change nothing here may as well not happen here.
          entry = next[entry]!;
          continue;
        }
        const fresh = this.#remember(entry, nextState, budget);
        if (fresh === null) {
          this.#verdict = 'out-of-memory';
          break;
        }
        if (!fresh) {
          entry = next[entry]!;
          continue;
        }
        this.#stackOps[this.#depth] = entry;
        this.#stackStates[this.#depth] = this.#state;
        this.#depth++;
        this.#state = nextState;
        this.#linearized.set(entry);
        lift(next, prev, entry, count + entry);
        if (operation.ret !== null && --this.#knownLeft === 0) {
          this.#verdict = 'linearizable';
          break;
        }
        entry = next[head]!;
      } else {
        // A return whose call is still pending: nothing before it can be linearized next.
        if (this.#depth === 0) {
          this.#verdict = 'not-linearizable';
          break;
        }
        this.#depth--;
        const undone = this.#stackOps[this.#depth]!;
        this.#state = this.#stackStates[this.#depth]!;
        this.#linearized.clear(undone);
        if (operations[undone]!.ret !== null) this.#knownLeft++;
        unlift(next, prev, undone, count + undone);
        entry = next[undone]!;
      }
    }
    this.#entry = entry;
    if (this.#verdict !== 'running') this.#release(budget);
    return this.#verdict;
  }

  /** Records (linearized ∪ {entry}, state) in the memo: false if already there, null if out of room. */
  #remember(entry: number, state: State, budget: SearchBudget): boolean | null {
    const linearized = this.#linearized;
    const key = (linearized.hashWith(entry) ^ Math.imul(this.#model.hash(state), 0x27d4eb2d)) | 0;
    if (budget.memoEntriesLeft !== undefined && budget.memoEntriesLeft <= 0) {
      // Full: a pair already seen is still recognised; a new one cannot be recorded.
      return this.#memo.addWithIfRoom(key, linearized, entry, state, false) ? null : false;
    }
    const fresh = this.#memo.addWithIfRoom(key, linearized, entry, state, true);
    if (fresh && budget.memoEntriesLeft !== undefined) budget.memoEntriesLeft--;
    return fresh;
  }

  /** A decided search keeps nothing big alive, and hands its memo room back. */
  #release(budget: SearchBudget): void {
    if (budget.memoEntriesLeft !== undefined) budget.memoEntriesLeft += this.#memo.size;
    this.#memo.clear();
    this.#stackStates.length = 0;
  }
}

function earlierTwins<Op, Result>(operations: readonly Operation<Op, Result>[]): Int32Array {
  const twins = new Int32Array(operations.length).fill(NONE);
  const unknown = operations.map((o, i) => i).filter((i) => operations[i]!.ret === null);
  unknown.sort((a, b) => operations[a]!.call - operations[b]!.call || a - b);
  const latestByOp = new Map<string, number>();
  for (const index of unknown) {
    const identity = JSON.stringify(operations[index]!.op);
    twins[index] = latestByOp.get(identity) ?? NONE;
    latestByOp.set(identity, index);
  }
  return twins;
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
