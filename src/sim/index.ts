// The public surface of src/sim/: run one simulation, the `raftis sim` command, the options.
export { runSimulation, Simulation, type SimResult } from './simulation.js';
export { simCommand } from './sim-command.js';
export { sweepSeeds, SWEEP_JOBS_MAX, type SweepOptions, type SweepVerdict } from './sweep.js';
export { SafetyMonitor, SimViolation } from './safety-monitor.js';
export {
  faultKinds,
  formatFaults,
  parseFaults,
  reproduceCommand,
  simDefaults,
  simOptionProblems,
  simWorkloads,
  type FaultKind,
  type SimBugs,
  type SimOptions,
  type SimWorkload,
} from './sim-options.js';
