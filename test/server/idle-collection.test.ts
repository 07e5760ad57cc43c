// A node collects its garbage once it idles after a burst of writes (src/server/idle-collection.ts):
// a full collection once nothing was applied for idleMs after at least appliedBytesMin (a
// young one only when the heap is above heapBytesMax), a young one if it is still idle idleMs
// later, and nothing while writes go on, after a small burst, or twice for the same burst.
// After each collection, glibc's malloc_trim (malloc-trim.ts), loaded at the first trim only,
// and skipped with one report where it cannot be loaded. Still idle shrinkMs after the full
// collection, shrink collections while old space's slack is above its margin, each lowering it,
// at most shrinkRoundsMax.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleCollection, v8HeapSpaces, type CollectionKind, type HeapSpaces, type IdleCollectionProbe } from '../../src/server/idle-collection.js';
import { loadMallocTrim, type MallocTrimLoad } from '../../src/server/malloc-trim.js';

const IDLE_MS = 1000;
const BURST_BYTES = 1000;
const HEAP_MAX_BYTES = 1 << 20;
/** The shrink off: the harness's tests of the other collections see none of it. */
const NO_SHRINK = { shrinkMs: 0, shrinkSlackBytes: 0, shrinkRoundsMax: 1 };
const NO_SLACK = { young: { committedBytes: 0, usedBytes: 0 }, old: { committedBytes: 0, usedBytes: 0 } };

