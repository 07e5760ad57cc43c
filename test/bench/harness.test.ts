// Unit tests of the benchmark harness's pure parts: the latency histogram, the
// redis-benchmark CSV reader (one row and every row), the .cpuprofile self-time summary, the
// option parser, the SVG charts, the report sections kept across runs and the targets; and its
// load-generator process (the line protocol and CPU marks, and the RESP worker against a real
// redis-server). The workloads themselves need real servers and run with `npm run bench`.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_REPORT, WORKLOADS, parseBenchOptions } from '../../bench/bench-options.js';
import { summarizeProfiles } from '../../bench/cpuprofile-summary.js';
import { LatencyHistogram } from '../../bench/histogram.js';
import { keptSection, keptSectionLines, spliceKeptSections } from '../../bench/kept-section.js';
import { RESP_WRITES } from '../../bench/load-clients.js';
import { runLoadProcess, workerCommand } from '../../bench/load-process.js';
import { parseRedisBenchmarkCsv, parseRedisBenchmarkRows } from '../../bench/pipelined.js';
import { writeReport } from '../../bench/report.js';
import { emptyResults, percentileOf, type LatencyRow } from '../../bench/results.js';
import { checkTargets, type TargetCheck } from '../../bench/targets.js';
import type { TypePass, TypesResult } from '../../bench/types-throughput.js';
import { redisServerPath, startRedis } from '../kv/redis-server.js';
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
  const quick = parseBenchOptions(['--quick', '--only', 'writes,reads', '--report', '/tmp/r.md'], 'stamp');
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
  const bad = parseBenchOptions(['--only', 'writes,nope', '--report', '/tmp/r.md'], 'stamp');
  assert.equal(typeof bad, 'string');
  assert.match(bad as string, /nope/);
});

test('options: a partial run may write the default report only for kept-section workloads, and then only their sections', () => {
  const full = parseBenchOptions([], 'stamp');
  assert.ok(typeof full !== 'string');
  assert.equal(full.reportPath, DEFAULT_REPORT);
  assert.equal(full.reportMode, 'whole');
  assert.match(parseBenchOptions(['--only', 'writes'], 'stamp') as string, /--report PATH/);
  assert.match(parseBenchOptions(['--only', 'types,memory', '--report', `./${DEFAULT_REPORT}`], 'stamp') as string, /partial run of memory/, 'the same file by another spelling');
  const types = parseBenchOptions(['--only', 'types,type-memory'], 'stamp');
  assert.ok(typeof types !== 'string');
  assert.equal(types.reportMode, 'sections');
  const elsewhere = parseBenchOptions(['--only', 'writes', '--report', '/tmp/bench-report.md'], 'stamp');
  assert.ok(typeof elsewhere !== 'string');
  assert.equal(elsewhere.reportMode, 'whole');
  assert.equal(elsewhere.reportPath, '/tmp/bench-report.md');
});

test('kept sections: a partial run replaces its own sections, adds missing ones before the analysis, and leaves the rest', () => {
  const types = keptSection('TYPES', 'the types workload');
  const memory = keptSection('TYPE-MEMORY', 'the type-memory workload');
  const report = ['# Benchmarks', '', '## Writes', 'old writes table', '', types.start, '## Types', 'old types', types.end, '', '## Analysis', 'hand-written', ''].join('\n');
  const spliced = spliceKeptSections(report, [
    [types.start, '## Types', 'new types', types.end, ''],
    [memory.start, '## Type memory', 'new memory', memory.end, ''],
  ], '## Analysis');
  assert.equal(spliced, ['# Benchmarks', '', '## Writes', 'old writes table', '', types.start, '## Types', 'new types', types.end, '',
    memory.start, '## Type memory', 'new memory', memory.end, '', '## Analysis', 'hand-written', ''].join('\n'));
  assert.throws(() => spliceKeptSections(report, [['## not a section']], '## Analysis'), /not a kept section/);
});

