// Parses raftis's own history format: one JSON object per line, each a HistoryOp:
//   {"process":1,"call":10,"ret":14,"op":{"f":"put","key":"a","value":"x"},"result":"ok"}
//   {"process":2,"call":11,"ret":null,"op":{"f":"incr","key":"n","by":1}}
// ret null = unknown outcome (no result). Keys start absent. Blank lines are skipped.
import { resultMismatch } from './history.js';
import type { HistoryOp, KvOp, KvResult } from './history.js';
import type { ParseResult } from './parsed-history.js';

export function parseJsonl(text: string): ParseResult {
  const ops = parseJsonLines(text, readHistoryOp);
  if (typeof ops === 'string') return { ok: false, error: ops };
  return { ok: true, history: { format: 'jsonl', ops, initialValue: null } };
}

/**
 * One item per non-blank line, each a JSON value that `read` turns into an item or a reason
 * it cannot; the first failure comes back as `line N: reason`.
 */
export function parseJsonLines<T>(text: string, read: (value: unknown) => T | string): T[] | string {
  const items: T[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      return `line ${index + 1}: not JSON: ${(error as Error).message}`;
    }
    const item = read(value);
    if (typeof item === 'string') return `line ${index + 1}: ${item}`;
    items.push(item);
  }
  return items;
}

/** One line of the format, as written by formatJsonl. */
export function formatJsonl(ops: readonly HistoryOp[]): string {
  return ops.map((o) => JSON.stringify(o)).join('\n') + '\n';
}

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readHistoryOp(value: unknown): HistoryOp | string {
  if (!isObject(value)) return 'expected a JSON object';
  const { process, call, ret } = value;
  if (typeof process !== 'number' || !Number.isInteger(process)) return '"process" must be an integer';
  if (typeof call !== 'number' || !Number.isFinite(call)) return '"call" must be a number';
  if (ret !== null && (typeof ret !== 'number' || !Number.isFinite(ret))) return '"ret" must be a number or null';
  if (ret !== null && ret < call) return `"ret" ${ret} is before "call" ${call}`;
  const op = readKvOp(value.op);
  if (typeof op === 'string') return op;
  if (ret === null) {
    if ('result' in value) return 'an operation with "ret": null has no "result"';
    return { process, call, ret, op };
  }
  if (!('result' in value)) return 'a completed operation needs a "result"';
  const result = value.result as KvResult;
  if (!(result === null || ['string', 'number', 'boolean'].includes(typeof result))) return '"result" has the wrong type';
  const mismatch = resultMismatch(op, result);
  if (mismatch !== null) return `"result": ${mismatch}`;
  return { process, call, ret, op, result };
}

function readKvOp(value: unknown): KvOp | string {
  if (!isObject(value)) return '"op" must be an object';
  const { f, key } = value;
  if (typeof key !== 'string') return '"op.key" must be a string';
  const text = (field: string): string | null => (typeof value[field] === 'string' ? (value[field] as string) : null);
  switch (f) {
    case 'get':
    case 'del':
    case 'lrange':
    case 'zrange':
      return { f, key };
    case 'zadd': {
      const member = text('member');
      const score = value.score;
      if (member === null) return '"op.member" of zadd must be a string';
      return typeof score === 'number' && Number.isFinite(score) ? { f, key, member, score } : '"op.score" of zadd must be a finite number';
    }
    case 'put':
    case 'append':
    case 'rpush': {
      const v = text('value');
      return v === null ? `"op.value" of ${f} must be a string` : { f, key, value: v };
    }
    case 'incr': {
      const by = value.by;
      return typeof by === 'number' && Number.isSafeInteger(by) ? { f, key, by } : '"op.by" of incr must be an integer';
    }
    case 'cas': {
      const v = text('value');
      const expected = value.expected;
      if (v === null) return '"op.value" of cas must be a string';
      if (expected !== null && typeof expected !== 'string') return '"op.expected" of cas must be a string or null';
      return { f, key, expected, value: v };
    }
    default:
      return `"op.f" must be one of get, put, append, del, incr, cas, rpush, lrange, zadd, zrange; got ${JSON.stringify(f)}`;
  }
}
