// The key-value map, as one model per key: a history of the whole map is linearizable
// if and only if each key's sub-history is (P-compositionality, Herlihy & Wing), so the
// checker splits by key and runs this single-key model on each part.
import { OK, exhaustive } from './history.js';
import type { KvOp, KvResult } from './history.js';
import { REJECTED, describeValue, hashValue } from './model.js';
import type { Model, Rejected } from './model.js';

/** The value of one key; null when the key is absent. */
export type KeyState = string | null;

/**
 * The model of one key. `initialValue` is what the key holds before the history starts:
 * null (absent) for raftis histories, "" for the Porcupine kv reference histories.
 */
export function kvKeyModel(initialValue: KeyState = null): Model<KeyState, KvOp, KvResult> {
  return {
    name: 'kv',
    init: () => initialValue,
    step: stepKey,
    equal: (a, b) => a === b,
    hash: hashValue,
    describeState: describeValue,
  };
}

function stepKey(state: KeyState, op: KvOp, result: KvResult | undefined): KeyState | Rejected {
  switch (op.f) {
    case 'get':
      return result === undefined || result === state ? state : REJECTED;
    case 'put':
      return result === undefined || result === OK ? op.value : REJECTED;
    case 'append':
      return result === undefined || result === OK ? (state ?? '') + op.value : REJECTED;
    case 'del':
      return result === undefined || result === OK ? null : REJECTED;
    case 'incr': {
      const current = state === null ? 0 : parseInteger(state);
      // INCR of a non-integer fails without effect, so it cannot have returned a number.
      if (current === null) return result === undefined ? state : REJECTED;
      const next = current + op.by;
      if (result !== undefined && result !== next) return REJECTED;
      return String(next);
    }
    case 'cas': {
      const swaps = state === op.expected;
      if (result !== undefined && result !== swaps) return REJECTED;
      return swaps ? op.value : state;
    }
    default:
      return exhaustive(op);
  }
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/;

/** The value as Redis INCR reads it: a canonical decimal integer, else null. */
function parseInteger(text: string): number | null {
  if (!INTEGER.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}
