// The sorted-set type: members (binary-safe, latin1 strings) with float64 scores, ordered
// by (score, member bytes). Members are kept by position in a MemberIndex (member-index.ts)
// with their scores in a parallel array: O(1) score lookup, O(1) pick by position
// (ZRANDMEMBER) and a ZSCAN cursor that misses nothing (collection-scan.ts). An order tree
// (order-tree.ts) gives ranks and ranges in O(log n). Both orders depend only on the
// sequence of changes, so they are the same on every replica; snapshots write members in
// position order, so a restored replica has the same positions (and the same tree order).

import { DecodeError, type ByteReader, type ByteWriter } from './binary.js';
import { fnv1aLatin1, fnvOffsetBasis, mixSeed } from './hash.js';
import { MemberIndex, removeParallel } from './member-index.js';
import { OrderTree, type KeyPredicate } from './order-tree.js';
import { positionalCursor } from './positional-cursor.js';
import type { CollectionBuilder, CollectionCodec, CollectionValue, ElementCursor } from './value.js';

/**
 * Memory estimate per member beyond its bytes: its place in the member index (a cached hash
 * and a slot), two array slots (member, score), a string header, and the member's and score's
 * slots in the order tree (about 68 bytes in V8 on x64, measured with a million members of
 * 10–100 bytes: bench/collection-heap.ts).
 */
export const zsetMemberOverheadBytes = 68;

/** A member and its score, as ranges return them. */
export interface ScoredMember {
  readonly member: string;
  readonly score: number;
}

/** What setting a score did to the set. */
export type SetOutcome = 'added' | 'updated' | 'unchanged';

/** Scores as stored: -0 is kept as 0, as Redis's compact encoding stores it. */
function storedScore(score: number): number {
  return score === 0 ? 0 : score;
}

const scoreView = new DataView(new ArrayBuffer(8));

function scoreHash(score: number): number {
  scoreView.setFloat64(0, score);
  return mixSeed(scoreView.getUint32(0), scoreView.getUint32(4));
}

export class ZSetValue implements CollectionValue {
  readonly type = 'zset' as const;
  accountedBytes = 0;
  private changes = 0;

  private constructor(
    private readonly members: MemberIndex,
    /** Invariant: scores[i] is the score of members.at(i). */
    private readonly scores: number[],
    private readonly order: OrderTree,
    private memberBytes: number,
  ) {}

  static create(): ZSetValue {
    return new ZSetValue(MemberIndex.empty(false), [], new OrderTree(), 0);
  }

  /** A sorted set of distinct members in strictly ascending (score, member) order, in positions of that order. */
  static fromSorted(members: readonly string[], scores: readonly number[]): ZSetValue {
    const index = MemberIndex.empty(false);
    let memberBytes = 0;
    for (const member of members) {
      index.add(member);
      memberBytes += zsetMemberOverheadBytes + member.length;
    }
    return new ZSetValue(index, scores.slice(), OrderTree.fromSorted(members, scores), memberBytes);
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

  score(member: string): number | undefined {
    const position = this.members.positionOf(member);
    return position === undefined ? undefined : this.scores[position];
  }

  /** The member at `position` (0 <= position < length) of the position order, with its score. */
  at(position: number): ScoredMember {
    return { member: this.members.at(position), score: this.scores[position] as number };
  }

  /** Sets a member's score (not NaN). */
  set(member: string, score: number): SetOutcome {
    const stored = storedScore(score);
    const position = this.members.positionOf(member);
    if (position === undefined) {
      this.members.add(member);
      this.scores.push(stored);
      this.order.insert(stored, member);
      this.memberBytes += zsetMemberOverheadBytes + member.length;
      this.changes++;
      return 'added';
    }
    const previous = this.scores[position] as number;
    if (previous === stored) return 'unchanged';
    this.scores[position] = stored;
    this.order.remove(previous, member);
    this.order.insert(stored, member);
    this.changes++;
    return 'updated';
  }

  /** Removes a member; true when it was there. */
  delete(member: string): boolean {
    const position = this.members.positionOf(member);
    if (position === undefined) return false;
    const score = this.scores[position] as number;
    this.members.removeAt(position);
    removeParallel(this.scores, position);
    this.order.remove(score, member);
    this.memberBytes -= zsetMemberOverheadBytes + member.length;
    this.changes++;
    return true;
  }

  /** 0-based rank in ascending order, or undefined for a member not in the set. */
  rank(member: string): number | undefined {
    const score = this.score(member);
    return score === undefined ? undefined : this.order.rankOf(score, member);
  }

  /** Members before the first one satisfying `after` (false then true along the order). */
  countBefore(after: KeyPredicate): number {
    return this.order.countBefore(after);
  }

  /** Up to `count` members from rank `start`, ascending or (reverse) descending from it. */
  slice(start: number, count: number, reverse: boolean): ScoredMember[] {
    const result: ScoredMember[] = [];
    if (count <= 0) return result;
    this.order.walk(start, reverse, (member, score) => {
      result.push({ member, score });
      return result.length < count;
    });
    return result;
  }

  /** Visits members in rank order from `start` (descending when `reverse`) while `visit` returns true. */
  walk(start: number, reverse: boolean, visit: (member: string, score: number) => boolean): void {
    this.order.walk(start, reverse, visit);
  }

  /** Visits up to `count` members from rank `start` upwards a run of the order at a time (OrderTree.walkRuns). */
  walkRuns(start: number, count: number, visit: (members: readonly string[], scores: readonly number[], from: number, to: number) => boolean): void {
    this.order.walkRuns(start, count, visit);
  }

  /** Removes `count` members from rank `start` upwards; returns them. */
  deleteSlice(start: number, count: number): ScoredMember[] {
    const removed = this.slice(start, count, false);
    for (const { member } of removed) this.delete(member);
    return removed;
  }

  /** Visits every member and score in ascending order. */
  forEach(visit: (member: string, score: number) => void): void {
    this.order.walk(0, false, (member, score) => {
      visit(member, score);
      return true;
    });
  }

  clone(): ZSetValue {
    return new ZSetValue(this.members.clone(), this.scores.slice(), this.order.clone(), this.memberBytes);
  }

  /** Order-independent: a sum of per-member hashes of member and score. */
  digest(): number {
    let sum = 0;
    for (let position = 0; position < this.scores.length; position++) {
      const member = this.members.at(position);
      sum = (sum + mixSeed(fnv1aLatin1(fnvOffsetBasis, member), scoreHash(this.scores[position] as number))) >>> 0;
    }
    return sum;
  }

  cursor(position: number): ElementCursor {
    return positionalCursor(this.length, position, (writer: ByteWriter, at: number) => {
      writer.latin1Bytes(this.members.at(at));
      writer.float64(this.scores[at] as number);
    });
  }

  /** Restores members in snapshot (position) order; the order tree is built as they come. */
  static builder(): CollectionBuilder {
    const value = ZSetValue.create();
    return {
      read(reader: ByteReader, count: number): void {
        for (let i = 0; i < count; i++) {
          const member = reader.bytes().toString('latin1');
          const score = reader.float64();
          if (Number.isNaN(score)) throw new DecodeError('NaN score in a sorted set');
          if (value.set(member, score) !== 'added') throw new DecodeError('repeated member in a sorted set');
        }
      },
      finish: () => value,
    };
  }
}

export const zsetCodec: CollectionCodec = { type: 'zset', code: 5, builder: ZSetValue.builder };
