// The short chaos pass (`npm run test:chaos`, a step of CI of its own): each nemesis alone and all mixed,
// about 10 s of faults each on a real cluster, with every check of a chaos run (linearizable
// history, final reads, convergence, recovery, no crash). Long runs: scripts/chaos.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { networkUnavailableReason } from './chaos-network.js';
import type { NemesisName } from './nemesis.js';
import { runScenario, type ReadMode, type ScenarioOptions } from './run-scenario.js';

/** Seconds of faults per scenario in the default test run. */
const SHORT_PASS_MS = 10_000;
/** Seconds of faults of the list-append and stream passes: one or two kills. */
const LIST_APPEND_PASS_MS = 5_000;
const partitionsUnavailable = networkUnavailableReason();

/** Runs the scenario and asserts it passed; returns its summary (null when skipped). */
async function expectPass(options: Omit<ScenarioOptions, 'timeMs'> & { timeMs?: number }): Promise<string | null> {
  const result = await runScenario({ timeMs: SHORT_PASS_MS, ...options });
  if (result.verdict === 'skipped') return null;
  assert.equal(result.verdict, 'pass', `${result.summary}\nrun directory: ${result.runDir}`);
  assert.ok(result.check !== null && result.check.ops > 100, `too few operations to mean anything: ${result.summary}`);
  // With 3 members the first membership change is always a join: at least one must happen.
  if (options.nemesis === 'membership') assert.match(result.summary, /members at the end: .* \([1-9]\d* joined, \d+ removed\)/, result.summary);
  return result.summary;
}

describe('chaos: each nemesis on a real cluster', { concurrency: false }, () => {
  // The last column marks a nemesis as `todo` (with the bug's description) while a bug it
  // finds is open; none is open now.
  const cases: [NemesisName, number, ReadMode, string | false][] = [
    ['kill', 3, 'linearizable', false],
    ['pause', 3, 'linearizable', false],
    ['pause', 3, 'lease', false],
    ['partition', 3, 'linearizable', false],
    ['partition', 5, 'linearizable', false],
    ['clock', 3, 'lease', false],
    ['snapshot', 3, 'linearizable', false],
    ['transfer', 3, 'linearizable', false],
    ['membership', 3, 'linearizable', false],
    ['disk', 3, 'linearizable', false],
    ['all', 5, 'linearizable', false],
  ];
  for (const [nemesis, nodes, readMode, todo] of cases) {
    const skip = nemesis === 'partition' && partitionsUnavailable !== null ? `packet-level partitions unavailable: ${partitionsUnavailable}` : false;
    it(`${nemesis} with ${nodes} nodes and ${readMode} reads`, { skip, todo }, async () => {
      await expectPass({ nemesis, nodes, readMode });
    });
  }

  it('stale reads under pauses are reported, not checked', async () => {
    const result = await runScenario({ nemesis: 'pause', nodes: 3, readMode: 'stale', timeMs: SHORT_PASS_MS });
    // Everything but linearizability must still hold; the checker's verdict is in the summary.
    assert.equal(result.verdict, 'pass', result.summary);
    assert.match(result.summary, /checker: /);
  });

  it('list-append transactions under kills are strict serializable', async () => {
    const summary = await expectPass({ nemesis: 'kill', nodes: 3, readMode: 'linearizable', workloadKind: 'list-append', timeMs: LIST_APPEND_PASS_MS });
    // The transactions must share keys, so the checker had dependencies to order.
    if (summary !== null) assert.match(summary, /checker: strict serializable: \d+ transactions, \d+ keys, [1-9]\d* dependency edges/, summary);
  });

  it('a stream with a consumer group under kills: acknowledged XADDs kept once in order, every entry delivered, no acknowledged entry pending', async () => {
    const summary = await expectPass({ nemesis: 'kill', nodes: 3, readMode: 'linearizable', workloadKind: 'stream', timeMs: LIST_APPEND_PASS_MS });
    if (summary !== null) assert.match(summary, /checker: stream history valid: XADD ok [1-9]\d*,.* [1-9]\d* deliveries .* [1-9]\d* acknowledged, 0 never delivered/, summary);
  });

  it('kill with AUTH and peer security on (--requirepass: every client and every joining node authenticates; peers speak mutual TLS and prove the cluster secret)', async () => {
    await expectPass({ nemesis: 'kill', nodes: 3, readMode: 'linearizable', auth: true });
  });

  it('kill without the request-id workaround keeps acknowledged writes', async () => {
    await expectPass({ nemesis: 'kill', nodes: 3, readMode: 'linearizable', avoidRequestIdReuse: false });
  });
});
