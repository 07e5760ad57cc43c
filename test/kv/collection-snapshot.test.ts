// Snapshots of hashes and sets: a round trip keeps contents, memory estimate and iteration
// order (so HGETALL, SMEMBERS, the *SCAN cursors and the seeded random picks answer the same on
// a restored replica), and a big collection changed while it is half written is streamed as
// it was when the snapshot began.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import { Harness, plain } from './harness.js';
import { restore, restoreAcrossChange, takeSnapshot } from './snapshot-support.js';

const element = fc.oneof(fc.integer({ min: 0, max: 80 }).map((i) => `e${i}`), fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString('latin1')));
const collectionCommand = fc.oneof(
  fc.tuple(fc.constantFrom('HSET', 'HSETNX'), fc.constantFrom('h1', 'h2'), element, element).map((t) => [...t]),
  fc.tuple(fc.constant('HDEL'), fc.constantFrom('h1', 'h2'), element).map((t) => [...t]),
  fc.tuple(fc.constant('SADD'), fc.constantFrom('s1', 's2'), element, element).map((t) => [...t]),
  fc.tuple(fc.constant('SREM'), fc.constantFrom('s1', 's2'), element).map((t) => [...t]),
  fc.tuple(fc.constant('SPOP'), fc.constantFrom('s1', 's2'), fc.constantFrom('1', '2')).map((t) => [...t]),
  fc.tuple(fc.constant('SUNIONSTORE'), fc.constantFrom('s1', 's2'), fc.constantFrom('s1', 's2'), fc.constantFrom('s1', 's2')).map((t) => [...t]),
);

/** Replies that depend on iteration order or position, all at the harness's current read point. */
function orderedView(h: Harness | KvStateMachine, time: number): unknown[] {
  const read = (...args: string[]): unknown => plain(h instanceof Harness ? h.read(...args) : h.read(args.map((a) => Buffer.from(a, 'latin1')), time));
  return [
    read('HGETALL', 'h1'), read('HGETALL', 'h2'), read('SMEMBERS', 's1'), read('SMEMBERS', 's2'), read('HSCAN', 'h1', '0', 'COUNT', '3'),
    read('SSCAN', 's1', '0', 'COUNT', '3'), read('HRANDFIELD', 'h2', '-5', 'WITHVALUES'), read('SRANDMEMBER', 's2', '3'), read('SRANDMEMBER', 's1'),
  ];
}

test('round trip of random hashes and sets in random chunk sizes keeps order, memory and picks (property)', () => {
  fc.assert(fc.property(fc.array(collectionCommand, { maxLength: 150 }), fc.integer({ min: 64, max: 3000 }), (commands, chunkBytes) => {
    const source = new Harness();
    for (const args of commands) source.apply(...args);
    const target = new KvStateMachine();
    assert.equal(restore(target, takeSnapshot(source.kv, chunkBytes)), null);
    assert.deepEqual(target.digest(), source.kv.digest());
    assert.equal(target.stats().memoryBytes, source.kv.stats().memoryBytes);
    assert.deepEqual(orderedView(target, source.time), orderedView(source, source.time));
  }), { numRuns: 80 });
});

test('a restored replica keeps applying as the original does (SPOP picks, swap-removal order)', () => {
  const source = new Harness();
  for (let i = 0; i < 300; i++) source.apply(i % 2 === 0 ? 'SADD' : 'HSET', i % 2 === 0 ? 's1' : 'h1', `m${i}`, 'v');
  for (let i = 0; i < 300; i += 7) source.apply('SREM', 's1', `m${i}`);
  const restored = new Harness();
  assert.equal(restore(restored.kv, takeSnapshot(source.kv, 500)), null);
  restored.index = source.index;
  for (const args of [['SPOP', 's1', '5'], ['HDEL', 'h1', 'm1', 'm99'], ['SPOP', 's1'], ['SADD', 's1', 'new'], ['HSET', 'h1', 'new', 'x']]) {
    assert.deepEqual(plain(restored.apply(...args)), plain(source.apply(...args)), args.join(' '));
  }
  assert.deepEqual(orderedView(restored, restored.time), orderedView(source, source.time));
});

const halfWrittenChanges: readonly (readonly string[])[] = [
  ['SADD', 'big', 'new member'], ['SREM', 'big', 'm10'], ['SREM', 'big', 'm450'], ['SPOP', 'big', '3'], ['SMOVE', 'big', 'other', 'm5'],
  ['SINTERSTORE', 'big', 'big', 'small'], ['SUNIONSTORE', 'small', 'big', 'small'], ['DEL', 'big'], ['SET', 'big', 'string'], ['RENAME', 'big', 'moved'],
  ['HSET', 'bighash', 'new field', 'x'], ['HDEL', 'bighash', 'f10'], ['HINCRBY', 'bighash', 'f400', '5'],
];

for (const change of halfWrittenChanges) {
  test(`a set or hash changed while its elements are half written is streamed as it was (${change.join(' ')})`, () => {
    const live = new Harness();
    const clone = new Harness();
    for (const h of [live, clone]) {
      h.apply('SET', 'before', '1');
      h.apply('SADD', 'big', ...Array.from({ length: 500 }, (_, i) => `m${i}`));
      h.apply('HSET', 'bighash', ...Array.from({ length: 500 }, (_, i) => [`f${i}`, String(i)]).flat());
      h.apply('SADD', 'small', 'm1', 'm2', 'x');
      h.apply('SET', 'after', '2');
    }
    // In 256-byte chunks 'big' spans chunks 0 to 10 and 'bighash' 10 to 27: change the one
    // half written, then finish the stream.
    const restored = restoreAcrossChange(live, change, change[1] === 'bighash' ? 18 : 5);
    assert.deepEqual(restored.kv.digest(), clone.kv.digest());
    assert.deepEqual(restored.kv.stats(), clone.kv.stats());
    for (const args of [['SMEMBERS', 'big'], ['SMEMBERS', 'small'], ['HGETALL', 'bighash']]) {
      assert.deepEqual(plain(restored.read(...args)), plain(clone.read(...args)), args.join(' '));
    }
  });
}
