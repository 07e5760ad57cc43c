// Determinism: a seed replays its run exactly (the property `raftis sim --seed S` rests on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation } from '../../src/sim/index.js';
import { simOptions } from './helpers.js';

test('the same seed gives the same trace, events and outcomes', async () => {
  const first = await runSimulation(simOptions(7, { trace: true }));
  const second = await runSimulation(simOptions(7, { trace: true }));
  assert.ok(first.events > 1_000, `a run has substance (${first.events} events)`);
  assert.equal(second.traceHash, first.traceHash);
  assert.equal(second.events, first.events);
  assert.deepEqual(second.ops, first.ops);
  assert.deepEqual(second.faults, first.faults);
  assert.deepEqual(second.trace, first.trace);
});

test('tracing does not change the run', async () => {
  const traced = await runSimulation(simOptions(11, { trace: true }));
  const plain = await runSimulation(simOptions(11));
  assert.equal(plain.traceHash, traced.traceHash);
  assert.equal(plain.trace.length, 0);
  assert.ok(traced.trace.length >= traced.events);
});

test('different seeds give different runs', async () => {
  const a = await runSimulation(simOptions(1));
  const b = await runSimulation(simOptions(2));
  assert.notEqual(a.traceHash, b.traceHash);
});
