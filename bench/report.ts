// Writes docs/benchmarks.md and its SVG charts from one run's results. The file is
// regenerated on every run; the hand-written analysis between the ANALYSIS markers is
// carried over from the previous file.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DEFAULT_REPORT, KEPT_SECTION_WORKLOADS, WORKLOADS, type BenchOptions } from './bench-options.js';
import { formatSummaryTable, type ProfileSummary } from './cpuprofile-summary.js';
import type { MachineInfo } from './machine.js';
import { MIX_CLIENTS, READ_CLIENTS, WRITE_CLIENTS, WRITE_VARIANT_CLIENTS } from './throughput.js';
import { WRITE_SCRIPT } from './load-clients.js';
import { ETCD_LOAD_PACKAGES } from './etcd-load.js';
import { PIPELINE_CLIENTS, PIPELINE_DEPTH, redisBenchmarkArgs } from './pipelined.js';
import { REPLICATION_SIZES } from './replication.js';
import { snapshotReportSection, type SnapshotBenchResult } from './snapshot.js';
import { typeMemoryReportSection, type TypeMemoryResult } from './types-memory.js';
import { typesReportSection, type TypesResult } from './types-throughput.js';
import { stringsAbReportSection, type StringsAbResult } from './strings-ab.js';
import { bullmqReportSection, scriptsReportSection, type BullmqResult, type ScriptsResult } from './scripts.js';
import { RAFTIS_PROCESS_LABELS } from './systems/raftis-cluster.js';
import { percentileOf, type BenchResults, type LatencyRow, type SystemName } from './results.js';
import { barChartSvg, lineChartSvg } from './svg-chart.js';
import type { TargetCheck } from './targets.js';
import { spliceKeptSections } from './kept-section.js';

export const ANALYSIS_START = '<!-- ANALYSIS:START (hand-written; kept when the harness rewrites this file) -->';
export const ANALYSIS_END = '<!-- ANALYSIS:END -->';

export interface RunInfo {
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly machine: MachineInfo;
  readonly loadAtStart: string;
  readonly loadAtEnd: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly commit: string;
  readonly profile: { readonly dir: string; readonly files: readonly string[]; readonly summary: ProfileSummary } | null;
}

const SYSTEMS: readonly SystemName[] = ['raftis', 'etcd', 'redis'];
const SYSTEM_LABELS: Record<SystemName, string> = { raftis: 'raftis 3 nodes', etcd: 'etcd 3 nodes', redis: 'Redis 1 node (AOF always)' };

const num = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const rate = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');
const mib = (v: number | null): string => (v === null ? '–' : `${(v / 1048576).toFixed(0)} MiB`);

/** A closed-loop row's load generator: CPU µs per request and the cores it kept busy ("9.8 (0.41)"). */
function generatorCell(row: LatencyRow): string {
  const us = row.loadGeneratorCpuMicrosPerRequest;
  if (us === undefined || us === null) return '–';
  return `${num(us, 1)} (${row.loadGeneratorCores === undefined || row.loadGeneratorCores === null ? '–' : num(row.loadGeneratorCores)})`;
}

