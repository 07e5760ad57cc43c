// Routes each client command: connection and admin commands are answered here; data
// commands go to the write path (one log entry) or the read path (a read barrier at the
// connection's consistency level, then a read of the local state machine).

import type { KvStateMachine } from '../kv/state-machine.js';
import type { Reply } from '../kv/reply.js';
import type { RaftNode, ReadMode } from '../node/raft-node.js';
import type { ClientConnection, ReplySlot } from '../resp/server.js';
import { READ_CONSISTENCIES, type ReadConsistency, type ServerConfig } from './config.js';
import { errorReply, nodeErrorReply } from './errors.js';
import type { WritePath } from './write-path.js';
import { encodeTransaction, type WatchedKey } from '../kv/transaction.js';
import { BlockedClients, type WaiterWrites } from './blocking.js';

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
   * (EXEC then answers EXECABORT). `unwatches` are the places among the queued replies of
   * UNWATCHes queued meanwhile: Redis queues UNWATCH and answers OK for it in EXEC's reply,
   * where it does nothing (EXEC unwatches anyway), so it is not proposed.
   */
  transaction: { readonly queued: Buffer[][]; readonly unwatches: number[]; aborted: boolean } | null;
  /** Keys watched since WATCH (by their latin1 text) with the version each had, or null. */
  watched: Map<string, WatchedKey> | null;
  /**
   * Bumped whenever the watches end (EXEC, DISCARD, UNWATCH, RESET): a WATCH still waiting
   * for its read point when that happened records nothing.
   */
  watchEpoch: number;
}

/** 'block' (a blocking command) runs alone: what the connection sent after it waits, as in Redis. */
type CommandKind = 'read' | 'write' | 'block';

export interface AdminCommands {
  /** Returns a reply for RAFT.* and INFO-style commands that need the whole server. */
  handle(name: string, argv: readonly Buffer[], conn: ClientConnection, done: (reply: Reply) => void): boolean;
}

export interface DispatcherOptions {
  readonly config: ServerConfig;
  readonly kv: KvStateMachine;
  readonly node: RaftNode<Reply>;
  readonly writes: WritePath;
  readonly admin: AdminCommands;
}

const OK: Reply = { kind: 'simple', value: 'OK' };
const PONG: Reply = { kind: 'simple', value: 'PONG' };
const QUEUED: Reply = { kind: 'simple', value: 'QUEUED' };

export class Dispatcher {
  private readonly options: DispatcherOptions;
  private readonly kv: KvStateMachine;
  private readonly node: RaftNode<Reply>;
  private readonly blocking: BlockedClients;
  commandsProcessed = 0;

  constructor(options: DispatcherOptions) {
    this.options = options;
    this.kv = options.kv;
    this.node = options.node;
    this.blocking = new BlockedClients({ kv: options.kv, waitersMax: options.config.maxClients, retryDelayMs: options.config.tickMs, now: () => performance.now() });
  }

  /** Clients blocked on this node now (INFO blocked_clients). */
  get blockedClients(): number {
    return this.blocking.waiting;
  }

  /** A client left, or ended its side (EOF, as Redis frees such a client): it no longer waits for a key. */
  onDisconnect(conn: ClientConnection): void {
    this.blocking.disconnected(conn.id);
  }

  /** The node stops: blocked clients are told so (nothing was popped for them). */
  stop(): void {
    this.blocking.stop();
  }

  stateOf(conn: ClientConnection): ConnectionState {
    let state = conn.state as ConnectionState | undefined;
    if (state === undefined) {
      state = {
        consistency: this.options.config.readConsistency, seq: 0, unanswered: new Set(), running: 0, runningKind: 'read', waiting: [], draining: false,
        transaction: null, watched: null, watchEpoch: 0,
      };
      conn.state = state;
    }
    return state;
  }

