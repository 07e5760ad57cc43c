// Strings before and after (issue 15: string keys must not get bigger or slower on the
// generic keyspace): this build against another checkout's build (`--baseline DIR`, its
// dist/ built), in one run. Each build in turn gets a fresh 3-node cluster for
// redis-benchmark SET and GET (without pipelining and with -P 16; two rounds, the order
// swapped in the second, since a shared machine's speed drifts), then a fresh cluster loaded
// with 1M × 100 B keys by pipelined MSET for its RSS (as the memory workload).

import { join, resolve } from 'node:path';
import { keptSection, keptSectionLines } from './kept-section.js';
import { benchValue } from './load-clients.js';
import { loadAverage, type MachineInfo } from './machine.js';
import { MEMORY_VALUE_BYTES } from './memory.js';
import { preloadResp } from './preload.js';
import type { Progress } from './progress.js';
import { RaftisCluster } from './systems/raftis-cluster.js';
import { TYPE_CLIENTS, TYPE_PIPELINE_DEPTH, TYPE_VALUE_BYTES, rateOf, runTypePass, setCpu, setRate, type TypePass } from './types-throughput.js';
import { loadedClusterRss, type ClusterRss } from './types-memory.js';

const ROUNDS = 2;
const SECTION = keptSection('STRINGS-AB', 'the strings-ab workload');

export interface BuildUnderTest {
  /** "baseline" or "this build", with its commit. */
  readonly label: string;
  /** Its CLI; undefined = this checkout's dist/. */
  readonly main: string | undefined;
}

export interface StringsAbResult {
  readonly builds: readonly string[];
  readonly passes: TypePass[];
  readonly memory: (ClusterRss & { readonly build: string; readonly keys: number; readonly loadAtStart: string; readonly loadAtEnd: string })[];
  readonly machine: MachineInfo;
  readonly commandLine: string;
}

export function baselineBuild(dir: string, commit: string): BuildUnderTest {
  return { label: `baseline ${commit}`, main: resolve(join(dir, 'dist/src/cli/main.js')) };
}

export async function measureStringsAb(builds: readonly BuildUnderTest[], requests: number, pipelinedRequests: number, keys: number, progress: Progress): Promise<Omit<StringsAbResult, 'machine' | 'commandLine'>> {
  const passes: TypePass[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
      const cluster = await RaftisCluster.start({ nodes: 3, profileDir: null, ...(build.main === undefined ? {} : { main: build.main }) });
      try {
        const leader = await cluster.waitForLeader();
        const cpu = (): number | null => cluster.cpuSeconds();
        passes.push(await runTypePass(`${build.label} (round ${round + 1})`, leader.port, requests, 1, progress, cpu, ['set', 'get']));
        passes.push(await runTypePass(`${build.label} (round ${round + 1})`, leader.port, pipelinedRequests, TYPE_PIPELINE_DEPTH, progress, cpu, ['set', 'get']));
      } finally {
        await cluster.stop();
      }
    }
  }
  const memory: StringsAbResult['memory'] = [];
  const value = benchValue(MEMORY_VALUE_BYTES);
  for (const build of builds) {
    const line = progress.start(`memory ${build.label}: ${keys} keys × ${MEMORY_VALUE_BYTES} B`);
    const loadAtStart = loadAverage();
    const rss = await loadedClusterRss(build.main, null, (port) => preloadResp(port, keys, (i) => `mem:${String(i).padStart(8, '0')}`, value));
    memory.push({ ...rss, build: build.label, keys, loadAtStart, loadAtEnd: loadAverage() });
    line.done(`largest node ${mib(rss.raftisRss)} loaded, ${mib(rss.raftisRssSettled)} settled`);
  }
  return { builds: builds.map((b) => b.label), passes, memory };
}

const mib = (bytes: number | null): string => (bytes === null ? '–' : `${(bytes / 1048576).toFixed(0)} MiB`);
const micros = (v: number | null): string => (v === null ? '–' : v.toFixed(0));
const rate = (v: number | null): string => (v === null ? '–' : Math.round(v).toLocaleString('en-US'));

export function stringsAbReportSection(reportPath: string, result: StringsAbResult | null): string[] {
  if (result === null) return keptSectionLines(reportPath, SECTION, null);
  const m = result.machine;
  const lines = ['## Strings before and after the generic keyspace', '',
    `- Command: \`${result.commandLine}\`; machine: ${m.cores} cores, ${m.cpuModel}, ${m.memory} RAM, disk ${m.disk}, Node ${m.node}.`,
    `- Builds: ${result.builds.join(', ')}. Throughput: each build in turn on a fresh 3-node cluster (default settings), \`redis-benchmark -t set\` then \`-t get\` (${TYPE_CLIENTS} clients, ${TYPE_VALUE_BYTES}-byte values, random keys among 100k) without pipelining and with -P ${TYPE_PIPELINE_DEPTH}, ${ROUNDS} rounds with the order of the builds swapped in the second; "CPU µs/req" is the three nodes' CPU time (user + system) during the run over its requests, which a loaded machine moves far less than the rate. Memory: a fresh cluster per build, 1M keys × ${MEMORY_VALUE_BYTES} B by pipelined MSET (100 pairs per command), VmRSS of the largest node 2 s after every node applied the load and the lowest seen while it idled for a minute.`,
    '',
    '| build, round | -P | SET req/s (mean of 2 runs) | SET CPU µs/req | GET req/s | GET CPU µs/req | load at start → end |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...result.passes.map((p) => `| ${p.system} | ${p.pipeline} | ${rate(setRate(p))} | ${micros(setCpu(p))} | ${rate(rateOf(p, 'GET'))} | ${micros(p.cpuMicrosPerRequest.GET ?? null)} | ${p.loadAtStart} → ${p.loadAtEnd} |`),
    '',
    '| build | keys | RSS loaded (node) | RSS settled | heap | load at start → end |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...result.memory.map((r) => `| ${r.build} | ${r.keys.toLocaleString('en-US')} | ${mib(r.raftisRss)} (${r.raftisNode}) | ${mib(r.raftisRssSettled)} | ${mib(r.raftisHeap)} | ${r.loadAtStart} → ${r.loadAtEnd} |`),
    ''];
  return keptSectionLines(reportPath, SECTION, lines);
}
