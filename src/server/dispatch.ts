// Routes each client command through the one command registry: server commands (connection,
// transaction, introspection, membership) are answered here; data commands go to the write
// path (one log entry) or the read path (a read barrier at the connection's consistency
// level, then a read of the local state machine). Inside MULTI every command but the few
// that steer the transaction is queued, as in Redis.

import type { KvStateMachine } from '../kv/state-machine.js';
import type { CommandSpec } from '../kv/command-spec.js';
import type { Reply } from '../kv/reply.js';
import type { ScriptCall } from '../kv/script/call-stats.js';
import type { RaftNode, ReadMode, ReadWaiter } from '../node/raft-node.js';
import type { NodeError } from '../node/errors.js';
import type { ClientConnection, ReplySlot } from '../resp/server.js';
import type { ReadConsistency, ServerConfig } from './config.js';
import { killCommand } from './script-kill.js';
import { errorReply, nodeErrorReply } from './errors.js';
import type { WritePath, WriteWaiter } from './write-path.js';
import { encodeTransaction, type WatchedKey } from '../kv/transaction.js';
import { BlockedClients, type WaiterWrites } from './blocking.js';
import { mayBlock } from './blocking-commands.js';
import { CommandRegistry, commandArityError, serverCommand, unknownCommand, type ReadFailure, type RegisteredCommand, type ServerCall, type ServerCommand } from './command-registry.js';
import { connectionCommands } from './connection-commands.js';
import { ClientPause, heldByWritePause } from './client-pause.js';
import { Monitors } from './monitor.js';
import { parseShebang } from '../kv/script/shebang.js';
import { scriptNeedsLog } from '../kv/script-commands.js';
import { CommandError } from '../kv/replies.js';
import { unwrapAsUser } from '../kv/acl/as-user.js';
import { AclGate, type SubscribedChannels } from './acl-gate.js';
import { aclCommand } from './acl-command.js';
import { Tracking } from './tracking.js';
import { commandKeys } from '../kv/key-specs.js';
import type { ErrorCounters } from './command-stats.js';

/** A command queued since MULTI, run by EXEC. */
interface QueuedCommand {
  readonly argv: Buffer[];
  readonly command: RegisteredCommand;
}

/** What the dispatcher keeps per client connection (ClientConnection.state). */
export interface ConnectionState {
  consistency: ReadConsistency;
  /** Sequence of this connection's writes: the last part of each request id. */
  seq: number;
  /**
   * Sequences of this connection's writes not yet answered, in increasing order (a Set keeps
   * insertion order). The first is the request ids' `firstUnanswered`: the state machine may
   * forget the replies below it.
   */
  readonly unanswered: Set<number>;
  /**
   * Data commands started and not yet answered; all of kind `runningKind`. Redis runs a
   * connection's commands in order, so a pipelined read must see the writes sent before it
   * and must not see those sent after it. Reads and writes each run in parallel with their
   * own kind (one read barrier, one log batch); at a change of kind the later ones wait.
   * Invariant: running === 0 || waiting holds nothing that could start (waiting[0] is of
   * the other kind, or commands of running's kind queued behind it).
   */
  running: number;
  runningKind: CommandKind;
  /** Commands waiting for the other kind to finish, in arrival order. Bounded by what the
   * RESP layer lets one connection pipeline (its query buffer limit). */
  readonly waiting: { readonly kind: CommandKind; readonly start: () => void }[];
  /** True while finished() starts waiting commands, so completions inside start() do not recurse. */
  draining: boolean;
  /**
   * Commands queued since MULTI, or null outside a transaction; `aborted` once one was refused
   * (EXEC then answers EXECABORT).
   */
  transaction: { readonly queued: QueuedCommand[]; aborted: boolean } | null;
  /** Keys watched since WATCH (by their latin1 text) with the version each had, or null. */
  watched: Map<string, WatchedKey> | null;
  /**
   * Bumped whenever the watches end (EXEC, DISCARD, UNWATCH, RESET): a WATCH still waiting
   * for its read point when that happened records nothing.
   */
  watchEpoch: number;
  /** The last command run, as CLIENT LIST's `cmd` shows it ('client|list'). */
  lastCommand: string;
  /**
   * Set while a script call that started as a read goes through the log after all (its read
   * point found it can write, scriptRead): the connection's reads that reach their read
   * point meanwhile wait here, and take a new one once it is answered, so they see what it
   * wrote, as a command sent after it must. Null otherwise.
   */
  fence: (() => void)[] | null;
}

/**
 * 'block' runs alone: what the connection sent after it waits, as in Redis. A blocking
 * command, and EXEC of a transaction that queued server commands (they run after its entry,
 * and nothing the connection sent later may come between).
 */
type CommandKind = 'read' | 'write' | 'block';

/**
 * A command's execution on the cluster, in µs, as Redis's slow log, LATENCY and commandstats
 * count a command: the work, not the waits. A read adds its serving at the read point (not the
 * wait for it); a write adds the time the leader's state machine took to apply its entry (not
 * the wait for the log to commit it); a blocked command adds each of its attempts; a server
 * command is timed by its own run on this node (onCommand).
 */
interface Execution {
  usec: number;
  /** What the scripts it ran called, counted as commands of their own once it answers (call-stats.ts). */
  calls?: readonly ScriptCall[];
}

/** Adds `calls` (a script command's, from its apply or its read) to the execution's. */
function addCalls(execution: Execution | null, calls: readonly ScriptCall[] | null | undefined): void {
  if (execution === null || calls === null || calls === undefined) return;
  execution.calls = execution.calls === undefined ? calls : [...execution.calls, ...calls];
}

/** A data command's registry entry. */
type DataCommand = Extract<RegisteredCommand, { kind: 'data' }>;

/** What a DataRead and a DataWrite need of the dispatcher. */
interface DataHost {
  readonly kv: KvStateMachine;
  readonly node: RaftNode<Reply>;
  readonly writes: WritePath;
  readonly blocking: BlockedClients;
  readonly errors: ErrorCounters;
  /** Dispatcher.answer: counts the command and reports it. */
  answer(conn: ClientConnection, command: RegisteredCommand, argv: readonly Buffer[], reply: Reply, executionUsec: number, responseUsec: number | null): void;
  /** CLIENT TRACKING of this node's clients. */
  readonly tracking: Tracking;
  /** Dispatcher.tracked: serves a read and remembers its keys for CLIENT TRACKING. */
  tracked(conn: ClientConnection, argv: readonly Buffer[], caching: boolean, serve: () => Reply): Reply;
}

/**
 * A plain data command from its arrival to its reply, in one object (DataRead, DataWrite): it
 * waits in the connection's queue as itself and answers from its fields. A closure per step was
 * most of what such a command allocated, and a pipelined write lives until its entry commits
 * (10–40 ms under load), through young-generation collections that copy what survives.
 */
