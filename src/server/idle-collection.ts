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

import { setFlagsFromString } from 'node:v8';
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
}

export interface IdleCollectionProbe {
  /** Bytes of entries this node has applied since it started (and of snapshots it wrote or received); only grows. */
  appliedBytes(): number;
  /** The V8 heap in use now, in bytes. */
  heapBytes(): number;
  /** Told of each collection: which, its pause, and the heap in use and the RSS before and after it. */
  collected(result: { young: boolean; pauseMs: number; heapBytes: readonly [number, number]; rssBytes: readonly [number, number] }): void;
  /** Told of each trim after a collection: its pause and the RSS before and after it. */
  trimmed(result: { pauseMs: number; rssBytes: readonly [number, number] }): void;
  /** Told once, at the first trim, when this process cannot trim (not glibc, or no FFI): why. */
  trimUnavailable(reason: string): void;
}

/** A collection: `young` asks for the young generation only (V8's scavenge). */
export type Collect = (young: boolean) => void;

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
    return (young) => (gc as (options?: { type: string }) => void)(young ? { type: 'minor' } : undefined);
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

export class IdleCollection {
  private timer: NodeJS.Timeout | null = null;
  /** appliedBytes when it last changed, and when that was seen (ms). */
  private lastApplied = 0;
  private lastChangeAt = 0;
  /** appliedBytes at the last full collection. */
  private collectedAt = 0;
  /** When the follow-up young collection is due (ms), or null for none. */
  private followUpAt: number | null = null;
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
   * young generation's pages back. V8
   * shrinks it only at a collection that sees little allocated since the one before, which
   * the first cannot (the load is what came before it); the second sees only the idle node.
   */
  check(): void {
    const applied = this.probe.appliedBytes();
    const now = this.now();
    if (applied !== this.lastApplied) {
      this.lastApplied = applied;
      this.lastChangeAt = now;
      this.followUpAt = null;
      return;
    }
    if (this.followUpAt !== null && now >= this.followUpAt) {
      this.followUpAt = null;
      this.run(true);
      return;
    }
    if (now - this.lastChangeAt < this.options.idleMs || applied - this.collectedAt < this.options.appliedBytesMin) return;
    this.collectedAt = applied;
    if (this.probe.heapBytes() <= this.options.heapBytesMax) {
      this.followUpAt = now + this.options.idleMs;
      this.run(false);
    } else {
      this.run(true);
    }
  }

  private run(young: boolean): void {
    const before = process.memoryUsage();
    const started = performance.now();
    this.collect?.(young);
    const pauseMs = performance.now() - started;
    const after = process.memoryUsage();
    this.probe.collected({ young, pauseMs, heapBytes: [before.heapUsed, after.heapUsed], rssBytes: [before.rss, after.rss] });
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
