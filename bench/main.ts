// `npm run bench`: starts raftis (3 nodes), etcd (3 nodes) and Redis (1 node, AOF always)
// itself, drives each with the same closed-loop workloads from load-generator processes of
// its own (etcd through its gRPC API, bench/etcd-load), measures
// raftis's replication latency, failover time and memory, and writes docs/benchmarks.md
// with SVG charts. See bench-options.ts for --quick, --only and --profile.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { USAGE, parseBenchOptions, type BenchOptions } from './bench-options.js';
import { profileFiles, summarizeProfiles } from './cpuprofile-summary.js';
import { measureFailover } from './failover.js';
import { loadAverage, machineInfo } from './machine.js';
import { measureMemory } from './memory.js';
import { measureTypeMemory, type TypeMemoryResult } from './types-memory.js';
import { TYPE_PIPELINE_DEPTH, runTypePass, type TypesResult } from './types-throughput.js';
import { baselineBuild, measureStringsAb, type StringsAbResult } from './strings-ab.js';
import { runJobs, runScriptsPass, type BullmqResult, type JobsResult, type ScriptsPass, type ScriptsResult } from './scripts.js';
import { measureSnapshots, type SnapshotBenchResult } from './snapshot.js';
import { Progress } from './progress.js';
import { REPLICATION_SIZES, measureReplication } from './replication.js';
import { emptyResults, type BenchResults } from './results.js';
import { EtcdCluster, ensureEtcd } from './systems/etcd-cluster.js';
import { ETCD_LOAD_PACKAGES, ensureEtcdLoad, etcdLoadCommand } from './etcd-load.js';
import { workerCommand, type WorkerSpec } from './load-process.js';
import { usePortRange } from './systems/ports.js';
import { killAllSpawned } from './systems/process-group.js';
import { RAFTIS_MAIN, RaftisCluster } from './systems/raftis-cluster.js';
import { RedisSingle, redisVersion } from './systems/redis-single.js';
import { checkTargets } from './targets.js';
import { ETCD_GATEWAY_CLIENTS, runThroughputWorkloads, type Target } from './throughput.js';
import { writeReport, type RunInfo } from './report.js';

const THROUGHPUT_WORKLOADS = ['writes', 'reads', 'mixed', 'pipelined', 'sustained'] as const;
/** The closed-loop workloads etcd runs (pipelined SET is redis-benchmark's, RESP only). */
const ETCD_WORKLOADS = THROUGHPUT_WORKLOADS.filter((w) => w !== 'pipelined');

