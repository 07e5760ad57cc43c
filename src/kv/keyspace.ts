// The keyspace: binary-safe keys mapped to typed values with an optional expiry time.
//
// Keys are looked up by their bytes in the key table (key-table.ts: an open-addressing
// index of slots, hashed from the request's bytes where they are, no string made per lookup).
// Each key carries two stamps from one counter that advances on every write, so every
// replica assigns the same numbers:
//   - createdStamp orders keys by creation; SCAN cursors and snapshot streams walk that order,
//     so a key present for a whole SCAN is returned even while others come and go;
//   - writtenStamp orders keys by write recency for the LRU eviction policies. Reads do not go
//     through the log, so they cannot count as "use" on every replica: LRU here is
//     least-recently-WRITTEN.
// Memory is an estimate computed only from keys and values, identical on every replica.
// Snapshots in progress observe mutations to save a key's old entry before it changes.
//
// Compact per key (a million keys must cost little more than their bytes): no object per key.
// Keys live in slots of KeyColumns (key-columns.ts: the key and a short string value in one
// latin1 string, the stamps, access time and write-order links in typed-array columns, the
// expiry in a paged one); a slot is the key's creation-order position and what the key table
// stores. A lookup hands out a small short-lived handle (EntryRef) that callers see as a
// KeyEntry; `key` and a string `value` materialize a fresh copy on each access. A key, at a
// million 12-byte keys with 100-byte values: its cell 136 B, its cell pointer 8 B, columns
// 28 B (36 B with an expiry), its table bucket 8–16 B and hash 4 B.
// Other types are collection objects (value.ts) changed in place between beginMutation and
// settle, which keep open snapshots and the memory estimate right.
//
// Removals leave a version behind for WATCH (removal-stamps.ts): `version` is what WATCH
// records and EXEC compares, for present and absent keys alike.

import {
  cellData, cellHasKey, cellKey, cellKeyHash, cellKeyLength, cellObject, cellsShareKey, cellType, cellValue, cellValueLength,
  KeyColumns, mapKeyOf, newCell, noExpiry, noSlot, replacedCell, type Cell,
} from './key-columns.js';
import { hashOfBytes, KeyTable, type KeyTableHost } from './key-table.js';
import { ExpiryHeap, type ExpiryItem } from './expiry-heap.js';
import { expiredVersion, RemovalStamps, removalBucketCount } from './removal-stamps.js';
import { StepwiseSort } from './stepwise-sort.js';
import { isCollection, type CollectionValue, type StoredValue, type TypeName, type Value } from './value.js';
import { MutableString, mutableStringBytesMin } from './mutable-string.js';

export type { StoredValue, Value } from './value.js';
export { mapKeyOf, noExpiry, packedValueBytesMax } from './key-columns.js';

/** Fixed per-key overhead of the memory estimate (a key's slot: cell pointer, columns, table bucket and hash). */
export const keyOverheadBytes = 64;
/** Extra estimate for a key with an expiry (heap item, volatile index). */
export const expiryOverheadBytes = 32;

/**
 * A stored key as callers see it; only the keyspace changes it. A handle made per lookup: two
 * lookups of one key give two objects, and the same createdStamp.
 */
export interface KeyEntry {
  /** The key's bytes: a fresh copy on each access. */
  readonly key: Buffer;
  /** The key's bytes as a latin1 string (the map key). */
  readonly mapKey: string;
  /** The value: a string's bytes as a fresh copy on each access (read it once per command), or the live collection. */
  readonly value: Value;
  /** The value as stored: a string's bytes as a latin1 string or a MutableString, or the live collection (change it only through the write API). */
  readonly stored: StoredValue;
  /** The value's type, without materializing the value. */
  readonly valueType: TypeName;
  /** A string's length in bytes, a collection's memory estimate, without materializing the value. */
  readonly valueByteLength: number;
  /** Absolute cluster time in ms at which the key expires; noExpiry (Infinity) for none. */
  readonly expireAtMs: number;
  /** Stamp at creation: never changes while the key exists. */
  readonly createdStamp: number;
  /** Stamp of the last write to this key. Invariant: writtenStamp >= createdStamp. */
  readonly writtenStamp: number;
}

/** A frozen copy of an entry, as stored in snapshots. */
export interface EntryImage {
  readonly key: Buffer;
  readonly value: Value;
  readonly expireAtMs: number;
  readonly createdStamp: number;
  readonly writtenStamp: number;
}

/** Told about every entry just before it changes or disappears (copy-on-write snapshots). */
export interface KeyspaceObserver {
  beforeChange(entry: KeyEntry): void;
}