abstract class DataCall {
  abstract readonly kind: CommandKind;

  constructor(
    protected readonly host: DataHost,
    protected readonly conn: ClientConnection,
    protected readonly state: ConnectionState,
    protected readonly command: DataCommand,
    /** The arguments as the client sent them (commandstats, the slow log, the read itself). */
    protected readonly argv: Buffer[],
    private readonly slot: ReplySlot,
    /** performance.now() at dispatch: the response time counts from there. */
    private readonly started: number,
  ) {}

  /** The connection's turn came (startNow, or finished() starting the waiting commands). */
  abstract start(): void;

  /** Counts and reports the command, sends its reply, and lets the connection's next ones start. */
  protected answer(reply: Reply, executionUsec: number, now = performance.now()): void {
    const host = this.host;
    host.answer(this.conn, this.command, this.argv, reply, executionUsec, (now - this.started) * 1000);
    sendCounted(this.slot, host.errors, reply);
    finished(this.state);
  }
}

/** A plain read: the read barrier's waiter, served at its read point. */
class DataRead extends DataCall implements ReadWaiter {
  readonly kind = 'read';
  private mode: ReadMode = 'linearizable';
  /** The user a restricted connection's read runs as (AclGate.runsAs), fixed at arrival. */
  private user: string | null = null;
  /** CLIENT CACHING applies to this read (taken at arrival). */
  private caching = false;

  /** Sets what the read takes at arrival: the connection's consistency then, its user, CLIENT CACHING. */
  arrived(mode: ReadMode, user: string | null, caching: boolean): this {
    this.mode = mode;
    this.user = user;
    this.caching = caching;
    return this;
  }

  start(): void {
    this.host.node.read(this.mode, this);
  }

  readPoint(error: NodeError | null, clusterTime: number): void {
    const state = this.state;
    // A script call of this connection went through the log after all: read after it (scriptRead).
    if (error === null && state.fence !== null) {
      state.fence.push(() => this.start());
      return;
    }
    if (error !== null) return this.answer(nodeErrorReply(error), 0);
    const host = this.host;
    const begun = performance.now();
    const reply = host.tracking.active
      ? host.tracked(this.conn, this.argv, this.caching, () => host.kv.readCommand(this.command.row, this.argv, clusterTime, this.user, !this.conn.noTouch))
      : host.kv.readCommand(this.command.row, this.argv, clusterTime, this.user, !this.conn.noTouch);
    const now = performance.now();
    this.answer(reply, (now - begun) * 1000, now);
  }
}

/** A plain write: its submission's WriteWaiter, with the connection's request id taken at arrival. */
class DataWrite extends DataCall implements WriteWaiter {
  readonly kind = 'write';
  /** The arguments as the log takes them (AclGate.logForm, fixed at arrival). */
  private logged: readonly Uint8Array[] = [];
  /** The request id's sequence, taken at arrival (nextSeq) as every write's is. */
  private seq = 0;
  private appliedAtSubmit = 0;

  arrived(logged: readonly Uint8Array[], seq: number): this {
    this.logged = logged;
    this.seq = seq;
    return this;
  }

  start(): void {
    this.appliedAtSubmit = this.host.kv.appliedIndex;
    this.host.writes.submit(this.conn.id, this.seq, firstOf(this.state.unanswered, this.seq), this.logged, this);
  }

  written(reply: Reply, executionUsec: number): void {
    this.state.unanswered.delete(this.seq);
    const blocking = this.host.blocking;
    // As in Redis, the clients the write woke here are served before it is answered.
    if (blocking.holdsNoReply) this.answer(reply, executionUsec);
    else blocking.afterWakeUps(this.appliedAtSubmit, () => this.answer(reply, executionUsec));
  }
}

/** EXEC's turn of its entry's reply into its own, before the clients the entry woke are served. */
type Applied = (reply: Reply, then: (reply: Reply) => void) => void;

export interface DispatcherOptions {
  readonly config: ServerConfig;
  readonly kv: KvStateMachine;
  readonly node: RaftNode<Reply>;
  readonly writes: WritePath;
  /** The server's commands beyond the connection and transaction ones: introspection, RAFT.*, membership. */
  readonly serverCommands: readonly ServerCommand[];
  /** Pub/sub's part of each session (src/server/pubsub.ts). */
  readonly subscriptions?: SubscriptionHooks;
  /**
   * Each command answered: its execution on this node in µs (Execution: what the slow log and
   * the latency monitor judge), and its time from dispatch to reply (what the client waited),
   * null for a command run inside EXEC (EXEC's own reply is the one the client waits for).
   */
  readonly answered?: (conn: ClientConnection, command: RegisteredCommand, argv: readonly Buffer[], executionUsec: number, responseUsec: number | null) => void;
  /** True while this node, joined with no state, has not caught up (see CATCHING_UP); absent = never. */
  readonly catchingUp?: () => boolean;
  /** A connected client of this node by id (CLIENT TRACKING's redirection); absent = none. */
  readonly clientById?: (id: number) => ClientConnection | undefined;
  /** tracking-table-max-keys, the node setting; absent = no limit. */
  readonly trackingMaxKeys?: () => number;
  /** SCRIPT KILL / FUNCTION KILL of the script run the cluster's applies are paused in (script-kill.ts); absent: applied as commands. */
  readonly scriptKill?: (which: 'script' | 'function', argv: readonly Buffer[]) => Promise<Reply>;
  /** busy-reply-threshold (lua-time-limit), the node setting, in ms; absent = 5000. */
  readonly busyReplyThresholdMs?: () => number;
}

/** What the dispatcher asks pub/sub about a connection. */
export interface SubscriptionHooks {
  /** In subscribed mode, the reply that replaces the command's own (a refusal, PING's); null = run it. */
  intercept(conn: ClientConnection, name: string, argv: readonly Buffer[]): Reply | null;
  /** RESET, or the client left: it is subscribed to nothing. */
  forget(conn: ClientConnection): void;
  /** The subscribed connections and their channels, patterns and shard channels. */
  subscribed(): Iterable<[ClientConnection, SubscribedChannels]>;
}

const OK: Reply = { kind: 'simple', value: 'OK' };
const QUEUED: Reply = { kind: 'simple', value: 'QUEUED' };

/** Write rows that run a script: served as reads when the script cannot write (Dispatcher.scriptRead). */
const SCRIPT_CALLS: ReadonlySet<string> = new Set(['eval', 'evalsha', 'fcall']);
/** Every command that runs a script or function, read-only forms included. */
const RUNS_SCRIPT: ReadonlySet<string> = new Set([...SCRIPT_CALLS, 'eval_ro', 'evalsha_ro', 'fcall_ro']);

