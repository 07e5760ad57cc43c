// The keyspace's per-key storage: one slot per key, in creation order, and one column per
// field, so a key costs no JavaScript object of its own (an object is a 24-byte header and
// 8 bytes a field here: Node 20 has no pointer compression). A slot holds:
//   - the key's cell: the key's bytes and a short string value's bytes in one latin1 string
//     (packCell: one string header for both, no Buffer per key or value), or a WideCell for a
//     collection, a MutableString or a long value;
//   - its creation and last-write stamps, its node-local access clock;
//   - its expiry (noExpiry for none), in a paged column (paged-column.ts) that spends nothing
//     on pages of keys without one;
//   - its neighbours in write order (a doubly linked list through the slots, least recently
//     written at `oldest`), or its own slot number once the key was removed.
// Removed slots keep their cell until compact() renumbers the live ones (epoch counts those
// renumberings, so a handle that cached a slot knows to look it up again by creation stamp).
// At a million 12-byte keys with 100-byte values a key costs its cell (136 B), its pointer
// in `cells` (8 B) and 28 B of columns (36 B with an expiry).

import { latin1Between, latin1Of } from './binary.js';
import { hashOfLatin1 } from './key-table.js';
import { PagedColumn } from './paged-column.js';
import type { MutableString } from './mutable-string.js';
import type { CollectionValue, StoredValue, TypeName, Value } from './value.js';

export const noExpiry = Number.POSITIVE_INFINITY;
/** A link or slot that points nowhere. */
export const noSlot = -1;

export function mapKeyOf(key: Uint8Array): string {
  return latin1Of(key);
}

/**
 * A key whose value is not kept in its cell string: a collection, a MutableString, or a
 * latin1 string longer than packedValueBytesMax (a large value gains nothing from sharing a
 * string with its key, and a PFCOUNT memo compares it by identity).
 */
export interface WideCell {
  /** The key's bytes as a latin1 string. */
  readonly key: string;
  readonly data: StoredValue;
}

