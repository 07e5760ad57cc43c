// The replicated state machine: applies committed command entries to the keyspace,
// deterministically (the entry's time is the only clock, seeds come from the applied index),
// exactly once per request id, within a memory limit; serves reads at a read point; streams
// snapshots while it keeps applying, and restores from them.
//
// Choices made so that every replica, including one restored from a snapshot, computes the
// same thing:
//   - "now" for a write is its entry's time (never below the last applied entry's time);
//   - LRU is least recently WRITTEN: reads bypass the log, so they cannot count as use;
//   - RANDOMKEY and allkeys-random pick by a hash of (applied index, time / evictions) over
//     creation stamps, which snapshots carry;
//   - memory is an estimate from keys and values only (not the dedup table, nor the old
//     values an open snapshot keeps), identical everywhere;
//   - DBSIZE counts keys not yet removed by active expiry, as Redis does.

import type { ErrorReply, Reply } from './reply.js';
import type { CommandSpec } from './command-spec.js';
import { hasFlag } from './command-spec.js';
import { scriptCannotWrite, scriptNeedsLog } from './script-commands.js';
import { commandFormatOf, commandFormatRemovalVersions, commandFormatVersion, decodeCommand, decodeCommandBatch, isCommandBatch, type BatchedCommand, type CommandBatch } from './command-codec.js';
import { checkArity, commandTable, lookupCommand, validateCommand } from './commands.js';
import { CommandContext, type KvCounters } from './command-context.js';
import { DedupTable } from './dedup-table.js';
import { decodeTransaction, isTransaction } from './transaction.js';
import { Keyspace, noExpiry, type KeyEntry } from './keyspace.js';
import { fnv1aLatin1, fnv1aNumber, fnvOffsetBasis, mixSeed } from './hash.js';
import { digestValue } from './debug-commands.js';
import { KeyspaceRestore, KeyspaceSnapshot, type SnapshotSink, type SnapshotSource, type SnapshotState } from './snapshot.js';
import { CommandError, errorReply, nilReply, outOfMemoryError } from './replies.js';
import { isEffectsEntry } from './script/effects-entry.js';
import { ReadyKeys } from './ready-keys.js';
import { KeyspaceEvents, NotifyClass } from './keyspace-events.js';
import { withoutWaitMarker } from './stream-commands.js';
import { streamNodeMaxBytesDefault, streamNodeMaxEntriesDefault, type StreamSettings } from './stream-value.js';
import { hllSparseMaxBytesDefault } from './hyperloglog.js';
import { HllCountMemo } from './hyperloglog-count-memo.js';
import { ScriptStore } from './script/script-store.js';
import { FunctionStore } from './script/function-store.js';
import { compileLibrary, functionStats, type RunningFunction } from './function-commands.js';
import { ScriptVm, type DecisionOf, type PausedRun, type PauseWhen, type VmMemory } from './script/script-vm.js';
import { KillDecisions, parseScriptDecision } from './script/kill-decisions.js';
import { Suspension, suspendedReply, type SuspendedFrame } from './suspension.js';
import { ScriptCallLog, type ScriptCall } from './script/call-stats.js';
import type { Scripting } from './script/scripting.js';
import { EffectsRecorder, EffectsReplayer, type EffectsMode, type ScriptEffects } from './script/script-effects.js';
import { AclCatalogue } from './acl/acl-catalogue.js';
import { isContainerCommand, type CategorizedRow } from './acl/command-categories.js';
import { AclUsers, isAclEntry, scriptNopermReply } from './acl/acl-users.js';
import { AclUser } from './acl/acl-user.js';
import { unwrapAsUser } from './acl/as-user.js';
import { isCollection, type CollectionTypeName, type Value } from './value.js';
import { evictionPolicies, isConfigEntry, ReplicatedSettings, type EvictionPolicy, type SettingValues } from './replicated-settings.js';

export { evictionPolicies, type EvictionPolicy };

export interface KvOptions {
  /** Memory limit of the keyspace estimate in bytes; 0 = none. */
  readonly maxMemoryBytes?: number;
  readonly evictionPolicy?: EvictionPolicy;
  /** Clients remembered for exactly-once; the least recently used are dropped beyond this. */
  readonly dedupEntriesMax?: number;
  /** A client's record is dropped when unused this long, in log (cluster) time. */
  readonly dedupRetentionMs?: number;
  /** Replies kept per client for requests it has not been answered for (its writes in flight). */
  readonly dedupRepliesPerClientMax?: number;
  /** Largest string a command may build (APPEND, SETRANGE), like Redis's proto-max-bulk-len. */
  readonly protoMaxBulkLen?: number;
  /** Lua instructions one script may execute before it is stopped, the same on every replica (script-instructions-max). */
  readonly scriptInstructionsMax?: number;
  /** Bytes of strings one script may create before it is stopped, the same on every replica (script-string-bytes-max). */
  readonly scriptStringBytesMax?: number;
  /** Keyspace notification classes at start-up (bits of kv/keyspace-events.ts; CONFIG SET changes them through the log). */
  readonly notifyKeyspaceEvents?: number;
  /** Keys whose PFCOUNT answer this node remembers until their value changes (hyperloglog-count-memo.ts); 0 = none. */
  readonly hllCountMemoEntriesMax?: number;
  /** Calls one script run's recorded effects may keep (applyRecording); a run that keeps more has no record and is run instead. */
  readonly scriptEffectsCallsMax?: number;
  /** The replicated setting script-effects at start-up (CONFIG SET changes it through the log). */
  readonly scriptEffects?: boolean;
}

export const kvDefaults = {
  maxMemoryBytes: 0,
  evictionPolicy: 'noeviction' as EvictionPolicy,
  dedupEntriesMax: 100_000,
  dedupRetentionMs: 10 * 60 * 1000,
  dedupRepliesPerClientMax: 1024,
  protoMaxBulkLen: 512 * 1024 * 1024,
  scriptInstructionsMax: 100_000_000,
  scriptStringBytesMax: 512 * 1024 * 1024,
  notifyKeyspaceEvents: 0,
  hllCountMemoEntriesMax: 1024,
  scriptEffectsCallsMax: 100_000,
  scriptEffects: false,
} as const;

/** Reads that leave the keys' access time as it was, as Redis looks them up with LOOKUP_NOTOUCH. */
const noTouchCommands: ReadonlySet<string> = new Set(['type', 'exists', 'ttl', 'pttl', 'expiretime', 'pexpiretime']);

/** The rows that run a script, which the read path serves for the read-only ones, and for a script that cannot write. */
const scriptCallRows: ReadonlySet<string> = new Set(['eval', 'evalsha', 'fcall', 'eval_ro', 'evalsha_ro', 'fcall_ro']);

/** Scripting's memory on one node (INFO's used_memory_lua, used_memory_vm_*, used_memory_scripts*). */
export interface ScriptMemory extends VmMemory {
  /** Bytes of the cached scripts' bodies (used_memory_scripts_eval). */
  readonly cachedScriptBytes: number;
  /** Bytes of the function libraries' code (used_memory_functions). */
  readonly libraryCodeBytes: number;
}

