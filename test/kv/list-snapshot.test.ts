// Snapshots of lists: a round trip in random chunk sizes keeps contents, order and memory
// estimate, and a big list changed while it is half written is streamed as it was when the
// snapshot began.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, plain } from './harness.js';
import { restore, restoreAcrossChange, takeSnapshot } from './snapshot-support.js';

const element = fc.oneof(fc.integer({ min: 0, max: 50 }).map((i) => `e${i}`), fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')));
const listKey = fc.constantFrom('l1', 'l2', 'l3');
const listCommand = fc.oneof(
  fc.tuple(fc.constantFrom('LPUSH', 'RPUSH'), listKey, fc.array(element, { minLength: 1, maxLength: 8 })).map(([c, k, e]) => [c, k, ...e]),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), listKey, fc.constantFrom('1', '3')).map((t) => [...t]),
  fc.tuple(fc.constant('LMOVE'), listKey, listKey, fc.constantFrom('LEFT', 'RIGHT'), fc.constantFrom('LEFT', 'RIGHT')).map((t) => [...t]),
  fc.tuple(fc.constant('LSET'), listKey, fc.constantFrom('0', '-1', '2'), element).map((t) => [...t]),
  fc.tuple(fc.constant('LINSERT'), listKey, fc.constantFrom('BEFORE', 'AFTER'), element, element).map((t) => [...t]),
  fc.tuple(fc.constant('LTRIM'), listKey, fc.constantFrom('0', '1', '-3'), fc.constantFrom('-1', '-2', '5')).map((t) => [...t]),
  fc.tuple(fc.constant('PEXPIRE'), listKey, fc.constantFrom('100000', '200000')).map((t) => [...t]),
);

function view(h: Harness): unknown[] {
  return ['l1', 'l2', 'l3'].flatMap((key) => [plain(h.read('LRANGE', key, '0', '-1')), plain(h.read('PTTL', key))]);
}

test('round trip of random lists in random chunk sizes (property)', () => {
  fc.assert(fc.property(fc.array(listCommand, { maxLength: 60 }), fc.integer({ min: 64, max: 700 }), (commands, chunkBytes) => {
    const h = new Harness();
    for (const args of commands) h.apply(...args);
    const restored = new Harness();
    assert.equal(restore(restored.kv, takeSnapshot(h.kv, chunkBytes)), null);
    restored.index = h.index;
    assert.deepEqual(restored.kv.digest(), h.kv.digest());
    assert.deepEqual({ ...restored.kv.stats(), snapshotsOpen: 0 }, { ...h.kv.stats(), snapshotsOpen: 0 }); // takeSnapshot leaves its source open
    assert.deepEqual(view(restored), view(h));
    // The restored replica applies the same next commands the same way.
    for (const args of commands.slice(0, 10)) assert.deepEqual(plain(restored.apply(...args)), plain(h.apply(...args)), args.join(' '));
    assert.deepEqual(restored.kv.digest(), h.kv.digest());
  }), { numRuns: 100 });
});

const changes = [
  ['LPUSH', 'big', 'new head'], ['RPUSH', 'big', 'new tail'], ['LPOP', 'big', '5'], ['RPOP', 'big'], ['LSET', 'big', '300', 'changed'],
  ['LTRIM', 'big', '10', '-10'], ['LREM', 'big', '0', 'element 7 of the big list'], ['LINSERT', 'big', 'BEFORE', 'element 450 of the big list', 'x'],
  ['LMOVE', 'big', 'big', 'LEFT', 'RIGHT'], ['LMOVE', 'big', 'other', 'RIGHT', 'LEFT'], ['DEL', 'big'], ['SET', 'big', 'string'], ['RENAME', 'big', 'moved'],
];

for (const change of changes) {
  test(`a list changed while its elements are half written is streamed as it was (${change.join(' ')})`, () => {
    const live = new Harness();
    const clone = new Harness();
    for (const h of [live, clone]) {
      h.apply('SET', 'before', '1');
      for (let i = 0; i < 600; i++) h.apply('RPUSH', 'big', `element ${i} of the big list`);
      h.apply('SET', 'after', '2');
    }
    // A few chunks in, the big value is half written when `change` applies.
    const restored = restoreAcrossChange(live, change);
    assert.deepEqual(restored.kv.digest(), clone.kv.digest());
    assert.deepEqual(restored.kv.stats(), clone.kv.stats());
    assert.deepEqual(plain(restored.read('LRANGE', 'big', '0', '-1')), plain(clone.read('LRANGE', 'big', '0', '-1')));
  });
}

test('a big list spans many snapshot records and comes back whole', () => {
  const h = new Harness();
  const elements = Array.from({ length: 20_000 }, (_, i) => `value ${i} `.repeat(1 + (i % 5)));
  for (let i = 0; i < elements.length; i += 1000) h.apply('RPUSH', 'big', ...elements.slice(i, i + 1000));
  const chunks = takeSnapshot(h.kv, 4096);
  assert.ok(chunks.length > 50, `${chunks.length} chunks`);
  const restored = new Harness();
  assert.equal(restore(restored.kv, chunks), null);
  assert.deepEqual(plain(restored.read('LRANGE', 'big', '0', '-1')), elements);
  assert.equal(restored.kv.stats().memoryBytes, h.kv.stats().memoryBytes);
});