/** The stored form of a value: a string's bytes as a latin1 string (a bijection), a collection as it is. */
function storedData(value: Value): StoredValue {
  return value.type === 'string' ? mapKeyOf(value.data) : value;
}

/**
 * A handle on one key, made per lookup (a key itself has no object: see the file comment).
 * It finds its key's slot again by creation stamp after slots were renumbered, and keeps the
 * cell it last read, so a caller holding it after the key was removed still reads the key
 * (and the value it had) once the slot is gone. Only the keyspace writes through it.
 */
class EntryRef implements KeyEntry {
  constructor(
    readonly columns: KeyColumns,
    private slotSeen: number,
    private epochSeen: number,
    readonly createdStamp: number,
    private cellSeen: Cell,
  ) {}

  /** The key's slot (live or removed), or noSlot once removed and compacted away or cleared. */
  slot(): number {
    const columns = this.columns;
    if (this.epochSeen === columns.epoch) return this.slotSeen;
    const slot = columns.slotOfStamp(this.createdStamp);
    if (slot !== noSlot) {
      this.slotSeen = slot;
      this.epochSeen = columns.epoch;
    }
    return slot;
  }

  get removed(): boolean {
    const slot = this.slot();
    return slot === noSlot || this.columns.isRemoved(slot);
  }

  private cell(): Cell {
    const slot = this.slot();
    if (slot !== noSlot) this.cellSeen = this.columns.cells[slot] as Cell;
    return this.cellSeen;
  }

  /** The slot, which must still exist (not compacted away). */
  private heldSlot(): number {
    const slot = this.slot();
    if (slot === noSlot) throw new Error(`keyspace: the key created at stamp ${this.createdStamp} is gone`);
    return slot;
  }

  get mapKey(): string {
    return cellKey(this.cellSeen);
  }

  get key(): Buffer {
    return Buffer.from(this.mapKey, 'latin1');
  }

  get value(): Value {
    return cellValue(this.cell());
  }

  get stored(): StoredValue {
    return cellData(this.cell());
  }

  get valueType(): TypeName {
    return cellType(this.cell());
  }

  get valueByteLength(): number {
    return cellValueLength(this.cell());
  }

  get expireAtMs(): number {
    return this.columns.expiries.get(this.heldSlot());
  }

  get writtenStamp(): number {
    return this.columns.writtenStamps[this.heldSlot()] as number;
  }
}

/**
 * The memory estimate of one key as the keyspace counts it: its bytes, its value's bytes (a
 * collection's as last settled) and fixed overheads, the same on every replica.
 */
function bytesOf(cell: Cell, expireAtMs: number): number {
  const object = cellObject(cell);
  const valueBytes = object === null ? cellValueLength(cell) : object.accountedBytes;
  return keyOverheadBytes + cellKeyLength(cell) + valueBytes + (expireAtMs === noExpiry ? 0 : expiryOverheadBytes);
}

/** Whether data about to be stored is a collection (not a string's bytes in either form). */
function holdsCollection(data: StoredValue | Uint8Array): data is CollectionValue {
  return !(data instanceof Uint8Array) && isCollection(data);
}

/** A value about to be stored: a collection's (or MutableString's) current size becomes what the estimate counts. */
function account<T extends StoredValue | Uint8Array>(data: T): T {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) data.accountedBytes = data.bytes;
  return data;
}

/** Work units one key costs while the loader fills the indexes (map inserts cost more than sort moves). */
const indexWorkPerKey = 6;

/** Builds a keyspace from snapshot images in bounded steps; see Keyspace.loader. */
export interface KeyspaceLoader {
  /** Adds one image (its key's latin1 string may be passed if known); throws on a stamp beyond the keyspace's. */
  add(image: EntryImage, mapKey?: string): void;
  /** Adds one key in stored form (key bytes as a latin1 string, the stored value): a restore decodes straight to it. */
  addStored(mapKey: string, data: StoredValue, expireAtMs: number, createdStamp: number, writtenStamp: number): void;
  /** The versions removals left (none: a snapshot from before they were kept). */
  setRemovals(removals: RemovalStamps): void;
  /**
   * Does at most about `workMax` units of the remaining build (after the last add); true
   * while more remains. Throws on a duplicate key (a corrupt snapshot).
   */
  step(workMax: number): boolean;
  /** The finished keyspace, once step() returned false. */
  keyspace(): Keyspace;
}

/** Redis's LRU clock: seconds, in 24 bits, wrapping after about 194 days (LRU_CLOCK_MAX). */
export const accessClockMax = 0xffffff;
const accessUnset = -1;

/** A key's access time as OBJECT IDLETIME and DEBUG OBJECT show it. */
export interface AccessTime {
  /** The access clock at the key's last access (DEBUG OBJECT's `lru`). */
  readonly clock: number;
  readonly idleSeconds: number;
}

