// Checks a key-value history for linearizability: splits it by key (each key is an
// independent single-key model, so the history is linearizable iff every key's part
// is), searches the parts in turns within one shared time and memory budget, and on a
// violation narrows the failing key's history down to the shortest prefix that still
// cannot be linearized. Turns matter: a non-linearizable key can take exponential time
// to refute while another key of the same history fails in milliseconds.
import type { HistoryOp, KvOp, KvResult } from './history.js';
import { kvKeyModel } from './kv-model.js';
import type { KeyState } from './kv-model.js';
import { LinearizabilitySearch, searchLinearization } from './linearizability.js';
import type { SearchBudget } from './linearizability.js';
import type { Model } from './model.js';

/** Time budget of one check when the caller names none. */
export const CHECK_TIMEOUT_MS_DEFAULT = 10_000;
/**
 * Memo entries (explored (linearized set, state) pairs) all keys together may hold when
 * the caller names no limit: about 130 bytes each (measured on kv/c50-bad), so some 520 MB.
 * Simulated histories with several crashes reach 2 M (`raftis sim --seed 7178 --faults all
 * --duration-ms 2000 --pipeline 4`: 504 operations, 23 of unknown outcome, linearizable).
 */
export const MEMO_ENTRIES_MAX_DEFAULT = 4_000_000;
/** Search iterations one key gets per turn before the next key's turn. */
const TURN_ITERATIONS = 4096;
/** Share of the time budget the narrowing of a found violation may use (the verdict is already known). */
const NARROWING_BUDGET_SHARE = 0.25;
/** Completed operations shown before the failing one, for context. */
const CONTEXT_OPS_MAX = 8;

export interface CheckOptions {
  /** Past this much time the verdict is 'unknown'. Default CHECK_TIMEOUT_MS_DEFAULT. */
  readonly timeoutMs?: number;
  /** What every key holds before the history starts: null = absent (the default). */
  readonly initialValue?: string | null;
  /** Memory limit, in memo entries; past it the verdict is 'unknown'. Default MEMO_ENTRIES_MAX_DEFAULT. */
  readonly memoEntriesMax?: number;
  /** Clock in milliseconds; performance.now by default. Injected by tests. */
  readonly now?: () => number;
}

/** Why a key's history is not linearizable, narrowed down. */
export interface Violation {
  readonly key: string;
  /**
   * The first operation (by return time) that cannot be explained: the key's history cut
   * just after its return is not linearizable, any earlier cut is.
   */
  readonly failing: HistoryOp;
  /**
   * That shortest non-linearizable prefix: the key's operations called up to the failing
   * return, those still running then shown with an unknown outcome. Itself a complete
   * counterexample.
   */
  readonly prefix: readonly HistoryOp[];
  /**
   * The part of `prefix` worth reading: the operations concurrent with or after the
   * failing one, plus the few completed just before it.
   */
  readonly window: readonly HistoryOp[];
  /** False when narrowing ran out of budget: `prefix` is then a longer counterexample than needed. */
  readonly narrowed: boolean;
}

export type CheckResult =
  | { readonly verdict: 'linearizable'; readonly ops: number; readonly keys: number; readonly elapsedMs: number }
  | {
      readonly verdict: 'not-linearizable';
      readonly ops: number;
      readonly keys: number;
      readonly elapsedMs: number;
      readonly violation: Violation;
    }
  | {
      readonly verdict: 'unknown';
      readonly ops: number;
      readonly keys: number;
      readonly elapsedMs: number;
      /** 'memory' when some key ran out of memo room, else 'timeout'. */
      readonly reason: 'timeout' | 'memory';
      /** Keys whose search did not finish. */
      readonly undecidedKeys: readonly string[];
    };

