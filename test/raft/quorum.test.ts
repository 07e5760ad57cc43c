// The quorum commit-index computation, checked against a naive definition with fast-check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { quorumCommittedIndex, quorumSize, quorumValue, voteResult, VoteResult } from '../../src/raft/quorum.js';
import { logIndex, nodeId, type LogIndex, type NodeId } from '../../src/raft/types.js';

/** Naive: the largest index that more than half of the voters have acknowledged. */
function naiveCommitted(matches: readonly number[]): number {
  let best = 0;
  for (const candidate of matches) {
    const acks = matches.filter((m) => m >= candidate).length;
    if (acks * 2 > matches.length && candidate > best) best = candidate;
  }
  return best;
}

test('quorumCommittedIndex equals the largest index acknowledged by a majority (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 9 }), (matches) => {
      const voters: NodeId[] = matches.map((_, i) => nodeId(`n${i}`));
      const byId = new Map<NodeId, LogIndex>(voters.map((v, i) => [v, logIndex(matches[i] as number)]));
      const fast = quorumCommittedIndex(voters, (id) => byId.get(id) ?? logIndex(0));
      assert.equal(fast, naiveCommitted(matches));
      assert.equal(quorumValue(matches), naiveCommitted(matches));
    }),
    { numRuns: 2000 },
  );
});

test('quorumSize is a strict majority', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(quorumSize), [1, 2, 2, 3, 3, 4, 4]);
});

test('voteResult: won with a majority of grants, lost once a majority is impossible, pending otherwise', () => {
  const voters = ['a', 'b', 'c', 'd', 'e'].map(nodeId);
  const votes = (entries: [string, boolean][]): Map<NodeId, boolean> => new Map(entries.map(([k, v]) => [nodeId(k), v]));
  assert.equal(voteResult(voters, votes([['a', true], ['b', true]])), VoteResult.Pending);
  assert.equal(voteResult(voters, votes([['a', true], ['b', true], ['c', true]])), VoteResult.Won);
  assert.equal(voteResult(voters, votes([['a', true], ['b', false], ['c', false]])), VoteResult.Pending);
  assert.equal(voteResult(voters, votes([['a', true], ['b', false], ['c', false], ['d', false]])), VoteResult.Lost);
  // Votes from non-voters do not count.
  assert.equal(voteResult(voters, votes([['a', true], ['x', true], ['y', true]])), VoteResult.Pending);
});
