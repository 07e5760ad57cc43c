// A child process of a parallel sweep (`raftis sim --seeds N --jobs J`, `sweepSeeds`): gets
// the run options once, then seeds one at a time, runs each and sends back its verdict; the
// parent hands out the next seed as verdicts come back.
import { parseFaults, type SimOptions } from './sim-options.js';
import { runSimulation } from './simulation.js';
import { verdictOf, type SweepRequest } from './sweep-verdict.js';

/** Seeds received and not yet run; the parent keeps at most a couple here. */
const queue: number[] = [];
let base: Omit<SimOptions, 'seed'> | null = null;
let running = false;
let ended = false;

async function drain(): Promise<void> {
  if (running) return;
  running = true;
  for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
    if (base === null) throw new Error('sweep worker: a seed arrived before the run options');
    const verdict = verdictOf(await runSimulation({ ...base, seed }));
    await new Promise<void>((resolve) => process.send?.(verdict, () => resolve()));
  }
  running = false;
  if (ended) process.disconnect();
}

function fail(error: unknown): void {
  console.error(error);
  process.exit(1);
}

process.on('message', (request: SweepRequest) => {
  if (request.kind === 'base') {
    const faults = parseFaults(request.base.faults);
    if (faults instanceof Error) return fail(faults);
    base = { ...request.base, faults };
    return;
  }
  if (request.kind === 'seed') queue.push(request.seed);
  else ended = true;
  drain().catch(fail);
});
