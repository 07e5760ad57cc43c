// The keyspace's key table (src/kv/key-table.ts) against a Map model: random inserts,
// removals, lookups and rebuilds, with a deliberately weak hash so keys collide and
// clusters wrap around the end of the buckets (backward-shift deletion must keep every
// remaining key findable), and with the real seeded hash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hashOfBytes, hashOfLatin1, KeyTable } from '../../src/kv/key-table.js';

type Op = { kind: 'insert' | 'remove' | 'find'; key: string } | { kind: 'rebuild' };

function run(ops: readonly Op[], hashOf: (key: string) => number): void {
  // Slots index `keys`; a removed key's slot stays unused, as the keyspace's creation order does.
  const keys: string[] = [];
  const model = new Map<string, number>();
  const table = new KeyTable({
    slotHash: (slot) => hashOf(keys[slot] as string),
    slotHasKey: (slot, key) => keys[slot] === Buffer.from(key).toString('latin1'),
    sameKey: (a, b) => keys[a] === keys[b],
  });
  const find = (key: string): number => table.find(Buffer.from(key, 'latin1'), hashOf(key));
  for (const op of ops) {
    if (op.kind === 'rebuild') {
      table.rebuild(model.values(), model.size);
    } else if (op.kind === 'insert' && !model.has(op.key)) {
      keys.push(op.key);
      table.insert(keys.length - 1, hashOf(op.key));
      model.set(op.key, keys.length - 1);
    } else if (op.kind === 'remove' && model.has(op.key)) {
      table.remove(model.get(op.key) as number, hashOf(op.key));
      model.delete(op.key);
    }
    assert.equal(table.size, model.size);
    if (op.kind !== 'rebuild') assert.equal(find(op.key), model.get(op.key) ?? -1, `find ${JSON.stringify(op.key)}`);
  }
  for (const [key, slot] of model) assert.equal(find(key), slot);
}

const opArbitrary = (keys: fc.Arbitrary<string>): fc.Arbitrary<Op> => fc.oneof(
  { weight: 50, arbitrary: keys.map((key): Op => ({ kind: 'insert', key })) },
  { weight: 30, arbitrary: keys.map((key): Op => ({ kind: 'remove', key })) },
  { weight: 20, arbitrary: keys.map((key): Op => ({ kind: 'find', key })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'rebuild' }) },
);

test('inserts, removals and lookups agree with a Map when keys collide (a hash of 8 values, placed near the table end)', () => {
  const keys = fc.string({ unit: 'binary-ascii', maxLength: 3 });
  const weak = (key: string): number => 56 + (key.length * 3 + (key.charCodeAt(0) || 0)) % 8;
  fc.assert(fc.property(fc.array(opArbitrary(keys), { maxLength: 300 }), (ops) => run(ops, weak)), { numRuns: 300 });
});

test('inserts, removals and lookups agree with a Map with the seeded hash, through growth past the first buckets', () => {
  const keys = fc.integer({ min: 0, max: 400 }).map((n) => `k:${n}`);
  fc.assert(fc.property(fc.array(opArbitrary(keys), { maxLength: 1500 }), (ops) => run(ops, (key) => hashOfLatin1(key))), { numRuns: 40 });
});

test('insertUnique reports the slot already holding the key', () => {
  const keys = ['a', 'b', 'a'];
  const table = new KeyTable({
    slotHash: (slot) => hashOfLatin1(keys[slot] as string),
    slotHasKey: (slot, key) => keys[slot] === Buffer.from(key).toString('latin1'),
    sameKey: (a, b) => keys[a] === keys[b],
  });
  assert.equal(table.insertUnique(0), -1);
  assert.equal(table.insertUnique(1), -1);
  assert.equal(table.insertUnique(2), 0);
  assert.equal(table.size, 2);
});

test('the hash of bytes equals the hash of the same bytes as a latin1 string, over every byte value', () => {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  assert.equal(hashOfBytes(bytes), hashOfLatin1(bytes.toString('latin1')));
  assert.equal(hashOfBytes(bytes, 10, 20), hashOfLatin1(bytes.toString('latin1'), 10, 20));
  assert.notEqual(hashOfBytes(Buffer.from('ab')), hashOfBytes(Buffer.from('ba')));
});
