// Membership churn in the simulator: followers removed and added back with an empty disk,
// and leadership transfers, under the other faults; every run stays safe, linearizable and
// live with a quorum of its final configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaults, runSimulation } from '../../src/sim/index.js';
import { simOptions } from './helpers.js';

test('removing a follower, wiping it and adding it back, with transfers, keeps every run correct', async () => {
  const faults = parseFaults('membership');
  assert.ok(!(faults instanceof Error));
  let removals = 0;
  let transfers = 0;
  const failures: string[] = [];
  for (let seed = 1; seed <= 8; seed++) {
    const result = await runSimulation(simOptions(seed, { faults }));
    removals += result.membership.removals;
    transfers += result.membership.transfers;
    if (!result.ok) failures.push(`SEED=${seed} ${result.failure ?? ''}\n  reproduce: ${result.reproduce}`);
  }
  assert.equal(failures.join('\n'), '');
  assert.ok(removals > 0, 'no node was removed');
  assert.ok(transfers > 0, 'no leadership was transferred');
});

test('membership churn together with crashes and partitions', async () => {
  const faults = parseFaults('membership,crash,partition');
  assert.ok(!(faults instanceof Error));
  const failures: string[] = [];
  for (let seed = 1; seed <= 8; seed++) {
    const result = await runSimulation(simOptions(seed, { faults }));
    if (!result.ok) failures.push(`SEED=${seed} ${result.failure ?? ''}\n  reproduce: ${result.reproduce}`);
  }
  assert.equal(failures.join('\n'), '');
});