function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function gitCommit(dir = '.'): string {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/** The harness's own load generator (load-worker.ts) for a RESP system or etcd's JSON gateway. */
function workerLoad(protocol: WorkerSpec['protocol'], port: number): Target['load'] {
  return (plan) => workerCommand({ protocol, port, ...plan });
}

async function throughputPhase(options: BenchOptions, progress: Progress, results: BenchResults, versions: Record<string, string>, etcdLoad: string | null): Promise<void> {
  if (!THROUGHPUT_WORKLOADS.some((w) => options.only.has(w))) return;

  const raftis = await RaftisCluster.start({ nodes: 3, profileDir: options.profileDir });
  try {
    const leader = await raftis.waitForLeader();
    const target: Target = { system: 'raftis', protocol: 'resp', port: leader.port, readModes: ['linearizable', 'lease', 'stale'], mixReadMode: null, serverCpu: () => raftis.cpuSecondsByNode(), load: workerLoad('resp', leader.port) };
    await runThroughputWorkloads(target, options, progress, results);
  } finally {
    await raftis.stop();
  }

  if (versions.etcd !== undefined && etcdLoad !== null) {
    const etcd = await EtcdCluster.start(3);
    try {
      const { clientPort: port } = await etcd.leader();
      const target: Target = {
        system: 'etcd', protocol: 'etcd', port, readModes: ['linearizable', 'serializable'], mixReadMode: 'linearizable', serverCpu: () => etcd.cpuSecondsByNode(),
        load: (plan) => etcdLoadCommand(etcdLoad, port, plan.clients, plan.durationMs, plan.readFraction, plan.readMode),
        referenceLoad: { name: 'JSON gateway', clients: ETCD_GATEWAY_CLIENTS, load: workerLoad('etcd-gateway', port) },
      };
      await runThroughputWorkloads(target, { ...options, only: new Set([...options.only].filter((w) => w !== 'pipelined')) }, progress, results);
    } catch (error) {
      // A peer's failure (its load generator, say) costs its remaining rows, not the whole run.
      results.skipped.push(`etcd: stopped by ${error instanceof Error ? error.message : String(error)}; the etcd rows after that point are missing.`);
    } finally {
      await etcd.stop();
    }
  }

  if (versions.redis !== undefined) {
    const redis = await RedisSingle.start();
    try {
      const target: Target = { system: 'redis', protocol: 'resp', port: redis.port, readModes: [null], mixReadMode: null, serverCpu: () => [redis.cpuSeconds()], load: workerLoad('resp', redis.port) };
      await runThroughputWorkloads(target, options, progress, results);
    } finally {
      await redis.stop();
    }
  }
}

/** Every redis-benchmark default test, without pipelining and with it, on raftis and then on Redis. */
async function typesPhase(options: BenchOptions, progress: Progress, versions: Record<string, string>): Promise<TypesResult['passes'] | null> {
  if (!options.only.has('types') || versions.redis === undefined) return null;
  const passes: TypesResult['passes'] = [];
  const raftis = await RaftisCluster.start({ nodes: 3, profileDir: options.profileDir });
  try {
    const leader = await raftis.waitForLeader();
    const cpu = (): number | null => raftis.cpuSeconds();
    passes.push(await runTypePass('raftis', leader.port, options.typeRequests, 1, progress, cpu));
    passes.push(await runTypePass('raftis', leader.port, options.typePipelinedRequests, TYPE_PIPELINE_DEPTH, progress, cpu));
  } finally {
    await raftis.stop();
  }
  const redis = await RedisSingle.start();
  try {
    const cpu = (): number | null => redis.cpuSeconds();
    passes.push(await runTypePass('redis', redis.port, options.typeRequests, 1, progress, cpu));
    passes.push(await runTypePass('redis', redis.port, options.typePipelinedRequests, TYPE_PIPELINE_DEPTH, progress, cpu));
  } finally {
    await redis.stop();
  }
  return passes;
}

/** The scripts and bullmq workloads: on one raftis cluster, then on Redis. */
async function scriptingPhase(options: BenchOptions, progress: Progress, versions: Record<string, string>): Promise<{ scripts: ScriptsPass[]; jobs: JobsResult[] } | null> {
  const scripts = options.only.has('scripts');
  const bullmq = options.only.has('bullmq');
  if ((!scripts && !bullmq) || versions.redis === undefined) return null;
  const result = { scripts: [] as ScriptsPass[], jobs: [] as JobsResult[] };
  const raftis = await RaftisCluster.start({ nodes: 3, profileDir: options.profileDir });
  try {
    const leader = await raftis.waitForLeader();
    const cpu = (): number | null => raftis.cpuSeconds();
    if (scripts) result.scripts.push(await runScriptsPass('raftis', leader.port, options.quick, progress, cpu));
    if (bullmq) result.jobs.push(await runJobs('raftis', leader.port, options.bullmqJobs, progress, cpu));
  } finally {
    await raftis.stop();
  }
  const redis = await RedisSingle.start();
  try {
    const cpu = (): number | null => redis.cpuSeconds();
    if (scripts) result.scripts.push(await runScriptsPass('redis', redis.port, options.quick, progress, cpu));
    if (bullmq) result.jobs.push(await runJobs('redis', redis.port, options.bullmqJobs, progress, cpu));
  } finally {
    await redis.stop();
  }
  return result;
}

async function stringsAbPhase(options: BenchOptions, progress: Progress, commit: string): Promise<Omit<StringsAbResult, 'machine' | 'commandLine'> | null> {
  if (!options.only.has('strings-ab')) return null;
  const baselineDir = options.compareRef === null ? options.baselineDir : checkoutAndBuild(options.compareRef, progress);
  if (baselineDir === null) return null;
  const builds = [baselineBuild(baselineDir, gitCommit(baselineDir)), { label: `this build ${commit}`, main: undefined }];
  return measureStringsAb(builds, options.typeRequests, options.typePipelinedRequests, options.memoryKeys, progress);
}

/**
 * --compare REV: a detached worktree of REV beside this checkout (under the system's temp
 * directory, reused when it is already at REV), sharing this checkout's node_modules, built.
 */
function checkoutAndBuild(ref: string, progress: Progress): string {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `raftis-compare-${sha.slice(0, 12)}`);
  const line = progress.start(`baseline ${ref} (${sha.slice(0, 12)}): checkout and build in ${dir}`);
  if (!existsSync(dir)) execFileSync('git', ['worktree', 'add', '--detach', dir, sha], { stdio: 'ignore' });
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
  execFileSync('npm', ['run', 'build'], { cwd: dir, stdio: 'ignore' });
  line.done('built');
  return dir;
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const options = parseBenchOptions(process.argv.slice(2), stamp);
  if (typeof options === 'string') {
    process.stderr.write(`${options === '' ? '' : `bench: ${options}\n`}${USAGE}\n`);
    return options === '' ? 0 : 64;
  }
  if (!existsSync(RAFTIS_MAIN)) {
    process.stderr.write(`bench: ${RAFTIS_MAIN} is missing: run \`npm run build\` first\n`);
    return 1;
  }
  if (options.ports !== null) usePortRange(options.ports.first, options.ports.last);
  const results = emptyResults();
  const commit = gitCommit();
  const versions: Record<string, string> = { raftis: `commit ${commit}`, node: process.version };
  const redis = redisVersion();
  if (redis === null || !commandExists('redis-benchmark')) results.skipped.push('Redis: redis-server or redis-benchmark is not installed (apt-get install redis-server redis-tools); Redis rows and pipelined SET are missing.');
  else versions.redis = /v=(\S+)/.exec(redis)?.[1] ?? redis;
  const etcd = ensureEtcd();
  let etcdLoad: string | null = null;
  if ('skipped' in etcd) results.skipped.push(`etcd: ${etcd.skipped}; etcd rows and the ratios against etcd are missing.`);
  else {
    versions.etcd = etcd.version;
    const load = ETCD_WORKLOADS.some((w) => options.only.has(w)) ? ensureEtcdLoad() : null;
    if (load !== null && 'skipped' in load) results.skipped.push(`etcd: ${load.skipped} (apt-get install ${ETCD_LOAD_PACKAGES.join(' ')}); etcd rows and the ratios against etcd are missing.`);
    else if (load !== null) {
      etcdLoad = load.binary;
      versions['etcd load generator'] = `bench/etcd-load (gRPC, built with ${load.go})`;
    }
  }

  const machine = machineInfo();
  const loadAtStart = loadAverage();
  process.stdout.write(`raftis benchmark (${options.quick ? 'quick' : 'full'}): ${[...options.only].join(', ')}\n`);
  process.stdout.write(`machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memory}; load ${loadAtStart}\n`);
  for (const skipped of results.skipped) process.stdout.write(`skipped: ${skipped}\n`);
  if (options.profileDir !== null) process.stdout.write(`profiling raftis nodes into ${options.profileDir}\n`);

  const progress = new Progress();
  await throughputPhase(options, progress, results, versions, etcdLoad);
  if (options.only.has('replication')) {
    for (const nodes of REPLICATION_SIZES) results.replication.push(await measureReplication(nodes, options.replicationMs, options.profileDir, progress));
  }
  if (options.only.has('failover')) results.failover = await measureFailover(options.failoverRounds, options.profileDir, progress);
  if (options.only.has('memory')) {
    if (versions.redis === undefined) results.skipped.push('memory: Redis is not installed, so there is no RSS to compare with.');
    else results.memory.push(...await measureMemory(options.memoryKeys, options.profileDir, progress));
  }

  let typeMemory: TypeMemoryResult | null = null;
  if (options.only.has('type-memory') && versions.redis !== undefined) {
    typeMemory = { rows: await measureTypeMemory(options.typeMemoryElements, options.profileDir, progress), machine, commit, commandLine: options.commandLine };
  }

  const typePasses = await typesPhase(options, progress, versions);
  const types: TypesResult | null = typePasses === null ? null : { passes: typePasses, machine, commit, commandLine: options.commandLine };
  const scripting = await scriptingPhase(options, progress, versions);
  const scripts: ScriptsResult | null = scripting === null || scripting.scripts.length === 0 ? null : { passes: scripting.scripts, machine, commit, commandLine: options.commandLine };
  const bullmq: BullmqResult | null = scripting === null || scripting.jobs.length === 0 ? null : { systems: scripting.jobs, machine, commit, commandLine: options.commandLine };
  const ab = await stringsAbPhase(options, progress, commit);
  const stringsAb: StringsAbResult | null = ab === null ? null : { ...ab, machine, commandLine: options.commandLine };

  let snapshot: SnapshotBenchResult | null = null;
  if (options.only.has('snapshot')) snapshot = await measureSnapshots(options.quick, options.profileDir, machine, options.commandLine, progress);

  let profile: RunInfo['profile'] = null;
  if (options.profileDir !== null && existsSync(options.profileDir)) {
    const files = profileFiles(options.profileDir);
    profile = { dir: options.profileDir, files, summary: summarizeProfiles(files) };
  }
  const targets = checkTargets(results, types, loadAtStart);
  const finishedAt = new Date();
  writeReport(options, { startedAt, finishedAt, machine, loadAtStart, loadAtEnd: loadAverage(), versions, commit, profile }, results, targets, { snapshot, typeMemory, types, stringsAb, scripts, bullmq });
  mkdirSync('bench/results', { recursive: true });
  const jsonPath = join('bench/results', `run-${stamp}.json`);
  writeFileSync(jsonPath, JSON.stringify({ options: { ...options, only: [...options.only] }, machine, versions, results, snapshot, typeMemory, types, stringsAb, scripts, bullmq, targets }, null, 2));

  progress.printSummary();
  process.stdout.write('\nTargets\n');
  for (const t of targets) process.stdout.write(`  ${t.pass === null ? 'n/a ' : t.pass ? 'pass' : 'FAIL'}  ${t.name}: ${t.measured} (goal ${t.goal})\n`);
  process.stdout.write(`\nreport: ${options.reportPath}; raw results: ${jsonPath}\n`);
  if (profile !== null) {
    process.stdout.write(`cpu profiles: ${profile.files.length} .cpuprofile files in ${profile.dir}\n`);
    process.stdout.write(`  top functions by self time (share of busy time; summarize again with: node --import tsx bench/cpuprofile-summary.ts ${profile.dir})\n`);
    for (const f of profile.summary.functions.slice(0, 10)) process.stdout.write(`  ${f.selfMs.toFixed(0).padStart(7)} ms ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name} ${f.location} ← ${f.topCaller}\n`);
  }
  return 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAllSpawned();
    process.exit(130);
  });
}

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  killAllSpawned();
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
