// List commands: Redis 7's replies for each command, errors and WRONGTYPE included, the
// blocking commands' non-blocking forms (what the state machine applies), and a model-based
// property test of the commands against a plain array.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { argvOf, Harness, plain, type Plain } from './harness.js';
import { encodeTransaction } from '../../src/kv/transaction.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';

const wrongType = { err: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const notInteger = { err: 'ERR value is not an integer or out of range' };
const syntax = { err: 'ERR syntax error' };

/** Applies each [command, expected reply] in order on one fresh harness. */
function expectReplies(steps: readonly (readonly [readonly string[], Plain])[]): Harness {
  const h = new Harness();
  for (const [args, expected] of steps) assert.deepEqual(plain(h.apply(...args)), expected, args.join(' '));
  return h;
}

test('LPUSH, RPUSH, LPUSHX, RPUSHX: new length, variadic order, X forms only on an existing list', () => {
  expectReplies([
    [['LPUSHX', 'l', 'a'], 0], [['RPUSHX', 'l', 'a'], 0], [['EXISTS', 'l'], 0],
    [['LPUSH', 'l', 'a', 'b', 'c'], 3], [['RPUSH', 'l', '0', '1'], 5], [['LRANGE', 'l', '0', '-1'], ['c', 'b', 'a', '0', '1']],
    [['LPUSHX', 'l', 'x', 'y'], 7], [['RPUSHX', 'l', 'z'], 8], [['LRANGE', 'l', '0', '-1'], ['y', 'x', 'c', 'b', 'a', '0', '1', 'z']],
    [['TYPE', 'l'], 'list'], [['LPUSH', 'l'], { err: "ERR wrong number of arguments for 'lpush' command" }],
    [['SET', 's', 'v'], 'OK'], [['LPUSH', 's', 'a'], wrongType], [['RPUSH', 's', 'a'], wrongType], [['LPUSHX', 's', 'a'], wrongType], [['RPUSHX', 's', 'a'], wrongType],
  ]);
});

test('LPOP and RPOP with and without a count', () => {
  expectReplies([
    [['LPOP', 'l'], null], [['RPOP', 'l', '2'], null], [['LPOP', 'l', '0'], null],
    [['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e'], 5], [['LPOP', 'l'], 'a'], [['RPOP', 'l'], 'e'], [['LPOP', 'l', '0'], []],
    [['LPOP', 'l', '2'], ['b', 'c']], [['RPOP', 'l', '10'], ['d']], [['EXISTS', 'l'], 0],
    [['LPOP', 'l', '-1'], { err: 'ERR value is out of range, must be positive' }], [['LPOP', 'l', 'x'], { err: 'ERR value is out of range, must be positive' }],
    [['LPOP', 'l', '1', '2'], { err: "ERR wrong number of arguments for 'lpop' command" }],
    [['SET', 's', 'v'], 'OK'], [['LPOP', 's'], wrongType], [['RPOP', 's', '1'], wrongType],
  ]);
});

test('the nil replies: a nil bulk without a count, a null array with one', () => {
  const h = new Harness();
  assert.deepEqual(h.apply('LPOP', 'none'), { kind: 'bulk', value: null });
  assert.deepEqual(h.apply('LPOP', 'none', '1'), { kind: 'array', value: null });
  assert.deepEqual(h.apply('BLPOP', 'none', '0'), { kind: 'array', value: null });
  assert.deepEqual(h.apply('BLMOVE', 'none', 'x', 'LEFT', 'LEFT', '0'), { kind: 'bulk', value: null });
  assert.deepEqual(h.apply('LMPOP', '1', 'none', 'LEFT'), { kind: 'array', value: null });
});

test('LLEN, LINDEX, LRANGE', () => {
  expectReplies([
    [['LLEN', 'l'], 0], [['LINDEX', 'l', '0'], null], [['LINDEX', 'l', 'x'], null], [['LRANGE', 'l', '0', '-1'], []], [['LRANGE', 'l', 'x', '1'], notInteger],
    [['RPUSH', 'l', '0', '1', '2', '3', '4'], 5], [['LLEN', 'l'], 5], [['LINDEX', 'l', '0'], '0'], [['LINDEX', 'l', '-1'], '4'], [['LINDEX', 'l', '5'], null],
    [['LINDEX', 'l', '-6'], null], [['LINDEX', 'l', 'x'], notInteger], [['LRANGE', 'l', '1', '-2'], ['1', '2', '3']], [['LRANGE', 'l', '-100', '100'], ['0', '1', '2', '3', '4']],
    [['LRANGE', 'l', '3', '1'], []], [['LRANGE', 'l', '0', '-6'], []], [['LRANGE', 'l', '9223372036854775807', '-1'], []],
    [['SET', 's', 'v'], 'OK'], [['LLEN', 's'], wrongType], [['LINDEX', 's', '0'], wrongType], [['LINDEX', 's', 'x'], wrongType], [['LRANGE', 's', '0', '1'], wrongType],
  ]);
});

test('LSET: "no such key" and "index out of range"', () => {
  expectReplies([
    [['LSET', 'l', '0', 'x'], { err: 'ERR no such key' }], [['LSET', 'l', 'x', 'x'], { err: 'ERR no such key' }],
    [['RPUSH', 'l', 'a', 'b', 'c'], 3], [['LSET', 'l', '1', 'B'], 'OK'], [['LSET', 'l', '-1', 'C'], 'OK'], [['LRANGE', 'l', '0', '-1'], ['a', 'B', 'C']],
    [['LSET', 'l', '3', 'x'], { err: 'ERR index out of range' }], [['LSET', 'l', '-4', 'x'], { err: 'ERR index out of range' }], [['LSET', 'l', 'x', 'x'], notInteger],
    [['SET', 's', 'v'], 'OK'], [['LSET', 's', '0', 'x'], wrongType],
  ]);
});

test('LTRIM keeps the range and deletes an emptied list', () => {
  expectReplies([
    [['LTRIM', 'l', '0', '1'], 'OK'], [['RPUSH', 'l', '1', '2', '3', '4', '5'], 5], [['LTRIM', 'l', '1', '-2'], 'OK'], [['LRANGE', 'l', '0', '-1'], ['2', '3', '4']],
    [['LTRIM', 'l', '-2', '100'], 'OK'], [['LRANGE', 'l', '0', '-1'], ['3', '4']], [['LTRIM', 'l', '1', '0'], 'OK'], [['EXISTS', 'l'], 0],
    [['LTRIM', 'l', 'x', '0'], notInteger], [['SET', 's', 'v'], 'OK'], [['LTRIM', 's', '0', '1'], wrongType],
  ]);
});

test('LREM from the head, from the tail, and all', () => {
  expectReplies([
    [['LREM', 'l', '0', 'a'], 0], [['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', 'b'], 6], [['LREM', 'l', '1', 'a'], 1], [['LRANGE', 'l', '0', '-1'], ['b', 'a', 'c', 'a', 'b']],
    [['LREM', 'l', '-1', 'b'], 1], [['LRANGE', 'l', '0', '-1'], ['b', 'a', 'c', 'a']], [['LREM', 'l', '0', 'a'], 2], [['LRANGE', 'l', '0', '-1'], ['b', 'c']],
    [['LREM', 'l', '5', 'zz'], 0], [['LREM', 'l', '0', 'b'], 1], [['LREM', 'l', '0', 'c'], 1], [['EXISTS', 'l'], 0], [['LREM', 'l', 'x', 'a'], notInteger],
    [['SET', 's', 'v'], 'OK'], [['LREM', 's', '0', 'a'], wrongType],
  ]);
});

test('LINSERT before and after the first pivot; -1 without a pivot, 0 without a list', () => {
  expectReplies([
    [['LINSERT', 'l', 'BEFORE', 'a', 'x'], 0], [['RPUSH', 'l', 'a', 'b', 'a'], 3], [['LINSERT', 'l', 'BEFORE', 'a', 'x'], 4], [['LINSERT', 'l', 'after', 'a', 'y'], 5],
    [['LINSERT', 'l', 'AFTER', 'b', 'z'], 6], [['LRANGE', 'l', '0', '-1'], ['x', 'a', 'y', 'b', 'z', 'a']], [['LINSERT', 'l', 'BEFORE', 'nope', 'q'], -1],
    [['LINSERT', 'l', 'BESIDE', 'a', 'q'], syntax], [['LINSERT', 'missing', 'BESIDE', 'a', 'q'], syntax],
    [['SET', 's', 'v'], 'OK'], [['LINSERT', 's', 'BEFORE', 'a', 'b'], wrongType], [['LINSERT', 's', 'NEAR', 'a', 'b'], syntax],
  ]);
});

test('LPOS with RANK, COUNT and MAXLEN, and its errors', () => {
  expectReplies([
    [['RPUSH', 'l', 'a', 'b', 'c', '1', '2', '3', 'c', 'c'], 8], [['LPOS', 'l', 'c'], 2], [['LPOS', 'l', 'c', 'RANK', '2'], 6], [['LPOS', 'l', 'c', 'RANK', '4'], null],
    [['LPOS', 'l', 'c', 'RANK', '-1'], 7], [['LPOS', 'l', 'c', 'RANK', '-2'], 6], [['LPOS', 'l', 'c', 'COUNT', '0'], [2, 6, 7]], [['LPOS', 'l', 'c', 'COUNT', '2'], [2, 6]],
    [['LPOS', 'l', 'c', 'COUNT', '2', 'RANK', '-1'], [7, 6]], [['LPOS', 'l', 'c', 'COUNT', '0', 'MAXLEN', '3'], [2]], [['LPOS', 'l', 'x', 'COUNT', '1'], []],
    [['LPOS', 'none', 'c'], null], [['LPOS', 'none', 'c', 'COUNT', '1'], []], [['LPOS', 'l', 'c', 'RANK', '-9223372036854775808'], 7],
    [['LPOS', 'l', 'c', 'RANK', '0'], { err: "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list" }],
    [['LPOS', 'l', 'c', 'COUNT', '-1'], { err: "ERR COUNT can't be negative" }], [['LPOS', 'l', 'c', 'MAXLEN', '-1'], { err: "ERR MAXLEN can't be negative" }],
    [['LPOS', 'l', 'c', 'RANK', 'x'], notInteger], [['LPOS', 'l', 'c', 'RANK'], syntax], [['LPOS', 'l', 'c', 'FOO', '1'], syntax],
    [['SET', 's', 'v'], 'OK'], [['LPOS', 's', 'c'], wrongType],
  ]);
});

test('LMOVE and RPOPLPUSH: between lists, onto the same list, and WRONGTYPE on either side', () => {
  expectReplies([
    [['LMOVE', 'src', 'dst', 'LEFT', 'RIGHT'], null], [['RPUSH', 'src', 'a', 'b', 'c'], 3], [['LMOVE', 'src', 'dst', 'LEFT', 'RIGHT'], 'a'],
    [['RPOPLPUSH', 'src', 'dst'], 'c'], [['LRANGE', 'dst', '0', '-1'], ['c', 'a']], [['LMOVE', 'src', 'src', 'RIGHT', 'LEFT'], 'b'], [['LRANGE', 'src', '0', '-1'], ['b']],
    [['LMOVE', 'src', 'dst', 'LEFT', 'LEFT'], 'b'], [['EXISTS', 'src'], 0], [['LMOVE', 'src', 'dst', 'UP', 'LEFT'], syntax],
    [['SET', 's', 'v'], 'OK'], [['LMOVE', 's', 'dst', 'LEFT', 'LEFT'], wrongType], [['RPOPLPUSH', 'dst', 's'], wrongType], [['LRANGE', 'dst', '0', '-1'], ['b', 'c', 'a']],
  ]);
});

test('LMPOP: the first non-empty list, COUNT, and argument errors', () => {
  expectReplies([
    [['LMPOP', '2', 'a', 'b', 'LEFT'], null], [['RPUSH', 'b', '1', '2', '3'], 3], [['LMPOP', '2', 'a', 'b', 'LEFT'], ['b', ['1']]],
    [['LMPOP', '2', 'a', 'b', 'RIGHT', 'COUNT', '10'], ['b', ['3', '2']]], [['EXISTS', 'b'], 0],
    [['LMPOP', '0', 'a', 'LEFT'], { err: 'ERR numkeys should be greater than 0' }], [['LMPOP', 'x', 'a', 'LEFT'], { err: 'ERR numkeys should be greater than 0' }],
    [['LMPOP', '1', 'a', 'UP'], syntax], [['LMPOP', '3', 'a', 'LEFT'], syntax], [['LMPOP', '1', 'a', 'LEFT', 'COUNT', '1', 'COUNT', '2'], syntax],
    [['LMPOP', '1', 'a', 'LEFT', 'COUNT', '0'], { err: 'ERR count should be greater than 0' }],
    [['SET', 's', 'v'], 'OK'], [['RPUSH', 'c', 'x'], 1], [['LMPOP', '2', 's', 'c', 'LEFT'], wrongType], [['LMPOP', '2', 'c', 's', 'LEFT'], ['c', ['x']]],
  ]);
});

test('blocking commands applied are their non-blocking forms, with the timeout checked', () => {
  expectReplies([
    [['BLPOP', 'a', 'b', '0'], null], [['RPUSH', 'b', '1', '2', '3'], 3], [['BLPOP', 'a', 'b', '0'], ['b', '1']], [['BRPOP', 'a', 'b', '0.5'], ['b', '3']],
    [['BLMPOP', '0', '2', 'a', 'b', 'LEFT', 'COUNT', '5'], ['b', ['2']]], [['BLMOVE', 'b', 'c', 'LEFT', 'LEFT', '0'], null], [['RPUSH', 'b', 'x'], 1],
    [['BLMOVE', 'b', 'c', 'LEFT', 'LEFT', '0'], 'x'], [['BRPOPLPUSH', 'c', 'b', '0'], 'x'], [['BRPOPLPUSH', 'nothing', 'b', '0'], null],
    [['BLPOP', 'b', '-1'], { err: 'ERR timeout is negative' }], [['BLPOP', 'b', 'x'], { err: 'ERR timeout is not a float or out of range' }],
    [['BLPOP', 'b', 'inf'], { err: 'ERR timeout is negative' }], [['BLMOVE', 'b', 'c', 'LEFT', 'UP', '-1'], syntax],
    [['BLMPOP', '-1', '0', 'b', 'LEFT'], { err: 'ERR numkeys should be greater than 0' }], [['BLMPOP', '-1', '1', 'b', 'LEFT'], { err: 'ERR timeout is negative' }],
    [['SET', 's', 'v'], 'OK'], [['BLPOP', 's', '0'], wrongType], [['BRPOPLPUSH', 'b', 's', '0'], wrongType], [['LRANGE', 'b', '0', '-1'], ['x']],
  ]);
});

test('inside MULTI/EXEC a blocking command does not block (Redis\'s "BLPOP inside a transaction")', () => {
  const h = new Harness();
  h.apply('LPUSH', 'xlist', 'foo', 'bar');
  const commands = [['BLPOP', 'xlist', '0'], ['BLPOP', 'xlist', '0'], ['BLPOP', 'xlist', '0'], ['BRPOPLPUSH', 'xlist', 'target', '0']];
  assert.deepEqual(plain(h.apply(...encodeTransaction({ watches: [], commands: commands.map((c) => argvOf(c)) }))), [['xlist', 'bar'], ['xlist', 'foo'], null, null]);
});

test('the command table rows match Redis 7 COMMAND INFO', () => {
  const kv = new KvStateMachine();
  const rows: Record<string, [number, string[], number, number, number]> = {
    lpush: [-3, ['write', 'denyoom', 'fast'], 1, 1, 1], rpushx: [-3, ['write', 'denyoom', 'fast'], 1, 1, 1], lpop: [-2, ['write', 'fast'], 1, 1, 1],
    llen: [2, ['readonly', 'fast'], 1, 1, 1], lindex: [3, ['readonly'], 1, 1, 1], lset: [4, ['write', 'denyoom'], 1, 1, 1], lrange: [4, ['readonly'], 1, 1, 1],
    ltrim: [4, ['write'], 1, 1, 1], lrem: [4, ['write'], 1, 1, 1], linsert: [5, ['write', 'denyoom'], 1, 1, 1], lpos: [-3, ['readonly'], 1, 1, 1],
    lmove: [5, ['write', 'denyoom'], 1, 2, 1], rpoplpush: [3, ['write', 'denyoom'], 1, 2, 1], lmpop: [-4, ['write', 'movablekeys'], 0, 0, 0],
    blpop: [-3, ['write', 'noscript', 'blocking'], 1, -2, 1], brpop: [-3, ['write', 'noscript', 'blocking'], 1, -2, 1],
    blmove: [6, ['write', 'denyoom', 'noscript', 'blocking'], 1, 2, 1], brpoplpush: [4, ['write', 'denyoom', 'noscript', 'blocking'], 1, 2, 1],
    blmpop: [-5, ['write', 'blocking', 'movablekeys'], 0, 0, 0],
  };
  for (const [name, [arity, flags, first, last, step]] of Object.entries(rows)) {
    const spec = kv.lookup(name);
    assert.ok(spec !== undefined, name);
    assert.deepEqual([spec.arity, [...spec.flags], spec.firstKey, spec.lastKey, spec.step], [arity, flags, first, last, step], name);
  }
});

/** A model of a list: push, pop, trim, insert, remove on a plain array. */
const listCommand = fc.oneof(
  fc.tuple(fc.constantFrom('LPUSH', 'RPUSH'), fc.array(fc.constantFrom('a', 'b', 'c', ''), { minLength: 1, maxLength: 5 })).map(([c, e]) => [c, 'l', ...e]),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), fc.integer({ min: 0, max: 4 })).map(([c, n]) => [c, 'l', String(n)]),
  fc.tuple(fc.constant('LTRIM'), fc.integer({ min: -8, max: 8 }), fc.integer({ min: -8, max: 8 })).map(([c, a, b]) => [c, 'l', String(a), String(b)]),
  fc.tuple(fc.constant('LINSERT'), fc.constantFrom('BEFORE', 'AFTER'), fc.constantFrom('a', 'b', 'c'), fc.constantFrom('x', 'y')).map(([c, w, p, e]) => [c, 'l', w, p, e]),
  fc.tuple(fc.constant('LREM'), fc.integer({ min: -3, max: 3 }), fc.constantFrom('a', 'b', 'x')).map(([c, n, e]) => [c, 'l', String(n), e]),
  fc.tuple(fc.constant('LSET'), fc.integer({ min: -6, max: 6 }), fc.constantFrom('s', 't')).map(([c, i, e]) => [c, 'l', String(i), e]),
);

