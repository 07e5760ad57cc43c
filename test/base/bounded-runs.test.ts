// boundedRuns: consecutive, covering, never empty, and within both bounds unless one item
// alone is bigger than the byte bound; each run as long as the bounds allow.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { boundedRuns } from '../../src/base/bounded-runs.js';

test('runs cover the items in order, each within its bounds and not cut short', () => {
  fc.assert(fc.property(fc.array(fc.nat({ max: 50 }), { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 120 }), (sizes, countMax, bytesMax) => {
    const runs = boundedRuns(sizes.length, (i) => sizes[i] as number, countMax, bytesMax);
    let next = 0;
    for (const { from, to, bytes } of runs) {
      assert.equal(from, next);
      assert.ok(to > from, 'never empty');
      assert.ok(to - from <= countMax);
      const sum = sizes.slice(from, to).reduce((a, b) => a + b, 0);
      assert.equal(bytes, sum);
      assert.ok(sum <= bytesMax || to - from === 1, 'over the byte bound only as a lone item');
      // Not cut short: the next item would break a bound.
      if (to < sizes.length) assert.ok(to - from === countMax || sum + (sizes[to] as number) > bytesMax);
      next = to;
    }
    assert.equal(next, sizes.length);
  }));
});
