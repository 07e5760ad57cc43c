// The context one command executes in: the keyspace, the time expiry is judged at, and
// whether the command may mutate (apply) or not (read). Write lookups delete a key found
// expired, which is deterministic because every replica applies the same entry at the same
// time; read lookups only hide it.

import { noExpiry, type KeyEntry, type Keyspace } from './keyspace.js';

export interface KvCounters {
  expiredKeys: number;
  evictedKeys: number;
  internalErrors: number;
}

export class CommandContext {
  constructor(
    readonly keyspace: Keyspace,
    /** Cluster time in ms: the entry's time for apply, the read point's time for read. */
    readonly nowMs: number,
    readonly writable: boolean,
    readonly protoMaxBulkLen: number,
    /** Deterministic seed for RANDOMKEY: derived from the applied index and time. */
    readonly seed: number,
    private readonly counters: KvCounters,
  ) {}

  /** The live entry of `key` at nowMs; when writable, an expired entry is deleted on the way. */
  lookup(key: Uint8Array): KeyEntry | undefined {
    if (!this.writable) return this.keyspace.get(key, this.nowMs);
    const entry = this.keyspace.raw(key);
    if (entry === undefined) return undefined;
    if (entry.expireAtMs <= this.nowMs) {
      this.keyspace.delete(entry);
      this.counters.expiredKeys++;
      return undefined;
    }
    return entry;
  }

  /** Deletes an entry known to be live. */
  delete(entry: KeyEntry): void {
    this.assertWritable('delete');
    this.keyspace.delete(entry);
  }

  /** Deletes `entry` because an expiry at or before nowMs was set on it (EXPIRE in the past). */
  expireNow(entry: KeyEntry): void {
    this.assertWritable('expire');
    this.keyspace.delete(entry);
    this.counters.expiredKeys++;
  }

  /** True when an absolute expiry time is already due: the key must be deleted instead. */
  isDue(expireAtMs: number): boolean {
    return expireAtMs !== noExpiry && expireAtMs <= this.nowMs;
  }

  assertWritable(what: string): void {
    if (!this.writable) throw new Error(`kv: ${what} attempted by a command running as a read`);
  }
}