export function checkKvHistory(history: readonly HistoryOp[], options: CheckOptions = {}): CheckResult {
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS_DEFAULT;
  if (!(timeoutMs > 0)) throw new Error(`invalid timeoutMs ${timeoutMs}: must be positive`);
  const memoEntriesMax = options.memoEntriesMax ?? MEMO_ENTRIES_MAX_DEFAULT;
  if (!(Number.isInteger(memoEntriesMax) && memoEntriesMax > 0)) {
    throw new Error(`invalid memoEntriesMax ${memoEntriesMax}: must be a positive integer`);
  }
  const now = options.now ?? (() => performance.now());
  const started = now();
  const budget: SearchBudget = { deadline: started + timeoutMs, now, memoEntriesLeft: memoEntriesMax };
  const model = kvKeyModel(options.initialValue ?? null);

  const byKey = partitionByKey(history);
  const ops = history.length;
  const keys = byKey.size;
  let running = [...byKey].map(([key, keyOps]) => ({ key, keyOps, search: new LinearizabilitySearch(model, keyOps) }));
  // Keys whose search ran out of memo room; it handed the room back, so the others go on.
  const outOfMemory: string[] = [];
  let timedOut = false;
  while (running.length > 0 && !timedOut) {
    const stillRunning: typeof running = [];
    for (const part of running) {
      const verdict = part.search.run(TURN_ITERATIONS, budget);
      if (verdict === 'not-linearizable') {
        const narrowingBudget: SearchBudget = {
          deadline: Math.min(budget.deadline, now() + timeoutMs * NARROWING_BUDGET_SHARE),
          now,
          memoEntriesLeft: budget.memoEntriesLeft ?? memoEntriesMax,
        };
        const violation = narrowViolation(model, part.key, part.keyOps, narrowingBudget);
        return { verdict: 'not-linearizable', ops, keys, elapsedMs: now() - started, violation };
      }
      if (verdict === 'out-of-memory') outOfMemory.push(part.key);
      else if (verdict === 'running') stillRunning.push(part);
    }
    running = stillRunning;
    timedOut = running.length > 0 && now() > budget.deadline;
  }
  const elapsedMs = now() - started;
  const undecidedKeys = [...outOfMemory, ...running.map((p) => p.key)];
  if (undecidedKeys.length > 0) {
    return { verdict: 'unknown', ops, keys, elapsedMs, reason: outOfMemory.length > 0 ? 'memory' : 'timeout', undecidedKeys };
  }
  return { verdict: 'linearizable', ops, keys, elapsedMs };
}

/**
 * Each key's operations, in the order given. Reads with an unknown outcome are dropped
 * here: they change nothing and constrain nothing, but would widen the search.
 */
export function partitionByKey(history: readonly HistoryOp[]): Map<string, HistoryOp[]> {
  const byKey = new Map<string, HistoryOp[]>();
  for (const operation of history) {
    if (operation.ret === null && operation.op.f === 'get') continue;
    const keyOps = byKey.get(operation.op.key);
    if (keyOps === undefined) byKey.set(operation.op.key, [operation]);
    else keyOps.push(operation);
  }
  return byKey;
}

/**
 * The key's history cut at time `cut`: operations called after it are dropped, and
 * those still running at it lose their outcome (unknown reads vanish). Cutting a
 * linearizable history gives a linearizable history, so the verdict is monotone in `cut`.
 */
export function cutHistory(keyOps: readonly HistoryOp[], cut: number): HistoryOp[] {
  const out: HistoryOp[] = [];
  for (const operation of keyOps) {
    if (operation.call > cut) continue;
    if (operation.ret !== null && operation.ret <= cut) {
      out.push(operation);
    } else if (operation.op.f !== 'get') {
      out.push({ process: operation.process, call: operation.call, ret: null, op: operation.op });
    }
  }
  return out;
}

/** Binary search for the earliest return time at which the key's history stops being linearizable. */
function narrowViolation(
  model: Model<KeyState, KvOp, KvResult>,
  key: string,
  keyOps: readonly HistoryOp[],
  budget: SearchBudget,
): Violation {
  const returns = [...new Set(keyOps.flatMap((o) => (o.ret === null ? [] : [o.ret])))].sort((a, b) => a - b);
  // Invariant: the cut at returns[high] is not linearizable; every cut below returns[low] is.
  let low = 0;
  let high = returns.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const verdict = searchLinearization(model, cutHistory(keyOps, returns[middle]!), budget).verdict;
    // Out of budget: the cut at returns[high] is still a valid, if longer, counterexample.
    if (verdict === 'timeout' || verdict === 'out-of-memory') break;
    if (verdict === 'not-linearizable') high = middle;
    else low = middle + 1;
  }
  if (returns.length === 0) throw new Error(`key ${JSON.stringify(key)}: a history with no completed operation failed the check`);
  const cut = returns[high]!;
  const prefix = cutHistory(keyOps, cut);
  const failing = prefix.find((o) => o.ret === cut) ?? prefix[prefix.length - 1]!;
  return { key, failing, prefix, window: failureWindow(prefix, failing), narrowed: low === high };
}

function failureWindow(prefix: readonly HistoryOp[], failing: HistoryOp): HistoryOp[] {
  const overlapping = prefix.filter((o) => o.ret === null || o.ret >= failing.call);
  const before = prefix
    .filter((o) => o.ret !== null && o.ret < failing.call)
    .sort((a, b) => b.ret! - a.ret!)
    .slice(0, CONTEXT_OPS_MAX);
  return [...before, ...overlapping].sort((a, b) => a.call - b.call || (a.ret ?? Infinity) - (b.ret ?? Infinity));
}
