// The list-append checker against hand-made histories: one valid and one invalid history
// per anomaly class, each invalid one reported as exactly that class with the smallest
// cycle and the operations it involves. Plus histories of a correct store (always valid)
// and the same with one read corrupted (never valid).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkListAppend } from '../../src/check/check-list-append.js';
import type { ListAppendResult } from '../../src/check/check-list-append.js';
import { describeListAppendResult } from '../../src/check/format-list-append.js';
import { TxnHistoryError } from '../../src/check/list-append-graph.js';
import type { TxnOp } from '../../src/check/txn-history.js';
import { correctHistory, ok, txn } from './list-append-helpers.js';

function anomalyTypes(result: ListAppendResult): string[] {
  return Object.keys(result.counts).sort();
}

function expectOnly(history: TxnOp[], type: string, cycleOps?: number[]): ListAppendResult {
  const result = checkListAppend(history);
  assert.equal(result.valid, false, 'expected an anomaly');
  assert.deepEqual(anomalyTypes(result), [type], describeListAppendResult(result, history).join('\n'));
  if (cycleOps !== undefined) {
    assert.equal(result.smallestCycle?.type, type);
    assert.deepEqual([...result.smallestCycle!.ops].sort(), cycleOps);
  }
  return result;
}

function expectValid(history: TxnOp[]): void {
  const result = checkListAppend(history);
  assert.equal(result.valid, true, describeListAppendResult(result, history).join('\n'));
}

describe('list-append checker: valid histories', () => {
  it('serial transactions that see each other', () => {
    expectValid([ok(0, 0, 1, 'a x 1'), ok(1, 2, 3, 'r x 1', 'a x 2'), ok(0, 4, 5, 'r x 1 2', 'r y')]);
  });

  it('concurrent transactions ordered by what they read', () => {
    // T1 ran after T0 though it was called first: it saw T0's append.
    expectValid([ok(0, 1, 3, 'a x 1', 'a y 1'), ok(1, 0, 5, 'r x 1', 'a x 2'), ok(2, 6, 7, 'r x 1 2', 'r y 1')]);
  });

  it('an append with unknown outcome may be seen or not', () => {
    expectValid([txn('info', 0, 0, null, 'a x 1'), txn('info', 1, 0, null, 'a x 2', 'r x ?'), ok(2, 1, 2, 'r x 1'), ok(3, 3, 4, 'r x 1')]);
  });

  it('a transaction reads its own appends', () => {
    expectValid([ok(0, 0, 1, 'a x 1', 'r x 1', 'a x 2', 'r x 1 2'), ok(1, 2, 3, 'r x 1 2', 'a x 3', 'r x 1 2 3')]);
  });

  it('a failed transaction nobody saw', () => {
    expectValid([txn('fail', 0, 0, 1, 'a x 1'), ok(1, 2, 3, 'r x')]);
  });
});

