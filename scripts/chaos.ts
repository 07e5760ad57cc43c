// Long chaos runs against real clusters (see docs/testing.md):
//   node --import tsx scripts/chaos.ts --time 300 --nemesis all|kill|pause|partition|clock|snapshot|transfer|membership|disk|each
//        [--nodes 3|5] [--reads linearizable|lease|stale] [--request-id-workaround on|off]
//        [--member-address-workaround on|off] [--workload register|list-append|list-append-lua|stream]
// The request-id workaround (off by default) guarded against a raftis bug fixed since,
// request ids reused by a restarted node; `on` brings it back. The member-address
// workaround (off by default) steers membership changes around bugs 5 and 6 (docs/testing.md).
// --workload list-append runs MULTI/RPUSH/LRANGE/EXEC transactions checked for strict
// serializability instead of the single-key operations checked for linearizability;
// list-append-lua sends the same transactions as EVAL scripts. --workload stream runs XADD
// producers and a consumer group (XREADGROUP, XACK, XAUTOCLAIM of dead consumers' entries)
// on every node, checked by src/check/check-stream.ts.
// Each run writes chaos-runs/<timestamp>-<scenario>/ and prints its summary; the exit code
// is 0 when every run passed (or was skipped), 1 otherwise. Needs `npm run build` first.

import { ProgressBar } from '../src/cli/progress-bar.js';
import { NEMESIS_NAMES, type NemesisName } from '../test/chaos/nemesis.js';
import { runScenario, WORKLOAD_KINDS, type ReadMode, type WorkloadKind } from '../test/chaos/run-scenario.js';

const READ_MODES: readonly ReadMode[] = ['linearizable', 'lease', 'stale'];

function usage(message: string): never {
  console.error(`${message}\nusage: scripts/chaos.ts [--time SECONDS] [--nemesis ${NEMESIS_NAMES.join('|')}|each] [--nodes 3|5] [--reads ${READ_MODES.join('|')}] [--request-id-workaround on|off] [--member-address-workaround on|off] [--workload ${WORKLOAD_KINDS.join('|')}]`);
  process.exit(64);
}

const argv = process.argv.slice(2);
let timeSeconds = 60;
let nemeses: NemesisName[] = ['all'];
let nodes = 3;
let reads: ReadMode = 'linearizable';
let avoidRequestIdReuse = false;
let memberAddressWorkaround = false;
let workloadKind: WorkloadKind = 'register';
for (let i = 0; i < argv.length; i++) {
  const flag = argv[i];
  const value = argv[++i];
  if (value === undefined) usage(`${String(flag)}: missing value`);
  switch (flag) {
    case '--time':
      timeSeconds = Number(value);
      if (!Number.isInteger(timeSeconds) || timeSeconds < 1 || timeSeconds > 86_400) usage(`--time: expected whole seconds in 1..86400, got ${value}`);
      break;
    case '--nemesis':
      if (value === 'each') nemeses = NEMESIS_NAMES.filter((n) => n !== 'all');
      else if ((NEMESIS_NAMES as readonly string[]).includes(value)) nemeses = [value as NemesisName];
      else usage(`--nemesis: unknown nemesis ${value}`);
      break;
    case '--nodes':
      nodes = Number(value);
      if (nodes !== 3 && nodes !== 5) usage(`--nodes: 3 or 5, got ${value}`);
      break;
    case '--request-id-workaround':
      if (value !== 'on' && value !== 'off') usage(`--request-id-workaround: on or off, got ${value}`);
      avoidRequestIdReuse = value === 'on';
      break;
    case '--member-address-workaround':
      if (value !== 'on' && value !== 'off') usage(`--member-address-workaround: on or off, got ${value}`);
      memberAddressWorkaround = value === 'on';
      break;
    case '--workload':
      if (!(WORKLOAD_KINDS as readonly string[]).includes(value)) usage(`--workload: unknown workload ${value}`);
      workloadKind = value as WorkloadKind;
      break;
    case '--reads':
      if (!(READ_MODES as readonly string[]).includes(value)) usage(`--reads: unknown mode ${value}`);
      reads = value as ReadMode;
      break;
    default:
      usage(`unknown argument ${String(flag)}`);
  }
}

let failed = 0;
for (const nemesis of nemeses) {
  // Clock skew is about lease reads: the clock nemesis always runs them.
  // The bar follows the faults' time (start-up, recovery and the checks come on top of it).
  const bar = new ProgressBar({ label: `chaos ${nemesis}`, unit: 'seconds', total: timeSeconds });
  const startedMs = Date.now();
  const ticker = setInterval(() => bar.update(Math.min((Date.now() - startedMs) / 1000, timeSeconds)), 1_000);
  const result = await runScenario({ nemesis, nodes, timeMs: timeSeconds * 1000, readMode: nemesis === 'clock' ? 'lease' : reads, checkTimeoutMs: 120_000, avoidRequestIdReuse, memberAddressWorkaround, workloadKind })
    .finally(() => clearInterval(ticker));
  bar.finish(result.verdict);
  console.log(result.summary);
  if (result.verdict === 'fail') failed++;
}
process.exit(failed === 0 ? 0 : 1);
