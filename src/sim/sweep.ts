// A sweep: many seeds of one configuration, in this process or spread over child processes
// (`--jobs`), each seed's verdict reported as it arrives. Children take the next seed when
// they finish one (a few seeds of a run with long partitions or churn cost several times an
// average one, so a fixed split would leave one child working alone at the end). A seed's
// run does not depend on the process it runs in, so a parallel sweep finds what a serial
// one finds.
import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatFaults, type SimOptions } from './sim-options.js';
import { runSimulation } from './simulation.js';
import { verdictOf, type SweepRequest, type SweepVerdict } from './sweep-verdict.js';

export type { SweepVerdict } from './sweep-verdict.js';

/** Child processes a sweep may use. */
export const SWEEP_JOBS_MAX = 64;
/** Seeds a child holds at once: one running, one queued, so it never waits for the parent. */
const SEEDS_IN_FLIGHT_PER_CHILD = 2;

export interface SweepOptions {
  /** Everything of the run but the seed (trace must be off: children send verdicts only). */
  readonly base: Omit<SimOptions, 'seed'>;
  readonly seeds: readonly number[];
  /** 1: in this process; more: that many child processes. */
  readonly jobs: number;
  /** Called once per seed as its verdict arrives (not in seed order when jobs > 1). */
  readonly onVerdict?: (verdict: SweepVerdict) => void;
}

/** Runs every seed once; returns the verdicts in seed order. */
export async function sweepSeeds(options: SweepOptions): Promise<SweepVerdict[]> {
  const { jobs, seeds } = options;
  if (!Number.isSafeInteger(jobs) || jobs < 1 || jobs > SWEEP_JOBS_MAX) throw new Error(`sweep: jobs must be in [1, ${SWEEP_JOBS_MAX}] (got ${jobs})`);
  if (new Set(seeds).size !== seeds.length) throw new Error(`sweep: ${seeds.length - new Set(seeds).size} seeds are listed twice`);
  const verdicts = new Map<number, SweepVerdict>();
  const note = (verdict: SweepVerdict): void => {
    verdicts.set(verdict.seed, verdict);
    options.onVerdict?.(verdict);
  };
  if (jobs === 1 || seeds.length <= 1) {
    for (const seed of seeds) note(verdictOf(await runSimulation({ ...options.base, seed })));
  } else {
    await sweepInChildren(options, Math.min(jobs, seeds.length), note);
  }
  return seeds.map((seed) => {
    const verdict = verdicts.get(seed);
    if (verdict === undefined) throw new Error(`sweep: seed ${seed} got no verdict`);
    return verdict;
  });
}

async function sweepInChildren(options: SweepOptions, jobs: number, note: (verdict: SweepVerdict) => void): Promise<void> {
  const here = fileURLToPath(import.meta.url);
  // Under tsx the sources are .ts; built, they are .js.
  const worker = fileURLToPath(new URL(`./sweep-worker${extname(here)}`, import.meta.url));
  const base = { ...options.base, faults: formatFaults(options.base.faults), trace: false };
  let next = 0;
  const children: Promise<void>[] = [];
  for (let k = 0; k < jobs; k++) {
    children.push(
      new Promise((resolve, reject) => {
        const child: ChildProcess = fork(worker, [], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        let outstanding = 0;
        let ended = false;
        const give = (): void => {
          const seed = options.seeds[next];
          if (seed === undefined) {
            if (outstanding === 0 && !ended) {
              ended = true;
              send({ kind: 'end' });
            }
            return;
          }
          next++;
          outstanding++;
          send({ kind: 'seed', seed });
        };
        const send = (request: SweepRequest): void => {
          child.send(request);
        };
        child.on('message', (verdict: SweepVerdict) => {
          outstanding--;
          note(verdict);
          give();
        });
        child.on('exit', (code) => {
          if (outstanding === 0 && next >= options.seeds.length) resolve();
          else reject(new Error(`sweep child ${k} exited with code ${String(code)} with ${outstanding} seeds unanswered`));
        });
        send({ kind: 'base', base });
        for (let i = 0; i < SEEDS_IN_FLIGHT_PER_CHILD; i++) give();
      }),
    );
  }
  await Promise.all(children);
}