export interface KvStats {
  /** Scripts cached by EVAL and SCRIPT LOAD, and the bytes of their bodies. */
  readonly cachedScripts: number;
  readonly cachedScriptBytes: number;
  /** Function libraries loaded, and the functions they register. */
  readonly functionLibraries: number;
  readonly functions: number;
  readonly keys: number;
  readonly expires: number;
  readonly evictedKeys: number;
  readonly expiredKeys: number;
  /** Commands whose handler threw (bugs, each answered with an error reply). Node-local: not in snapshots. */
  readonly internalErrors: number;
  readonly memoryBytes: number;
  readonly maxMemoryBytes: number;
  readonly evictionPolicy: EvictionPolicy;
  readonly dedupEntries: number;
  readonly dedupReplies: number;
  readonly appliedIndex: number;
  readonly clusterTime: number;
  readonly snapshotsOpen: number;
}

export interface KvDigest {
  readonly appliedIndex: number;
  readonly keys: number;
  /** Order-independent hash of every key, value and expiry (16 hex digits). */
  readonly hash: string;
}

/** Evictions one command may trigger: bounds the work of one apply. */
const evictionsPerCommandMax = 100_000;
/** Characters of the unknown command's arguments echoed in the error, like Redis. */
const unknownCommandArgsEchoMax = 128;

function validateOptions(options: KvOptions): Required<KvOptions> {
  const resolved = { ...kvDefaults, ...options };
  const nonNegative = (name: string, value: number): void => {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`invalid ${name} ${value}: must be an integer ≥ 0`);
  };
  nonNegative('maxMemoryBytes', resolved.maxMemoryBytes);
  nonNegative('dedupRetentionMs', resolved.dedupRetentionMs);
  nonNegative('protoMaxBulkLen', resolved.protoMaxBulkLen);
  nonNegative('hllCountMemoEntriesMax', resolved.hllCountMemoEntriesMax);
  if (!Number.isSafeInteger(resolved.scriptStringBytesMax) || resolved.scriptStringBytesMax < 1024 * 1024) {
    throw new Error(`invalid scriptStringBytesMax ${resolved.scriptStringBytesMax}: must be an integer ≥ 1 MiB`);
  }
  if (!Number.isSafeInteger(resolved.scriptInstructionsMax) || resolved.scriptInstructionsMax < 1) {
    throw new Error(`invalid scriptInstructionsMax ${resolved.scriptInstructionsMax}: must be an integer ≥ 1`);
  }
  if (!Number.isSafeInteger(resolved.scriptEffectsCallsMax) || resolved.scriptEffectsCallsMax < 1) {
    throw new Error(`invalid scriptEffectsCallsMax ${resolved.scriptEffectsCallsMax}: must be an integer ≥ 1`);
  }
  if (!Number.isSafeInteger(resolved.dedupEntriesMax) || resolved.dedupEntriesMax < 1) {
    throw new Error(`invalid dedupEntriesMax ${resolved.dedupEntriesMax}: must be an integer ≥ 1`);
  }
  if (!Number.isSafeInteger(resolved.dedupRepliesPerClientMax) || resolved.dedupRepliesPerClientMax < 1) {
    throw new Error(`invalid dedupRepliesPerClientMax ${resolved.dedupRepliesPerClientMax}: must be an integer ≥ 1`);
  }
  if (!evictionPolicies.includes(resolved.evictionPolicy)) throw new Error(`invalid evictionPolicy ${String(resolved.evictionPolicy)}`);
  return resolved;
}

function unknownCommandError(argv: readonly Uint8Array[]): Reply {
  const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
  let args = '';
  for (let i = 1; i < argv.length && args.length < unknownCommandArgsEchoMax; i++) {
    args += `'${text(argv[i] as Uint8Array).slice(0, unknownCommandArgsEchoMax - args.length)}' `;
  }
  const name = text(argv[0] ?? new Uint8Array(0)).slice(0, unknownCommandArgsEchoMax);
  return errorReply(`ERR unknown command '${name}', with args beginning with: ${args}`);
}

/**
 * Where a batch's commands' execution times go (µs, by position), measured by the node's clock,
 * and what the scripts each ran called (by position; null for none: call-stats.ts).
 */
export interface CommandTiming {
  readonly clockMs: () => number;
  readonly usec: number[];
  readonly calls: (readonly ScriptCall[] | null)[];
}

export class KvStateMachine {
  private readonly options: Required<KvOptions>;
  /** The values the log has not changed (this node's start-up options): a restored snapshot's settings apply over them. */
  private readonly startSettings: SettingValues;
  /** Node-local: the keyspace's stamp when this node last took or installed a snapshot. */
  private stampAtSnapshot = 0;
  /** Settings every replica holds the same value of (maxmemory, ...): CONFIG SET changes them through the log. */
  private settings: ReplicatedSettings;
  private keyspace = new Keyspace();
  private readonly dedup: DedupTable;
  private readonly counters: KvCounters = { expiredKeys: 0, evictedKeys: 0, internalErrors: 0 };
  /**
   * Node-local: the request id's origin and client of the command being applied (or applied
   * last), so the server can tell a change its own client made (CLIENT TRACKING's NOLOOP).
   */
  applyingOrigin = '';
  applyingClient = 0;
  /** Node-local: read-only commands scripts have called (CLIENT TRACKING remembers a script's keys when it read). */
  scriptReadCalls = 0;
  /**
   * Node-local: told of each read a write entry made, with its request id's origin and client:
   * a read-only command inside a transaction, or a script (its own argv) that called one.
   */
  readApplied: ((origin: string, client: number, argv: readonly Uint8Array[]) => void) | null = null;
  private readonly openSnapshots = new Set<KeyspaceSnapshot>();
  /** Client reads served (node-local, not replicated): each read's CommandContext.readSalt. */
  private readsServed = 0;
  /** Node-local: the VM compiled scripts live in (made on first use; its state is a cache of the store's). */
  private scriptVm: ScriptVm | null = null;
  /** The script cache (replicated) and what script commands run commands with. */
  private scripting: Scripting;
  private applied = 0;
  /** While an entry's apply may pause (applyPausable), or a read script's slice runs (readScript): when its run pauses. */
  private pauseWhen: PauseWhen | null = null;
  /** Whether the script command being applied found the estimate over maxmemory once it had evicted (Scripting.overMaxmemory). */
  private scriptOverMaxmemory = false;
  /** While readScript serves a script: a run that pauses is abandoned instead (see readScript). */
  private readingScript = false;
  /** While an entry's apply may pause: the decision filed for its killable run so far. */
  private decisionOf: DecisionOf | null = null;
  /** Decision entries filed for killable runs, as they commit (kill-decisions.ts). */
  private readonly killDecisions = new KillDecisions();
  /** The paused script run of the entry being applied, with the layers it paused inside; null when none is paused. */
  private suspension: Suspension | null = null;
  /** The batch whose apply waits on the suspension: its place and replies so far. */
  private suspendedBatch: BatchCursor | null = null;
  /** The context apply runs write commands in, kept across commands (writeContext); null until the first and after a restore. */
  private keptWriteContext: CommandContext | null = null;
  /** Commands applied from the log (a batch counts each of its commands); node-local, for INFO. */
  private commandEntriesApplied = 0;
  /** Time of the last applied entry. Invariant: never decreases. */
  private time = 0;
  /** The entry being applied is of a format from before removal versions (command-codec.ts): it is applied as that build did. */
  private applyingLegacyEntry = false;
  /** Node-local: waited keys a list or sorted set was stored under (blocked clients, src/server/blocking.ts). */
  readonly readyKeys = new ReadyKeys();
  /**
   * Node-local: sees each command a script calls as it runs (MONITOR's `[0 lua]` lines). Only
   * an observer: what the script does never depends on it.
   */
  scriptCalls: ((argv: readonly Uint8Array[]) => void) | null = null;
  /** Node-local: where the calls of the script command being applied are told (countScriptCalls); null: not counted. */
  private applyCallLog: ScriptCallLog | null = null;
  /** ...and of the script served as a read (readScript). */
  private readCallLog: ScriptCallLog | null = null;
  /** The one of the two in use now (Scripting.callLog). */
  private callLog: ScriptCallLog | null = null;
  /** Whether this node answers the proposals of the entries it applies now (the leader): only then are their calls kept. */
  private appliedCallsWanted: () => boolean = () => false;
  /** The calls of the last command applied (null: none, or not counted). */
  private appliedCalls: readonly ScriptCall[] | null = null;
  /** The calls of the last script served as a read. */
  private readCalls: readonly ScriptCall[] | null = null;
  /** Keyspace notifications: the classes on (replicated) and where this node delivers them (node-local). */
  readonly events = new KeyspaceEvents(() => this.settings.values.notifyKeyspaceEvents);
  /** stream-node-max-entries (a replicated setting: `~` trimming depends on it). */
  private readonly streamSettings: StreamSettings = {
    nodeMaxEntries: () => this.settings.values.streamNodeMaxEntries,
    nodeMaxBytes: () => this.settings.values.streamNodeMaxBytes,
  };
  /** hll-sparse-max-bytes (a replicated setting: a HyperLogLog's bytes depend on it). */
  private readonly hllSparseMaxBytes = (): number => this.settings.values.hllSparseMaxBytes;
  /** Node-local: PFCOUNT answers by key while the value is unchanged (never replicated, in snapshots or the digest). */
  private readonly hllCounts: HllCountMemo;
  /** ACL users (replicated: changed by RAFTIS.ACL entries, in snapshots). */
  private aclUsers = new AclUsers(new AclCatalogue(commandTable));
  /**
   * The user an entry runs as while it is applied (RAFTIS.AS-USER), whose permissions a
   * script's redis.call is checked against; null: no check (an unrestricted caller).
   */
  private callingUser: AclUser | null = null;

