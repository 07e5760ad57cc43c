// Issue 17's EVALSHA against SET for two builds side by side, longer than scripting-ab.ts's
// --quick passes: per round, a 3-node cluster of each build in turn (the order alternating),
// SET (256 bytes, keys of its own) and EVALSHA of GET + INCR + EXPIRE (one key among 1,000)
// with redis-benchmark at `-c 50 -P 16` and at `-c 64`, each after a warm-up of a tenth of its
// requests, and at `-c 1`. Prints each run's rate and the server processes' CPU µs per request,
// per node and summed (the figure a busy machine moves least):
//   npm run build && node --import tsx bench/evalsha-ab.ts --main A/dist/src/cli/main.js \
//     --main B/dist/src/cli/main.js [--main B/dist/src/cli/main.js+effects] [--rounds 3] [--ports 8200-8999]
// A build named with `+effects` runs with the replicated setting script-effects on (deferred
// effects: the leader runs each script, followers replay its record).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAverage } from './machine.js';
import { RaftisCluster } from './systems/raftis-cluster.js';
import { usePortRange } from './systems/ports.js';
import { RMW_SCRIPT } from './rmw-script.js';

const MODES = [
  { label: '-c 50 -P 16', requests: 150_000, args: ['-c', '50', '-P', '16'] },
  { label: '-c 64', requests: 40_000, args: ['-c', '64'] },
  { label: '-c 1', requests: 6_000, args: ['-c', '1'] },
] as const;
const EFFECTS_SUFFIX = '+effects';
const SHA = createHash('sha1').update(RMW_SCRIPT).digest('hex');
const COMMANDS = {
  SET: ['SET', 'set:__rand_int__', 'x'.repeat(256)],
  EVALSHA: ['EVALSHA', SHA, '1', 'key:__rand_int__'],
} as const;

/** One redis-benchmark run; false when it failed (an error reply stops redis-benchmark). */
function benchmark(args: readonly string[]): boolean {
  try {
    execFileSync('redis-benchmark', args, { stdio: 'pipe' });
    return true;
  } catch (error) {
    process.stdout.write(`  redis-benchmark failed: ${String((error as { stdout?: Buffer }).stdout ?? error).slice(-300)}\n`);
    return false;
  }
}

/** A node's deferred-effects counters from RAFT.INFO, as recorded/replayed/run-unrecorded. */
function scriptEntryCounts(port: number): string {
  const info = execFileSync('redis-cli', ['-p', String(port), 'INFO', 'raft']).toString();
  const field = (name: string): string => new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? '?';
  return ['recorded', 'replayed', 'run_unrecorded'].map((kind) => field(`stat_script_entries_${kind}`)).join('/');
}

async function measure(build: string, label: string): Promise<void> {
  const effects = build.endsWith(EFFECTS_SUFFIX);
  const main = effects ? build.slice(0, -EFFECTS_SUFFIX.length) : build;
  const cluster = await RaftisCluster.start({ nodes: 3, profileDir: null, main });
  try {
    const leader = await cluster.waitForLeader();
    execFileSync('redis-cli', ['-p', String(leader.port), 'SCRIPT', 'LOAD', RMW_SCRIPT]);
    if (effects) {
      const answer = execFileSync('redis-cli', ['-p', String(leader.port), 'CONFIG', 'SET', 'script-effects', 'yes']).toString().trim();
      if (answer !== 'OK') throw new Error(`CONFIG SET script-effects yes answered ${answer}`);
    }
    for (const mode of MODES) {
      for (const [command, argv] of Object.entries(COMMANDS)) {
        const base = ['-p', String(leader.port), '-r', '1000', '-q', ...mode.args];
        if (!benchmark([...base, '-n', String(mode.requests / 10), ...argv])) continue;
        const before = cluster.cpuSecondsByNode();
        const started = process.hrtime.bigint();
        if (!benchmark([...base, '-n', String(mode.requests), ...argv])) continue;
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const perNode = cluster.cpuSecondsByNode().map((cpu, i) => (((cpu ?? 0) - (before[i] ?? 0)) * 1e6) / mode.requests);
        const total = perNode.reduce((a, b) => a + b, 0);
        process.stdout.write(`${label}${effects ? EFFECTS_SUFFIX : ''} ${mode.label} ${command.padEnd(7)} ${(mode.requests / seconds).toFixed(0).padStart(6)}/s  CPU µs/req ${total.toFixed(1)} (${perNode.map((p) => p.toFixed(1)).join(' + ')}; leader ${leader.id})\n`);
      }
    }
    if (effects) process.stdout.write(`${label}${EFFECTS_SUFFIX} script entries (recorded/replayed/run unrecorded) by node: ${cluster.nodes.map((node) => scriptEntryCounts(node.port)).join(', ')}\n`);
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { main: { type: 'string', multiple: true }, rounds: { type: 'string', default: '3' }, ports: { type: 'string', default: '8200-8999' } } });
  const mains = (values.main ?? []).map((m) => resolve(m));
  if (mains.length === 0) throw new Error("--main PATH (a build's dist/src/cli/main.js), once per build");
  const [first, last] = values.ports.split('-').map(Number) as [number, number];
  usePortRange(first, last);
  process.stdout.write(`load average ${loadAverage()} at the start\n`);
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const main of round % 2 === 0 ? mains : [...mains].reverse()) await measure(main, `round ${round + 1} build ${mains.indexOf(main) + 1}`);
  }
  process.stdout.write(`load average ${loadAverage()} at the end; builds: ${mains.map((m, i) => `${i + 1} = ${m}`).join(', ')}\n`);
}

await main();
