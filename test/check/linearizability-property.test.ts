// Property tests of the search: a history made by running a random sequential schedule
// against the model, with each operation's interval stretched around its point in that
// schedule, is linearizable by construction; changing one read to a value nothing ever
// wrote makes it non-linearizable, and the reported prefix is a counterexample itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkKvHistory } from '../../src/check/check-kv-history.js';
import type { HistoryOp, KvOp, KvResult } from '../../src/check/history.js';
import { kvKeyModel } from '../../src/check/kv-model.js';
import { REJECTED } from '../../src/check/model.js';

/** Spacing of linearization points; intervals stretch up to 4 slots to either side, so up to 8 overlap. */
const SLOT = 10;
const model = kvKeyModel(null);

const keyArb = fc.constantFrom('a', 'b', 'c');
const valueArb = fc.constantFrom('1', '2', 'x', 'yy');
const opArb: fc.Arbitrary<KvOp> = fc.oneof(
  keyArb.map((key) => ({ f: 'get' as const, key })),
  fc.tuple(keyArb, valueArb).map(([key, value]) => ({ f: 'put' as const, key, value })),
  fc.tuple(keyArb, valueArb).map(([key, value]) => ({ f: 'append' as const, key, value })),
  keyArb.map((key) => ({ f: 'del' as const, key })),
  fc.tuple(keyArb, fc.integer({ min: -3, max: 3 })).map(([key, by]) => ({ f: 'incr' as const, key, by })),
  fc.tuple(keyArb, fc.option(valueArb, { nil: null }), valueArb).map(([key, expected, value]) => ({ f: 'cas' as const, key, expected, value })),
);
const stepArb = fc.record({
  op: opArb,
  process: fc.integer({ min: 0, max: 5 }),
  before: fc.integer({ min: 0, max: 4 * SLOT }),
  after: fc.integer({ min: 0, max: 4 * SLOT }),
  // 0: completed; 1: unknown outcome, took effect; 2: unknown outcome, never took effect.
  fate: fc.constantFrom(0, 0, 0, 0, 1, 2),
});

/** Runs the schedule sequentially and records each step around its linearization point. */
interface Step {
  readonly op: KvOp;
  readonly process: number;
  readonly before: number;
  readonly after: number;
  readonly fate: number;
}

function historyOf(schedule: readonly Step[]): HistoryOp[] {
  const state = new Map<string, string | null>();
  const history: HistoryOp[] = [];
  schedule.forEach((step, index) => {
    const point = (index + 1) * SLOT;
    const call = point - step.before;
    if (step.fate === 2) {
      history.push({ process: step.process, call, ret: null, op: step.op });
      return;
    }
    const current = state.get(step.op.key) ?? null;
    const result = resultOf(step.op, current);
    if (result === undefined) return; // incr of a non-integer: an error reply, so not recorded
    const next = model.step(current, step.op, result);
    assert.notEqual(next, REJECTED, 'the model accepts what it computed itself');
    state.set(step.op.key, next as string | null);
    if (step.fate === 1) history.push({ process: step.process, call, ret: null, op: step.op });
    else history.push({ process: step.process, call, ret: point + step.after, op: step.op, result });
  });
  return history;
}

function resultOf(op: KvOp, current: string | null): KvResult | undefined {
  switch (op.f) {
    case 'get':
      return current;
    case 'cas':
      return current === op.expected;
    case 'incr': {
      const base = current === null ? 0 : /^-?(0|[1-9][0-9]*)$/.test(current) ? Number(current) : undefined;
      return base === undefined ? undefined : base + op.by;
    }
    default:
      return 'ok';
  }
}

test('histories of a sequential schedule with overlapping intervals are linearizable', () => {
  fc.assert(
    fc.property(fc.array(stepArb, { maxLength: 40 }), (schedule) => {
      const history = historyOf(schedule);
      assert.equal(checkKvHistory(history).verdict, 'linearizable');
    }),
    { numRuns: 300 },
  );
});

test('a read of a value nothing wrote makes such a history non-linearizable', () => {
  fc.assert(
    fc.property(fc.array(stepArb, { minLength: 1, maxLength: 40 }), fc.nat(), (schedule, pick) => {
      const history = historyOf(schedule);
      const reads = history.flatMap((o, i) => (o.op.f === 'get' && o.ret !== null ? [i] : []));
      fc.pre(reads.length > 0);
      const index = reads[pick % reads.length]!;
      const mutated = history.map((o, i) => (i === index ? { ...o, result: '#impossible#' } : o));
      const result = checkKvHistory(mutated);
      assert.equal(result.verdict, 'not-linearizable');
      assert.ok(result.verdict === 'not-linearizable');
      assert.equal(result.violation.key, history[index]!.op.key);
      // Every earlier cut is a cut of the original history, so the failure shows exactly there.
      assert.equal(result.violation.failing.ret, history[index]!.ret);
      assert.ok(result.violation.window.some((o) => o.result === '#impossible#'));
      assert.equal(checkKvHistory(result.violation.prefix).verdict, 'not-linearizable');
    }),
    { numRuns: 300 },
  );
});
