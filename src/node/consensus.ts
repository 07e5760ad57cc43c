// What the layers above the runtime need of the Raft core, re-exported so that they depend on
// src/node/ only (DESIGN §1): the core's data types, the conf-change codec, and a factory
// that builds a core from the runtime's settings with a seeded PRNG.

import { defaultRaftConfig, raftConfigProblems, type RaftConfig } from '../raft/config.js';
import { seededPrng } from '../raft/prng.js';
import { Raft, type RaftInitialState } from '../raft/raft.js';
import type { NodeId } from '../raft/types.js';

export type { RaftInitialState, RaftStatus, PeerStatus } from '../raft/raft.js';
export { Raft } from '../raft/raft.js';
export { decodeConfChange, encodeConfChange } from '../raft/conf-change.js';
export {
  ConfChangeType,
  EntryType,
  MessageType,
  StateRole,
  logIndex,
  nodeId,
  term,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type LogIndex,
  type Message,
  type NodeId,
  type SnapshotMeta,
  type SoftState,
  type Term,
} from '../raft/types.js';

export interface ConsensusSettings {
  readonly id: NodeId;
  readonly seed: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly leaseDriftTicks: number;
  readonly maxInflightMessages: number;
  readonly maxBytesPerMessage: number;
  readonly maxUncommittedBytes: number;
}

/** Builds a Raft core; throws with every problem in the settings named. */
export function createRaft(settings: ConsensusSettings, initial: RaftInitialState): Raft {
  const config: RaftConfig = {
    ...defaultRaftConfig(settings.id, seededPrng(settings.seed)),
    electionTicks: settings.electionTicks,
    heartbeatTicks: settings.heartbeatTicks,
    leaseDriftTicks: settings.leaseDriftTicks,
    maxInflightMessages: settings.maxInflightMessages,
    maxBytesPerMessage: settings.maxBytesPerMessage,
    maxUncommittedBytes: settings.maxUncommittedBytes,
  };
  const problems = raftConfigProblems(config);
  if (problems.length > 0) throw new Error(`invalid Raft settings: ${problems.join('; ')}`);
  return new Raft(config, initial);
}
