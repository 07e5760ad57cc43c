// The ordered index of a sorted set: (score, member) pairs in ascending order, with
// O(log n) insert, remove, rank and position search, and ranges walked through linked
// leaves. A counted B+tree rather than Redis's skiplist: the same operations without
// random levels (deterministic by construction), and compact for a million members
// (scores unboxed in double arrays, 64 elements per leaf, no node object per element).
//
// Branches route by separators: sepScores/sepMembers[i] (i >= 1) is a key with
// max(child i-1) < separator <= min(child i). A removal may leave a separator below its
// child's new minimum, which keeps that invariant. Index 0 is the branch's own lower
// bound, set when it is split off or merged. sizes[i] counts the elements under child i.

/** Elements a leaf holds at most; a fuller leaf splits in two. */
const leafCapacity = 64;
/** Children a branch holds at most; a fuller branch splits in two. */
const branchCapacity = 64;
/** A node with fewer entries is merged into a neighbour when the two fit in one. */
const leafMinimum = leafCapacity / 4;
const branchMinimum = branchCapacity / 4;
/** Entries per node when a tree is built from sorted input: room for inserts before a split. */
const leafFill = (leafCapacity * 3) / 4;
const branchFill = (branchCapacity * 3) / 4;

class Leaf {
  prev: Leaf | null = null;
  next: Leaf | null = null;
  constructor(
    readonly members: string[],
    readonly scores: number[],
  ) {}
}

class Branch {
  constructor(
    readonly children: TreeNode[],
    readonly sizes: number[],
    readonly sepScores: number[],
    readonly sepMembers: string[],
    public size: number,
  ) {}
}

type TreeNode = Leaf | Branch;

/** Orders (score, member) keys: by score, then by member bytes (latin1 strings compare by bytes). */
export function compareKeys(scoreA: number, memberA: string, scoreB: number, memberB: string): number {
  if (scoreA < scoreB) return -1;
  if (scoreA > scoreB) return 1;
  if (memberA < memberB) return -1;
  return memberA > memberB ? 1 : 0;
}

/** A predicate over keys that is false for a prefix of the order and true after it. */
export type KeyPredicate = (score: number, member: string) => boolean;

function sizeOf(node: TreeNode): number {
  return node instanceof Leaf ? node.members.length : node.size;
}

/** Entries of a node: elements of a leaf, children of a branch. */
function entriesOf(node: TreeNode): number {
  return node instanceof Leaf ? node.members.length : node.children.length;
}

