// Seed sweeps: many short runs with every fault kind, and clean runs that must all pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaults, runSimulation } from '../../src/sim/index.js';
import { simOptions } from './helpers.js';

async function sweep(from: number, count: number, options: Parameters<typeof simOptions>[1] = {}): Promise<string[]> {
  const failures: string[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const result = await runSimulation(simOptions(seed, options));
    if (!result.ok) failures.push(`SEED=${seed} ${result.failure ?? ''}\n  reproduce: ${result.reproduce}`);
  }
  return failures;
}

test('without faults every run is safe, linearizable and live', async () => {
  const faults = parseFaults('none');
  assert.ok(!(faults instanceof Error));
  assert.deepEqual(await sweep(1, 5, { faults, durationMs: 2_000 }), []);
});

test('five nodes without faults', async () => {
  const faults = parseFaults('none');
  assert.ok(!(faults instanceof Error));
  assert.deepEqual(await sweep(1, 2, { faults, nodes: 5, durationMs: 2_000 }), []);
});

test(
  '100 seeds of 2 virtual seconds with every fault kind find no violation',
  async () => {
    const failures = await sweep(1_000, 100, { durationMs: 2_000 });
    assert.equal(failures.join('\n'), '');
  },
);
