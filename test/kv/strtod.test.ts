// strtod as glibc's: where a number ends, its value, and ERANGE (overflow, underflow to zero),
// checked against values printed by a C program over the same inputs; and the score and range
// rules Redis builds on it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { strtod } from '../../src/kv/strtod.js';
import { isEmptyLexRange, isEmptyScoreRange, parseLexRange, parseScore, parseScoreRange } from '../../src/kv/zset-range.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

test('strtod reads what glibc reads', () => {
  // [input, value, characters consumed, out of range]
  const cases: [string, number, number, boolean][] = [
    ['1', 1, 1, false], [' 1', 1, 2, false], ['1 ', 1, 1, false], ['-1.5e3', -1500, 6, false], ['.5', 0.5, 2, false], ['5.', 5, 2, false],
    ['+.5e-3', 0.0005, 6, false], ['inf', Infinity, 3, false], ['-inf', -Infinity, 4, false], ['+inf', Infinity, 4, false], ['infinity', Infinity, 8, false],
    ['INFINITY', Infinity, 8, false], ['infin', Infinity, 3, false], ['nan', NaN, 3, false], ['-nan', NaN, 4, false], ['nan(123)', NaN, 8, false], ['nan(', NaN, 3, false],
    ['0x10', 16, 4, false], ['0x1.8p3', 12, 7, false], ['0x', 0, 1, false], ['0xg', 0, 1, false], ['0x.8', 0.5, 4, false], ['1e400', Infinity, 5, true],
    ['-1e400', -Infinity, 6, true], ['1e-400', 0, 6, true], ['1e-310', 1e-310, 6, false], ['0e-400', 0, 6, false], ['abc', 0, 0, false], ['', 0, 0, false],
    ['(', 0, 0, false], ['1e', 1, 1, false], ['1e+', 1, 1, false], ['1.2.3', 1.2, 3, false], ['   -0', -0, 5, false], ['0x1p2000', Infinity, 8, true],
    ['0x123456789abcdef123p-10', Number('3.2794211686594758e17'), 24, false], ['00001', 1, 5, false], ['   ', 0, 0, false],
  ];
  for (const [input, value, end, outOfRange] of cases) {
    const parsed = strtod(input);
    assert.ok(Object.is(parsed.value, value) || (Number.isNaN(value) && Number.isNaN(parsed.value)), `${JSON.stringify(input)}: ${parsed.value}`);
    assert.equal(parsed.end, end, `${JSON.stringify(input)} end`);
    assert.equal(parsed.outOfRange, outOfRange, `${JSON.stringify(input)} out of range`);
  }
});

test('a score is a whole strtod number, not NaN, neither overflowed nor underflowed to zero', () => {
  assert.equal(parseScore(bytes('1.5')), 1.5);
  assert.equal(parseScore(bytes('-inf')), -Infinity);
  assert.equal(parseScore(bytes('0x10')), 16);
  assert.equal(parseScore(bytes('1e-310')), 1e-310);
  for (const bad of ['', ' 1', '1 ', 'nan', 'abc', '1e400', '1e-400', '1\x00']) assert.equal(parseScore(bytes(bad)), null, JSON.stringify(bad));
});

test('a score of plain digits (read without strtod) is what strtod reads, sign, leading zeros and -0 included (property)', () => {
  const digits = fc.stringMatching(/^[+-]?[0-9]{0,17}$/);
  fc.assert(fc.property(digits, (text) => {
    const parsed = strtod(text);
    const expected = text !== '' && parsed.end === text.length && !parsed.outOfRange ? parsed.value : null;
    assert.ok(Object.is(parseScore(bytes(text)), expected), `${text}: ${parseScore(bytes(text))} vs ${expected}`);
  }), { numRuns: 3000 });
  for (const text of ['-0', '+0', '000000012345', '999999999999999', '-999999999999999', '9999999999999999', '-', '+']) {
    const parsed = strtod(text);
    assert.ok(Object.is(parseScore(bytes(text)), parsed.end === text.length && text.length > 0 ? parsed.value : null), text);
  }
});

test('score ranges read to the end or a NUL, with ( for exclusive', () => {
  assert.deepEqual(parseScoreRange(bytes('(1'), bytes('+inf')), { min: 1, max: Infinity, minExclusive: true, maxExclusive: false });
  assert.deepEqual(parseScoreRange(bytes(''), bytes('(')), { min: 0, max: 0, minExclusive: false, maxExclusive: true });
  assert.deepEqual(parseScoreRange(bytes(' 1'), bytes('2\x00x')), { min: 1, max: 2, minExclusive: false, maxExclusive: false });
  assert.equal(parseScoreRange(bytes('1 '), bytes('2')), null);
  assert.equal(parseScoreRange(bytes('1'), bytes('nan')), null);
  assert.equal(isEmptyScoreRange({ min: 1, max: 1, minExclusive: false, maxExclusive: true }), true);
  assert.equal(isEmptyScoreRange({ min: 1, max: 1, minExclusive: false, maxExclusive: false }), false);
});

test('lex ranges: -, + and [ or ( before a member', () => {
  assert.deepEqual(parseLexRange(bytes('-'), bytes('+')), { min: { kind: 'lowest' }, max: { kind: 'highest' } });
  assert.deepEqual(parseLexRange(bytes('[a'), bytes('(b')), { min: { kind: 'member', member: 'a', exclusive: false }, max: { kind: 'member', member: 'b', exclusive: true } });
  for (const [min, max] of [['a', '+'], ['-x', '+'], ['-', '+x'], ['', '+']] as const) assert.equal(parseLexRange(bytes(min), bytes(max)), null, `${min} ${max}`);
  const range = (min: string, max: string) => parseLexRange(bytes(min), bytes(max))!;
  assert.equal(isEmptyLexRange(range('+', '-')), true);
  assert.equal(isEmptyLexRange(range('-', '-')), true);
  assert.equal(isEmptyLexRange(range('[a', '[a')), false);
  assert.equal(isEmptyLexRange(range('[a', '(a')), true);
  assert.equal(isEmptyLexRange(range('[b', '[a')), true);
});
