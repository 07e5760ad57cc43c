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
  /** Ordered by last use, oldest first (Set iteration order = insertion order). */
  private readonly records = new Set<MutableRecord>();
  /**
   * The same records by origin, then client id: how a command finds its client's record. A
   * map keyed by a string of both cost a string built and hashed whenever the client changed
   * (on every replica, for every write of a new run); `records` only keeps the order, by the
   * records themselves. Invariant: a record is in both or in neither.
   */
  private readonly byOrigin = new Map<string, Map<number, MutableRecord>>();
  private readonly belowFloor: Reply;
  /** The record last moved to the newest end of `records`. */
  private newest: MutableRecord | undefined = undefined;
  /**
   * The record last found (still in the table): a pipelining client's writes arrive back to
   * back, and each of them after the first, and its record() after its admit(), finds its
   * record here without a map lookup.
   */
  private lastFound: MutableRecord | undefined = undefined;

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

  private find(origin: string, client: number): MutableRecord | undefined {
    const last = this.lastFound;
    if (last !== undefined && last.client === client && last.origin === origin) return last;
    const record = this.byOrigin.get(origin)?.get(client);
    if (record !== undefined) this.lastFound = record;
    return record;
  }

  /** Adds a record at the newest end of `records`. */
  private add(record: MutableRecord): void {
    this.records.add(record);
    let clients = this.byOrigin.get(record.origin);
    if (clients === undefined) {
      clients = new Map();
      this.byOrigin.set(record.origin, clients);
    }
    clients.set(record.client, record);
  }

  private remove(record: MutableRecord): void {
    this.records.delete(record);
    const clients = this.byOrigin.get(record.origin);
    clients?.delete(record.client);
    if (clients?.size === 0) this.byOrigin.delete(record.origin);
    if (this.newest === record) this.newest = undefined;
    if (this.lastFound === record) this.lastFound = undefined;
  }

  /**
   * Whether request `seq` of the client is new. Also drops the replies the client no longer
   * needs (below `firstUnanswered`); call only from the deterministic apply path.
   */
  admit(origin: string, client: number, seq: number, firstUnanswered: number): DedupVerdict {
    const record = this.find(origin, client);
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
    let record = this.find(origin, client);
    if (record === undefined) {
      record = { origin, client, floor: firstUnanswered, replies: new Map(), lastUsedMs: nowMs };
      this.add(record);
    } else {
      record.lastUsedMs = nowMs;
      // Move it to the newest end, unless it is there already (the same client's writes in a row).
      if (this.newest !== record) {
        this.records.delete(record);
        this.records.add(record);
      }
    }
    this.newest = record;
    record.replies.set(seq, reply);
    if (record.replies.size > this.repliesPerClientMax) this.evictLowest(record);
    while (this.records.size > this.entriesMax) {
      const oldest = this.records.values().next();
      if (oldest.done === true) break;
      this.remove(oldest.value);
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
    for (const record of this.records.values()) {
      if (nowMs - record.lastUsedMs <= this.retentionMs) break;
      this.remove(record);
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
    this.byOrigin.clear();
    this.newest = undefined;
    this.lastFound = undefined;
    for (const r of records) {
      // A client twice in the list (never written so): the later record stands, as a map's set would have it.
      const earlier = this.find(r.origin, r.client);
      if (earlier !== undefined) this.remove(earlier);
      this.add({ origin: r.origin, client: r.client, floor: r.floor, replies: new Map(r.replies), lastUsedMs: r.lastUsedMs });
    }
  }
}
