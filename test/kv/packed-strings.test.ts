// PackedStringArray (the hash's values) against a plain array: random pushes, pops and sets
// over arrays spanning many chunks, with values small enough to pack and too large to, a clone
// that must stay independent, and the packed-run format at its bounds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { arrayChunkBytesMax, PackedStringArray, packedElement, packedRunBytesMax, packRun, unpackRun } from '../../src/kv/packed-strings.js';

type Op = { kind: 'push'; value: string; times: number } | { kind: 'pop'; times: number } | { kind: 'set'; at: number; value: string } | { kind: 'clone' };

const value = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: fc.constantFrom('a', '\u0000', '\u00ff'), maxLength: 4 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 200 }).map((n) => 'v'.repeat(n)) },
  { weight: 1, arbitrary: fc.constant('w'.repeat(arrayChunkBytesMax)) },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('push' as const), value, times: fc.integer({ min: 1, max: 300 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pop' as const), times: fc.integer({ min: 1, max: 150 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clone' as const }) },
);

function check(array: PackedStringArray, model: readonly string[]): void {
  assert.equal(array.length, model.length);
  assert.deepEqual([...array.values()], model);
  for (let i = model.length - 1; i >= 0; i -= 13) assert.equal(array.at(i), model[i]);
}

test('PackedStringArray behaves as an array across chunks', () => {
  fc.assert(fc.property(fc.array(op, { maxLength: 50 }), (ops) => {
    let array = new PackedStringArray();
    const model: string[] = [];
    for (const step of ops) {
      if (step.kind === 'push') {
        for (let i = 0; i < step.times; i++) {
          array.push(`${step.value}${i}`);
          model.push(`${step.value}${i}`);
        }
      } else if (step.kind === 'pop') {
        for (let i = 0; i < step.times && model.length > 0; i++) assert.equal(array.pop(), model.pop());
      } else if (step.kind === 'set') {
        if (model.length === 0) continue;
        array.set(step.at % model.length, step.value);
        model[step.at % model.length] = step.value;
      } else {
        const copy = array.clone();
        if (model.length > 0) array.set(0, `${model[0]}!`);
        check(copy, model);
        if (model.length > 0) array.set(0, model[0] as string);
        array = copy;
      }
      check(array, model);
    }
  }), { numRuns: 150 });
});

test('a packed run reads back every element, empty ones and the largest run included', () => {
  const items = ['', 'a', '\u00ff\u0000', '', 'xyz'];
  const packed = packRun(items, 0, items.length);
  assert.deepEqual(unpackRun(packed, items.length), items);
  assert.equal(packedElement(packRun(['only'], 0, 1), 1, 0), 'only');
  const largest = ['a'.repeat(packedRunBytesMax - 1), 'b'];
  assert.deepEqual(unpackRun(packRun(largest, 0, 2), 2), largest);
  assert.throws(() => packRun(['a'.repeat(packedRunBytesMax), 'b'], 0, 2), /at most 65535/);
  assert.throws(() => new PackedStringArray().at(0), /outside/);
});