  constructor(options: KvOptions = {}) {
    this.options = validateOptions(options);
    const { maxMemoryBytes, evictionPolicy, protoMaxBulkLen, scriptInstructionsMax, scriptStringBytesMax, notifyKeyspaceEvents, scriptEffects } = this.options;
    this.startSettings = {
      maxMemoryBytes, evictionPolicy, protoMaxBulkLen, scriptInstructionsMax, scriptStringBytesMax, notifyKeyspaceEvents, scriptEffects,
      streamNodeMaxEntries: streamNodeMaxEntriesDefault, streamNodeMaxBytes: streamNodeMaxBytesDefault, hllSparseMaxBytes: hllSparseMaxBytesDefault,
    };
    this.settings = new ReplicatedSettings(this.startSettings);
    this.scripting = this.makeScripting(new ScriptStore(), new FunctionStore());
    this.keyspace.onCollectionStored((mapKey) => this.readyKeys.stored(mapKey));
    this.dedup = new DedupTable(this.options.dedupEntriesMax, this.options.dedupRetentionMs, this.options.dedupRepliesPerClientMax);
    this.hllCounts = new HllCountMemo(this.options.hllCountMemoEntriesMax);
  }

  /** Commands applied from the log since start (a batch counts each of its commands). */
  get commandsApplied(): number {
    return this.commandEntriesApplied;
  }

  /**
   * Changes to keys since this node last took or installed a snapshot (INFO's
   * rdb_changes_since_last_save): a write that changes nothing (a SETBIT to the bit's value)
   * is no change, as in Redis.
   */
  get changesSinceSnapshot(): number {
    return this.keyspace.stamp - this.stampAtSnapshot;
  }

  /** The settings every replica holds the same value of (CONFIG GET/SET of maxmemory, ...). */
  get replicatedSettings(): ReplicatedSettings {
    return this.settings;
  }

  /** The last entry applied to its end: an entry whose apply is paused (applyPausable) is not. */
  get appliedIndex(): number {
    return this.suspension === null ? this.applied : this.applied - 1;
  }

  get clusterTime(): number {
    return this.time;
  }

  lookup(name: Uint8Array | string): CommandSpec | undefined {
    return lookupCommand(name);
  }

  commands(): readonly CommandSpec[] {
    return commandTable;
  }

  checkArity(spec: CommandSpec, argv: readonly Uint8Array[]): Reply | null {
    return checkArity(spec, argv);
  }

  /** State-free pre-check before proposing (arity, syntax, integer arguments); null = propose it. */
  validate(argv: readonly Uint8Array[]): Reply | null {
    return validateCommand(argv);
  }

  private advance(index: number, time: number | undefined): number {
    if (this.suspension !== null) throw new Error(`kv: apply of index ${index} while entry ${this.applied} is paused`);
    if (!Number.isSafeInteger(index) || index <= this.applied) {
      throw new Error(`kv: apply of index ${index} after applied index ${this.applied}`);
    }
    this.applied = index;
    if (time !== undefined && time > this.time) this.time = time;
    return this.time;
  }

  /**
   * Applies one committed command entry at its index. Deterministic. A batch (format 4)
   * answers an array with each command's reply in order, and when `timing` is given
   * (node-local, for the slow log) stores each command's execution time by its clock there.
   */
  apply(index: number, data: Uint8Array, timing?: CommandTiming): Reply {
    if (isCommandBatch(data)) return this.applyBatch(index, data, timing);
    // Its records were read before the entries they name were applied (the runtime's look-ahead).
    if (isEffectsEntry(data)) {
      this.advance(index, undefined);
      return nilReply;
    }
    this.commandEntriesApplied++;
    const entry = decodeCommand(data);
    if (entry instanceof Error) {
      this.advance(index, undefined);
      return errorReply(`ERR ${entry.message}`);
    }
    const nowMs = this.advance(index, entry.time);
    this.applyingLegacyEntry = commandFormatOf(data) < commandFormatRemovalVersions;
    this.keyspace.keepRemovalVersions(!this.applyingLegacyEntry);
    this.dedup.expire(nowMs);
    return this.applyCommand(entry.origin, entry, nowMs, index, 0);
  }