/** Commands that steer a transaction run at once inside MULTI; every other one is queued (Redis's processCommand). */
const RUN_IN_MULTI: ReadonlySet<string> = new Set(['exec', 'discard', 'multi', 'watch', 'reset']);
const BUSY_SCRIPT = errorReply('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.');

/** The subcommands with Redis's allow-busy flag whose command has none: SCRIPT KILL, FUNCTION KILL and FUNCTION STATS. */
function allowedWhileBusy(name: string, argv: readonly Buffer[]): boolean {
  return killCommand(name, argv) !== null || isFunctionStats(name, argv);
}

/** `FUNCTION STATS` (any case, nothing after). */
function isFunctionStats(name: string, argv: readonly Buffer[]): boolean {
  return name === 'function' && argv.length === 2 && (argv[1] as Buffer).toString('latin1').toLowerCase() === 'stats';
}

/** Commands whose first argument names a subcommand, which CLIENT LIST's `cmd` shows ('client|list'). */
const CONTAINER_COMMANDS: ReadonlySet<string> = new Set(['client', 'cluster', 'command', 'config', 'memory', 'object', 'script', 'function', 'xinfo', 'xgroup', 'acl', 'latency', 'slowlog', 'pubsub']);

export class Dispatcher {
  private readonly options: DispatcherOptions;
  private readonly kv: KvStateMachine;
  private readonly node: RaftNode<Reply>;
  private readonly blocking: BlockedClients;
  /** CLIENT PAUSE on this node. */
  private readonly pause = new ClientPause(() => Date.now());
  /** MONITOR clients of this node. */
  private readonly monitors = new Monitors(() => Date.now());
  /** CLIENT TRACKING of this node's clients. */
  private readonly tracking: Tracking;
  /** Every command a client can send. */
  readonly registry: CommandRegistry;
  /** Who each connection is and what it may run (AUTH, NOAUTH, NOPERM, ACL LOG). */
  readonly acl: AclGate;
  commandsProcessed = 0;
  /** What every DataRead and DataWrite shares. */
  private readonly data: DataHost;

  constructor(options: DispatcherOptions) {
    this.options = options;
    this.kv = options.kv;
    this.node = options.node;
    this.blocking = new BlockedClients({
      kv: options.kv, waitersMax: options.config.maxClients, retryDelayMs: options.config.tickMs, now: () => performance.now(),
      // On a follower the leader's answer can come before the entry: wait until it is applied here.
      barrier: (done) => (options.node.isLeader ? done() : options.node.read('linearizable', () => done())),
      holdMaxMs: options.config.requestTimeoutMs,
    });
    this.acl = new AclGate(() => options.kv.acl, (conn) => conn.describe({ ...this.clientFields(conn), user: this.acl.userName(conn) }), {
      protectedMode: options.config.protectedMode && !isLoopbackHost(options.config.listen.host),
      seedConfigured: options.config.requirepass !== null || options.config.aclFile !== null,
      catchingUp: options.catchingUp ?? (() => false),
    });
    this.tracking = new Tracking({
      client: (id) => options.clientById?.(id),
      writer: () => (options.kv.applyingOrigin === options.writes.origin ? options.kv.applyingClient : 0),
      maxKeys: options.trackingMaxKeys ?? (() => 0),
      listen: (on) => {
        options.kv.events.keyChanged = on ? (key) => this.tracking.keyChanged(key) : null;
      },
    });
    // Reads a write entry made for a client of this node (a transaction's, a script's that
    // called a read-only command: its declared keys): the client tracks their keys.
    options.kv.readApplied = (origin, client, argv) => {
      const conn = this.tracking.active && origin === options.writes.origin ? options.clientById?.(client) : undefined;
      if (conn !== undefined) this.rememberKeys(conn, unwrapAsUser(argv)?.argv ?? argv, false);
    };
    const connection = connectionCommands({
      config: options.config,
      tracking: this.tracking,
      acl: this.acl,
      node: options.node,
      consistency: (conn) => this.stateOf(conn).consistency,
      setConsistency: (conn, mode) => {
        this.stateOf(conn).consistency = mode;
      },
      reset: (conn) => this.reset(conn),
      clientFields: (conn) => this.clientFields(conn),
      unblock: (clientId, reply) => this.blocking.unblock(clientId, reply),
      pause: (mode, timeoutMs) => this.pause.pause(mode, timeoutMs),
      unpause: () => this.pause.unpause(),
    });
    const acl = aclCommand({ gate: this.acl, users: () => options.kv.acl, aclFile: options.config.aclFile, lookup: (name) => this.registry.lookup(name) });
    this.registry = new CommandRegistry(options.kv.commands(), [...this.transactionCommands(), this.monitorCommand(), ...connection, acl, ...options.serverCommands]);
    this.data = {
      kv: options.kv, node: options.node, writes: options.writes, blocking: this.blocking, errors: this.registry.errors,
      answer: (conn, command, argv, reply, executionUsec, responseUsec) => this.answer(conn, command, argv, reply, executionUsec, responseUsec),
      tracking: this.tracking,
      tracked: (conn, argv, caching, serve) => this.tracked(conn, argv, caching, serve),
    };
    // ACL rules name server commands too (+ping, +client|id): every node adds the same rows.
    options.kv.addAclCommands([...this.registry.all()].map((command) => command.row));
    this.acl.watch(() => options.subscriptions?.subscribed() ?? []);
    options.kv.scriptCalls = (argv) => this.monitors.feed('lua', argv);
  }

  /** Clients blocked on this node now (INFO blocked_clients): waiting for a key, or paused. */
  get blockedClients(): number {
    return this.blocking.waiting + this.pause.clientsWaiting;
  }

  /**
   * Serves a read of `conn` at its read point; CLIENT TRACKING then remembers the keys it read:
   * a script's declared keys only when it called a read-only command, as in Redis.
   */
  private tracked(conn: ClientConnection, argv: readonly Buffer[], caching: boolean, serve: () => Reply): Reply {
    if (!this.tracking.active) return serve();
    const reads = this.kv.scriptReadCalls;
    const reply = serve();
    const name = (argv[0] as Buffer).toString('latin1').toLowerCase();
    if (!RUNS_SCRIPT.has(name) || this.kv.scriptReadCalls !== reads) this.rememberKeys(conn, argv, caching);
    return reply;
  }

  /** CLIENT TRACKING: `argv`'s keys, read by `conn` (a script's, when it called a read-only command). */
  private rememberKeys(conn: ClientConnection, argv: readonly Uint8Array[], caching: boolean): void {
    const name = Buffer.from(argv[0] ?? new Uint8Array(0)).toString('latin1').toLowerCase();
    this.tracking.remember(conn, commandKeys(name, argv).map((ref) => argv[ref.index] as Uint8Array), caching);
  }