/** Dead slots tolerated in the creation order before it is compacted. */
const orderDeadSlotsMin = 1024;
/** Stale heap items tolerated (beyond twice the live ones) before the heap is rebuilt. */
const heapStaleItemsMin = 1024;

export class Keyspace {
  /** Every key's fields by slot, in creation order; may hold removed slots until compacted. */
  private readonly columns = new KeyColumns();
  /** Live keys by their bytes → their slot. */
  private readonly table = new KeyTable(this.slotKeys());
  private orderDeadSlots = 0;
  /** Creation stamps of the keys with an expiry, least recently written first (Set iteration order is insertion order). */
  private readonly volatileRecency = new Set<number>();
  /** Expiry items; an item's target is its key's creation stamp (no handle: a stale item would keep the cell it read alive). */
  private readonly expiryHeap = new ExpiryHeap<number>();
  private readonly observers = new Set<KeyspaceObserver>();
  private stampCounter: number;
  /** What removals left, for the versions of absent keys. */
  private removals = new RemovalStamps();
  /** False while applying an entry of a format from before removal versions (command-codec.ts): removals then leave none. */
  private removalVersionsKept = true;
  private memoryEstimateBytes = 0;
  /** Told the key of every collection stored (created, or put in place of another value): blocked clients' wake-ups. */
  private collectionStored: ((mapKey: string) => void) | null = null;
  /** Node-local: the access clock now (set by the node, never by apply) and when this keyspace was built. */
  private accessClock = 0;
  private builtClock = accessUnset;

  constructor(stamp = 0) {
    this.stampCounter = stamp;
  }

  /** Builds a keyspace from snapshot images (any order) in one go; stamps are kept. */
  static fromImages(images: readonly EntryImage[], stamp: number): Keyspace {
    const loader = Keyspace.loader(stamp);
    for (const image of images) loader.add(image);
    while (loader.step(Number.MAX_SAFE_INTEGER));
    return loader.keyspace();
  }

  /**
   * Builds a keyspace aside from snapshot images in bounded steps (a restore must not block
   * the event loop): `add` each image as it is decoded, then call `step` until it returns
   * false, then take `keyspace()`. Nothing else sees the keyspace until then. The images'
   * bytes are copied: they may be views into the caller's buffers.
   */
  static loader(stamp: number): KeyspaceLoader {
    const keyspace = new Keyspace(stamp);
    const columns = keyspace.columns;
    let inCreationOrder = true;
    let lastCreatedStamp = 0;
    let phase: 'adding' | 'byCreation' | 'byWrite' | 'indexes' | 'done' = 'adding';
    let sort: StepwiseSort<number> | null = null;
    let byWrite: number[] = [];
    let next = 0;
    const slots = (): number[] => Array.from({ length: columns.length }, (_, slot) => slot);
    const loader: KeyspaceLoader = {
      add(image: EntryImage, mapKey: string = mapKeyOf(image.key)): void {
        loader.addStored(mapKey, storedData(image.value), image.expireAtMs, image.createdStamp, image.writtenStamp);
      },
      addStored(mapKey: string, data: StoredValue, expireAtMs: number, createdStamp: number, writtenStamp: number): void {
        if (phase !== 'adding') throw new Error(`keyspace loader: add() in phase ${phase}`);
        if (createdStamp > stamp || writtenStamp > stamp) {
          throw new Error(`entry stamp ${createdStamp}/${writtenStamp} beyond keyspace stamp ${stamp}`);
        }
        const cell = newCell(mapKey, account(data));
        columns.append(cell, expireAtMs, createdStamp, writtenStamp, accessUnset);
        keyspace.memoryEstimateBytes += bytesOf(cell, expireAtMs);
        if (createdStamp <= lastCreatedStamp) inCreationOrder = false;
        lastCreatedStamp = createdStamp;
      },
      setRemovals(removals: RemovalStamps): void {
        keyspace.removals = removals;
      },
      step(workMax: number): boolean {
        let work = 0;
        while (work < workMax) {
          switch (phase) {
            case 'adding':
              phase = 'byCreation';
              if (!inCreationOrder) sort = new StepwiseSort(slots(), (slot) => columns.createdStamps[slot] as number);
              break;
            case 'byCreation':
              if (sort !== null) {
                if (sort.step(workMax - work)) return true;
                columns.reorder(sort.result());
              }
              work += 1;
              sort = new StepwiseSort(slots(), (slot) => columns.writtenStamps[slot] as number);
              phase = 'byWrite';
              break;
            case 'byWrite':
              if ((sort as StepwiseSort<number>).step(workMax - work)) return true;
              byWrite = (sort as StepwiseSort<number>).result();
              sort = null;
              work += 1;
              phase = 'indexes';
              break;
            case 'indexes': {
              // Slot i fills the key table and the expiry heap in creation order (the heap gets
              // the same shape on every replica) and the write-order list from the write order.
              const first = next;
              const end = Math.min(byWrite.length, next + Math.max(1, Math.floor((workMax - work) / indexWorkPerKey)));
              for (; next < end; next++) {
                if (keyspace.table.insertUnique(next) !== -1) throw new Error(`duplicate key in snapshot (created ${columns.createdStamps[next]})`);
                if (columns.expiries.get(next) !== noExpiry) keyspace.pushHeapItem(next);
                const written = byWrite[next] as number;
                columns.link(written);
                if (columns.expiries.get(written) !== noExpiry) keyspace.volatileRecency.add(columns.createdStamps[written] as number);
              }
              work += (end - first) * indexWorkPerKey + 1;
              if (next >= byWrite.length) {
                byWrite = [];
                phase = 'done';
              }
              break;
            }
            case 'done':
              return false;
            default: {
              const exhaustive: never = phase;
              throw new Error(`keyspace loader: unknown phase ${String(exhaustive)}`);
            }
          }
        }
        return phase !== 'done';
      },
      keyspace(): Keyspace {
        if (phase !== 'done') throw new Error(`keyspace loader: keyspace() in phase ${phase}, before step() returned false`);
        if (columns.length !== keyspace.table.size) {
          throw new Error(`keyspace loader: ${keyspace.table.size} keys but ${columns.length} in creation order`);
        }
        return keyspace;
      },
    };
    return loader;
  }

