// The invariant checkers fire on hand-made violations (a checker that never fires proves nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SafetyMonitor, SimViolation } from '../../src/sim/index.js';
import { EntryType, logIndex, term, type Entry } from '../../src/raft/types.js';

function entry(index: number, t: number, text: string): Entry {
  return { index: logIndex(index), term: term(t), type: EntryType.Normal, data: Buffer.from(text) };
}

function violation(fn: () => void, invariant: string): void {
  assert.throws(fn, (error: unknown) => error instanceof SimViolation && error.invariant === invariant);
}

test('election safety: a second leader in one term is a violation, the same leader again is not', () => {
  const monitor = new SafetyMonitor();
  monitor.noteLeader(3, 'n1');
  monitor.noteLeader(3, 'n1');
  monitor.noteLeader(4, 'n2');
  violation(() => monitor.noteLeader(3, 'n2'), 'election safety');
});

test('log matching: same index and term with other data, or another predecessor, is a violation', () => {
  const monitor = new SafetyMonitor();
  monitor.noteDurable('n1', entry(5, 2, 'a'), 2);
  monitor.noteDurable('n2', entry(5, 2, 'a'), 2);
  monitor.noteDurable('n3', entry(5, 3, 'b'), 2);
  violation(() => monitor.noteDurable('n3', entry(5, 2, 'x'), 2), 'log matching');
  violation(() => monitor.noteDurable('n3', entry(5, 2, 'a'), 1), 'log matching');
  // An unknown predecessor (a log just below a snapshot) is not held against the node.
  monitor.noteDurable('n3', entry(5, 2, 'a'), -1);
});

test('state machine safety: a different entry applied at a committed index is a violation', () => {
  const monitor = new SafetyMonitor();
  monitor.noteApplied('n1', entry(9, 4, 'set k 1'));
  monitor.noteApplied('n2', entry(9, 4, 'set k 1'));
  violation(() => monitor.noteApplied('n3', entry(9, 5, 'set k 1')), 'state machine safety');
  violation(() => monitor.noteApplied('n3', entry(9, 4, 'set k 2')), 'state machine safety');
});

test('replica equality: different state digests at one applied index are a violation', () => {
  const monitor = new SafetyMonitor();
  monitor.noteDigest('n1', 12, 'aaaa');
  monitor.noteDigest('n2', 12, 'aaaa');
  monitor.noteDigest('n2', 16, 'bbbb');
  violation(() => monitor.noteDigest('n3', 12, 'cccc'), 'replica equality');
});
