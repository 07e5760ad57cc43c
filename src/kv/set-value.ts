// The set type: distinct binary-safe members (latin1 strings, one char per byte, like keys),
// kept by position in a MemberIndex (member-index.ts): O(1) add, remove and membership, O(1)
// pick of a random member (SPOP, SRANDMEMBER) and an SSCAN cursor that misses nothing. The
// position order is what SMEMBERS, SSCAN and snapshots see: the same on every replica, also on
// one restored from a snapshot (members are restored in that order).

import { DecodeError, type ByteReader, type ByteWriter } from './binary.js';
import { fnv1aLatin1, fnvOffsetBasis, mixSeed } from './hash.js';
import { MemberIndex } from './member-index.js';
import { positionalCursor } from './positional-cursor.js';
import type { CollectionBuilder, CollectionCodec, CollectionValue, ElementCursor } from './value.js';

/**
 * Memory estimate per member beyond its bytes: its place in the member index (a cached hash
 * and a slot) and its offset in a packed chunk (about 16 bytes in V8 on x64, measured with a
 * million members of 10–100 bytes: bench/collection-heap.ts).
 */
export const setMemberOverheadBytes = 16;

/** Mixed into member hashes so a set and a hash of the same strings digest differently. */
const setDigestSeed = 0x5e7;

export class SetValue implements CollectionValue {
  readonly type = 'set' as const;
  accountedBytes = 0;
  private memberBytes = 0;
  private changes = 0;

  private constructor(private readonly members: MemberIndex, memberBytes: number) {
    this.memberBytes = memberBytes;
  }

  static create(): SetValue {
    return new SetValue(MemberIndex.empty(true), 0);
  }

  /** A set of `members` (duplicates count once), in their order. */
  static of(members: Iterable<string>): SetValue {
    const set = SetValue.create();
    for (const member of members) set.add(member);
    return set;
  }

  get length(): number {
    return this.members.size;
  }

  get bytes(): number {
    return this.memberBytes;
  }

  get version(): number {
    return this.changes;
  }

  has(member: string): boolean {
    return this.members.has(member);
  }

  /** Adds a member; true when it is new. */
  add(member: string): boolean {
    if (this.members.add(member) < 0) return false;
    this.changes++;
    this.memberBytes += setMemberOverheadBytes + member.length;
    return true;
  }

  /** Removes a member; true when it was there. The last member moves into its position. */
  delete(member: string): boolean {
    if (this.members.remove(member) < 0) return false;
    this.changes++;
    this.memberBytes -= setMemberOverheadBytes + member.length;
    return true;
  }

  /** The member at `position` (0 ≤ position < length). */
  memberAt(position: number): string {
    return this.members.at(position);
  }

  /** Removes and returns the member at `position`; the last member moves into it. */
  popAt(position: number): string {
    const member = this.members.removeAt(position);
    this.changes++;
    this.memberBytes -= setMemberOverheadBytes + member.length;
    return member;
  }

  /** Members in position order. */
  values(): IterableIterator<string> {
    return this.members.values();
  }

  clone(): SetValue {
    return new SetValue(this.members.clone(), this.memberBytes);
  }

  /** Order-independent: a sum of per-member hashes. */
  digest(): number {
    let sum = 0;
    for (const member of this.members.values()) sum = (sum + mixSeed(fnv1aLatin1(fnvOffsetBasis, member), setDigestSeed)) >>> 0;
    return sum;
  }

  cursor(position: number): ElementCursor {
    return positionalCursor(this.members.size, position, (writer: ByteWriter, at: number) => writer.latin1Bytes(this.members.at(at)));
  }

  /** Builds a set from snapshot elements, in the order written (positions are kept). */
  static builder(): CollectionBuilder {
    const set = SetValue.create();
    return {
      read(reader: ByteReader, count: number): void {
        for (let i = 0; i < count; i++) {
          if (!set.add(reader.bytes().toString('latin1'))) throw new DecodeError('duplicate member in a set');
        }
      },
      finish: () => set,
    };
  }
}

export const setCodec: CollectionCodec = { type: 'set', code: 4, builder: SetValue.builder };
