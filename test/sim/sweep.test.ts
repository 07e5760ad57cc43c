// Seed sweeps: many short runs with every fault kind, and clean runs that must all pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaults, runSimulation } from '../../src/sim/index.js';
import { simOptions } from './helpers.js';

async function sweep(from: number, count: number, options: Parameters<typeof simOptions>[1] = {}): Promise<string[]> {
  return (await sweepCounting(from, count, options)).failures;
}

async function sweepCounting(from: number, count: number, options: Parameters<typeof simOptions>[1] = {}): Promise<{ failures: string[]; installed: number }> {
  const failures: string[] = [];
  let installed = 0;
  for (let seed = from; seed < from + count; seed++) {
    const result = await runSimulation(simOptions(seed, options));
    installed += result.snapshots.installed;
    if (!result.ok) failures.push(`SEED=${seed} ${result.failure ?? ''}\n  reproduce: ${result.reproduce}`);
  }
  return { failures, installed };
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
    const { failures, installed } = await sweepCounting(1_000, 100, { durationMs: 2_000 });
    assert.equal(failures.join('\n'), '');
    // Snapshots are on by default: some lagging node must have been caught up by one.
    assert.ok(installed > 0, 'no snapshot was installed in the sweep');
  },
);
