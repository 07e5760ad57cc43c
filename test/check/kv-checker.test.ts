// Hand-written histories for every kv operation, with and without unknown outcomes,
// checked against what linearizability demands of each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKvHistory, cutHistory } from '../../src/check/check-kv-history.js';
import type { CheckOptions } from '../../src/check/check-kv-history.js';
import type { HistoryOp } from '../../src/check/history.js';
import { HistoryRecorder } from '../../src/check/history-recorder.js';
import { OK } from '../../src/check/history.js';
import { append, cas, del, done, get, incr, lrange, put, rpush, unknown, zadd, zrange } from './helpers.js';

function verdict(history: HistoryOp[], options: CheckOptions = {}): string {
  return checkKvHistory(history, options).verdict;
}

test('an empty history is linearizable', () => {
  assert.equal(verdict([]), 'linearizable');
});

test('get sees the last completed put, not an older one', () => {
  const base = [done(0, 0, 1, put('k', 'a'), OK), done(0, 2, 3, put('k', 'b'), OK)];
  assert.equal(verdict([...base, done(1, 4, 5, get('k'), 'b')]), 'linearizable');
  assert.equal(verdict([...base, done(1, 4, 5, get('k'), 'a')]), 'not-linearizable');
});

test('a get concurrent with a put may see the old or the new value', () => {
  for (const seen of [null, 'a']) {
    assert.equal(verdict([done(0, 0, 10, put('k', 'a'), OK), done(1, 2, 3, get('k'), seen)]), 'linearizable');
  }
  assert.equal(verdict([done(0, 0, 10, put('k', 'a'), OK), done(1, 2, 3, get('k'), 'zzz')]), 'not-linearizable');
});

test('once a concurrent get saw the new value, a later get cannot see the old one', () => {
  const history = [
    done(0, 0, 10, put('k', 'a'), OK),
    done(1, 1, 2, get('k'), 'a'),
    done(2, 3, 4, get('k'), null),
  ];
  assert.equal(verdict(history), 'not-linearizable');
});

test('keys start absent unless an initial value is given', () => {
  assert.equal(verdict([done(0, 0, 1, get('k'), null)]), 'linearizable');
  assert.equal(verdict([done(0, 0, 1, get('k'), '')]), 'not-linearizable');
  assert.equal(verdict([done(0, 0, 1, get('k'), '')], { initialValue: '' }), 'linearizable');
});

test('a put with unknown outcome may take effect late or never', () => {
  const lost = unknown(0, 0, put('k', 'a'));
  assert.equal(verdict([lost, done(1, 5, 6, get('k'), null)]), 'linearizable', 'never happened');
  assert.equal(verdict([lost, done(1, 5, 6, get('k'), null), done(1, 7, 8, get('k'), 'a')]), 'linearizable', 'took effect late');
  assert.equal(verdict([lost, done(1, 5, 6, get('k'), 'a')]), 'linearizable', 'took effect');
});

test('a put with unknown outcome cannot take effect before its call, nor be undone', () => {
  assert.equal(verdict([done(1, 0, 1, get('k'), 'a'), unknown(0, 2, put('k', 'a'))]), 'not-linearizable');
  const undone = [unknown(0, 0, put('k', 'a')), done(1, 5, 6, get('k'), 'a'), done(1, 7, 8, get('k'), null)];
  assert.equal(verdict(undone), 'not-linearizable');
});

test('a get with unknown outcome constrains nothing', () => {
  assert.equal(verdict([done(0, 0, 1, put('k', 'a'), OK), unknown(1, 2, get('k'))]), 'linearizable');
});

test('append concatenates onto the current value (absent counts as empty)', () => {
  const history = [
    done(0, 0, 1, append('k', 'x'), OK),
    done(0, 2, 3, append('k', 'y'), OK),
    done(1, 4, 5, get('k'), 'xy'),
  ];
  assert.equal(verdict(history), 'linearizable');
  assert.equal(verdict([...history.slice(0, 2), done(1, 4, 5, get('k'), 'yx')]), 'not-linearizable');
  // Two concurrent appends may land in either order, but both land.
  const concurrent = [done(0, 0, 5, append('k', 'x'), OK), done(1, 0, 5, append('k', 'y'), OK)];
  assert.equal(verdict([...concurrent, done(2, 6, 7, get('k'), 'yx')]), 'linearizable');
  assert.equal(verdict([...concurrent, done(2, 6, 7, get('k'), 'x')]), 'not-linearizable');
});