describe('list-append checker: each anomaly class', () => {
  it('G0: write cycle, two transactions append to x and y in opposite orders', () => {
    const history = [ok(0, 0, 5, 'a x 1', 'a y 1'), ok(1, 0, 5, 'a x 2', 'a y 2'), ok(2, 6, 7, 'r x 1 2', 'r y 2 1')];
    const result = expectOnly(history, 'G0', [0, 1]);
    assert.deepEqual(result.smallestCycle!.steps.map((s) => s.kind), ['ww', 'ww']);
  });

  it('G1a: aborted read, a failed append is seen', () => {
    expectOnly([txn('fail', 0, 0, 1, 'a x 1'), ok(1, 2, 3, 'r x 1')], 'G1a');
  });

  it('G1b: intermediate read, a read ends at another transaction\'s non-final append', () => {
    const result = expectOnly([ok(0, 0, 5, 'a x 1', 'a x 2'), ok(1, 0, 5, 'r x 1'), ok(2, 6, 7, 'r x 1 2')], 'G1b');
    assert.deepEqual(result.readAnomalies[0]!.ops, [0, 1]);
  });

  it('G1c: circular information flow, each transaction reads the other\'s append', () => {
    const history = [ok(0, 0, 5, 'a x 1', 'r y 1'), ok(1, 0, 5, 'a y 1', 'r x 1')];
    const result = expectOnly(history, 'G1c', [0, 1]);
    assert.deepEqual(result.smallestCycle!.steps.map((s) => s.kind), ['wr', 'wr']);
  });

  it('G-single: read skew, one transaction sees half of another', () => {
    const history = [ok(0, 0, 5, 'a x 1', 'a y 1'), ok(1, 0, 5, 'r x', 'r y 1'), ok(2, 6, 7, 'r x 1', 'r y 1')];
    const result = expectOnly(history, 'G-single', [0, 1]);
    assert.deepEqual(result.smallestCycle!.steps.map((s) => s.kind).sort(), ['rw', 'wr']);
  });

  it('G2: write skew, each transaction misses the other\'s append', () => {
    const history = [ok(0, 0, 5, 'r x', 'r y', 'a x 1'), ok(1, 0, 5, 'r x', 'r y', 'a y 1'), ok(2, 6, 7, 'r x 1', 'r y 1')];
    const result = expectOnly(history, 'G2', [0, 1]);
    assert.deepEqual(result.smallestCycle!.steps.map((s) => s.kind), ['rw', 'rw']);
  });

  it('G0-realtime: a later append ordered before an earlier one', () => {
    expectOnly([ok(0, 0, 1, 'a x 1'), ok(1, 2, 3, 'a x 2'), ok(2, 4, 5, 'r x 2 1')], 'G0-realtime', [0, 1]);
  });

  it('G1c-realtime: a transaction reads an append made after it returned', () => {
    expectOnly([ok(0, 0, 1, 'a x 1', 'r y 2'), ok(1, 2, 3, 'a y 2')], 'G1c-realtime', [0, 1]);
  });

  it('G-single-realtime: a stale read, serializable but not strict', () => {
    const result = expectOnly([ok(0, 0, 1, 'a x 1'), ok(1, 2, 3, 'r x'), ok(2, 4, 5, 'r x 1')], 'G-single-realtime', [0, 1]);
    assert.deepEqual(result.smallestCycle!.steps.map((s) => s.kind).sort(), ['rt', 'rw']);
  });

  it('G2-realtime: two anti-dependencies closed by real time', () => {
    // T0 -rw(x)-> T1 -rt-> T2 -rw(y)-> T0.
    const history = [ok(0, 0, 10, 'r x', 'a y 1'), ok(1, 1, 2, 'a x 1'), ok(2, 3, 4, 'r y'), ok(3, 20, 21, 'r x 1', 'r y 1')];
    expectOnly(history, 'G2-realtime', [0, 1, 2]);
  });

  it('duplicate elements: an append seen twice', () => {
    expectOnly([ok(0, 0, 1, 'a x 1'), ok(1, 2, 3, 'r x 1 1')], 'duplicate-elements');
  });

  it('incompatible orders: two reads that are not prefixes of one another', () => {
    const result = expectOnly([ok(0, 0, 5, 'a x 1'), ok(1, 0, 5, 'a x 2'), ok(2, 6, 7, 'r x 1 2'), ok(3, 6, 7, 'r x 2 1')], 'incompatible-order');
    assert.deepEqual([...result.readAnomalies[0]!.ops].sort(), [2, 3]);
  });

  it('internal: a read that misses its own transaction\'s append', () => {
    expectOnly([ok(0, 0, 1, 'a x 1', 'r x')], 'internal');
  });

  it('a value nobody appended', () => {
    expectOnly([ok(0, 0, 1, 'r x 7')], 'dirty-unknown');
  });

  it('a history appending one value twice is refused', () => {
    assert.throws(() => checkListAppend([ok(0, 0, 1, 'a x 1'), ok(1, 2, 3, 'a x 1')]), TxnHistoryError);
  });
});

describe('list-append checker: reports', () => {
  it('the smallest cycle is the one shown first, with its operations', () => {
    // A G2 of three transactions and a G-single of two: the two-transaction cycle comes first.
    const history = [
      ok(0, 0, 5, 'a x 1', 'a y 1'), ok(1, 0, 5, 'r x', 'r y 1'),
      ok(2, 0, 5, 'r a', 'a b 1'), ok(3, 0, 5, 'r b', 'a c 1'), ok(4, 0, 5, 'r c', 'a a 1'),
      ok(5, 6, 7, 'r x 1', 'r a 1', 'r b 1', 'r c 1'),
    ];
    const result = checkListAppend(history);
    assert.deepEqual(anomalyTypes(result), ['G-single', 'G2']);
    assert.equal(result.smallestCycle!.type, 'G-single');
    const lines = describeListAppendResult(result, history);
    assert.match(lines[0]!, /^NOT strict serializable: G-single ×1, G2 ×1 \(6 transactions/);
    assert.match(lines[1]!, /^G-single cycle of 2 transactions:$/);
    assert.ok(lines.some((l) => /-rw-> T0: T1 read "x" before 1, which T0 appended/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^G2 cycle of 3 transactions:$/.test(l)), lines.join('\n'));
  });

  it('histories of a correct store are valid, and one corrupted read makes them invalid', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const history = correctHistory({ transactions: 300, processes: 6, keys: 3, appendsPerKey: 20, seed });
      expectValid(history);
      // Drop the last element of the longest read: it then misses an append that completed
      // before it was called, or one the version order puts before another read's end.
      const corrupted = history.map((op) => ({ ...op, txn: [...op.txn] }));
      const victim = corrupted.findIndex((op, i) => i > 100 && op.txn.some((m) => m.f === 'r' && m.value!.length > 2));
      if (victim < 0) continue;
      const at = corrupted[victim]!.txn.findIndex((m) => m.f === 'r' && m.value!.length > 2);
      const read = corrupted[victim]!.txn[at]!;
      corrupted[victim]!.txn[at] = { f: 'r', key: read.key, value: [...read.value!].reverse() };
      assert.equal(checkListAppend(corrupted).valid, false, `seed ${seed}: a reversed read went unnoticed`);
    }
  });

  it('a 20,000-transaction history checks in well under a second per thousand', () => {
    const history = correctHistory({ transactions: 20_000, processes: 10, keys: 5, appendsPerKey: 100, seed: 7 });
    const result = checkListAppend(history);
    assert.equal(result.valid, true);
    assert.equal(result.ops, 20_000);
  });
});