  /** INFO's CLIENT TRACKING fields. */
  trackingStats(): ReturnType<Tracking['stats']> {
    return this.tracking.stats();
  }

  /** A client left, or ended its side (EOF, as Redis frees such a client): it no longer waits for a key. */
  onDisconnect(conn: ClientConnection): void {
    this.blocking.disconnected(conn.id);
    this.monitors.remove(conn);
    this.options.subscriptions?.forget(conn);
    this.acl.forget(conn);
    this.tracking.disable(conn);
  }

  /** The node stops: blocked clients are told so (nothing was popped for them). */
  stop(): void {
    this.blocking.stop();
    this.pause.stop();
  }

  stateOf(conn: ClientConnection): ConnectionState {
    let state = conn.state as ConnectionState | undefined;
    if (state === undefined) {
      state = {
        consistency: this.options.config.readConsistency, seq: 0, unanswered: new Set(), running: 0, runningKind: 'read', waiting: [], draining: false,
        transaction: null, watched: null, watchEpoch: 0, lastCommand: 'NULL', fence: null,
      };
      conn.state = state;
    }
    return state;
  }

  onCommand(conn: ClientConnection, argv: Buffer[], slot: ReplySlot): void {
    this.commandsProcessed++;
    const first = argv[0];
    const state = this.stateOf(conn);
    const command = first === undefined ? undefined : this.registry.lookupBytes(first);
    if (command === undefined) {
      const name = first === undefined ? '' : first.toString('latin1').toLowerCase();
      return this.refuse(state, name, first === undefined ? errorReply('ERR empty command') : unknownCommand(argv), this.sender(slot));
    }
    const name = command.row.name; // the registry's rows are named in lowercase
    state.lastCommand = CONTAINER_COMMANDS.has(name) && argv.length > 1 ? `${name}|${(argv[1] as Buffer).toString('latin1').toLowerCase()}` : name;
    const arityError = commandArityError(command.row, argv);
    if (arityError !== null) return this.refuseCommand(state, command, argv, arityError, slot);
    const transaction = state.transaction;
    // Permissions are checked here, once; inside MULTI at queue time, as Redis does.
    const denied = this.acl.admit(conn, command.row, argv, transaction === null ? 'toplevel' : 'multi');
    if (denied !== null) return this.refuseCommand(state, command, argv, denied, slot);
    const busy = this.busyRefusal(command, argv);
    if (busy !== null) return this.refuseCommand(state, command, argv, busy, slot);
    const kill = transaction === null && this.options.scriptKill !== undefined ? killCommand(name, argv) : null;
    if (kill !== null) {
      // Decided by the leader while the script runs (script-kill.ts), not applied behind it.
      void this.options.scriptKill?.(kill, argv).then((reply) => sendCounted(slot, this.registry.errors, reply));
      return;
    }
    const running = transaction === null ? this.functionStatsWhilePaused(name, argv) : null;
    if (running !== null) return sendCounted(slot, this.registry.errors, running);
    if (transaction !== null && !RUN_IN_MULTI.has(name)) {
      // Like Redis, only existence, arity and the no-multi flag are checked when queueing: a
      // bad argument is that command's error inside EXEC's reply and does not abort the rest.
      if ((command.row.flags as readonly string[]).includes('no_multi')) return this.refuseCommand(state, command, argv, errorReply('ERR Command not allowed inside a transaction'), slot);
      transaction.queued.push({ argv: command.kind === 'data' ? this.acl.logForm(conn, command.row, argv) : argv, command });
      return slot.send(QUEUED);
    }
    // CLIENT PAUSE: checked like Redis after arity and permissions, so refusals answer at once.
    // With no pause in force (the common case) nothing is held, and no closure is made to ask.
    if (this.pause.idle || !this.pause.holds(conn, () => this.writes(command, state, argv))) return this.runAdmitted(conn, state, command, argv, slot);
    const paused = this.pause.postpone(conn, () => this.runAdmitted(conn, state, command, argv, slot));
    // A script call counts as its script's flags say, and this node may not have applied yet
    // the SCRIPT LOAD or FUNCTION LOAD its client saw answered: judged again at a read point.
    if (SCRIPT_CALLS.has(name)) this.node.read('linearizable', (error) => {
      if (error === null && !this.writes(command, state, argv)) this.pause.release(paused);
    });
  }

  /**
   * BUSY, as Redis answers while a script has run past busy-reply-threshold: here, while an
   * entry's apply has been paused in a script run that long, for every command without Redis's
   * allow-busy flag. Null when no script runs that long, or the command may run meanwhile.
   */
  private busyRefusal(command: RegisteredCommand, argv: readonly Buffer[]): Reply | null {
    const pausedMs = this.node.applyPausedMs();
    if (pausedMs < 0 || pausedMs < (this.options.busyReplyThresholdMs?.() ?? 5000)) return null;
    if ((command.row.flags as readonly string[]).includes('allow_busy') || allowedWhileBusy(command.row.name, argv)) return null;
    return BUSY_SCRIPT;
  }

  /**
   * FUNCTION STATS while this node's apply is paused in a script run: answered here, as Redis
   * answers it during a run (through the log it would wait for the run's end): the function
   * running, or BUSY for a script (EVAL). Null for any other command, or with no paused run.
   */
  private functionStatsWhilePaused(name: string, argv: readonly Buffer[]): Reply | null {
    const run = this.node.pausedScript;
    if (run === null || !isFunctionStats(name, argv)) return null;
    if (!run.isFunction) return BUSY_SCRIPT;
    return this.options.kv.functionStats({ name: run.name, command: run.command, durationMs: Math.max(0, this.node.applyPausedMs()) });
  }

  /** Sends a refusal to `slot`, counted in INFO errorstats. */
  private sender(slot: ReplySlot): (reply: Reply) => void {
    return (refusal) => sendCounted(slot, this.registry.errors, refusal);
  }

  /** A known command refused before it ran (arity, permissions, MULTI): counted as rejected. */
  private refuseCommand(state: ConnectionState, command: RegisteredCommand, argv: readonly Buffer[], reply: Reply, slot: ReplySlot): void {
    this.registry.countersOf(command, argv).rejected++;
    this.refuse(state, command.row.name, reply, this.sender(slot));
  }

