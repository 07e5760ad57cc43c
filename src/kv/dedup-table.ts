// Exactly-once (Raft thesis §6.3): per client (origin node, client id), the replies of its
// requests that were applied but may not have reached it yet, so a request retried after a
// leader change is applied once and answered with its first reply, even when the client has
// later requests in flight (pipelining) and retries arrive out of order.
//
// Every request carries the lowest sequence its client has not been answered for
// (`firstUnanswered`): replies below it can never be asked for again and are dropped, and a
// request below it is never applied again. At most `repliesPerClientMax` replies are kept
// per client; evicting one raises that client's floor past it, so its retry is refused
// rather than applied twice.
//
// Records are bounded in count (least recently used client evicted) and in time (dropped
// once unused for the retention, judged by log entry time, so every replica drops the same
// records at the same entry). A retry that arrives after its record was dropped executes
// again: the retention must exceed any client's retry window.

import type { Reply } from './reply.js';

export interface DedupRecord {
  readonly origin: string;
  readonly client: number;
  /** Every sequence below this was answered to the client, or its reply was evicted: never applied again. */
  readonly floor: number;
  /** Replies of applied sequences ≥ floor, in apply order. */
  readonly replies: ReadonlyMap<number, Reply>;
  readonly lastUsedMs: number;
}

interface MutableRecord {
  readonly origin: string;
  readonly client: number;
  floor: number;
  readonly replies: Map<number, Reply>;
  lastUsedMs: number;
}

export type DedupVerdict =
  | { readonly kind: 'new' }
  | { readonly kind: 'duplicate'; readonly reply: Reply };

const newRequest: DedupVerdict = { kind: 'new' };

export class DedupTable {
  /** Ordered by last use, oldest first (Map iteration order = insertion order). */
  private readonly records = new Map<string, MutableRecord>();
  private readonly belowFloor: Reply;
  /** The key last moved to the newest end of `records`. */
  private newestKey = '';
  /**
   * The client admit() just looked up (its key and record), for the record() that follows
   * it: a pipelining client's writes arrive back to back, and each costs one map lookup, not
   * two. Kept in fields, not an object, and the key is reused while the client stays the
   * same: this runs for every write on every replica.
   */
  private admittedOrigin = '';
  private admittedClient = -1;
  private admittedKey = '';
  private admittedRecord: MutableRecord | undefined = undefined;
  /** True between an admit() and the record() that consumes it. */
  private admittedPending = false;

  constructor(
    private readonly entriesMax: number,
    private readonly retentionMs: number,
    private readonly repliesPerClientMax: number,
  ) {
    if (!Number.isSafeInteger(entriesMax) || entriesMax < 1) throw new Error(`invalid dedupEntriesMax ${entriesMax}`);
    if (!Number.isSafeInteger(retentionMs) || retentionMs < 0) throw new Error(`invalid dedupRetentionMs ${retentionMs}`);
    if (!Number.isSafeInteger(repliesPerClientMax) || repliesPerClientMax < 1) throw new Error(`invalid dedupRepliesPerClientMax ${repliesPerClientMax}`);
    this.belowFloor = {
      kind: 'error',
      message: `ERR request is older than this connection's exactly-once window (answered already, or more than ${repliesPerClientMax} of its writes were in flight): it may or may not have been applied`,
    };
  }

  /** Clients with a record. */
  get size(): number {
    return this.records.size;
  }

  private static keyOf(origin: string, client: number): string {
    return `${client}\u0000${origin}`;
  }

  /**
   * Whether request `seq` of the client is new. Also drops the replies the client no longer
   * needs (below `firstUnanswered`); call only from the deterministic apply path.
   */
  admit(origin: string, client: number, seq: number, firstUnanswered: number): DedupVerdict {
    const key = origin === this.admittedOrigin && client === this.admittedClient ? this.admittedKey : DedupTable.keyOf(origin, client);
    const record = this.records.get(key);
    this.admittedOrigin = origin;
    this.admittedClient = client;
    this.admittedKey = key;
    this.admittedRecord = record;
    this.admittedPending = true;
    if (record === undefined) return newRequest;
    if (firstUnanswered > record.floor) {
      record.floor = firstUnanswered;
      for (const known of record.replies.keys()) if (known < firstUnanswered) record.replies.delete(known);
    }
    const reply = record.replies.get(seq);
    if (reply !== undefined) return { kind: 'duplicate', reply };
    if (seq < record.floor) return { kind: 'duplicate', reply: this.belowFloor };
    return newRequest;
  }

  /** Remembers the reply of applied request `seq` (admitted as new just before). */
  record(origin: string, client: number, seq: number, firstUnanswered: number, reply: Reply, nowMs: number): void {
    const known = this.admittedPending && this.admittedOrigin === origin && this.admittedClient === client;
    this.admittedPending = false;
    const key = known ? this.admittedKey : DedupTable.keyOf(origin, client);
    let record = known ? this.admittedRecord : this.records.get(key);
    this.admittedRecord = undefined;
    if (record === undefined) {
      record = { origin, client, floor: firstUnanswered, replies: new Map(), lastUsedMs: nowMs };
      this.records.set(key, record);
    } else {
      record.lastUsedMs = nowMs;
      // Move it to the newest end, unless it is there already (the same client's writes in a row).
      if (this.newestKey !== key) {
        this.records.delete(key);
        this.records.set(key, record);
      }
    }
    this.newestKey = key;
    record.replies.set(seq, reply);
    if (record.replies.size > this.repliesPerClientMax) this.evictLowest(record);
    while (this.records.size > this.entriesMax) {
      const oldest = this.records.keys().next();
      if (oldest.done === true) break;
      this.records.delete(oldest.value);
    }
  }

  private evictLowest(record: MutableRecord): void {
    let lowest = Infinity;
    for (const known of record.replies.keys()) if (known < lowest) lowest = known;
    record.replies.delete(lowest);
    // Every retained reply is at or above the floor, so raising it to just past the lowest drops no other.
    record.floor = lowest + 1;
  }

  /** Drops records unused for longer than the retention at log time `nowMs`. */
  expire(nowMs: number): void {
    for (const [key, record] of this.records) {
      if (nowMs - record.lastUsedMs <= this.retentionMs) break;
      this.records.delete(key);
    }
  }

  /** Replies held over all clients. */
  replyCount(): number {
    let count = 0;
    for (const record of this.records.values()) count += record.replies.size;
    return count;
  }

  /** Oldest first, the order restore must insert them in. */
  all(): DedupRecord[] {
    return [...this.records.values()].map((r) => ({ origin: r.origin, client: r.client, floor: r.floor, replies: new Map(r.replies), lastUsedMs: r.lastUsedMs }));
  }

  restore(records: readonly DedupRecord[]): void {
    this.records.clear();
    this.newestKey = '';
    this.admittedPending = false;
    this.admittedRecord = undefined;
    for (const r of records) {
      this.records.set(DedupTable.keyOf(r.origin, r.client), { origin: r.origin, client: r.client, floor: r.floor, replies: new Map(r.replies), lastUsedMs: r.lastUsedMs });
    }
  }
}