export type Cell = string | WideCell;

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
 * A packed cell: the key's length, the key's bytes, the value's bytes, in one latin1 string.
 * The key comes as bytes, as a latin1 string, or as the front of another packed cell (`keyIsCell`).
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
function cellOf(key: Uint8Array | string, keyIsCell: boolean, data: StoredValue | Uint8Array): Cell {
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

/** A new key's cell: `key` as bytes or as its latin1 string. */
export function newCell(key: Uint8Array | string, data: StoredValue | Uint8Array): Cell {
  return cellOf(key, false, data);
}

/** The same key's cell with `data` as its value. */
export function replacedCell(cell: Cell, data: StoredValue | Uint8Array): Cell {
  return typeof cell === 'string' ? cellOf(cell, true, data) : cellOf(cell.key, false, data);
}

/** The key's bytes as a latin1 string. */
export function cellKey(cell: Cell): string {
  return typeof cell === 'string' ? keyStringOf(cell, true) : cell.key;
}

export function cellKeyLength(cell: Cell): number {
  return typeof cell === 'string' ? keyLengthOf(cell) : cell.key.length;
}

/** The value as stored (a packed cell's value is sliced out: a view, no copy, for all but short ones). */
export function cellData(cell: Cell): StoredValue {
  return typeof cell === 'string' ? cell.slice(valueStartOf(cell)) : cell.data;
}

/** The value: a string's bytes as a fresh copy, or the live collection. */
export function cellValue(cell: Cell): Value {
  const data = cellData(cell);
  if (typeof data === 'string') return { type: 'string', data: Buffer.from(data, 'latin1') };
  return data.type === 'string' ? { type: 'string', data: Buffer.from(data.view()) } : data;
}

export function cellType(cell: Cell): TypeName {
  if (typeof cell === 'string' || typeof cell.data === 'string') return 'string';
  return cell.data.type;
}

/** A string's length in bytes, a collection's memory estimate. */
export function cellValueLength(cell: Cell): number {
  if (typeof cell === 'string') return cell.length - valueStartOf(cell);
  return typeof cell.data === 'string' ? cell.data.length : cell.data.bytes;
}

/** The stored value when it is not a latin1 string (a collection or a MutableString), else null. */
export function cellObject(cell: Cell): CollectionValue | MutableString | null {
  return typeof cell === 'string' || typeof cell.data === 'string' ? null : cell.data;
}

/** hashOfLatin1 of the cell's key. */
export function cellKeyHash(cell: Cell): number {
  if (typeof cell !== 'string') return hashOfLatin1(cell.key);
  const start = keyStartOf(cell);
  return hashOfLatin1(cell, start, start + keyLengthOf(cell));
}

/** Whether the cell's key is exactly `key`. */
export function cellHasKey(cell: Cell, key: Uint8Array): boolean {
  const text = typeof cell === 'string' ? cell : cell.key;
  const start = typeof cell === 'string' ? keyStartOf(cell) : 0;
  const length = typeof cell === 'string' ? keyLengthOf(cell) : cell.key.length;
  if (length !== key.length) return false;
  for (let i = 0; i < length; i++) if (text.charCodeAt(start + i) !== key[i]) return false;
  return true;
}

export function cellsShareKey(a: Cell, b: Cell): boolean {
  return cellKeyLength(a) === cellKeyLength(b) && cellKey(a) === cellKey(b);
}

/** Slots of a new store (grown by doubling). */
const initialCapacity = 64;

/** One slot per key in creation order, a column per field (see the file comment). */
export class KeyColumns {
  /** Slots in use, live and removed. Invariant: length <= capacity. */
  length = 0;
  /** Renumberings so far (compact, clear, reorder): a slot number cached under another epoch is stale. */
  epoch = 0;
  /** Ends of the write-order list: least and most recently written live slots, noSlot when empty. */
  oldest = noSlot;
  newest = noSlot;
  cells: Cell[] = [];
  createdStamps = new Float64Array(initialCapacity);
  writtenStamps = new Float64Array(initialCapacity);
  /** Absolute expiry in ms, noExpiry for none. */
  expiries = new PagedColumn(noExpiry);
  /** Node-local access clock (Keyspace.recordAccess), or the keyspace's unset marker. */
  accessed = new Int32Array(initialCapacity);
  /** Write-order neighbours: `olders` written before, `newers` after, noSlot at the ends; a removed slot's `olders` is itself. */
  olders = new Int32Array(initialCapacity);
  newers = new Int32Array(initialCapacity);

  get capacity(): number {
    return this.createdStamps.length;
  }

  /** Adds a slot at the end (unlinked: link() it, or it reads as removed until then). */
  append(cell: Cell, expireAtMs: number, createdStamp: number, writtenStamp: number, accessed: number): number {
    const slot = this.length;
    if (slot >= this.capacity) this.grow(Math.max(initialCapacity, this.capacity * 2));
    this.cells.push(cell);
    this.createdStamps[slot] = createdStamp;
    this.writtenStamps[slot] = writtenStamp;
    this.expiries.set(slot, expireAtMs);
    this.accessed[slot] = accessed;
    this.olders[slot] = slot;
    this.newers[slot] = noSlot;
    this.length = slot + 1;
    return slot;
  }

  /** Room for `count` slots without growing. */
  reserve(count: number): void {
    if (count > this.capacity) this.grow(count);
  }

  private grow(capacity: number): void {
    this.createdStamps = grown(this.createdStamps, new Float64Array(capacity), this.length);
    this.writtenStamps = grown(this.writtenStamps, new Float64Array(capacity), this.length);
    this.accessed = grown(this.accessed, new Int32Array(capacity), this.length);
    this.olders = grown(this.olders, new Int32Array(capacity), this.length);
    this.newers = grown(this.newers, new Int32Array(capacity), this.length);
  }

  isRemoved(slot: number): boolean {
    return this.olders[slot] === slot;
  }

  /** The slot of the key created at `stamp` if it is still here (live or removed, not yet compacted away), else noSlot. */
  slotOfStamp(stamp: number): number {
    const slot = this.indexFrom(stamp);
    return slot < this.length && this.createdStamps[slot] === stamp ? slot : noSlot;
  }

  /** Index of the first slot whose creation stamp is ≥ stamp. */
  indexFrom(stamp: number): number {
    let low = 0;
    let high = this.length;
    const created = this.createdStamps;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((created[middle] as number) < stamp) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Appends a live slot at the newest end of the write order. */
  link(slot: number): void {
    this.olders[slot] = this.newest;
    this.newers[slot] = noSlot;
    if (this.newest === noSlot) this.oldest = slot;
    else this.newers[this.newest] = slot;
    this.newest = slot;
  }

  /** Takes a slot out of the write order (its links then point nowhere). */
  unlink(slot: number): void {
    const older = this.olders[slot] as number;
    const newer = this.newers[slot] as number;
    if (older === noSlot) this.oldest = newer;
    else this.newers[older] = newer;
    if (newer === noSlot) this.newest = older;
    else this.olders[newer] = older;
    this.olders[slot] = noSlot;
    this.newers[slot] = noSlot;
  }

  /** Takes a live slot out of the write order and marks it removed; its cell stays until compact(). */
  markRemoved(slot: number): void {
    this.unlink(slot);
    this.olders[slot] = slot;
  }

  /** Moves the live slots down over the removed ones, keeping their order; returns how many remain. */
  compact(): number {
    const remap = new Int32Array(this.length);
    const kept = new Int32Array(this.length);
    let live = 0;
    for (let slot = 0; slot < this.length; slot++) {
      if (this.isRemoved(slot)) {
        remap[slot] = noSlot;
        continue;
      }
      remap[slot] = live;
      kept[live] = slot;
      this.moveSlot(slot, live);
      live++;
    }
    this.expiries = this.expiries.rebuilt(kept.subarray(0, live));
    for (let slot = 0; slot < live; slot++) {
      const older = this.olders[slot] as number;
      const newer = this.newers[slot] as number;
      this.olders[slot] = older === noSlot ? noSlot : (remap[older] as number);
      this.newers[slot] = newer === noSlot ? noSlot : (remap[newer] as number);
    }
    this.oldest = this.oldest === noSlot ? noSlot : (remap[this.oldest] as number);
    this.newest = this.newest === noSlot ? noSlot : (remap[this.newest] as number);
    this.cells.length = live;
    this.length = live;
    this.epoch++;
    return live;
  }

  private moveSlot(from: number, to: number): void {
    if (from === to) return;
    this.cells[to] = this.cells[from] as Cell;
    this.createdStamps[to] = this.createdStamps[from] as number;
    this.writtenStamps[to] = this.writtenStamps[from] as number;
    this.accessed[to] = this.accessed[from] as number;
    this.olders[to] = this.olders[from] as number;
    this.newers[to] = this.newers[from] as number;
  }

  /** Puts the (unlinked) slots in the order `slots` lists them, a permutation of all of them. */
  reorder(slots: readonly number[]): void {
    if (slots.length !== this.length) throw new Error(`key columns: reorder of ${slots.length} slots, ${this.length} held`);
    const source = { cells: this.cells, created: this.createdStamps, written: this.writtenStamps, accessed: this.accessed };
    this.cells = new Array<Cell>(slots.length);
    this.createdStamps = new Float64Array(this.capacity);
    this.writtenStamps = new Float64Array(this.capacity);
    this.expiries = this.expiries.rebuilt(slots);
    this.accessed = new Int32Array(this.capacity);
    for (let to = 0; to < slots.length; to++) {
      const from = slots[to] as number;
      this.cells[to] = source.cells[from] as Cell;
      this.createdStamps[to] = source.created[from] as number;
      this.writtenStamps[to] = source.written[from] as number;
      this.accessed[to] = source.accessed[from] as number;
    }
    this.epoch++;
  }

  /** Drops every slot. */
  clear(): void {
    this.cells = [];
    this.length = 0;
    this.oldest = noSlot;
    this.newest = noSlot;
    this.createdStamps = new Float64Array(initialCapacity);
    this.writtenStamps = new Float64Array(initialCapacity);
    this.expiries = new PagedColumn(noExpiry);
    this.accessed = new Int32Array(initialCapacity);
    this.olders = new Int32Array(initialCapacity);
    this.newers = new Int32Array(initialCapacity);
    this.epoch++;
  }
}

function grown<T extends Float64Array | Int32Array>(from: T, to: T, length: number): T {
  to.set(from.subarray(0, length));
  return to;
}
