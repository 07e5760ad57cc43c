// Distinct strings (latin1, one char per byte) kept in a dense array with a map from each to
// its position: O(1) add, remove, membership and access by position, the three things sets
// and hashes need (SPOP/SRANDMEMBER/HRANDFIELD pick a position; *SCAN walks positions).
//
// A removal moves the last member into the hole, so positions stay dense and a member only
// ever moves DOWN (from the last position). That is what makes a *SCAN cursor that walks
// positions from the top down miss nothing present for the whole iteration
// (collection-scan.ts). The order depends only on the sequence of adds and removes, so it is
// the same on every replica, and a snapshot writes members in position order and restores
// them in it: a restored replica has the same positions too.

export class MemberIndex {
  /** Invariant: positions.get(members[i]) === i for every i, and positions.size === members.length. */
  private readonly members: string[];
  private readonly positions: Map<string, number>;

  private constructor(members: string[], positions: Map<string, number>) {
    this.members = members;
    this.positions = positions;
  }

  static empty(): MemberIndex {
    return new MemberIndex([], new Map());
  }

  get size(): number {
    return this.members.length;
  }

  /** The member at `position` (0 ≤ position < size). */
  at(position: number): string {
    const member = this.members[position];
    if (member === undefined) throw new Error(`member index: position ${position} outside [0, ${this.members.length})`);
    return member;
  }

  positionOf(member: string): number | undefined {
    return this.positions.get(member);
  }

  has(member: string): boolean {
    return this.positions.has(member);
  }

  /** Appends `member` when absent; its new position, or -1 when it was present. */
  add(member: string): number {
    if (this.positions.has(member)) return -1;
    const position = this.members.length;
    this.positions.set(member, position);
    this.members.push(member);
    return position;
  }

  /** Removes `member`; the position it had (the last member now holds it), or -1 when absent. */
  remove(member: string): number {
    const position = this.positions.get(member);
    if (position === undefined) return -1;
    this.removeAt(position);
    return position;
  }

  /** Removes the member at `position` and returns it; the last member moves into `position`. */
  removeAt(position: number): string {
    const member = this.at(position);
    const last = this.members.pop() as string;
    this.positions.delete(member);
    if (position < this.members.length) {
      this.members[position] = last;
      this.positions.set(last, position);
    }
    return member;
  }

  /** Members in position order. */
  values(): IterableIterator<string> {
    return this.members.values();
  }

  clone(): MemberIndex {
    return new MemberIndex(this.members.slice(), new Map(this.positions));
  }
}

/** Mirrors a MemberIndex.removeAt(position) on an array kept parallel to it (a hash's values). */
export function removeParallel<T>(items: T[], position: number): void {
  const last = items.pop() as T;
  if (position < items.length) items[position] = last;
}
