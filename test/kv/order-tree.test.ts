// The order tree against a naive sorted array: random inserts and removes (enough to split
// and merge leaves and branches over several levels), then every rank, position search and
// walk (key by key and a leaf's run at a time) compared.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareKeys, OrderTree } from '../../src/kv/order-tree.js';

type Key = readonly [number, string];

function naiveInsert(keys: Key[], key: Key): void {
  let at = 0;
  while (at < keys.length && compareKeys(keys[at]![0], keys[at]![1], key[0], key[1]) < 0) at++;
  keys.splice(at, 0, key);
}

function walked(tree: OrderTree, rank: number, reverse: boolean, count: number): Key[] {
  const out: Key[] = [];
  if (count > 0) tree.walk(rank, reverse, (member, score) => out.push([score, member]) < count);
  return out;
}

/** Keys walkRuns hands over from `rank`, `count` at most, checking each run lies in one leaf's arrays. */
function walkedRuns(tree: OrderTree, rank: number, count: number): Key[] {
  const out: Key[] = [];
  tree.walkRuns(rank, count, (members, scores, from, to) => {
    assert.ok(from >= 0 && from < to && to <= members.length && members.length === scores.length);
    for (let i = from; i < to; i++) out.push([scores[i]!, members[i]!]);
    return true;
  });
  return out;
}

function checkAgainst(tree: OrderTree, keys: readonly Key[], probes: readonly number[]): void {
  assert.equal(tree.size, keys.length);
  assert.deepEqual(walkedRuns(tree, 0, keys.length + 5), keys);
  assert.deepEqual(walked(tree, 0, false, keys.length), keys);
  if (keys.length > 0) assert.deepEqual(walked(tree, keys.length - 1, true, keys.length), [...keys].reverse());
  for (let rank = 0; rank < keys.length; rank += Math.max(1, keys.length >> 4)) {
    const [score, member] = keys[rank]!;
    assert.equal(tree.rankOf(score, member), rank);
    assert.deepEqual(walked(tree, rank, false, 3), keys.slice(rank, rank + 3));
    assert.deepEqual(walked(tree, rank, true, 3), keys.slice(Math.max(0, rank - 2), rank + 1).reverse());
    assert.deepEqual(walkedRuns(tree, rank, 100), keys.slice(rank, rank + 100));
  }
  for (const probe of probes) {
    const expected = keys.filter(([score]) => score < probe).length;
    assert.equal(tree.countBefore((score) => score >= probe), expected, `countBefore score >= ${probe}`);
  }
}

const operation = fc.record({
  remove: fc.boolean(),
  score: fc.integer({ min: 0, max: 60 }),
  member: fc.integer({ min: 0, max: 2000 }).map((n) => `m${n}`),
});

test('order tree matches a sorted array under random inserts and removes (property)', () => {
  fc.assert(fc.property(fc.array(operation, { maxLength: 3000 }), fc.array(fc.integer({ min: -1, max: 61 }), { maxLength: 8 }), (operations, probes) => {
    const tree = new OrderTree();
    const keys: Key[] = [];
    const scores = new Map<string, number>();
    for (const { remove, score, member } of operations) {
      const current = scores.get(member);
      if (remove || current !== undefined) {
        if (current === undefined) {
          assert.equal(tree.remove(score, member), false);
          continue;
        }
        assert.equal(tree.remove(current, member), true);
        keys.splice(keys.findIndex(([s, m]) => s === current && m === member), 1);
        scores.delete(member);
        if (remove) continue;
      }
      tree.insert(score, member);
      naiveInsert(keys, [score, member]);
      scores.set(member, score);
    }
    checkAgainst(tree, keys, probes);
  }), { numRuns: 60 });
});

test('a big tree built from sorted input, then emptied from both ends and the middle, stays consistent', () => {
  const keys: Key[] = [];
  for (let i = 0; i < 20_000; i++) keys.push([Math.floor(i / 3), `m${String(i).padStart(6, '0')}`]);
  const tree = OrderTree.fromSorted(keys.map(([, m]) => m), keys.map(([s]) => s));
  checkAgainst(tree, keys, [0, 10, 5000, 7000]);
  const remaining = [...keys];
  let turn = 0;
  while (remaining.length > 0) {
    const at = turn % 3 === 0 ? 0 : turn % 3 === 1 ? remaining.length - 1 : remaining.length >> 1;
    const [score, member] = remaining.splice(at, 1)[0]!;
    assert.equal(tree.remove(score, member), true);
    if (turn % 2500 === 0) checkAgainst(tree, remaining, [0, 3000]);
    turn++;
  }
  assert.equal(tree.size, 0);
  tree.insert(1, 'again');
  checkAgainst(tree, [[1, 'again']], [1]);
});
