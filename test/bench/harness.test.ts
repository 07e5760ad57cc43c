// Unit tests of the benchmark harness's pure parts: the latency histogram, the
// redis-benchmark CSV reader (one row and every row), the .cpuprofile self-time summary, the
// option parser, the SVG charts and the report sections kept across runs. The workloads
// themselves need real servers and run with `npm run bench`.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WORKLOADS, parseBenchOptions } from '../../bench/bench-options.js';
import { summarizeProfiles } from '../../bench/cpuprofile-summary.js';
import { LatencyHistogram } from '../../bench/histogram.js';
import { keptSection, keptSectionLines } from '../../bench/kept-section.js';
import { parseRedisBenchmarkCsv, parseRedisBenchmarkRows } from '../../bench/pipelined.js';
import { percentileOf } from '../../bench/results.js';
import { barChartSvg, lineChartSvg, niceMax } from '../../bench/svg-chart.js';

test('histogram percentiles stay within the bucket error of the exact ones', () => {
  const histogram = new LatencyHistogram();
  const samplesUs: number[] = [];
  for (let i = 1; i <= 10_000; i++) {
    const valueUs = (i * 7919) % 250_000 + 1; // spread over 1 µs … 250 ms
    samplesUs.push(valueUs);
    histogram.recordUs(valueUs);
  }
  assert.equal(histogram.count, 10_000);
  for (const p of [50, 95, 99]) {
    const exactMs = percentileOf(samplesUs, p) / 1000;
    const approxMs = histogram.percentileMs(p);
    assert.ok(Math.abs(approxMs - exactMs) / exactMs < 0.02, `p${p}: ${approxMs} ms vs exact ${exactMs} ms`);
  }
});

test('histogram keeps small values exact and merges counts', () => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  a.recordUs(10);
  b.recordUs(30);
  b.recordUs(30);
  a.merge(b);
  assert.equal(a.count, 3);
  assert.equal(a.percentileMs(10), 0.01);
  assert.equal(a.percentileMs(50), 0.03);
  assert.ok(Number.isNaN(new LatencyHistogram().percentileMs(50)));
});

test('redis-benchmark CSV: the SET row with latency columns (Redis 7) and without (Redis 6)', () => {
  const seven = '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"\n"SET","5604.12","139.762","17.104","111.615","338.943","752.127","1076.223"\n';
  assert.deepEqual(parseRedisBenchmarkCsv(seven), { requestsPerSecond: 5604.12, p50Ms: 111.615, p99Ms: 752.127 });
  assert.deepEqual(parseRedisBenchmarkCsv('"SET","81234.00"\n'), { requestsPerSecond: 81234, p50Ms: null, p99Ms: null });
  assert.equal(parseRedisBenchmarkCsv('Error: Connection reset by peer\n'), null);
});

test('cpuprofile summary sums self time per function over samples', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-test-'));
  try {
    const frame = (functionName: string, lineNumber: number) => ({ functionName, url: '', lineNumber, columnNumber: 0, scriptId: '0' });
    const profile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', -1), children: [2, 3, 4] },
        { id: 2, callFrame: frame('parse', 10) },
        { id: 3, callFrame: frame('flush', 20), children: [5] },
        { id: 4, callFrame: frame('(idle)', -1) },
        { id: 5, callFrame: frame('writeBuffer', -1) },
      ],
      samples: [2, 5, 2, 2, 4],
      timeDeltas: [1000, 2000, 1000, 3000, 8000],
      startTime: 0, endTime: 15000,
    };
    const path = join(dir, 'a.cpuprofile');
    writeFileSync(path, JSON.stringify(profile));
    const summary = summarizeProfiles([path]);
    assert.equal(summary.totalMs, 15);
    assert.equal(summary.idleMs, 8);
    assert.deepEqual(summary.functions.map((f) => [f.name, f.selfMs, f.topCaller]), [['parse', 5, '(root)'], ['writeBuffer', 2, 'flush']]);
    assert.equal(summary.functions[0]?.share, 5 / 7); // of busy time, idle excluded
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('redis-benchmark CSV: every test row in order, an LRANGE run with its LPUSH fill, errors skipped', () => {
  const text = '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"\n'
    + '"LPUSH (needed to benchmark LRANGE)","4226.16","187.871","37.504","181.503","390.143","446.975","446.975"\n'
    + 'Error from server: TRYAGAIN not the leader\n'
    + '"LRANGE_600 (first 600 elements)","1086.64","616.807","30.896","625.151","1143.807","2242.559","2658.303"\n';
  assert.deepEqual(parseRedisBenchmarkRows(text), [
    { test: 'LPUSH (needed to benchmark LRANGE)', requestsPerSecond: 4226.16, p50Ms: 181.503, p99Ms: 446.975 },
    { test: 'LRANGE_600 (first 600 elements)', requestsPerSecond: 1086.64, p50Ms: 625.151, p99Ms: 2242.559 },
  ]);
  assert.deepEqual(parseRedisBenchmarkRows('Error: Connection reset by peer\n'), []);
});

