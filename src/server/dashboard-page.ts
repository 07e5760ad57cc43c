// The dashboard page that admin HTTP serves at /: one HTML page, its stylesheet and script,
// and the chart library (uPlot, an npm dependency read from node_modules, so the page needs
// nothing beyond the node it came from: no CDN). The script polls dashboard.json every
// sample interval, asking only for what it has not seen, and draws the members, the charts
// of the member chosen and its events. Everything from the node goes into the page as text
// (textContent), never as markup.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { COMMAND_FAMILIES } from './dashboard-history.js';

export interface StaticAsset {
  readonly type: string;
  readonly body: string | Buffer;
}

/**
 * uPlot's script and stylesheet, from wherever npm installed the package (this repository's
 * node_modules, or the one of a project that depends on raftis). Read once, when admin HTTP
 * starts, so a missing package fails the start with a clear message rather than a blank chart.
 */
export function loadChartLibrary(): { script: StaticAsset; css: StaticAsset } {
  const require = createRequire(import.meta.url);
  const read = (file: string): Buffer => {
    try {
      return readFileSync(require.resolve(`uplot/dist/${file}`));
    } catch (error) {
      throw new Error(`the dashboard's chart library is missing (npm package uplot, ${file}): reinstall raftis's dependencies (npm ci). ${(error as Error).message}`);
    }
  };
  return {
    script: { type: 'text/javascript; charset=utf-8', body: read('uPlot.iife.min.js') },
    css: { type: 'text/css; charset=utf-8', body: read('uPlot.min.css') },
  };
}

/** No inline script or style, nothing from elsewhere: the page runs only what its node serves. */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>raftis dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/uplot.min.css">
<link rel="stylesheet" href="assets/dashboard.css">
</head><body>
<header>
  <div class="brand">raftis</div>
  <div id="headline" class="headline">connecting…</div>
  <div class="spacer"></div>
  <span id="live" class="pill" title="">connecting</span>
  <button id="theme" type="button" title="switch between light and dark">dark</button>
</header>
<div id="error" class="banner" hidden></div>
<main>
  <section class="card">
    <h2>Members <span class="muted" id="members-note"></span></h2>
    <div class="table-wrap"><table id="members">
      <thead><tr><th>member</th><th>role</th><th>health</th><th>client address</th><th>peer address</th><th class="num">term</th><th>applied index and lag</th><th class="num">ops/s</th><th class="num">keys</th><th class="num">memory</th></tr></thead>
      <tbody></tbody>
    </table></div>
  </section>
  <section class="card">
    <h2>Charts of <select id="viewed" aria-label="member to chart"></select> <span class="muted" id="window-note"></span></h2>
    <div id="tiles" class="tiles"></div>
    <div id="view-error" class="banner" hidden></div>
    <div id="charts" class="charts"></div>
    <p class="muted legend-note">Dashed lines mark leader and term changes. Latency is measured on the node charted, from dispatch to reply (a write includes reaching a quorum); percentiles are bucketed (within about 19%).</p>
  </section>
  <section class="card">
    <h2>Events seen by <span id="events-node"></span></h2>
    <ol id="events" class="events"></ol>
  </section>
