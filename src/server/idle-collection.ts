// Garbage collection when a node turns idle after a burst of writes. V8 collects its old
// generation only as it allocates, so once the writes stop, the garbage of the load stays:
// its Buffers (socket reads, batches, frames: malloc memory V8 counts as external), a young
// generation grown to its 16 MiB semi-spaces, old pages a compaction would empty. V8's own
// memory reducer gets to it sometimes, often not within a minute (docs/benchmarks.md, a
// list's memory after its load: nodes held up to 54 MiB of dead Buffers and 27–29 MiB of
// young generation 20 s after the load, one still 80 s after). So: one full collection once nothing
// has been applied for a while, then one of the young generation, which lets V8 shrink it.
// A collection while nothing is applied costs requests nothing but its pause, which is logged.
// After each, glibc's malloc_trim(0) (malloc-trim.ts), as the Buffers a collection frees are
// malloc's, and glibc keeps most of what it gets back.
//
// What these leave behind differs from node to node (docs/benchmarks.md, issue 20's settled RSS):
// - the young generation at its full 2 × 16 MiB: V8 shrinks it at a collection only when the
//   allocation it measured over the 5 s before was low, and the follow-up comes about 5 s after
//   the full collection, so whether the load's last second falls in that window is down to
//   timer jitter (23 MiB of RSS on one node of three, until a later young collection);
// - old space committed above its use where the load's dead objects were (18 MB on a leader):
//   V8 picks the pages to compact by the free space its last sweep found in them, and that
//   sweep came before the load's garbage died.
// So, still idle a while later (past V8's 5-s window) and only while either is more than a
// margin, a "shrink": a young collection first, then full ones with V8 optimizing for memory
// (pages at least 20% free become candidates, up to 6 MB of live objects moved each, against
// 70% and 4 MB), one per look, until both are within the margin, a round gives nothing back,
// or the rounds run out.

import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadMallocTrim, type MallocTrim, type MallocTrimLoad } from './malloc-trim.js';

export interface IdleCollectionOptions {
  /** Collect once nothing has been applied for this long (0: never). */
  readonly idleMs: number;
  /** …and at least this many bytes of entries were applied since the last collection… */
  readonly appliedBytesMin: number;
  /**
   * …and the V8 heap in use is at most this: a full collection stops the event loop for a
   * time that grows with the heap (11–31 ms at 75–105 MB, 130–670 ms at 245–285 MB on a busy
   * 2-core machine; a million string keys, 156–210 MB since they have no object each: 140–710
   * ms), and a stop near the election timeout would cost a leader its term. A
   * larger heap gets the young collection only.
   */
  readonly heapBytesMax: number;
  /** After each collection, have glibc return the free pages of its heaps (where it is glibc). */
  readonly mallocTrim: boolean;
  /** Shrink this long after the full collection if still idle (0: never)… */
  readonly shrinkMs: number;
  /** …while V8's young generation or old space has more than this committed above what it uses… */
  readonly shrinkSlackBytes: number;
  /** …in at most this many collections, one per look (a quarter of idleMs apart). */
  readonly shrinkRoundsMax: number;
}

export interface IdleCollectionProbe {
  /** Bytes of entries this node has applied since it started (and of snapshots it wrote or received); only grows. */
  appliedBytes(): number;
  /** The V8 heap in use now, in bytes. */
  heapBytes(): number;
  /** What V8's young generation and old space have committed and use now. */
  heapSpaces(): HeapSpaces;
  /** Told of each collection: which, its pause, and the heap in use, its spaces and the RSS before and after it. */
  collected(result: {
    kind: CollectionKind; pauseMs: number; heapBytes: readonly [number, number]; spaces: readonly [HeapSpaces, HeapSpaces]; rssBytes: readonly [number, number];
  }): void;
  /** Told of each trim after a collection: its pause and the RSS before and after it. */
  trimmed(result: { pauseMs: number; rssBytes: readonly [number, number] }): void;
  /** Told once, at the first trim, when this process cannot trim (not glibc, or no FFI): why. */
  trimUnavailable(reason: string): void;
}

