// A node collects its garbage once it idles after a burst of writes (src/server/idle-collection.ts):
// a full collection once nothing was applied for idleMs after at least appliedBytesMin (a
// young one only when the heap is above heapBytesMax), a young one if it is still idle idleMs
// later, and nothing while writes go on, after a small burst, or twice for the same burst.
// After each collection, glibc's malloc_trim (malloc-trim.ts), loaded at the first trim only,
// and skipped with one report where it cannot be loaded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleCollection, type IdleCollectionProbe } from '../../src/server/idle-collection.js';
import { loadMallocTrim, type MallocTrimLoad } from '../../src/server/malloc-trim.js';

const IDLE_MS = 1000;
const BURST_BYTES = 1000;
const HEAP_MAX_BYTES = 1 << 20;

function harness(heapBytes = HEAP_MAX_BYTES): { collector: IdleCollection; collections: string[]; apply: (bytes: number) => void; at: (ms: number) => void } {
  let applied = 0;
  let now = 0;
  const collections: string[] = [];
  const collector = new IdleCollection({ idleMs: IDLE_MS, appliedBytesMin: BURST_BYTES, heapBytesMax: HEAP_MAX_BYTES, mallocTrim: false }, {
    appliedBytes: () => applied,
    heapBytes: () => heapBytes,
    collected: ({ young, heapBytes, rssBytes }) => {
      assert.equal(heapBytes.length, 2);
      assert.equal(rssBytes.length, 2);
      collections.push(`${now}:${young ? 'young' : 'all'}`);
    },
    trimmed: () => assert.fail('mallocTrim is off'),
    trimUnavailable: () => assert.fail('mallocTrim is off'),
  }, () => {}, () => now, () => assert.fail('mallocTrim is off: nothing to load'));
  const at = (ms: number): void => {
    now = ms;
    collector.check();
  };
  return { collector, collections, apply: (bytes) => { applied += bytes; }, at };
}

test('after a burst: one full collection once idle for idleMs, one young one idleMs later, then none', () => {
  const { collections, apply, at } = harness();
  at(0);
  apply(BURST_BYTES);
  at(100); // the burst is seen here
  at(100 + IDLE_MS - 1);
  assert.deepEqual(collections, []);
  at(100 + IDLE_MS);
  assert.deepEqual(collections, [`${100 + IDLE_MS}:all`]);
  at(100 + 2 * IDLE_MS);
  assert.deepEqual(collections, [`${100 + IDLE_MS}:all`, `${100 + 2 * IDLE_MS}:young`]);
  for (let ms = 100 + 3 * IDLE_MS; ms < 100 + 10 * IDLE_MS; ms += IDLE_MS / 4) at(ms);
  assert.equal(collections.length, 2);
});

test('nothing while writes keep coming, nor after a burst smaller than appliedBytesMin', () => {
  const { collections, apply, at } = harness();
  for (let ms = 0; ms < 10 * IDLE_MS; ms += IDLE_MS / 4) {
    apply(BURST_BYTES);
    at(ms);
  }
  assert.deepEqual(collections, []);
  const small = harness();
  small.at(0);
  small.apply(BURST_BYTES - 1);
  for (let ms = 0; ms < 10 * IDLE_MS; ms += IDLE_MS / 4) small.at(ms);
  assert.deepEqual(small.collections, []);
});

test('a write between the full and the young collection cancels the young one; the next burst starts over', () => {
  const { collections, apply, at } = harness();
  apply(BURST_BYTES);
  at(0);
  at(IDLE_MS);
  apply(10);
  at(IDLE_MS + 10);
  at(2 * IDLE_MS + 10);
  assert.deepEqual(collections, [`${IDLE_MS}:all`]);
  apply(BURST_BYTES);
  at(3 * IDLE_MS);
  at(4 * IDLE_MS);
  assert.deepEqual(collections, [`${IDLE_MS}:all`, `${4 * IDLE_MS}:all`]);
});

test('a heap above heapBytesMax gets the young collection only, once per burst', () => {
  const { collections, apply, at } = harness(HEAP_MAX_BYTES + 1);
  apply(BURST_BYTES);
  at(0);
  for (let ms = IDLE_MS; ms <= 5 * IDLE_MS; ms += IDLE_MS / 4) at(ms);
  assert.deepEqual(collections, [`${IDLE_MS}:young`]);
});

