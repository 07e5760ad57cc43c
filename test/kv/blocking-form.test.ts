// The blocking commands in the state machine: the timeout argument read as Redis 7 reads it,
// and the sorted-set rows (the list rows are in list-commands.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBlockingTimeout } from '../../src/kv/blocking-form.js';
import { CommandError } from '../../src/kv/replies.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';

function timeout(text: string): number | string {
  try {
    return parseBlockingTimeout(Buffer.from(text, 'latin1'));
  } catch (error) {
    if (error instanceof CommandError) return error.reply.message;
    throw error;
  }
}

test('timeouts are seconds × 1000 rounded up; 0 (and what rounds up to -0) is forever', () => {
  const cases: [string, number | string][] = [
    ['0', 0], ['-0', 0], ['0.0', 0], ['-0.0001', 0], ['-0.001', 0], ['0.0001', 1], ['0.001', 1], ['0.2', 200], ['1.5', 1500], ['1', 1000], ['1e3', 1_000_000],
    ['.5', 500], ['5.', 5000], ['+2', 2000], ['9223372036854775', 9223372036854775000],
  ];
  for (const [text, ms] of cases) assert.equal(timeout(text), ms, text);
});

test('timeout errors: not a float, negative, and beyond int64 milliseconds (which Redis\'s cast makes negative)', () => {
  const notFloat = 'ERR timeout is not a float or out of range';
  const negative = 'ERR timeout is negative';
  const cases: [string, string][] = [
    ['x', notFloat], ['', notFloat], [' 1', notFloat], ['1 ', notFloat], ['nan', notFloat], ['1e', notFloat], ['0x', notFloat],
    ['-1', negative], ['-1.5', negative], ['inf', negative], ['-inf', negative], ['1e100', negative], ['9223372036854776', negative],
  ];
  for (const [text, message] of cases) assert.equal(timeout(text), message, text);
  assert.equal(timeout('0x10'), 16000, 'a hexadecimal float, which strtold reads, as Redis does');
});

test('BZPOPMIN, BZPOPMAX and BZMPOP rows match Redis 7 COMMAND INFO', () => {
  const kv = new KvStateMachine();
  const rows: Record<string, [number, string[], number, number, number]> = {
    bzpopmin: [-3, ['write', 'noscript', 'blocking', 'fast'], 1, -2, 1],
    bzpopmax: [-3, ['write', 'noscript', 'blocking', 'fast'], 1, -2, 1],
    bzmpop: [-5, ['write', 'blocking', 'movablekeys'], 0, 0, 0],
  };
  for (const [name, [arity, flags, first, last, step]] of Object.entries(rows)) {
    const spec = kv.lookup(name);
    assert.ok(spec !== undefined, name);
    assert.deepEqual([spec.arity, [...spec.flags], spec.firstKey, spec.lastKey, spec.step], [arity, flags, first, last, step], name);
  }
});