/**
 * `young`: the young generation only (V8's scavenge); `full`: everything; `shrink`: everything,
 * with V8 optimizing for memory, which makes it compact more of the old space's part-empty pages.
 */
export type CollectionKind = 'young' | 'full' | 'shrink';
export type Collect = (kind: CollectionKind) => void;

/** Whether node was started optimizing for memory already: the shrink then leaves the flag set. */
function optimizingForSize(): boolean {
  const flags = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
  return flags.some((flag) => /^--optimize[-_]for[-_]size$/.test(flag));
}

/**
 * V8's collection as a function, or null if the runtime refuses. Exposing it for a new
 * context (and for that one only: the flag is turned off again at once) is how a program
 * gets it without `node --expose-gc`, which a user starting `node main.js` would not pass.
 */
function v8Collection(): Collect | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc !== 'function') return null;
    const collect = gc as (options?: { type: string }) => void;
    const keepFlag = optimizingForSize();
    return (kind) => {
      if (kind === 'young') return collect({ type: 'minor' });
      // V8 reads the flag when it picks the pages to compact and sizes the heap's next limit;
      // set for this one synchronous collection only.
      if (kind === 'shrink' && !keepFlag) setFlagsFromString('--optimize-for-size');
      try {
        collect();
      } finally {
        if (kind === 'shrink' && !keepFlag) setFlagsFromString('--no-optimize-for-size');
      }
    };
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** Bytes a space of the heap has committed (pages), and bytes of objects in them. */
export interface SpaceUse {
  readonly committedBytes: number;
  readonly usedBytes: number;
}

/** The two spaces a shrink works on: the young generation, and old space (where the keyspace's strings live). */
export interface HeapSpaces {
  readonly young: SpaceUse;
  readonly old: SpaceUse;
}

/** V8's new and old space now. */
export function v8HeapSpaces(): HeapSpaces {
  let young: SpaceUse = { committedBytes: 0, usedBytes: 0 };
  let old: SpaceUse = young;
  for (const space of getHeapSpaceStatistics()) {
    const use = { committedBytes: space.space_size, usedBytes: space.space_used_size };
    if (space.space_name === 'new_space') young = use;
    else if (space.space_name === 'old_space') old = use;
  }
  return { young, old };
}

/** Bytes committed above use: what a shrink could give back. */
function slackBytes(space: SpaceUse): number {
  return Math.max(0, space.committedBytes - space.usedBytes);
}

/** The committed bytes of each space before its last shrink round; none tried yet: above any. */
interface ShrinkTried {
  readonly young: number;
  readonly old: number;
}
const NONE_TRIED: ShrinkTried = { young: Infinity, old: Infinity };

export class IdleCollection {
  private timer: NodeJS.Timeout | null = null;
  /** appliedBytes when it last changed, and when that was seen (ms). */
  private lastApplied = 0;
  private lastChangeAt = 0;
  /** appliedBytes at the last full collection. */
  private collectedAt = 0;
  /** When the follow-up young collection is due (ms), or null for none. */
  private followUpAt: number | null = null;
  /** When the shrink is due (ms), or null for none; its rounds left, and what each space had committed before its last round. */
  private shrinkAt: number | null = null;
  private shrinkRoundsLeft = 0;
  private shrinkTried: ShrinkTried = NONE_TRIED;
  /** The trim once loaded, null once it proved unavailable (loaded at the first trim only). */
  private trim: MallocTrim | null | undefined = undefined;

  /** `collect`, `now` and `loadTrim` are for tests; by default V8's collection, the wall clock and glibc's trim. */
  constructor(
    private readonly options: IdleCollectionOptions,
    private readonly probe: IdleCollectionProbe,
    private collect: Collect | null = null,
    private readonly now: () => number = Date.now,
    private readonly loadTrim: () => MallocTrimLoad = loadMallocTrim,
  ) {}

