// Distinct strings (latin1, one char per byte) kept in a dense array (packed 64 to a string for
// sets and hashes: packed-strings.ts) with an index from each to its position: O(1) add,
// remove, membership and access by position, the three things sets and hashes need
// (SPOP/SRANDMEMBER/HRANDFIELD pick a position; *SCAN walks positions).
//
// A removal moves the last member into the hole, so positions stay dense and a member only
// ever moves DOWN (from the last position). That is what makes a *SCAN cursor that walks
// positions from the top down miss nothing present for the whole iteration
// (collection-scan.ts). The order depends only on the sequence of adds and removes, so it is
// the same on every replica, and a snapshot writes members in position order and restores
// them in it: a restored replica has the same positions too.
//
// The index from member to position is not a JavaScript Map: a Map of a million strings costs
// about 30 bytes per member and doubles in one go, rehashing every member in a single call
// (60 ms at 1M on an idle core, 190–405 ms on the loaded benchmark machine). It is an
// extendible hash table instead: a directory, indexed by the top bits of a member's hash,
// of segments that are open-addressing tables of positions (Int32Array, linear probing). A
// segment that fills up doubles until it reaches segmentSlotsMax, then splits in two by the
// next hash bit; so one add rehashes at most one segment (about 12k members), whatever the
// size, and the index costs about 12 bytes per member (4 for the cached hash, 4 per slot at a
// load of 3/8 to 3/4). The hash is internal: it decides no order anyone sees, and each process
// seeds it (seedMemberHashes).

import { fmix32, fnv1aLatin1, fnvOffsetBasis } from './hash.js';
import { PackedStringArray, PlainStringArray, type StringArray } from './packed-strings.js';

/** Slots of a new segment (a power of two, as every segment's capacity is). */
const segmentSlotsMin = 8;
/** A segment this large splits instead of doubling: the most one add ever rehashes. */
export const segmentSlotsMax = 1 << 14;
/** Directory bits at most (2^20 segments): members whose hashes share more top bits stay in one, larger, segment. */
const directoryDepthMax = 20;
/** Empty slot marker: slots hold position + 1. */
const emptySlot = 0;

class Segment {
  /** Members here, and the slots holding them: slots[i] is a position + 1, or emptySlot. */
  count = 0;
  constructor(
    /** Top hash bits every member here shares. */
    readonly depth: number,
    public slots: Int32Array,
  ) {}
}

/** The member hash's starting state: FNV's offset basis, mixed with this process's seed once the server sets one. */
let hashSeed = fnvOffsetBasis;
/** Whether an index was made: from then on the seed stays, or the indexes made would lose their members. */
let indexMade = false;

/**
 * Seeds the member hash for this process (the server does, at start-up, from a random source),
 * so that members crafted to collide under one process's hash do not collide under another's,
 * as V8 seeds the hash of its Maps. The hash decides no order anyone sees, so replicas need not
 * share the seed. Once an index exists the call does nothing (several nodes in one test process).
 */
export function seedMemberHashes(seed: number): void {
  if (!indexMade) hashSeed = (fnvOffsetBasis ^ seed) >>> 0;
}

/** The 32-bit hash that places a member: FNV-1a over its bytes with murmur3's finalizer (FNV alone leaves the top bits weak). */
function memberHash(member: string): number {
  return fmix32(fnv1aLatin1(hashSeed, member)) | 0;
}

export class MemberIndex {
  /** The last member hashed, and its hash: a command looks a member up, then adds or moves it, hashing it once. */
  private hashedMember = '';
  private hashedValue = memberHash('');

  /** Invariant: hashes[i] === memberHash(members[i]) and the segment of that hash has a slot holding i + 1, for every i < members.length. */
  private constructor(
    private readonly members: StringArray,
    private hashes: Int32Array,
    /** 2^directoryDepth entries; entry d is the segment of hashes whose top directoryDepth bits are d (neighbours may share one). */
    private directory: Segment[],
    private directoryDepth: number,
  ) {}

