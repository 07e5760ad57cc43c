// Renders a list-append check for people: the verdict line, the anomalies by type, then
// the smallest cycle step by step (each transaction, and why it must precede the next).
import type { CycleAnomaly, CycleStep, ListAppendResult } from './check-list-append.js';
import { describeTxnOp } from './txn-history.js';
import type { TxnOp } from './txn-history.js';

export function describeListAppendResult(result: ListAppendResult, history: readonly TxnOp[]): string[] {
  const size = `${result.ops} transactions, ${result.keys} ${result.keys === 1 ? 'key' : 'keys'}, ${result.edges} dependency edges, ${(result.elapsedMs / 1000).toFixed(2)} s`;
  if (result.valid) return [`strict serializable: ${size}`];
  const counts = Object.entries(result.counts).map(([type, count]) => `${type} ×${count}`).join(', ');
  const lines = [`NOT strict serializable: ${counts} (${size}${result.searchCut ? '; cycle search budget ran out, shorter cycles may exist' : ''})`];
  for (const anomaly of result.readAnomalies) {
    lines.push(`${anomaly.type}: ${anomaly.explanation}`);
    for (const op of anomaly.ops) lines.push(`  T${op} ${describeTxnOp(history[op]!)}`);
  }
  if (result.smallestCycle !== null) lines.push(...describeCycle(result.smallestCycle, history));
  for (const cycle of result.cycles) if (cycle !== result.smallestCycle) lines.push(...describeCycle(cycle, history));
  return lines;
}

export function describeCycle(cycle: CycleAnomaly, history: readonly TxnOp[]): string[] {
  const lines = [`${cycle.type} cycle of ${cycle.steps.length} transactions:`];
  for (const step of cycle.steps) {
    lines.push(`  T${step.from} ${describeTxnOp(history[step.from]!)}`);
    lines.push(`    -${step.kind}-> T${step.to}: ${stepReason(step, history)}`);
  }
  return lines;
}

function stepReason(step: CycleStep, history: readonly TxnOp[]): string {
  const key = JSON.stringify(step.key);
  switch (step.kind) {
    case 'ww':
      return `T${step.to} appended ${step.value} to ${key} right after T${step.from}'s element`;
    case 'wr':
      return `T${step.to} read ${key} ending with ${step.value}, which T${step.from} appended`;
    case 'rw':
      return `T${step.from} read ${key} before ${step.value}, which T${step.to} appended`;
    case 'rt':
      return `T${step.from} returned at ${history[step.from]!.ret} before T${step.to} was called at ${history[step.to]!.call}`;
  }
}
