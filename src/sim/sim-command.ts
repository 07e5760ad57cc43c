// `raftis sim`: runs one seed (`--seed S [--trace]`) or a sweep (`--seeds N [--from S]`),
// prints progress and a summary, and exits 1 when any run broke an invariant. Every failure
// prints SEED=<n> and the command that replays it.
import { faultKinds, parseFaults, simDefaults, simOptionProblems, simWorkloads, targetedFaultKinds, type FaultKind, type SimOptions, type SimWorkload } from './sim-options.js';
import { runSimulation, type SimResult } from './simulation.js';
import { SWEEP_JOBS_MAX, sweepSeeds, type SweepVerdict } from './sweep.js';

const USAGE = `usage: raftis sim --seed S [--trace] [options]
       raftis sim --seeds N [--from S] [--jobs J] [options]
options: --nodes 3|5  --faults all|none|${[...faultKinds, ...targetedFaultKinds].join(',')}  --duration-ms D
         --clients C  --keys K  --snapshot-entries E  --append-entries N  --pipeline P
         --workload ${simWorkloads.join('|')}  --script-effects`;

/** Seeds between two progress lines of a sweep (when no progress display is given). */
const PROGRESS_EVERY_SEEDS = 100;

/** A sweep's progress display (the CLI's bar with rate and time left): told each seed done, then the end. */
export interface SweepProgress {
  update(done: number): void;
  finish(summary: string): void;
}

interface Parsed {
  readonly base: Omit<SimOptions, 'seed'>;
  readonly seed: number | null;
  readonly seeds: number;
  readonly from: number;
  readonly jobs: number;
}

export async function simCommand(
  argv: string[],
  out: (line: string) => void = (line) => console.log(line),
  progressOf?: (totalSeeds: number) => SweepProgress,
): Promise<number> {
  const parsed = parseArgs(argv);
  const problems = parsed instanceof Error ? [parsed.message] : simOptionProblems({ ...parsed.base, seed: parsed.seed ?? parsed.from });
  if (parsed instanceof Error || problems.length > 0) {
    out(`raftis sim: ${problems.join('; ')}\n${USAGE}`);
    return 2;
  }
  if (parsed.seed !== null) {
    const result = await runSimulation({ ...parsed.base, seed: parsed.seed });
    if (parsed.base.trace) for (const line of result.trace) out(line);
    out(describe(result));
    if (!result.ok) printFailure(result, out);
    return result.ok ? 0 : 1;
  }
  const started = performance.now();
  const failures: SweepVerdict[] = [];
  const progress = progressOf?.(parsed.seeds);
  let done = 0;
  const report = (verdict: SweepVerdict): void => {
    done++;
    if (!verdict.ok) {
      failures.push(verdict);
      printFailure(verdict, out);
    }
    if (progress !== undefined) progress.update(done);
    else if (done % PROGRESS_EVERY_SEEDS === 0 && done < parsed.seeds) {
      out(`  ${done}/${parsed.seeds} seeds, ${failures.length} failed, ${rate(done, started)} seeds/s`);
    }
  };
  const seeds = Array.from({ length: parsed.seeds }, (_, i) => parsed.from + i);
  await sweepSeeds({ base: parsed.base, seeds, jobs: parsed.jobs, onVerdict: report });
  progress?.finish(`${parsed.seeds} seeds, ${failures.length} failed`);
  out(`${parsed.seeds} seeds (${parsed.from}..${parsed.from + parsed.seeds - 1}) in ${((performance.now() - started) / 1000).toFixed(1)} s, ${rate(parsed.seeds, started)} seeds/s, ${failures.length} failed`);
  return failures.length === 0 ? 0 : 1;
}

function rate(seeds: number, started: number): string {
  return (seeds / ((performance.now() - started) / 1000)).toFixed(1);
}

function describe(result: SimResult): string {
  const { ops, faults } = result;
  return `seed ${result.seed}: ${result.ok ? 'ok' : 'FAILED'}; ${result.events} events, ${Math.round(result.virtualMs)} virtual ms, reads ${result.readMode}, ops ok ${ops.ok} unknown ${ops.unknown} failed ${ops.failed}, crashes ${faults.crashes} partitions ${faults.partitions} pauses ${faults.pauses} snapshot resets ${faults.snapshotResets}, ${result.leaders} leader terms, snapshots taken ${result.snapshots.taken} installed ${result.snapshots.installed}, removals ${result.membership.removals} transfers ${result.membership.transfers}, script entries recorded ${result.scriptEntries.recorded} replayed ${result.scriptEntries.replayed} run unrecorded ${result.scriptEntries.runUnrecorded} paused ${result.scriptEntries.paused} (${result.scriptEntries.slices} slices, ${result.scriptEntries.decisions} decisions), trace ${result.traceHash}`;
}