  /** A batch: its commands one after another at the entry's index, each deduplicated by its own id. */
  private applyBatch(index: number, data: Uint8Array, timing: CommandTiming | undefined): Reply {
    const batch = decodeCommandBatch(data);
    if (batch instanceof Error) {
      this.advance(index, undefined);
      return errorReply(`ERR ${batch.message}`);
    }
    const nowMs = this.advance(index, batch.time);
    this.applyingLegacyEntry = false;
    this.keyspace.keepRemovalVersions(true);
    this.dedup.expire(nowMs);
    this.commandEntriesApplied += batch.commands.length;
    if (timing !== undefined) {
      timing.usec.length = batch.commands.length;
      timing.calls.length = batch.commands.length;
    }
    return this.continueBatch({ batch, index, nowMs, timing, replies: new Array<Reply>(batch.commands.length), position: 0, started: 0 });
  }

  /** Applies a batch's commands from the cursor's place on: its reply, or suspendedReply when a script of it paused there. */
  private continueBatch(cursor: BatchCursor): Reply {
    const { batch, index, nowMs, timing, replies } = cursor;
    for (; cursor.position < batch.commands.length; cursor.position++) {
      const position = cursor.position;
      if (timing !== undefined) cursor.started = timing.clockMs();
      const reply = this.applyCommand(batch.origin, batch.commands[position] as BatchedCommand, nowMs, index, position);
      if (reply === suspendedReply) {
        this.suspendedBatch = cursor;
        return reply;
      }
      this.batchCommandApplied(cursor, reply);
    }
    return { kind: 'array', value: replies };
  }

  private batchCommandApplied(cursor: BatchCursor, reply: Reply): void {
    cursor.replies[cursor.position] = reply;
    if (cursor.timing === undefined) return;
    cursor.timing.usec[cursor.position] = (cursor.timing.clockMs() - cursor.started) * 1000;
    cursor.timing.calls[cursor.position] = this.appliedCalls;
  }

  /**
   * One command of an entry from client `command.client` of `origin`, at most once by its
   * request id (seq 0: none), its reply kept for a retry.
   */
  private applyCommand(origin: string, command: BatchedCommand, nowMs: number, index: number, position: number): Reply {
    this.applyingOrigin = origin;
    this.applyingClient = command.client;
    this.appliedCalls = null;
    if (command.seq > 0) {
      const verdict = this.dedup.admit(origin, command.client, command.seq, command.firstUnanswered);
      if (verdict.kind === 'duplicate') return verdict.reply;
    }
    const reads = this.scriptReadCalls;
    const reply = this.execute(command.argv, nowMs, index, position);
    if (reply !== suspendedReply) return this.commandApplied(origin, command, reads, reply, nowMs);
    this.suspendedFrame({
      enter: () => {
        this.applyingOrigin = origin;
        this.applyingClient = command.client;
      },
      finish: (done) => this.commandApplied(origin, command, reads, done, nowMs),
    });
    return reply;
  }

  /** After a command of an entry: the reads its script made told, its reply kept for a retry. */
  private commandApplied(origin: string, command: BatchedCommand, readsBefore: number, reply: Reply, nowMs: number): Reply {
    if (this.scriptReadCalls !== readsBefore) this.readApplied?.(origin, command.client, command.argv);
    if (this.applyCallLog !== null) this.appliedCalls = this.applyCallLog.take();
    if (command.seq > 0) this.dedup.record(origin, command.client, command.seq, command.firstUnanswered, reply, nowMs);
    return reply;
  }

  /**
   * apply, letting a script run of the entry pause between slices when `pauseWhen` says so:
   * the entry's reply, or a PausedApply to resume later. Until it ends, nothing else may be
   * applied, and appliedIndex stays below the entry (its writes so far are not a state any
   * reader may see, nor a snapshot). A script inside a transaction runs to its end.
   */
  applyPausable(index: number, data: Uint8Array, pauseWhen: PauseWhen, timing?: CommandTiming): Reply | PausedApply {
    // Under deferred effects no run is killable: a leader records its runs whole, and a
    // follower's fallback run would wait for a decision no leader proposes.
    return this.pausing(index, pauseWhen, !this.settings.values.scriptEffects, () => this.apply(index, data, timing));
  }

  /** One step of a pausable apply (its start, or a resume) with `pauseWhen` in force: its reply, or the apply paused. */
  private pausing(index: number, pauseWhen: PauseWhen, killable: boolean, step: () => Reply): Reply | PausedApply {
    this.pauseWhen = pauseWhen;
    this.decisionOf = killable ? () => this.killDecisions.of(index) : null;
    let reply: Reply;
    try {
      reply = step();
    } finally {
      this.pauseWhen = null;
      this.decisionOf = null;
    }
    if (reply !== suspendedReply) return reply;
    const suspension = this.suspension as Suspension;
    const run = suspension.run;
    return {
      index,
      run: { isFunction: run.isFunction, name: run.name, wrote: run.wrote, hasKillPoint: run.hasKillPoint, killable: run.killable, awaitingDecision: run.awaitingDecision, command: suspension.command },
      resume: () => this.pausing(index, pauseWhen, killable, () => this.resumeSuspended(suspension)),
    };
  }

  /** Goes on with the paused run, then with the rest of its batch. */
  private resumeSuspended(suspension: Suspension): Reply {
    if (this.suspension !== suspension) throw new Error('kv: a paused apply resumed after it ended');
    const reply = suspension.resume();
    if (reply === null) return suspendedReply;
    this.suspension = null;
    const cursor = this.suspendedBatch;
    if (cursor === null) return reply;
    this.suspendedBatch = null;
    this.batchCommandApplied(cursor, reply);
    cursor.position++;
    return this.continueBatch(cursor);
  }

  /** A layer a suspended command passed through on its way out (suspension.ts). */
  private suspendedFrame(frame: SuspendedFrame): void {
    (this.suspension as Suspension).push(frame);
  }

  /**
   * apply, recording what each script run of the entry did (script-effects.ts): a leader's
   * side of deferred effects. apply() itself records nothing. `effects` is null when a run kept
   * more than scriptEffectsCallsMax calls: the entry is then resolved by running it.
   */
  applyRecording(index: number, data: Uint8Array): { readonly reply: Reply; readonly effects: readonly ScriptEffects[] | null } {
    const recorder = new EffectsRecorder(this.options.scriptEffectsCallsMax);
    const reply = this.withEffects(recorder, () => this.apply(index, data));
    return { reply, effects: recorder.overflowed ? null : recorder.runs };
  }

  /**
   * apply with the entry's script runs replaced by `effects`, recorded by applyRecording of
   * the same entry on an identical state: the same state, reply and events, no script run.
   */
  applyReplaying(index: number, data: Uint8Array, effects: readonly ScriptEffects[]): Reply {
    const replayer = new EffectsReplayer(effects, (run, outer) => this.replayScriptEffects(run, outer));
    const reply = this.withEffects(replayer, () => this.apply(index, data));
    replayer.finish();
    return reply;
  }

  private withEffects(mode: EffectsMode, apply: () => Reply): Reply {
    const scripting = this.scripting;
    if (scripting.effects !== null) throw new Error('kv: an entry applied with effects inside another');
    scripting.effects = mode;
    try {
      return apply();
    } finally {
      scripting.effects = null;
    }
  }

