// CLIENT PAUSE / UNPAUSE on this node, as Redis 7 has them: for a while, this node's clients'
// commands wait — every command (ALL), or those that write or may replicate (WRITE) — and run
// in arrival order when the pause ends (CLIENT UNPAUSE or its timeout). A client with a
// command waiting has its later commands wait behind it. Other nodes are not paused: a pause
// is about the clients of the node asked (raftis moves leadership with RAFT.TRANSFER-LEADER,
// not by pausing writers).

import type { ClientConnection } from '../resp/server.js';

export type PauseMode = 'write' | 'all';

/** A command waiting for a pause to end. */
export interface PausedCommand {
  readonly conn: ClientConnection;
  readonly run: () => void;
}

/** Commands that replicate something in Redis without the write flag: WRITE pauses them too. */
const MAY_REPLICATE: ReadonlySet<string> = new Set(['publish', 'spublish', 'pfcount']);
/** Script calls that take the flags their script declares (Redis's evalGetCommandFlags, fcallGetCommandFlags). */
const SCRIPT_CALLS: ReadonlySet<string> = new Set(['eval', 'evalsha', 'fcall']);
/** FUNCTION's subcommands that change the libraries (Redis flags them write); LIST, DUMP, STATS and KILL are not held. */
const FUNCTION_WRITES: ReadonlySet<string> = new Set(['load', 'delete', 'flush', 'restore']);

/**
 * Whether a CLIENT PAUSE WRITE holds a command, as Redis's processCommand decides: it writes
 * or may replicate. A script call counts as its script declares: an EVAL, EVALSHA or FCALL of
 * a script flagged no-writes runs during the pause (`cannotWrite`, asked only for those), one
 * that declares nothing waits (it may write), as do PUBLISH and PFCOUNT. SCRIPT (LOAD, FLUSH)
 * and FUNCTION's reading subcommands change no data in Redis and run, though raftis keeps the
 * script cache and the libraries in the log.
 */
export function heldByWritePause(row: { readonly name: string; readonly flags: readonly string[] }, argv: readonly Buffer[], cannotWrite: () => boolean): boolean {
  const name = row.name;
  if (MAY_REPLICATE.has(name)) return true;
  if (SCRIPT_CALLS.has(name)) return !cannotWrite();
  if (name === 'script') return false;
  if (name === 'function') return FUNCTION_WRITES.has(argv[1]?.toString('latin1').toLowerCase() ?? '');
  return row.flags.includes('write');
}

export class ClientPause {
  private mode: PauseMode | null = null;
  private untilMs = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Commands waiting for the pause to end, in arrival order. */
  private waiting: PausedCommand[] = [];
  /** Commands waiting per connection: its later commands wait behind them. */
  private readonly waitingOf = new Map<ClientConnection, number>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** Clients with a command waiting (INFO blocked_clients counts them, as Redis does). */
  get clientsWaiting(): number {
    return this.waitingOf.size;
  }

  /** Starts or extends a pause: the later end and the stricter mode of this one and any in force. */
  pause(mode: PauseMode, timeoutMs: number): void {
    const until = this.now() + timeoutMs;
    this.mode = this.mode === 'all' || mode === 'all' ? 'all' : 'write';
    this.untilMs = Math.max(this.untilMs, until);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.unpause(), Math.max(0, this.untilMs - this.now()));
    this.timer.unref();
  }

  /** Ends the pause and runs what waited, in order. */
  unpause(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.mode = null;
    this.untilMs = 0;
    const waiting = this.waiting;
    this.waiting = [];
    this.waitingOf.clear();
    for (const { conn, run } of waiting) if (!conn.closed) run();
  }

  /** No pause in force and no command waiting: holds() is false for every command. */
  get idle(): boolean {
    return this.mode === null && this.waitingOf.size === 0;
  }

  /**
   * True if the command must wait: the pause covers it (ALL: every command; WRITE: one that
   * `writes()`, see heldByWritePause), or the connection already has one waiting. `writes` is
   * asked only during a WRITE pause, so commands pay nothing when no pause is in force.
   */
  holds(conn: ClientConnection, writes: () => boolean): boolean {
    if (this.idle) return false;
    if (this.waitingOf.has(conn)) return true;
    if (this.mode === null) return false;
    return this.mode === 'all' || writes();
  }

  postpone(conn: ClientConnection, run: () => void): PausedCommand {
    const paused = { conn, run };
    this.waiting.push(paused);
    this.waitingOf.set(conn, (this.waitingOf.get(conn) ?? 0) + 1);
    return paused;
  }

  /**
   * Runs a postponed command now, found not to be held after all, if it still waits and is
   * its connection's first waiting command (its connection's later ones keep waiting behind it
   * otherwise, in order).
   */
  release(paused: PausedCommand): void {
    const at = this.waiting.indexOf(paused);
    if (at < 0 || this.waiting.findIndex((other) => other.conn === paused.conn) !== at) return;
    this.waiting.splice(at, 1);
    const count = (this.waitingOf.get(paused.conn) ?? 1) - 1;
    if (count > 0) this.waitingOf.set(paused.conn, count);
    else this.waitingOf.delete(paused.conn);
    if (!paused.conn.closed) paused.run();
  }

  /** The node stops: what waits is dropped (the connections close). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.waiting = [];
    this.waitingOf.clear();
  }
}