/** `variant` names the column of LatencyRow.variant (null: no such column); `label` turns a row's variant into its cell. */
function latencyTable(rows: readonly LatencyRow[], variant: { readonly column: string; readonly label: (row: LatencyRow) => string } | null): string {
  const head = `| system |${variant === null ? '' : ` ${variant.column} |`} clients | ops/s | p50 ms | p95 ms | p99 ms | errors | server CPU µs/req (per process = sum) | load generator CPU µs/req (cores) |`;
  const lines = [head, `|${' --- |'.repeat(variant === null ? 2 : 3)}${' ---: |'.repeat(7)}`];
  for (const r of rows) {
    const cells = [SYSTEM_LABELS[r.system], ...(variant === null ? [] : [variant.label(r)]), String(r.clients), rate(r.opsPerSecond), num(r.p50Ms), num(r.p95Ms), num(r.p99Ms), String(r.errors), cpuCell(r.serverCpuMicrosPerRequest), generatorCell(r)];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

const byVariant = (column: string) => ({ column, label: (row: LatencyRow) => row.variant });
/** Plain writes are SET on the RESP systems and a gRPC put on etcd. */
const WRITE_VARIANT = { column: 'request', label: (row: LatencyRow) => (row.variant !== '' ? (row.system === 'etcd' ? `put, ${row.variant}` : row.variant) : row.system === 'etcd' ? 'put (gRPC)' : 'SET') };

function writeChart(docsDir: string, name: string, svg: string): string {
  const dir = join(docsDir, 'benchmarks');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.svg`), svg);
  return `![${name}](benchmarks/${name}.svg)`;
}

function previousAnalysis(path: string): string {
  if (!existsSync(path)) return 'No analysis written yet.';
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(ANALYSIS_START);
  const end = text.indexOf(ANALYSIS_END);
  return start >= 0 && end > start ? text.slice(start + ANALYSIS_START.length, end).trim() : 'No analysis written yet.';
}

/** Results of the workloads whose report sections are kept across runs that do not measure them. */
export interface SectionResults {
  readonly snapshot: SnapshotBenchResult | null;
  readonly typeMemory: TypeMemoryResult | null;
  readonly types: TypesResult | null;
  readonly stringsAb: StringsAbResult | null;
  readonly scripts: ScriptsResult | null;
  readonly bullmq: BullmqResult | null;
}

/** Each kept section, in report order: this run's lines (with markers), or the previous report's copy when the run did not measure it. */
function keptSections(path: string, sections: SectionResults): { readonly lines: string[]; readonly measured: boolean }[] {
  return [
    { lines: snapshotReportSection(path, sections.snapshot), measured: sections.snapshot !== null },
    { lines: typesReportSection(path, sections.types), measured: sections.types !== null },
    { lines: typeMemoryReportSection(path, sections.typeMemory), measured: sections.typeMemory !== null },
    { lines: stringsAbReportSection(path, sections.stringsAb), measured: sections.stringsAb !== null },
    { lines: scriptsReportSection(path, sections.scripts), measured: sections.scripts !== null },
    { lines: bullmqReportSection(path, sections.bullmq), measured: sections.bullmq !== null },
  ];
}

/**
 * Writes the report: the whole file, or (options.reportMode 'sections', a partial run of kept-section
 * workloads) only the sections this run measured, the rest of an existing report left as it was.
 */
export function writeReport(options: BenchOptions, run: RunInfo, results: BenchResults, targets: readonly TargetCheck[], sections: SectionResults): void {
  const path = options.reportPath;
  if (options.reportMode === 'sections' && existsSync(path)) {
    const fresh = keptSections(path, sections).filter((k) => k.measured).map((k) => k.lines);
    writeFileSync(path, spliceKeptSections(readFileSync(path, 'utf8'), fresh, '## Analysis'));
    return;
  }
  writeWholeReport(options, run, results, targets, sections);
}

function writeWholeReport(options: BenchOptions, run: RunInfo, results: BenchResults, targets: readonly TargetCheck[], sections: SectionResults): void {
  const path = options.reportPath;
  const docsDir = dirname(path);
  const systemsIn = (rows: readonly LatencyRow[]): SystemName[] => SYSTEMS.filter((s) => rows.some((r) => r.system === s));
  const out: string[] = [];
  const m = run.machine;
  out.push('# Benchmarks', '',
    `Generated by \`${options.commandLine}\` (bench/main.ts); rerun it to regenerate this page. Only the analysis section is written by hand.`, '',
    `Usage: \`npm run build && npm run bench\` (full run, about 45 minutes; needs Debian's \`redis-server redis-tools\`, and \`${['etcd-server', ...ETCD_LOAD_PACKAGES].join(' ')}\` for the etcd rows, which the harness apt-get installs itself when it runs as root); \`-- --quick\` for short runs while developing; \`-- --only ${WORKLOADS.join(',')}\` to pick workloads (a partial run writes ${DEFAULT_REPORT} only for ${KEPT_SECTION_WORKLOADS.join(', ')} alone, replacing just their sections; any other needs \`--report PATH\`); \`-- --profile\` to run the raftis nodes under \`node --cpu-prof\` (profiles in bench/results/); \`-- --report PATH\` to write elsewhere; \`-- --ports FIRST-LAST\` to listen only on ports of that range (below 32768 on a shared machine); \`-- --compare REV\` (a git revision: checked out beside this one and built) or \`-- --baseline DIR\` (a checkout of another build, its dist/ built) adds the strings-ab workload, this build against that one in alternation. Targets are judged only when the 1-minute load average at the start is at most 1.5; a busier run records its numbers marked noisy. Raw results of every run go to bench/results/run-*.json.`, '',
    '## The run', '',
    `- Date: ${run.startedAt.toISOString()} to ${run.finishedAt.toISOString()} (${((run.finishedAt.getTime() - run.startedAt.getTime()) / 60000).toFixed(1)} min)`,
    `- Command: \`${options.commandLine}\` (${options.quick ? 'quick mode: short durations, for development' : 'full mode'}${options.profileDir === null ? '' : ', raftis nodes under --cpu-prof'}), with dist/ as built from the tree at commit \`${run.commit}\` when the run started`,
    `- Machine: ${m.cores} cores (\`nproc\`), ${m.cpuModel}, ${m.memory} RAM; disk: ${m.disk}; Linux ${m.kernel}; Node ${m.node}`,
    `- Load average (1/5/15 min) at start: ${run.loadAtStart}; at end: ${run.loadAtEnd}. The machine is shared with other jobs, so absolute numbers carry their noise; ratios between systems measured minutes apart in the same run are the fairer comparison.`,
    `- Versions: ${Object.entries(run.versions).map(([k, v]) => `${k} ${v}`).join('; ')}`,
    `- Durations: ${options.durationMs / 1000} s per closed-loop measurement after ${options.warmupMs / 1000} s of unrecorded writes at 64 clients per system, ${options.sustainedMs / 1000} s sustained, ${options.replicationMs / 1000} s per replication size, ${options.failoverRounds} failover kills, ${options.memoryKeys.toLocaleString('en-US')} keys for memory.`,
    '',
    '### How each system is driven', '',
    '- **raftis**: 3 node processes of `node dist/src/cli/main.js server` started by the harness on loopback ports, default settings (every write fsynced on a majority before its reply; linearizable reads unless a connection sets `RAFT.CONSISTENCY`). Load clients connect to the leader.',
    '- **etcd**: 3 `etcd` processes (Debian etcd-server), default fsync, data in a temporary directory, peers on loopback. Load clients connect to the leader\'s client URL.',
    '- **Redis**: one `redis-server --appendonly yes --appendfsync always`, the unreplicated ceiling.',
    `- **Load generator**: a process of its own per measurement, apart from the harness and from every server process (but sharing the same cores with them). Closed loop: each client is one connection with one request in flight; keys uniform over 100k, values 256 bytes. raftis and Redis are driven by our RESP client (bench/load-worker.ts on bench/resp-client.ts, on \`encodeCommand\` and \`ReplyParser\` of src/resp/; latency in a log-linear histogram, bench/histogram.ts, ≤ 1.6 % bucket error); etcd by a Go client of its gRPC API (bench/etcd-load/main.go: the KV stubs of Debian's golang-etcd-server-dev, one gRPC connection per client, exact percentiles), built by the harness with Debian's golang-go (\`apt-get install ${ETCD_LOAD_PACKAGES.join(' ')}\`; installed by the harness when it runs as root). Every closed-loop row reports the CPU time (user + system, /proc/PID/stat) of each server process and of the load generator between the moment its clients are connected and its result, per successful request; the load generator's "cores" is its CPU time over the run's wall time, so it shows whether the generator could have been the bottleneck.`,
    `- **Pipelined SET**: the stock \`redis-benchmark ${redisBenchmarkArgs(0, options.pipelinedRequests).join(' ').replace('-p 0', '-p PORT')}\` against raftis's leader and Redis.`,
    '');
  if (results.skipped.length > 0) out.push('**Skipped:**', '', ...results.skipped.map((s) => `- ${s}`), '');

  out.push('## Targets', '', '| target | measured | goal | result |', '| --- | --- | --- | --- |');
  for (const t of targets) out.push(`| ${t.name} | ${t.measured} | ${t.goal} | ${t.pass === null ? 'n/a' : t.pass ? '**pass**' : '**FAIL**'} |`);
  out.push('');

  const writes = results.rows.filter((r) => r.workload === 'writes');
  if (writes.length > 0) {
    const plain = writes.filter((r) => r.variant === '');
    const systems = systemsIn(plain);
    const series = (pick: (r: LatencyRow) => number) => systems.map((s) => ({ name: SYSTEM_LABELS[s], values: WRITE_CLIENTS.map((c) => { const r = plain.find((w) => w.system === s && w.clients === c); return r === undefined ? null : pick(r); }) }));
    out.push('## Writes (SET / put, 256 B)', '',
      `Beside SET on the RESP systems, at ${WRITE_VARIANT_CLIENTS} clients: \`EVALSHA\` of \`${WRITE_SCRIPT}\` and the SET as a transaction (\`MULTI\`, \`SET\`, \`EXEC\` sent together); beside etcd's gRPC puts, the same puts through its JSON gateway (the client this harness used before), to show what the client alone changes.`, '',
      latencyTable(writes, WRITE_VARIANT), '',
      writeChart(docsDir, 'writes-throughput', barChartSvg({ title: 'Write throughput by concurrent clients', yLabel: 'writes/s', categories: WRITE_CLIENTS.map((c) => `${c} clients`), series: series((r) => r.opsPerSecond) })), '',
      writeChart(docsDir, 'writes-latency-p99', barChartSvg({ title: 'Write latency p99 by concurrent clients', yLabel: 'ms', categories: WRITE_CLIENTS.map((c) => `${c} clients`), series: series((r) => r.p99Ms) })), '');
  }
  const reads = results.rows.filter((r) => r.workload === 'reads');
  if (reads.length > 0) {
    const variants = [...new Set(reads.map((r) => `${r.system} ${r.variant}`))];
    out.push('## Reads by consistency level (GET / range)', '',
      'raftis: `linearizable` (ReadIndex), `lease` (leader lease), `stale` (local state). etcd: `linearizable` (serializable:false) and `serializable`. Redis: a plain GET.', '',
      latencyTable(reads, byVariant('mode')), '',
      writeChart(docsDir, 'reads-throughput', barChartSvg({
        title: 'Read throughput by consistency level', yLabel: 'reads/s', categories: variants,
        series: READ_CLIENTS.map((c) => ({ name: `${c} client${c === 1 ? '' : 's'}`, values: variants.map((v) => reads.find((r) => `${r.system} ${r.variant}` === v && r.clients === c)?.opsPerSecond ?? null) })),
      })), '');
  }
  const mixed = results.rows.filter((r) => r.workload === 'mixed');
  if (mixed.length > 0) out.push(`## Mixed read/write at ${MIX_CLIENTS} clients`, '', 'Reads are linearizable on raftis and etcd. ops/s counts reads and writes together.', '', latencyTable(mixed, byVariant('reads/writes')), '');
  if (results.pipelined.length > 0) {
    out.push(`## Pipelined SET (redis-benchmark -P ${PIPELINE_DEPTH} -c ${PIPELINE_CLIENTS})`, '',
      'Server CPU: each server process\'s CPU time (user + system, /proc/PID/stat) during the run over its requests, per node and summed; load generator: redis-benchmark\'s own.', '',
      '| system | requests/s | p50 ms | p99 ms | server CPU µs/req (per node = sum) | load generator CPU µs/req | note |', '| --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const p of results.pipelined) out.push(`| ${SYSTEM_LABELS[p.system]} | ${p.requestsPerSecond === null ? '–' : rate(p.requestsPerSecond)} | ${p.p50Ms === null ? '–' : num(p.p50Ms)} | ${p.p99Ms === null ? '–' : num(p.p99Ms)} | ${cpuCell(p.serverCpuMicrosPerRequest)} | ${p.loadGeneratorCpuMicrosPerRequest == null ? '–' : num(p.loadGeneratorCpuMicrosPerRequest)} | ${p.error ?? ''} |`);
    out.push('');
  }
  if (results.sustained.length > 0) {
    const sustained = results.rows.filter((r) => r.workload === 'sustained');
    out.push(`## Sustained writes (${options.sustainedMs / 1000} s, 64 clients)`, '', latencyTable(sustained, null), '',
      '| system | min/s | median/s | max/s |', '| --- | ---: | ---: | ---: |',
      ...results.sustained.map((s) => `| ${SYSTEM_LABELS[s.system]} | ${rate(Math.min(...s.perSecond))} | ${rate(percentileOf(s.perSecond, 50))} | ${rate(Math.max(...s.perSecond))} |`), '',
      writeChart(docsDir, 'sustained', lineChartSvg({ title: 'Sustained write throughput per second (64 clients)', xLabel: 'second', yLabel: 'writes/s', series: results.sustained.map((s) => ({ name: SYSTEM_LABELS[s.system], points: s.perSecond })) })), '');
  }
  if (results.replication.length > 0) {
    out.push('## Replication latency by cluster size (raftis)', '',
      'Time from a write\'s acknowledgement (OK from the leader) to its value being readable on **every** follower. Method: one writer on the leader SETs a fresh value; on the OK, one connection per follower in `RAFT.CONSISTENCY stale` (the follower\'s own applied state) GETs the key in a tight loop, one request in flight, until the new value appears; the sample is the slowest follower. The polling loads the followers and rounds each sample up to the next poll reply, so it slightly overstates the apply delay. One write at a time, so this is the latency of an idle cluster, not under load.', '',
      '| nodes | samples | p50 ms | p95 ms | p99 ms | errors |', '| ---: | ---: | ---: | ---: | ---: | ---: |',
      ...results.replication.map((r) => `| ${r.nodes} | ${r.samples} | ${num(r.p50Ms, 3)} | ${num(r.p95Ms, 3)} | ${num(r.p99Ms, 3)} | ${r.errors} |`), '',
      writeChart(docsDir, 'replication', barChartSvg({
        title: 'Ack → applied on every follower', yLabel: 'ms', categories: REPLICATION_SIZES.filter((n) => results.replication.some((r) => r.nodes === n)).map((n) => `${n} nodes`),
        series: (['p50Ms', 'p95Ms', 'p99Ms'] as const).map((k) => ({ name: k.replace('Ms', ''), values: results.replication.map((r) => r[k]) })),
      })), '');
  }
  if (results.failover !== null) {
    const f = results.failover;
    out.push('## Failover (raftis, 3 nodes)', '',
      'Under a light write load (2 closed-loop clients on each follower), the leader is killed with SIGKILL; a probe connection on a surviving node sends SET right after the kill and retries at once on any error. The sample is kill → first OK. The killed node is restarted and the cluster agrees on a leader before the next round. Election timeout is the default 10 ticks × 100 ms, randomized up to twice that.', '',
      '| kills | recovered | p50 ms | p99 ms | min ms | max ms |', '| ---: | ---: | ---: | ---: | ---: | ---: |',
      `| ${f.samplesMs.length + f.failures} | ${f.samplesMs.length} | ${num(percentileOf(f.samplesMs, 50), 0)} | ${num(percentileOf(f.samplesMs, 99), 0)} | ${num(Math.min(...f.samplesMs), 0)} | ${num(Math.max(...f.samplesMs), 0)} |`, '',
      `Samples (ms): ${f.samplesMs.map((s) => s.toFixed(0)).join(', ')}`, '');
  }
  if (results.memory.length > 0) {
    const keys = results.memory[0]?.keys ?? 0;
    out.push(`## Memory (${keys.toLocaleString('en-US')} keys × 100 B)`, '',
      'VmRSS from /proc/PID/status, empty, 2 s after loading with pipelined MSET (100 pairs per command) once every node has applied the load ("loaded"), and the lowest seen while each process idled for 30 s after that ("settled": a node collects the load\'s garbage and gives its pages back once it has idled 5 s). raftis RSS includes the V8 heap, the Raft log not yet compacted into a snapshot (a snapshot is taken every 64 MiB of applied entries by default, `--snapshot-log-bytes`, and 8 MiB are kept after it) and buffers. The goal (≤ 1.5× redis-server) is checked on the settled figures.', '',
      '| system | process | empty | loaded | settled | growth (settled) |', '| --- | --- | ---: | ---: | ---: | ---: |',
      ...results.memory.map((r) => `| ${r.system} | ${r.node} | ${mib(r.emptyRssBytes)} | ${mib(r.loadedRssBytes)} | ${mib(r.settledRssBytes)} | ${r.emptyRssBytes === null || r.settledRssBytes === null ? '–' : mib(r.settledRssBytes - r.emptyRssBytes)} |`), '');
  }
  for (const section of keptSections(path, sections)) out.push(...section.lines);
  if (run.profile !== null) {
    out.push('## CPU profile of the raftis nodes', '',
      `\`--profile\` ran every raftis node under \`node --cpu-prof\`; ${run.profile.files.length} profiles in \`${run.profile.dir}\` (${(run.profile.summary.totalMs / 1000).toFixed(1)} s sampled over all nodes and workloads, of which ${((run.profile.summary.totalMs - run.profile.summary.idleMs) / 1000).toFixed(1)} s busy; nodes killed by the failover workload write none). Self time per function, all profiles together, as a share of busy time (bench/cpuprofile-summary.ts):`, '',
      '| profile | node | sampled s | busy s | busy |', '| --- | --- | ---: | ---: | ---: |',
      ...run.profile.summary.perFile.map((f) => {
        const pid = Number(/\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(f.path)?.[1] ?? NaN);
        const busyMs = f.totalMs - f.idleMs;
        return `| \`${basename(f.path)}\` | ${RAFTIS_PROCESS_LABELS.get(pid) ?? '?'} | ${(f.totalMs / 1000).toFixed(1)} | ${(busyMs / 1000).toFixed(1)} | ${f.totalMs > 0 ? ((100 * busyMs) / f.totalMs).toFixed(0) : '–'} % |`;
      }), '',
      formatSummaryTable(run.profile.summary, 25), '',
      `Summarize again, or one file alone: \`node --import tsx bench/cpuprofile-summary.ts ${run.profile.dir} --top 40\`.`, '');
  }
  out.push('## Analysis', '', ANALYSIS_START, previousAnalysis(path), ANALYSIS_END, '');
  mkdirSync(docsDir, { recursive: true });
  writeFileSync(path, out.join('\n'));
}

/** Per-process CPU µs per request and their sum ("12.0 + 5.1 + 5.0 = 22.1"), or – when not measured. */
function cpuCell(perProcess: readonly number[] | undefined): string {
  if (perProcess === undefined || perProcess.length === 0) return '–';
  const sum = perProcess.reduce((a, b) => a + b, 0);
  return perProcess.length === 1 ? num(sum) : `${perProcess.map((us) => num(us)).join(' + ')} = ${num(sum)}`;
}