test('idleMs 0 starts no timer', () => {
  let looked = 0;
  const collector = new IdleCollection({ idleMs: 0, appliedBytesMin: 0, heapBytesMax: 0, mallocTrim: true }, {
    appliedBytes: () => {
      looked++;
      return 0;
    },
    heapBytes: () => 0,
    collected: () => assert.fail('no collection expected'),
    trimmed: () => assert.fail('no trim expected'),
    trimUnavailable: () => assert.fail('no trim expected'),
  }, null, Date.now, () => assert.fail('nothing to load'));
  collector.start();
  collector.stop();
  assert.equal(looked, 0);
});

test('started for real, it runs V8\'s full and then young collection, each followed by glibc\'s trim where there is one', async () => {
  let applied = 0;
  const seen: string[] = [];
  const collector = new IdleCollection({ idleMs: 20, appliedBytesMin: 1, heapBytesMax: 16_384 * 1024 * 1024, mallocTrim: true }, {
    appliedBytes: () => applied,
    heapBytes: () => process.memoryUsage().heapUsed,
    collected: ({ young, pauseMs }) => {
      assert.ok(pauseMs >= 0);
      seen.push(young ? 'young' : 'all');
    },
    trimmed: ({ pauseMs, rssBytes }) => {
      assert.ok(pauseMs >= 0 && rssBytes.every((bytes) => bytes > 0));
      seen.push('trim');
    },
    trimUnavailable: () => seen.push('no trim'),
  });
  collector.start();
  applied = 1;
  const deadline = Date.now() + 30_000;
  while (seen.filter((event) => event === 'young').length < 1 && Date.now() < deadline) await new Promise((resolveWait) => setTimeout(resolveWait, 10));
  collector.stop();
  const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
  assert.deepEqual(seen, glibc !== undefined ? ['all', 'trim', 'young', 'trim'] : ['all', 'no trim', 'young']);
});

/** A collector with trimming on, whose collections, trims and loads are logged in order. */
function trimHarness(load: MallocTrimLoad): { at: (ms: number) => void; events: string[] } {
  const events: string[] = [];
  let now = 0;
  const probe: IdleCollectionProbe = {
    appliedBytes: () => BURST_BYTES,
    heapBytes: () => 0,
    collected: ({ young }) => events.push(young ? 'young' : 'all'),
    trimmed: ({ pauseMs, rssBytes }) => {
      assert.ok(pauseMs >= 0);
      assert.equal(rssBytes.length, 2);
      events.push('trimmed');
    },
    trimUnavailable: (reason) => events.push(`unavailable: ${reason}`),
  };
  const loadTrim = (): MallocTrimLoad => {
    events.push('load');
    return 'trim' in load ? { trim: () => { events.push('trim'); return load.trim(); } } : load;
  };
  const collector = new IdleCollection({ idleMs: IDLE_MS, appliedBytesMin: BURST_BYTES, heapBytesMax: HEAP_MAX_BYTES, mallocTrim: true },
    probe, (young) => events.push(young ? 'collect young' : 'collect all'), () => now, loadTrim);
  return { events, at: (ms) => { now = ms; collector.check(); } };
}

test('mallocTrim: the library is loaded at the first trim, once; a trim follows the full and the young collection', () => {
  const { events, at } = trimHarness({ trim: () => 1 });
  at(0);
  at(IDLE_MS - 1);
  assert.deepEqual(events, [], 'nothing loaded before the first collection');
  at(IDLE_MS);
  at(2 * IDLE_MS);
  assert.deepEqual(events, ['collect all', 'all', 'load', 'trim', 'trimmed', 'collect young', 'young', 'trim', 'trimmed']);
});

test('mallocTrim unavailable: said once, the collections go on without it', () => {
  const { events, at } = trimHarness({ unavailable: 'not glibc' });
  at(0);
  at(IDLE_MS);
  at(2 * IDLE_MS);
  assert.deepEqual(events, ['collect all', 'all', 'load', 'unavailable: not glibc', 'collect young', 'young']);
});

test('loadMallocTrim: a working trim on Linux with glibc, a reason and no throw elsewhere', () => {
  const loaded = loadMallocTrim();
  const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
  if (process.platform === 'linux' && glibc !== undefined) {
    assert.ok('trim' in loaded, 'unavailable' in loaded ? loaded.unavailable : '');
    assert.ok([0, 1].includes(loaded.trim()));
  } else {
    assert.ok('unavailable' in loaded && loaded.unavailable.length > 0);
  }
});
