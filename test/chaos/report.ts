// What a chaos run leaves behind: per-second statistics, a one-page summary and a
// hand-written SVG timeline (ok / fail / info counts per second, p99 latency, faults shaded).

import type { NemesisEvent } from './nemesis.js';
import type { OpRecord } from './workload.js';

export interface SecondStats {
  readonly second: number;
  readonly ok: number;
  readonly fail: number;
  readonly info: number;
  readonly p99Ms: number;
}

export function perSecond(records: readonly OpRecord[]): SecondStats[] {
  const buckets = new Map<number, OpRecord[]>();
  for (const record of records) {
    const second = Math.floor(record.retMs / 1000);
    let bucket = buckets.get(second);
    if (bucket === undefined) buckets.set(second, (bucket = []));
    bucket.push(record);
  }
  const last = Math.max(0, ...buckets.keys());
  const out: SecondStats[] = [];
  for (let second = 0; second <= last; second++) {
    const bucket = buckets.get(second) ?? [];
    const latencies = bucket.map((r) => r.retMs - r.callMs).sort((a, b) => a - b);
    out.push({
      second,
      ok: bucket.filter((r) => r.outcome === 'ok').length,
      fail: bucket.filter((r) => r.outcome === 'fail').length,
      info: bucket.filter((r) => r.outcome === 'info').length,
      p99Ms: latencies.length === 0 ? 0 : (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0),
    });
  }
  return out;
}

/** Fault windows: from each inject to the next heal of the same nemesis. */
export function faultWindows(events: readonly NemesisEvent[]): { startMs: number; endMs: number; label: string }[] {
  const windows: { startMs: number; endMs: number; label: string }[] = [];
  let open: NemesisEvent | null = null;
  for (const event of events) {
    if (event.step === 'inject') open = event;
    else if (event.step === 'heal' && open !== null) {
      windows.push({ startMs: open.atMs, endMs: event.atMs, label: `${open.nemesis}: ${open.detail}` });
      open = null;
    }
  }
  return windows;
}

export function availability(records: readonly OpRecord[], window?: { startMs: number; endMs: number }[]): { ok: number; total: number; percent: number } {
  const inside = window === undefined ? records : records.filter((r) => window.some((w) => r.callMs >= w.startMs && r.callMs < w.endMs));
  const ok = inside.filter((r) => r.outcome === 'ok').length;
  return { ok, total: inside.length, percent: inside.length === 0 ? 100 : (100 * ok) / inside.length };
}

const WIDTH = 900;
const HEIGHT = 320;
const MARGIN = { left: 50, right: 60, top: 30, bottom: 40 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function timelineSvg(title: string, stats: readonly SecondStats[], events: readonly NemesisEvent[]): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const seconds = Math.max(1, stats.length);
  const countMax = Math.max(1, ...stats.map((s) => s.ok + s.fail + s.info));
  const latencyMax = Math.max(1, ...stats.map((s) => s.p99Ms));
  const x = (second: number): number => MARGIN.left + (second / seconds) * plotWidth;
  const yCount = (count: number): number => MARGIN.top + plotHeight - (count / countMax) * plotHeight;
  const yLatency = (ms: number): number => MARGIN.top + plotHeight - (ms / latencyMax) * plotHeight;
  const barWidth = Math.max(1, plotWidth / seconds - 1);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  parts.push(`<text x="${MARGIN.left}" y="18" font-size="13">${escapeXml(title)}</text>`);
  for (const w of faultWindows(events)) {
    parts.push(`<rect x="${x(w.startMs / 1000).toFixed(1)}" y="${MARGIN.top}" width="${Math.max(1, x(w.endMs / 1000) - x(w.startMs / 1000)).toFixed(1)}" height="${plotHeight}" fill="#f4d03f" opacity="0.25"><title>${escapeXml(w.label)}</title></rect>`);
  }
  for (const s of stats) {
    let base = s.ok + s.fail + s.info;
    for (const [count, color] of [[s.info, '#c0392b'], [s.fail, '#e67e22'], [s.ok, '#27ae60']] as const) {
      if (count === 0) continue;
      parts.push(`<rect x="${x(s.second).toFixed(1)}" y="${yCount(base).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(yCount(base - count) - yCount(base)).toFixed(1)}" fill="${color}"/>`);
      base -= count;
    }
  }
  const line = stats.map((s) => `${(x(s.second) + barWidth / 2).toFixed(1)},${yLatency(s.p99Ms).toFixed(1)}`).join(' ');
  parts.push(`<polyline points="${line}" fill="none" stroke="#2c3e50" stroke-width="1.5"/>`);
  parts.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top + plotHeight}" x2="${MARGIN.left + plotWidth}" y2="${MARGIN.top + plotHeight}" stroke="black"/>`);
  parts.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotHeight}" stroke="black"/>`);
  parts.push(`<text x="5" y="${MARGIN.top + 10}">${countMax} ops</text><text x="5" y="${MARGIN.top + plotHeight}">0</text>`);
  parts.push(`<text x="${WIDTH - MARGIN.right + 5}" y="${MARGIN.top + 10}">${latencyMax.toFixed(0)} ms</text>`);
  parts.push(`<text x="${WIDTH - MARGIN.right + 5}" y="${MARGIN.top + 24}">p99</text>`);
  const step = Math.max(1, Math.ceil(seconds / 15));
  for (let second = 0; second < seconds; second += step) parts.push(`<text x="${x(second).toFixed(1)}" y="${MARGIN.top + plotHeight + 14}">${second}s</text>`);
  parts.push(`<text x="${MARGIN.left}" y="${HEIGHT - 6}">ok (green), fail (orange), info (red) per second; p99 latency line; faults shaded</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