  /**
   * An empty index. `packed`: its members packed 64 to a string (packed-strings.ts: ~26 bytes
   * less per member, a slice allocated per read), for sets and hashes; a sorted set's order
   * holds the member strings too, so packing them there would keep each member twice.
   */
  static empty(packed: boolean): MemberIndex {
    indexMade = true;
    return new MemberIndex(packed ? new PackedStringArray() : new PlainStringArray(), new Int32Array(segmentSlotsMin), [new Segment(0, new Int32Array(segmentSlotsMin))], 0);
  }

  get size(): number {
    return this.members.length;
  }

  /** The member at `position` (0 ≤ position < size). */
  at(position: number): string {
    return this.members.at(position);
  }

  positionOf(member: string): number | undefined {
    const position = this.find(member, this.hash(member));
    return position < 0 ? undefined : position;
  }

  has(member: string): boolean {
    return this.find(member, this.hash(member)) >= 0;
  }

  /** Appends `member` when absent; its new position, or -1 when it was present. */
  add(member: string): number {
    const hash = this.hash(member);
    if (this.find(member, hash) >= 0) return -1;
    const position = this.members.length;
    if (position === this.hashes.length) this.hashes = grown(this.hashes, position * 2);
    this.members.push(member);
    this.hashes[position] = hash;
    this.place(hash, position);
    return position;
  }

  /** Removes `member`; the position it had (the last member now holds it), or -1 when absent. */
  remove(member: string): number {
    const position = this.find(member, this.hash(member));
    if (position < 0) return -1;
    this.removeAt(position);
    return position;
  }

  /** Removes the member at `position` and returns it; the last member moves into `position`. */
  removeAt(position: number): string {
    const member = this.at(position);
    this.unplace(this.hashes[position] as number, position);
    const last = this.members.length - 1;
    if (position < last) {
      const lastHash = this.hashes[last] as number;
      this.members.set(position, this.members.at(last));
      this.hashes[position] = lastHash;
      this.relabel(lastHash, last, position);
    }
    this.members.pop();
    if (this.hashes.length > segmentSlotsMin && this.members.length * 4 <= this.hashes.length) this.hashes = this.hashes.slice(0, this.hashes.length / 2);
    return member;
  }

  /** Members in position order. */
  values(): IterableIterator<string> {
    return this.members.values();
  }

  clone(): MemberIndex {
    const copies = new Map<Segment, Segment>();
    const directory = this.directory.map((segment) => {
      let copy = copies.get(segment);
      if (copy === undefined) {
        copy = new Segment(segment.depth, segment.slots.slice());
        copy.count = segment.count;
        copies.set(segment, copy);
      }
      return copy;
    });
    return new MemberIndex(this.members.clone(), this.hashes.slice(), directory, this.directoryDepth);
  }

  /** Slots of the largest segment: at most segmentSlotsMax unless hashes collide in their top directoryDepthMax bits. */
  largestSegmentSlots(): number {
    let largest = 0;
    for (const segment of this.directory) largest = Math.max(largest, segment.slots.length);
    return largest;
  }

  private hash(member: string): number {
    if (member !== this.hashedMember) {
      this.hashedMember = member;
      this.hashedValue = memberHash(member);
    }
    return this.hashedValue;
  }

  private segmentOf(hash: number): Segment {
    return this.directory[this.directoryDepth === 0 ? 0 : hash >>> (32 - this.directoryDepth)] as Segment;
  }

