// A node's graceful stop, asked by SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] or by a
// signal, in Redis 7.0's steps mapped to Raft: an optional snapshot (SAVE), then, on the
// leader, leadership handed to the most caught-up voter within `shutdown-timeout` seconds
// (Redis's wait for its replicas to catch up: NOW or a timeout of 0 skips it, and when the
// time is up the stop goes ahead anyway), then the stop itself (clients closed, pending
// requests failed, the WAL synced). Until that last step begins SHUTDOWN ABORT cancels it, and
// each client waiting in SHUTDOWN hears Redis's "Errors trying to SHUTDOWN"; once it begins,
// those clients are disconnected with no reply, as Redis's are when it exits.

import type { NodeId } from '../node/consensus.js';
import { errorReply } from './errors.js';
import { handOverUntilDone } from './hand-over.js';
import { serverCommand, type ServerCommand } from './command-registry.js';

export interface ShutdownOptions {
  /** Take a snapshot first (SAVE). */
  readonly save: boolean;
  /** Skip the leadership hand-over (NOW). */
  readonly now: boolean;
  /** Stop even when the snapshot failed (FORCE). */
  readonly force: boolean;
  /** SHUTDOWN ABORT may cancel it (SHUTDOWN and signals; not a stop the process itself asks for). */
  readonly abortable: boolean;
}

export interface ShutdownDeps {
  readonly isLeader: () => boolean;
  /** Starts a hand-over to the most caught-up voter; null when none can start (see RaftNode.handOverLeadership). */
  readonly handOverLeadership: () => NodeId | null;
  readonly snapshot: () => Promise<unknown>;
  /** shutdown-timeout, in milliseconds: how long the leader waits for its hand-over. */
  readonly handOverTimeoutMs: () => number;
  /** How often the hand-over is looked at (a Raft tick). */
  readonly pollMs: number;
  /** The stop itself: clients closed, pending requests failed, WAL synced, files closed. */
  readonly stop: () => Promise<void>;
  readonly log: (level: 'info' | 'warn', fields: Record<string, unknown>, message: string) => void;
}

/** How a shutdown ended for those who asked: the node stopped, or it runs on. */
export type ShutdownOutcome = 'stopped' | 'aborted' | 'failed';

/** Something waiting in SHUTDOWN that must be cut off when the node stops (a client connection). */
export interface ShutdownWaiter {
  kill(): void;
}

interface Attempt {
  aborted: boolean;
  abortable: boolean;
  readonly waiters: Set<ShutdownWaiter>;
  done: Promise<ShutdownOutcome>;
}

export class ShutdownSequence {
  private readonly deps: ShutdownDeps;
  private attempt: Attempt | null = null;
  /** The stop, once it has begun: nothing cancels it then. */
  private final: Promise<void> | null = null;

  constructor(deps: ShutdownDeps) {
    this.deps = deps;
  }

  /** Whether a shutdown is under way (INFO, and a second SHUTDOWN joins it). */
  get inProgress(): boolean {
    return this.attempt !== null || this.final !== null;
  }

  /**
   * Starts a shutdown, or joins the one under way (as a second SHUTDOWN waits for Redis's
   * first). `waiter` is disconnected when the stop begins.
   */
  request(options: ShutdownOptions, waiter: ShutdownWaiter | null = null): Promise<ShutdownOutcome> {
    if (this.final !== null) {
      waiter?.kill();
      return this.final.then(() => 'stopped');
    }
    const joined = this.attempt;
    if (joined !== null) {
      if (!options.abortable) joined.abortable = false;
      if (waiter !== null) joined.waiters.add(waiter);
      return joined.done;
    }
    const attempt: Attempt = { aborted: false, abortable: options.abortable, waiters: new Set(waiter === null ? [] : [waiter]), done: Promise.resolve('stopped') };
    this.attempt = attempt;
    attempt.done = this.run(options, attempt).finally(() => {
      if (this.attempt === attempt) this.attempt = null;
    });
    return attempt.done;
  }

  /** SHUTDOWN ABORT: cancels a shutdown not yet stopping; false when there is none to cancel. */
  abort(): boolean {
    const attempt = this.attempt;
    if (attempt === null || !attempt.abortable || this.final !== null) return false;
    attempt.aborted = true;
    this.attempt = null;
    this.deps.log('warn', {}, 'Shutdown manually aborted');
    return true;
  }

  private async run(options: ShutdownOptions, attempt: Attempt): Promise<ShutdownOutcome> {
    if (options.save) {
      try {
        await this.deps.snapshot();
      } catch (error) {
        this.deps.log('warn', { err: String(error), force: options.force }, 'snapshot before shutdown failed');
        if (!options.force) return attempt.aborted ? 'aborted' : 'failed';
      }
    }
    if (!options.now && !attempt.aborted) await this.handOver(attempt);
    if (attempt.aborted) return 'aborted';
    for (const waiter of attempt.waiters) waiter.kill();
    this.final = this.deps.stop();
    await this.final;
    return 'stopped';
  }

  /** On the leader: hands leadership over until done, aborted or timed out. */
  private async handOver(attempt: Attempt): Promise<void> {
    const { deps } = this;
    const target = await handOverUntilDone(
      { isLeader: deps.isLeader, start: deps.handOverLeadership, pollMs: deps.pollMs },
      { deadline: Date.now() + deps.handOverTimeoutMs(), cancelled: () => attempt.aborted },
    );
    if (target !== null) deps.log('info', { to: target, handedOver: !deps.isLeader(), aborted: attempt.aborted }, 'leadership transfer on shutdown');
  }
}

/** SHUTDOWN's flags as Redis 7.0 parses them: ABORT alone, NOSAVE and SAVE not together; null for a syntax error. */
export function parseShutdown(argv: readonly Buffer[]): { readonly abort: true } | (ShutdownOptions & { readonly abort: false }) | null {
  const flags = new Set<string>();
  for (const arg of argv.slice(1)) {
    const flag = arg.toString('latin1').toLowerCase();
    if (!['nosave', 'save', 'now', 'force', 'abort'].includes(flag)) return null;
    flags.add(flag);
  }
  if (flags.has('abort')) return flags.size === 1 ? { abort: true } : null;
  if (flags.has('save') && flags.has('nosave')) return null;
  return { abort: false, save: flags.has('save'), now: flags.has('now'), force: flags.has('force'), abortable: true };
}

const SHUTDOWN_FAILED = errorReply('ERR Errors trying to SHUTDOWN. Check logs.');

/**
 * SHUTDOWN as a command row. raftis has no save points, so only SAVE snapshots first (a
 * node's log is its persistence; NOSAVE and the default save nothing more). On success the
 * caller gets no reply: its connection closes as the node stops.
 */
export function shutdownCommand(sequence: ShutdownSequence): ServerCommand {
  return serverCommand('shutdown', -1, ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'], ({ conn, argv, done }) => {
    const parsed = parseShutdown(argv);
    if (parsed === null) return done(errorReply('ERR syntax error'));
    if (parsed.abort) return done(sequence.abort() ? { kind: 'simple', value: 'OK' } : errorReply('ERR No shutdown in progress.'));
    sequence.request(parsed, conn).then((outcome: ShutdownOutcome) => {
      if (outcome !== 'stopped') done(SHUTDOWN_FAILED);
    }, () => done(SHUTDOWN_FAILED));
  });
}