  /**
   * Files a committed entry that is not applied yet (it waits behind a paused apply) if it is
   * a decision entry for a killable run: the index it decides, or 0 for any other entry.
   */
  fileDecision(index: number, data: Uint8Array): number {
    if (commandFormatOf(data) !== commandFormatVersion) return 0;
    const command = decodeCommand(data);
    const decision = command instanceof Error ? null : parseScriptDecision(command.argv);
    if (decision === null) return 0;
    this.killDecisions.file(decision, index, this.appliedIndex);
    return decision.target;
  }

  /** FUNCTION STATS as this node answers it while its apply is paused in `running` (a function's run). */
  functionStats(running: RunningFunction): Reply {
    return functionStats(this.scripting, running);
  }

  /** Same as apply (the name the server's state-machine adapter uses). */
  applyEntry(index: number, data: Uint8Array): Reply {
    return this.apply(index, data);
  }

  /** A log entry with no command (leader no-op, configuration change): advances the index and time. */
  applyNoop(index: number, time?: number): void {
    this.advance(index, time);
  }

  /** `position`: the command's place in its entry (0 unless batched), mixed into its random seed. */
  private execute(argv: readonly Uint8Array[], nowMs: number, index: number, position: number): Reply {
    const name = argv[0];
    if (name === undefined) return errorReply('ERR empty command');
    if (isTransaction(argv)) return this.executeTransaction(argv, nowMs, index, position);
    if (isConfigEntry(argv)) return this.settings.applyEntry(argv);
    const decision = parseScriptDecision(argv);
    if (decision !== null) return this.killDecisions.applied(decision, index);
    const asUser = unwrapAsUser(argv);
    if (asUser !== null) return this.runAs(asUser.user, () => this.execute(asUser.argv, nowMs, index, position));
    if (isAclEntry(name)) return this.aclUsers.apply(argv);
    const spec = lookupCommand(name);
    if (spec === undefined) return unknownCommandError(argv);
    const arityError = checkArity(spec, argv);
    if (arityError !== null) return arityError;
    if (!hasFlag(spec, 'write')) {
      // Only a transaction's queued reads get here (a plain read is served at a read point).
      if (this.readApplied !== null && hasFlag(spec, 'readonly')) this.readApplied(this.applyingOrigin, this.applyingClient, argv);
      return this.runRead(spec, argv, nowMs);
    }
    if (hasFlag(spec, 'denyoom') && !this.makeRoom(index, nowMs)) return outOfMemoryError;
    // A script run is judged against maxmemory as it starts (scriptCaller), after evicting by
    // policy as before any write: here, so the evictions are the entry's, not the script's.
    this.scriptOverMaxmemory = this.settings.values.maxMemoryBytes !== 0 && scriptCallRows.has(spec.name) && !this.makeRoom(index, nowMs);
    const context = this.writeContext(nowMs, index, position);
    if (this.events.active) return this.withEvents(spec, argv, nowMs, context);
    return this.runHandler(spec, context, argv);
  }

  /** A write run with its keyspace events worked out (keyspace-events.ts), after its run ends if it paused. */
  private withEvents(spec: CommandSpec, argv: readonly Uint8Array[], nowMs: number, context: CommandContext): Reply {
    const events = this.events;
    const watch = events.begin(spec, argv, this.keyspace, nowMs);
    let reply: Reply;
    try {
      reply = this.runHandler(spec, context, argv);
    } finally {
      events.leave();
    }
    if (reply !== suspendedReply) {
      events.end(watch, this.keyspace);
      return reply;
    }
    this.suspendedFrame({
      enter: () => events.reenter(),
      leave: () => events.leave(),
      finish: (done) => {
        events.end(watch, this.keyspace);
        return done;
      },
    });
    return reply;
  }

  /**
   * The context of a write command about to run, started (runHandler finishes it): the one
   * kept for apply, made again only when what it was made with changed (a replicated
   * proto-max-bulk-len, a restore), and a fresh one for a write that starts while the kept one
   * is in use. One context for every command applied instead of one each: the context was an
   * eighth of what a follower allocated per pipelined SET.
   */
  private writeContext(nowMs: number, index: number, position: number): CommandContext {
    const kept = this.keptWriteContext;
    const current = kept !== null && kept.protoMaxBulkLen === this.settings.values.protoMaxBulkLen;
    if (current && kept.start(nowMs, index, position)) {
      kept.keyMissed = this.keyMissed();
      return kept;
    }
    const context = new CommandContext(this.keyspace, nowMs, true, this.settings.values.protoMaxBulkLen, 0, this.counters, 0, this.scripting);
    context.events = this.events;
    context.keyMissed = this.keyMissed();
    context.streams = this.streamSettings;
    context.hllSparseMaxBytes = this.hllSparseMaxBytes;
    context.hllCounts = this.hllCounts;
    context.start(nowMs, index, position);
    if (!current) this.keptWriteContext = context;
    return context;
  }

  /**
   * Runs a handler; one that throws (a bug) answers an error instead of ending the node. The
   * same entry throws the same way on every replica, so they stay identical, and a restart
   * replaying the entry does not crash again.
   */
  private runHandler(spec: CommandSpec, context: CommandContext, argv: readonly Uint8Array[]): Reply {
    let reply: Reply;
    try {
      reply = spec.handler(context, argv);
    } catch (error) {
      context.finish();
      if (error instanceof CommandError) return error.reply;
      this.counters.internalErrors++;
      return errorReply(`ERR internal error in '${spec.name}': ${error instanceof Error ? error.message : String(error)}`);
    }
    // A script that paused still runs in the context: it is finished when the run ends.
    if (reply !== suspendedReply) context.finish();
    else {
      if ((this.suspension as Suspension).command.length === 0) (this.suspension as Suspension).command = argv;
      this.suspendedFrame({
        finish: (done) => {
          context.finish();
          return done;
        },
      });
    }
    return reply;
  }

  /**
   * MULTI/EXEC: nothing if a watched key changed since WATCH (a null array, as Redis answers),
   * otherwise every command in order, each reply in the array (a command's error does not
   * stop the others, as in Redis).
   */
  private executeTransaction(argv: readonly Uint8Array[], nowMs: number, index: number, position: number): Reply {
    const transaction = decodeTransaction(argv);
    if (transaction instanceof Error) return errorReply(`ERR ${transaction.message}`);
    for (const watch of transaction.watches) {
      if (this.watchedVersion(watch.key, nowMs) !== watch.version) return { kind: 'array', value: null };
    }
    const replies: Reply[] = [];
    // A transaction's script runs to its end: the transaction has no place to pause at.
    const pauseWhen = this.pauseWhen;
    this.pauseWhen = null;
    try {
      for (const command of transaction.commands) {
        // A blocking read inside MULTI answers nil, as in Redis, instead of waiting.
        replies.push(isTransaction(command) ? errorReply('ERR transactions cannot be nested') : withoutWaitMarker(this.execute(command, nowMs, index, position)));
      }
    } finally {
      this.pauseWhen = pauseWhen;
    }
    return { kind: 'array', value: replies };
  }

  /**
   * What WATCH records and EXEC compares (Keyspace.version): every change to the key since,
   * value, expiry or existence, changes it, and every replica has the same versions at the
   * same applied index.
   */
  keyVersion(key: Uint8Array, nowMs: number): number {
    return this.keyspace.version(key, Math.max(nowMs, this.time));
  }

