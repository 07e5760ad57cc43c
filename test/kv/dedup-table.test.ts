// The exactly-once table against a naive model of it (a list in last-use order searched from
// end to end): the same verdicts and the same records, in the same order, after any mix of
// clients from several origins, evictions by count, expiry by log time, and restores.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DedupTable, type DedupRecord, type DedupVerdict } from '../../src/kv/dedup-table.js';
import type { Reply } from '../../src/kv/reply.js';

interface ModelRecord {
  origin: string;
  client: number;
  floor: number;
  replies: Map<number, Reply>;
  lastUsedMs: number;
}

const belowFloorKind = 'error';

/** The table's rules, written as plainly as they read in dedup-table.ts's comment. */
class Model {
  records: ModelRecord[] = [];

  constructor(private readonly entriesMax: number, private readonly retentionMs: number, private readonly repliesPerClientMax: number) {}

  private find(origin: string, client: number): ModelRecord | undefined {
    return this.records.find((r) => r.origin === origin && r.client === client);
  }

  admit(origin: string, client: number, seq: number, firstUnanswered: number): { kind: string; reply?: Reply } {
    const record = this.find(origin, client);
    if (record === undefined) return { kind: 'new' };
    if (firstUnanswered > record.floor) {
      record.floor = firstUnanswered;
      for (const known of [...record.replies.keys()]) if (known < firstUnanswered) record.replies.delete(known);
    }
    const reply = record.replies.get(seq);
    if (reply !== undefined) return { kind: 'duplicate', reply };
    if (seq < record.floor) return { kind: belowFloorKind };
    return { kind: 'new' };
  }

  record(origin: string, client: number, seq: number, firstUnanswered: number, reply: Reply, nowMs: number): void {
    let record = this.find(origin, client);
    if (record === undefined) record = { origin, client, floor: firstUnanswered, replies: new Map(), lastUsedMs: nowMs };
    else this.records.splice(this.records.indexOf(record), 1);
    record.lastUsedMs = nowMs;
    this.records.push(record);
    record.replies.set(seq, reply);
    if (record.replies.size > this.repliesPerClientMax) {
      const lowest = Math.min(...record.replies.keys());
      record.replies.delete(lowest);
      record.floor = lowest + 1;
    }
    while (this.records.length > this.entriesMax) this.records.shift();
  }

  expire(nowMs: number): void {
    while (this.records.length > 0 && nowMs - (this.records[0] as ModelRecord).lastUsedMs > this.retentionMs) this.records.shift();
  }
}

function verdictOf(verdict: DedupVerdict): { kind: string; reply?: Reply } {
  if (verdict.kind === 'new') return { kind: 'new' };
  return verdict.reply.kind === 'error' && verdict.reply.message.includes('exactly-once window') ? { kind: belowFloorKind } : { kind: 'duplicate', reply: verdict.reply };
}

function plainRecords(records: readonly (DedupRecord | ModelRecord)[]): unknown[] {
  return records.map((r) => [r.origin, r.client, r.floor, [...r.replies], r.lastUsedMs]);
}

type Step =
  | { readonly op: 'write'; readonly origin: string; readonly client: number; readonly seq: number; readonly behind: number; readonly advanceMs: number }
  | { readonly op: 'expire' }
  | { readonly op: 'restore' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ op: fc.constant('write' as const), origin: fc.constantFrom('n1', 'n2', 'n3'), client: fc.integer({ min: 1, max: 6 }), seq: fc.integer({ min: 1, max: 12 }), behind: fc.integer({ min: 0, max: 3 }), advanceMs: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'expire' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'restore' as const }) },
);

test('the table answers and keeps exactly what a naive list of records in last-use order does', () => {
  fc.assert(fc.property(fc.array(step, { maxLength: 120 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4 }), (steps, entriesMax, repliesMax) => {
    const retentionMs = 100;
    let table = new DedupTable(entriesMax, retentionMs, repliesMax);
    const model = new Model(entriesMax, retentionMs, repliesMax);
    let nowMs = 0;
    for (const s of steps) {
      if (s.op === 'expire') {
        table.expire(nowMs);
        model.expire(nowMs);
      } else if (s.op === 'restore') {
        const restored = new DedupTable(entriesMax, retentionMs, repliesMax);
        restored.restore(table.all());
        table = restored;
      } else {
        nowMs += s.advanceMs;
        const firstUnanswered = Math.max(1, s.seq - s.behind);
        const verdict = verdictOf(table.admit(s.origin, s.client, s.seq, firstUnanswered));
        assert.deepEqual(verdict, model.admit(s.origin, s.client, s.seq, firstUnanswered));
        if (verdict.kind === 'new') {
          const reply: Reply = { kind: 'integer', value: nowMs * 100 + s.seq };
          table.record(s.origin, s.client, s.seq, firstUnanswered, reply, nowMs);
          model.record(s.origin, s.client, s.seq, firstUnanswered, reply, nowMs);
        }
      }
      assert.deepEqual(plainRecords(table.all()), plainRecords(model.records));
      assert.equal(table.size, model.records.length);
    }
  }), { numRuns: 300 });
});

test('a client id is a different client under another origin, and an evicted client is new again', () => {
  const table = new DedupTable(2, 1000, 4);
  const ok: Reply = { kind: 'simple', value: 'OK' };
  table.admit('n1', 1, 1, 1);
  table.record('n1', 1, 1, 1, ok, 0);
  assert.equal(table.admit('n2', 1, 1, 1).kind, 'new');
  table.record('n2', 1, 1, 1, ok, 0);
  assert.equal(table.admit('n1', 1, 1, 1).kind, 'duplicate');
  table.record('n1', 1, 2, 1, ok, 1);
  // n1/1 was used last: a third client evicts n2/1.
  table.admit('n3', 1, 1, 1);
  table.record('n3', 1, 1, 1, ok, 2);
  assert.equal(table.size, 2);
  assert.equal(table.admit('n2', 1, 1, 1).kind, 'new');
  assert.equal(table.admit('n1', 1, 2, 1).kind, 'duplicate');
});
