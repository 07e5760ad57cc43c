// The stepwise merge sort gives what a one-shot stable sort gives, whatever the step sizes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StepwiseSort } from '../../src/kv/stepwise-sort.js';

test('sorts like Array.prototype.sort, stably, for any step size (property)', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 300 }), fc.integer({ min: 1, max: 50 }), (keys, movesPerStep) => {
    const items = keys.map((key, position) => ({ key, position }));
    const expected = [...items].sort((a, b) => a.key - b.key);
    const sort = new StepwiseSort([...items], (item) => item.key);
    let steps = 0;
    while (sort.step(movesPerStep)) steps++;
    assert.deepEqual(sort.result(), expected);
    assert.ok(steps <= Math.ceil((items.length * Math.ceil(Math.log2(items.length + 1))) / movesPerStep) + 1, `${steps} steps`);
  }), { numRuns: 200 });
});

test('result() before the sort is done is refused', () => {
  const sort = new StepwiseSort([3, 2, 1], (n) => n);
  assert.throws(() => sort.result(), /before the sort finished/);
  while (sort.step(1));
  assert.deepEqual(sort.result(), [1, 2, 3]);
});
