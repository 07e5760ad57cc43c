// Exactly once: a request id (origin, client, seq) applied twice executes once and both
// entries return the first reply; the table is bounded, expires by log time and travels in
// snapshots.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommand } from '../../src/kv/command-codec.js';
import { KvStateMachine, type KvOptions } from '../../src/kv/state-machine.js';
import { argvOf, baseTimeMs, plain } from './harness.js';

function entry(origin: string, client: number, seq: number, time: number, ...args: string[]): Uint8Array {
  return encodeCommand({ origin, client, seq, time, argv: argvOf(args) });
}

function machine(options: KvOptions = {}): { kv: KvStateMachine; apply: (data: Uint8Array) => unknown } {
  const kv = new KvStateMachine(options);
  let index = 0;
  return { kv, apply: (data) => plain(kv.apply(++index, data)) };
}

test('the same request applied twice executes once and both return the first reply', () => {
  const { kv, apply } = machine();
  const incr = entry('n1', 7, 1, baseTimeMs, 'INCR', 'counter');
  assert.equal(apply(incr), 1);
  assert.equal(apply(incr), 1);
  assert.equal(plain(kv.read(argvOf(['GET', 'counter']), baseTimeMs)), '1');
  assert.equal(apply(entry('n1', 7, 2, baseTimeMs, 'INCR', 'counter')), 2);
  assert.equal(apply(entry('n1', 7, 2, baseTimeMs + 5, 'INCR', 'counter')), 2);
  assert.equal(plain(kv.read(argvOf(['GET', 'counter']), baseTimeMs)), '2');
  assert.equal(kv.appliedIndex, 4, 'duplicates still advance the applied index');
});

test('request ids are per (origin, client); seq 0 is never deduplicated', () => {
  const { apply } = machine();
  assert.equal(apply(entry('n1', 1, 1, baseTimeMs, 'INCR', 'x')), 1);
  assert.equal(apply(entry('n2', 1, 1, baseTimeMs, 'INCR', 'x')), 2);
  assert.equal(apply(entry('n1', 2, 1, baseTimeMs, 'INCR', 'x')), 3);
  assert.equal(apply(entry('n1', 0, 0, baseTimeMs, 'INCR', 'x')), 4);
  assert.equal(apply(entry('n1', 0, 0, baseTimeMs, 'INCR', 'x')), 5);
});

test('an error reply is remembered like any other', () => {
  const { apply } = machine();
  apply(entry('n1', 1, 1, baseTimeMs, 'SET', 'x', 'notanumber'));
  const incr = entry('n1', 1, 2, baseTimeMs, 'INCR', 'x');
  assert.deepEqual(apply(incr), { err: 'ERR value is not an integer or out of range' });
  apply(entry('n1', 2, 1, baseTimeMs, 'SET', 'x', '10'));
  assert.deepEqual(apply(incr), { err: 'ERR value is not an integer or out of range' }, 'retry does not re-execute');
});

test('a sequence older than the last one is not re-executed', () => {
  const { kv, apply } = machine();
  apply(entry('n1', 1, 1, baseTimeMs, 'INCR', 'x'));
  apply(entry('n1', 1, 2, baseTimeMs, 'INCR', 'x'));
  assert.deepEqual(apply(entry('n1', 1, 1, baseTimeMs, 'INCR', 'x')), {
    err: 'ERR request already applied and its reply is no longer retained (sequence older than the last)',
  });
  assert.equal(plain(kv.read(argvOf(['GET', 'x']), baseTimeMs)), '2');
});

test('the table is bounded: the least recently used client is forgotten first', () => {
  const { apply } = machine({ dedupEntriesMax: 2 });
  const first = entry('n1', 1, 1, baseTimeMs, 'INCR', 'x');
  apply(first);
  apply(entry('n1', 2, 1, baseTimeMs, 'INCR', 'x'));
  apply(entry('n1', 3, 1, baseTimeMs, 'INCR', 'x'));
  assert.equal(apply(first), 4, 'client 1 was evicted, so its retry executes again');
  assert.equal(apply(entry('n1', 3, 1, baseTimeMs, 'INCR', 'x')), 3, 'client 3 is still remembered');
});

test('records expire by log time since their last use', () => {
  const { apply } = machine({ dedupRetentionMs: 1000 });
  const first = entry('n1', 1, 1, baseTimeMs, 'INCR', 'x');
  apply(first);
  assert.equal(apply(entry('n1', 1, 1, baseTimeMs + 1000, 'INCR', 'x')), 1, 'within retention');
  // Any entry moves log time on; the record is then older than the retention.
  apply(entry('n1', 9, 0, baseTimeMs + 1001, 'GET', 'x'));
  assert.equal(apply(first), 2, 'forgotten after the retention');
});

test('the dedup table travels in snapshots', () => {
  const source = machine();
  const incr = entry('n1', 5, 3, baseTimeMs, 'INCR', 'x');
  source.apply(incr);
  const snapshot = source.kv.beginSnapshot();
  const target = new KvStateMachine();
  const sink = target.beginRestore();
  for (let chunk = snapshot.next(1024); chunk !== null; chunk = snapshot.next(1024)) assert.equal(sink.write(chunk), null);
  assert.equal(sink.finish(), null);
  assert.equal(plain(target.apply(2, incr)), 1);
  assert.equal(plain(target.read(argvOf(['GET', 'x']), baseTimeMs)), '1');
});
