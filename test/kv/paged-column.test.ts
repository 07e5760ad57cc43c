// The keyspace's expiry column (paged-column.ts): it must read like a plain array whose
// unset slots hold the common value, through sets, resets and rebuilds, and allocate a page
// only where a slot holds something else.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PagedColumn, pageSlots } from '../../src/kv/paged-column.js';

const common = Number.POSITIVE_INFINITY;

type Step =
  | { readonly kind: 'set'; readonly slot: number; readonly value: number }
  | { readonly kind: 'rebuild'; readonly keep: readonly boolean[] };

const slotArbitrary = fc.integer({ min: 0, max: pageSlots * 4 - 1 });
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('set' as const), slot: slotArbitrary, value: fc.oneof(fc.constant(common), fc.double({ noNaN: true })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rebuild' as const), keep: fc.array(fc.boolean(), { minLength: pageSlots * 4, maxLength: pageSlots * 4 }) }) },
);

test('a paged column reads like a plain array through sets and compacting rebuilds (property)', () => {
  fc.assert(fc.property(fc.array(stepArbitrary, { maxLength: 60 }), (steps) => {
    let column = new PagedColumn(common);
    let model: number[] = new Array<number>(pageSlots * 4).fill(common);
    for (const step of steps) {
      if (step.kind === 'set') {
        column.set(step.slot, step.value);
        model[step.slot] = step.value;
        continue;
      }
      // As KeyColumns.compact does: the kept slots move down in order.
      const sources = model.map((_, slot) => slot).filter((slot) => step.keep[slot] === true);
      column = column.rebuilt(sources);
      model = [...sources.map((slot) => model[slot] as number), ...new Array<number>(model.length - sources.length).fill(common)];
    }
    for (let slot = 0; slot < model.length; slot++) assert.equal(column.get(slot), model[slot], `slot ${slot}`);
    // A rebuild allocates exactly the pages that hold something other than the common value.
    const pagesHeld = new Set(model.flatMap((value, slot) => (value === common ? [] : [Math.floor(slot / pageSlots)])));
    assert.equal(column.rebuilt(model.map((_, slot) => slot)).pageCount, pagesHeld.size);
  }));
});

test('a column set only to its common value allocates nothing; one other value allocates one page', () => {
  const column = new PagedColumn(common);
  for (let slot = 0; slot < pageSlots * 8; slot++) column.set(slot, common);
  assert.equal(column.pageCount, 0);
  column.set(pageSlots * 5 + 3, 42);
  assert.equal(column.pageCount, 1);
  assert.equal(column.get(pageSlots * 5 + 3), 42);
  assert.equal(column.get(pageSlots * 5 + 2), common);
  assert.equal(column.get(pageSlots * 100), common, 'beyond the last page reads as common');
});