  /** Runs a command that was admitted and is neither queued in MULTI nor held by CLIENT PAUSE. */
  private runAdmitted(conn: ClientConnection, state: ConnectionState, command: RegisteredCommand, argv: Buffer[], slot: ReplySlot): void {
    const name = command.row.name;
    // MONITOR shows what runs, admin commands aside; EXEC shows its queued commands itself.
    if (this.monitors.active && name !== 'exec' && !(command.row.flags as readonly string[]).includes('admin')) this.monitors.feed(conn.address, argv);
    const started = performance.now();
    const intercepted = this.options.subscriptions?.intercept(conn, name, argv) ?? null;
    if (intercepted === null && command.kind === 'data' && (this.plainRead(conn, state, command, argv, slot, started) || this.plainWrite(conn, state, command, argv, slot, started))) return;
    const errors = this.registry.errors;
    const execution: Execution = { usec: 0 };
    /** True while a server command runs synchronously: its time so far is its execution. */
    let serverRunning = false;
    const done = (reply: Reply): void => {
      const responseUsec = (performance.now() - started) * 1000;
      if (execution.calls !== undefined) this.registry.countScriptCalls(execution.calls);
      this.answer(conn, command, argv, reply, serverRunning ? responseUsec : execution.usec, responseUsec);
      sendCounted(slot, errors, reply);
    };
    if (intercepted !== null) return done(intercepted);
    if (command.kind === 'data') return this.runData(conn, state, command.row, argv, done, execution);
    if (this.tracking.active) this.tracking.takeCaching(conn, name);
    // A server command's own work is its run on this node, until it answers or hands a
    // change to the log (CONFIG SET of a replicated setting): the wait is not its work.
    serverRunning = true;
    command.row.run(this.serverCall(conn, state, argv, done, 'in turn', execution));
    serverRunning = false;
    execution.usec = (performance.now() - started) * 1000;
  }

  /** Counts a command that ran (INFO commandstats, LATENCY HISTOGRAM) and reports it (the slow log). */
  private answer(conn: ClientConnection, command: RegisteredCommand, argv: readonly Buffer[], reply: Reply, executionUsec: number, responseUsec: number | null): void {
    const usec = Math.round(executionUsec);
    this.registry.countersOf(command, argv).record(usec, reply.kind === 'error');
    this.options.answered?.(conn, command, argv, usec, responseUsec === null ? null : Math.round(responseUsec));
  }

  /**
   * Whether CLIENT PAUSE WRITE holds a command (heldByWritePause): EXEC when a command it
   * queued would be held, as Redis judges a transaction by its queued commands' flags.
   */
  private writes(command: RegisteredCommand, state: ConnectionState, argv: readonly Buffer[]): boolean {
    const held = (row: RegisteredCommand['row'], args: readonly Buffer[]): boolean => heldByWritePause(row, args, () => this.scriptCannotWrite(args));
    // A restricted user's queued script call is kept in its log form (RAFTIS.AS-USER user ...).
    if (command.row.name === 'exec') return state.transaction?.queued.some((queued) => held(queued.command.row, (unwrapAsUser(queued.argv)?.argv ?? queued.argv) as Buffer[])) ?? false;
    return held(command.row, argv);
  }

  /** An EVAL whose shebang declares no-writes (cached or not), or a cached script or function that does. */
  private scriptCannotWrite(argv: readonly Buffer[]): boolean {
    if (argv[0]?.toString('latin1').toLowerCase() === 'eval' && argv[1] !== undefined) {
      const flags = parseShebang(argv[1]);
      if (!(flags instanceof CommandError) && flags.noWrites) return true;
    }
    return this.kv.scriptCannotWrite(argv);
  }

  /**
   * A command refused before it ran. Inside MULTI that aborts the transaction (EXEC answers
   * EXECABORT), as in Redis; a refused EXEC itself discards the transaction, in or out of MULTI.
   */
  private refuse(state: ConnectionState, name: string, reply: Reply, done: (reply: Reply) => void): void {
    if (name === 'exec' && reply.kind === 'error') {
      state.transaction = null;
      this.unwatch(state);
      return done(errorReply(`EXECABORT Transaction discarded because of: ${reply.message.replace(/^ERR /, '')}`));
    }
    if (state.transaction !== null) state.transaction.aborted = true;
    done(reply);
  }

  /**
   * Starts a plain read (a data command that neither writes, blocks nor runs a script, with
   * valid arguments) as one DataRead, and returns true; false leaves the command to runData.
   */
  private plainRead(conn: ClientConnection, state: ConnectionState, command: DataCommand, argv: Buffer[], slot: ReplySlot, started: number): boolean {
    const spec = command.row;
    const flags = spec.flags as readonly string[];
    if (flags.includes('write') || RUNS_SCRIPT.has(spec.name) || (flags.includes('blocking') && mayBlock(argv))) return false;
    if (spec.validate !== undefined && spec.validate(argv) !== null) return false; // runData answers the error
    // The connection's consistency as set when the read arrived, even if it waits.
    const caching = this.tracking.active && this.tracking.takeCaching(conn, spec.name);
    const read = new DataRead(this.data, conn, state, command, argv, slot, started).arrived(state.consistency, this.acl.runsAs(conn, spec), caching);
    if (startNow(state, 'read')) read.start();
    else state.waiting.push(read);
    return true;
  }

  /**
   * Starts a plain write (a data command that writes, neither blocks nor runs a script, with
   * valid arguments, on a node whose disk takes writes) as one DataWrite, and returns true;
   * false leaves the command to runData.
   */
  private plainWrite(conn: ClientConnection, state: ConnectionState, command: DataCommand, argv: Buffer[], slot: ReplySlot, started: number): boolean {
    const spec = command.row;
    const flags = spec.flags as readonly string[];
    if (!flags.includes('write') || SCRIPT_CALLS.has(spec.name) || (flags.includes('blocking') && mayBlock(argv))) return false;
    if ((spec.validate !== undefined && spec.validate(argv) !== null) || this.options.node.diskFull !== null) return false; // runData answers
    if (this.tracking.active) this.tracking.takeCaching(conn, spec.name);
    const write = new DataWrite(this.data, conn, state, command, argv, slot, started).arrived(this.acl.logForm(conn, spec, argv), nextSeq(state));
    if (startNow(state, 'write')) write.start();
    else state.waiting.push(write);
    return true;
  }

  /** A data command that is not a plain read (plainRead) or write (plainWrite), or whose arguments are refused. */
  private runData(conn: ClientConnection, state: ConnectionState, spec: CommandSpec, argv: Buffer[], done: (reply: Reply) => void, execution: Execution): void {
    const invalid = spec.validate === undefined ? null : spec.validate(argv);
    if (invalid !== null) return done(invalid);
    if (this.tracking.active) this.tracking.takeCaching(conn, spec.name);
    if (spec.flags.includes('blocking') && mayBlock(argv)) this.inOrder(state, 'block', done, (finish) => this.blocking.run(conn.id, argv, this.waiterWrites(conn, state, execution), finish));
    else if (RUNS_SCRIPT.has(spec.name) && (!SCRIPT_CALLS.has(spec.name) || this.kv.scriptCannotWrite(argv))) this.scriptRead(conn, state, spec, argv, done, execution);
    else if (spec.flags.includes('write')) this.write(conn, state, this.acl.logForm(conn, spec, argv), done, execution);
    else throw new Error(`dispatch: the read ${spec.name} reached runData (plainRead serves every valid read)`);
  }

