// The run report's arithmetic: per-second buckets, fault windows, availability and the
// SVG timeline, on hand-made records (no cluster).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NemesisEvent } from './nemesis.js';
import { availability, faultWindows, perSecond, timelineSvg } from './report.js';
import type { OpRecord } from './workload.js';

const op = (callMs: number, retMs: number, outcome: OpRecord['outcome']): OpRecord => ({ callMs, retMs, outcome, f: 'get', node: 'n1' });

describe('chaos run report', () => {
  const records = [op(0, 10, 'ok'), op(100, 900, 'ok'), op(950, 1200, 'info'), op(1500, 1600, 'fail'), op(2100, 2150, 'ok')];
  const events: NemesisEvent[] = [
    { atMs: 900, nemesis: 'kill', step: 'inject', detail: 'kill -9 n1' },
    { atMs: 1000, nemesis: 'kill', step: 'note', detail: 'x' },
    { atMs: 1700, nemesis: 'kill', step: 'heal', detail: 'restart n1' },
  ];

  it('buckets operations by the second they returned in, with p99 latency', () => {
    assert.deepEqual(perSecond(records), [
      { second: 0, ok: 2, fail: 0, info: 0, p99Ms: 800 },
      { second: 1, ok: 0, fail: 1, info: 1, p99Ms: 250 },
      { second: 2, ok: 1, fail: 0, info: 0, p99Ms: 50 },
    ]);
  });

  it('pairs each inject with the next heal, and counts availability inside those windows', () => {
    const windows = faultWindows(events);
    assert.deepEqual(windows, [{ startMs: 900, endMs: 1700, label: 'kill: kill -9 n1' }]);
    assert.deepEqual(availability(records), { ok: 3, total: 5, percent: 60 });
    assert.deepEqual(availability(records, windows), { ok: 0, total: 2, percent: 0 });
  });

  it('draws one bar per non-empty outcome per second, the fault, and escapes text', () => {
    const svg = timelineSvg('a <b> & "c"', perSecond(records), events);
    assert.match(svg, /^<svg [^>]*>/);
    assert.match(svg, /<\/svg>$/);
    assert.ok(svg.includes('a &lt;b&gt; &amp; &quot;c&quot;'));
    assert.equal(svg.match(/fill="#27ae60"/g)?.length, 2, 'ok bars in seconds 0 and 2');
    assert.equal(svg.match(/fill="#e67e22"/g)?.length, 1);
    assert.equal(svg.match(/fill="#c0392b"/g)?.length, 1);
    assert.equal(svg.match(/<title>kill: kill -9 n1<\/title>/g)?.length, 1);
  });
});
