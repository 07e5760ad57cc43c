// The core's log lets go of the data of entries that are applied and durable: a slice or an
// entry below that point is read back from the driver's log, terms stay in memory, and
// nothing unapplied or undurable is ever released.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaftLog, type EntryReader } from '../../src/raft/log.js';
import { EntryType, type Entry, type LogIndex, type Term } from '../../src/raft/types.js';

const index = (n: number): LogIndex => n as LogIndex;

function entries(from: number, to: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: index(i), term: (1 + Math.floor(i / 10)) as Term, type: EntryType.Normal, data: new Uint8Array([i, i, i]) });
  return out;
}

/** The driver's log: every entry ever appended, counting the reads. */
function driverLog(all: readonly Entry[]): EntryReader & { reads: number } {
  return {
    reads: 0,
    entries(lo, hi, maxBytes) {
      this.reads++;
      const out: Entry[] = [];
      let bytes = 0;
      for (const e of all) {
        if (e.index < lo || e.index > hi) continue;
        if (out.length > 0 && bytes + e.data.length > maxBytes) break;
        bytes += e.data.length;
        out.push(e);
      }
      return out;
    },
  };
}

test('released entries come back from the driver\'s log, unreleased ones from memory', () => {
  const all = entries(1, 30);
  const log = new RaftLog(null, all, { voters: [], learners: [] } as never, index(30), index(0));
  const reader = driverLog(all);
  log.setReader(reader);
  log.applied = index(20);
  log.releaseData(index(25)); // clamped to applied
  assert.deepEqual(log.slice(index(1), index(30)).map((e) => [e.index, [...e.data]]), all.slice(0, 20).map((e) => [e.index, [...e.data]]),
    'a slice stops where the released entries end');
  assert.equal(reader.reads, 1);
  assert.deepEqual([...log.slice(index(21), index(30)).map((e) => e.index)], all.slice(20).map((e) => e.index));
  assert.equal(reader.reads, 1, 'unreleased entries come from memory');
  assert.deepEqual([...log.entry(index(7)).data], [7, 7, 7]);
  assert.equal(log.term(index(7)), all[6]?.term, 'terms stay in memory');
  assert.equal(log.slice(index(1), index(20), 7).length, 2, 'the byte bound holds for read-back entries');
});

test('nothing is released without a reader, past applied or past persisted, and compaction moves the release point', () => {
  const all = entries(1, 30);
  const log = new RaftLog(null, all, { voters: [], learners: [] } as never, index(30), index(0));
  log.applied = index(20);
  log.releaseData(index(20));
  assert.deepEqual([...log.entry(index(5)).data], [5, 5, 5], 'no reader: everything stays');
  const reader = driverLog(all);
  log.setReader(reader);
  log.persisted = index(10);
  log.releaseData(index(20));
  log.slice(index(11), index(20));
  assert.equal(reader.reads, 0, 'entries past the persisted point stay in memory');
  log.compact(index(15));
  assert.equal(log.firstIndex(), 16);
  assert.deepEqual(log.slice(index(16), index(30)).map((e) => e.index), all.slice(15).map((e) => e.index));
  assert.equal(reader.reads, 0, 'after compaction past the release point, nothing below is read back');
});
