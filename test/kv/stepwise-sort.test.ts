// The stepwise merge sort gives what a one-shot stable sort gives, whatever the step sizes
// and the length of the blocks it sorts before merging.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StepwiseSort } from '../../src/kv/stepwise-sort.js';

test('sorts like Array.prototype.sort, stably, for any step size and block length (property)', () => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 300 }),
    fc.integer({ min: 1, max: 50 }),
    fc.integer({ min: 1, max: 9 }),
    (keys, movesPerStep, runLength) => {
      const items = keys.map((key, position) => ({ key, position }));
      const expected = [...items].sort((a, b) => a.key - b.key);
      const sort = new StepwiseSort([...items], (item) => item.key, runLength);
      let steps = 0;
      while (sort.step(movesPerStep)) steps++;
      assert.deepEqual(sort.result(), expected);
      assert.ok(steps <= items.length * 20, `${steps} steps for ${items.length} items`);
    },
  ), { numRuns: 300 });
});

test('the default block length sorts a large array in many bounded steps', () => {
  const keys = Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 20_011);
  const sort = new StepwiseSort([...keys], (n) => n);
  let steps = 0;
  while (sort.step(5000)) steps++;
  assert.deepEqual(sort.result(), [...keys].sort((a, b) => a - b));
  assert.ok(steps > 20, `${steps} steps`);
});

test('result() before the sort is done is refused', () => {
  const sort = new StepwiseSort([3, 2, 1], (n) => n, 1);
  assert.throws(() => sort.result(), /before the sort finished/);
  while (sort.step(1));
  assert.deepEqual(sort.result(), [1, 2, 3]);
});