  /**
   * EVAL_RO, EVALSHA_RO, FCALL_RO, or EVAL, EVALSHA or FCALL of a script that cannot write,
   * served like a read: at a read point of the connection's consistency, on this node, without
   * a log entry. Should the read point find that it can write after all (a SCRIPT FLUSH or
   * FUNCTION LOAD REPLACE came between), or the run outlast one slice (--script-slice-ms: this
   * node's event loop must not stop for it), it is proposed as the command it is, run in slices
   * by every replica (KvStateMachine.readScript), and the connection's later reads wait for it
   * (the fence).
   */
  private scriptRead(conn: ClientConnection, state: ConnectionState, spec: CommandSpec, argv: Buffer[], done: (reply: Reply) => void, execution: Execution): void {
    const mode = state.consistency;
    const user = this.acl.runsAs(conn, spec);
    const serve = (clusterTime: number): Reply => this.tracked(conn, argv, false, () => timed(execution, () => {
      const reply = this.kv.readScript(argv, clusterTime, user, this.node.readScriptSlice());
      // An abandoned run's calls are not counted: the run through the log counts its own.
      if (reply !== scriptNeedsLog) addCalls(execution, this.kv.lastReadCalls);
      return reply;
    }));
    this.inOrder(state, 'read', done, (finish) => this.connectionRead(state, mode, serve, (reply) => {
      if (reply !== scriptNeedsLog) return finish(reply);
      const fence: (() => void)[] = state.fence ?? [];
      state.fence = fence;
      const seq = nextSeq(state);
      this.options.writes.submit(conn.id, seq, firstOf(state.unanswered, seq), this.acl.logForm(conn, spec, argv), {
        written: (written, usec, calls) => {
          execution.usec += usec;
          addCalls(execution, calls);
          state.unanswered.delete(seq);
          if (state.fence === fence) state.fence = null;
          finish(written);
          for (const resume of fence) resume();
        },
      });
    }));
  }

  /**
   * One read of the connection once the barrier for `mode` is passed, or after the connection's
   * fence is lifted. A barrier that fails answers its error, or (`serve-local`) this node's state.
   */
  private connectionRead(state: ConnectionState, mode: ReadMode, serve: (clusterTime: number) => Reply, done: (reply: Reply) => void, failed: ReadFailure = 'refuse'): void {
    if (failed === 'local') return done(serve(this.node.clusterTime()));
    this.node.read(mode, (error, clusterTime) => {
      if (error !== null) return done(failed === 'refuse' ? nodeErrorReply(error) : serve(this.node.clusterTime()));
      if (state.fence !== null) state.fence.push(() => this.connectionRead(state, mode, serve, done, failed));
      else done(serve(clusterTime));
    });
  }

  /**
   * A server command's call: its reads and writes take their turn among the connection's
   * commands ('in turn'), except inside EXEC ('exec holds the turn'), where the transaction
   * holds the connection's turn until it answers: waiting for a turn there would wait for EXEC
   * itself. A read point taken there still covers the transaction's entry, answered before.
   * A read's serving and a write's apply on the leader add to `execution`.
   */
  private serverCall(conn: ClientConnection, state: ConnectionState, argv: Buffer[], done: (reply: Reply) => void, turn: 'in turn' | 'exec holds the turn', execution: Execution | null): ServerCall {
    const mode = state.consistency; // as set when the command arrived
    const timedServe = (serve: (clusterTime: number) => Reply) => (clusterTime: number): Reply => (execution === null ? serve(clusterTime) : timed(execution, () => serve(clusterTime)));
    const spent = (usec: number): void => {
      if (execution !== null) execution.usec += usec;
    };
    if (turn === 'exec holds the turn') {
      return {
        conn, argv, done, spent,
        read: (serve, answer, failed) => this.connectionRead(state, mode, timedServe(serve), answer, failed),
        write: (entry, answer) => this.writeNow(conn, state, entry, this.onceAppliedHere(answer), execution),
      };
    }
    return {
      conn, argv, done, spent,
      read: (serve, answer, failed) => this.inOrder(state, 'read', answer, (finish) => this.connectionRead(state, mode, timedServe(serve), finish, failed)),
      write: (entry, answer) => this.write(conn, state, entry, this.onceAppliedHere(answer), execution),
    };
  }

  /**
   * A server command's write (ACL SETUSER, CONFIG SET, FUNCTION LOAD, ...) is answered once this
   * node has applied it: a follower relays the leader's reply as soon as it comes, possibly
   * before the commit index reaches it, and checks made here at dispatch (ACL rules, settings)
   * would not see the change yet. A follower waits for a read point (ReadIndex: its apply at or
   * past the leader's commit, which covers the write). Data writes do not wait: the reads that
   * follow them take a read point of their own. A failed read point still answers the reply.
   */
  private onceAppliedHere(answer: (reply: Reply) => void): (reply: Reply) => void {
    return (reply) => {
      if (this.node.isLeader) return answer(reply);
      this.node.read('linearizable', () => answer(reply));
    };
  }

  /**
   * Runs `run` once the connection's earlier commands of the other kind have finished (the
   * common case, no change of kind in flight, starts at once with no queue entry).
   */
  private inOrder(state: ConnectionState, kind: CommandKind, done: (reply: Reply) => void, run: (finish: (reply: Reply) => void) => void): void {
    const finish = (reply: Reply): void => {
      done(reply);
      finished(state);
    };
    if (startNow(state, kind)) run(finish);
    else state.waiting.push({ kind, start: () => run(finish) });
  }

  /**
   * One log entry with the connection's next request id; `argv` may be made only when the
   * write starts. `applied` (EXEC's) turns the entry's reply into the command's before the
   * clients the entry woke are served, as Redis runs a whole command before serving them.
   */
  private write(
    conn: ClientConnection, state: ConnectionState, argv: readonly Uint8Array[] | (() => readonly Uint8Array[]), done: (reply: Reply) => void,
    execution: Execution | null, applied?: Applied,
  ): void {
    const refused = this.diskFullRefusal();
    if (refused !== null) return done(refused);
    const seq = nextSeq(state);
    // inOrder's steps written out: its `finish` closure would live until the entry commits
    // (10–40 ms under load), and every young-generation collection meanwhile copies what a
    // pipelined write keeps; submit finishes the turn itself.
    const start = (): void => this.submit(conn, state, seq, typeof argv === 'function' ? argv() : argv, done, execution, applied, true);
    if (startNow(state, 'write')) start();
    else state.waiting.push({ kind: 'write', start });
  }