  get size(): number {
    return this.table.size;
  }

  /** What the key table reads of the keys behind its slots. */
  private slotKeys(): KeyTableHost {
    return {
      slotHash: (slot) => cellKeyHash(this.columns.cells[slot] as Cell),
      slotHasKey: (slot, key) => cellHasKey(this.columns.cells[slot] as Cell, key),
      sameKey: (slotA, slotB) => cellsShareKey(this.columns.cells[slotA] as Cell, this.columns.cells[slotB] as Cell),
    };
  }

  /** A handle on the key at `slot`. */
  private ref(slot: number): EntryRef {
    const columns = this.columns;
    return new EntryRef(columns, slot, columns.epoch, columns.createdStamps[slot] as number, columns.cells[slot] as Cell);
  }

  /** The live slot of `key`, expired or not, or noSlot. */
  private find(key: Uint8Array): number {
    return this.table.find(key, hashOfBytes(key));
  }

  get volatileSize(): number {
    return this.volatileRecency.size;
  }

  get stamp(): number {
    return this.stampCounter;
  }

  get memoryBytes(): number {
    return this.memoryEstimateBytes;
  }

  /** Reports the key of every collection stored from now on (one listener: the state machine's ready keys). */
  onCollectionStored(listener: ((mapKey: string) => void) | null): void {
    this.collectionStored = listener;
  }

  /** A collection changed in place in a way its waiters may wait for (a stream got an entry): reported as a store is. */
  collectionChanged(key: Uint8Array): void {
    this.collectionStored?.(mapKeyOf(key));
  }

  addObserver(observer: KeyspaceObserver): void {
    this.observers.add(observer);
  }

  removeObserver(observer: KeyspaceObserver): void {
    this.observers.delete(observer);
  }

  /** The memory estimate of one key as the keyspace counts it (MEMORY USAGE). */
  memoryOf(entry: KeyEntry): number {
    return this.slotBytes(this.liveSlot(entry));
  }

  private slotBytes(slot: number): number {
    return bytesOf(this.columns.cells[slot] as Cell, this.columns.expiries.get(slot));
  }

  /** The stored entry whether or not it has expired. */
  raw(key: Uint8Array): KeyEntry | undefined {
    const slot = this.find(key);
    return slot === noSlot ? undefined : this.ref(slot);
  }

  /**
   * What WATCH records and EXEC compares (removal-stamps.ts): the stamp of the key's last
   * write while it lives, a distinct version once it expired, else what its last removal
   * left. Every change to the key, including one that ends where it started (created, then
   * removed), gives it a version it never had.
   */
  version(key: Uint8Array, nowMs: number): number {
    const slot = this.find(key);
    if (slot === noSlot) return this.removals.versionOf(mapKeyOf(key));
    const written = this.columns.writtenStamps[slot] as number;
    return this.isExpiredSlot(slot, nowMs) ? expiredVersion(written) : written;
  }

  /** The removal versions as of now, for a snapshot. */
  removalStamps(): RemovalStamps {
    return this.removals.copy();
  }

