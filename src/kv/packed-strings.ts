// Many small latin1 strings packed into few: the chunk format the list (list-value.ts) and the
// hash's values (PackedStringArray) share. A V8 string costs a 16-byte header and alignment to
// 8 bytes, and an array slot 8 more: about 28 bytes per element beyond its own bytes. Packed,
// a run of elements is one string: a header of 16-bit end offsets (two chars each), then the
// elements' bytes back to back, so each element costs 2 bytes and a share of one header.
// Reading one element slices it out (a fresh string per read); changing one rewrites its chunk.

/** Most element bytes one packed run of several elements holds: its offsets are 16 bits. */
export const packedRunBytesMax = 65535;

/** The packed form of items[from, to): a lone element as itself, else offsets then bytes (their bytes at most packedRunBytesMax). */
export function packRun(items: readonly string[], from: number, to: number): string {
  if (to - from === 1) return items[from] as string;
  const parts = new Array<string>(to - from + 1);
  const header = new Array<number>(2 * (to - from));
  let end = 0;
  for (let i = from; i < to; i++) {
    const item = items[i] as string;
    end += item.length;
    header[2 * (i - from)] = end >>> 8;
    header[2 * (i - from) + 1] = end & 0xff;
    parts[i - from + 1] = item;
  }
  if (end > packedRunBytesMax) throw new Error(`packed run of ${end} bytes: at most ${packedRunBytesMax}`);
  parts[0] = String.fromCharCode(...header);
  // join makes one flat string (a + b would make a rope that keeps both parts).
  return parts.join('');
}

/** Element `index` of a packed run of `count` elements. */
export function packedElement(packed: string, count: number, index: number): string {
  if (count === 1) return packed;
  const data = 2 * count;
  const end = (packed.charCodeAt(2 * index) << 8) | packed.charCodeAt(2 * index + 1);
  const start = index === 0 ? 0 : (packed.charCodeAt(2 * index - 2) << 8) | packed.charCodeAt(2 * index - 1);
  return packed.slice(data + start, data + end);
}

/** The elements of a packed run. */
export function unpackRun(packed: string, count: number): string[] {
  const items = new Array<string>(count);
  for (let i = 0; i < count; i++) items[i] = packedElement(packed, count, i);
  return items;
}

/** Strings by position: what a MemberIndex keeps its members in (packed, or plain where others hold the same strings). */
export interface StringArray {
  readonly length: number;
  at(position: number): string;
  set(position: number, value: string): void;
  push(value: string): void;
  /** Removes and returns the last string; the array must not be empty. */
  pop(): string;
  values(): IterableIterator<string>;
  clone(): StringArray;
}

/** A StringArray of one string per slot, for a collection whose other structures refer to the same strings (a sorted set's order). */
export class PlainStringArray implements StringArray {
  constructor(private readonly items: string[] = []) {}

  get length(): number {
    return this.items.length;
  }

  at(position: number): string {
    const item = this.items[position];
    if (item === undefined) throw new Error(`strings: position ${position} outside [0, ${this.items.length})`);
    return item;
  }

  set(position: number, value: string): void {
    if (position >= this.items.length || position < 0) throw new Error(`strings: position ${position} outside [0, ${this.items.length})`);
    this.items[position] = value;
  }

  push(value: string): void {
    this.items.push(value);
  }

  pop(): string {
    return this.items.pop() as string;
  }

  values(): IterableIterator<string> {
    return this.items.values();
  }

  clone(): PlainStringArray {
    return new PlainStringArray(this.items.slice());
  }
}

/** Elements per chunk of a PackedStringArray (a power of two: position → chunk is a shift). */
const arrayChunkBits = 6;
const arrayChunkElements = 1 << arrayChunkBits;
/** A chunk is packed only while its elements' bytes fit this (larger values stay strings of their own). */
export const arrayChunkBytesMax = 8192;
/** Chunks a run of changes keeps open at once (beside the last one): a hot spot is not repacked on every change. */
const openChunksMax = 8;

/** One chunk of a PackedStringArray: open (its strings) or packed. */
interface ArrayChunk {
  items: string[] | null;
  packed: string;
}

/**
 * An array of strings by position (push, pop, get and set by position), packed in chunks of
 * 64: the members of a set, the fields of a hash and, parallel to those, its values. The last chunk stays open for pushes
 * and pops; a change elsewhere opens its chunk, and the chunk opened longest ago among more
 * than openChunksMax is packed again.
 */
export class PackedStringArray implements StringArray {
  private chunks: ArrayChunk[] = [];
  private size = 0;
  /** Chunks opened by set(), oldest first (indexes; may name the last chunk or one since dropped). */
  private opened: number[] = [];

  get length(): number {
    return this.size;
  }

  at(position: number): string {
    const chunk = this.chunks[position >>> arrayChunkBits];
    if (chunk === undefined || position >= this.size || position < 0) throw new Error(`packed strings: position ${position} outside [0, ${this.size})`);
    const within = position & (arrayChunkElements - 1);
    return chunk.items === null ? packedElement(chunk.packed, this.countOf(position >>> arrayChunkBits), within) : chunk.items[within] as string;
  }

  set(position: number, value: string): void {
    if (position >= this.size || position < 0) throw new Error(`packed strings: position ${position} outside [0, ${this.size})`);
    const index = position >>> arrayChunkBits;
    const chunk = this.chunks[index] as ArrayChunk;
    if (chunk.items === null) {
      this.open(index);
      this.opened.push(index);
      if (this.opened.length > openChunksMax) this.pack(this.opened.shift() as number);
    }
    (chunk.items as string[])[position & (arrayChunkElements - 1)] = value;
  }

  push(value: string): void {
    if ((this.size & (arrayChunkElements - 1)) === 0) {
      // The last chunk is full: it stops being the last, so it may be packed.
      this.chunks.push({ items: [], packed: '' });
      this.pack(this.chunks.length - 2);
    }
    this.open(this.chunks.length - 1).push(value);
    this.size++;
  }

  /** Removes and returns the last string; the array must not be empty. */
  pop(): string {
    const index = this.chunks.length - 1;
    const value = this.open(index).pop() as string;
    this.size--;
    if ((this.size & (arrayChunkElements - 1)) === 0) this.chunks.pop();
    return value;
  }

  *values(): IterableIterator<string> {
    for (let i = 0; i < this.size; i++) yield this.at(i);
  }

  /** An independent copy (packed strings are never changed, only replaced: the copy shares them). */
  clone(): PackedStringArray {
    const copy = new PackedStringArray();
    copy.chunks = this.chunks.map((chunk) => ({ items: chunk.items === null ? null : chunk.items.slice(), packed: chunk.packed }));
    copy.size = this.size;
    return copy;
  }

  /** Elements in chunk `index`. */
  private countOf(index: number): number {
    return index < this.chunks.length - 1 ? arrayChunkElements : this.size - index * arrayChunkElements;
  }

  private open(index: number): string[] {
    const chunk = this.chunks[index] as ArrayChunk;
    if (chunk.items === null) {
      chunk.items = unpackRun(chunk.packed, this.countOf(index));
      chunk.packed = '';
    }
    return chunk.items;
  }

  /** Packs chunk `index` if it exists, is not the last, is open and its bytes fit a chunk. */
  private pack(index: number): void {
    const chunk = this.chunks[index];
    if (chunk === undefined || chunk.items === null || index === this.chunks.length - 1) return;
    let bytes = 0;
    for (const item of chunk.items) bytes += item.length;
    if (bytes > arrayChunkBytesMax) return;
    chunk.packed = packRun(chunk.items, 0, chunk.items.length);
    chunk.items = null;
  }
}
