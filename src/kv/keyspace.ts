// The keyspace: binary-safe keys mapped to typed values with an optional expiry time.
//
// Keys are looked up by their bytes in the key table (key-table.ts: an open-addressing
// index of slots, hashed from the request's bytes where they are, no string made per lookup).
// Each entry carries two stamps from one counter that advances on every write, so every
// replica assigns the same numbers:
//   - createdStamp orders keys by creation; SCAN cursors and snapshot streams walk that order,
//     so a key present for a whole SCAN is returned even while others come and go;
//   - writtenStamp orders keys by write recency for the LRU eviction policies. Reads do not go
//     through the log, so they cannot count as "use" on every replica: LRU here is
//     least-recently-WRITTEN.
// Memory is an estimate computed only from keys and values, identical on every replica.
// Snapshots in progress observe mutations to save a key's old entry before it changes.
//
// Compact per key (a million keys must cost little more than their bytes): one entry object
// whose cell holds the key's bytes and a string value's bytes together in one latin1 string
// (one byte per char, one string header for both, no Buffer object per key or value: a Buffer
// costs ~100 bytes beyond its data), the expiry only when there is one, and the write order
// as a linked list through the entries (no second map); the creation-order array is also the
// key table's slots. Callers still see Buffers: `key` and a string `value` materialize a
// fresh copy on each access. A key, at a million 12-byte keys with 100-byte values: the cell
// 136 B, the entry object 80 B, its creation-order slot 8 B, its table bucket 8–16 B and hash 4 B.
// Other types are collection objects (value.ts) changed in place between beginMutation and
// settle, which keep open snapshots and the memory estimate right.
//
// Removals leave a version behind for WATCH (removal-stamps.ts): `version` is what WATCH
// records and EXEC compares, for present and absent keys alike.

import { latin1Between, latin1Of } from './binary.js';
import { hashOfBytes, hashOfLatin1, KeyTable, type KeyTableHost } from './key-table.js';
import { ExpiryHeap, type ExpiryItem } from './expiry-heap.js';
import { expiredVersion, RemovalStamps, removalBucketCount } from './removal-stamps.js';
import { StepwiseSort } from './stepwise-sort.js';
import { isCollection, type CollectionValue, type StoredValue, type TypeName, type Value } from './value.js';
import { MutableString, mutableStringBytesMin } from './mutable-string.js';

export type { StoredValue, Value } from './value.js';

export const noExpiry = Number.POSITIVE_INFINITY;

/** Fixed per-key overhead of the memory estimate (entry object, map slot, order slot). */
export const keyOverheadBytes = 64;
/** Extra estimate for a key with an expiry (heap item, volatile index). */
export const expiryOverheadBytes = 32;

/** A stored key as callers see it; only the keyspace changes it. */
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

export function mapKeyOf(key: Uint8Array): string {
  return latin1Of(key);
}

/** The stored form of a value: a string's bytes as a latin1 string (a bijection), a collection as it is. */
function storedData(value: Value): StoredValue {
  return value.type === 'string' ? mapKeyOf(value.data) : value;
}

/**
 * A key whose value is not kept in its cell string: a collection, a MutableString, or a
 * latin1 string longer than packedValueBytesMax (a large value gains nothing from sharing a
 * string with its key, and a PFCOUNT memo compares it by identity).
 */
interface WideCell {
  /** The key's bytes as a latin1 string. */
  readonly key: string;
  data: StoredValue;
}

/** A latin1 string value up to this long shares one string with its key (a packed cell). */
export const packedValueBytesMax = 1024;
/** A key length up to this is one char at the front of a packed cell; a longer one is 255 and four chars. */
const shortKeyBytesMax = 254;

/** Where a packed cell's key starts (after its length). */
function keyStartOf(cell: string): number {
  return cell.charCodeAt(0) <= shortKeyBytesMax ? 1 : 5;
}

function keyLengthOf(cell: string): number {
  const first = cell.charCodeAt(0);
  if (first <= shortKeyBytesMax) return first;
  return cell.charCodeAt(1) | (cell.charCodeAt(2) << 8) | (cell.charCodeAt(3) << 16) | (cell.charCodeAt(4) * 0x100_0000);
}

