// Renders history operations for people: one operation per line with its process,
// call → return times, operation and result, so a counterexample reads top to bottom.
import { exhaustive } from './history.js';
import type { HistoryOp, KvOp, KvResult } from './history.js';
import { describeValue } from './model.js';

/** `put "k" "v"`: the function, the key, then the arguments. */
export function describeOp(op: KvOp): string {
  const head = `${op.f} ${JSON.stringify(op.key)}`;
  switch (op.f) {
    case 'get':
    case 'del':
    case 'lrange':
    case 'zrange':
      return head;
    case 'put':
    case 'append':
    case 'rpush':
      return `${head} ${describeValue(op.value)}`;
    case 'zadd':
      return `${head} ${op.score} ${describeValue(op.member)}`;
    case 'incr':
      return `${head} ${op.by}`;
    case 'cas':
      return `${head} ${describeValue(op.expected)} -> ${describeValue(op.value)}`;
    default:
      return exhaustive(op);
  }
}

function describeResult(result: KvResult | undefined): string {
  if (result === undefined) return '? (outcome unknown)';
  if (typeof result === 'string' || result === null) return describeValue(result);
  return String(result);
}

/** `p3   12 → 15   get "k" => "x"`; the marker flags one line (the failing operation). */
export function formatOp(operation: HistoryOp, marker = ''): string {
  const times = `${operation.call} → ${operation.ret ?? '?'}`;
  const text = `${describeOp(operation.op)} => ${describeResult(operation.result)}`;
  return `  p${String(operation.process).padEnd(4)} ${times.padEnd(16)} ${text}${marker}`;
}

export function formatHistory(operations: readonly HistoryOp[], flagged?: HistoryOp): string {
  return operations.map((o) => formatOp(o, o === flagged ? '   <-- cannot be linearized' : '')).join('\n');
}