  /** Whether removals from now on leave versions (and draw stamps for them): see removalVersionsKept. */
  keepRemovalVersions(keep: boolean): void {
    this.removalVersionsKept = keep;
  }

  /** The entry if present and not expired at `nowMs`. Never mutates. */
  get(key: Uint8Array, nowMs: number): KeyEntry | undefined {
    const slot = this.find(key);
    if (slot === noSlot || this.isExpiredSlot(slot, nowMs)) return undefined;
    return this.ref(slot);
  }

  /** Sets the node's access clock (seconds, within accessClockMax). */
  setAccessClock(clock: number): void {
    if (!Number.isInteger(clock) || clock < 0 || clock > accessClockMax) throw new Error(`access clock ${clock} is out of range [0, ${accessClockMax}]`);
    this.accessClock = clock;
    if (this.builtClock === accessUnset) this.builtClock = clock;
  }

  /** A keyspace built from a snapshot takes over the clock: its keys count as accessed now, as Redis's loaded keys do. */
  adoptAccessClock(from: Keyspace): void {
    this.accessClock = from.accessClock;
    this.builtClock = from.builtClock === accessUnset ? accessUnset : from.accessClock;
  }

  /** Records an access to the entry now (node-local). */
  recordAccess(entry: KeyEntry): void {
    const slot = (entry as EntryRef).slot();
    if (slot !== noSlot) this.columns.accessed[slot] = this.accessClock;
  }

  /** Records the entry as last accessed `seconds` ago (RESTORE IDLETIME), the clock wrapping as Redis's. */
  setIdle(entry: KeyEntry, seconds: number): void {
    const clockSpan = accessClockMax + 1;
    const idle = Math.min(seconds, accessClockMax);
    this.columns.accessed[this.liveSlot(entry)] = (this.accessClock - idle + clockSpan) % clockSpan;
  }

  /** When the entry was last accessed and for how long it has been idle, the clock wrapping as Redis's estimateObjectIdleTime. */
  accessTimeOf(entry: KeyEntry): AccessTime {
    const accessed = this.columns.accessed[this.liveSlot(entry)] as number;
    const clock = accessed !== accessUnset ? accessed : Math.max(this.builtClock, 0);
    const now = this.accessClock;
    return { clock, idleSeconds: now >= clock ? now - clock : now + (accessClockMax - clock) };
  }

  isLive(entry: KeyEntry, nowMs: number): boolean {
    const slot = (entry as EntryRef).slot();
    return slot !== noSlot && !this.columns.isRemoved(slot) && this.columns.expiries.get(slot) > nowMs;
  }

  /** Whether `entry` is still its key's entry in this keyspace (expired or not): not removed, not replaced by a restore. */
  holds(entry: KeyEntry): boolean {
    return entry instanceof EntryRef && entry.columns === this.columns && !entry.removed;
  }

  private notify(slot: number): void {
    if (this.observers.size === 0) return;
    const entry = this.ref(slot);
    for (const observer of this.observers) observer.beforeChange(entry);
  }

  private touch(slot: number): void {
    const columns = this.columns;
    columns.writtenStamps[slot] = ++this.stampCounter;
    if (columns.newest !== slot) {
      columns.unlink(slot);
      columns.link(slot);
    }
    const created = columns.createdStamps[slot] as number;
    this.volatileRecency.delete(created);
    if (columns.expiries.get(slot) !== noExpiry) this.volatileRecency.add(created);
  }

  /** Creates a key that must not exist (the caller deleted any expired one first). */
  create(key: Uint8Array, value: Value, expireAtMs: number = noExpiry): KeyEntry {
    const hash = hashOfBytes(key);
    const existing = this.table.find(key, hash);
    if (existing >= 0) throw new Error(`create of existing key (created ${this.columns.createdStamps[existing]})`);
    return this.ref(this.insert(key, hash, value.type === 'string' ? value.data : value, expireAtMs));
  }

  /** Adds a key the table does not hold (`hash` is its hashOfBytes); returns its slot. */
  private insert(key: Uint8Array, hash: number, data: StoredValue | Uint8Array, expireAtMs: number): number {
    const stamp = ++this.stampCounter;
    const columns = this.columns;
    const slot = columns.append(newCell(key, account(data)), expireAtMs, stamp, stamp, this.accessClock);
    this.table.insert(slot, hash);
    this.memoryEstimateBytes += this.slotBytes(slot);
    columns.link(slot);
    if (expireAtMs !== noExpiry) {
      this.volatileRecency.add(stamp);
      this.pushHeapItem(slot);
    }
    if (holdsCollection(data)) this.collectionStored?.(cellKey(columns.cells[slot] as Cell));
    return slot;
  }