</main>
<script src="assets/uplot.min.js"></script>
<script src="assets/dashboard.js"></script>
</body></html>
`;

export const DASHBOARD_CSS = `
:root{--bg:#f5f6f8;--card:#fff;--text:#1d2330;--muted:#667085;--line:#e3e6eb;--grid:rgba(0,0,0,.07);--axis:#4a5263;
--ok:#1e9e5a;--warn:#d48a00;--bad:#d33a3a;--off:#8a90a0;--accent:#3b6fd8;--bar:#3b6fd8;--bar-bg:#e7ebf3;--marker:rgba(120,80,200,.75)}
:root[data-theme=dark]{--bg:#0f1218;--card:#171b23;--text:#e4e7ee;--muted:#98a0b3;--line:#2a303c;--grid:rgba(255,255,255,.08);--axis:#aab2c5;
--ok:#3ccf7e;--warn:#f0b429;--bad:#ff6b6b;--off:#6b7285;--accent:#7aa2ff;--bar:#7aa2ff;--bar-bg:#262c38;--marker:rgba(190,150,255,.8)}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{display:flex;align-items:center;gap:14px;padding:12px 20px;background:var(--card);border-bottom:1px solid var(--line);position:sticky;top:0;z-index:5}
.brand{font-weight:700;font-size:18px;letter-spacing:.3px}
.headline{color:var(--muted)}.headline b{color:var(--text);font-weight:600}
.spacer{flex:1}
.pill{padding:2px 10px;border-radius:999px;font-size:12px;font-weight:600;background:var(--line);color:var(--muted)}
.pill.live{background:color-mix(in srgb,var(--ok) 18%,transparent);color:var(--ok)}
.pill.stale{background:color-mix(in srgb,var(--bad) 18%,transparent);color:var(--bad)}
button,select{font:inherit;color:var(--text);background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:3px 10px;cursor:pointer}
main{padding:16px 20px;display:grid;gap:16px;max-width:1600px;margin:0 auto}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
h2{font-size:15px;margin:0 0 10px;display:flex;align-items:center;gap:8px;flex-wrap:wrap}
.muted{color:var(--muted);font-weight:400;font-size:13px}
.banner{border:1px solid var(--bad);color:var(--bad);border-radius:8px;padding:8px 12px;margin:0 20px}
.card .banner{margin:0 0 10px}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
#members th,#members td{padding:7px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
#members th{font-size:12px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.4px}
#members .num{text-align:right;font-variant-numeric:tabular-nums}
#members tr.viewed td{background:color-mix(in srgb,var(--accent) 8%,transparent)}
.member{color:var(--accent);cursor:pointer;font-weight:600;background:none;border:0;padding:0}
.tag{font-size:11px;color:var(--muted);margin-left:6px}
.role{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;border:1px solid var(--line)}
.role-leader{background:color-mix(in srgb,var(--accent) 20%,transparent);border-color:var(--accent)}
.role-candidate,.role-pre-candidate{border-color:var(--warn);color:var(--warn)}
.role-learner{border-style:dashed}
.health::before{content:"";display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px;background:var(--off);vertical-align:middle}
.health-ok::before{background:var(--ok)}.health-lagging::before{background:var(--warn)}.health-unhealthy::before{background:var(--bad)}.health-unreachable::before{background:var(--off)}
.health-unreachable,.health-unhealthy{color:var(--bad)}
.progress{display:flex;align-items:center;gap:8px;min-width:260px}
.bar{flex:1;height:8px;border-radius:4px;background:var(--bar-bg);overflow:hidden;min-width:90px}
.bar>span{display:block;height:100%;background:var(--bar)}
.bar.lagging>span{background:var(--warn)}
.progress .idx{font-variant-numeric:tabular-nums;min-width:64px;text-align:right}
.progress .lag{font-size:12px;color:var(--muted);min-width:60px}
.progress .lag.behind{color:var(--warn)}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin-bottom:12px}
.tile{border:1px solid var(--line);border-radius:8px;padding:8px 12px}
.tile .label{font-size:12px;color:var(--muted)}.tile .value{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:14px}
.chart{border:1px solid var(--line);border-radius:8px;padding:8px 10px;min-width:0}
.chart h3{margin:0 0 4px;font-size:13px;font-weight:600}.chart h3 .muted{font-size:12px}
.chart .empty{color:var(--muted);font-size:13px;padding:40px 0;text-align:center}
.u-legend{color:var(--text);font-size:12px}.u-legend .u-marker{border-radius:2px}
.legend-note{margin:10px 0 0}
.events{list-style:none;margin:0;padding:0;max-height:360px;overflow-y:auto}
.events li{display:grid;grid-template-columns:90px 100px 1fr;gap:10px;padding:5px 4px;border-bottom:1px solid var(--line)}
.events time{color:var(--muted);font-variant-numeric:tabular-nums}
.kind{font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.4px;color:var(--muted)}
.kind-leader{color:var(--accent)}.kind-membership{color:var(--ok)}.kind-snapshot{color:var(--muted)}.kind-slow{color:var(--warn)}.kind-peer{color:var(--warn)}
.events .none{display:block;color:var(--muted)}
`;

/** The page's script; the command families come from the server's list, so colours stay fixed per family. */
export const DASHBOARD_SCRIPT = `'use strict';
(() => {
const FAMILIES = ${JSON.stringify(COMMAND_FAMILIES)};
const PALETTE = ['#4e79a7','#f28e2b','#e15759','#76b7b2','#59a14f','#edc948','#b07aa1','#ff9da7','#9c755f','#17becf','#bcbd22','#8c564b','#e377c2','#1f77b4','#7f7f7f','#a0cbe8'];
const EVENTS_SHOWN_MAX = 300;
/** Time-axis ticks fall on whole seconds and round minutes. */
const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];
const token = new URLSearchParams(location.hash.slice(1)).get('token');
const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = String(text); return e; };

const fmtCount = (v) => {
  if (v == null || Number.isNaN(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(1) + ' G';
  if (a >= 1e6) return (v / 1e6).toFixed(1) + ' M';
  if (a >= 1e4) return (v / 1e3).toFixed(1) + ' k';
  if (a >= 100) return String(Math.round(v));
  return String(Number(v.toFixed(a >= 10 ? 1 : 2)));
};
const fmtMs = (v) => {
  if (v == null || Number.isNaN(v)) return '–';
  if (v === 0) return '0';
  if (v < 1) return (v * 1000).toFixed(0) + ' µs';
  if (v < 10) return v.toFixed(2) + ' ms';
  if (v < 1000) return v.toFixed(1) + ' ms';
  return (v / 1000).toFixed(2) + ' s';
};
const fmtBytes = (v) => {
  if (v == null || Number.isNaN(v)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i === 0 ? v.toFixed(0) : v.toFixed(Math.abs(v) >= 100 ? 0 : 1)) + ' ' + units[i];
};
const fmtClock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });
const fmtDuration = (s) => s < 120 ? s + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : s < 172800 ? Math.round(s / 3600) + ' h' : Math.round(s / 86400) + ' d';

/** Each chart: its series read from a sample, their unit and scale ('y' on the left, 'r' on the right). */
const CHARTS = [
  { id: 'ops', title: 'Commands per second', unit: 'ops/s, by command family', fmt: fmtCount, series: (samples) => FAMILIES
      .filter((f) => samples.some((s) => (s.ops[f] || 0) > 0))
      .map((f) => ({ label: f, color: PALETTE[FAMILIES.indexOf(f) % PALETTE.length], get: (s) => s.ops[f] || 0 })) },
  { id: 'latency', title: 'Command latency', unit: 'ms, dispatch to reply', fmt: fmtMs, series: () => [
      { label: 'p50', color: '#4e79a7', get: (s) => s.p50Ms },
      { label: 'p99', color: '#e15759', get: (s) => s.p99Ms }] },
  { id: 'raft', title: 'Raft log', unit: 'entries/s', fmt: fmtCount, series: () => [
      { label: 'committed', color: '#59a14f', get: (s) => s.commitPerSec },
      { label: 'applied', color: '#f28e2b', get: (s) => s.applyPerSec, dash: [6, 4] }] },
  { id: 'wal', title: 'WAL sync', unit: 'mean fdatasync time; syncs/s on the right', fmt: fmtMs, right: fmtCount, series: () => [
      { label: 'sync time', color: '#b07aa1', get: (s) => s.walSyncMs },
      { label: 'syncs/s', color: '#76b7b2', get: (s) => s.walSyncsPerSec, scale: 'r' }] },
  { id: 'memory', title: 'Memory', unit: 'bytes', fmt: fmtBytes, series: () => [
      { label: 'keyspace', color: '#4e79a7', get: (s) => s.memoryBytes },
      { label: 'V8 heap', color: '#edc948', get: (s) => s.heapBytes },
      { label: 'resident (RSS)', color: '#9c755f', get: (s) => s.rssBytes }] },
  { id: 'keys', title: 'Keys and clients', unit: 'keys; client connections on the right', fmt: fmtCount, right: fmtCount, series: () => [
      { label: 'keys', color: '#59a14f', get: (s) => s.keys },
      { label: 'clients', color: '#e15759', get: (s) => s.clients, scale: 'r' }] },
];

const state = { viewed: null, samples: [], events: [], samplesAfter: 0, eventsAfter: 0, charts: new Map(), markers: [], theme: null, data: null, lastOk: 0, inFlight: false };

function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

function applyTheme(theme) {
  state.theme = theme;
  document.documentElement.dataset.theme = theme;
  $('theme').textContent = theme === 'dark' ? 'light' : 'dark';
  for (const chart of state.charts.values()) chart.plot?.destroy();
  state.charts.clear();
  if (state.data) drawCharts();
}

function initialTheme() {
  try { const saved = localStorage.getItem('raftis-theme'); if (saved === 'dark' || saved === 'light') return saved; } catch (e) { /* storage may be off */ }
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Vertical dashed lines where the leader or the term changed, labelled with both. */
function leaderMarkers(samples) {
  const out = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1], b = samples[i];
    if (a.term !== b.term || a.leader !== b.leader) out.push({ x: b.t / 1000, label: 'term ' + b.term + (b.leader ? ' · ' + b.leader : ' · no leader') });
  }
  return out;
}