test('del removes the key', () => {
  const history = [done(0, 0, 1, put('k', 'a'), OK), done(0, 2, 3, del('k'), OK)];
  assert.equal(verdict([...history, done(1, 4, 5, get('k'), null)]), 'linearizable');
  assert.equal(verdict([...history, done(1, 4, 5, get('k'), 'a')]), 'not-linearizable');
  assert.equal(verdict([...history, done(1, 4, 5, append('k', 'b'), OK), done(1, 6, 7, get('k'), 'b')]), 'linearizable');
});

test('incr counts from zero and returns the new value', () => {
  const history = [done(0, 0, 1, incr('n'), 1), done(0, 2, 3, incr('n', 5), 6), done(1, 4, 5, get('n'), '6')];
  assert.equal(verdict(history), 'linearizable');
  assert.equal(verdict([done(0, 0, 1, incr('n'), 2)]), 'not-linearizable');
});

test('concurrent incrs return distinct values in some order', () => {
  const a = done(0, 0, 10, incr('n'), 2);
  assert.equal(verdict([a, done(1, 1, 9, incr('n'), 1)]), 'linearizable');
  assert.equal(verdict([a, done(1, 1, 9, incr('n'), 2)]), 'not-linearizable');
});

test('an incr with unknown outcome explains a jump, but need not have happened', () => {
  const lost = unknown(0, 0, incr('n'));
  assert.equal(verdict([lost, done(1, 1, 2, incr('n'), 2)]), 'linearizable');
  assert.equal(verdict([lost, done(1, 1, 2, incr('n'), 1)]), 'linearizable');
  assert.equal(verdict([lost, done(1, 1, 2, incr('n'), 3)]), 'not-linearizable');
});

test('incr on a non-integer value cannot succeed', () => {
  const history = [done(0, 0, 1, put('n', 'abc'), OK), done(0, 2, 3, incr('n'), 1)];
  assert.equal(verdict(history), 'not-linearizable');
  assert.equal(verdict([done(0, 0, 1, put('n', '41'), OK), done(0, 2, 3, incr('n'), 42)]), 'linearizable');
});

test('cas swaps exactly when the value is the expected one', () => {
  const base = [done(0, 0, 1, put('k', 'a'), OK)];
  assert.equal(verdict([...base, done(0, 2, 3, cas('k', 'a', 'b'), true), done(1, 4, 5, get('k'), 'b')]), 'linearizable');
  assert.equal(verdict([...base, done(0, 2, 3, cas('k', 'z', 'b'), true)]), 'not-linearizable', 'cannot succeed');
  assert.equal(verdict([...base, done(0, 2, 3, cas('k', 'a', 'b'), false)]), 'not-linearizable', 'cannot fail');
  assert.equal(verdict([...base, done(0, 2, 3, cas('k', 'z', 'b'), false), done(1, 4, 5, get('k'), 'a')]), 'linearizable');
  assert.equal(verdict([done(0, 0, 1, cas('k', null, 'b'), true)]), 'linearizable', 'nil expected on an absent key');
});

test('a cas with unknown outcome may apply when its comparison holds', () => {
  const history = [done(0, 0, 1, put('k', 'a'), OK), unknown(1, 2, cas('k', 'a', 'b'))];
  assert.equal(verdict([...history, done(2, 5, 6, get('k'), 'b')]), 'linearizable');
  assert.equal(verdict([...history, done(2, 5, 6, get('k'), 'a')]), 'linearizable');
  const mismatched = [done(0, 0, 1, put('k', 'a'), OK), unknown(1, 2, cas('k', 'z', 'b'))];
  assert.equal(verdict([...mismatched, done(2, 5, 6, get('k'), 'b')]), 'not-linearizable');
});