function printFailure(result: Pick<SweepVerdict, 'seed' | 'failure' | 'reproduce'>, out: (line: string) => void): void {
  out(`SEED=${result.seed} ${result.failure ?? ''}`);
  out(`  reproduce: ${result.reproduce}`);
}

function parseArgs(argv: readonly string[]): Parsed | Error {
  let seed: number | null = null;
  let seeds = 0;
  let from = 1;
  let jobs = 1;
  let nodes: 3 | 5 = simDefaults.nodes;
  let faults = parseFaults('all') as ReadonlySet<FaultKind>;
  let appendEntriesMax: number | null = null;
  let pipeline: number | null = null;
  let durationMs = simDefaults.durationMs;
  let clients = simDefaults.clients;
  let keys = simDefaults.keys;
  let snapshotEntries = simDefaults.snapshotEntries;
  let trace = false;
  let workload: SimWorkload | null = null;
  let scriptEffects = false;
  let scriptSlices = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--trace' || flag === '--script-effects' || flag === '--script-slices') {
      if (flag === '--trace') trace = true;
      else if (flag === '--script-effects') scriptEffects = true;
      else scriptSlices = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) return new Error(`${flag ?? ''} needs a value`);
    i++;
    const integer = Number(value);
    const needInteger = (): Error | null => (Number.isSafeInteger(integer) && integer >= 0 ? null : new Error(`${flag} expects an integer >= 0 (got "${value}")`));
    switch (flag) {
      case '--seed':
      case '--seeds':
      case '--from':
      case '--duration-ms':
      case '--clients':
      case '--keys':
      case '--snapshot-entries':
      case '--append-entries':
      case '--pipeline':
      case '--jobs': {
        const problem = needInteger();
        if (problem !== null) return problem;
        if (flag === '--seed') seed = integer;
        else if (flag === '--seeds') seeds = integer;
        else if (flag === '--from') from = integer;
        else if (flag === '--duration-ms') durationMs = integer;
        else if (flag === '--clients') clients = integer;
        else if (flag === '--keys') keys = integer;
        else if (flag === '--jobs') jobs = integer;
        else if (flag === '--append-entries') appendEntriesMax = integer;
        else if (flag === '--pipeline') pipeline = integer;
        else snapshotEntries = integer;
        break;
      }
      case '--nodes':
        if (value !== '3' && value !== '5') return new Error(`--nodes expects 3 or 5 (got "${value}")`);
        nodes = value === '3' ? 3 : 5;
        break;
      case '--workload': {
        const named = simWorkloads.find((w) => w === value);
        if (named === undefined) return new Error(`--workload expects ${simWorkloads.join(' or ')} (got "${value}")`);
        workload = named;
        break;
      }
      case '--faults': {
        const parsedFaults = parseFaults(value);
        if (parsedFaults instanceof Error) return parsedFaults;
        faults = parsedFaults;
        break;
      }
      default:
        return new Error(`unknown option ${flag ?? ''}`);
    }
  }
  if (seed === null && seeds === 0) return new Error('give --seed S or --seeds N');
  if (seed !== null && seeds !== 0) return new Error('give either --seed or --seeds, not both');
  if (appendEntriesMax === 0) return new Error('--append-entries expects an integer >= 1');
  if (jobs < 1 || jobs > SWEEP_JOBS_MAX) return new Error(`--jobs expects an integer in [1, ${SWEEP_JOBS_MAX}] (got ${jobs})`);
  if (pipeline === 0) return new Error('--pipeline expects an integer >= 1');
  const base = {
    nodes, durationMs, faults, clients, keys, snapshotEntries, trace, bugs: {},
    ...(appendEntriesMax === null ? {} : { appendEntriesMax }),
    ...(pipeline === null ? {} : { pipeline }),
    ...(workload === null ? {} : { workload }),
    ...(scriptEffects ? { scriptEffects } : {}),
    ...(scriptSlices ? { scriptSlices } : {}),
  };
  return { base, seed, seeds, from, jobs };
}
