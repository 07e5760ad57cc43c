// The simulator catches deliberately broken variants within a bounded number of seeds, and
// the seed that catches one passes with the variant switched off: the variant, not some
// other bug, is what it found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaults, runSimulation, type SimBugs } from '../../src/sim/index.js';
import { simOptions } from './helpers.js';

/** Seeds tried before giving up; the variants below are found within a few dozen. */
const SEEDS_MAX = 200;
/** Short runs: the variants show in elections, which the fault phase of a short run is full of. */
const VARIANT_DURATION_MS = 1_500;
const SAFETY_INVARIANTS = ['election safety', 'log matching', 'state machine safety', 'replica equality'];
const LINEARIZABILITY = 'linearizability';
const LIVENESS = 'liveness';

interface Search {
  readonly faults?: string;
  readonly nodes?: 3 | 5;
  readonly clients?: number;
  /** Failures that count as a catch, by the check that fired. */
  readonly checks?: readonly string[];
  readonly seedsMax?: number;
}

async function firstCatch(bugs: SimBugs, search: Search = {}): Promise<{ seed: number; failure: string } | null> {
  const faults = parseFaults(search.faults ?? 'election,crash,partition');
  assert.ok(!(faults instanceof Error));
  const checks = search.checks ?? SAFETY_INVARIANTS;
  const base = { nodes: search.nodes ?? 5, faults, clients: search.clients ?? 6, durationMs: VARIANT_DURATION_MS };
  for (let seed = 1; seed <= (search.seedsMax ?? SEEDS_MAX); seed++) {
    const result = await runSimulation(simOptions(seed, { ...base, bugs }));
    const failure = result.failure ?? '';
    if (checks.some((name) => failure.startsWith(`${name}:`))) {
      const clean = await runSimulation(simOptions(seed, base));
      assert.equal(clean.failure, null, `seed ${seed} must pass without the variant`);
      return { seed, failure };
    }
  }
  return null;
}

test('a node that loses its vote on a crash elects two leaders in one term', async () => {
  const caught = await firstCatch({ forgetVote: true });
  assert.ok(caught !== null, `not caught within ${SEEDS_MAX} seeds`);
  assert.match(caught.failure, /^election safety: two leaders in term/);
});

test('a node that loses term and vote on a crash elects two leaders in one term', async () => {
  const caught = await firstCatch({ forgetHardState: true });
  assert.ok(caught !== null, `not caught within ${SEEDS_MAX} seeds`);
  assert.match(caught.failure, /^election safety: two leaders in term/);
});

test('a leader that skips the no-op on election leaves reads waiting: liveness catches it', async () => {
  // The core answers a read only once its term has a committed entry. Without the no-op a
  // new leader gets one only from a client write, so when every client is reading (one
  // client makes that likely), reads wait until they time out after the cluster settled.
  const caught = await firstCatch({ skipNoopOnElection: true }, { faults: 'election,crash', nodes: 3, clients: 1, checks: [LIVENESS] });
  assert.ok(caught !== null, `not caught within ${SEEDS_MAX} seeds`);
  assert.match(caught.failure, /^liveness: get .* timed out/);
});

test(
  'committing an entry of an older term by counting replicas is caught',
  {
    todo:
      'not caught yet: with the no-op a new leader sends the old entries and its no-op in one Append, so a quorum ' +
      'that holds the old entry holds the no-op too and the Figure 8 overwrite cannot follow; searched 200-400 seeds ' +
      'each of election,crash,partition (3 and 5 nodes, 1.5-6 s, 1-6 clients), also with skipNoopOnElection, ' +
      'without a safety or linearizability violation. Needs a fault that splits Appends (tiny maxBytesPerMessage) ' +
      'or crashes a leader right after it advances its commit index',
  },
  async () => {
    // A short search while it is open, to keep the suite fast.
    const caught = await firstCatch({ commitOldTermByCounting: true }, { checks: [...SAFETY_INVARIANTS, LINEARIZABILITY], seedsMax: 10 });
    assert.ok(caught !== null, 'not caught within 10 seeds');
  },
);