function drawMarkers(u) {
  const ctx = u.ctx, dpr = devicePixelRatio || 1, { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.strokeStyle = css('--marker'); ctx.fillStyle = css('--marker');
  ctx.lineWidth = dpr; ctx.setLineDash([4 * dpr, 4 * dpr]);
  ctx.font = (11 * dpr) + 'px system-ui, sans-serif';
  for (const m of state.markers) {
    const x = Math.round(u.valToPos(m.x, 'x', true));
    if (x < left || x > left + width) continue;
    ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
    ctx.fillText(m.label, Math.min(x + 4 * dpr, left + width - ctx.measureText(m.label).width), top + 12 * dpr);
  }
  ctx.restore();
}

function chartOptions(spec, series, width) {
  const axis = css('--axis'), grid = css('--grid');
  const valueAxis = (fmt, side) => ({ scale: side === 1 ? 'r' : 'y', side, stroke: axis, size: 72, grid: { show: side !== 1, stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 }, values: (u, splits) => splits.map(fmt) });
  const axes = [{ stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, space: 90, incrs: TIME_STEPS_S, values: (u, splits) => splits.map((v) => fmtClock(v * 1000)) },
    valueAxis(spec.fmt, 3)];
  if (spec.right) axes.push(valueAxis(spec.right, 1));
  const fromZero = (u, min, max) => [0, max > 0 ? max * 1.08 : 1];
  return {
    width, height: 190,
    cursor: { points: { size: 6 } },
    scales: { x: { time: true }, y: { range: fromZero }, r: { range: fromZero } },
    axes,
    series: [{ value: (u, v) => v == null ? '–' : fmtClock(v * 1000) }, ...series.map((s) => ({
      label: s.label, stroke: s.color, width: 2, scale: s.scale || 'y', dash: s.dash, points: { show: false },
      value: (u, v) => (s.scale === 'r' ? spec.right : spec.fmt)(v),
    }))],
    hooks: { draw: [drawMarkers] },
  };
}

function drawCharts() {
  const samples = state.samples;
  const host = $('charts');
  state.markers = leaderMarkers(samples);
  const xs = samples.map((s) => s.t / 1000);
  for (const spec of CHARTS) {
    let chart = state.charts.get(spec.id);
    if (!chart) {
      const box = el('div', 'chart'); box.dataset.chart = spec.id;
      const h = el('h3', '', spec.title + ' '); h.append(el('span', 'muted', spec.unit));
      const body = el('div', 'body');
      box.append(h, body); host.append(box);
      chart = { box, body, plot: null, signature: '', width: 0 };
      state.charts.set(spec.id, chart);
    }
    const series = spec.series(samples);
    const withData = series.filter((s) => samples.some((x) => s.get(x) != null));
    chart.box.dataset.points = String(samples.length);
    chart.box.dataset.series = withData.map((s) => s.label).join(',');
    chart.box.dataset.markers = String(state.markers.length);
    chart.box.dataset.latest = samples.length === 0 ? '' : series.map((s) => s.label + '=' + s.get(samples[samples.length - 1])).join(',');
    if (samples.length < 2 || series.length === 0) {
      chart.plot?.destroy(); chart.plot = null; chart.signature = '';
      chart.body.replaceChildren(el('div', 'empty', samples.length < 2 ? 'collecting samples…' : 'no commands in this window'));
      continue;
    }
    const width = Math.max(chart.body.clientWidth || chart.box.clientWidth - 20, 240);
    const signature = series.map((s) => s.label).join('|');
    const data = [xs, ...series.map((s) => samples.map((x) => { const v = s.get(x); return v == null ? null : v; }))];
    if (chart.plot === null || chart.signature !== signature || Math.abs(chart.width - width) > 4) {
      chart.plot?.destroy();
      chart.body.replaceChildren();
      chart.plot = new uPlot(chartOptions(spec, series, width), data, chart.body);
      chart.signature = signature; chart.width = width;
    } else {
      chart.plot.setData(data);
    }
  }
}

function tile(label, value) { const t = el('div', 'tile'); t.append(el('div', 'label', label), el('div', 'value', value)); return t; }

function drawTiles() {
  const last = state.samples[state.samples.length - 1];
  const total = last ? Object.values(last.ops).reduce((a, b) => a + b, 0) : null;
  $('tiles').replaceChildren(
    tile('ops/s', last ? fmtCount(total) : '–'),
    tile('p99 latency', last ? fmtMs(last.p99Ms) : '–'),
    tile('commits/s', last ? fmtCount(last.commitPerSec) : '–'),
    tile('WAL sync', last ? fmtMs(last.walSyncMs) : '–'),
    tile('keys', last ? fmtCount(last.keys) : '–'),
    tile('keyspace memory', last ? fmtBytes(last.memoryBytes) : '–'),
    tile('term · leader', last ? last.term + ' · ' + (last.leader || 'none') : '–'));
}

function roleOf(m) {
  if (!m.report) return 'unknown';
  return m.membership === 'learner' ? 'learner' : m.report.role;
}

function memberRow(m, data, commit) {
  const tr = el('tr'); tr.dataset.member = m.id; tr.dataset.role = roleOf(m); tr.dataset.health = m.health;
  if (m.id === state.viewed) tr.className = 'viewed';
  const name = el('td'); const link = el('button', 'member', m.id); link.type = 'button'; link.title = 'chart ' + m.id;
  link.addEventListener('click', () => view(m.id)); name.append(link);
  if (m.id === data.node) name.append(el('span', 'tag', 'serving this page'));
  const role = el('td'); role.append(el('span', 'role role-' + roleOf(m), roleOf(m)));
  const health = el('td', 'health health-' + m.health, m.health === 'unhealthy' ? m.problem : m.health); if (m.problem) health.title = m.problem;
  const progress = el('td'); const box = el('div', 'progress');
  const applied = m.report ? m.report.appliedIndex : null;
  const bar = el('div', 'bar' + (m.health === 'lagging' ? ' lagging' : '')); const fill = el('span');
  fill.style.width = (applied == null || commit === 0 ? 0 : Math.min(100, 100 * applied / commit)).toFixed(1) + '%'; bar.append(fill);
  bar.title = applied == null ? 'unknown' : 'applied ' + applied + ' of ' + commit + ' committed';
  const lag = el('span', 'lag' + (m.lag ? ' behind' : ''), m.lag == null ? '' : m.lag === 0 ? 'up to date' : 'lag ' + fmtCount(m.lag));
  box.append(el('span', 'idx', applied == null ? '–' : applied), bar, lag); progress.append(box);
  const latest = m.report && m.report.latest;
  const ops = latest ? Object.values(latest.ops).reduce((a, b) => a + b, 0) : null;
  tr.append(name, role, health, el('td', '', m.client || '–'), el('td', '', m.peer || '–'), el('td', 'num', m.report ? m.report.term : '–'), progress,
    el('td', 'num', fmtCount(ops)), el('td', 'num', latest ? fmtCount(latest.keys) : '–'), el('td', 'num', latest ? fmtBytes(latest.memoryBytes) : '–'));
  return tr;
}

function drawMembers(data) {
  const commit = Math.max(0, ...data.members.map((m) => m.report ? m.report.commitIndex : 0));
  $('members').tBodies[0].replaceChildren(...data.members.map((m) => memberRow(m, data, commit)));
  const down = data.members.filter((m) => m.health !== 'ok').length;
  $('members-note').textContent = data.members.length + ' members' + (down > 0 ? ', ' + down + ' need attention' : ', all healthy');
  const select = $('viewed');
  const ids = data.members.map((m) => m.id);
  if (!ids.includes(data.node)) ids.push(data.node);
  if (select.options.length !== ids.length || [...select.options].some((o, i) => o.value !== ids[i])) {
    select.replaceChildren(...ids.map((id) => { const o = el('option', '', id + (id === data.node ? ' (this node)' : '')); o.value = id; return o; }));
  }
  select.value = state.viewed;
}

function drawEvents() {
  $('events-node').textContent = state.viewed;
  const list = $('events');
  if (state.events.length === 0) { list.replaceChildren(el('li', 'none', 'no events yet')); return; }
  list.replaceChildren(...state.events.slice().reverse().map((e) => {
    const li = el('li'); li.dataset.kind = e.kind;
    const time = el('time', '', fmtClock(e.t)); time.dateTime = new Date(e.t).toISOString();
    li.append(time, el('span', 'kind kind-' + e.kind, e.kind), el('span', 'text', e.text));
    return li;
  }));
}

function view(id) {
  if (id === state.viewed) return;
  state.viewed = id; state.samples = []; state.events = []; state.samplesAfter = 0; state.eventsAfter = 0;
  for (const chart of state.charts.values()) chart.plot?.destroy();
  state.charts.clear(); $('charts').replaceChildren();
  if (state.data) { drawMembers(state.data); drawCharts(); drawTiles(); drawEvents(); }
  void poll();
}

function absorb(data, asked) {
  if (asked !== state.viewed) return; // the member charted changed while this was in flight
  if (data.viewed !== state.viewed) { state.viewed = data.viewed; state.samples = []; state.events = []; }
  state.data = data;
  state.samples.push(...data.samples);
  if (state.samples.length > data.samplesMax) state.samples.splice(0, state.samples.length - data.samplesMax);
  if (state.samples.length > 0) state.samplesAfter = state.samples[state.samples.length - 1].t;
  state.events.push(...data.events);
  if (state.events.length > EVENTS_SHOWN_MAX) state.events.splice(0, state.events.length - EVENTS_SHOWN_MAX);
  if (state.events.length > 0) state.eventsAfter = state.events[state.events.length - 1].id;
  const headline = $('headline');
  headline.replaceChildren('cluster ', el('b', '', data.cluster), ' · served by ', el('b', '', data.node), ' · term ', el('b', '', data.term), ' · leader ', el('b', '', data.leader || 'none'));
  $('window-note').textContent = 'last ' + fmtDuration(Math.round(data.samplesMax * data.sampleMs / 1000)) + ', a sample every ' + fmtMs(data.sampleMs);
  const viewError = $('view-error'); viewError.hidden = data.viewError === null; viewError.textContent = data.viewError || '';
  drawMembers(data); drawTiles(); drawCharts(); drawEvents();
}

function setLive(ok, message) {
  const live = $('live'), error = $('error');
  if (ok) state.lastOk = Date.now();
  const fresh = ok || Date.now() - state.lastOk < 5000;
  live.className = 'pill ' + (fresh ? 'live' : 'stale');
  live.textContent = fresh ? 'live' : 'stale';
  live.title = ok ? 'updated ' + fmtClock(Date.now()) : message;
  error.hidden = ok; error.textContent = ok ? '' : message;
}

async function poll() {
  if (state.inFlight) return;
  state.inFlight = true;
  const asked = state.viewed;
  try {
    const query = new URLSearchParams({ samplesAfter: String(state.samplesAfter), eventsAfter: String(state.eventsAfter) });
    if (asked) query.set('node', asked);
    const response = await fetch('dashboard.json?' + query, { cache: 'no-store', headers: token ? { authorization: 'Bearer ' + token } : {} });
    if (response.status === 401) throw new Error('this node requires its admin token: open this page as /#token=TOKEN');
    if (!response.ok) throw new Error('the node answered ' + response.status + ': ' + (await response.text()).trim());
    const data = await response.json();
    if (state.viewed === null) state.viewed = data.viewed;
    absorb(data, asked === null ? data.viewed : asked);
    setLive(true, '');
  } catch (e) {
    setLive(false, 'cannot reach the node: ' + (e && e.message ? e.message : e));
  } finally {
    state.inFlight = false;
  }
}

function loop() {
  void poll().finally(() => setTimeout(loop, state.data ? state.data.sampleMs : 1000));
}

$('theme').addEventListener('click', () => {
  const next = state.theme === 'dark' ? 'light' : 'dark';
  try { localStorage.setItem('raftis-theme', next); } catch (e) { /* storage may be off */ }
  applyTheme(next);
});
$('viewed').addEventListener('change', (e) => view(e.target.value));
let resizeTimer = 0;
addEventListener('resize', () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => state.data && drawCharts(), 150); });
applyTheme(initialTheme());
loop();
})();
`;
