// The simulator catches deliberately broken variants within a bounded number of seeds, and
// the seed that catches one passes with the variant switched off: the variant, not some
// other bug, is what it found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFaults, runSimulation, type SimBugs } from '../../src/sim/index.js';
import { simOptions } from './helpers.js';

/** Seeds tried before giving up; the variants below are found within a few dozen. */
const SEEDS_MAX = 200;
/** The old-term commit (Figure 8) is found within a handful of seeds of its profile (first: seed 3, 9 of the first 30); the bound leaves room. */
const FIGURE8_SEEDS = 30;
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
  readonly appendEntriesMax?: number;
}

async function firstCatch(bugs: SimBugs, search: Search = {}): Promise<{ seed: number; failure: string } | null> {
  const faults = parseFaults(search.faults ?? 'election,crash,partition');
  assert.ok(!(faults instanceof Error));
  const checks = search.checks ?? SAFETY_INVARIANTS;
  const split = search.appendEntriesMax === undefined ? {} : { appendEntriesMax: search.appendEntriesMax };
  const base = { nodes: search.nodes ?? 5, faults, clients: search.clients ?? 6, durationMs: VARIANT_DURATION_MS, ...split };
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
  assert.match(caught.failure, /^liveness: (get|lrange|zrange) .* timed out/);
});

test('committing an entry of an older term by counting replicas loses a committed entry (Figure 8)', async () => {
  // The no-op hides this bug when a new leader sends a follower the old entries and its
  // no-op in one Append: a quorum that holds the old entry then holds the no-op too. One
  // entry per Append (appendEntriesMax 1) lets a quorum hold the old entry first, and
  // cut-leader cuts the leader off right after it commits it, before the no-op follows.
  // A node that has another entry at that index and a newer last term is then elected with
  // the vote of the follower that missed the no-op and overwrites the entry the old leader
  // applied: state machine safety.
  const search: Search = { faults: 'cut-leader', nodes: 3, appendEntriesMax: 1, checks: [...SAFETY_INVARIANTS, LINEARIZABILITY], seedsMax: FIGURE8_SEEDS };
  const caught = await firstCatch({ commitOldTermByCounting: true }, search);
  assert.ok(caught !== null, `not caught within ${FIGURE8_SEEDS} seeds`);
  assert.match(caught.failure, /^state machine safety: index \d+: n\d applied an entry of term \d+, n\d applied one of term \d+$/);
  // The profile itself is no false alarm: the correct core passes every seed of the search.
  const faults = parseFaults('cut-leader');
  assert.ok(!(faults instanceof Error));
  const failures: string[] = [];
  for (let seed = 1; seed <= FIGURE8_SEEDS; seed++) {
    const result = await runSimulation(simOptions(seed, { nodes: 3, faults, durationMs: VARIANT_DURATION_MS, appendEntriesMax: 1 }));
    if (!result.ok) failures.push(`SEED=${seed} ${result.failure ?? ''}\n  reproduce: ${result.reproduce}`);
  }
  assert.equal(failures.join('\n'), '');
});
