// The packed list (list-value.ts) against a plain array: random sequences of pushes, pops,
// sets, inserts, removals and trims on lists long enough to span many chunks, with elements
// from empty to larger than a chunk, checking every element, the byte estimate, the digest
// (which must not depend on where chunks are cut) and that a clone stays independent.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ListValue, listChunkBytesMax, listChunkElementsMax, listElementOverheadBytes } from '../../src/kv/list-value.js';

type Op =
  | { kind: 'push'; left: boolean; element: string; times: number }
  | { kind: 'pop'; left: boolean; times: number }
  | { kind: 'set'; at: number; element: string }
  | { kind: 'insert'; at: number; element: string }
  | { kind: 'remove'; element: string; count: number }
  | { kind: 'trim'; start: number; stop: number }
  | { kind: 'clone' };

const element = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', '\u0000', '\u00ff'), maxLength: 3 }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 120 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('y'.repeat(listChunkBytesMax), 'z'.repeat(listChunkBytesMax + 1), 'w'.repeat(listChunkBytesMax * 2)) },
);
const position = fc.integer({ min: 0, max: 1 << 20 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('push' as const), left: fc.boolean(), element, times: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('pop' as const), left: fc.boolean(), times: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set' as const), at: position, element }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: position, element }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), element, count: fc.integer({ min: -3, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('trim' as const), start: position, stop: position }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clone' as const }) },
);

function apply(list: ListValue, model: string[], step: Op): ListValue {
  switch (step.kind) {
    case 'push':
      for (let i = 0; i < step.times; i++) {
        const item = `${step.element}${i % 7 === 0 ? '' : String(i)}`;
        list.push(step.left ? 'left' : 'right', item);
        if (step.left) model.unshift(item);
        else model.push(item);
      }
      return list;
    case 'pop':
      for (let i = 0; i < step.times && model.length > 0; i++) assert.equal(list.pop(step.left ? 'left' : 'right'), step.left ? model.shift() : model.pop());
      return list;
    case 'set':
      if (model.length > 0) {
        list.set(step.at % model.length, step.element);
        model[step.at % model.length] = step.element;
      }
      return list;
    case 'insert': {
      const at = step.at % (model.length + 1);
      list.insert(at, step.element);
      model.splice(at, 0, step.element);
      return list;
    }
    case 'remove': {
      if (model.length === 0) return list;
      const target = model[(step.element.length * 31) % model.length] as string;
      const expected = removeFromModel(model, target, step.count);
      assert.equal(list.remove(target, step.count), expected);
      return list;
    }
    case 'trim': {
      if (model.length === 0) return list;
      const start = step.start % model.length;
      const stop = step.stop % model.length;
      list.trim(start, stop);
      model.splice(0, model.length, ...(start > stop ? [] : model.slice(start, stop + 1)));
      return list;
    }
    case 'clone': {
      const copy = list.clone();
      // The original changes after this; the copy must not.
      if (model.length > 0) list.set(0, `${list.at(0)}!`);
      checkSame(copy, model);
      if (model.length > 0) list.set(0, model[0] as string);
      return copy;
    }
  }
}

function removeFromModel(model: string[], target: string, count: number): number {
  let removed = 0;
  const limit = count === 0 ? Infinity : Math.abs(count);
  const order = count < 0 ? [...model.keys()].reverse() : [...model.keys()];
  const drop = new Set<number>();
  for (const i of order) if (model[i] === target && removed < limit) { drop.add(i); removed++; }
  model.splice(0, model.length, ...model.filter((_, i) => !drop.has(i)));
  return removed;
}

function checkSame(list: ListValue, model: readonly string[]): void {
  assert.equal(list.length, model.length);
  assert.deepEqual(list.elements(), model);
  // Backwards too: the lookup must find elements from its last position in both directions.
  for (let i = model.length - 1; i >= 0; i -= 7) assert.equal(list.at(i), model[i]);
  let bytes = 0;
  for (const item of model) bytes += listElementOverheadBytes + item.length;
  assert.equal(list.bytes, bytes);
  assert.equal(list.digest(), new ListValue(model).digest());
}

test('the packed list behaves as an array across chunk boundaries', () => {
  fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
    let list = new ListValue();
    const model: string[] = [];
    for (const step of ops) {
      list = apply(list, model, step);
      checkSame(list, model);
    }
  }), { numRuns: 150 });
});

test('a long list is held in chunks of bounded size, and reads back in order from either end', () => {
  const count = listChunkElementsMax * 50 + 3;
  const list = new ListValue();
  for (let i = 0; i < count; i++) list.pushTail(`e${i}`);
  for (let i = 0; i < 100; i++) list.pushHead(`h${i}`);
  assert.equal(list.length, count + 100);
  assert.equal(list.at(0), 'h99');
  assert.equal(list.at(list.length - 1), `e${count - 1}`);
  assert.equal(list.at(100 + listChunkElementsMax * 20 + 5), `e${listChunkElementsMax * 20 + 5}`);
  assert.deepEqual(list.range(98, 102), ['h1', 'h0', 'e0', 'e1', 'e2']);
  list.trim(150, list.length - 150);
  assert.equal(list.at(0), 'e50');
  assert.equal(list.length, count + 100 - 299);
});
