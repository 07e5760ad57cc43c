// The list type: a double-ended queue of binary-safe elements (latin1 strings, one char per
// byte, like keys) in a ring buffer: O(1) push and pop at both ends and O(1) access by
// index, O(n) inserts and removals in the middle (as Redis's). One array slot per element
// is the whole per-element cost beyond the string itself; a chunked layout (Redis's
// quicklist) would pack small elements tighter but make every access decode, which the
// ring buffer never does (docs/internals/blocking.md has the measurements).

import type { ByteReader, ByteWriter } from './binary.js';
import { fnv1aLatin1, fnvOffsetBasis, mixSeed } from './hash.js';
import type { CollectionBuilder, CollectionCodec, CollectionValue, ElementCursor } from './value.js';

/** Memory estimate per element beyond its bytes (array slot and string header). */
export const listElementOverheadBytes = 24;
/** Smallest ring capacity (a power of two, as every capacity is). */
const capacityMin = 8;

/** Which end of a list: the head (index 0) or the tail. */
export type ListEnd = 'left' | 'right';

export class ListValue implements CollectionValue {
  readonly type = 'list' as const;
  accountedBytes = 0;
  /** The ring: element i is at (head + i) & (capacity - 1); free slots hold ''. Capacity is a power of two. */
  private slots: string[];
  private head = 0;
  private size = 0;
  private elementBytes = 0;
  private changes = 0;

  constructor(elements: readonly string[] = []) {
    this.slots = new Array<string>(capacityFor(elements.length)).fill('');
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
    return this.slots[this.slot(index)] as string;
  }

  /** Replaces element `index`, which must be in [0, length). */
  set(index: number, element: string): void {
    const slot = this.slot(index);
    this.elementBytes += element.length - (this.slots[slot] as string).length;
    this.slots[slot] = element;
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

  pushHead(element: string): void {
    this.reserve(this.size + 1);
    this.head = (this.head - 1) & this.mask;
    this.slots[this.head] = element;
    this.added(element);
  }

  pushTail(element: string): void {
    this.reserve(this.size + 1);
    this.slots[this.slot(this.size)] = element;
    this.added(element);
  }

  popHead(): string {
    const element = this.take(this.head);
    this.head = (this.head + 1) & this.mask;
    this.removed(element);
    return element;
  }

  popTail(): string {
    const element = this.take(this.slot(this.size - 1));
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
    const dropTail = this.size - start - keep;
    for (let i = 0; i < start; i++) this.popHead();
    for (let i = 0; i < dropTail; i++) this.popTail();
  }

  /** Inserts `element` so that it becomes element `index` (0 ≤ index ≤ length), moving the shorter side. */
  insert(index: number, element: string): void {
    if (index === 0) return this.pushHead(element);
    if (index === this.size) return this.pushTail(element);
    this.reserve(this.size + 1);
    if (index < this.size / 2) {
      this.head = (this.head - 1) & this.mask;
      for (let i = 0; i < index; i++) this.slots[this.slot(i)] = this.at(i + 1);
    } else {
      for (let i = this.size; i > index; i--) this.slots[this.slot(i)] = this.at(i - 1);
    }
    this.slots[this.slot(index)] = element;
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
    return new ListValue(this.elements());
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

  private get mask(): number {
    return this.slots.length - 1;
  }

  private slot(index: number): number {
    return (this.head + index) & this.mask;
  }

  private take(slot: number): string {
    const element = this.slots[slot] as string;
    this.slots[slot] = '';
    return element;
  }

  private added(element: string): void {
    this.size++;
    this.elementBytes += listElementOverheadBytes + element.length;
    this.changes++;
  }

  private removed(element: string): void {
    this.size--;
    this.elementBytes -= listElementOverheadBytes + element.length;
    this.changes++;
    if (this.slots.length > capacityMin && this.size * 4 <= this.slots.length) this.resize(this.slots.length / 2);
  }

  /** Makes room for `size` elements (doubling). */
  private reserve(size: number): void {
    if (size > this.slots.length) this.resize(capacityFor(size));
  }

  /** Moves the elements into a ring of `capacity` slots, head at slot 0. */
  private resize(capacity: number): void {
    const slots = new Array<string>(capacity).fill('');
    for (let i = 0; i < this.size; i++) slots[i] = this.at(i);
    this.slots = slots;
    this.head = 0;
  }

  /** Replaces the contents with `elements` (a mutation: bytes and version follow). */
  private replaceAll(elements: readonly string[]): void {
    this.slots = new Array<string>(capacityFor(elements.length)).fill('');
    this.head = 0;
    this.size = elements.length;
    this.elementBytes = 0;
    for (let i = 0; i < elements.length; i++) {
      const element = elements[i] as string;
      this.slots[i] = element;
      this.elementBytes += listElementOverheadBytes + element.length;
    }
    this.changes++;
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

/** The smallest power-of-two capacity ≥ capacityMin that holds `size` elements. */
function capacityFor(size: number): number {
  let capacity = capacityMin;
  while (capacity < size) capacity *= 2;
  return capacity;
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
