// The list type: a double-ended sequence of binary-safe elements (latin1 strings, one char per
// byte, like keys), packed like Redis's quicklist: a run of chunks, each holding up to
// listChunkElementsMax elements of at most listChunkBytesMax bytes together (a larger element
// gets a chunk of its own). A chunk in the middle is one packed string: a header of 16-bit end
// offsets, then the elements' bytes back to back, so a million elements cost their bytes plus
// about 3 bytes each, not a string header (16 bytes), an array slot (8) and alignment (~4)
// apiece. The chunks at the two ends stay open (an array of the element strings) while pushes
// and pops work there; a chunk is packed when it stops being at an end, and opened again when a
// push or pop reaches it. Access by index walks chunk counts from the nearer end, or from the
// last position found (sequential access, as LRANGE, LPOS and snapshots do, costs O(1) per
// element); a change in the middle repacks only its chunk. The layout is internal: a replica
// restored from a snapshot may cut its chunks elsewhere, which no command can see.

import { boundedRuns } from '../base/bounded-runs.js';
import type { ByteReader, ByteWriter } from './binary.js';
import { fnv1aLatin1, fnvOffsetBasis, mixSeed } from './hash.js';
import { packedElement, packRun, unpackRun } from './packed-strings.js';
import type { CollectionBuilder, CollectionCodec, CollectionValue, ElementCursor } from './value.js';

/**
 * Memory estimate per element beyond its bytes: its 16-bit offset and a share of its chunk's
 * object and string header (about 3 bytes in V8 on x64, measured with a million elements of
 * 10–100 bytes: bench/collection-heap.ts), rounded up for the open chunks at the ends.
 */
export const listElementOverheadBytes = 4;
/** Most elements one chunk holds (bounds the work of a change in the middle, and the header). */
export const listChunkElementsMax = 128;
/**
 * Most element bytes one chunk of several elements holds (Redis's default
 * list-max-listpack-size, -2, is 8 KiB per quicklist node). At most packedRunBytesMax.
 */
export const listChunkBytesMax = 8192;

/** Which end of a list: the head (index 0) or the tail. */
export type ListEnd = 'left' | 'right';

/** A run of consecutive elements: open (an array of them) or packed (one string). */
class Chunk {
  constructor(
    /** The elements while the chunk is open; null while it is packed. */
    public items: string[] | null,
    /** While packed: a lone element as itself, else a header of 16-bit end offsets (two chars each) and the elements' bytes. */
    public packed: string,
    public count: number,
    /** The elements' bytes together. Invariant: bytes <= listChunkBytesMax when count > 1. */
    public bytes: number,
  ) {}
}

function openChunk(element: string): Chunk {
  return new Chunk([element], '', 1, element.length);
}

/** Whether `element` may join `chunk` without breaking its bounds. */
function fits(chunk: Chunk, element: string): boolean {
  return chunk.count < listChunkElementsMax && chunk.bytes + element.length <= listChunkBytesMax;
}

/** Packed chunks holding `items`, in order, each filled as far as its bounds allow. */
function packedChunks(items: readonly string[]): Chunk[] {
  return boundedRuns(items.length, (i) => (items[i] as string).length, listChunkElementsMax, listChunkBytesMax)
    .map(({ from, to, bytes }) => new Chunk(null, packRun(items, from, to), to - from, bytes));
}

export class ListValue implements CollectionValue {
  readonly type = 'list' as const;
  accountedBytes = 0;
  /** The chunks, head first; none when the list is empty. */
  private chunks: Chunk[] = [];
  private size = 0;
  private elementBytes = 0;
  private changes = 0;
  /** The chunk the last lookup by index ended in, and the index of its first element; -1 after a change. */
  private foundChunk = -1;
  private foundStart = 0;

  constructor(elements: readonly string[] = []) {
    for (const element of elements) this.pushTail(element);
    this.changes = 0;
  }

  static create(): ListValue {
    return new ListValue();
  }

  get length(): number {
    return this.size;
  }

  get bytes(): number {
    return this.elementBytes;
  }

  get version(): number {
    return this.changes;
  }

  /** Element `index` (0 = head), which must be in [0, length). */
  at(index: number): string {
    const chunk = this.chunks[this.locate(index)] as Chunk;
    const within = index - this.foundStart;
    return chunk.items === null ? packedElement(chunk.packed, chunk.count, within) : chunk.items[within] as string;
  }

  /** Replaces element `index`, which must be in [0, length). */
  set(index: number, element: string): void {
    const at = this.locate(index);
    const items = this.itemsOf(at);
    const within = index - this.foundStart;
    this.elementBytes += element.length - (items[within] as string).length;
    items[within] = element;
    this.replaceChunk(at, items);
    this.changes++;
  }

  push(end: ListEnd, element: string): void {
    if (end === 'left') this.pushHead(element);
    else this.pushTail(element);
  }

  /** Removes and returns the element at `end`; the list must not be empty. */
  pop(end: ListEnd): string {
    return end === 'left' ? this.popHead() : this.popTail();
  }