  /**
   * Replaces the value and expiry of an existing entry (a write: updates recency). A string
   * value may come as its latin1 text (the form the keyspace keeps short strings in).
   */
  update(entry: KeyEntry, value: Value | string, expireAtMs: number): void {
    this.rewrite(this.liveSlot(entry), typeof value === 'string' ? value : value.type === 'string' ? value.data : value, expireAtMs);
  }

  /** Gives the key at `slot` the value `data` (null: keeps its own) and the expiry. */
  private rewrite(slot: number, data: StoredValue | Uint8Array | null, expireAtMs: number): void {
    const columns = this.columns;
    this.notify(slot);
    this.memoryEstimateBytes -= this.slotBytes(slot);
    if (data !== null) {
      const cell = columns.cells[slot] as Cell;
      const object = cellObject(cell);
      if (data !== object && (holdsCollection(data) || (object !== null && isCollection(object)))) this.collectionStored?.(cellKey(cell));
      if (data !== object) columns.cells[slot] = replacedCell(cell, account(data));
    }
    const expiryChanged = columns.expiries.get(slot) !== expireAtMs;
    columns.expiries.set(slot, expireAtMs);
    this.memoryEstimateBytes += this.slotBytes(slot);
    if (expiryChanged && expireAtMs !== noExpiry) this.pushHeapItem(slot);
    this.touch(slot);
  }

  /** Sets the value of `key`, creating it if absent; `keepExpiry` keeps an existing expiry. */
  /**
   * `known` is the key's entry when the caller looked it up just before, in this command:
   * the live entry, or null for absent (the lookup removed an expired one). It saves
   * converting the key and probing the table again on every SET.
   */
  set(key: Uint8Array, value: Value, expireAtMs: number, keepExpiry: boolean, known?: KeyEntry | null): KeyEntry {
    const data = value.type === 'string' ? value.data : value;
    if (known !== undefined && known !== null) {
      const slot = this.liveSlot(known);
      this.rewrite(slot, data, keepExpiry ? this.columns.expiries.get(slot) : expireAtMs);
      return known;
    }
    const hash = hashOfBytes(key);
    const slot = known === null ? noSlot : this.table.find(key, hash);
    if (slot === noSlot) return this.ref(this.insert(key, hash, data, keepExpiry ? noExpiry : expireAtMs));
    this.rewrite(slot, data, keepExpiry ? this.columns.expiries.get(slot) : expireAtMs);
    return this.ref(slot);
  }

  setExpiry(entry: KeyEntry, expireAtMs: number): void {
    this.rewrite(this.liveSlot(entry), null, expireAtMs);
  }

  /**
   * Call before changing `entry`'s collection in place: an open snapshot that has not yet
   * written the key keeps a copy of its current value.
   */
  beginMutation(entry: KeyEntry): CollectionValue {
    const slot = this.liveSlot(entry);
    const cell = this.columns.cells[slot] as Cell;
    const object = cellObject(cell);
    if (object === null || !isCollection(object)) {
      throw new Error(`keyspace: beginMutation of a ${cellType(cell)} key (created ${entry.createdStamp})`);
    }
    this.notify(slot);
    return object;
  }

  /**
   * Call before changing `entry`'s string in place: an open snapshot that has not yet written
   * the key keeps a copy of it, and a latin1 string becomes a MutableString (mutable-string.ts)
   * with room for `lengthHint` bytes (the length the change will leave).
   */
  beginStringMutation(entry: KeyEntry, lengthHint = 0): MutableString {
    const slot = this.liveSlot(entry);
    const cell = this.columns.cells[slot] as Cell;
    const data = cellData(cell);
    if (typeof data !== 'string' && data.type !== 'string') throw new Error(`keyspace: beginStringMutation of a ${data.type} key (created ${entry.createdStamp})`);
    this.notify(slot);
    if (typeof data !== 'string') return data;
    const mutable = MutableString.fromLatin1(data, lengthHint);
    mutable.accountedBytes = data.length;
    this.columns.cells[slot] = replacedCell(cell, mutable);
    return mutable;
  }

  /**
   * Call after changing `entry`'s collection or MutableString in place: brings the memory
   * estimate up to its new size, counts it as a write when `changed`, and deletes the key
   * when a collection became empty. A no-op for an entry deleted or replaced meanwhile.
   */
  settle(entry: KeyEntry, changed: boolean): void {
    if (!this.holds(entry)) return;
    const slot = (entry as EntryRef).slot();
    const cell = this.columns.cells[slot] as Cell;
    const object = cellObject(cell);
    if (object === null) return;
    this.memoryEstimateBytes -= this.slotBytes(slot);
    object.accountedBytes = object.bytes;
    this.memoryEstimateBytes += this.slotBytes(slot);
    if (!isCollection(object) && object.length < mutableStringBytesMin) {
      // Short again (or never long): the compact latin1 form, as any other short string.
      this.columns.cells[slot] = replacedCell(cell, object.toLatin1());
    }
    if (isCollection(object) && object.length === 0) this.remove(slot, false);
    else if (changed) this.touch(slot);
  }