  /** A watched key's version as the entry being applied compares it: in an entry from before removal versions, 0 for an absent or expired key. */
  private watchedVersion(key: Uint8Array, nowMs: number): number {
    return this.applyingLegacyEntry ? this.keyspace.get(key, nowMs)?.writtenStamp ?? 0 : this.keyVersion(key, nowMs);
  }

  private makeScripting(store: ScriptStore, functions: FunctionStore): Scripting {
    const settings = (): Readonly<SettingValues> => this.settings.values;
    const pauseWhen = (): PauseWhen | null => this.pauseWhen;
    const decisionOf = (): DecisionOf | null => this.decisionOf;
    const overMaxmemory = (): boolean => this.scriptOverMaxmemory;
    // An applied command's calls only where its proposal is answered (the leader): elsewhere no one reads them.
    const callLog = (): ScriptCallLog | null => (this.callLog === this.applyCallLog && !this.appliedCallsWanted() ? null : this.callLog);
    return {
      store,
      functions,
      vm: () => (this.scriptVm ??= new ScriptVm()),
      get pauseWhen(): PauseWhen | null {
        return pauseWhen();
      },
      get decision(): DecisionOf | null {
        return decisionOf();
      },
      suspend: (run) => {
        if (this.readingScript) {
          run.abandon();
          return scriptNeedsLog;
        }
        if (this.suspension !== null) throw new Error('kv: a script paused while another is paused');
        this.suspension = new Suspension(run);
        return suspendedReply;
      },
      get instructionsMax(): number {
        return settings().scriptInstructionsMax;
      },
      get stringBytesMax(): number {
        return settings().scriptStringBytesMax;
      },
      lookup: lookupCommand,
      execute: (spec, argv, outer, seed) => {
        this.scriptCalls?.(argv);
        const read = hasFlag(spec, 'readonly');
        if (read) this.scriptReadCalls++;
        const recorder = this.scripting.effects;
        if (recorder === null || !outer.writable) return this.runScriptCall(spec, argv, outer, seed);
        const expiredBefore = this.counters.expiredKeys;
        const reply = this.runScriptCall(spec, argv, outer, seed);
        // Which calls are kept, and why: script-effects.ts.
        const keep = !read || this.counters.expiredKeys !== expiredBefore || this.events.classOn(NotifyClass.keyMiss);
        recorder.called(argv, seed, keep, read);
        return reply;
      },
      effects: null,
      get overMaxmemory(): boolean {
        return overMaxmemory();
      },
      denied: (spec, argv) => this.scriptCallDenied(spec, argv),
      get callLog(): ScriptCallLog | null {
        return callLog();
      },
    };
  }

  /** One command a script called, after the script rules and ACL let it run (or a replayed one). */
  private runScriptCall(spec: CommandSpec, argv: readonly Uint8Array[], outer: CommandContext, seed: number): Reply {
    const context = new CommandContext(this.keyspace, outer.nowMs, outer.writable, this.settings.values.protoMaxBulkLen, seed, this.counters, outer.readSalt, this.scripting, true);
    context.keyMissed = this.keyMissed();
    context.readLookups = !hasFlag(spec, 'write');
    context.streams = this.streamSettings;
    context.hllSparseMaxBytes = this.hllSparseMaxBytes;
    const run = (): Reply => withoutWaitMarker(this.runHandler(spec, context, argv));
    if (!outer.writable) return run();
    // A script's writes report their key events like any other write's.
    context.events = this.events;
    return this.events.active ? this.events.around(spec, argv, this.keyspace, outer.nowMs, run) : run();
  }

  /**
   * Applies one recorded script run in place of running it (script-effects.ts): its kept calls
   * as the run made them, in a script call's context at the entry's time. A kept call of a
   * command this table lacks is a bug (the recording node has the same table).
   */
  private replayScriptEffects(effects: ScriptEffects, outer: CommandContext): void {
    this.scriptReadCalls += effects.readCalls;
    for (const call of effects.calls) {
      const spec = lookupCommand(call.argv[0] ?? new Uint8Array(0));
      if (spec === undefined) throw new Error(`kv: a recorded script call of an unknown command '${Buffer.from(call.argv[0] ?? []).toString('latin1')}'`);
      this.scriptCalls?.(call.argv);
      this.runScriptCall(spec, call.argv, outer, call.seed);
    }
  }

  /**
   * The function libraries of a snapshot, loaded again from their code (which is what the
   * snapshot keeps). The code loaded when it was applied, so it loads again; one that does
   * not (a changed budget) is left out and counted as an internal error.
   */
  private restoreLibraries(codes: readonly Uint8Array[]): FunctionStore {
    const functions = new FunctionStore();
    for (const code of codes) {
      const library = compileLibrary(this.scripting, code);
      if ('kind' in library) this.counters.internalErrors++;
      else functions.put(library);
    }
    return functions;
  }

  /** Evicts by policy until the estimate is within maxmemory; false if it cannot. */
  private makeRoom(index: number, nowMs: number): boolean {
    const limit = this.settings.values.maxMemoryBytes;
    if (limit === 0) return true;
    for (let evicted = 0; this.memoryUsage() > limit; evicted++) {
      if (evicted >= evictionsPerCommandMax) return false;
      const victim = this.evictionVictim(index);
      if (victim === undefined) return false;
      this.keyspace.delete(victim, nowMs);
      this.events.evicted(victim.key);
      this.counters.evictedKeys++;
    }
    return true;
  }

  private evictionVictim(index: number): KeyEntry | undefined {
    switch (this.settings.values.evictionPolicy) {
      case 'noeviction': return undefined;
      case 'allkeys-lru': return this.keyspace.leastRecentlyWritten(false);
      case 'volatile-lru': return this.keyspace.leastRecentlyWritten(true);
      case 'volatile-ttl': return this.keyspace.nearestExpiry();
      case 'allkeys-random': return this.keyspace.pick(mixSeed(index, this.counters.evictedKeys));
      default: {
        const exhaustive: never = this.settings.values.evictionPolicy;
        throw new Error(`unknown eviction policy ${String(exhaustive)}`);
      }
    }
  }

  /**
   * The ACL users, and the commands their rules name. The server adds its own rows (PING,
   * CLIENT, ...) before anything is applied: every node has the same ones, so rules such as
   * +@connection select the same commands everywhere.
   */
  get acl(): AclUsers {
    return this.aclUsers;
  }

  addAclCommands(rows: readonly CategorizedRow[]): void {
    this.aclUsers.withCommands(new AclCatalogue([...commandTable, ...rows]));
  }

  /** Runs `run` as `user` (an unknown user has no permissions: every call it makes is refused). */
  private runAs(user: string, run: () => Reply): Reply {
    const outer = this.callingUser;
    const caller = this.aclUsers.get(user) ?? new AclUser(user);
    this.callingUser = caller;
    let reply: Reply;
    try {
      reply = run();
    } finally {
      this.callingUser = outer;
    }
    if (reply === suspendedReply) {
      this.suspendedFrame({
        enter: () => {
          this.callingUser = caller;
        },
        leave: () => {
          this.callingUser = outer;
        },
      });
    }
    return reply;
  }

