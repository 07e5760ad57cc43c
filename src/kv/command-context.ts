// The context one command executes in: the keyspace, the time expiry is judged at, and
// whether the command may mutate (apply) or not (read). Write lookups delete a key found
// expired, which is deterministic because every replica applies the same entry at the same
// time; read lookups only hide it. Typed lookups check the type in one place (WRONGTYPE is
// thrown as a CommandError); collections handed out for writing are settled when the
// command ends (finish): memory estimate, write stamp, and deletion of an emptied key.

import { noExpiry, type AccessTime, type KeyEntry, type Keyspace } from './keyspace.js';
import { CommandError, wrongTypeError } from './replies.js';
import { mixSeed } from './hash.js';
import type { CollectionTypeName, CollectionValue } from './value.js';
import type { MutableString } from './mutable-string.js';
import type { Scripting } from './script/scripting.js';
import type { KeyspaceEvents } from './keyspace-events.js';
import type { StreamSettings } from './stream-value.js';
import type { HllCountMemo } from './hyperloglog-count-memo.js';

/** A collection type as commands name it: its type name and how to make an empty one. */
export interface CollectionKind<V extends CollectionValue> {
  readonly type: CollectionTypeName;
  create(): V;
}

/** Most collections one command may open for writing (a bound on the settle list; SUNIONSTORE-like commands open two). */
const writableCollectionsMax = 1024 * 1024;

export interface KvCounters {
  expiredKeys: number;
  evictedKeys: number;
  internalErrors: number;
}

/**
 * The seed of the command at `position` (0 unless batched) in the entry at `index` applied at
 * `nowMs`: the same on every replica, different for each command of a batch.
 */
export function commandSeed(index: number, position: number, nowMs: number): number {
  return position === 0 ? mixSeed(index, nowMs) : mixSeed(mixSeed(index, position), nowMs);
}

export class CommandContext {
  /** Cluster time in ms: the entry's time for apply, the read point's time for read. */
  private commandNowMs: number;
  /** Deterministic seed for RANDOMKEY and scripts (see `seed`); while seedPosition >= 0, not yet derived. */
  private commandSeed: number;
  /** The entry's index and the command's place in it, when the seed is derived on first use (start), else -1. */
  private seedIndex = 0;
  private seedPosition = -1;
  /** True from start() to finish(): the context of a command running now (start refuses it then). */
  private running = false;

  constructor(
    readonly keyspace: Keyspace,
    nowMs: number,
    readonly writable: boolean,
    readonly protoMaxBulkLen: number,
    seed: number,
    private readonly counters: KvCounters,
    /**
     * 0 inside apply; for a client's read (served by one node, not replicated) a count of
     * this node's reads, which random reads mix into `seed` (random-picks.ts) so successive
     * reads at one read point draw independently, as Redis's distribution tests require.
     */
    readonly readSalt = 0,
    /** The state machine's scripts and VM, for the script commands (null where no script can run). */
    readonly scripting: Scripting | null = null,
    /** True for a command a script called (redis.call): SORT then orders a set it would leave unordered, as Redis does for scripts. */
    readonly calledFromScript = false,
  ) {
    this.commandNowMs = nowMs;
    this.commandSeed = seed;
  }

  /** Cluster time in ms: the entry's time for apply, the read point's time for read. */
  get nowMs(): number {
    return this.commandNowMs;
  }

  /** Deterministic seed for RANDOMKEY, SPOP, scripts: in apply, commandSeed's; a read's from its read point. */
  get seed(): number {
    if (this.seedPosition >= 0) {
      this.commandSeed = commandSeed(this.seedIndex, this.seedPosition, this.commandNowMs);
      this.seedPosition = -1;
    }
    return this.commandSeed;
  }

  /**
   * Marks the context in use by the command at `position` in the entry at `index`, applied
   * at `nowMs` (finish() ends it); false when it is in use already, so a caller that reuses
   * one context across commands (the state machine's apply) makes a fresh one for a command
   * that starts inside another. The seed is derived when a command first asks for it (most
   * never do). Every other field is the context's own and no command changes it.
   */
  start(nowMs: number, index: number, position: number): boolean {
    if (this.running) return false;
    this.running = true;
    this.commandNowMs = nowMs;
    this.seedIndex = index;
    this.seedPosition = position;
    return true;
  }

  /** Entries whose collection this command may have changed, with the version each had. */
  /** Null until the first one and after finish(): most commands open none. */
  private opened: { readonly entry: KeyEntry; readonly version: number }[] | null = null;

  /** Keyspace notifications, for commands that report their own events (streams' groups) and set the classes; null in reads. */
  events: KeyspaceEvents | null = null;

  /** The replicated stream settings (stream-node-max-entries and -bytes), for the stream commands; null in reads. */
  streams: StreamSettings | null = null;

  /** The replicated hll-sparse-max-bytes, for the HyperLogLog commands; null where none was given (Redis's default then). */
  hllSparseMaxBytes: (() => number) | null = null;

  /** This node's memo of PFCOUNT answers (node-local, never replicated); null: count every time. */
  hllCounts: HllCountMemo | null = null;

  /**
   * Where a read lookup that finds no key is reported (Redis's `keymiss` event, class m), or
   * null when nobody listens. A read-only command's lookups are all read lookups; a write
   * reports only the keys it reads as sources (lookupRead, readSource), as Redis's
   * lookupKeyRead and lookupKeyWrite divide them.
   */
  keyMissed: ((key: Uint8Array) => void) | null = null;