  /**
   * Removes the key. Removing one that had expired by `nowMs` changes nothing WATCH can
   * see; removing a live one draws a stamp for the version it leaves.
   */
  delete(entry: KeyEntry, nowMs: number): void {
    const slot = this.liveSlot(entry);
    this.remove(slot, this.isExpiredSlot(slot, nowMs));
  }

  private remove(slot: number, expired: boolean): void {
    const columns = this.columns;
    const cell = columns.cells[slot] as Cell;
    const created = columns.createdStamps[slot] as number;
    if (this.removalVersionsKept) this.removals.record(cellKey(cell), expired ? expiredVersion(columns.writtenStamps[slot] as number) : ++this.stampCounter);
    this.notify(slot);
    this.table.remove(slot, cellKeyHash(cell));
    this.memoryEstimateBytes -= this.slotBytes(slot);
    columns.markRemoved(slot);
    // A waiter on a collection hears that it went (a blocked XREADGROUP then fails, as in Redis).
    const object = cellObject(cell);
    if (object !== null && isCollection(object)) this.collectionStored?.(cellKey(cell));
    this.volatileRecency.delete(created);
    this.orderDeadSlots++;
    if (this.orderDeadSlots > orderDeadSlotsMin && this.orderDeadSlots * 2 > columns.length) {
      const live = columns.compact();
      this.orderDeadSlots = 0;
      // Slots moved: the table is filled again from the compacted order.
      this.table.rebuild(Array.from({ length: live }, (_, index) => index), live);
    }
  }

  /**
   * Deletes every key (FLUSHDB). Open snapshots save what they have not emitted yet. Each
   * key leaves a removal version as delete() would, or, past one per bucket, every bucket
   * gets the flush's stamp (cheaper, and EXEC of a watched absent key then fails for nothing).
   */
  clear(nowMs: number): void {
    const columns = this.columns;
    if (this.observers.size > 0) for (const slot of this.liveSlots()) this.notify(slot);
    if (this.collectionStored !== null) {
      for (const slot of this.liveSlots()) {
        const cell = columns.cells[slot] as Cell;
        if (cellType(cell) !== 'string') this.collectionStored(cellKey(cell));
      }
    }
    if (this.removalVersionsKept) this.leaveFlushVersions(nowMs);
    this.table.clear();
    columns.clear();
    this.orderDeadSlots = 0;
    this.volatileRecency.clear();
    this.expiryHeap.clear();
    this.memoryEstimateBytes = 0;
  }

  private leaveFlushVersions(nowMs: number): void {
    const removed = ++this.stampCounter;
    if (this.table.size > removalBucketCount) {
      this.removals.fill(removed);
      return;
    }
    const columns = this.columns;
    for (const slot of this.liveSlots()) {
      const version = this.isExpiredSlot(slot, nowMs) ? expiredVersion(columns.writtenStamps[slot] as number) : removed;
      this.removals.record(cellKey(columns.cells[slot] as Cell), version);
    }
  }

  /** The slot behind `entry`, which must be the live entry of its key in this keyspace. */
  private liveSlot(entry: KeyEntry): number {
    if (!this.holds(entry)) {
      throw new Error(`keyspace: entry created at stamp ${entry.createdStamp} is not the live entry of its key`);
    }
    return (entry as EntryRef).slot();
  }

  private isExpiredSlot(slot: number, nowMs: number): boolean {
    return this.columns.expiries.get(slot) <= nowMs;
  }

  private pushHeapItem(slot: number): void {
    const created = this.columns.createdStamps[slot] as number;
    this.expiryHeap.push({ expireAtMs: this.columns.expiries.get(slot), stamp: created, target: created });
    if (this.expiryHeap.size > this.volatileRecency.size * 2 + heapStaleItemsMin) {
      this.expiryHeap.compact((item) => this.isHeapItemLive(item));
    }
  }

  /** The slot of a heap item's key if the item is still its key's expiry, else noSlot. */
  private heapItemSlot(item: ExpiryItem<number>): number {
    const slot = this.columns.slotOfStamp(item.target);
    return slot !== noSlot && !this.columns.isRemoved(slot) && this.columns.expiries.get(slot) === item.expireAtMs ? slot : noSlot;
  }

  private isHeapItemLive(item: ExpiryItem<number>): boolean {
    return this.heapItemSlot(item) !== noSlot;
  }