function harness(heapBytes = HEAP_MAX_BYTES): { collector: IdleCollection; collections: string[]; apply: (bytes: number) => void; at: (ms: number) => void } {
  let applied = 0;
  let now = 0;
  const collections: string[] = [];
  const collector = new IdleCollection({ idleMs: IDLE_MS, appliedBytesMin: BURST_BYTES, heapBytesMax: HEAP_MAX_BYTES, mallocTrim: false, ...NO_SHRINK }, {
    appliedBytes: () => applied,
    heapBytes: () => heapBytes,
    heapSpaces: () => NO_SLACK,
    collected: ({ kind, heapBytes, rssBytes }) => {
      assert.equal(heapBytes.length, 2);
      assert.equal(rssBytes.length, 2);
      collections.push(`${now}:${kind === 'full' ? 'all' : kind}`);
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

test('appliedBytesMin 0: one full collection after any write, not one at every look of an idle node', () => {
  let applied = 0;
  let now = 0;
  const kinds: string[] = [];
  const collector = new IdleCollection({ idleMs: IDLE_MS, appliedBytesMin: 0, heapBytesMax: HEAP_MAX_BYTES, mallocTrim: false, ...NO_SHRINK }, {
    appliedBytes: () => applied,
    heapBytes: () => 0,
    heapSpaces: () => NO_SLACK,
    collected: ({ kind }) => kinds.push(kind),
    trimmed: () => assert.fail('mallocTrim is off'),
    trimUnavailable: () => assert.fail('mallocTrim is off'),
  }, () => {}, () => now, () => assert.fail('mallocTrim is off: nothing to load'));
  for (; now < 10 * IDLE_MS; now += IDLE_MS / 4) collector.check();
  assert.deepEqual(kinds, [], 'nothing applied: nothing to collect');
  applied = 1;
  for (; now < 20 * IDLE_MS; now += IDLE_MS / 4) collector.check();
  assert.deepEqual(kinds, ['full', 'young']);
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
  const collector = new IdleCollection({ idleMs: 0, appliedBytesMin: 0, heapBytesMax: 0, mallocTrim: true, ...NO_SHRINK }, {
    appliedBytes: () => {
      looked++;
      return 0;
    },
    heapBytes: () => 0,
    heapSpaces: () => NO_SLACK,
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
  const collector = new IdleCollection({ idleMs: 20, appliedBytesMin: 1, heapBytesMax: 16_384 * 1024 * 1024, mallocTrim: true, ...NO_SHRINK }, {
    appliedBytes: () => applied,
    heapBytes: () => process.memoryUsage().heapUsed,
    heapSpaces: v8HeapSpaces,
    collected: ({ kind, pauseMs }) => {
      assert.ok(pauseMs >= 0);
      seen.push(kind === 'full' ? 'all' : kind);
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
    heapSpaces: () => NO_SLACK,
    collected: ({ kind }) => events.push(kind === 'full' ? 'all' : kind),
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
  const collector = new IdleCollection({ idleMs: IDLE_MS, appliedBytesMin: BURST_BYTES, heapBytesMax: HEAP_MAX_BYTES, mallocTrim: true, ...NO_SHRINK },
    probe, (kind) => events.push(kind === 'full' ? 'collect all' : `collect ${kind}`), () => now, loadTrim);
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

const SHRINK_MS = 3 * IDLE_MS;
const SLACK_MARGIN_BYTES = 100;
const OLD_USED_BYTES = 5000;

/** Committed above use in the young generation and old space, as the harness below keeps it. */
interface Slack {
  readonly youngBytes: number;
  readonly oldBytes: number;
}

/** The heap's spaces: the young generation's committed pages (empty unless told), old space's with OLD_USED_BYTES in use. */
function spacesOf(slack: Slack, youngUsedBytes = 0): HeapSpaces {
  return {
    young: { committedBytes: slack.youngBytes, usedBytes: youngUsedBytes },
    old: { committedBytes: OLD_USED_BYTES + slack.oldBytes, usedBytes: OLD_USED_BYTES },
  };
}

/**
 * A collector with the shrink on, whose heap has `slack` committed above use; a young
 * collection takes `youngBy(slack)` from the young generation's, a shrink collection
 * `oldBy(slack)` from old space's. Collections and trims are logged in order.
 */
function shrinkHarness(
  start: Slack, by: { young?: (bytes: number) => number; old?: (bytes: number) => number }, options: { heapBytes?: number; roundsMax?: number; youngUsedBytes?: () => number } = {},
) {
  const events: string[] = [];
  let slack = start;
  let now = 0;
  let applied = 0;
  const collector = new IdleCollection({
    idleMs: IDLE_MS, appliedBytesMin: BURST_BYTES, heapBytesMax: HEAP_MAX_BYTES, mallocTrim: true,
    shrinkMs: SHRINK_MS, shrinkSlackBytes: SLACK_MARGIN_BYTES, shrinkRoundsMax: options.roundsMax ?? 10,
  }, {
    appliedBytes: () => applied,
    heapBytes: () => options.heapBytes ?? HEAP_MAX_BYTES,
    heapSpaces: () => spacesOf(slack, options.youngUsedBytes?.()),
    collected: ({ kind, spaces: [before, after] }) => {
      const shown = (from: number, to: number): string => (from === to ? `${from}` : `${from}→${to}`);
      const young = (spaces: HeapSpaces): number => spaces.young.committedBytes;
      const old = (spaces: HeapSpaces): number => spaces.old.committedBytes - spaces.old.usedBytes;
      events.push(`${now}:${kind} ${shown(young(before), young(after))}/${shown(old(before), old(after))}`);
    },
    trimmed: () => events.push('trim'),
    trimUnavailable: () => assert.fail('the trim loads'),
  }, (kind: CollectionKind) => {
    if (kind === 'young') slack = { ...slack, youngBytes: slack.youngBytes - (by.young?.(slack.youngBytes) ?? 0) };
    if (kind === 'shrink') slack = { ...slack, oldBytes: slack.oldBytes - (by.old?.(slack.oldBytes) ?? 0) };
  }, () => now, () => ({ trim: () => 1 }));
  const at = (ms: number): void => {
    now = ms;
    collector.check();
  };
  /** Looks every quarter of IDLE_MS from `from` to `to`. */
  const looks = (from: number, to: number): void => {
    for (let ms = from; ms <= to; ms += IDLE_MS / 4) at(ms);
  };
  /** The shrink's rounds only (not the idle full collection and its young follow-up). */
  const rounds = (): string[] => events.filter((event) => /^\d+:/.test(event)).slice(2).map((event) => event.slice(event.indexOf(':') + 1));
  return { events, at, looks, rounds, apply: (bytes: number) => { applied += bytes; } };
}

test('shrink: shrinkMs after the full collection, young rounds while the young generation\'s slack is above the margin, then old ones; each followed by a trim', () => {
  // The young follow-up gives nothing back (V8 still counted the load); the shrink's first
  // young round does, then old space takes two rounds to come within the margin.
  let youngRounds = 0;
  const { events, apply, at, looks, rounds } = shrinkHarness({ youngBytes: 1000, oldBytes: 250 }, {
    young: () => (++youngRounds === 1 ? 0 : 990),
    old: () => 100,
  });
  apply(BURST_BYTES);
  at(0);
  looks(IDLE_MS, SHRINK_MS + IDLE_MS - 1);
  assert.deepEqual(events, [`${IDLE_MS}:full 1000/250`, 'trim', `${2 * IDLE_MS}:young 1000/250`, 'trim']);
  looks(SHRINK_MS + IDLE_MS, 20 * IDLE_MS);
  const q = IDLE_MS / 4;
  const start = SHRINK_MS + IDLE_MS;
  assert.deepEqual(events.slice(4), [
    `${start}:young 1000→10/250`, 'trim', `${start + q}:shrink 10/250→150`, 'trim', `${start + 2 * q}:shrink 10/150→50`, 'trim',
  ]);
  assert.equal(rounds().length, 3);
});

test('shrink: none when the slack is within the margin, nor after a young-only collection (heap above heapBytesMax)', () => {
  const small = shrinkHarness({ youngBytes: SLACK_MARGIN_BYTES, oldBytes: SLACK_MARGIN_BYTES }, {});
  small.apply(BURST_BYTES);
  small.at(0);
  small.looks(IDLE_MS, 20 * IDLE_MS);
  assert.deepEqual(small.rounds(), []);
  const large = shrinkHarness({ youngBytes: 1000, oldBytes: 1000 }, {}, { heapBytes: HEAP_MAX_BYTES + 1 });
  large.apply(BURST_BYTES);
  large.at(0);
  large.looks(IDLE_MS, 20 * IDLE_MS);
  assert.deepEqual(large.events, [`${IDLE_MS}:young 1000/1000`, 'trim']);
});

test('shrink: stops after shrinkRoundsMax rounds; a kind of round that gave no pages back is not repeated', () => {
  const capped = shrinkHarness({ youngBytes: 0, oldBytes: 10_000 }, { old: () => 10 }, { roundsMax: 2 });
  capped.apply(BURST_BYTES);
  capped.at(0);
  capped.looks(IDLE_MS, 30 * IDLE_MS);
  assert.deepEqual(capped.rounds(), ['shrink 0/10000→9990', 'shrink 0/9990→9980']);
  const stuck = shrinkHarness({ youngBytes: 1000, oldBytes: 1000 }, { young: () => 0, old: (bytes) => (bytes === 1000 ? 10 : 0) });
  stuck.apply(BURST_BYTES);
  stuck.at(0);
  stuck.looks(IDLE_MS, 30 * IDLE_MS);
  assert.deepEqual(stuck.rounds(), ['young 1000/1000', 'shrink 1000/1000→990', 'shrink 1000/990']);
  // The young generation's use falls between rounds (allocation, not the collection): its
  // slack grows, its committed pages stay, and the young round is not repeated.
  let youngUsed = 600;
  const moving = shrinkHarness({ youngBytes: 1000, oldBytes: 0 }, { young: () => 0 }, { youngUsedBytes: () => (youngUsed = Math.max(0, youngUsed - 100)) });
  moving.apply(BURST_BYTES);
  moving.at(0);
  moving.looks(IDLE_MS, 30 * IDLE_MS);
  assert.equal(moving.rounds().length, 1);
});

test('shrink: a write before it or between its rounds calls it off until the next burst\'s full collection', () => {
  const { apply, looks, rounds } = shrinkHarness({ youngBytes: 0, oldBytes: 10_000 }, { old: () => 10 });
  apply(BURST_BYTES);
  looks(0, SHRINK_MS + IDLE_MS - 1);
  apply(1);
  looks(SHRINK_MS + IDLE_MS, 30 * IDLE_MS);
  assert.deepEqual(rounds(), []);
  apply(BURST_BYTES);
  const start = 31 * IDLE_MS;
  looks(start, start + IDLE_MS + SHRINK_MS + IDLE_MS / 4);
  apply(1);
  looks(start + IDLE_MS + SHRINK_MS + IDLE_MS / 2, start + 60 * IDLE_MS);
  // The first burst's full collection and young follow-up, then the second's, then two rounds.
  assert.deepEqual(rounds().slice(2), ['shrink 0/10000→9990', 'shrink 0/9990→9980']);
});

test('started for real on an old space the garbage left part empty, the shrink gives pages back', async () => {
  // Strings in old space with two of every three dropped: every page part empty, none free.
  const kept: string[] = [];
  let dropped: string[] | null = [];
  for (let i = 0; i < 300_000; i++) (i % 3 === 0 ? kept : dropped).push(`${'k'.repeat(100)}${i}`);
  dropped = null;
  let applied = 0;
  const shrinks: (readonly [HeapSpaces, HeapSpaces])[] = [];
  const collector = new IdleCollection({
    idleMs: 20, appliedBytesMin: 1, heapBytesMax: 16_384 * 1024 * 1024, mallocTrim: false, shrinkMs: 60, shrinkSlackBytes: 1024 * 1024, shrinkRoundsMax: 4,
  }, {
    appliedBytes: () => applied,
    heapBytes: () => process.memoryUsage().heapUsed,
    heapSpaces: v8HeapSpaces,
    collected: ({ kind, spaces }) => { if (kind === 'shrink') shrinks.push(spaces); },
    trimmed: () => assert.fail('mallocTrim is off'),
    trimUnavailable: () => assert.fail('mallocTrim is off'),
  });
  collector.start();
  applied = 1;
  const deadline = Date.now() + 30_000;
  while (shrinks.length === 0 && Date.now() < deadline) await new Promise((resolveWait) => setTimeout(resolveWait, 10));
  collector.stop();
  assert.equal(kept.length, 100_000);
  const [shrink] = shrinks;
  assert.ok(shrink !== undefined, 'a shrink within 30 s');
  const [before, after] = shrink;
  const given = before.old.committedBytes - after.old.committedBytes;
  assert.ok(given >= 1024 * 1024, `old space committed ${before.old.committedBytes} → ${after.old.committedBytes} bytes: at least 1 MiB given back`);
});
