// The list-append checker against brute force on small histories: every order of the
// transactions that respects real time (unknown ones in or out) is run against an
// in-memory store. Elle's inference is sound but not complete (an append nobody read has
// no place in any version order), so the checker may pass a history brute force refutes,
// never the reverse: whatever it reports must be a real violation, and a history that has
// a valid order must pass.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { checkListAppend } from '../../src/check/check-list-append.js';
import { describeListAppendResult } from '../../src/check/format-list-append.js';
import { describeTxnOp } from '../../src/check/txn-history.js';
import type { MicroOp, TxnOp } from '../../src/check/txn-history.js';
import { seededRandom } from '../../src/transport/fault-injector.js';
import { correctHistory } from './list-append-helpers.js';

const CASES = 1000;

/** Whether some real-time-respecting order of the ok transactions, with any of the unknown ones, explains every read. */
function bruteForceValid(history: readonly TxnOp[]): boolean {
  const candidates = history.filter((op) => op.type !== 'fail');
  const required = candidates.filter((op) => op.type === 'ok').length;
  const search = (done: TxnOp[], left: TxnOp[], lists: Map<string, string[]>): boolean => {
    if (done.filter((op) => op.type === 'ok').length === required) return true;
    for (const op of left) {
      // Everything that returned before `op` was called must already be placed (or be unknown and skipped).
      if (left.some((other) => other !== op && other.type === 'ok' && other.ret! < op.call)) continue;
      const after = run(op, lists);
      if (after === null) continue;
      const rest = left.filter((other) => other !== op);
      if (search([...done, op], rest, after)) return true;
      // An unknown transaction may also never have happened.
      if (op.type === 'info' && search(done, rest, lists)) return true;
    }
    return false;
  };
  return search([], candidates, new Map());
}

/** The store after `op`, or null when one of its reads does not match. */
function run(op: TxnOp, lists: Map<string, string[]>): Map<string, string[]> | null {
  const next = new Map([...lists].map(([key, list]) => [key, [...list]]));
  for (const mop of op.txn) {
    const list = next.get(mop.key) ?? [];
    next.set(mop.key, list);
    if (mop.f === 'append') list.push(mop.value);
    else if (mop.value !== null && (mop.value.length !== list.length || mop.value.some((v, i) => v !== list[i]))) return null;
  }
  return next;
}

/** One random change: a read's list cut, reordered or given a stranger's element; or an outcome changed. */
function mutate(history: TxnOp[], next: () => number): TxnOp[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const out = history.map((op) => ({ ...op, txn: [...op.txn] }));
  const victim = Math.floor(next() * out.length);
  const op = out[victim]!;
  const roll = next();
  if (roll < 0.15) {
    out[victim] = { ...op, type: 'fail', txn: op.txn.map((m) => (m.f === 'r' ? { ...m, value: null } : m)) };
    return out;
  }
  if (roll < 0.3) {
    out[victim] = { ...op, type: 'info', ret: null, txn: op.txn.map((m) => (m.f === 'r' ? { ...m, value: null } : m)) };
    return out;
  }
  const reads = op.txn.map((m, i) => [m, i] as const).filter(([m]) => m.f === 'r');
  if (reads.length === 0 || op.type !== 'ok') return out;
  const [read, at] = pick(reads);
  const list = [...(read.value ?? [])];
  const appended = history.flatMap((o) => o.txn.filter((m): m is Extract<MicroOp, { f: 'append' }> => m.f === 'append' && m.key === read.key).map((m) => m.value));
  if (roll < 0.5 && list.length > 0) list.splice(Math.floor(next() * list.length), 1);
  else if (roll < 0.7 && list.length > 1) list.reverse();
  else if (appended.length > 0) list.push(pick(appended));
  op.txn[at] = { f: 'r', key: read.key, value: list };
  return out;
}

it('the checker reports only what brute force confirms, and passes what brute force passes', () => {
  const next = seededRandom(2026);
  let refuted = 0;
  let missed = 0;
  for (let seed = 1; seed <= CASES; seed++) {
    const correct = correctHistory({ transactions: 2 + Math.floor(next() * 4), processes: 3, keys: 2, appendsPerKey: 100, seed });
    const history = next() < 0.2 ? correct : mutate(correct, next);
    const expected = bruteForceValid(history);
    const result = checkListAppend(history);
    const listing = history.map((op, i) => `T${i} ${describeTxnOp(op)}`).join('\n');
    if (!result.valid) {
      assert.equal(expected, false, `seed ${seed}: the checker reports an anomaly brute force does not find\n${listing}\n${describeListAppendResult(result, history).join('\n')}`);
      refuted++;
    } else if (!expected) {
      missed++;
    }
  }
  // The mutations must make plenty of invalid histories the checker sees through.
  assert.ok(refuted > CASES / 4, `only ${refuted} of ${CASES} histories reported (${missed} invalid ones passed)`);
});