/** Where a packed cell's value starts (after its key). */
function valueStartOf(cell: string): number {
  return keyStartOf(cell) + keyLengthOf(cell);
}

/** A packed cell is built here, then made one string; a larger one (a long key) gets a buffer of its own. */
const cellScratch = Buffer.allocUnsafe(16 * 1024);

/**
 * A packed cell: the key's length, the key's bytes, the value's bytes, in one latin1 string
 * (one string header per key instead of two, and no key string beside it). The key comes as
 * bytes, as a latin1 string, or as the front of another packed cell (`keyCell`).
 */
function packCell(key: Uint8Array | string, keyIsCell: boolean, value: Uint8Array | string): string {
  const keyStart = keyIsCell ? keyStartOf(key as string) : 0;
  const keyLength = keyIsCell ? keyLengthOf(key as string) : key.length;
  const headBytes = keyLength <= shortKeyBytesMax ? 1 : 5;
  const total = headBytes + keyLength + value.length;
  const scratch = total <= cellScratch.length ? cellScratch : Buffer.allocUnsafe(total);
  if (keyIsCell) {
    // The old cell's length prefix and key are the new one's: copy them as they are.
    scratch.write(key as string, 0, keyStart + keyLength, 'latin1');
  } else {
    if (headBytes === 1) scratch[0] = keyLength;
    else {
      scratch[0] = 255;
      scratch.writeUInt32LE(keyLength, 1);
    }
    if (typeof key === 'string') scratch.write(key, headBytes, keyLength, 'latin1');
    else scratch.set(key, headBytes);
  }
  const valueAt = headBytes + keyLength;
  if (typeof value === 'string') scratch.write(value, valueAt, value.length, 'latin1');
  else scratch.set(value, valueAt);
  return latin1Between(scratch, 0, total);
}

/** A cell holding `data` for a key given as bytes, a latin1 string, or the front of a packed cell. */
function cellOf(key: Uint8Array | string, keyIsCell: boolean, data: StoredValue | Uint8Array): string | WideCell {
  if (typeof data === 'string' || data instanceof Uint8Array) {
    if (data.length <= packedValueBytesMax) return packCell(key, keyIsCell, data);
    if (data instanceof Uint8Array) data = mapKeyOf(data);
  }
  return { key: keyStringOf(key, keyIsCell), data };
}

function keyStringOf(key: Uint8Array | string, keyIsCell: boolean): string {
  if (typeof key !== 'string') return mapKeyOf(key);
  if (!keyIsCell) return key;
  const start = keyStartOf(key);
  return key.slice(start, start + keyLengthOf(key));
}

/**
 * One key in the keyspace. Fields are few and small on purpose (see the file comment): the
 * key and a short string value share one latin1 string (a packed cell), `expiry` is null
 * rather than Infinity (a field that holds a double in every object gets a boxed number in
 * every object; null costs nothing), stamps small integers. Only the keyspace writes the
 * mutable fields. Removed entries point `older` at themselves (`removed`): an entry is
 * never stored again once removed, and callers may still hold it.
 */
class StoredEntry implements KeyEntry {
  /** Absolute expiry time in ms, or null for none. Declared first with null so the field stays tagged. */
  expiry: number | null = null;
  /** Neighbours in write order: `older` was written before this entry, `newer` after; null at the ends. */
  older: StoredEntry | null = null;
  newer: StoredEntry | null = null;
  /**
   * Node-local, like Redis's per-object LRU field: the access clock when a command last read
   * or wrote the key, or accessUnset (not since the keyspace was built). Never replicated,
   * snapshotted or digested: every node stamps its own reads.
   */
  accessed = accessUnset;

  constructor(
    /** A packed cell (packCell: the key and a latin1 string value, replaced, never mutated) or a WideCell. */
    public cell: string | WideCell,
    expireAtMs: number,
    readonly createdStamp: number,
    public writtenStamp: number,
  ) {
    if (expireAtMs !== noExpiry) this.expiry = expireAtMs;
  }

  get removed(): boolean {
    return this.older === this;
  }

  get mapKey(): string {
    const cell = this.cell;
    return typeof cell === 'string' ? keyStringOf(cell, true) : cell.key;
  }

