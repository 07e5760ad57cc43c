// Committed entries a node holds back under deferred script effects (docs/internals/scripting.md,
// "Deferred effects"): the core hands over every committed entry, and a script entry waits here,
// with everything after it, until the leader's record of it is committed, or until this node
// may or must resolve it itself. This decides which held entry may be applied next and how; the
// runtime (raft-node.ts) applies it.
//
// Invariants: entries are in index order, each handed over once; `records` holds only records
// for indexes above the applied index and below the effects entry that carried them, the first
// one for each index (all records of one entry are equal: each was made by running that entry
// on the same state).

import type { Entry } from '../raft/types.js';
import { EntryType } from '../raft/types.js';
import type { DeferredEffects, EffectsRecord } from './ports.js';

/**
 * How long and how much a node holds committed entries behind a script entry whose record has
 * not arrived. Past any of them it runs the script itself, which leaves the same state as
 * replaying the record would.
 */
export interface ScriptEffectsLimits {
  /** Milliseconds one script entry waits for its record (a leader died before proposing it, a partition). */
  readonly waitMs: number;
  /** Committed entries held at once. */
  readonly holdEntriesMax: number;
  /** Bytes of the committed entries held at once. */
  readonly holdBytesMax: number;
}

export const scriptEffectsDefaults: ScriptEffectsLimits = { waitMs: 2000, holdEntriesMax: 10_000, holdBytesMax: 64 * 1024 * 1024 };

/** The reason a ScriptEffectsLimits value is refused, or null. */
export function scriptEffectsLimitsProblem(limits: ScriptEffectsLimits): string | null {
  if (!Number.isSafeInteger(limits.waitMs) || limits.waitMs < 0) return `script-effects-wait-ms ${limits.waitMs}: must be an integer ≥ 0`;
  if (!Number.isSafeInteger(limits.holdEntriesMax) || limits.holdEntriesMax < 1) return `script-effects-hold-entries-max ${limits.holdEntriesMax}: must be an integer ≥ 1`;
  if (!Number.isSafeInteger(limits.holdBytesMax) || limits.holdBytesMax < 1) return `script-effects-hold-bytes-max ${limits.holdBytesMax}: must be an integer ≥ 1`;
  return null;
}

/**
 * How the front entry is applied: as it is (`run`), by replaying its record, by running and
 * recording it (a leader), as it is for want of a record (`fallback`), or not at all (`skip`: a
 * restored snapshot covers it). `wait`: it waits for its record.
 */
export type HeldStep = 'run' | 'replay' | 'record' | 'fallback' | 'skip' | 'wait';

/** Held entries at which the array is trimmed of those already applied. */
const TRIM_AFTER = 1024;

export class HeldEntries<R> {
  private entries: Entry[] = [];
  private head = 0;
  private bytes = 0;
  private readonly records = new Map<number, EffectsRecord>();
  /** The front entry while it waits for its record, and since when (clock ms). */
  private waitingIndex = 0;
  private waitingSince = 0;
  /** Term of the last entry handed over: a leader resolves entries once it is the leader's own. */
  private lastTerm = 0;

  constructor(
    readonly effects: DeferredEffects<R>,
    private readonly limits: ScriptEffectsLimits,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.entries.length - this.head;
  }

  /** The entry the last next() was about. */
  get front(): Entry {
    return this.entries[this.head] as Entry;
  }

  /** The record of the front entry, when next() said `replay`. */
  get frontRecord(): EffectsRecord {
    return this.records.get(this.front.index) as EffectsRecord;
  }

  /**
   * Takes a committed entry, filing the records an effects entry carries: the look-ahead, each
   * entry looked at once. A record for an applied index is dropped (resolved already, by a
   * replay, a run or a snapshot).
   */
  add(entry: Entry, applied: number): void {
    if (entry.index <= applied) return; // already covered by a restored snapshot
    this.lastTerm = entry.term;
    const records = entry.type === EntryType.Normal && entry.data.length > 0 ? this.effects.recordsIn(entry) : null;
    if (records !== null) {
      for (const record of records) {
        if (record.index > applied && record.index < entry.index && !this.records.has(record.index)) this.records.set(record.index, record);
      }
    }
    this.entries.push(entry);
    this.bytes += entry.data.length;
  }

  /**
   * How the front entry may be applied now; null when none is held. `leaderTerm`: this node's
   * term while it leads, else null. A leader resolves a script entry once an entry of its own
   * term has been handed over (its no-op is committed): that commit covers every older entry of
   * its log, so a record the previous leader proposed and that survived is filed by then.
   */
  next(applied: number, leaderTerm: number | null): HeldStep | null {
    const entry = this.entries[this.head];
    if (entry === undefined) return null;
    if (entry.index <= applied) return 'skip';
    if (entry.type !== EntryType.Normal || entry.data.length === 0) return 'run';
    if (this.records.has(entry.index)) return 'replay';
    if (!this.effects.awaitsRecord(entry)) return 'run';
    if (leaderTerm !== null && this.lastTerm === leaderTerm) return 'record';
    return this.waitedTooLong(entry) ? 'fallback' : 'wait';
  }

  /** The front entry was applied or skipped. */
  shift(): void {
    const entry = this.entries[this.head];
    if (entry === undefined) return;
    this.head++;
    this.bytes -= entry.data.length;
    this.records.delete(entry.index);
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
      this.bytes = 0;
      this.records.clear(); // any left name entries a restored snapshot covered
    } else if (this.head > TRIM_AFTER && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** True once `entry` has waited for its record past waitMs, or what is held is past its limits. */
  private waitedTooLong(entry: Entry): boolean {
    const now = this.now();
    if (this.waitingIndex !== entry.index) {
      this.waitingIndex = entry.index;
      this.waitingSince = now;
    }
    return now - this.waitingSince >= this.limits.waitMs || this.size > this.limits.holdEntriesMax || this.bytes > this.limits.holdBytesMax;
  }
}
