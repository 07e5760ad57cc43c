// The three history formats: what each line becomes, and errors that name the line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OK } from '../../src/check/history.js';
import type { HistoryOp } from '../../src/check/history.js';
import { parseEdn } from '../../src/check/parse-edn.js';
import { detectFormat, parseHistory } from '../../src/check/parse-history.js';
import { REGISTER_KEY, parseJepsen } from '../../src/check/parse-jepsen.js';
import { formatJsonl, parseJsonl } from '../../src/check/parse-jsonl.js';
import type { ParseResult } from '../../src/check/parsed-history.js';
import { append, cas, del, done, get, incr, put, unknown } from './helpers.js';

function opsOf(result: ParseResult): HistoryOp[] {
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.history.ops;
}

const r = REGISTER_KEY;

test('jepsen: invoke/ok pairs per process, line numbers as times, noise ignored', () => {
  const log = [
    'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
    'INFO  jepsen.core - some other line',
    'INFO  jepsen.util - 1   :invoke :write  3', // spaces instead of tabs
    'INFO  jepsen.util - 0\t:ok\t:read\tnil',
    'INFO  jepsen.util - 1\t:ok\t:write\t3',
    'INFO  jepsen.util - 2\t:invoke\t:cas\t[3 4]',
    'INFO  jepsen.util - 2\t:ok\t:cas\t[3 4]',
    'INFO  jepsen.util - 3\t:invoke\t:cas\t[0 1]',
    'INFO  jepsen.util - 3\t:fail\t:cas\t[0 1]',
    'INFO  jepsen.util - 4\t:invoke\t:write\t2',
    'INFO  jepsen.util - 4\t:info\t:write\t:timed-out',
    'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
    'INFO  jepsen.util - 0\t:fail\t:read\t:timed-out',
    'INFO  jepsen.util - 5\t:invoke\t:cas\t[4 0]',
  ].join('\n');
  const parsed = parseJepsen(log);
  assert.ok(parsed.ok);
  assert.equal(parsed.history.initialValue, null);
  assert.deepEqual(
    new Set(parsed.history.ops),
    new Set([
      done(0, 1, 4, get(r), null),
      done(1, 3, 5, put(r, '3'), OK),
      done(2, 6, 7, cas(r, '3', '4'), true),
      // etcd's :fail on a cas means its comparison failed.
      done(3, 8, 9, cas(r, '0', '1'), false),
      unknown(4, 10, put(r, '2')),
      unknown(0, 12, get(r)),
      unknown(5, 14, cas(r, '4', '0')),
    ]),
  );
});

test('jepsen: a process invoking again abandons its open operation to an unknown outcome', () => {
  const log = ['INFO  jepsen.util - 1\t:invoke\t:write\t1', 'INFO  jepsen.util - 1\t:invoke\t:write\t2', 'INFO  jepsen.util - 1\t:ok\t:write\t2'].join('\n');
  assert.deepEqual(opsOf(parseJepsen(log)), [unknown(1, 1, put(r, '1')), done(1, 2, 3, put(r, '2'), OK)]);
});

test('jepsen: a completion without an invoke is an error naming the line', () => {
  const parsed = parseJepsen('\nINFO  jepsen.util - 7\t:ok\t:read\t3\n');
  assert.deepEqual(parsed, { ok: false, error: 'line 2: process 7 completes :read without an open :invoke' });
  assert.equal(parseJepsen('INFO  jepsen.util - 7\t:invoke\t:cas\t[3]').ok, false);
});

test('edn: kv events with strings, nil, vectors, and keys starting empty', () => {
  const text = [
    '{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}',
    '{:process 1, :type :invoke, :f :get, :key "0", :value nil}',
    '{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}',
    '{:process 1, :type :ok, :f :get, :key "0", :value "say \\"hi\\""}',
    '',
    '{:process 2, :type :invoke, :f :cas, :key "1", :value [nil "b"]}',
    '{:process 2, :type :fail, :f :cas, :key "1", :value [nil "b"]}',
    '{:process 3, :type :invoke, :f :incr, :key 5, :value 2}',
    '{:process 3, :type :ok, :f :incr, :key 5, :value 7}',
    '{:process 4, :type :invoke, :f :del, :key "1"}',
    '{:process 4, :type :fail, :f :del, :key "1"}',
    '{:process 5 :type :invoke :f :write :value 3}',
    '{:process 5, :type :info, :f :write, :value 3}',
    '{:process 6, :type :invoke, :f :put, :key "z", :value "v"}',
  ].join('\n');
  const parsed = parseEdn(text);
  assert.ok(parsed.ok);
  assert.equal(parsed.history.initialValue, '');
  assert.deepEqual(
    new Set(parsed.history.ops),
    new Set([
      done(0, 1, 3, append('0', 'x 0 0 y'), OK),
      done(1, 2, 4, get('0'), 'say "hi"'),
      done(2, 6, 7, cas('1', null, 'b'), false),
      done(3, 8, 9, incr('5', 2), 7),
      unknown(5, 12, put(r, '3')),
      unknown(6, 14, put('z', 'v')),
    ]),
  );
  assert.equal(opsOf(parseEdn('{:process 1, :type :invoke, :f :del, :key "k"}\n{:process 1, :type :ok, :f :del, :key "k"}'))[0]!.op.f, del('k').f);
});