  /** True while a read-only command runs: every lookup is a read lookup. */
  readLookups = false;

  /**
   * Whether lookups record an access (node-local: OBJECT IDLETIME). False for the commands
   * Redis looks keys up for with LOOKUP_NOTOUCH (TYPE, EXISTS, TTL and its kin).
   */
  touches = true;

  /** The collection of `kind` at `key`, or undefined when absent; WRONGTYPE (thrown) for another type. */
  readCollection<V extends CollectionValue>(key: Uint8Array, kind: CollectionKind<V>): V | undefined {
    return this.typed(this.lookup(key), kind);
  }

  /** readCollection for a key a write reads from (a *STORE command's sources): a miss is reported. */
  readSource<V extends CollectionValue>(key: Uint8Array, kind: CollectionKind<V>): V | undefined {
    return this.typed(this.lookupRead(key), kind);
  }

  private typed<V extends CollectionValue>(entry: KeyEntry | undefined, kind: CollectionKind<V>): V | undefined {
    if (entry === undefined) return undefined;
    const stored = entry.stored;
    if (typeof stored === 'string' || stored.type !== kind.type) throw new CommandError(wrongTypeError);
    return stored as V;
  }

  /**
   * The collection of `kind` at `key`, to be changed in place by this command: created empty
   * when absent and `create` (an empty one left at the end is deleted), else undefined.
   * WRONGTYPE (thrown) for another type, before anything changed.
   */
  writeCollection<V extends CollectionValue>(key: Uint8Array, kind: CollectionKind<V>, create: boolean): V | undefined {
    this.assertWritable('write');
    let entry = this.lookup(key);
    if (entry === undefined) {
      if (!create) return undefined;
      entry = this.keyspace.create(key, kind.create());
    }
    const stored = entry.stored;
    if (typeof stored === 'string' || stored.type !== kind.type) throw new CommandError(wrongTypeError);
    return this.open(entry) as V;
  }

  /** Lets the command change `entry`'s collection in place; settled by finish(). */
  open(entry: KeyEntry): CollectionValue {
    this.opened ??= [];
    if (this.opened.length >= writableCollectionsMax) throw new Error(`kv: a command opened more than ${writableCollectionsMax} collections`);
    const value = this.keyspace.beginMutation(entry);
    this.opened.push({ entry, version: value.version });
    return value;
  }

  /** Lets the command change `entry`'s string in place (mutable-string.ts), to about `lengthHint` bytes; settled by finish(). */
  openString(entry: KeyEntry, lengthHint = 0): MutableString {
    this.assertWritable('change a string');
    this.opened ??= [];
    if (this.opened.length >= writableCollectionsMax) throw new Error(`kv: a command opened more than ${writableCollectionsMax} values`);
    const value = this.keyspace.beginStringMutation(entry, lengthHint);
    this.opened.push({ entry, version: value.version });
    return value;
  }

  /** Settles every collection and string opened for writing; the state machine calls it when the command ends. */
  finish(): void {
    this.running = false;
    if (this.opened === null) return;
    for (const { entry, version } of this.opened) {
      if (!this.keyspace.holds(entry)) continue;
      const stored = entry.stored;
      this.keyspace.settle(entry, typeof stored !== 'string' && stored.version !== version);
    }
    this.opened = null;
  }

  /** The live entry of `key` at nowMs; when writable, an expired entry is deleted on the way. */
  lookup(key: Uint8Array): KeyEntry | undefined {
    const entry = this.find(key);
    if (entry === undefined && this.readLookups) this.keyMissed?.(key);
    return entry;
  }

  /** Redis's lookupKeyRead inside a write (GETDEL, COPY's source, ...): a miss is reported. */
  lookupRead(key: Uint8Array): KeyEntry | undefined {
    const entry = this.find(key);
    if (entry === undefined) this.keyMissed?.(key);
    return entry;
  }

  /** A lookup that reports nothing and leaves the access time, even in a read-only command (Redis's LOOKUP_NONOTIFY|LOOKUP_NOTOUCH: OBJECT, MEMORY USAGE). */
  peek(key: Uint8Array): KeyEntry | undefined {
    return this.find(key, false);
  }

  /** The entry's node-local access time (OBJECT IDLETIME, DEBUG OBJECT). */
  accessTimeOf(entry: KeyEntry): AccessTime {
    return this.keyspace.accessTimeOf(entry);
  }

  private find(key: Uint8Array, touch = this.touches): KeyEntry | undefined {
    const entry = this.findLive(key);
    if (entry !== undefined && touch) this.keyspace.recordAccess(entry);
    return entry;
  }

  private findLive(key: Uint8Array): KeyEntry | undefined {
    if (!this.writable) return this.keyspace.get(key, this.nowMs);
    const entry = this.keyspace.raw(key);
    if (entry === undefined) return undefined;
    if (entry.expireAtMs <= this.nowMs) {
      this.keyspace.delete(entry, this.nowMs);
      this.counters.expiredKeys++;
      return undefined;
    }
    return entry;
  }

  /** Deletes an entry known to be live. */
  delete(entry: KeyEntry): void {
    this.assertWritable('delete');
    this.keyspace.delete(entry, this.nowMs);
  }

  /** Deletes `entry` because an expiry at or before nowMs was set on it (EXPIRE in the past). */
  expireNow(entry: KeyEntry): void {
    this.assertWritable('expire');
    this.keyspace.delete(entry, this.nowMs);
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