  /** Starts watching (nothing when idleMs is 0 or the runtime gives no collection). */
  start(): void {
    if (this.options.idleMs === 0 || this.timer !== null) return;
    this.collect ??= v8Collection();
    if (this.collect === null) return;
    this.lastApplied = this.probe.appliedBytes();
    this.collectedAt = this.lastApplied;
    this.lastChangeAt = this.now();
    // Looked at four times per idle period: a collection comes at most a quarter late.
    this.timer = setInterval(() => this.check(), Math.max(1, Math.floor(this.options.idleMs / 4)));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * One look. Idle for idleMs after enough was applied: a full collection (a young one
   * only, above heapBytesMax). Still idle another idleMs later: a young one, which gives the
   * young generation's pages back when V8 measured little allocation before it (the first
   * cannot: the load came just before it; the second may still count the load's last second).
   * Still idle shrinkMs after the full one: the shrink's rounds, one per look.
   */
  check(): void {
    const applied = this.probe.appliedBytes();
    const now = this.now();
    if (applied !== this.lastApplied) {
      this.lastApplied = applied;
      this.lastChangeAt = now;
      this.followUpAt = null;
      this.shrinkAt = null;
      return;
    }
    if (this.followUpAt !== null && now >= this.followUpAt) {
      this.followUpAt = null;
      this.run('young');
      return;
    }
    if (this.shrinkAt !== null && now >= this.shrinkAt) {
      this.shrinkRound();
      return;
    }
    // Something applied since the last collection, even with appliedBytesMin 0: else an idle
    // node would collect at every look.
    const burstBytes = applied - this.collectedAt;
    if (now - this.lastChangeAt < this.options.idleMs || burstBytes === 0 || burstBytes < this.options.appliedBytesMin) return;
    this.collectedAt = applied;
    if (this.probe.heapBytes() > this.options.heapBytesMax) {
      this.run('young');
      return;
    }
    this.followUpAt = now + this.options.idleMs;
    this.shrinkAt = this.options.shrinkMs === 0 ? null : now + this.options.shrinkMs;
    this.shrinkRoundsLeft = this.options.shrinkRoundsMax;
    this.shrinkTried = NONE_TRIED;
    this.run('full');
  }

  /**
   * One shrink round: a young collection while the young generation's slack is above the
   * margin, else a shrink collection while old space's is; either only if its last round
   * gave pages back (committed less than before it: the slack alone moves with allocation).
   */
  private shrinkRound(): void {
    const { young, old } = this.probe.heapSpaces();
    const margin = this.options.shrinkSlackBytes;
    const youngDue = slackBytes(young) > margin && young.committedBytes < this.shrinkTried.young;
    const oldDue = slackBytes(old) > margin && old.committedBytes < this.shrinkTried.old;
    if ((!youngDue && !oldDue) || this.shrinkRoundsLeft === 0 || this.probe.heapBytes() > this.options.heapBytesMax) {
      this.shrinkAt = null;
      return;
    }
    this.shrinkRoundsLeft--;
    if (youngDue) {
      this.shrinkTried = { ...this.shrinkTried, young: young.committedBytes };
      this.run('young');
    } else {
      this.shrinkTried = { ...this.shrinkTried, old: old.committedBytes };
      this.run('shrink');
    }
  }

  private run(kind: CollectionKind): void {
    const before = process.memoryUsage();
    const spacesBefore = this.probe.heapSpaces();
    const started = performance.now();
    this.collect?.(kind);
    const pauseMs = performance.now() - started;
    const after = process.memoryUsage();
    this.probe.collected({
      kind, pauseMs, heapBytes: [before.heapUsed, after.heapUsed], spaces: [spacesBefore, this.probe.heapSpaces()], rssBytes: [before.rss, after.rss],
    });
    if (this.options.mallocTrim) this.runTrim();
  }

  private runTrim(): void {
    if (this.trim === undefined) {
      const loaded = this.loadTrim();
      this.trim = 'trim' in loaded ? loaded.trim : null;
      if (!('trim' in loaded)) this.probe.trimUnavailable(loaded.unavailable);
    }
    if (this.trim === null) return;
    const rssBefore = process.memoryUsage.rss();
    const started = performance.now();
    this.trim();
    const pauseMs = performance.now() - started;
    this.probe.trimmed({ pauseMs, rssBytes: [rssBefore, process.memoryUsage.rss()] });
  }
}
