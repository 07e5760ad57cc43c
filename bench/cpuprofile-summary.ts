// Sums self time per function in V8 .cpuprofile files (written by node --cpu-prof): each
// sample names the node on top of the stack, and timeDeltas give each sample's duration.
// Usage as a script: node --import tsx bench/cpuprofile-summary.ts FILE|DIR [--top 20]

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

/** V8's pseudo-function for time the thread waited in the event loop: not work. */
const IDLE = '(idle)';

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface FunctionSelfTime {
  readonly name: string;
  readonly location: string;
  readonly selfMs: number;
  /** Share of the busy (non-idle) time of all profiles. */
  readonly share: number;
  /** The caller contributing most of this function's self time (who calls a native like writeBuffer). */
  readonly topCaller: string;
}

export interface ProfileSummary {
  readonly functions: FunctionSelfTime[];
  /** All sampled time, idle included. */
  readonly totalMs: number;
  readonly idleMs: number;
  readonly perFile: readonly { readonly path: string; readonly totalMs: number; readonly idleMs: number }[];
}

function describe(node: ProfileNode): { name: string; location: string } {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  if (url === '') return { name, location: '' };
  const path = url.startsWith('file://') ? relative(process.cwd(), fileURLToPath(url)) : url;
  return { name, location: `${path}:${lineNumber + 1}` };
}

/** Self time per function across the given profiles, largest first. */
export function summarizeProfiles(paths: readonly string[]): ProfileSummary {
  const selfUs = new Map<string, { name: string; location: string; us: number; callers: Map<string, number> }>();
  let totalUs = 0;
  let idleUs = 0;
  const perFile: { path: string; totalMs: number; idleMs: number }[] = [];
  for (const path of paths) {
    const totalBeforeUs = totalUs;
    const idleBeforeUs = idleUs;
    const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parentOf = new Map<number, ProfileNode>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
    profile.samples.forEach((id, i) => {
      const delta = profile.timeDeltas[i] ?? 0;
      const node = byId.get(id);
      if (node === undefined) throw new Error(`${path}: sample ${i} names node ${id}, which the profile lacks`);
      const { name, location } = describe(node);
      totalUs += delta;
      if (name === IDLE) {
        idleUs += delta;
        return;
      }
      const key = `${name} ${location}`;
      const entry = selfUs.get(key) ?? { name, location, us: 0, callers: new Map<string, number>() };
      entry.us += delta;
      const parent = parentOf.get(id);
      const caller = parent === undefined ? '' : describe(parent).name;
      entry.callers.set(caller, (entry.callers.get(caller) ?? 0) + delta);
      selfUs.set(key, entry);
    });
    perFile.push({ path, totalMs: (totalUs - totalBeforeUs) / 1000, idleMs: (idleUs - idleBeforeUs) / 1000 });
  }
  const busyUs = totalUs - idleUs;
  const functions = [...selfUs.values()]
    .map((e) => ({
      name: e.name, location: e.location, selfMs: e.us / 1000, share: busyUs > 0 ? e.us / busyUs : 0,
      topCaller: [...e.callers.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '',
    }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return { functions, totalMs: totalUs / 1000, idleMs: idleUs / 1000, perFile };
}

export function profileFiles(pathOrDir: string): string[] {
  if (!statSync(pathOrDir).isDirectory()) return [pathOrDir];
  return readdirSync(pathOrDir).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => join(pathOrDir, f));
}

export function formatSummaryTable(summary: ProfileSummary, top: number): string {
  const lines = ['| self ms | share of busy | function | where | mostly called from |', '| ---: | ---: | --- | --- | --- |'];
  for (const f of summary.functions.slice(0, top)) {
    lines.push(`| ${f.selfMs.toFixed(0)} | ${(f.share * 100).toFixed(1)} % | \`${f.name}\` | ${f.location === '' ? '' : `\`${f.location}\``} | ${f.topCaller === '' ? '' : `\`${f.topCaller}\``} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && basename(process.argv[1]) === 'cpuprofile-summary.ts') {
  const target = process.argv[2];
  const topIndex = process.argv.indexOf('--top');
  const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 20;
  if (target === undefined || !(top > 0)) {
    process.stderr.write('usage: node --import tsx bench/cpuprofile-summary.ts FILE|DIR [--top 20]\n');
    process.exit(64);
  }
  const files = profileFiles(target);
  const summary = summarizeProfiles(files);
  const busySeconds = (summary.totalMs - summary.idleMs) / 1000;
  process.stdout.write(`${files.length} profiles, ${(summary.totalMs / 1000).toFixed(1)} s sampled, ${busySeconds.toFixed(1)} s busy (not idle)\n${formatSummaryTable(summary, top)}\n`);
}