/** First index in [from, to) whose key satisfies `after` (to when none). */
function searchKeys(scores: readonly number[], members: readonly string[], from: number, to: number, after: KeyPredicate): number {
  let low = from;
  let high = to;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (after(scores[middle] as number, members[middle] as string)) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** First index in [from, to) whose key is above (score, member): searchKeys without a closure, for the hot paths. */
function upperBound(scores: readonly number[], members: readonly string[], from: number, to: number, score: number, member: string): number {
  let low = from;
  let high = to;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const middleScore = scores[middle] as number;
    if (middleScore > score || (middleScore === score && (members[middle] as string) > member)) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The child of `branch` whose range holds the first key satisfying `after`, or the key's place. */
function childFor(branch: Branch, after: KeyPredicate): number {
  return searchKeys(branch.sepScores, branch.sepMembers, 1, branch.children.length, after) - 1;
}

function sum(values: readonly number[], count: number): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += values[i] as number;
  return total;
}

function splitLeaf(leaf: Leaf): Leaf {
  const half = leaf.members.length >>> 1;
  const right = new Leaf(leaf.members.splice(half), leaf.scores.splice(half));
  right.next = leaf.next;
  right.prev = leaf;
  if (leaf.next !== null) leaf.next.prev = right;
  leaf.next = right;
  return right;
}

function splitBranch(branch: Branch): Branch {
  const half = branch.children.length >>> 1;
  const sizes = branch.sizes.splice(half);
  const size = sum(sizes, sizes.length);
  branch.size -= size;
  return new Branch(branch.children.splice(half), sizes, branch.sepScores.splice(half), branch.sepMembers.splice(half), size);
}

/** Moves child c+1 of `parent` into child c (same kind, entries fit in one node). */
function mergeChildren(parent: Branch, c: number): void {
  const left = parent.children[c] as TreeNode;
  const right = parent.children[c + 1] as TreeNode;
  if (left instanceof Leaf && right instanceof Leaf) {
    for (let i = 0; i < right.members.length; i++) {
      left.members.push(right.members[i] as string);
      left.scores.push(right.scores[i] as number);
    }
    unlinkLeaf(right);
  } else if (left instanceof Branch && right instanceof Branch) {
    right.sepScores[0] = parent.sepScores[c + 1] as number;
    right.sepMembers[0] = parent.sepMembers[c + 1] as string;
    for (let i = 0; i < right.children.length; i++) {
      left.children.push(right.children[i] as TreeNode);
      left.sizes.push(right.sizes[i] as number);
      left.sepScores.push(right.sepScores[i] as number);
      left.sepMembers.push(right.sepMembers[i] as string);
    }
    left.size += right.size;
  } else {
    throw new Error('order tree: siblings of different depths');
  }
  parent.sizes[c] = (parent.sizes[c] as number) + (parent.sizes[c + 1] as number);
  removeChild(parent, c + 1);
}

function unlinkLeaf(leaf: Leaf): void {
  if (leaf.prev !== null) leaf.prev.next = leaf.next;
  if (leaf.next !== null) leaf.next.prev = leaf.prev;
  leaf.prev = null;
  leaf.next = null;
}

function removeChild(parent: Branch, c: number): void {
  parent.children.splice(c, 1);
  parent.sizes.splice(c, 1);
  parent.sepScores.splice(c, 1);
  parent.sepMembers.splice(c, 1);
}

/** After a removal under child c: drops it when empty, merges it into a neighbour when sparse. */
function rebalanceChild(parent: Branch, c: number): void {
  const child = parent.children[c] as TreeNode;
  const entries = entriesOf(child);
  if (entries === 0) {
    if (child instanceof Leaf) unlinkLeaf(child);
    removeChild(parent, c);
    return;
  }
  const isLeaf = child instanceof Leaf;
  if (entries >= (isLeaf ? leafMinimum : branchMinimum)) return;
  const capacity = isLeaf ? leafCapacity : branchCapacity;
  const right = parent.children[c + 1];
  if (right !== undefined && entries + entriesOf(right) <= capacity) mergeChildren(parent, c);
  else if (c > 0 && entriesOf(parent.children[c - 1] as TreeNode) + entries <= capacity) mergeChildren(parent, c - 1);
}

/** Groups `nodes` under branches of `branchFill` children, level by level, up to one root. */
function buildUpwards(nodes: TreeNode[], firstScores: number[], firstMembers: string[]): TreeNode {
  let level = nodes;
  let scores = firstScores;
  let members = firstMembers;
  while (level.length > 1) {
    const parents: TreeNode[] = [];
    const parentScores: number[] = [];
    const parentMembers: string[] = [];
    for (let start = 0; start < level.length; start += branchFill) {
      const end = Math.min(level.length, start + branchFill);
      const children = level.slice(start, end);
      const sizes = children.map(sizeOf);
      parents.push(new Branch(children, sizes, scores.slice(start, end), members.slice(start, end), sum(sizes, sizes.length)));
      parentScores.push(scores[start] as number);
      parentMembers.push(members[start] as string);
    }
    level = parents;
    scores = parentScores;
    members = parentMembers;
  }
  return level[0] as TreeNode;
}

export class OrderTree {
  private root: TreeNode = new Leaf([], []);

  get size(): number {
    return sizeOf(this.root);
  }

  /** A tree of the given keys, which must be in strictly ascending order. */
  static fromSorted(members: readonly string[], scores: readonly number[]): OrderTree {
    const tree = new OrderTree();
    if (members.length === 0) return tree;
    const leaves: TreeNode[] = [];
    const firstScores: number[] = [];
    const firstMembers: string[] = [];
    let previous: Leaf | null = null;
    for (let start = 0; start < members.length; start += leafFill) {
      const end = Math.min(members.length, start + leafFill);
      const leaf = new Leaf(members.slice(start, end), scores.slice(start, end));
      leaf.prev = previous;
      if (previous !== null) previous.next = leaf;
      previous = leaf;
      leaves.push(leaf);
      firstScores.push(scores[start] as number);
      firstMembers.push(members[start] as string);
    }
    tree.root = buildUpwards(leaves, firstScores, firstMembers);
    return tree;
  }

  /** An independent copy (rebuilt from the keys in order: compact whatever this tree's history). */
  clone(): OrderTree {
    const members: string[] = [];
    const scores: number[] = [];
    this.walk(0, false, (member, score) => {
      members.push(member);
      scores.push(score);
      return true;
    });
    return OrderTree.fromSorted(members, scores);
  }

  /** Inserts a key that is not in the tree. */
  insert(score: number, member: string): void {
    const path: Branch[] = [];
    const indexes: number[] = [];
    let node = this.root;
    while (node instanceof Branch) {
      const c = upperBound(node.sepScores, node.sepMembers, 1, node.children.length, score, member) - 1;
      node.sizes[c] = (node.sizes[c] as number) + 1;
      node.size++;
      path.push(node);
      indexes.push(c);
      node = node.children[c] as TreeNode;
    }
    const at = upperBound(node.scores, node.members, 0, node.members.length, score, member);
    node.members.splice(at, 0, member);
    node.scores.splice(at, 0, score);
    if (node.members.length > leafCapacity) this.splitUpwards(node, path, indexes);
  }

  private splitUpwards(leaf: Leaf, path: readonly Branch[], indexes: readonly number[]): void {
    let left: TreeNode = leaf;
    let right: TreeNode = splitLeaf(leaf);
    let sepScore = right.scores[0] as number;
    let sepMember = right.members[0] as string;
    for (let level = path.length - 1; level >= 0; level--) {
      const parent = path[level] as Branch;
      const c = indexes[level] as number;
      parent.children.splice(c + 1, 0, right);
      parent.sizes[c] = sizeOf(left);
      parent.sizes.splice(c + 1, 0, sizeOf(right));
      parent.sepScores.splice(c + 1, 0, sepScore);
      parent.sepMembers.splice(c + 1, 0, sepMember);
      if (parent.children.length <= branchCapacity) return;
      left = parent;
      right = splitBranch(parent);
      sepScore = right.sepScores[0] as number;
      sepMember = right.sepMembers[0] as string;
    }
    const sizes = [sizeOf(left), sizeOf(right)];
    this.root = new Branch([left, right], sizes, [Number.NEGATIVE_INFINITY, sepScore], ['', sepMember], sum(sizes, 2));
  }

  /** Removes a key; false when it is not in the tree. */
  remove(score: number, member: string): boolean {
    const path: Branch[] = [];
    const indexes: number[] = [];
    let node = this.root;
    while (node instanceof Branch) {
      const c = upperBound(node.sepScores, node.sepMembers, 1, node.children.length, score, member) - 1;
      path.push(node);
      indexes.push(c);
      node = node.children[c] as TreeNode;
    }
    const at = upperBound(node.scores, node.members, 0, node.members.length, score, member) - 1;
    if (at < 0 || node.scores[at] !== score || node.members[at] !== member) return false;
    node.members.splice(at, 1);
    node.scores.splice(at, 1);
    for (let level = path.length - 1; level >= 0; level--) {
      const parent = path[level] as Branch;
      const c = indexes[level] as number;
      parent.sizes[c] = (parent.sizes[c] as number) - 1;
      parent.size--;
      rebalanceChild(parent, c);
    }
    this.shrinkRoot();
    return true;
  }

  private shrinkRoot(): void {
    while (this.root instanceof Branch && this.root.children.length <= 1) {
      this.root = this.root.children[0] ?? new Leaf([], []);
    }
  }

  /** Keys before the first that satisfies `after` (a predicate false then true along the order). */
  countBefore(after: KeyPredicate): number {
    let rank = 0;
    let node = this.root;
    while (node instanceof Branch) {
      const c = childFor(node, after);
      rank += sum(node.sizes, c);
      node = node.children[c] as TreeNode;
    }
    return rank + searchKeys(node.scores, node.members, 0, node.members.length, after);
  }

  /** Rank (0-based, ascending) of a key in the tree; of its place when absent. */
  rankOf(score: number, member: string): number {
    return this.countBefore((s, m) => compareKeys(s, m, score, member) >= 0);
  }

  /** The leaf holding rank `rank` (0 <= rank < size) and the rank's index in it. */
  private leafAt(rank: number): { readonly leaf: Leaf; readonly offset: number } {
    let offset = rank;
    let node = this.root;
    while (node instanceof Branch) {
      let c = 0;
      while (offset >= (node.sizes[c] as number)) offset -= node.sizes[c++] as number;
      node = node.children[c] as TreeNode;
    }
    return { leaf: node, offset };
  }

  /**
   * Visits up to `count` keys from `rank` in ascending order a leaf's run at a time:
   * `visit(members, scores, from, to)` is handed indexes [from, to) of one leaf's arrays (read
   * them only), until it returns false or the keys run out. For scans over many keys
   * (GEOSEARCH's cells), which then loop without a call per key.
   */
  walkRuns(rank: number, count: number, visit: (members: readonly string[], scores: readonly number[], from: number, to: number) => boolean): void {
    if (rank < 0 || rank >= this.size || count <= 0) return;
    const start = this.leafAt(rank);
    let leaf: Leaf | null = start.leaf;
    let from = start.offset;
    for (let left = count; leaf !== null && left > 0; leaf = leaf.next, from = 0) {
      const to = Math.min(leaf.members.length, from + left);
      if (!visit(leaf.members, leaf.scores, from, to)) return;
      left -= to - from;
    }
  }

  /**
   * Visits keys from `rank` (0 <= rank < size) towards the end, or towards the start when
   * `reverse`, until `visit` returns false or the keys run out.
   */
  walk(rank: number, reverse: boolean, visit: (member: string, score: number) => boolean): void {
    if (rank < 0 || rank >= this.size) return;
    const start = this.leafAt(rank);
    let offset = start.offset;
    let leaf: Leaf | null = start.leaf;
    while (leaf !== null) {
      const { members, scores } = leaf;
      if (reverse) {
        for (let i = offset; i >= 0; i--) if (!visit(members[i] as string, scores[i] as number)) return;
        leaf = leaf.prev;
        offset = leaf === null ? 0 : leaf.members.length - 1;
      } else {
        for (let i = offset; i < members.length; i++) if (!visit(members[i] as string, scores[i] as number)) return;
        leaf = leaf.next;
        offset = 0;
      }
    }
  }
}
