// Glob matching like Redis's stringmatchlen (also checked against redis-server's KEYS in
// redis-compare.test.ts when it is installed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globMatch } from '../../src/kv/glob.js';

const match = (pattern: string, text: string): boolean => globMatch(Buffer.from(pattern, 'latin1'), Buffer.from(text, 'latin1'));

test('wildcards, classes, ranges, negation and escapes', () => {
  const cases: [string, string, boolean][] = [
    ['*', '', false /* stringmatchlen; KEYS and SCAN special-case a lone '*' */], ['*', 'anything', true], ['', '', true], ['', 'a', false],
    ['h?llo', 'hello', true], ['h?llo', 'hllo', false], ['h*llo', 'hllo', true], ['h*llo', 'heeeello', true],
    ['h[ae]llo', 'hallo', true], ['h[ae]llo', 'hillo', false], ['h[^e]llo', 'hallo', true], ['h[^e]llo', 'hello', false],
    ['h[a-b]llo', 'hbllo', true], ['h[b-a]llo', 'hbllo', true], ['h[a-b]llo', 'hcllo', false],
    ['h\\*', 'h*', true], ['h\\*', 'hx', false], ['a\\', 'a', false], ['[', 'x', false], ['[a', 'a', true],
    ['h[\\]]llo', 'h]llo', true], ['h[a-]llo', 'h-llo', false], ['h[a-]llo', 'hallo', false /* the range a-] eats the ']' */],
    ['*a*b*', 'xxaxxbxx', true], ['*a*b', 'ba', false], ['??', 'ab', true], ['??', 'a', false],
    ['[\x80-\xff]*', '\xe9t\xe9', true], ['[\x01-\x7f]*', '\xe9', false], ['[\x01-\x7f]*', 'abc', true],
  ];
  for (const [pattern, text, expected] of cases) assert.equal(match(pattern, text), expected, `${JSON.stringify(pattern)} ~ ${JSON.stringify(text)}`);
});

test('abusive patterns finish quickly', () => {
  assert.equal(match('a*'.repeat(40) + 'b', 'a'.repeat(60)), false);
});
