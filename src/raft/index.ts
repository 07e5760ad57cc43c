// The public surface of the Raft core: what the runtime, the transport and the simulator import.
export * from './types.js';
export * from './config.js';
export { seededPrng } from './prng.js';
export { Raft } from './raft.js';
export type { EntryReader } from './log.js';
export type {
  RaftInitialState, ProposeError, ProposeResult, ReadIndexError, ReadIndexResult, ReadMode, PeerStatus, RaftStatus,
} from './raft.js';
export { encodeConfChange, decodeConfChange, applyConfChange, confChangeProblem } from './conf-change.js';
export type { DecodeConfChangeResult } from './conf-change.js';
export { RaftInvariantError } from './assert.js';
export type { ProgressState } from './progress.js';
export { quorumCommittedIndex, quorumSize } from './quorum.js';