  get key(): Buffer {
    return Buffer.from(this.mapKey, 'latin1');
  }

  /** The value as stored (a packed cell's value is sliced out: a view, no copy, for all but short ones). */
  get data(): StoredValue {
    const cell = this.cell;
    return typeof cell === 'string' ? cell.slice(valueStartOf(cell)) : cell.data;
  }

  get value(): Value {
    const data = this.data;
    if (typeof data === 'string') return { type: 'string', data: Buffer.from(data, 'latin1') };
    return data.type === 'string' ? { type: 'string', data: Buffer.from(data.view()) } : data;
  }

  get stored(): StoredValue {
    return this.data;
  }

  get valueType(): TypeName {
    const cell = this.cell;
    if (typeof cell === 'string' || typeof cell.data === 'string') return 'string';
    return cell.data.type;
  }

  get valueByteLength(): number {
    const cell = this.cell;
    if (typeof cell === 'string') return cell.length - valueStartOf(cell);
    return typeof cell.data === 'string' ? cell.data.length : cell.data.bytes;
  }

  get expireAtMs(): number {
    return this.expiry ?? noExpiry;
  }

  /** Bytes of the key. */
  get keyLength(): number {
    const cell = this.cell;
    return typeof cell === 'string' ? keyLengthOf(cell) : cell.key.length;
  }

  /** The stored value when it is not a latin1 string (a collection or a MutableString), else null. */
  get object(): CollectionValue | MutableString | null {
    const cell = this.cell;
    return typeof cell === 'string' || typeof cell.data === 'string' ? null : cell.data;
  }

  /** keyspace hash of the key. */
  keyHash(): number {
    const cell = this.cell;
    if (typeof cell !== 'string') return hashOfLatin1(cell.key);
    const start = keyStartOf(cell);
    return hashOfLatin1(cell, start, start + keyLengthOf(cell));
  }

  /** Whether the key is exactly `key`. */
  hasKey(key: Uint8Array): boolean {
    const cell = this.cell;
    const text = typeof cell === 'string' ? cell : cell.key;
    const start = typeof cell === 'string' ? keyStartOf(cell) : 0;
    const length = typeof cell === 'string' ? keyLengthOf(cell) : cell.key.length;
    if (length !== key.length) return false;
    for (let i = 0; i < length; i++) if (text.charCodeAt(start + i) !== key[i]) return false;
    return true;
  }

  /** Whether `other` has the same key. */
  sameKey(other: StoredEntry): boolean {
    return this.keyLength === other.keyLength && this.mapKey === other.mapKey;
  }
}

/**
 * The memory estimate of one key as the keyspace counts it: its bytes, its value's bytes (a
 * collection's as last settled) and fixed overheads, the same on every replica.
 */
