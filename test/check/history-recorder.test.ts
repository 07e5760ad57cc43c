// The recorder a client harness drives: what ends up in the history, and misuse caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryRecorder } from '../../src/check/history-recorder.js';
import { OK } from '../../src/check/history.js';
import { get, incr, put } from './helpers.js';

test('the recorder keeps ok and info operations, drops failed ones, reports open ones as unknown', () => {
  const recorder = new HistoryRecorder();
  const a = recorder.invoke(0, put('k', 'a'), 1);
  const b = recorder.invoke(1, get('k'), 2);
  const c = recorder.invoke(2, incr('n'), 3);
  const d = recorder.invoke(3, put('k', 'd'), 4);
  recorder.invoke(4, put('k', 'e'), 5);
  recorder.ok(a, OK, 6);
  recorder.ok(b, 'a', 7);
  recorder.info(c, 8);
  recorder.fail(d, 9);
  assert.equal(recorder.size, 5);
  assert.deepEqual(recorder.history(), [
    { process: 0, call: 1, ret: 6, op: put('k', 'a'), result: OK },
    { process: 1, call: 2, ret: 7, op: get('k'), result: 'a' },
    { process: 2, call: 3, ret: null, op: incr('n') },
    { process: 4, call: 5, ret: null, op: put('k', 'e') },
  ]);
});

test('the recorder refuses a second completion, an unknown id, time running backwards and ill-typed results', () => {
  const recorder = new HistoryRecorder();
  const id = recorder.invoke(0, get('k'), 10);
  assert.throws(() => recorder.ok(id, 'x', 9), /before call time 10/);
  assert.throws(() => recorder.ok(id, true, 11), /does not fit get/);
  recorder.ok(id, null, 11);
  assert.throws(() => recorder.info(id, 12), /completed twice/);
  assert.throws(() => recorder.fail(7, 12), /never invoked/);
  assert.throws(() => recorder.invoke(0, get('k'), Number.NaN), /finite/);
});
