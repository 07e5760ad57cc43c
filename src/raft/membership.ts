// The configuration history of the log: the base configuration (from the snapshot or the
// initial state) and the configuration after each ConfChange entry still in the log.
//
// Single-server changes take effect when the entry is appended, committed or not (thesis
// §4.1); if an uncommitted ConfChange entry is truncated away, the configuration reverts to
// the one before it. The history is what makes that revert possible.
import { invariant } from './assert.js';
import { applyConfChange, decodeConfChange } from './conf-change.js';
import { EntryType, type ConfState, type Entry, type LogIndex } from './types.js';

interface Point {
  /** The index of the ConfChange entry (or of the snapshot / compaction point for the base). */
  readonly index: LogIndex;
  readonly confState: ConfState;
}

export class Membership {
  /** Ascending by index; points[0] is the base. Never empty. */
  private points: Point[];

  constructor(baseIndex: LogIndex, base: ConfState) {
    this.points = [{ index: baseIndex, confState: normalize(base) }];
  }

  /** The configuration in force: the newest one in the log. */
  current(): ConfState {
    return (this.points[this.points.length - 1] as Point).confState;
  }

  /** Index of the newest ConfChange entry in the log, or the base index if there is none. */
  lastChangeIndex(): LogIndex {
    return (this.points[this.points.length - 1] as Point).index;
  }

  /** The configuration in force once the log up to `index` is applied. */
  at(index: LogIndex): ConfState {
    const base = this.points[0] as Point;
    invariant(index >= base.index, () => `confStateAt(${index}) is before the membership base ${base.index}`);
    let found = base;
    for (const p of this.points) {
      if (p.index > index) break;
      found = p;
    }
    return found.confState;
  }

  /** Entries were appended (after any truncation reported through truncateFrom). */
  appended(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.type !== EntryType.ConfChange) continue;
      const decoded = decodeConfChange(e.data);
      invariant(decoded.ok, () => `ConfChange entry ${e.index} (term ${e.term}) does not decode: ${decoded.ok ? '' : decoded.error}`);
      this.points.push({ index: e.index, confState: applyConfChange(this.current(), decoded.value) });
    }
  }

  /** Entries at `index` and after were removed from the log: forget the changes they made. */
  truncateFrom(index: LogIndex): void {
    const base = this.points[0] as Point;
    invariant(index > base.index, () => `truncating membership at ${index}, at or before its base ${base.index}`);
    this.points = this.points.filter((p) => p.index < index);
  }

  /** Entries up to `index` were compacted: keep the newest point at or below it as the base. */
  compactTo(index: LogIndex): void {
    const base = { index, confState: this.at(index) };
    this.points = [base, ...this.points.filter((p) => p.index > index)];
  }

  /** The log was replaced by a snapshot. */
  reset(index: LogIndex, confState: ConfState): void {
    this.points = [{ index, confState: normalize(confState) }];
  }
}

function normalize(cs: ConfState): ConfState {
  return { voters: [...cs.voters], learners: [...cs.learners] };
}