function entryBytes(entry: StoredEntry): number {
  const object = entry.object;
  const valueBytes = object === null ? entry.valueByteLength : object.accountedBytes;
  return keyOverheadBytes + entry.keyLength + valueBytes + (entry.expiry === null ? 0 : expiryOverheadBytes);
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

/** Dead slots tolerated in the creation-order array before it is compacted. */
const orderDeadSlotsMin = 1024;
/** Stale heap items tolerated (beyond twice the live ones) before the heap is rebuilt. */
const heapStaleItemsMin = 1024;

export class Keyspace {
  /** Live keys by their bytes → their slot in `order`. */
  private readonly table = new KeyTable(this.slotKeys());
  /** Entries in creation order; may hold removed entries until compacted (a key's slot is its index here). */
  private order: StoredEntry[] = [];
  private orderDeadSlots = 0;
  /** Ends of the write-order list through the entries (older/newer): least and most recently written. */
  private oldest: StoredEntry | null = null;
  private newest: StoredEntry | null = null;
  /** Keys with an expiry, least recently written first (Set iteration order is insertion order). */
  private readonly volatileRecency = new Set<StoredEntry>();
  private readonly expiryHeap = new ExpiryHeap<StoredEntry>();
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
    let inCreationOrder = true;
    let lastCreatedStamp = 0;
    let phase: 'adding' | 'byCreation' | 'byWrite' | 'indexes' | 'done' = 'adding';
    let sort: StepwiseSort<StoredEntry> | null = null;
    let byWrite: StoredEntry[] = [];
    let next = 0;
    const loader: KeyspaceLoader = {
      add(image: EntryImage, mapKey: string = mapKeyOf(image.key)): void {
        loader.addStored(mapKey, storedData(image.value), image.expireAtMs, image.createdStamp, image.writtenStamp);
      },
      addStored(mapKey: string, data: StoredValue, expireAtMs: number, createdStamp: number, writtenStamp: number): void {
        if (phase !== 'adding') throw new Error(`keyspace loader: add() in phase ${phase}`);
        if (createdStamp > stamp || writtenStamp > stamp) {
          throw new Error(`entry stamp ${createdStamp}/${writtenStamp} beyond keyspace stamp ${stamp}`);
        }
        const entry = new StoredEntry(cellOf(mapKey, false, account(data)), expireAtMs, createdStamp, writtenStamp);
        keyspace.order.push(entry);
        keyspace.memoryEstimateBytes += entryBytes(entry);
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
              if (!inCreationOrder) sort = new StepwiseSort(keyspace.order, (entry) => entry.createdStamp);
              break;
            case 'byCreation':
              if (sort !== null) {
                if (sort.step(workMax - work)) return true;
                keyspace.order = sort.result();
              }
              work += 1;
              sort = new StepwiseSort(keyspace.order.slice(), (entry) => entry.writtenStamp);
              phase = 'byWrite';
              break;
            case 'byWrite':
              if ((sort as StepwiseSort<StoredEntry>).step(workMax - work)) return true;
              byWrite = (sort as StepwiseSort<StoredEntry>).result();
              sort = null;
              work += 1;
              phase = 'indexes';
              break;
            case 'indexes': {
              // Slot i fills the key map and the expiry heap from the creation order (the map's
              // iteration order is creation order, which KEYS shows; the heap gets the same
              // shape on every replica) and the write-order list from the write order.
              const first = next;
              const end = Math.min(byWrite.length, next + Math.max(1, Math.floor((workMax - work) / indexWorkPerKey)));
              for (; next < end; next++) {
                const created = keyspace.order[next] as StoredEntry;
                if (keyspace.table.insertUnique(next) !== -1) throw new Error(`duplicate key in snapshot (created ${created.createdStamp})`);
                if (created.expiry !== null) keyspace.expiryHeap.push({ expireAtMs: created.expiry, stamp: created.createdStamp, target: created });
                const written = byWrite[next] as StoredEntry;
                keyspace.link(written);
                if (written.expiry !== null) keyspace.volatileRecency.add(written);
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
        if (keyspace.order.length !== keyspace.table.size) {
          throw new Error(`keyspace loader: ${keyspace.table.size} keys but ${keyspace.order.length} in creation order`);
        }
        return keyspace;
      },
    };
    return loader;
  }

  get size(): number {
    return this.table.size;
  }

  /** What the key table reads of the keys behind its slots (slots are indexes into `order`). */
  private slotKeys(): KeyTableHost {
    return {
      slotHash: (slot) => (this.order[slot] as StoredEntry).keyHash(),
      slotHasKey: (slot, key) => (this.order[slot] as StoredEntry).hasKey(key),
      sameKey: (slotA, slotB) => (this.order[slotA] as StoredEntry).sameKey(this.order[slotB] as StoredEntry),
    };
  }

  /** The live entry of `key`, expired or not. */
  private find(key: Uint8Array): StoredEntry | undefined {
    const slot = this.table.find(key, hashOfBytes(key));
    return slot < 0 ? undefined : this.order[slot];
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
    return entryBytes(this.liveEntry(entry));
  }

  /** The stored entry whether or not it has expired. */
  raw(key: Uint8Array): KeyEntry | undefined {
    return this.find(key);
  }

  /**
   * What WATCH records and EXEC compares (removal-stamps.ts): the stamp of the key's last
   * write while it lives, a distinct version once it expired, else what its last removal
   * left. Every change to the key, including one that ends where it started (created, then
   * removed), gives it a version it never had.
   */
  version(key: Uint8Array, nowMs: number): number {
    const entry = this.find(key);
    if (entry === undefined) return this.removals.versionOf(mapKeyOf(key));
    return isExpired(entry, nowMs) ? expiredVersion(entry.writtenStamp) : entry.writtenStamp;
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
    const entry = this.find(key);
    if (entry === undefined || isExpired(entry, nowMs)) return undefined;
    return entry;
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
    (entry as StoredEntry).accessed = this.accessClock;
  }

  /** Records the entry as last accessed `seconds` ago (RESTORE IDLETIME), the clock wrapping as Redis's. */
  setIdle(entry: KeyEntry, seconds: number): void {
    const clockSpan = accessClockMax + 1;
    const idle = Math.min(seconds, accessClockMax);
    (entry as StoredEntry).accessed = (this.accessClock - idle + clockSpan) % clockSpan;
  }

  /** When the entry was last accessed and for how long it has been idle, the clock wrapping as Redis's estimateObjectIdleTime. */
  accessTimeOf(entry: KeyEntry): AccessTime {
    const accessed = (entry as StoredEntry).accessed;
    const clock = accessed !== accessUnset ? accessed : Math.max(this.builtClock, 0);
    const now = this.accessClock;
    return { clock, idleSeconds: now >= clock ? now - clock : now + (accessClockMax - clock) };
  }

  isLive(entry: KeyEntry, nowMs: number): boolean {
    return entry.expireAtMs > nowMs && !(entry as StoredEntry).removed;
  }

  private notify(entry: StoredEntry): void {
    for (const observer of this.observers) observer.beforeChange(entry);
  }

  /** Appends an entry at the newest end of the write-order list. */
  private link(entry: StoredEntry): void {
    entry.older = this.newest;
    entry.newer = null;
    if (this.newest === null) this.oldest = entry;
    else this.newest.newer = entry;
    this.newest = entry;
  }

  /** Takes an entry out of the write-order list (and drops its links, so it holds no neighbour alive). */
  private unlink(entry: StoredEntry): void {
    const { older, newer } = entry;
    if (older === null) this.oldest = newer;
    else older.newer = newer;
    if (newer === null) this.newest = older;
    else newer.older = older;
    entry.older = null;
    entry.newer = null;
  }

  private touch(entry: StoredEntry): void {
    entry.writtenStamp = ++this.stampCounter;
    if (this.newest !== entry) {
      this.unlink(entry);
      this.link(entry);
    }
    this.volatileRecency.delete(entry);
    if (entry.expiry !== null) this.volatileRecency.add(entry);
  }

  /** Creates a key that must not exist (the caller deleted any expired one first). */
  create(key: Uint8Array, value: Value, expireAtMs: number = noExpiry): KeyEntry {
    const hash = hashOfBytes(key);
    const existing = this.table.find(key, hash);
    if (existing >= 0) throw new Error(`create of existing key (created ${(this.order[existing] as StoredEntry).createdStamp})`);
    return this.insert(key, hash, value.type === 'string' ? value.data : value, expireAtMs);
  }

  /** Adds a key the table does not hold (`hash` is its hashOfBytes). */
  private insert(key: Uint8Array, hash: number, data: StoredValue | Uint8Array, expireAtMs: number): StoredEntry {
    const stamp = ++this.stampCounter;
    const entry = new StoredEntry(cellOf(key, false, account(data)), expireAtMs, stamp, stamp);
    entry.accessed = this.accessClock;
    this.table.insert(this.order.length, hash);
    this.order.push(entry);
    this.memoryEstimateBytes += entryBytes(entry);
    this.link(entry);
    if (entry.expiry !== null) {
      this.volatileRecency.add(entry);
      this.pushExpiry(entry);
    }
    if (holdsCollection(data)) this.collectionStored?.(entry.mapKey);
    return entry;
  }

  /**
   * Replaces the value and expiry of an existing entry (a write: updates recency). A string
   * value may come as its latin1 text (the form the keyspace keeps short strings in).
   */
  update(entry: KeyEntry, value: Value | string, expireAtMs: number): void {
    this.rewrite(this.liveEntry(entry), typeof value === 'string' ? value : value.type === 'string' ? value.data : value, expireAtMs);
  }

  /** Gives `entry` the value `data` (null: keeps its own) and the expiry. */
  private rewrite(entry: StoredEntry, data: StoredValue | Uint8Array | null, expireAtMs: number): void {
    this.notify(entry);
    this.memoryEstimateBytes -= entryBytes(entry);
    if (data !== null) {
      const object = entry.object;
      if (data !== object && (holdsCollection(data) || (object !== null && isCollection(object)))) this.collectionStored?.(entry.mapKey);
      if (data !== object) this.store(entry, account(data));
    }
    const expiryChanged = entry.expireAtMs !== expireAtMs;
    entry.expiry = expireAtMs === noExpiry ? null : expireAtMs;
    this.memoryEstimateBytes += entryBytes(entry);
    if (expiryChanged && entry.expiry !== null) this.pushExpiry(entry);
    this.touch(entry);
  }

  /** Sets the value of `key`, creating it if absent; `keepExpiry` keeps an existing expiry. */
  /**
   * `known` is the key's entry when the caller looked it up just before, in this command:
   * the live entry, or null for absent (the lookup removed an expired one). It saves
   * converting the key and probing the map again on every SET.
   */
  set(key: Uint8Array, value: Value, expireAtMs: number, keepExpiry: boolean, known?: KeyEntry | null): KeyEntry {
    if (known !== undefined && known !== null) {
      const live = this.liveEntry(known);
      this.rewrite(live, value.type === 'string' ? value.data : value, keepExpiry ? live.expireAtMs : expireAtMs);
      return live;
    }
    const hash = hashOfBytes(key);
    const slot = known === null ? -1 : this.table.find(key, hash);
    const data = value.type === 'string' ? value.data : value;
    if (slot < 0) return this.insert(key, hash, data, keepExpiry ? noExpiry : expireAtMs);
    const entry = this.order[slot] as StoredEntry;
    this.rewrite(entry, data, keepExpiry ? entry.expireAtMs : expireAtMs);
    return entry;
  }

  setExpiry(entry: KeyEntry, expireAtMs: number): void {
    const stored = this.liveEntry(entry);
    this.rewrite(stored, null, expireAtMs);
  }

  /**
   * Call before changing `entry`'s collection in place: an open snapshot that has not yet
   * written the key keeps a copy of its current value.
   */
  beginMutation(entry: KeyEntry): CollectionValue {
    const stored = this.liveEntry(entry);
    const object = stored.object;
    if (object === null || !isCollection(object)) throw new Error(`keyspace: beginMutation of a ${stored.valueType} key (created ${stored.createdStamp})`);
    this.notify(stored);
    return object;
  }

  /**
   * Call before changing `entry`'s string in place: an open snapshot that has not yet written
   * the key keeps a copy of it, and a latin1 string becomes a MutableString (mutable-string.ts)
   * with room for `lengthHint` bytes (the length the change will leave).
   */
  beginStringMutation(entry: KeyEntry, lengthHint = 0): MutableString {
    const stored = this.liveEntry(entry);
    const data = stored.data;
    if (typeof data !== 'string' && data.type !== 'string') throw new Error(`keyspace: beginStringMutation of a ${data.type} key (created ${stored.createdStamp})`);
    this.notify(stored);
    if (typeof data !== 'string') return data;
    const mutable = MutableString.fromLatin1(data, lengthHint);
    mutable.accountedBytes = data.length;
    this.store(stored, mutable);
    return mutable;
  }

  /**
   * Call after changing `entry`'s collection or MutableString in place: brings the memory
   * estimate up to its new size, counts it as a write when `changed`, and deletes the key
   * when a collection became empty. A no-op for an entry deleted or replaced meanwhile.
   */
  settle(entry: KeyEntry, changed: boolean): void {
    const stored = entry as StoredEntry;
    const object = stored.object;
    if (stored.removed || object === null) return;
    this.memoryEstimateBytes -= entryBytes(stored);
    object.accountedBytes = object.bytes;
    this.memoryEstimateBytes += entryBytes(stored);
    if (!isCollection(object) && object.length < mutableStringBytesMin) {
      // Short again (or never long): the compact latin1 form, as any other short string.
      this.store(stored, object.toLatin1());
    }
    if (isCollection(object) && object.length === 0) this.remove(stored, false);
    else if (changed) this.touch(stored);
  }

  /**
   * Removes the key. Removing one that had expired by `nowMs` changes nothing WATCH can
   * see; removing a live one draws a stamp for the version it leaves.
   */
  delete(entry: KeyEntry, nowMs: number): void {
    const stored = this.liveEntry(entry);
    this.remove(stored, isExpired(stored, nowMs));
  }

  private remove(stored: StoredEntry, expired: boolean): void {
    if (this.removalVersionsKept) this.removals.record(stored.mapKey, expired ? expiredVersion(stored.writtenStamp) : ++this.stampCounter);
    this.notify(stored);
    this.table.remove(this.orderIndexFrom(stored.createdStamp), stored.keyHash());
    this.unlink(stored);
    stored.older = stored;
    // A waiter on a collection hears that it went (a blocked XREADGROUP then fails, as in Redis).
    const object = stored.object;
    if (object !== null && isCollection(object)) this.collectionStored?.(stored.mapKey);
    this.volatileRecency.delete(stored);
    this.memoryEstimateBytes -= entryBytes(stored);
    this.orderDeadSlots++;
    if (this.orderDeadSlots > orderDeadSlotsMin && this.orderDeadSlots * 2 > this.order.length) {
      this.order = this.order.filter((candidate) => !candidate.removed);
      this.orderDeadSlots = 0;
      // Slots moved: the table is filled again from the compacted order.
      this.table.rebuild(this.order.keys(), this.order.length);
    }
  }

  /** Replaces the stored value of `entry` (its cell changes; the key stays). */
  private store(entry: StoredEntry, data: StoredValue | Uint8Array): void {
    const cell = entry.cell;
    entry.cell = typeof cell === 'string' ? cellOf(cell, true, data) : cellOf(cell.key, false, data);
  }

  /**
   * Deletes every key (FLUSHDB). Open snapshots save what they have not emitted yet. Each
   * key leaves a removal version as delete() would, or, past one per bucket, every bucket
   * gets the flush's stamp (cheaper, and EXEC of a watched absent key then fails for nothing).
   */
  clear(nowMs: number): void {
    if (this.observers.size > 0) for (const entry of this.values()) this.notify(entry as StoredEntry);
    if (this.collectionStored !== null) {
      for (const entry of this.values()) if (entry.valueType !== 'string') this.collectionStored(entry.mapKey);
    }
    if (this.removalVersionsKept) this.leaveFlushVersions(nowMs);
    for (const entry of this.order) {
      entry.newer = null;
      entry.older = entry;
    }
    this.table.clear();
    this.order = [];
    this.orderDeadSlots = 0;
    this.oldest = null;
    this.newest = null;
    this.volatileRecency.clear();
    this.expiryHeap.clear();
    this.memoryEstimateBytes = 0;
  }

  private leaveFlushVersions(nowMs: number): void {
    const removed = ++this.stampCounter;
    if (this.table.size > removalBucketCount) this.removals.fill(removed);
    else for (const entry of this.values()) this.removals.record(entry.mapKey, isExpired(entry as StoredEntry, nowMs) ? expiredVersion(entry.writtenStamp) : removed);
  }

  /** The stored entry behind `entry`, which must be the live entry of its key. */
  private liveEntry(entry: KeyEntry): StoredEntry {
    const stored = entry as StoredEntry;
    if (!(stored instanceof StoredEntry) || stored.removed) {
      throw new Error(`keyspace: entry created at stamp ${entry.createdStamp} is not the live entry of its key`);
    }
    return stored;
  }

  private pushExpiry(entry: StoredEntry): void {
    this.expiryHeap.push({ expireAtMs: entry.expireAtMs, stamp: entry.createdStamp, target: entry });
    if (this.expiryHeap.size > this.volatileRecency.size * 2 + heapStaleItemsMin) {
      this.expiryHeap.compact((item) => this.isHeapItemLive(item));
    }
  }

  private isHeapItemLive(item: ExpiryItem<StoredEntry>): boolean {
    return !item.target.removed && item.target.expiry === item.expireAtMs;
  }

  /** Keys whose expiry ≤ nowMs, at most `max`, with bounded work; never mutates the keyspace. */
  dueForExpiry(nowMs: number, max: number): KeyEntry[] {
    const visitMax = max * 4 + 64;
    const seen = new Set<StoredEntry>();
    const due: KeyEntry[] = [];
    for (const item of this.expiryHeap.collectDue(nowMs, max, visitMax, (candidate) => this.isHeapItemLive(candidate))) {
      if (seen.has(item.target)) continue;
      seen.add(item.target);
      due.push(item.target);
    }
    return due;
  }

  /** The key with the nearest expiry (ties: oldest creation), for volatile-ttl eviction. */
  nearestExpiry(): KeyEntry | undefined {
    return this.expiryHeap.peekLive((item) => this.isHeapItemLive(item))?.target;
  }

  /** The least recently written key, optionally among keys with an expiry only. */
  leastRecentlyWritten(volatileOnly: boolean): KeyEntry | undefined {
    if (!volatileOnly) return this.oldest ?? undefined;
    for (const entry of this.volatileRecency) return entry;
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
    return this.liveFrom(this.orderIndexFrom(1 + (seed % this.stampCounter)));
  }

  /**
   * A key from a slot of the creation order chosen by `seed`, uniform but for removed slots
   * (the live key after them). The slots differ between a replica that applied the log and
   * one restored from a snapshot: for a node's own reads only, never for anything applied.
   */
  pickLocal(seed: number): KeyEntry | undefined {
    if (this.table.size === 0) return undefined;
    return this.liveFrom(seed % this.order.length);
  }

  /** The first live key in creation order from slot `start`, wrapping around; the keyspace holds one. */
  private liveFrom(start: number): KeyEntry {
    const length = this.order.length;
    for (let i = 0; i < length; i++) {
      const entry = this.order[(start + i) % length] as StoredEntry;
      if (!entry.removed) return entry;
    }
    throw new Error(`keyspace: ${this.table.size} keys but no live slot among ${length}`);
  }

  /** Index of the first slot in creation order whose createdStamp ≥ stamp. */
  private orderIndexFrom(stamp: number): number {
    let low = 0;
    let high = this.order.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.order[middle] as StoredEntry).createdStamp < stamp) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /**
   * Walks live entries in creation order from `fromStamp`, visiting at most `visitMax` of
   * them; `visit` may return false to stop before consuming that entry. Returns the stamp to
   * continue from (the refused entry's own stamp if one was refused), or 0 at the end.
   */
  walk(fromStamp: number, visitMax: number, visit: (entry: KeyEntry) => boolean | void): number {
    let index = this.orderIndexFrom(fromStamp);
    let visited = 0;
    while (index < this.order.length && visited < visitMax) {
      const entry = this.order[index] as StoredEntry;
      if (!entry.removed) {
        if (visit(entry) === false) return entry.createdStamp;
        visited++;
      }
      index++;
    }
    // Continue from the next LIVE key, so the cursor does not depend on where deleted keys
    // still hold slots (a replica restored from a snapshot has none).
    while (index < this.order.length && !this.isLiveSlot(index)) index++;
    return index < this.order.length ? (this.order[index] as StoredEntry).createdStamp : 0;
  }

  private isLiveSlot(index: number): boolean {
    return !(this.order[index] as StoredEntry).removed;
  }

  /** All live entries in creation order (includes logically expired ones). */
  *values(): IterableIterator<KeyEntry> {
    const order = this.order;
    for (let i = 0; i < order.length; i++) if (!(order[i] as StoredEntry).removed) yield order[i] as StoredEntry;
  }
}

function isExpired(entry: StoredEntry, nowMs: number): boolean {
  return entry.expiry !== null && entry.expiry <= nowMs;
}

/** A frozen copy of an entry: a collection is cloned (the entry's own may change in place). */
export function imageOf(entry: KeyEntry): EntryImage {
  const value = entry.value;
  return {
    key: entry.key, value: value.type === 'string' ? value : value.clone(), expireAtMs: entry.expireAtMs,
    createdStamp: entry.createdStamp, writtenStamp: entry.writtenStamp,
  };
}
