// Exactly-once: the last reply per client (origin node, client id), so a proposal retried
// after a leader change is applied once. Bounded in count (oldest evicted) and in time
// (dropped once unused for the retention, judged by log entry time, so every replica drops
// the same records at the same entry). A retry that arrives after its record was dropped
// executes again: the retention must exceed any client's retry window.

import type { Reply } from './reply.js';

export interface DedupRecord {
  readonly origin: string;
  readonly client: number;
  readonly seq: number;
  readonly reply: Reply;
  readonly lastUsedMs: number;
}

export type DedupVerdict =
  | { readonly kind: 'new' }
  | { readonly kind: 'duplicate'; readonly reply: Reply };

const staleRequestError: Reply = {
  kind: 'error',
  message: 'ERR request already applied and its reply is no longer retained (sequence older than the last)',
};

export class DedupTable {
  /** Ordered by last use, oldest first (Map iteration order = insertion order). */
  private readonly records = new Map<string, DedupRecord>();

  constructor(
    private readonly entriesMax: number,
    private readonly retentionMs: number,
  ) {
    if (!Number.isSafeInteger(entriesMax) || entriesMax < 1) throw new Error(`invalid dedupEntriesMax ${entriesMax}`);
    if (!Number.isSafeInteger(retentionMs) || retentionMs < 0) throw new Error(`invalid dedupRetentionMs ${retentionMs}`);
  }

  get size(): number {
    return this.records.size;
  }

  private static keyOf(origin: string, client: number): string {
    return `${client}\u0000${origin}`;
  }

  check(origin: string, client: number, seq: number): DedupVerdict {
    const record = this.records.get(DedupTable.keyOf(origin, client));
    if (record === undefined || seq > record.seq) return { kind: 'new' };
    if (seq === record.seq) return { kind: 'duplicate', reply: record.reply };
    return { kind: 'duplicate', reply: staleRequestError };
  }

  record(origin: string, client: number, seq: number, reply: Reply, nowMs: number): void {
    const key = DedupTable.keyOf(origin, client);
    this.records.delete(key);
    this.records.set(key, { origin, client, seq, reply, lastUsedMs: nowMs });
    while (this.records.size > this.entriesMax) {
      const oldest = this.records.keys().next();
      if (oldest.done === true) break;
      this.records.delete(oldest.value);
    }
  }

  /** Drops records unused for longer than the retention at log time `nowMs`. */
  expire(nowMs: number): void {
    for (const [key, record] of this.records) {
      if (nowMs - record.lastUsedMs <= this.retentionMs) break;
      this.records.delete(key);
    }
  }

  /** Oldest first, the order restore must insert them in. */
  all(): DedupRecord[] {
    return [...this.records.values()];
  }

  restore(records: readonly DedupRecord[]): void {
    this.records.clear();
    for (const record of records) this.records.set(DedupTable.keyOf(record.origin, record.client), record);
  }
}