test('kept sections: a run\'s own lines between markers, else the previous report\'s copy, else nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kept-'));
  try {
    const section = keptSection('DEMO', 'a test');
    const path = join(dir, 'report.md');
    assert.deepEqual(keptSectionLines(path, section, null), []);
    const fresh = keptSectionLines(path, section, ['## Demo', 'measured']);
    assert.deepEqual(fresh, [section.start, '## Demo', 'measured', section.end, '']);
    writeFileSync(path, `# Report\n\n${fresh.join('\n')}\n## Analysis\n`);
    assert.deepEqual(keptSectionLines(path, section, null), [`${section.start}\n## Demo\nmeasured\n${section.end}`, '']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('options: --only filters workloads and rejects unknown names; --quick shortens runs', () => {
  const quick = parseBenchOptions(['--quick', '--only', 'writes,reads'], 'stamp');
  assert.ok(typeof quick !== 'string');
  assert.deepEqual([...quick.only], ['writes', 'reads']);
  assert.equal(quick.durationMs, 3000);
  assert.equal(quick.profileDir, null);
  const full = parseBenchOptions(['--profile'], 'stamp');
  assert.ok(typeof full !== 'string');
  assert.equal(full.durationMs, 10_000);
  assert.deepEqual([...full.only], WORKLOADS.filter((w) => w !== 'strings-ab'), 'without --only every workload runs but the A/B, which needs --baseline');
  const ab = parseBenchOptions(['--baseline', '/tmp/old', '--ports', '22600-22689'], 'stamp');
  assert.ok(typeof ab !== 'string');
  assert.deepEqual([...ab.only], [...WORKLOADS], 'with --baseline the A/B runs too');
  assert.equal(ab.baselineDir, '/tmp/old');
  assert.deepEqual(ab.ports, { first: 22600, last: 22689 });
  assert.match(parseBenchOptions(['--only', 'strings-ab'], 'stamp') as string, /--baseline/);
  for (const ports of ['40000-40100', '22600-22605', '22600', 'a-b']) assert.match(parseBenchOptions(['--ports', ports], 'stamp') as string, /--ports/, ports);
  assert.equal(full.profileDir, 'bench/results/profile-stamp');
  const bad = parseBenchOptions(['--only', 'writes,nope'], 'stamp');
  assert.equal(typeof bad, 'string');
  assert.match(bad as string, /nope/);
});

test('charts: a bar per value, a polyline per series, and a round axis maximum', () => {
  assert.equal(niceMax(7), 10);
  assert.equal(niceMax(3618), 5000); // ticks of 1000
  const bars = barChartSvg({ title: 'a<b', yLabel: 'ops/s', categories: ['1', '64'], series: [{ name: 'x', values: [1, 2] }, { name: 'y', values: [3, null] }] });
  assert.match(bars, /^<svg /);
  assert.equal(bars.match(/<\/title><\/rect>/g)?.length, 3); // bars carry a tooltip; legend swatches do not
  assert.ok(bars.includes('a&lt;b'));
  const lines = lineChartSvg({ title: 't', xLabel: 's', yLabel: 'ops/s', series: [{ name: 'x', points: [1, 2, 3] }, { name: 'y', points: [3, 2, 1] }] });
  assert.equal(lines.match(/<polyline /g)?.length, 2);
});
