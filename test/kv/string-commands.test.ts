// String command semantics not covered by the redis-server comparison: SET … IFEQ (Valkey
// 8.1), the proto-max-bulk-len limit, binary safety, and the state-free pre-check.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, plain } from './harness.js';
import { engineStringBytesMax } from '../../src/kv/string-bits.js';

test('SET IFEQ sets only when the current value equals the expected one', () => {
  const h = new Harness();
  assert.equal(plain(h.apply('SET', 'k', 'v1', 'IFEQ', 'v0')), null, 'missing key: not set');
  assert.equal(plain(h.read('EXISTS', 'k')), 0);
  h.apply('SET', 'k', 'v1');
  assert.equal(plain(h.apply('SET', 'k', 'v2', 'IFEQ', 'nope')), null);
  assert.equal(plain(h.read('GET', 'k')), 'v1');
  assert.equal(plain(h.apply('SET', 'k', 'v2', 'IFEQ', 'v1')), 'OK');
  assert.equal(plain(h.read('GET', 'k')), 'v2');
  assert.equal(plain(h.apply('SET', 'k', 'v3', 'IFEQ', 'v2', 'GET')), 'v2', 'with GET: the old value');
  assert.equal(plain(h.apply('SET', 'k', 'v4', 'IFEQ', 'zz', 'GET')), 'v3', 'with GET, not set: still the old value');
  assert.equal(plain(h.read('GET', 'k')), 'v3');
  assert.equal(plain(h.apply('SET', 'k', 'v4', 'IFEQ', 'v3', 'PX', '1000')), 'OK');
  assert.equal(plain(h.read('PTTL', 'k')), 1000);
  for (const args of [['IFEQ', 'a', 'NX'], ['NX', 'IFEQ', 'a'], ['XX', 'IFEQ', 'a'], ['IFEQ']]) {
    assert.deepEqual(plain(h.apply('SET', 'k', 'v', ...args)), { err: 'ERR syntax error' }, args.join(' '));
  }
});

test('keys and values are binary-safe', () => {
  const h = new Harness();
  const key = Buffer.from([0, 255, 10, 13, 0x80]);
  const value = Buffer.from([0, 1, 2, 255, 0]);
  h.apply('SET', key, value);
  const got = h.read('GET', key);
  assert.ok(got.kind === 'bulk' && got.value !== null && Buffer.from(got.value).equals(value));
  const both = h.read('MGET', key, 'nokey');
  assert.ok(both.kind === 'array' && both.value !== null);
  assert.deepEqual(both.value.map((item) => (item.kind === 'bulk' && item.value !== null ? Buffer.from(item.value) : null)), [value, null]);
  assert.equal(plain(h.read('EXISTS', Buffer.from([0, 255, 10, 13]))), 0);
  assert.equal(plain(h.read('STRLEN', key)), 5);
  const keys = h.read('KEYS', '*');
  assert.ok(keys.kind === 'array' && keys.value !== null && Buffer.from((keys.value[0] as { value: Uint8Array }).value).equals(key));
});

test('APPEND and SETRANGE respect protoMaxBulkLen', () => {
  const h = new Harness({ protoMaxBulkLen: 10 });
  h.apply('SET', 'k', '12345');
  assert.equal(plain(h.apply('APPEND', 'k', '67890')), 10);
  const tooLong = { err: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)' };
  assert.deepEqual(plain(h.apply('APPEND', 'k', 'x')), tooLong);
  assert.deepEqual(plain(h.apply('SETRANGE', 'k', '10', 'x')), tooLong);
  assert.deepEqual(plain(h.apply('SETRANGE', 'new', '9', 'xy')), tooLong);
  assert.equal(plain(h.apply('SETRANGE', 'k', '9', 'x')), 10);
  assert.equal(plain(h.read('GET', 'k')), '123456789x');
});

