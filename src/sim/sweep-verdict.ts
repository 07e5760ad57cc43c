// What a sweep's parent and its child processes say to each other: the requests a child
// gets and the verdict it sends back per seed.
import type { SimOptions } from './sim-options.js';
import type { SimResult } from './simulation.js';

/** Parent to child: the run options (faults as their text), then seeds, then the end. */
export type SweepRequest =
  | { readonly kind: 'base'; readonly base: Omit<SimOptions, 'seed' | 'faults'> & { readonly faults: string } }
  | { readonly kind: 'seed'; readonly seed: number }
  | { readonly kind: 'end' };

/** Child to parent, one per seed. */
export interface SweepVerdict {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure: string | null;
  readonly reproduce: string;
  readonly events: number;
  /** Snapshots received and restored in the run (InstallSnapshot). */
  readonly snapshotsInstalled: number;
}

export function verdictOf(result: SimResult): SweepVerdict {
  return {
    seed: result.seed,
    ok: result.ok,
    failure: result.failure,
    reproduce: result.reproduce,
    events: result.events,
    snapshotsInstalled: result.snapshots.installed,
  };
}