  /**
   * The refusal of a script's redis.call of `argv` (a call of `spec`) for the entry's calling
   * user, as Redis words it inside a script; null = allowed. Deterministic: the users are the
   * ones at the entry's index.
   */
  scriptCallDenied(spec: CommandSpec, argv: readonly Uint8Array[]): ErrorReply | null {
    const user = this.callingUser;
    if (user === null) return null;
    const denial = this.aclUsers.check(user, spec, argv);
    return denial === null ? this.aclUsers.optionRefusal(user, spec, argv) : scriptNopermReply(denial);
  }

  /** `readSalt` is 0 for a read inside apply (every replica must draw the same), else see CommandContext. */
  /** `touches`: whether the read records its keys' access (node-local); false for a CLIENT NO-TOUCH client, TOUCH aside. */
  private runRead(spec: CommandSpec, argv: readonly Uint8Array[], nowMs: number, readSalt = 0, touches = true): Reply {
    const context = new CommandContext(this.keyspace, nowMs, false, this.settings.values.protoMaxBulkLen, mixSeed(this.applied, nowMs), this.counters, readSalt, this.scripting);
    context.hllSparseMaxBytes = this.hllSparseMaxBytes;
    context.hllCounts = this.hllCounts;
    context.keyMissed = this.keyMissed();
    context.readLookups = true;
    context.touches = spec.name === 'touch' || (touches && !noTouchCommands.has(spec.name));
    return this.runHandler(spec, context, argv);
  }

  /**
   * Where a command reports a key it read and did not find (the `keymiss` event), or null when
   * class m is off. A read on the read path reports on the node that served it (as Redis
   * Cluster's node that served the read does); a read inside an applied entry (a transaction, a
   * script, a write's sources) reports on every node, in log order, like every other event.
   */
  private keyMissed(): ((key: Uint8Array) => void) | null {
    return this.events.wants(NotifyClass.keyMiss) ? this.reportKeyMiss : null;
  }

  private readonly reportKeyMiss = (key: Uint8Array): void => {
    this.events.emit(NotifyClass.keyMiss, 'keymiss', key);
  };

  /**
   * A readonly command on the current state, expiry judged at max(clusterTime, time of the
   * last applied entry). Never mutates. Write commands are refused with an error reply.
   */
  read(argv: readonly Uint8Array[], clusterTime: number, user: string | null = null): Reply {
    return this.serveRead(argv, clusterTime, user, (spec) => hasFlag(spec, 'readonly'));
  }

  /**
   * read() of a command the caller already looked up and checked the arity of (the server's
   * dispatcher: `spec` is one of commands()' rows), without finding it again by its name.
   */
  readCommand(spec: CommandSpec, argv: readonly Uint8Array[], clusterTime: number, user: string | null, touches = true): Reply {
    if (!hasFlag(spec, 'readonly')) return this.read(argv, clusterTime, user);
    if (user !== null) return this.runAs(user, () => this.readCommand(spec, argv, clusterTime, null, touches));
    return this.runRead(spec, argv, Math.max(clusterTime, this.time), ++this.readsServed, touches);
  }

  /**
   * Whether EVAL, EVALSHA or FCALL `argv` runs a script that cannot write, judged on this
   * node's state now: then the server may serve it as a read (readScript).
   */
  scriptCannotWrite(argv: readonly Uint8Array[]): boolean {
    return scriptCannotWrite(this.scripting, argv);
  }

  /**
   * EVAL_RO, EVALSHA_RO, FCALL_RO, or EVAL, EVALSHA or FCALL of a script that cannot write
   * (scriptCannotWrite), run as a read at this read point: refused writes, no change to the
   * script cache. `scriptNeedsLog` when, at this point, it can write after all, or when its run
   * is still going once `sliceOver` says so: the server then proposes it, and the run starts
   * again as an entry every replica applies in slices, with BUSY and SCRIPT KILL (the read's
   * run, abandoned, changed nothing). A read cannot pause: the node's state must not change
   * under it, and this node alone would hold its apply for it.
   */
  readScript(argv: readonly Uint8Array[], clusterTime: number, user: string | null = null, sliceOver: PauseWhen | null = null): Reply {
    this.pauseWhen = sliceOver;
    this.readingScript = true;
    this.callLog = this.readCallLog;
    try {
      return this.serveRead(argv, clusterTime, user, (spec) => scriptCallRows.has(spec.name));
    } finally {
      this.pauseWhen = null;
      this.readingScript = false;
      this.callLog = this.applyCallLog;
      this.readCalls = this.readCallLog?.take() ?? null;
    }
  }

  /**
   * Node-local: from now on, keep what scripts' calls do (call-stats.ts), timed by `clockMs`,
   * for INFO commandstats and errorstats: the calls of the last command applied are
   * `lastAppliedCalls` (a batch's in its CommandTiming), kept while `applied()` says so (the
   * node answers the entries' proposals), those of the last read script `lastReadCalls`.
   */
  countScriptCalls(clockMs: () => number, applied: () => boolean): void {
    this.appliedCallsWanted = applied;
    this.applyCallLog = new ScriptCallLog(clockMs, isContainerCommand);
    this.readCallLog = new ScriptCallLog(clockMs, isContainerCommand);
    this.callLog = this.applyCallLog;
  }

  get lastAppliedCalls(): readonly ScriptCall[] | null {
    return this.appliedCalls;
  }

  get lastReadCalls(): readonly ScriptCall[] | null {
    return this.readCalls;
  }

  private serveRead(argv: readonly Uint8Array[], clusterTime: number, user: string | null, accepts: (spec: CommandSpec) => boolean): Reply {
    if (user !== null) return this.runAs(user, () => this.serveRead(argv, clusterTime, null, accepts));
    const name = argv[0];
    if (name === undefined) return errorReply('ERR empty command');
    const spec = lookupCommand(name);
    if (spec === undefined) return unknownCommandError(argv);
    if (!accepts(spec)) return errorReply(`ERR '${spec.name}' is not a read-only command`);
    const arityError = checkArity(spec, argv);
    if (arityError !== null) return arityError;
    return this.runRead(spec, argv, Math.max(clusterTime, this.time), ++this.readsServed);
  }

  /** Keys expired at `now` (at most `max`), for the leader to propose RAFTIS.EXPIRE. Bounded work. */
  expiredKeys(now: number, max: number): Uint8Array[] {
    if (!Number.isSafeInteger(max) || max < 0) throw new Error(`expiredKeys: invalid max ${max}`);
    return this.keyspace.dueForExpiry(now, max).map((entry) => Buffer.from(entry.key));
  }

  /**
   * Node-local: the clock key accesses are stamped with (seconds, Redis's 24-bit LRU clock),
   * set by the node as time passes. Apply never reads a clock; what it stamps is never
   * replicated, snapshotted or digested.
   */
  setAccessClock(clock: number): void {
    this.keyspace.setAccessClock(clock);
  }