  /** The position of `member` (whose hash is `hash`), or -1. */
  private find(member: string, hash: number): number {
    const slots = this.segmentOf(hash).slots;
    const mask = slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const held = slots[slot] as number;
      if (held === emptySlot) return -1;
      if (this.hashes[held - 1] === hash && this.members.at(held - 1) === member) return held - 1;
    }
  }

  /** Puts `position` into its segment, making room first (doubling or splitting the segment). */
  private place(hash: number, position: number): void {
    let segment = this.segmentOf(hash);
    if ((segment.count + 1) * 4 > segment.slots.length * 3) {
      if (segment.slots.length < segmentSlotsMax || !this.split(segment)) this.rehash(segment, segment.slots.length * 2);
      segment = this.segmentOf(hash);
    }
    insertSlot(segment.slots, hash, position + 1);
    segment.count++;
  }

  /** Takes `position` out of its segment (backward-shift deletion keeps every probe chain unbroken). */
  private unplace(hash: number, position: number): void {
    const segment = this.segmentOf(hash);
    const slots = segment.slots;
    const mask = slots.length - 1;
    let hole = slotHolding(slots, hash, position + 1);
    for (let next = (hole + 1) & mask; slots[next] !== emptySlot; next = (next + 1) & mask) {
      const home = (this.hashes[(slots[next] as number) - 1] as number) & mask;
      // The entry at `next` may move back into the hole unless its home lies cyclically in (hole, next].
      const stays = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (stays) continue;
      slots[hole] = slots[next] as number;
      hole = next;
    }
    slots[hole] = emptySlot;
    segment.count--;
    if (slots.length > segmentSlotsMin && segment.count * 8 < slots.length) this.rehash(segment, slots.length / 2);
  }

  /** The slot of the member at `from` (hash `hash`) now names position `to`. */
  private relabel(hash: number, from: number, to: number): void {
    const slots = this.segmentOf(hash).slots;
    slots[slotHolding(slots, hash, from + 1)] = to + 1;
  }

  /** Moves a segment's positions into a table of `capacity` slots. */
  private rehash(segment: Segment, capacity: number): void {
    const slots = new Int32Array(capacity);
    for (const held of segment.slots) if (held !== emptySlot) insertSlot(slots, this.hashes[held - 1] as number, held);
    segment.slots = slots;
  }

  /** Splits a full segment in two by its next hash bit (doubling the directory if needed); false when it may not. */
  private split(segment: Segment): boolean {
    if (segment.depth >= directoryDepthMax) return false;
    if (segment.depth === this.directoryDepth) {
      this.directory = this.directory.flatMap((s) => [s, s]);
      this.directoryDepth++;
    }
    const low = new Segment(segment.depth + 1, new Int32Array(segment.slots.length));
    const high = new Segment(segment.depth + 1, new Int32Array(segment.slots.length));
    const bit = 31 - segment.depth;
    for (const held of segment.slots) {
      if (held === emptySlot) continue;
      const hash = this.hashes[held - 1] as number;
      const half = ((hash >>> bit) & 1) === 0 ? low : high;
      insertSlot(half.slots, hash, held);
      half.count++;
    }
    const shift = this.directoryDepth - segment.depth - 1;
    for (let d = 0; d < this.directory.length; d++) {
      if (this.directory[d] === segment) this.directory[d] = ((d >>> shift) & 1) === 0 ? low : high;
    }
    return true;
  }
}

/** Puts `held` in the first free slot from its hash's home (the table has a free slot). */
function insertSlot(slots: Int32Array, hash: number, held: number): void {
  const mask = slots.length - 1;
  let slot = hash & mask;
  while (slots[slot] !== emptySlot) slot = (slot + 1) & mask;
  slots[slot] = held;
}

/** The slot holding `held` (which is in the table), probing from its hash's home. */
function slotHolding(slots: Int32Array, hash: number, held: number): number {
  const mask = slots.length - 1;
  let slot = hash & mask;
  while (slots[slot] !== held) slot = (slot + 1) & mask;
  return slot;
}

function grown(array: Int32Array, length: number): Int32Array {
  const copy = new Int32Array(length);
  copy.set(array);
  return copy;
}

/** Mirrors a MemberIndex.removeAt(position) on an array kept parallel to it (a hash's values). */
export function removeParallel<T>(items: T[], position: number): void {
  const last = items.pop() as T;
  if (position < items.length) items[position] = last;
}
