// The search against a brute-force checker on small random histories, linearizable or
// not: the brute force tries every order consistent with real time (and every subset of
// the unknown-outcome operations), so any pruning in the search that loses a
// linearization, or invents one, shows up as a disagreement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkKvHistory } from '../../src/check/check-kv-history.js';
import type { HistoryOp, KvOp, KvResult } from '../../src/check/history.js';
import { kvKeyModel } from '../../src/check/kv-model.js';
import { REJECTED } from '../../src/check/model.js';

/** Operations per random history: 7! orders is still cheap for the brute force. */
const OPS_MAX = 7;
const model = kvKeyModel(null);

function bruteForce(history: readonly HistoryOp[]): boolean {
  const remaining = new Set(history);
  const explore = (state: string | null): boolean => {
    // What is left has unknown outcomes: none of it need ever happen. (Leaving an unknown
    // operation unplaced is how this search drops it: it blocks nothing.)
    if ([...remaining].every((o) => o.ret === null)) return true;
    for (const candidate of [...remaining]) {
      // Something still to place that returned before this call must come first.
      if ([...remaining].some((o) => o !== candidate && o.ret !== null && o.ret < candidate.call)) continue;
      const next = model.step(state, candidate.op, candidate.result);
      if (next === REJECTED) continue;
      remaining.delete(candidate);
      const found = explore(next);
      remaining.add(candidate);
      if (found) return true;
    }
    return false;
  };
  return explore(null);
}

const valueArb = fc.constantFrom('a', 'b');
const opArb: fc.Arbitrary<KvOp> = fc.oneof(
  fc.constant({ f: 'get' as const, key: 'k' }),
  valueArb.map((value) => ({ f: 'put' as const, key: 'k', value })),
  valueArb.map((value) => ({ f: 'append' as const, key: 'k', value })),
  fc.constant({ f: 'del' as const, key: 'k' }),
  fc.constant({ f: 'incr' as const, key: 'k', by: 1 }),
  fc.tuple(fc.option(valueArb, { nil: null }), valueArb).map(([expected, value]) => ({ f: 'cas' as const, key: 'k', expected, value })),
);

function resultArb(op: KvOp): fc.Arbitrary<KvResult> {
  switch (op.f) {
    case 'get':
      return fc.constantFrom(null, 'a', 'b', 'ab', '1');
    case 'cas':
      return fc.boolean();
    case 'incr':
      return fc.constantFrom(1, 2);
    default:
      return fc.constant('ok');
  }
}

const operationArb: fc.Arbitrary<HistoryOp> = fc
  .tuple(opArb, fc.nat(6), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }))
  .chain(([op, process, call, length, fate]) =>
    fate === 0
      ? fc.constant<HistoryOp>({ process, call, ret: null, op })
      : resultArb(op).map((result): HistoryOp => ({ process, call, ret: call + length, op, result })),
  );

test('the search agrees with brute force on small random histories', () => {
  let linearizable = 0;
  fc.assert(
    fc.property(fc.array(operationArb, { maxLength: OPS_MAX }), (history) => {
      const expected = bruteForce(history);
      if (expected) linearizable++;
      assert.equal(checkKvHistory(history).verdict, expected ? 'linearizable' : 'not-linearizable');
    }),
    { numRuns: 2000 },
  );
  // Both verdicts must be well represented for the comparison to mean anything.
  assert.ok(linearizable > 200 && linearizable < 1800, `${linearizable} of 2000 linearizable`);
});