  digest(): KvDigest {
    let sumHigh = 0;
    let sumLow = 0;
    for (const entry of this.keyspace.values()) {
      let low = digestValue(fnv1aLatin1(fnvOffsetBasis, entry.mapKey), entry);
      low = fnv1aNumber(low, entry.expireAtMs === noExpiry ? -1 : entry.expireAtMs);
      const high = mixSeed(low, entry.mapKey.length + entry.valueByteLength);
      sumLow = (sumLow + low) >>> 0;
      sumHigh = (sumHigh + high) >>> 0;
    }
    const hex = (value: number): string => value.toString(16).padStart(8, '0');
    return { appliedIndex: this.applied, keys: this.keyspace.size, hash: hex(sumHigh) + hex(sumLow) };
  }

  /**
   * Every key not expired at the last applied entry's time, with its value and absolute
   * expiry, in creation order; for export (RDB) from a state machine nothing else changes.
   */
  *liveEntries(): Generator<{ readonly key: Buffer; readonly value: Value; readonly expireAtMs: number | null }> {
    for (const entry of this.keyspace.values()) {
      if (!this.keyspace.isLive(entry, this.time)) continue;
      yield { key: entry.key, value: entry.value, expireAtMs: entry.expireAtMs === noExpiry ? null : entry.expireAtMs };
    }
  }

  /** The code of every function library (FUNCTION LOAD's argument), in load order. */
  functionLibraries(): Uint8Array[] {
    return this.scripting.functions.all().map((library) => library.code);
  }

  /** The type and length of the collection at `key` now (expiry judged at the last applied entry's time), for the server's waiters. */
  collectionAt(key: Uint8Array): { readonly type: CollectionTypeName; readonly length: number } | undefined {
    const stored = this.keyspace.get(key, this.time)?.stored;
    return stored === undefined || !isCollection(stored) ? undefined : { type: stored.type, length: stored.length };
  }

  /**
   * The memory estimate maxmemory limits (INFO used_memory): the keyspace's, the cached
   * scripts' bodies and the function libraries' code. Replicated state only, so every replica
   * has the same at the same index.
   */
  memoryUsage(): number {
    return this.keyspace.memoryBytes + this.scripting.store.byteLength + this.scripting.functions.codeBytes;
  }

  /**
   * What scripting holds on this node (INFO memory): the Lua VM (made now if no script ran
   * yet, as Redis has its VM from the start), the cached scripts' bodies and the libraries' code.
   */
  scriptMemory(): ScriptMemory {
    const vm = this.scripting.vm().memory();
    return { ...vm, cachedScriptBytes: this.scripting.store.byteLength, libraryCodeBytes: this.scripting.functions.codeBytes };
  }

  stats(): KvStats {
    return {
      keys: this.keyspace.size,
      expires: this.keyspace.volatileSize,
      evictedKeys: this.counters.evictedKeys,
      expiredKeys: this.counters.expiredKeys,
      internalErrors: this.counters.internalErrors,
      memoryBytes: this.keyspace.memoryBytes,
      maxMemoryBytes: this.settings.values.maxMemoryBytes,
      evictionPolicy: this.settings.values.evictionPolicy,
      dedupEntries: this.dedup.size,
      dedupReplies: this.dedup.replyCount(),
      appliedIndex: this.applied,
      clusterTime: this.time,
      snapshotsOpen: this.openSnapshots.size,
      cachedScripts: this.scripting.store.size,
      cachedScriptBytes: this.scripting.store.byteLength,
      functionLibraries: this.scripting.functions.all().length,
      functions: this.scripting.functions.all().reduce((count, library) => count + library.functions.length, 0),
    };
  }

  /** A consistent stream of the state at the current applied index; writes may continue meanwhile. */
  beginSnapshot(): SnapshotSource {
    if (this.suspension !== null) throw new Error(`kv: a snapshot while entry ${this.applied} is paused`);
    this.stampAtSnapshot = this.keyspace.stamp;
    const snapshot = new KeyspaceSnapshot(this.keyspace, {
      appliedIndex: this.applied,
      clusterTime: this.time,
      counters: { ...this.counters },
      dedup: this.dedup.all(),
      scripts: [...this.scripting.store.entries()].map(([, body]) => body),
      libraries: this.scripting.functions.all().map((library) => library.code),
      acl: this.aclUsers.seeded ? this.aclUsers.lines() : null,
      settings: this.settings.entries(),
    });
    this.openSnapshots.add(snapshot);
    return {
      appliedIndex: snapshot.appliedIndex,
      next: (maxBytes: number) => snapshot.next(maxBytes),
      close: () => {
        snapshot.close();
        this.openSnapshots.delete(snapshot);
      },
    };
  }

  /**
   * Ends a paused apply where it stands, its run abandoned (the state it wrote so far stays:
   * only for a state about to be replaced, by a snapshot).
   */
  private abandonPaused(): void {
    this.suspension?.abandon();
    this.killDecisions.clear();
    this.suspension = null;
    this.suspendedBatch = null;
    this.keptWriteContext = null; // the paused command's, never finished
  }

  /** Receives a snapshot stream; finish() replaces the whole state, or leaves it untouched on error. */
  beginRestore(): SnapshotSink {
    return new KeyspaceRestore((state) => this.install(state));
  }

  private install(state: SnapshotState): void {
    const settings = ReplicatedSettings.restored(this.startSettings, state.settings ?? []); // first: a bad record throws before anything changed
    this.abandonPaused();
    this.aclUsers.restore(state.acl ?? null);
    this.settings = settings;
    // Open snapshots keep reading the old keyspace, which nothing mutates any more.
    this.keyspace.onCollectionStored(null);
    state.keyspace.adoptAccessClock(this.keyspace);
    this.keyspace = state.keyspace;
    this.keptWriteContext = null; // it holds the old keyspace and scripting
    this.keyspace.onCollectionStored((mapKey) => this.readyKeys.stored(mapKey));
    this.dedup.restore(state.dedup);
    this.scripting = this.makeScripting(ScriptStore.of(state.scripts ?? []), this.restoreLibraries(state.libraries ?? []));
    this.counters.expiredKeys = state.counters.expiredKeys;
    this.counters.evictedKeys = state.counters.evictedKeys;
    this.applied = state.appliedIndex;
    this.time = state.clusterTime;
    this.readyKeys.storedAll();
    this.stampAtSnapshot = this.keyspace.stamp;
  }
}

/** A batch entry's apply in progress: where it stands and the replies so far. */
interface BatchCursor {
  readonly batch: CommandBatch;
  readonly index: number;
  readonly nowMs: number;
  readonly timing: CommandTiming | undefined;
  readonly replies: Reply[];
  /** The command being applied. */
  position: number;
  /** When it started (timing's clock). */
  started: number;
}

/** An entry's apply paused inside a script run (applyPausable). */
export interface PausedApply {
  readonly index: number;
  /** The paused script run: killable, waiting for its decision entry (KillDecisions), a function's, and its command. */
  readonly run: Pick<PausedRun<Reply>, 'isFunction' | 'name' | 'wrote' | 'hasKillPoint' | 'killable' | 'awaitingDecision'> & { readonly command: readonly Uint8Array[] };
  /** Goes on: the entry's reply, or a PausedApply again. */
  resume(): Reply | PausedApply;
}
