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
    case 'rpush': {
      const next = (state ?? '') + op.value;
      return result === undefined || result === next.length ? next : REJECTED;
    }
    case 'lrange':
    case 'zrange':
      return result === undefined || result === (state ?? '') ? state : REJECTED;
    case 'zadd': {
      const members = parseSortedSet(state);
      const added = members.has(op.member) ? 0 : 1;
      if (result !== undefined && result !== added) return REJECTED;
      members.set(op.member, op.score);
      return formatSortedSet(members);
    }
    default:
      return exhaustive(op);
  }
}

/** A sorted set's text (see KvOp zrange) as member → score. */
function parseSortedSet(state: KeyState): Map<string, number> {
  const members = new Map<string, number>();
  if (state === null || state === '') return members;
  for (const pair of state.split(',')) {
    const at = pair.lastIndexOf(':');
    members.set(pair.slice(0, at), Number(pair.slice(at + 1)));
  }
  return members;
}

/** Members in rank order (score, then member bytes), as ZRANGE returns them. */
function formatSortedSet(members: ReadonlyMap<string, number>): string {
  return [...members].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0)).map(([member, score]) => `${member}:${score}`).join(',');
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/;

/** The value as Redis INCR reads it: a canonical decimal integer, else null. */
function parseInteger(text: string): number | null {
  if (!INTEGER.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}