  /** Adds `element` at one end of an end chunk it fits in. */
  private grow(chunk: Chunk, element: string, end: ListEnd): void {
    const elements = this.open(chunk);
    if (end === 'left') elements.unshift(element);
    else elements.push(element);
    chunk.count++;
    chunk.bytes += element.length;
  }

  pushHead(element: string): void {
    const first = this.chunks[0];
    if (first !== undefined && fits(first, element)) {
      this.grow(first, element, 'left');
    } else {
      this.chunks.unshift(openChunk(element));
      // The old head is in the middle now (unless it is also the tail).
      if (this.chunks.length > 2) this.pack(this.chunks[1] as Chunk);
    }
    this.added(element);
  }

  pushTail(element: string): void {
    const last = this.chunks[this.chunks.length - 1];
    if (last !== undefined && fits(last, element)) {
      this.grow(last, element, 'right');
    } else {
      this.chunks.push(openChunk(element));
      if (this.chunks.length > 2) this.pack(this.chunks[this.chunks.length - 2] as Chunk);
    }
    this.added(element);
  }

  popHead(): string {
    const first = this.chunks[0] as Chunk;
    const element = this.open(first).shift() as string;
    if (--first.count === 0) this.chunks.shift();
    else first.bytes -= element.length;
    this.removed(element);
    return element;
  }

  popTail(): string {
    const last = this.chunks[this.chunks.length - 1] as Chunk;
    const element = this.open(last).pop() as string;
    if (--last.count === 0) this.chunks.pop();
    else last.bytes -= element.length;
    this.removed(element);
    return element;
  }

  /** Elements start..stop (inclusive, 0 ≤ start ≤ stop < length), head first. */
  range(start: number, stop: number): string[] {
    const elements = new Array<string>(stop - start + 1);
    for (let i = start; i <= stop; i++) elements[i - start] = this.at(i);
    return elements;
  }

  /** Keeps only elements start..stop (inclusive); start > stop empties the list. */
  trim(start: number, stop: number): void {
    const keep = Math.max(0, Math.min(stop, this.size - 1) - start + 1);
    let dropHead = Math.min(start, this.size);
    let dropTail = this.size - dropHead - keep;
    dropHead -= this.dropWhole('left', dropHead);
    dropTail -= this.dropWhole('right', dropTail);
    for (; dropHead > 0; dropHead--) this.popHead();
    for (; dropTail > 0; dropTail--) this.popTail();
  }

  /** Inserts `element` so that it becomes element `index` (0 ≤ index ≤ length). */
  insert(index: number, element: string): void {
    if (index === 0) return this.pushHead(element);
    if (index === this.size) return this.pushTail(element);
    const at = this.locate(index);
    const items = this.itemsOf(at);
    items.splice(index - this.foundStart, 0, element);
    this.replaceChunk(at, items);
    this.added(element);
  }

  /**
   * Removes elements equal to `element` (LREM): the first `count` from the head when
   * count > 0, the last -count from the tail when count < 0, all when 0. Returns how many.
   */
  remove(element: string, count: number): number {
    const fromTail = count < 0;
    const limit = count === 0 ? Number.POSITIVE_INFINITY : Math.abs(count);
    const kept: string[] = [];
    let removedCount = 0;
    for (let n = 0; n < this.size; n++) {
      const candidate = this.at(fromTail ? this.size - 1 - n : n);
      if (candidate === element && removedCount < limit) removedCount++;
      else kept.push(candidate);
    }
    if (removedCount === 0) return 0;
    if (fromTail) kept.reverse();
    this.replaceAll(kept);
    return removedCount;
  }

  /** Index of the first element equal to `element` from the head, or -1. */
  indexOf(element: string): number {
    for (let i = 0; i < this.size; i++) if (this.at(i) === element) return i;
    return -1;
  }

  /**
   * Positions of elements equal to `element` (LPOS): skipping the first |rank|-1 matches,
   * scanning from the head (rank > 0) or the tail (rank < 0), at most `count` of them
   * (0 = all), looking at no more than `maxlen` elements (0 = all).
   */
  positions(element: string, rank: number, count: number, maxlen: number): number[] {
    const found: number[] = [];
    const scan = maxlen === 0 ? this.size : Math.min(maxlen, this.size);
    let skip = Math.abs(rank) - 1;
    for (let n = 0; n < scan && (count === 0 || found.length < count); n++) {
      const index = rank > 0 ? n : this.size - 1 - n;
      if (this.at(index) !== element) continue;
      if (skip > 0) skip--;
      else found.push(index);
    }
    return found;
  }

  /** All elements, head first. */
  elements(): string[] {
    return this.size === 0 ? [] : this.range(0, this.size - 1);
  }

  clone(): ListValue {
    const copy = new ListValue();
    // Packed strings are never changed, only replaced: the copy shares them.
    copy.chunks = this.chunks.map((chunk) => new Chunk(chunk.items === null ? null : chunk.items.slice(), chunk.packed, chunk.count, chunk.bytes));
    copy.size = this.size;
    copy.elementBytes = this.elementBytes;
    return copy;
  }