  /** write(), proposed now: the caller holds the connection's turn. */
  private writeNow(conn: ClientConnection, state: ConnectionState, argv: readonly Uint8Array[], done: (reply: Reply) => void, execution: Execution | null, applied?: Applied): void {
    const refused = this.diskFullRefusal();
    if (refused !== null) return done(refused);
    this.submit(conn, state, nextSeq(state), argv, done, execution, applied, false);
  }

  private diskFullRefusal(): Reply | null {
    const diskFull = this.options.node.diskFull;
    return diskFull === null ? null : errorReply(`${DISK_FULL_PREFIX}${diskFull}`);
  }

  /**
   * Proposes the write; `inTurn`: it counts as one of the connection's running commands
   * (startNow), finished once answered (inOrder's finish), else the caller holds the turn.
   */
  private submit(
    conn: ClientConnection, state: ConnectionState, seq: number, argv: readonly Uint8Array[], done: (reply: Reply) => void,
    execution: Execution | null, applied: Applied | undefined, inTurn: boolean,
  ): void {
    const appliedAtSubmit = this.kv.appliedIndex;
    const written = (reply: Reply, usec: number, calls?: readonly ScriptCall[] | null): void => {
      state.unanswered.delete(seq);
      if (execution !== null) execution.usec += usec;
      addCalls(execution, calls);
      const finish = (final: Reply): void => {
        done(final);
        if (inTurn) finished(state);
      };
      // As in Redis, the clients the write woke here are served before it is answered.
      if (applied === undefined && this.blocking.holdsNoReply) return finish(reply);
      const answer = (final: Reply): void => this.blocking.afterWakeUps(appliedAtSubmit, () => finish(final));
      if (applied === undefined) answer(reply);
      else applied(reply, answer);
    };
    this.options.writes.submit(conn.id, seq, firstOf(state.unanswered, seq), argv, { written });
  }

  /** The connection's request ids and write path, for a blocked client's writes; each attempt adds to its execution. */
  private waiterWrites(conn: ClientConnection, state: ConnectionState, execution: Execution): WaiterWrites {
    const writes = this.options.writes;
    return {
      begin: () => nextSeq(state),
      submit: (seq, argv, done) => writes.submit(conn.id, seq, firstOf(state.unanswered, seq), argv, {
        written: (reply, usec) => {
          execution.usec += usec;
          done(reply);
        },
      }),
      end: (seq) => state.unanswered.delete(seq),
      get closed() {
        return conn.closed;
      },
    };
  }

  /** Ends the connection's watches, including a WATCH still waiting for its read point. */
  private unwatch(state: ConnectionState): void {
    state.watched = null;
    state.watchEpoch++;
  }

  /** RESET: the connection's transaction, watches and read consistency back to a new connection's. */
  private reset(conn: ClientConnection): void {
    const state = this.stateOf(conn);
    state.transaction = null;
    this.unwatch(state);
    state.consistency = this.options.config.readConsistency;
    this.monitors.remove(conn);
    this.options.subscriptions?.forget(conn);
    this.tracking.disable(conn);
  }

  /** CLIENT LIST's server-side fields: flags (x in MULTI, b blocked, T no-touch, else N), MULTI queue length, last command. */
  private clientFields(conn: ClientConnection): { flags: string; multi: number; cmd: string } {
    const state = this.stateOf(conn);
    const transaction = state.transaction;
    const flags = (transaction !== null ? 'x' : '') + (this.blocking.isBlocked(conn.id) ? 'b' : '') + this.tracking.flags(conn) + (conn.noTouch ? 'T' : '');
    return { flags: flags === '' ? 'N' : flags, multi: transaction === null ? -1 : transaction.queued.length, cmd: state.lastCommand };
  }

  /**
   * MULTI, EXEC, DISCARD, WATCH and UNWATCH. EXEC proposes the queued data commands and the
   * watched keys' versions as one log entry (kv/transaction.ts); the queued server commands
   * (PING, INFO, CLIENT, ...) run, in their queued order, once that entry has been answered,
   * and each reply takes its command's place in EXEC's reply.
   */
  private transactionCommands(): ServerCommand[] {
    const steering = ['noscript', 'loading', 'stale', 'fast', 'allow_busy'] as const;
    return [
      serverCommand('multi', 1, steering, ({ conn, done }) => {
        const state = this.stateOf(conn);
        if (state.transaction !== null) return done(errorReply('ERR MULTI calls can not be nested'));
        state.transaction = { queued: [], aborted: false };
        done(OK);
      }),
      serverCommand('discard', 1, steering, ({ conn, done }) => {
        const state = this.stateOf(conn);
        if (state.transaction === null) return done(errorReply('ERR DISCARD without MULTI'));
        state.transaction = null;
        this.unwatch(state);
        done(OK);
      }),
      serverCommand('exec', 1, ['noscript', 'loading', 'stale', 'skip_slowlog'], (call) => this.exec(call)),
      serverCommand('watch', -2, steering, (call) => this.watch(call), [1, -1, 1]),
      serverCommand('unwatch', 1, steering, ({ conn, done }) => {
        this.unwatch(this.stateOf(conn));
        done(OK);
      }),
    ];
  }

  /** MONITOR: this connection is shown every command this node's clients run from now on (monitor.ts). */
  private monitorCommand(): ServerCommand {
    return serverCommand('monitor', 1, ['admin', 'noscript', 'loading', 'stale', 'no_multi'], ({ conn, done }) => {
      this.monitors.add(conn);
      done(OK);
    });
  }

  private exec({ conn, argv, done }: ServerCall): void {
    const state = this.stateOf(conn);
    const transaction = state.transaction;
    if (this.monitors.active) {
      for (const queued of transaction === null || transaction.aborted ? [] : transaction.queued) this.monitors.feed(conn.address, queued.argv);
      this.monitors.feed(conn.address, argv);
    }
    if (transaction === null) return done(errorReply('ERR EXEC without MULTI'));
    state.transaction = null;
    if (transaction.aborted) {
      this.unwatch(state);
      return done(errorReply('EXECABORT Transaction discarded because of previous errors.'));
    }
    const queued = transaction.queued;
    const data = queued.filter((one) => one.command.kind === 'data').map((one) => one.argv);
    // The watches are taken when the entry is made, after every earlier read of the
    // connection, so a WATCH pipelined before MULTI has recorded its versions by then.
    const entry = (): readonly Uint8Array[] => {
      const watches = [...(state.watched?.values() ?? [])];
      this.unwatch(state);
      return encodeTransaction({ watches, commands: data });
    };
    const execution: Execution = { usec: 0 };
    const applied: Applied = (reply, then) => {
      if (reply.kind !== 'array' || reply.value === null) return then(reply); // a watched key changed, or the write failed
      this.runQueued(conn, state, queued, reply.value, execution.usec, then);
    };
    // Only data commands: the transaction is one write among the connection's others.
    if (data.length === queued.length && (data.length > 0 || state.watched !== null)) return this.write(conn, state, entry, done, execution, applied);
    // Server commands queued (or nothing at all): EXEC holds the connection's turn until its
    // last queued command has answered, so they run after the entry and before anything the
    // connection sent after EXEC, and their own reads and writes go at once (serverCall).
    this.inOrder(state, 'block', done, (finish) => {
      if (data.length > 0 || state.watched !== null) return this.writeNow(conn, state, entry(), finish, execution, applied);
      this.unwatch(state); // a WATCH that ended meanwhile
      this.runQueued(conn, state, queued, [], 0, finish);
    });
  }