function applyModel(model: string[], args: readonly string[]): void {
  const [name, , a, b, c] = args as [string, string, string, string, string];
  const at = (index: number): number => (index < 0 ? model.length + index : index);
  switch (name) {
    case 'LPUSH': for (const element of args.slice(2)) model.unshift(element); break;
    case 'RPUSH': model.push(...args.slice(2)); break;
    case 'LPOP': model.splice(0, Number(a)); break;
    case 'RPOP': model.splice(Math.max(0, model.length - Number(a)), Number(a)); break;
    case 'LTRIM': {
      const start = Math.max(0, at(Number(a)));
      const stop = Math.min(model.length - 1, at(Number(b)));
      model.splice(0, model.length, ...(start > stop ? [] : model.slice(start, stop + 1)));
      break;
    }
    case 'LINSERT': {
      const pivot = model.indexOf(b);
      if (pivot >= 0) model.splice(a === 'AFTER' ? pivot + 1 : pivot, 0, c);
      break;
    }
    case 'LREM': {
      const count = Number(a);
      const indexes = [...model.keys()].filter((i) => model[i] === b);
      const chosen = count === 0 ? indexes : count > 0 ? indexes.slice(0, count) : indexes.slice(count);
      for (const i of chosen.reverse()) model.splice(i, 1);
      break;
    }
    case 'LSET': {
      const index = at(Number(a));
      if (index >= 0 && index < model.length) model[index] = b;
      break;
    }
  }
}

test('list commands agree with an array model; memory equals a list rebuilt from its contents (property)', () => {
  fc.assert(fc.property(fc.array(listCommand, { maxLength: 120 }), (commands) => {
    const h = new Harness();
    const model: string[] = [];
    for (const args of commands) {
      h.apply(...args);
      applyModel(model, args);
      assert.deepEqual(plain(h.read('LRANGE', 'l', '0', '-1')), model, args.join(' '));
      assert.equal(plain(h.read('LLEN', 'l')), model.length);
    }
    const rebuilt = new Harness();
    if (model.length > 0) rebuilt.apply('RPUSH', 'l', ...model);
    assert.equal(h.kv.stats().memoryBytes, rebuilt.kv.stats().memoryBytes);
    assert.equal(h.kv.digest().hash, rebuilt.kv.digest().hash);
  }), { numRuns: 300 });
});
