// A child process of a parallel sweep (`raftis sim --seeds N --jobs J`): runs the seeds the
// parent sends, one after another, and sends back each result's verdict. A seed's run does
// not depend on the process it runs in, so a parallel sweep finds what a serial one finds.
import { parseFaults, type SimOptions } from './sim-options.js';
import { runSimulation } from './simulation.js';

/** What the parent sends: the run options (faults as their text) and the seeds to run. */
export interface SweepJob {
  readonly base: Omit<SimOptions, 'seed' | 'faults'> & { readonly faults: string };
  readonly seeds: readonly number[];
}

export interface SweepVerdict {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure: string | null;
  readonly reproduce: string;
}

async function runJob(job: SweepJob): Promise<void> {
  const faults = parseFaults(job.base.faults);
  if (faults instanceof Error) throw faults;
  for (const seed of job.seeds) {
    const result = await runSimulation({ ...job.base, faults, seed });
    const verdict: SweepVerdict = { seed, ok: result.ok, failure: result.failure, reproduce: result.reproduce };
    await new Promise<void>((resolve) => process.send?.(verdict, () => resolve()));
  }
}

process.once('message', (job: SweepJob) => {
  runJob(job).then(
    () => process.disconnect(),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