  /**
   * EXEC's reply: the queued commands in order, a data command's reply from `dataReplies`
   * (the transaction entry's, in the same order), a server command's from running it now.
   * Each is counted and reported as run, as Redis reports the commands of a transaction
   * (EXEC itself stays out of the slow log): a server command with its own run's time, a data
   * command with an equal share of `entryUsec`, the time the whole entry took to apply (the
   * state machine runs the transaction as one, untimed inside).
   */
  private runQueued(conn: ClientConnection, state: ConnectionState, queued: readonly QueuedCommand[], dataReplies: readonly Reply[], entryUsec: number, done: (reply: Reply) => void): void {
    const replies: Reply[] = [];
    const shareUsec = entryUsec / Math.max(1, dataReplies.length);
    let nextData = 0;
    const from = (start: number): void => {
      for (let i = start; i < queued.length; i++) {
        const { command, argv: logArgv } = queued[i] as QueuedCommand;
        // A restricted user's script call is queued in its log form (RAFTIS.AS-USER user ...).
        const argv = (unwrapAsUser(logArgv)?.argv ?? logArgv) as Buffer[];
        if (command.kind === 'data') {
          const reply = dataReplies[nextData++] ?? errorReply('ERR internal error: the transaction entry answered fewer commands than it holds');
          this.answer(conn, command, argv, reply, shareUsec, null);
          replies.push(reply);
          continue;
        }
        let answered: Reply | null = null;
        let running = true;
        const started = performance.now();
        // Its run, then whatever it counts as work while it answers later (DEBUG SLEEP, its reads).
        const own: Execution = { usec: 0 };
        command.row.run(this.serverCall(conn, state, argv, (reply) => {
          this.answer(conn, command, argv, reply, running ? (performance.now() - started) * 1000 : own.usec, null);
          if (running) answered = reply;
          else {
            replies.push(reply);
            from(i + 1);
          }
        }, 'exec holds the turn', own));
        running = false;
        own.usec = (performance.now() - started) * 1000;
        if (answered === null) return; // answers later: the loop goes on from its callback
        replies.push(answered);
      }
      done({ kind: 'array', value: replies });
    };
    from(0);
  }

  private watch({ conn, argv, done }: ServerCall): void {
    const state = this.stateOf(conn);
    if (state.transaction !== null) return done(errorReply('ERR WATCH inside MULTI is not allowed'));
    // The versions are read at a read point of the connection's consistency, after its
    // earlier writes. A stale version only makes EXEC fail: the state machine compares
    // with the versions at the transaction's own index.
    const mode = state.consistency;
    const keys = argv.slice(1);
    const epoch = state.watchEpoch;
    this.inOrder(state, 'read', done, (finish) => this.node.read(mode, (error, clusterTime) => {
      if (error !== null) return finish(nodeErrorReply(error));
      if (state.watchEpoch !== epoch) return finish(OK); // unwatched meanwhile
      const watched = state.watched ?? new Map<string, WatchedKey>();
      for (const key of keys) {
        const text = key.toString('latin1');
        if (!watched.has(text)) watched.set(text, { key, version: this.kv.keyVersion(key, clusterTime) });
      }
      state.watched = watched;
      finish(OK);
    }));
  }
}

/**
 * A write refused because this node's disk is full (as Redis's MISCONF when it cannot
 * persist): it was not applied; reads go on, and writes are taken again as soon as the node's
 * WAL can be written (it retries by itself).
 */
export const DISK_FULL_PREFIX = 'MISCONF writes are refused on this node while its disk is full (reads go on; it retries by itself): ';

/** Runs `run`, adding its time to `execution`. */
function timed<T>(execution: Execution, run: () => T): T {
  const started = performance.now();
  try {
    return run();
  } finally {
    execution.usec += (performance.now() - started) * 1000;
  }
}

/** Sends a reply, counting it in INFO errorstats when it is an error not counted where it arose (Reply's `counted`). */
function sendCounted(slot: ReplySlot, errors: ErrorCounters, reply: Reply): void {
  if (reply.kind === 'error' && reply.counted !== true) errors.count(reply.message);
  slot.send(reply);
}

/** The connection's next request id, unanswered until its reply comes. */
function nextSeq(state: ConnectionState): number {
  const seq = ++state.seq;
  state.unanswered.add(seq);
  return seq;
}

/** The first element of an insertion-ordered set, or `fallback` when it is empty. */
function firstOf(seqs: ReadonlySet<number>, fallback: number): number {
  const first = seqs.values().next();
  return first.done === true ? fallback : first.value;
}

/**
 * True (and counted as running) when a data command of `kind` may start now: it can neither
 * overtake nor be overtaken by one of the other kind. Otherwise the caller queues it.
 */
function startNow(state: ConnectionState, kind: CommandKind): boolean {
  if (state.running !== 0 && (state.runningKind !== kind || kind === 'block' || state.waiting.length !== 0)) return false;
  state.runningKind = kind;
  state.running++;
  return true;
}

/** One data command was answered: when none is left running, start the next run of one kind. */
function finished(state: ConnectionState): void {
  if (state.running <= 0) throw new Error(`dispatch: a command finished with running=${state.running} (each must finish once)`);
  state.running--;
  if (state.draining) return;
  state.draining = true;
  try {
    while (state.running === 0 && state.waiting.length > 0) {
      const kind = state.waiting[0]?.kind ?? 'read';
      let count = 0;
      while (state.waiting[count]?.kind === kind && (kind !== 'block' || count === 0)) count++;
      const batch = state.waiting.splice(0, count);
      state.runningKind = kind;
      state.running += batch.length;
      for (const command of batch) command.start();
    }
  } finally {
    state.draining = false;
  }
}

/** Whether a listen host is loopback only (protected mode applies beyond it). */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