test('SETRANGE past the longest string the engine can store is refused like one past proto-max-bulk-len', () => {
  // The default proto-max-bulk-len (512 MB) is 24 bytes more than a V8 string can hold.
  const h = new Harness();
  assert.deepEqual(plain(h.apply('SETRANGE', 'k', String(engineStringBytesMax), 'x')), { err: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)' });
  assert.equal(plain(h.apply('EXISTS', 'k')), 0);
});

test('values held by a key are not changed by later edits of the argument buffers', () => {
  const h = new Harness();
  const value = Buffer.from('abc');
  h.apply('SET', 'k', value);
  value[0] = 0x7a;
  assert.equal(plain(h.read('GET', 'k')), 'abc');
});

test('INCR keeps the exact 64-bit value even where the reply number cannot', () => {
  const h = new Harness();
  h.apply('SET', 'n', '9223372036854775806');
  h.apply('INCR', 'n');
  assert.equal(plain(h.read('GET', 'n')), '9223372036854775807');
  assert.deepEqual(plain(h.apply('INCR', 'n')), { err: 'ERR increment or decrement would overflow' });
  assert.deepEqual(plain(h.apply('DECRBY', 'n', '-9223372036854775808')), { err: 'ERR decrement would overflow' });
});

test('validate rejects what needs no state, and accepts what apply must judge', () => {
  const h = new Harness();
  const validate = (...args: string[]): unknown => {
    const reply = h.kv.validate(args.map((arg) => Buffer.from(arg)));
    return reply === null ? null : plain(reply);
  };
  assert.deepEqual(validate('GET'), { err: "ERR wrong number of arguments for 'get' command" });
  assert.deepEqual(validate('set', 'k'), { err: "ERR wrong number of arguments for 'set' command" });
  assert.deepEqual(validate('SET', 'k', 'v', 'EX', 'x'), { err: 'ERR value is not an integer or out of range' });
  assert.deepEqual(validate('SET', 'k', 'v', 'EX', '0'), { err: "ERR invalid expire time in 'set' command" });
  assert.deepEqual(validate('SET', 'k', 'v', 'NX', 'XX'), { err: 'ERR syntax error' });
  assert.deepEqual(validate('GETEX', 'k', 'PX', '1', 'PERSIST'), { err: 'ERR syntax error' });
  assert.equal(validate('GETEX', 'k', 'PX', '-1'), null, 'a missing key answers nil, so the time needs state');
  assert.deepEqual(validate('SETEX', 'k', '0', 'v'), { err: "ERR invalid expire time in 'setex' command" });
  assert.deepEqual(validate('MSET', 'a', '1', 'b'), { err: "ERR wrong number of arguments for 'mset' command" });
  assert.deepEqual(validate('INCRBY', 'a', '1.5'), { err: 'ERR value is not an integer or out of range' });
  assert.deepEqual(validate('EXPIRE', 'a', '1', 'NX', 'GT'), { err: 'ERR NX and XX, GT or LT options at the same time are not compatible' });
  assert.deepEqual(validate('EXPIRE', 'a', '1', 'FOO'), { err: 'ERR Unsupported option FOO' });
  assert.deepEqual(validate('SCAN', '0', 'COUNT', '0'), { err: 'ERR syntax error' });
  assert.deepEqual(validate('SETRANGE', 'a', '-1', 'x'), { err: 'ERR offset is out of range' });
  assert.deepEqual(validate('FLUSHALL', 'NOW'), { err: 'ERR syntax error' });
  assert.equal(validate('SET', 'k', 'v', 'EX', '10', 'NX'), null);
  assert.equal(validate('INCR', 'k'), null, 'the value type needs state');
  assert.equal(validate('NOSUCHCOMMAND'), null, 'unknown commands are the server\'s to word');
});

test('every validate error is the error apply gives for the same command', () => {
  const cases = [
    ['SET', 'k', 'v', 'EX', 'x'], ['SET', 'k', 'v', 'PX', '0'], ['SET', 'k', 'v', 'KEEPTTL', 'EX', '1'], ['GETEX', 'k', 'EXAT', '1', 'KEEPTTL'],
    ['SETEX', 'k', 'x', 'v'], ['PSETEX', 'k', '-1', 'v'], ['MSETNX', 'a'], ['MSETNX', 'a', '1', 'b'], ['DECRBY', 'a', 'x'],
    ['PEXPIREAT', 'a', '1', 'GT', 'LT'], ['GETRANGE', 'a', 'x', '1'], ['SCAN', 'x'], ['FLUSHDB', 'A', 'B'], ['EXPIREAT', 'a', '9223372036854775807'],
  ];
  for (const args of cases) {
    const h = new Harness();
    h.apply('SET', 'k', 'v');
    h.apply('SET', 'a', '1');
    const expected = h.kv.validate(args.map((arg) => Buffer.from(arg)));
    assert.notEqual(expected, null, args.join(' '));
    assert.deepEqual(plain(h.apply(...args)), plain(expected!), args.join(' '));
  }
});

test('INCRBY beyond 2^53 replies with the exact 64-bit value, and overflow past 2^63-1 is refused', () => {
  const h = new Harness();
  assert.deepEqual(h.apply('INCRBY', 'n', '9007199254740993'), { kind: 'integer', value: 9007199254740993n });
  const reply = h.apply('INCR', 'n');
  assert.deepEqual(reply, { kind: 'integer', value: 9007199254740994n });
  assert.equal(plain(h.apply('SET', 'max', '9223372036854775807')), 'OK');
  assert.deepEqual(plain(h.apply('INCR', 'max')), { err: 'ERR increment or decrement would overflow' });
  assert.deepEqual(h.apply('DECRBY', 'small', '9223372036854775807'), { kind: 'integer', value: -9223372036854775807n });
});

test('INCRBY of a short counter (read as text, double arithmetic) and of a long one (BigInt) agree with Redis at the border', () => {
  const h = new Harness();
  const notInteger = { err: 'ERR value is not an integer or out of range' };
  for (const bad of ['007', '-0', '', ' 1', '1 ', '+1', '1.0', '-', '12a']) {
    h.apply('SET', 'bad', bad);
    assert.deepEqual(plain(h.apply('INCR', 'bad')), notInteger, `INCR of '${bad}'`);
    assert.equal(plain(h.read('GET', 'bad')), bad, 'a refused INCR leaves the value');
  }
  h.apply('SET', 'n', '999999999999999');
  assert.equal(plain(h.apply('INCR', 'n')), 1000000000000000, 'from 15 digits to 16');
  assert.equal(plain(h.apply('INCR', 'n')), 1000000000000001, 'and on, through the long path');
  h.apply('SET', 'n', '-5');
  assert.equal(plain(h.apply('INCRBY', 'n', '5')), 0);
  assert.equal(plain(h.read('GET', 'n')), '0');
  assert.equal(plain(h.apply('DECRBY', 'n', '7')), -7);
  h.apply('SET', 'n', '1');
  assert.deepEqual(h.apply('INCRBY', 'n', '9007199254740992'), { kind: 'integer', value: 9007199254740993n }, 'past 2^53: exact');
  assert.equal(plain(h.read('GET', 'n')), '9007199254740993');
  h.apply('SET', 'n', '-999999999999999');
  assert.deepEqual(plain(h.apply('INCRBY', 'n', '-9223372036854775807')), { err: 'ERR increment or decrement would overflow' });
});
