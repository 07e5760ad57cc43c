// INCRBYFLOAT's arithmetic: 80-bit long double emulation and Redis's "%.17Lf" formatting.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addLongDouble, formatLongDouble, parseLongDouble, type LongDouble } from '../../src/kv/long-double.js';

function finite(text: string): LongDouble {
  const parsed = parseLongDouble(Buffer.from(text));
  assert.ok(parsed !== null && parsed.kind === 'finite', text);
  return parsed;
}

function sum(a: string, b: string): string {
  const result = addLongDouble(finite(a), finite(b));
  assert.equal(result.kind, 'finite');
  return formatLongDouble(result as LongDouble);
}

test('sums print like Redis on x86-64 (long double, %.17Lf, trailing zeros trimmed)', () => {
  assert.equal(sum('0.1', '0.2'), '0.3');
  assert.equal(sum('10.5', '0.1'), '10.6');
  assert.equal(sum('5.0e3', '0'), '5000');
  assert.equal(sum('3', '-3'), '0');
  assert.equal(sum('-0', '0'), '0');
  assert.equal(sum('1', '1e-20'), '1');
  assert.equal(sum('0', '0.000000000000000001'), '0');
  assert.equal(sum('1.5', '-3'), '-1.5');
  // 26 printed digits exceed a long double's ~19: the binary value shows (as redis-server prints it).
  assert.equal(sum('123456789.123456789', '0'), '123456789.12345678899873747');
  assert.equal(sum('1e20', '0'), '100000000000000000000');
  assert.equal(sum('0', '3.0'), '3');
});

test('parsing follows strtold as Redis uses it', () => {
  for (const bad of ['', ' 1', '1 ', 'abc', 'nan', '1e', '.', '-', '1e99999', '1e-99999']) {
    assert.equal(parseLongDouble(Buffer.from(bad)), null, JSON.stringify(bad));
  }
  for (const good of ['1', '+1.5', '.5', '5.', '-0', '1E3', '1e-4900', '0e99999999']) {
    assert.notEqual(parseLongDouble(Buffer.from(good)), null, good);
  }
  assert.deepEqual(parseLongDouble(Buffer.from('inf')), { kind: 'infinite' });
  assert.deepEqual(parseLongDouble(Buffer.from('-Infinity')), { kind: 'infinite' });
});

test('a sum beyond the long double range is infinite', () => {
  assert.equal(addLongDouble(finite('1e4932'), finite('1e4932')).kind, 'infinite');
});

test('hexadecimal floats read as strtold reads them (INCRBYFLOAT k 0x1p3 adds 8)', () => {
  const read = (text: string): string | null => {
    const parsed = parseLongDouble(Buffer.from(text, 'latin1'));
    return parsed === null ? null : parsed.kind === 'infinite' ? 'inf' : formatLongDouble(parsed);
  };
  assert.equal(read('0x10'), '16');
  assert.equal(read('0x1p3'), '8');
  assert.equal(read('0X1.8P1'), '3');
  assert.equal(read('-0x.8'), '-0.5');
  assert.equal(read('0x1p-2'), '0.25');
  for (const invalid of ['0x', '0x.p1', '0x1p', ' 0x1', '0x1p99999999', '0x1p-20000', '0xg']) assert.equal(read(invalid), null, invalid);
});

