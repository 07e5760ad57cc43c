// The commit index of a voter set: the largest index that a majority has acknowledged.
import type { LogIndex, NodeId } from './types.js';

/** Smallest number of voters that forms a majority of `voterCount`. */
export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The largest index acknowledged by a majority of `voters`, where `matchOf(id)` is what voter
 * `id` has acknowledged (0 if unknown). Sort descending; the value at position quorum-1 is held
 * by at least a quorum of voters. An empty voter set commits nothing new (returns 0).
 */
export function quorumCommittedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => LogIndex): LogIndex {
  if (voters.length === 0) return 0 as LogIndex;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[quorumSize(voters.length) - 1] as LogIndex;
}

/** The largest value that at least a quorum of `values` is >= (the quorum-th largest); 0 for none. */
export function quorumValue(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => b - a);
  return sorted[quorumSize(values.length) - 1] as number;
}

export const enum VoteResult {
  Pending = 0,
  Won = 1,
  Lost = 2,
}

/** Outcome of an election over `voters` given the votes received so far (true = granted). */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const quorum = quorumSize(voters.length);
  let granted = 0;
  let rejected = 0;
  for (const v of voters) {
    const vote = votes.get(v);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  if (granted >= quorum) return VoteResult.Won;
  if (voters.length - rejected < quorum) return VoteResult.Lost;
  return VoteResult.Pending;
}