  /** Order-dependent: the elements' hashes chained from the head. */
  digest(): number {
    let digest = fnvOffsetBasis;
    for (let i = 0; i < this.size; i++) digest = mixSeed(digest, fnv1aLatin1(fnvOffsetBasis, this.at(i)));
    return digest;
  }

  cursor(position: number): ElementCursor {
    return new ListCursor(this, position);
  }

  /** The index in `chunks` of the chunk holding element `index` (in [0, length)); foundStart is its first element's index. */
  private locate(index: number): number {
    const chunks = this.chunks;
    let at: number;
    let start: number;
    const fromHead = index;
    const fromTail = this.size - 1 - index;
    if (this.foundChunk >= 0 && Math.abs(index - this.foundStart) <= Math.min(fromHead, fromTail)) {
      at = this.foundChunk;
      start = this.foundStart;
    } else if (fromHead <= fromTail) {
      at = 0;
      start = 0;
    } else {
      at = chunks.length - 1;
      start = this.size - (chunks[at] as Chunk).count;
    }
    while (index < start) start -= (chunks[--at] as Chunk).count;
    while (index >= start + (chunks[at] as Chunk).count) start += (chunks[at++] as Chunk).count;
    this.foundChunk = at;
    this.foundStart = start;
    return at;
  }

  /** The chunk's elements as an array to change: its own while open, a fresh one while packed. */
  private itemsOf(at: number): string[] {
    const chunk = this.chunks[at] as Chunk;
    return chunk.items ?? unpackRun(chunk.packed, chunk.count);
  }

  /** Puts `items` (the changed elements of chunk `at`) back: in place while they fit one chunk and it is open, else packed. */
  private replaceChunk(at: number, items: string[]): void {
    const chunk = this.chunks[at] as Chunk;
    let bytes = 0;
    for (const item of items) bytes += item.length;
    if (chunk.items === items && (items.length === 1 || (items.length <= listChunkElementsMax && bytes <= listChunkBytesMax))) {
      chunk.count = items.length;
      chunk.bytes = bytes;
    } else {
      this.chunks.splice(at, 1, ...packedChunks(items));
    }
    this.foundChunk = -1;
  }

  /** The elements of a chunk at an end, opened for pushes and pops there. */
  private open(chunk: Chunk): string[] {
    if (chunk.items === null) {
      chunk.items = unpackRun(chunk.packed, chunk.count);
      chunk.packed = '';
    }
    return chunk.items;
  }

  private pack(chunk: Chunk): void {
    if (chunk.items === null) return;
    chunk.packed = packRun(chunk.items, 0, chunk.count);
    chunk.items = null;
  }

  /** Drops whole chunks from `end` while they hold at most `count` elements in all (LTRIM of a long list); how many went. */
  private dropWhole(end: ListEnd, count: number): number {
    let left = count;
    for (;;) {
      const chunk = end === 'left' ? this.chunks[0] : this.chunks[this.chunks.length - 1];
      if (chunk === undefined || chunk.count > left) return count - left;
      if (end === 'left') this.chunks.shift();
      else this.chunks.pop();
      left -= chunk.count;
      this.size -= chunk.count;
      this.elementBytes -= chunk.count * listElementOverheadBytes + chunk.bytes;
      this.changes++;
      this.foundChunk = -1;
    }
  }

  private added(element: string): void {
    this.size++;
    this.elementBytes += listElementOverheadBytes + element.length;
    this.changes++;
    this.foundChunk = -1;
  }

  private removed(element: string): void {
    this.size--;
    this.elementBytes -= listElementOverheadBytes + element.length;
    this.changes++;
    this.foundChunk = -1;
  }

  /** Replaces the contents with `elements` (a mutation: bytes and version follow). */
  private replaceAll(elements: readonly string[]): void {
    this.chunks = packedChunks(elements);
    this.size = elements.length;
    this.elementBytes = 0;
    for (const element of elements) this.elementBytes += listElementOverheadBytes + element.length;
    this.changes++;
    this.foundChunk = -1;
  }
}

/** Writes a list's elements into snapshot records, head first, from a position. */
class ListCursor implements ElementCursor {
  constructor(private readonly list: ListValue, public position: number) {}

  get done(): boolean {
    return this.position >= this.list.length;
  }

  writeSome(writer: ByteWriter, untilBytes: number): number {
    const start = this.position;
    while (this.position < this.list.length && (this.position === start || writer.byteLength < untilBytes)) {
      writer.latin1Bytes(this.list.at(this.position++));
    }
    return this.position - start;
  }
}

export const listCodec: CollectionCodec = {
  type: 'list',
  code: 3,
  builder(): CollectionBuilder {
    const list = new ListValue();
    return {
      read(reader: ByteReader, count: number): void {
        for (let i = 0; i < count; i++) list.pushTail(reader.bytes().toString('latin1'));
      },
      finish: () => list,
    };
  },
};
