// Shared settings for the simulator tests: short runs (a few virtual seconds) keep the
// default suite fast; the slow sweep uses the command's defaults.
import { faultKinds, simDefaults, type SimOptions } from '../../src/sim/index.js';

export function simOptions(seed: number, overrides: Partial<SimOptions> = {}): SimOptions {
  return {
    seed,
    nodes: 3,
    durationMs: 3_000,
    faults: new Set(faultKinds),
    clients: 6,
    keys: 3,
    snapshotEntries: simDefaults.snapshotEntries,
    trace: false,
    bugs: {},
    ...overrides,
  };
}