test('report: a partial run of the types workload into the default report rewrites only its section', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-sections-'));
  try {
    const options = parseBenchOptions(['--only', 'types'], 'stamp');
    assert.ok(typeof options !== 'string');
    assert.equal(options.reportMode, 'sections');
    const path = join(dir, 'benchmarks.md');
    const section = keptSection('TYPES', 'the types workload');
    const before = ['# Benchmarks', '', '## Writes (SET / put, 256 B)', '| the full run\'s table |', '', section.start, '## Throughput per command type', 'old rows', section.end, '', '## Analysis', 'hand-written', ''].join('\n');
    writeFileSync(path, before);
    const machine = { cores: 2, cpuModel: 'cpu', memory: '1 GiB', disk: 'disk', kernel: 'k', node: 'v20' };
    const types: TypesResult = { machine, commit: 'abc1234', commandLine: 'npm run bench -- --only types', passes: [typePass(1, { SET: 1000, LPUSH: 900, XADD: 800 })] };
    const run = { startedAt: new Date(0), finishedAt: new Date(1000), machine, loadAtStart: '0.1 0.1 0.1', loadAtEnd: '0.1 0.1 0.1', versions: {}, commit: 'abc1234', profile: null };
    writeReport({ ...options, reportPath: path }, run, emptyResults(), [], { snapshot: null, typeMemory: null, types, stringsAb: null, scripts: null, bullmq: null });
    const after = readFileSync(path, 'utf8');
    assert.ok(after.startsWith(['# Benchmarks', '', '## Writes (SET / put, 256 B)', '| the full run\'s table |', '', section.start, '## Throughput per command type (redis-benchmark default tests)'].join('\n')), after.slice(0, 400));
    assert.ok(!after.includes('old rows'));
    assert.match(after, /\| XADD \| 800 \(1\.25×\)/);
    assert.ok(after.endsWith(`${section.end}\n\n## Analysis\nhand-written\n`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function latencyRow(workload: LatencyRow['workload'], system: LatencyRow['system'], variant: string, clients: number, opsPerSecond: number, p50Ms = 1): LatencyRow {
  return { workload, system, variant, clients, opsPerSecond, p50Ms, p95Ms: p50Ms, p99Ms: p50Ms, errors: 0, firstError: null };
}

function typePass(pipeline: number, rates: Record<string, number>): TypePass {
  return {
    system: 'raftis', pipeline, requests: 1000, cpuMicrosPerRequest: {}, errors: [], loadAtStart: '0.5', loadAtEnd: '0.5',
    rows: Object.entries(rates).map(([test, requestsPerSecond]) => ({ test, requestsPerSecond, p50Ms: null, p99Ms: null })),
  };
}

test('targets: issue 20\'s list, memory judged on the largest node, commands against SET in the same run, nothing judged on a busy machine', () => {
  const results = emptyResults();
  results.rows.push(latencyRow('writes', 'raftis', '', 64, 12_000), latencyRow('writes', 'raftis', 'EVALSHA', 64, 10_000), latencyRow('writes', 'raftis', 'MULTI/SET/EXEC', 64, 6_000),
    latencyRow('writes', 'etcd', '', 64, 3_000), latencyRow('writes', 'etcd', 'JSON gateway', 64, 900));
  results.memory.push(
    // Judged on the settled figures: n1's loaded 400 MiB (the load's garbage) does not count, n2's settled 170 does.
    { system: 'raftis', node: 'n1 (leader)', keys: 1000, valueBytes: 100, emptyRssBytes: 0, loadedRssBytes: 400 * 1048576, settledRssBytes: 100 * 1048576 },
    { system: 'raftis', node: 'n2', keys: 1000, valueBytes: 100, emptyRssBytes: 0, loadedRssBytes: 180 * 1048576, settledRssBytes: 170 * 1048576 },
    { system: 'redis', node: 'redis-server', keys: 1000, valueBytes: 100, emptyRssBytes: 0, loadedRssBytes: 100 * 1048576, settledRssBytes: 100 * 1048576 },
  );
  const types: TypesResult = { machine: {} as TypesResult['machine'], commit: 'c', commandLine: 'x', passes: [
    typePass(1, { SET: 1000, LPUSH: 900, XADD: 800 }), typePass(16, { SET: 9000, LPUSH: 8000, ZADD: 5000 }),
  ] };
  const checks = checkTargets(results, types, '0.40 0.50 0.60');
  const byName = (start: string): TargetCheck => {
    const check = checks.find((c) => c.name.startsWith(start));
    assert.ok(check !== undefined, `no target named ${start}…: ${checks.map((c) => c.name).join('; ')}`);
    return check;
  };
  assert.equal(byName('writes at 64 clients vs etcd').pass, false, '4× the gRPC put, not the JSON gateway\'s 13×');
  assert.match(byName('writes at 64 clients vs etcd').measured, /^4\.00×/);
  assert.equal(byName('memory').pass, false, 'a follower at 1.7× fails the target though the leader is at 1.0×');
  assert.match(byName('memory').measured, /n2 170 MiB/);
  assert.equal(byName('collection type writes').pass, false);
  assert.match(byName('collection type writes').measured, /ZADD at -P 16: SET 1\.80×/);
  assert.equal(byName('EVALSHA vs SET').pass, true);
  assert.equal(byName('MULTI/SET/EXEC vs SET').pass, false);
  assert.equal(byName('pipelined SET (-P 16').pass, null, 'not measured');
  assert.equal(byName('lease reads').pass, null);
  assert.deepEqual(checkTargets(results, types, '2.50 1.00 1.00').map((c) => c.pass).filter((p) => p !== null), [], 'load 2.5 at the start: recorded, not judged');
});

test('load process: CPU of the servers and of the generator around the run, per request, from a process speaking the line protocol', async () => {
  // A stand-in generator: ready, then on the start line a result of 1000 requests; exits when stdin closes.
  const script = [
    "const rl = require('node:readline').createInterface({ input: process.stdin });",
    "console.log(JSON.stringify({ ready: true }));",
    "let started = false;",
    "rl.on('line', () => { if (started) return; started = true; console.log(JSON.stringify({ progress: 10, elapsedMs: 5 }));",
    "  console.log(JSON.stringify({ ops: 1000, errors: 0, seconds: 1, opsPerSecond: 1000, p50Ms: 0.5, p95Ms: 0.9, p99Ms: -1, perSecond: [1000], firstError: null })); });",
    "rl.on('close', () => process.exit(0));",
  ].join('\n');
  const marks = [[1, 2], [1.5, 2.25]];
  let calls = 0;
  const progress: number[] = [];
  const run = await runLoadProcess({ name: 'stand-in', command: process.execPath, args: ['-e', script] }, 1000, () => marks[calls++]!, (ops) => progress.push(ops));
  assert.equal(calls, 2, 'servers read once when the clients are connected and once at the result');
  assert.deepEqual(run.serverCpuMicrosPerRequest, [500, 250]);
  assert.ok(run.loadGeneratorCpuMicrosPerRequest !== null && run.loadGeneratorCpuMicrosPerRequest >= 0);
  assert.ok(run.loadGeneratorCores !== null && run.loadGeneratorCores >= 0);
  assert.equal(run.ops, 1000);
  assert.ok(Number.isNaN(run.p99Ms), 'the Go generator\'s -1 means not measured');
  assert.deepEqual(progress, [10]);
  await assert.rejects(runLoadProcess({ name: 'broken', command: process.execPath, args: ['-e', 'process.stderr.write("no server"); process.exit(3)'] }, 1000, () => []), /broken exited with status 3 before reporting a result: no server/);
});

const redisPath = redisServerPath();

test('load worker: SET, EVALSHA and MULTI/SET/EXEC writes and GETs against a real redis-server, from a process of its own', { skip: redisPath === null ? 'redis-server is not installed' : false }, async () => {
  const redis = await startRedis(redisPath!);
  try {
    const port = redis.client.options.port!;
    for (const write of RESP_WRITES) {
      await redis.client.flushall();
      const run = await runLoadProcess(workerCommand({ protocol: 'resp', port, clients: 2, durationMs: 300, readFraction: 0, readMode: null, write }), 300, () => []);
      assert.equal(run.errors, 0, `${write}: ${run.firstError ?? ''}`);
      assert.ok(run.ops > 0, write);
      assert.ok((await redis.client.dbsize()) > 0, `${write} wrote keys`);
      assert.ok(run.loadGeneratorCpuMicrosPerRequest !== null && run.loadGeneratorCpuMicrosPerRequest >= 0, `${write}: the generator's CPU is measured (in 10 ms ticks: a short run may read none)`);
    }
    const reads = await runLoadProcess(workerCommand({ protocol: 'resp', port, clients: 2, durationMs: 300, readFraction: 1, readMode: null, write: 'SET' }), 300, () => []);
    assert.equal(reads.errors, 0);
    assert.ok(reads.ops > 0);
  } finally {
    await redis.stop();
  }
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
