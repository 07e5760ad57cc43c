// Issue 17's scripting workloads for two builds side by side on real clusters: each round
// starts a 3-node cluster of one build (its dist/src/cli/main.js), runs the bullmq workload
// (bench/scripts.ts runJobs) and the EVALSHA-against-SET workload (runScriptsPass, --quick
// sizes), stops it, then does the same for the other build; rounds alternate the order, so a
// shared machine's drift falls on both. CPU per job and per request are the server processes'
// (all three nodes), which a busy machine moves far less than the rates.
//   npm run build && node --import tsx bench/scripting-ab.ts --main A/dist/src/cli/main.js \
//     --main B/dist/src/cli/main.js [--rounds 2] [--jobs 1000] [--ports 8200-8999]

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAverage } from './machine.js';
import { Progress } from './progress.js';
import { RaftisCluster } from './systems/raftis-cluster.js';
import { usePortRange } from './systems/ports.js';
import { runJobs, runScriptsPass, type JobsResult, type ScriptsPass } from './scripts.js';

interface BuildRound {
  readonly jobs: JobsResult;
  readonly scripts: ScriptsPass;
}

async function measure(main: string, jobs: number, progress: Progress): Promise<BuildRound> {
  const cluster = await RaftisCluster.start({ nodes: 3, profileDir: null, main });
  try {
    const leader = await cluster.waitForLeader();
    const cpu = (): number | null => cluster.cpuSeconds();
    return { jobs: await runJobs('raftis', leader.port, jobs, progress, cpu), scripts: await runScriptsPass('raftis', leader.port, true, progress, cpu) };
  } finally {
    await cluster.stop();
  }
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

function summary(main: string, rounds: readonly BuildRound[]): string[] {
  const lines = [`${main}:`];
  const jobs = rounds.map((r) => r.jobs);
  lines.push(`  bullmq: CPU ms/job ${jobs.map((j) => j.cpuMsPerJob?.toFixed(2) ?? '–').join(', ')}; add/s ${jobs.map((j) => j.addPerSecond.toFixed(0)).join(', ')}; process/s ${jobs.map((j) => j.processPerSecond.toFixed(0)).join(', ')}; both/s ${jobs.map((j) => j.bothPerSecond.toFixed(0)).join(', ')}`);
  const modes = rounds[0]?.scripts.modes.map((m) => m.mode.label) ?? [];
  for (const label of modes) {
    const runs = rounds.flatMap((r) => r.scripts.modes.find((m) => m.mode.label === label)?.runs ?? []);
    const of = (command: 'SET' | 'EVALSHA', field: 'perSecond' | 'cpuMicros'): number => mean(runs.filter((r) => r.command === command).map((r) => r[field] ?? 0));
    lines.push(`  ${label}: SET ${of('SET', 'perSecond').toFixed(0)}/s, EVALSHA ${of('EVALSHA', 'perSecond').toFixed(0)}/s (${(of('SET', 'perSecond') / of('EVALSHA', 'perSecond')).toFixed(2)}×); CPU µs/req SET ${of('SET', 'cpuMicros').toFixed(0)}, EVALSHA ${of('EVALSHA', 'cpuMicros').toFixed(0)}`);
  }
  const errors = rounds.flatMap((r) => r.scripts.errors);
  if (errors.length > 0) lines.push(`  errors: ${errors.join('; ')}`);
  return lines;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { main: { type: 'string', multiple: true }, rounds: { type: 'string', default: '2' }, jobs: { type: 'string', default: '1000' }, ports: { type: 'string', default: '8200-8999' } } });
  const mains = (values.main ?? []).map((m) => resolve(m));
  if (mains.length === 0) throw new Error('--main PATH (a build\'s dist/src/cli/main.js), once per build');
  const [first, last] = values.ports.split('-').map(Number) as [number, number];
  usePortRange(first, last);
  const progress = new Progress();
  const results = new Map<string, BuildRound[]>(mains.map((m) => [m, []]));
  const loadAtStart = loadAverage();
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const main of round % 2 === 0 ? mains : [...mains].reverse()) results.get(main)?.push(await measure(main, Number(values.jobs), progress));
  }
  process.stdout.write(`\nload average ${loadAtStart} at the start, ${loadAverage()} at the end\n`);
  for (const [main, rounds] of results) process.stdout.write(`${summary(main, rounds).join('\n')}\n`);
}

await main();
