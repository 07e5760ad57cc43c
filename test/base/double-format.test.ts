// Doubles in replies are printed as Redis 7.0 prints them: glibc's "%.17g" (17 significant
// digits of the exact binary value, ties to even), "inf", "-inf", "nan".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatRedisDouble } from '../../src/base/double-format.js';

test('values as redis-server 7.0 prints them', () => {
  const cases: [number, string][] = [
    [0.1, '0.10000000000000001'], [1e20, '1e+20'], [-0, '-0'], [0, '0'], [1.5e-7, '1.4999999999999999e-07'],
    [1e-5, '1.0000000000000001e-05'], [Number("123456789012345678"), '1.2345678901234568e+17'], [3, '3'], [1.5, '1.5'],
    [Number.POSITIVE_INFINITY, 'inf'], [Number.NEGATIVE_INFINITY, '-inf'], [Number.NaN, 'nan'], [1e300, '1.0000000000000001e+300'],
    [5e-324, '4.9406564584124654e-324'], [0.0001, '0.0001'], [0.30000000000000004, '0.30000000000000004'], [-2.5, '-2.5'],
    [2 ** 53, '9007199254740992'], [2 ** 60, '1.152921504606847e+18'], [1e16, '10000000000000000'], [1e17, '1e+17'],
    [1 + 2 ** -17, '1.0000076293945312'], [0.5 + 2 ** -18, '0.50000381469726562'], [1.7976931348623157e308, '1.7976931348623157e+308'],
  ];
  for (const [value, text] of cases) assert.equal(formatRedisDouble(value), text, String(value));
});

test('17 significant digits always read back as the same double (property)', () => {
  fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
    const text = formatRedisDouble(value);
    assert.ok(Object.is(Number(text), value) || (value === 0 && Number(text) === 0), `${value} → ${text}`);
    const digits = text.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '');
    assert.ok(digits.length <= 17, `${value} → ${text}`);
  }), { numRuns: 2000 });
});
