// Plain data types the storage layer stores and returns. The storage layer imports nothing
// else of ours, so these mirror (not import) the Raft types; the node runtime converts.

export interface StoredEntry {
  index: number;
  term: number;
  /** Entry kind, opaque to storage (0..255). */
  type: number;
  data: Uint8Array;
}

export interface StoredHardState {
  term: number;
  /** Node id voted for in `term`, '' for none. */
  vote: string;
  commit: number;
}

export interface StoredSnapshotMeta {
  index: number;
  term: number;
  /** Encoded cluster configuration, opaque to storage. */
  membership: Uint8Array;
}

export type StorageLogLevel = 'info' | 'warn' | 'error';
export type StorageLogger = (level: StorageLogLevel, msg: string, fields?: Record<string, unknown>) => void;

export const EMPTY_HARD_STATE: Readonly<StoredHardState> = Object.freeze({ term: 0, vote: '', commit: 0 });