test('an operation recorded as failed is dropped from the history', () => {
  const recorder = new HistoryRecorder();
  const failed = recorder.invoke(0, put('k', 'a'), 0);
  recorder.fail(failed, 1);
  recorder.ok(recorder.invoke(1, get('k'), 2), 'a', 3);
  assert.equal(recorder.history().length, 1);
  assert.equal(verdict(recorder.history()), 'not-linearizable');
});

test('keys are checked independently and the violation names the failing key and op', () => {
  const good = [done(0, 0, 1, put('a', '1'), OK), done(1, 2, 3, get('a'), '1')];
  const failing = done(3, 6, 7, get('b'), 'old');
  const bad = [done(2, 0, 1, put('b', 'old'), OK), done(2, 2, 3, put('b', 'new'), OK), done(3, 4, 5, get('b'), 'new'), failing, done(3, 8, 9, get('b'), 'new')];
  const result = checkKvHistory([...good, ...bad]);
  assert.equal(result.verdict, 'not-linearizable');
  assert.ok(result.verdict === 'not-linearizable');
  assert.equal(result.keys, 2);
  assert.equal(result.violation.key, 'b');
  assert.equal(result.violation.failing, failing);
  assert.deepEqual(result.violation.prefix, bad.slice(0, 4), 'the ops after the failing one are cut off');
  assert.ok(result.violation.window.includes(failing));
  assert.equal(checkKvHistory(result.violation.prefix).verdict, 'not-linearizable', 'the prefix is itself a counterexample');
});

test('cutting a history turns the ops still running at the cut into unknown ones', () => {
  const history = [done(0, 0, 10, put('k', 'a'), OK), done(1, 1, 12, get('k'), 'a'), done(2, 2, 3, put('k', 'b'), OK), done(3, 11, 12, put('k', 'c'), OK)];
  assert.deepEqual(cutHistory(history, 3), [unknown(0, 0, put('k', 'a')), history[2]]);
});

test('past its time budget the check gives up with verdict unknown', () => {
  // Twelve overlapping puts then an impossible read: the search must try every subset.
  const history = Array.from({ length: 12 }, (_, i) => done(i, 0, 100, put('k', `v${i}`), OK));
  history.push(done(99, 200, 201, get('k'), 'never written'));
  // Every clock read advances a second: the budget is gone at the first look after starting.
  let clockMs = 0;
  const result = checkKvHistory(history, { timeoutMs: 50, now: () => (clockMs += 1000) });
  assert.equal(result.verdict, 'unknown');
  assert.ok(result.verdict === 'unknown');
  assert.equal(result.reason, 'timeout');
  assert.deepEqual(result.undecidedKeys, ['k']);
  assert.equal(checkKvHistory(history).verdict, 'not-linearizable', 'with time enough it decides');
});

test('past its memory budget the check gives up with verdict unknown', () => {
  const history = Array.from({ length: 12 }, (_, i) => done(i, 0, 100, put('k', `v${i}`), OK));
  history.push(done(99, 200, 201, get('k'), 'never written'));
  const result = checkKvHistory(history, { memoEntriesMax: 100 });
  assert.ok(result.verdict === 'unknown', result.verdict);
  assert.equal(result.reason, 'memory');
});

test('a hard key does not hide a violation that another key shows at once', () => {
  // Key "hard" alone needs far more than the memory given; key "easy" fails in a few steps.
  const hard = Array.from({ length: 16 }, (_, i) => done(i, 0, 100, put('hard', `v${i}`), OK));
  hard.push(done(99, 200, 201, get('hard'), 'v3'));
  const easy = [done(0, 300, 301, put('easy', 'a'), OK), done(1, 302, 303, get('easy'), 'b')];
  const hardAlone = checkKvHistory(hard, { memoEntriesMax: 20_000 });
  assert.equal(hardAlone.verdict, 'unknown');
  const result = checkKvHistory([...hard, ...easy], { memoEntriesMax: 20_000 });
  assert.ok(result.verdict === 'not-linearizable', result.verdict);
  assert.equal(result.violation.key, 'easy');
});

