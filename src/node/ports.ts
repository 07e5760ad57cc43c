// The interfaces the node runtime is generic over: a clock, a log store, a network and a
// state machine. Production plugs in the real ones (src/server/ wires storage and transport
// to these shapes); the simulator plugs in fakes. Nothing here does I/O itself.

import type { Entry, HardState, Message, NodeId, SnapshotMeta } from '../raft/types.js';

export { STORAGE_NO_SPACE as LOG_STORE_NO_SPACE } from '../storage/errors.js';

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds on this node's wall clock (may drift; the runtime never lets cluster time run backwards). */
  now(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Runs fn after the current event-loop turn: the point where one turn's work becomes one Ready. */
  defer(fn: () => void): void;
}

/** A snapshot's bytes, streamed in chunks so that memory stays bounded by a few chunks. */
export interface SnapshotByteSource {
  read(maxBytes: number): Promise<Uint8Array | null>;
  close(): void;
}

export interface SnapshotByteSink {
  write(chunk: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Durable Raft state: the WAL, hard state and snapshot files (DESIGN §4). */
export interface LogStore {
  /** Buffers entries (overwriting any suffix from entries[0].index) and the hard state. */
  append(entries: readonly Entry[], hardState: HardState | null): void;
  /**
   * One write and one fdatasync for everything appended so far. At most one runs at a time;
   * calls made meanwhile share the next one. Syncs complete in the order they were called.
   * Rejects with an error whose `code` is LOG_STORE_NO_SPACE when the disk is full: nothing
   * is lost and a later sync writes the same data; any other rejection is final.
   */
  sync(): Promise<void>;
  saveSnapshot(meta: SnapshotMeta): SnapshotByteSink;
  /** The snapshot at meta.index, or the newest when meta is omitted. */
  openSnapshot(meta?: SnapshotMeta): SnapshotByteSource | null;
  /** Drop log segments wholly at or below index. */
  compact(index: number): Promise<void>;
  /**
   * Entries [lo, hi) appended earlier, at most maxBytes of data but at least one (read from
   * disk when not cached). With it the runtime keeps only the unapplied tail of the log in
   * memory; without it (test doubles) the core holds every entry until compaction.
   */
  entries?(lo: number, hi: number, maxBytes: number): readonly Entry[];
}

export interface InboundSnapshot {
  read(maxBytes: number): Promise<Uint8Array | null>;
}

export interface Network {
  send(message: Message): void;
  /**
   * Writes what send() queued now rather than at the end of the current task: the driver
   * calls it before applying entries, which may take long (a script runs for seconds on
   * every node), so followers hear the commit and apply alongside instead of after.
   */
  flush?(): void;
  /** Streams a snapshot: `header` describes it (opaque to the network), `source` supplies the bytes. */
  sendSnapshot(to: NodeId, header: Uint8Array, source: SnapshotByteSource): Promise<void>;
}

/** An entry's apply paused between two slices of a script run (StateMachine.applyPausable). */
export interface PausedEntry<R> {
  /** The paused script run, as SCRIPT KILL and the kill decisions see it (kill-decisions.ts in src/kv/script). */
  readonly run: PausedScriptRun;
  /** Goes on: the entry's result, or the apply paused again. */
  resume(): R | PausedEntry<R>;
}

/** What the runtime knows of a paused script run. */
export interface PausedScriptRun {
  /** A function's run (FUNCTION KILL's, not SCRIPT KILL's). */
  readonly isFunction: boolean;
  /** The function's name (a script's: its SHA-1). */
  readonly name: string;
  /** The command that runs it, as applied (FUNCTION STATS shows it). */
  readonly command: readonly Uint8Array[];
  /** It called a write command: never killable. */
  readonly wrote: boolean;
  /** A decision may end it (false: a run under deferred effects, never killable). */
  readonly hasKillPoint: boolean;
  /** Past its kill point with no write: a kill decision would end it. */
  readonly killable: boolean;
  /** Stopped for its decision entry (at its first write call or its end): it goes on once one is filed. */
  readonly awaitingDecision: boolean;
}

/** The decision entries a leader proposes for a killable run, and how every node files them ahead of their apply. */
export interface KillDecisionEntries {
  /** The entry deciding the run of entry `target`, stamped with cluster time `time`. */
  encode(target: number, decision: 'kill' | 'continue', time: number): Uint8Array;
  /** Files a committed entry not applied yet if it is a decision: the index it decides, else 0. */
  file(entry: Entry): number;
}

export function isPausedEntry<R>(outcome: R | PausedEntry<R>): outcome is PausedEntry<R> {
  return typeof outcome === 'object' && outcome !== null && 'resume' in outcome;
}

export interface StateMachine<R> {
  /** Applies one committed Normal entry with non-empty data and returns its result. Deterministic. */
  apply(entry: Entry): R;
  /**
   * apply, letting a long script of the entry pause between slices when `pauseWhen` says so:
   * its result, or the apply paused, to resume on a later turn. Until it ends, nothing else is
   * applied, appliedIndex stays below the entry and no snapshot is begun. Absent: apply only.
   */
  applyPausable?(entry: Entry, pauseWhen: () => boolean): R | PausedEntry<R>;
  /** With applyPausable: decision entries for killable runs. */
  readonly killDecisions?: KillDecisionEntries;
  /** Applies the leader's no-op (an empty entry): advances the applied index only. */
  applyNoop(entry: Entry): void;
  readonly appliedIndex: number;
  /** A consistent point-in-time view, streamed in chunks while applies continue. */
  beginSnapshot(): { next(maxBytes: number): Uint8Array | null; close(): void };
  /** Replaces the whole state from a snapshot stream; null on success, an error text otherwise. */
  restore(source: SnapshotByteSource, index: number): Promise<string | null>;
  /** Deferred script effects; absent: every entry is applied with apply(). */
  readonly effects?: DeferredEffects<R>;
}

/**
 * One script entry's record, as an effects entry carries it: what its runs did (opaque to the
 * runtime), or null: "run it" (its record was too large to be worth sending).
 */
export interface EffectsRecord {
  readonly index: number;
  readonly runs: readonly unknown[] | null;
}

/**
 * Deferred script effects (docs/internals/scripting.md, "Deferred effects"): a leader runs a
 * script entry and proposes its record; other nodes replay the record instead of running it.
 * Running and replaying leave the same state, so which one a node does changes only its speed.
 */
export interface DeferredEffects<R, Record extends EffectsRecord = EffectsRecord> {
  /**
   * True when the entry, about to be applied (everything before it is), is resolved by a
   * record: it may run a script and the replicated setting asks for records. A function of
   * the entry and the state, so every node answers alike.
   */
  awaitsRecord(entry: Entry): boolean;
  /** The records an effects entry carries, in order; null for any other entry. */
  recordsIn(entry: Entry): readonly Record[] | null;
  /** apply, recording what the entry's script runs did. */
  applyRecording(entry: Entry): { readonly result: R; readonly record: Record };
  /** apply with the script runs replaced by the record (a "run it" record: apply). */
  applyReplaying(entry: Entry, record: Record): R;
  /** An effects entry carrying `records`. */
  encode(records: readonly Record[]): Uint8Array;
}