  onCommand(conn: ClientConnection, argv: Buffer[], slot: ReplySlot): void {
    this.commandsProcessed++;
    const first = argv[0];
    if (first === undefined) return slot.send(errorReply('ERR empty command'));
    const name = first.toString('latin1').toLowerCase();
    const done = (reply: Reply): void => slot.send(reply);
    if (this.transactionCommand(name, argv, conn, done)) return;
    if (this.connectionCommand(name, argv, conn, done)) return;
    if (this.options.admin.handle(name, argv, conn, done)) return;

    const spec = this.kv.lookup(name);
    // Internal commands (RAFTIS.EXPIRE) are proposed by the leader itself, never by clients.
    if (spec === undefined || spec.flags.includes('internal')) return done(unknownCommand(first, argv));
    const invalid = this.kv.validate(argv);
    if (invalid !== null) return done(invalid);
    const state = this.stateOf(conn);
    if (spec.flags.includes('blocking')) this.inOrder(state, 'block', done, (finish) => this.blocking.run(conn.id, argv, this.waiterWrites(conn, state), finish));
    else if (spec.flags.includes('write')) this.write(conn, state, argv, done);
    else {
      const mode = state.consistency; // as set when the read arrived, even if it waits
      this.inOrder(state, 'read', done, (finish) => this.read(mode, argv, finish));
    }
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

  /** One log entry with the connection's next request id; `argv` may be made only when the write starts. */
  private write(conn: ClientConnection, state: ConnectionState, argv: readonly Uint8Array[] | (() => readonly Uint8Array[]), done: (reply: Reply) => void): void {
    const seq = nextSeq(state);
    this.inOrder(state, 'write', done, (finish) => this.options.writes.submit(conn.id, seq, firstOf(state.unanswered, seq), typeof argv === 'function' ? argv() : argv, (reply) => {
      state.unanswered.delete(seq);
      finish(reply);
    }));
  }

  /** The connection's request ids and write path, for a blocked client's writes. */
  private waiterWrites(conn: ClientConnection, state: ConnectionState): WaiterWrites {
    const writes = this.options.writes;
    return {
      begin: () => nextSeq(state),
      submit: (seq, argv, done) => writes.submit(conn.id, seq, firstOf(state.unanswered, seq), argv, done),
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

  /**
   * MULTI, EXEC, DISCARD, WATCH and UNWATCH, and every data command while a MULTI is open
   * (queued). EXEC proposes the queued commands and the watched keys' versions as one log
   * entry (kv/transaction.ts). Inside MULTI only data commands are queued; others are refused
   * and abort the transaction, except RESET, which ends it.
   */
  private transactionCommand(name: string, argv: Buffer[], conn: ClientConnection, done: (reply: Reply) => void): boolean {
    const state = this.stateOf(conn);
    switch (name) {
      case 'multi':
        if (argv.length !== 1) this.refuseArity(state, name, done);
        else if (state.transaction !== null) done(errorReply('ERR MULTI calls can not be nested'));
        else {
          state.transaction = { queued: [], unwatches: [], aborted: false };
          done(OK);
        }
        return true;
      case 'discard':
        if (argv.length !== 1) this.refuseArity(state, name, done);
        else if (state.transaction === null) done(errorReply('ERR DISCARD without MULTI'));
        else {
          state.transaction = null;
          this.unwatch(state);
          done(OK);
        }
        return true;
      case 'exec': {
        if (argv.length !== 1) {
          // Redis discards the transaction (and the watches), in or out of MULTI.
          state.transaction = null;
          this.unwatch(state);
          done(errorReply("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"));
          return true;
        }
        const transaction = state.transaction;
        if (transaction === null) {
          done(errorReply('ERR EXEC without MULTI'));
          return true;
        }
        state.transaction = null;
        if (transaction.aborted) {
          this.unwatch(state);
          done(errorReply('EXECABORT Transaction discarded because of previous errors.'));
          return true;
        }
        // The watches are taken when the write starts, after every earlier read of the
        // connection, so a WATCH pipelined before MULTI has recorded its versions by then.
        this.write(conn, state, () => {
          const watches = [...(state.watched?.values() ?? [])];
          this.unwatch(state);
          return encodeTransaction({ watches, commands: transaction.queued });
        }, transaction.unwatches.length === 0 ? done : (reply) => done(withUnwatchReplies(reply, transaction.unwatches)));
        return true;
      }
      case 'watch': {
        if (argv.length < 2) this.refuseArity(state, name, done);
        else if (state.transaction !== null) done(errorReply('ERR WATCH inside MULTI is not allowed'));
        else {
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
        return true;
      }
      case 'unwatch':
        if (argv.length !== 1) this.refuseArity(state, name, done);
        else if (state.transaction !== null) {
          state.transaction.unwatches.push(state.transaction.queued.length + state.transaction.unwatches.length);
          done(QUEUED);
        } else {
          this.unwatch(state);
          done(OK);
        }
        return true;
      case 'reset':
      case 'quit':
        // RESET with arguments is refused (connectionCommand answers the arity error) and,
        // like any refused command, aborts an open transaction instead of ending it.
        if (name === 'reset' && argv.length !== 1) {
          if (state.transaction !== null) state.transaction.aborted = true;
          return false;
        }
        state.transaction = null;
        this.unwatch(state);
        return false;
      default: {
        const transaction = state.transaction;
        if (transaction === null) return false;
        const spec = this.kv.lookup(name);
        // Like Redis, only the arity is checked when queueing: a bad argument is that
        // command's error inside EXEC's reply and does not abort the transaction.
        const refusal = spec !== undefined && !spec.flags.includes('internal') ? this.kv.checkArity(spec, argv)
          : SERVER_COMMANDS.has(name) ? errorReply(`ERR unknown command or not allowed inside MULTI: '${name}' (raftis queues data commands only)`)
          : unknownCommand(argv[0] ?? Buffer.alloc(0), argv);
        if (refusal !== null) {
          transaction.aborted = true;
          done(refusal);
        } else {
          transaction.queued.push(argv);
          done(QUEUED);
        }
        return true;
      }
    }
  }

  /** An arity error; inside MULTI it also aborts the transaction, as every refused command does in Redis. */
  private refuseArity(state: ConnectionState, name: string, done: (reply: Reply) => void): void {
    if (state.transaction !== null) state.transaction.aborted = true;
    done(arityError(name));
  }

  /** Runs a read-only command once the read barrier for `mode` is passed. */
  read(mode: ReadMode, argv: readonly Uint8Array[], done: (reply: Reply) => void): void {
    this.node.read(mode, (error, clusterTime) => {
      if (error !== null) return done(nodeErrorReply(error));
      done(this.kv.read(argv, clusterTime));
    });
  }

  private connectionCommand(name: string, argv: Buffer[], conn: ClientConnection, done: (reply: Reply) => void): boolean {
    switch (name) {
      case 'ping':
        if (argv.length > 2) done(arityError('ping'));
        else done(argv.length === 2 ? { kind: 'bulk', value: argv[1] ?? null } : PONG);
        return true;
      case 'echo':
        done(argv.length === 2 ? { kind: 'bulk', value: argv[1] ?? null } : arityError('echo'));
        return true;
      case 'hello':
        done(this.hello(argv, conn));
        return true;
      case 'reset': {
        if (argv.length !== 1) {
          done(arityError('reset'));
          return true;
        }
        const state = this.stateOf(conn);
        state.consistency = this.options.config.readConsistency;
        conn.setProtocol(2);
        conn.name = '';
        done({ kind: 'simple', value: 'RESET' });
        return true;
      }
      case 'auth':
        done(authReply(argv));
        return true;
      case 'select':
        if (argv.length !== 2) done(arityError('select'));
        else done(selectReply(argv[1]?.toString() ?? ''));
        return true;
      case 'client':
        done(this.client(argv, conn));
        return true;
      case 'raft.consistency': {
        const state = this.stateOf(conn);
        if (argv.length === 1) done({ kind: 'bulk', value: Buffer.from(state.consistency) });
        else if (argv.length !== 2) done(arityError('raft.consistency'));
        else {
          const mode = argv[1]?.toString().toLowerCase() as ReadConsistency;
          if (!READ_CONSISTENCIES.includes(mode)) done(errorReply(`ERR unknown consistency '${argv[1]?.toString()}': use ${READ_CONSISTENCIES.join(', ')}`));
          else {
            state.consistency = mode;
            done(OK);
          }
        }
        return true;
      }
      default:
        return false;
    }
  }

  private hello(argv: Buffer[], conn: ClientConnection): Reply {
    let i = 1;
    if (argv.length >= 2) {
      const text = argv[1]?.toString() ?? '';
      const version = /^-?\d+$/.test(text) ? Number(text) : NaN;
      if (!Number.isInteger(version)) return errorReply('ERR Protocol version is not an integer or out of range');
      if (version !== 2 && version !== 3) return errorReply('NOPROTO unsupported protocol version');
      i = 2;
      for (; i < argv.length; i++) {
        const option = argv[i]?.toString().toLowerCase();
        if (option === 'auth' && i + 2 < argv.length) i += 2; // no ACLs: any credentials are accepted, as Redis with no requirepass
        else if (option === 'setname' && i + 1 < argv.length) {
          const name = argv[++i] ?? Buffer.alloc(0);
          if (!validClientName(name)) return errorReply(CLIENT_NAME_ERROR);
          conn.name = name.toString('latin1');
        }
        else return errorReply(`ERR Syntax error in HELLO option '${argv[i]?.toString() ?? ''}'`);
      }
      conn.setProtocol(version);
    }
    const role = this.node.isLeader ? 'master' : 'replica';
    const bulk = (s: string): Reply => ({ kind: 'bulk', value: Buffer.from(s) });
    return {
      kind: 'map',
      value: [
        [bulk('server'), bulk('redis')],
        [bulk('version'), bulk('7.0.0')],
        [bulk('proto'), { kind: 'integer', value: conn.protocol }],
        [bulk('id'), { kind: 'integer', value: conn.id }],
        [bulk('mode'), bulk('standalone')],
        [bulk('role'), bulk(role)],
        [bulk('modules'), { kind: 'array', value: [] }],
      ],
    };
  }

  private client(argv: Buffer[], conn: ClientConnection): Reply {
    const sub = argv[1]?.toString().toLowerCase();
    switch (sub) {
      case 'id':
        return argv.length === 2 ? { kind: 'integer', value: conn.id } : errorReply("ERR wrong number of arguments for 'client|id' command");
      case 'setname': {
        const name = argv[2];
        if (argv.length !== 3 || name === undefined) return errorReply("ERR wrong number of arguments for 'client|setname' command");
        if (!validClientName(name)) return errorReply(CLIENT_NAME_ERROR);
        conn.name = name.toString('latin1');
        return OK;
      }
      case 'getname':
        if (argv.length !== 2) return errorReply("ERR wrong number of arguments for 'client|getname' command");
        return { kind: 'bulk', value: conn.name === '' ? null : Buffer.from(conn.name) };
      case 'setinfo':
        return argv.length === 4 ? OK : errorReply("ERR wrong number of arguments for 'client|setinfo' command");
      case 'info':
        if (argv.length !== 2) return errorReply("ERR wrong number of arguments for 'client|info' command");
        return { kind: 'verbatim', format: 'txt', value: conn.describe() + '\n' };
      case 'list':
        // Redis filters by TYPE or ID; raftis lists every client and, like Redis for
        // anything else after LIST, answers a syntax error.
        if (argv.length !== 2) return errorReply('ERR syntax error');
        return { kind: 'verbatim', format: 'txt', value: conn.server.clients().map((c) => c.describe()).join('\n') + '\n' };
      case undefined:
        return arityError('client');
      default:
        return errorReply(`ERR unknown subcommand '${cString(argv[1] ?? Buffer.alloc(0), ECHOED_BYTES_MAX)}'. Try CLIENT HELP.`);
    }
  }
}

/** EXEC's reply with OK at the places of the UNWATCHes queued in the transaction (ascending). */
function withUnwatchReplies(reply: Reply, places: readonly number[]): Reply {
  if (reply.kind !== 'array' || reply.value === null) return reply;
  const replies = [...reply.value];
  for (const place of places) replies.splice(place, 0, OK);
  return { kind: 'array', value: replies };
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

/**
 * Commands answered by the server rather than the state machine (connection, admin,
 * membership), which a transaction cannot queue; any other name not in the command table is
 * unknown, and inside MULTI gets Redis's unknown-command error.
 */
const SERVER_COMMANDS: ReadonlySet<string> = new Set([
  'ping', 'echo', 'hello', 'auth', 'select', 'client', 'raft.consistency',
  'info', 'command', 'config', 'time', 'raft.info', 'raft.leader', 'raft.transfer-leader', 'raft.digest', 'raft.snapshot', 'raft.debug',
  'raft.clusterinfo', 'raft.node', 'raft.nodes',
]);

const CLIENT_NAME_ERROR = 'ERR Client names cannot contain spaces, newlines or special characters.';

/** Redis accepts client names made of printable ASCII other than space ('!' to '~'). */
function validClientName(name: Buffer): boolean {
  for (const byte of name) if (byte < 0x21 || byte > 0x7e) return false;
  return true;
}

/**
 * raftis has no users or passwords: AUTH answers as Redis does with no requirepass, so a
 * client configured with the default user's credentials still connects.
 */
function authReply(argv: readonly Buffer[]): Reply {
  if (argv.length === 2) {
    return errorReply('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
  }
  if (argv.length === 1) return arityError('auth');
  if (argv.length > 3) return errorReply('ERR syntax error');
  return argv[1]?.toString() === 'default' ? OK : errorReply('WRONGPASS invalid username-password pair or user is disabled.');
}

/** raftis has one database, db 0; other indexes get Redis's own errors (`--databases 1`). */
function selectReply(index: string): Reply {
  // Redis parses the index strictly (string2ll): no sign on zero, no leading zeros, no spaces;
  // then as a C int.
  if (!/^(0|-?[1-9]\d{0,18})$/.test(index)) return errorReply('ERR value is not an integer or out of range');
  const value = BigInt(index);
  if (value > INT64_MAX || value < INT64_MIN) return errorReply('ERR value is not an integer or out of range');
  if (value > INT32_MAX || value < INT32_MIN) return errorReply(`ERR value is out of range, value must between ${INT32_MIN} and ${INT32_MAX}`);
  return index === '0' ? OK : errorReply('ERR DB index is out of range');
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT32_MAX = 2_147_483_647n;
const INT32_MIN = -2_147_483_648n;

export function arityError(name: string): Reply {
  return errorReply(`ERR wrong number of arguments for '${name}' command`);
}

/** How much of a client's bytes Redis echoes in an error: the `%.128s` of its messages. */
const ECHOED_BYTES_MAX = 128;

/** Bytes as Redis prints them with `%.*s`: up to the first NUL (a C string), at most `max`; latin1 text. */
function cString(bytes: Buffer, max: number): string {
  const nul = bytes.indexOf(0);
  return bytes.toString('latin1', 0, Math.min(nul < 0 ? bytes.length : nul, max));
}

/** Redis's text: the name, then arguments while fewer than 128 bytes of them are echoed, cut to fill 128. */
function unknownCommand(first: Buffer, argv: readonly Buffer[]): Reply {
  let args = '';
  for (let i = 1; i < argv.length && args.length < ECHOED_BYTES_MAX; i++) {
    args += `'${cString(argv[i] ?? Buffer.alloc(0), ECHOED_BYTES_MAX - args.length)}' `;
  }
  return errorReply(`ERR unknown command '${cString(first, ECHOED_BYTES_MAX)}', with args beginning with: ${args}`);
}