test('edn: malformed lines are errors naming the line', () => {
  assert.match(assertError(parseEdn('{:process 0, :type :invoke, :f :append, :key "0", :value "x}')), /^line 1: cannot read the value of :value/);
  assert.match(assertError(parseEdn('\n{:process 0, :type :begin, :f :get, :key "0"}')), /^line 2: :type must be/);
  assert.match(assertError(parseEdn('{:process 0, :type :invoke, :f :frob, :key "0"}')), /unknown :f :frob/);
  assert.match(assertError(parseEdn('{:process 0, :type :invoke, :f :get, :key "0"} trailing')), /unexpected text/);
  assert.match(assertError(parseEdn('not edn')), /expected an EDN map/);
  const mismatched = '{:process 0, :type :invoke, :f :get, :key "0"}\n{:process 0, :type :ok, :f :put, :key "0", :value "a"}';
  assert.equal(assertError(parseEdn(mismatched)), 'line 2: process 0 completes :put but invoked get');
});

test('jsonl: formatJsonl and parseJsonl round-trip every op kind', () => {
  const ops: HistoryOp[] = [
    done(0, 1, 2, get('a'), null),
    done(0, 3, 4, get('a'), 'x'),
    done(1, 1, 5, put('a', 'x'), OK),
    done(1, 6, 7, append('a', 'y'), OK),
    done(2, 6, 8, del('a'), OK),
    done(2, 9, 10, incr('n', -2), -2),
    done(3, 9, 12, cas('a', null, 'z'), true),
    unknown(4, 13, cas('a', 'z', 'w')),
  ];
  const parsed = parseJsonl(formatJsonl(ops));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.history, { format: 'jsonl', ops, initialValue: null });
});

test('jsonl: fields are validated with the line number', () => {
  const line = (value: unknown): string => JSON.stringify(value);
  const good = { process: 0, call: 1, ret: 2, op: { f: 'get', key: 'a' }, result: null };
  assert.match(assertError(parseJsonl(line(good) + '\n{oops')), /^line 2: not JSON/);
  assert.match(assertError(parseJsonl(line({ ...good, ret: 0 }))), /before "call"/);
  assert.match(assertError(parseJsonl(line({ ...good, result: 3 }))), /get returns a string or null/);
  assert.match(assertError(parseJsonl(line({ ...good, ret: null }))), /has no "result"/);
  assert.match(assertError(parseJsonl(line({ process: 0, call: 1, ret: 2, op: { f: 'get', key: 'a' } }))), /needs a "result"/);
  assert.match(assertError(parseJsonl(line({ ...good, op: { f: 'incr', key: 'a', by: 1.5 } }))), /"op.by"/);
  assert.match(assertError(parseJsonl(line({ ...good, op: { f: 'mget', key: 'a' } }))), /"op.f" must be one of/);
});

test('the format is detected from the first meaningful line', () => {
  assert.equal(detectFormat('\nINFO  jepsen.util - 0\t:invoke\t:read\tnil\n'), 'jepsen');
  assert.equal(detectFormat('{:process 0, :type :invoke, :f :get, :key "0", :value nil}'), 'edn');
  assert.equal(detectFormat('{"process":0,"call":0,"ret":null,"op":{"f":"del","key":"a"}}'), 'jsonl');
  assert.equal(detectFormat('hello'), null);
  assert.equal(detectFormat(''), null);
  assert.equal(parseHistory('hello').ok, false);
  assert.deepEqual(opsOf(parseHistory('', 'jsonl')), []);
});

function assertError(result: ParseResult): string {
  assert.equal(result.ok, false);
  return result.ok ? '' : result.error;
}
