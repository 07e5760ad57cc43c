// Strings changed in place (mutable-string.ts): SETBIT, SETRANGE, APPEND and BITFIELD on a
// large string change it without copying it, a snapshot taken before such a change keeps
// the old bytes, a replica restored from a snapshot (which holds latin1 strings) has the same
// digest and memory estimate as one that applied the log, and a string that stays short
// keeps the compact latin1 form.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import { mutableStringBytesMin } from '../../src/kv/mutable-string.js';
import { Keyspace } from '../../src/kv/keyspace.js';
import { Harness, plain } from './harness.js';
import { restore, takeSnapshot } from './snapshot-support.js';

const big = mutableStringBytesMin * 2;

function storedForm(keyspace: Keyspace, key: string): string {
  const stored = keyspace.get(Buffer.from(key), 0)?.stored;
  if (stored === undefined) return 'absent';
  return typeof stored === 'string' ? 'latin1' : stored.type === 'string' ? 'mutable' : stored.type;
}

test('the keyspace keeps a string changed in place as a MutableString while it is long, and latin1 once short', () => {
  const keyspace = new Keyspace();
  const entry = keyspace.create(Buffer.from('k'), { type: 'string', data: Buffer.alloc(big) });
  const memory = keyspace.memoryBytes;
  const value = keyspace.beginStringMutation(entry);
  value.write(big, Buffer.from('tail'));
  keyspace.settle(entry, true);
  assert.equal(storedForm(keyspace, 'k'), 'mutable');
  assert.equal(keyspace.memoryBytes, memory + 4, 'the estimate counts the length, not the room to grow');
  assert.equal(entry.valueByteLength, big + 4);
  assert.deepEqual(entry.value, { type: 'string', data: Buffer.concat([Buffer.alloc(big), Buffer.from('tail')]) });
  const small = keyspace.create(Buffer.from('s'), { type: 'string', data: Buffer.from('abc') });
  keyspace.beginStringMutation(small).write(3, Buffer.from('def'));
  keyspace.settle(small, true);
  assert.equal(storedForm(keyspace, 's'), 'latin1');
  assert.equal(small.stored, 'abcdef');
  keyspace.update(entry, { type: 'string', data: Buffer.from('x') }, entry.expireAtMs);
  assert.equal(storedForm(keyspace, 'k'), 'latin1', 'a whole-value write stores the compact form');
});

test('SETBIT, SETRANGE, APPEND, BITFIELD, GETRANGE, STRLEN and BITCOUNT on a string kept in place', () => {
  const h = new Harness();
  h.apply('SETBIT', 'bits', String(big * 8), '1');
  h.apply('SETBIT', 'bits', '7', '1');
  assert.deepEqual(plain(h.apply('SETRANGE', 'bits', '1', 'xyz')), big + 1);
  assert.deepEqual(plain(h.apply('APPEND', 'bits', 'tail')), big + 5);
  assert.deepEqual(plain(h.apply('BITFIELD', 'bits', 'INCRBY', 'u8', '0', '2', 'GET', 'u8', '8')), [3, 'x'.charCodeAt(0)]);
  assert.deepEqual(plain(h.apply('GETRANGE', 'bits', '0', '4')), '\x03xyz\x00');
  assert.deepEqual(plain(h.apply('STRLEN', 'bits')), big + 5);
  const ones = (text: string): number => [...Buffer.from(text, 'latin1')].reduce((sum, byte) => sum + byte.toString(2).replaceAll('0', '').length, 0);
  assert.deepEqual(plain(h.apply('BITCOUNT', 'bits')), ones('\x03xyz') + ones('tail') + 1);
  assert.deepEqual(plain(h.apply('INCR', 'bits')), { err: 'ERR value is not an integer or out of range' });
});

test('a snapshot taken before in-place changes streams the string as it was', () => {
  const live = new Harness();
  live.apply('SETRANGE', 'a', String(big), 'end');
  live.apply('SETBIT', 'a', '0', '1');
  live.apply('SET', 'other', 'x');
  const before = plain(live.read('GET', 'a'));
  const source = live.kv.beginSnapshot();
  const chunks: Uint8Array[] = [];
  for (const change of [['SETBIT', 'a', '1', '1'], ['APPEND', 'a', 'more'], ['SETRANGE', 'a', '5', 'zz'], ['BITFIELD', 'a', 'SET', 'u16', '64', '65535']]) live.apply(...change);
  for (let chunk = source.next(4096); chunk !== null; chunk = source.next(4096)) chunks.push(Buffer.from(chunk));
  const restored = new Harness();
  assert.equal(restore(restored.kv, chunks), null);
  assert.deepEqual(plain(restored.read('GET', 'a')), before);
  assert.notDeepEqual(plain(live.read('GET', 'a')), before);
});

const command = fc.oneof(
  fc.tuple(fc.constant('SETBIT'), fc.constantFrom('s1', 's2'), fc.integer({ min: 0, max: big * 8 }).map(String), fc.constantFrom('0', '1')).map((t) => [...t]),
  fc.tuple(fc.constant('SETRANGE'), fc.constantFrom('s1', 's2'), fc.integer({ min: 0, max: big }).map(String), fc.string({ minLength: 1, maxLength: 20 })).map((t) => [...t]),
  fc.tuple(fc.constant('APPEND'), fc.constantFrom('s1', 's2'), fc.string({ maxLength: 3000 })).map((t) => [...t]),
  fc.tuple(fc.constant('BITFIELD'), fc.constantFrom('s1', 's2'), fc.constant('INCRBY'), fc.constantFrom('u8', 'i16', 'u32'), fc.integer({ min: 0, max: big * 8 }).map(String), fc.constant('7'))
    .map((t) => [...t]),
  fc.tuple(fc.constant('SET'), fc.constantFrom('s1', 's2'), fc.string({ maxLength: 10 })).map((t) => [...t]),
  fc.tuple(fc.constant('COPY'), fc.constantFrom('s1', 's2'), fc.constantFrom('s3'), fc.constant('REPLACE')).map((t) => [...t]),
);

test('a replica restored from a snapshot agrees with the one that changed strings in place: digest, memory, replies (property)', () => {
  fc.assert(fc.property(fc.array(command, { maxLength: 40 }), fc.array(command, { maxLength: 10 }), (first, then) => {
    const source = new Harness();
    for (const args of first) source.apply(...args);
    const target = new KvStateMachine();
    assert.equal(restore(target, takeSnapshot(source.kv, 3000)), null);
    assert.deepEqual(target.digest(), source.kv.digest());
    assert.equal(target.stats().memoryBytes, source.kv.stats().memoryBytes);
    const restored = new Harness();
    assert.equal(restore(restored.kv, takeSnapshot(source.kv, 3000)), null);
    restored.index = source.index;
    restored.time = source.time;
    for (const args of then) assert.deepEqual(plain(restored.apply(...args)), plain(source.apply(...args)), args.join(' '));
    assert.deepEqual(restored.kv.digest(), source.kv.digest());
    assert.equal(restored.kv.stats().memoryBytes, source.kv.stats().memoryBytes);
  }), { numRuns: 60 });
});