test('an invalid budget is refused', () => {
  assert.throws(() => checkKvHistory([], { timeoutMs: 0 }), /invalid timeoutMs 0/);
  assert.throws(() => checkKvHistory([], { memoEntriesMax: 0.5 }), /invalid memoEntriesMax 0.5/);
});

test('a list: pushes return the length after, a read sees every completed push in order', () => {
  const pushes = [done(0, 0, 1, rpush('l', 'a'), 1), done(1, 2, 3, rpush('l', 'b'), 2)];
  assert.equal(verdict([...pushes, done(2, 4, 5, lrange('l'), 'ab')]), 'linearizable');
  assert.equal(verdict([...pushes, done(2, 4, 5, lrange('l'), 'ba')]), 'not-linearizable', 'order of completed pushes');
  assert.equal(verdict([...pushes, done(2, 4, 5, lrange('l'), 'a')]), 'not-linearizable', 'a completed push lost');
  assert.equal(verdict([done(0, 0, 1, rpush('l', 'a'), 2)]), 'not-linearizable', 'the length after the first push is 1');
  // Concurrent pushes may land in either order, and the lengths say which.
  const concurrent = [done(0, 0, 10, rpush('l', 'a'), 2), done(1, 0, 10, rpush('l', 'b'), 1)];
  assert.equal(verdict([...concurrent, done(2, 11, 12, lrange('l'), 'ba')]), 'linearizable');
  assert.equal(verdict([...concurrent, done(2, 11, 12, lrange('l'), 'ab')]), 'not-linearizable');
  assert.equal(verdict([done(0, 0, 1, lrange('l'), '')]), 'linearizable', 'an absent list reads empty');
});

test('a sorted set: zadd counts new members, a read sees members by score then member', () => {
  const adds = [done(0, 0, 1, zadd('z', 5, 'm1'), 1), done(0, 2, 3, zadd('z', 3, 'm2'), 1), done(0, 4, 5, zadd('z', 3, 'm0'), 1)];
  assert.equal(verdict([...adds, done(1, 6, 7, zrange('z'), 'm0:3,m2:3,m1:5')]), 'linearizable');
  assert.equal(verdict([...adds, done(1, 6, 7, zrange('z'), 'm2:3,m0:3,m1:5')]), 'not-linearizable', 'ties order by member');
  const update = done(0, 8, 9, zadd('z', 1, 'm1'), 0);
  assert.equal(verdict([...adds, update, done(1, 10, 11, zrange('z'), 'm1:1,m0:3,m2:3')]), 'linearizable', 'an update moves the member');
  assert.equal(verdict([...adds, done(0, 8, 9, zadd('z', 1, 'm1'), 1)]), 'not-linearizable', 'an existing member is not added');
});

// The chaos finding of 2026-12-06 (docs/testing.md), its four operations with their times:
// a WATCH compare-and-set of r0 racing a DEL. The checker is right to refuse it; the same
// history with the compare-and-set split into its read and a blind write (what the server
// did: its EXEC ran after the DEL, a key created and removed since WATCH looked unchanged)
// is linearizable, and so is the history without the DEL.
test('a successful compare-and-set concurrent with a delete cannot be followed by a read of its value', () => {
  const finding = [
    done(6, 2058.76, 2062.62, put('r0', '6.460'), OK),
    done(1, 2063.73, 2071.21, del('r0'), OK),
    done(2, 2064.45, 2071.27, cas('r0', '6.460', '2.459'), true),
    done(6, 2089.41, 2091.35, get('r0'), '2.459'),
  ];
  assert.equal(verdict(finding), 'not-linearizable', 'whichever of DEL and CAS went first, the key ends absent');
  assert.equal(verdict(finding.filter((op) => op.op.f !== 'del')), 'linearizable');
  const split = finding.flatMap((op) => (op.op.f === 'cas' ? [done(2, 2064.45, 2064.45, get('r0'), '6.460'), done(2, 2064.45, 2071.27, put('r0', '2.459'), OK)] : [op]));
  assert.equal(verdict(split), 'linearizable', 'read, DEL, then the write: what the server did');
});
