// The single-register model driven directly through the generic search.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { searchLinearization } from '../../src/check/linearizability.js';
import type { Operation } from '../../src/check/linearizability.js';
import { registerModel } from '../../src/check/register-model.js';
import type { RegisterOp, RegisterResult } from '../../src/check/register-model.js';

type RegisterOperation = Operation<RegisterOp, RegisterResult>;
const budget = { deadline: Infinity, now: () => 0 };
const verdict = (ops: RegisterOperation[]): string => searchLinearization(registerModel, ops, budget).verdict;

const write = (call: number, ret: number | null, value: string): RegisterOperation =>
  ret === null ? { process: 0, call, ret, op: { f: 'write', value } } : { process: 0, call, ret, op: { f: 'write', value }, result: 'ok' };
const read = (call: number, ret: number, value: string | null): RegisterOperation => ({ process: 1, call, ret, op: { f: 'read' }, result: value });
const cas = (call: number, ret: number, expected: string | null, value: string, swapped: boolean): RegisterOperation => ({
  process: 2, call, ret, op: { f: 'cas', expected, value }, result: swapped,
});

test('a register starts nil and reads the last write', () => {
  assert.equal(verdict([read(0, 1, null), write(2, 3, '1'), read(4, 5, '1')]), 'linearizable');
  assert.equal(verdict([read(0, 1, '1')]), 'not-linearizable');
  assert.equal(verdict([write(0, 1, '1'), write(2, 3, '2'), read(4, 5, '1')]), 'not-linearizable');
});

test('register cas succeeds only on the expected value', () => {
  assert.equal(verdict([write(0, 1, '1'), cas(2, 3, '1', '2', true), read(4, 5, '2')]), 'linearizable');
  assert.equal(verdict([write(0, 1, '1'), cas(2, 3, '2', '3', true)]), 'not-linearizable');
  assert.equal(verdict([write(0, 1, '1'), cas(2, 3, '1', '3', false)]), 'not-linearizable');
});

test('a register write with unknown outcome may or may not land', () => {
  assert.equal(verdict([write(0, null, '1'), read(2, 3, '1')]), 'linearizable');
  assert.equal(verdict([write(0, null, '1'), read(2, 3, null)]), 'linearizable');
  assert.equal(verdict([write(0, null, '1'), read(2, 3, '1'), read(4, 5, null)]), 'not-linearizable');
});