  /** Keys whose expiry ≤ nowMs, at most `max`, with bounded work; never mutates the keyspace. */
  dueForExpiry(nowMs: number, max: number): KeyEntry[] {
    const visitMax = max * 4 + 64;
    const seen = new Set<number>();
    const due: KeyEntry[] = [];
    for (const item of this.expiryHeap.collectDue(nowMs, max, visitMax, (candidate) => this.isHeapItemLive(candidate))) {
      if (seen.has(item.stamp)) continue;
      seen.add(item.stamp);
      due.push(this.ref(this.heapItemSlot(item)));
    }
    return due;
  }

  /** The key with the nearest expiry (ties: oldest creation), for volatile-ttl eviction. */
  nearestExpiry(): KeyEntry | undefined {
    const item = this.expiryHeap.peekLive((candidate) => this.isHeapItemLive(candidate));
    return item === undefined ? undefined : this.ref(this.heapItemSlot(item));
  }

  /** The least recently written key, optionally among keys with an expiry only. */
  leastRecentlyWritten(volatileOnly: boolean): KeyEntry | undefined {
    if (!volatileOnly) return this.columns.oldest === noSlot ? undefined : this.ref(this.columns.oldest);
    for (const created of this.volatileRecency) return this.ref(this.columns.slotOfStamp(created));
    return undefined;
  }

  /**
   * A key chosen by `seed` (any non-negative integer): the first live key created at or after
   * stamp 1 + seed mod stamp, wrapping around. It depends only on the live keys' stamps, so a
   * restored replica picks the same key as one that applied the log (not uniform: a key
   * after a long run of deleted ones is likelier).
   */
  pick(seed: number): KeyEntry | undefined {
    if (this.table.size === 0) return undefined;
    return this.liveFrom(this.columns.indexFrom(1 + (seed % this.stampCounter)));
  }

  /**
   * A key from a slot of the creation order chosen by `seed`, uniform but for removed slots
   * (the live key after them). The slots differ between a replica that applied the log and
   * one restored from a snapshot: for a node's own reads only, never for anything applied.
   */
  pickLocal(seed: number): KeyEntry | undefined {
    if (this.table.size === 0) return undefined;
    return this.liveFrom(seed % this.columns.length);
  }

  /** The first live key in creation order from slot `start`, wrapping around; the keyspace holds one. */
  private liveFrom(start: number): KeyEntry {
    const length = this.columns.length;
    for (let i = 0; i < length; i++) {
      const slot = (start + i) % length;
      if (!this.columns.isRemoved(slot)) return this.ref(slot);
    }
    throw new Error(`keyspace: ${this.table.size} keys but no live slot among ${length}`);
  }

  /**
   * Walks live entries in creation order from `fromStamp`, visiting at most `visitMax` of
   * them; `visit` may return false to stop before consuming that entry. Returns the stamp to
   * continue from (the refused entry's own stamp if one was refused), or 0 at the end.
   */
  walk(fromStamp: number, visitMax: number, visit: (entry: KeyEntry) => boolean | void): number {
    const columns = this.columns;
    let slot = columns.indexFrom(fromStamp);
    let visited = 0;
    while (slot < columns.length && visited < visitMax) {
      if (!columns.isRemoved(slot)) {
        if (visit(this.ref(slot)) === false) return columns.createdStamps[slot] as number;
        visited++;
      }
      slot++;
    }
    // Continue from the next LIVE key, so the cursor does not depend on where deleted keys
    // still hold slots (a replica restored from a snapshot has none).
    while (slot < columns.length && columns.isRemoved(slot)) slot++;
    return slot < columns.length ? (columns.createdStamps[slot] as number) : 0;
  }

  /** Live slots in creation order (a list: callers may change the keyspace while going through it). */
  private liveSlots(): number[] {
    const slots: number[] = [];
    for (let slot = 0; slot < this.columns.length; slot++) if (!this.columns.isRemoved(slot)) slots.push(slot);
    return slots;
  }

  /** All live entries in creation order (includes logically expired ones). */
  *values(): IterableIterator<KeyEntry> {
    const columns = this.columns;
    for (let slot = 0; slot < columns.length; slot++) if (!columns.isRemoved(slot)) yield this.ref(slot);
  }
}

/** A frozen copy of an entry: a collection is cloned (the entry's own may change in place). */
export function imageOf(entry: KeyEntry): EntryImage {
  const value = entry.value;
  return {
    key: entry.key, value: value.type === 'string' ? value : value.clone(), expireAtMs: entry.expireAtMs,
    createdStamp: entry.createdStamp, writtenStamp: entry.writtenStamp,
  };
}
