// The write path: a client's write becomes one log entry, proposed by the leader with the
// leader's cluster time. On a follower the write is forwarded to the leader over the peer
// channel and the leader's reply is relayed. Every attempt carries the same request id
// (origin node, client, seq), so a retry after a leader change or a lost answer is applied
// once: the state machine answers a repeated id with the first reply.

import { boundedRuns } from '../base/bounded-runs.js';
import { encodeCommand, encodeCommandBatch } from '../kv/command-codec.js';
import type { Reply } from '../kv/reply.js';
import { NodeError } from '../node/errors.js';
import type { TimerHandle } from '../node/ports.js';
import type { RaftNode } from '../node/raft-node.js';
import type { NodeId } from '../node/consensus.js';
import { errorReply, nodeErrorReply } from './errors.js';
import { countedErrorReply } from '../kv/replies.js';
import type { ScriptCall } from '../kv/script/call-stats.js';
import {
  FORWARD_NODE_ERROR,
  FORWARD_REPLY,
  decodeForwardAnswer,
  decodeForwardedWrite,
  encodeForwardAnswer,
  encodeForwardedWrite,
  type ForwardedWrite,
} from './forward-codec.js';

export interface WritePathOptions {
  /**
   * The origin of this node's request ids: its id and a per-process boot id, because
   * connection ids (the client part) start again at 1 after a restart and a repeated
   * (origin, client, seq) would be answered from the exactly-once table without applying.
   */
  readonly origin: string;
  readonly node: RaftNode<Reply>;
  readonly requestTimeoutMs: number;
  readonly noLeaderWaitMs: number;
  /** Pause between attempts while the cluster changes leader. */
  readonly retryDelayMs: number;
  readonly forward: (to: NodeId, payload: Uint8Array, timeoutMs: number) => Promise<Uint8Array>;
  readonly encodeReply: (reply: Reply) => Uint8Array;
  readonly decodeReply: (bytes: Uint8Array) => Reply | Error;
  readonly now: () => number;
  /**
   * Writes proposed in one turn are gathered into entries of up to this many commands
   * (format-4 batches); 1 proposes each alone.
   */
  readonly batchCommandsMax: number;
  /** ...and of up to this many argument bytes (a bigger command still goes alone). */
  readonly batchBytesMax: number;
  /**
   * Runs fn after ms (retries, the wait for a leader). The server's timers do not keep the
   * process alive; the simulator's run in virtual time.
   */
  readonly setTimer: (ms: number, fn: () => void) => TimerHandle;
  /**
   * The µs the state machine took to apply the command at `position` of the entry whose
   * proposal is being answered (0 for an entry of one command): the node answers a proposal
   * right after applying its entry, so this is read in that callback. Absent (the simulator): 0.
   */
  readonly lastApplyUsec?: (position: number) => number;
  /** Read there too: what the scripts the command at `position` ran called (null: none). Absent: none. */
  readonly lastApplyCalls?: (position: number) => readonly ScriptCall[] | null;
}

/** Node's timers for the server: unref'd, so a pending retry never holds the process open. */
export function processTimer(ms: number, fn: () => void): TimerHandle {
  const handle = setTimeout(fn, ms);
  handle.unref();
  return { cancel: () => clearTimeout(handle) };
}

export function requestKey(origin: string, client: number, seq: number): string {
  return `${origin}/${client}/${seq}`;
}

/** A write gathered in this turn, to be proposed at its end. */
interface GatheredWrite {
  readonly write: ForwardedWrite;
  readonly told: Told;
  readonly bytes: number;
}

/**
 * Who is told how a gathered write ended: for a write of this node's own client, its waiter
 * itself (a Submission makes one attempt at a time: it retries only once told); for a write a
 * follower forwarded, its request key in WritePath.waiting, which the follower's retries of the
 * same write join while it is in flight. A key string and a map entry per write were a few %
 * of the leader's CPU under pipelined SETs, for joins only a forwarded write can need.
 */
type Told = ProposalWaiter | string;

/**
 * Who is told, exactly once, how a client's write ended: the reply, the µs the leader's state
 * machine took to apply it (0 when it was not applied) and what the scripts it ran called
 * (null: none). An object rather than a callback, so that a pipelined write's waiter can be
 * the dispatcher's one object per write.
 */
export interface WriteWaiter {
  written(reply: Reply, executionUsec: number, calls?: readonly ScriptCall[] | null): void;
}

/** Who is told how a proposal ended: a client's submission, or a follower's forwarded write. */
interface ProposalWaiter {
  proposed(error: NodeError | null, reply: Reply, executionUsec: number, calls: readonly ScriptCall[] | null): void;
}

export class WritePath {
  private readonly options: WritePathOptions;
  /** Writes of this turn not yet proposed, by origin (a batch holds one origin's). */
  private gathered = new Map<string, GatheredWrite[]>();
  /** Who waits for each gathered or proposed forwarded write (one, or the retries that joined it), by request key, until it is settled. */
  private readonly waiting = new Map<string, ProposalWaiter | ProposalWaiter[]>();
  /** Callbacks waiting for a leader to become known, with their deadlines. */
  private leaderWaiters: { deadline: number; wake: () => void }[] = [];
  private waiterTimer: TimerHandle | null = null;
  private stoppedFlag = false;

  constructor(options: WritePathOptions) {
    this.options = options;
  }

  /** This node's request-id origin (see WritePathOptions.origin). */
  get origin(): string {
    return this.options.origin;
  }

  /**
   * A write from a client connected to this node. `done` is told exactly once, and no
   * attempt for `seq` starts after it (WriteWaiter). `firstUnanswered` is the connection's
   * lowest write not yet answered (≤ seq; see CommandEntry.firstUnanswered).
   */
  submit(client: number, seq: number, firstUnanswered: number, argv: readonly Uint8Array[], done: WriteWaiter): void {
    new Submission(this, this.options, client, seq, firstUnanswered, argv, done).attempt();
  }

  /** The leader's side of a forwarded write: propose once, answer with the reply or the node error. */
  handleForwarded(payload: Uint8Array): Promise<Uint8Array> {
    const write = decodeForwardedWrite(payload);
    if (write instanceof Error) return Promise.reject(write);
    return new Promise((resolve) => {
      this.proposeForwarded(write, {
        proposed: (error, reply, usec, calls) => {
          if (error !== null) resolve(encodeForwardAnswer({ status: FORWARD_NODE_ERROR, code: error.code, message: error.message }));
          else resolve(encodeForwardAnswer({ status: FORWARD_REPLY, resp: this.options.encodeReply(reply), executionUsec: usec, calls, replyCounted: reply.kind === 'error' && reply.counted === true }));
        },
      });
    });
  }

  /** Proposes an internal command (no request id: seq 0) on the leader; used for active expiry. */
  proposeInternal(argv: readonly Uint8Array[], key: string, done: (error: NodeError | null) => void): void {
    const node = this.options.node;
    const data = encodeCommand({ origin: this.options.origin, client: 0, seq: 0, firstUnanswered: 0, time: node.clusterTime(), argv });
    node.propose(key, data, (error) => done(error));
  }

  /** A submission's wait for a leader to become known, until `deadline` (then `then(false)`). */
  waitForLeader(deadline: number, then: (found: boolean) => void): void {
    let settled = false;
    this.leaderWaiters.push({
      deadline,
      wake: () => {
        if (settled) return;
        settled = true;
        then(!this.stopped && this.options.node.leader !== '');
      },
    });
    this.armWaiterTimer();
  }

  /** Wakes requests waiting for a leader; the server calls it on every leader change. */
  leaderChanged(): void {
    if (this.options.node.leader === '') return;
    const waiters = this.leaderWaiters;
    this.leaderWaiters = [];
    for (const waiter of waiters) waiter.wake();
  }

  /** No attempt starts once the path is stopped. */
  get stopped(): boolean {
    return this.stoppedFlag;
  }

  stop(): void {
    this.stoppedFlag = true;
    this.waiterTimer?.cancel();
    const shutdown = new NodeError('SHUTDOWN', 'shutting down');
    for (const writes of this.gathered.values()) for (const { told } of writes) this.tell(told, shutdown, undefined);
    this.gathered = new Map();
    const waiters = this.leaderWaiters;
    this.leaderWaiters = [];
    for (const waiter of waiters) waiter.wake();
  }

  /**
   * Gathers a follower's forwarded write for this turn's proposals. A retry of a write still
   * gathered or in flight here waits for that attempt's result instead of proposing again.
   */
  private proposeForwarded(write: ForwardedWrite, waiter: ProposalWaiter): void {
    const key = requestKey(write.origin, write.client, write.seq);
    const waiters = this.waiting.get(key);
    if (waiters !== undefined) {
      if (Array.isArray(waiters)) waiters.push(waiter);
      else this.waiting.set(key, [waiters, waiter]);
      return;
    }
    this.waiting.set(key, waiter);
    this.gather(write, key);
  }

  /** Gathers this node's own client's write (one attempt at a time, see Told) for this turn's proposals. */
  proposeOwn(write: Submission): void {
    this.gather(write, write);
  }

  /** Adds the write to this turn's proposals (see flushGathered). */
  private gather(write: ForwardedWrite, told: Told): void {
    let bytes = 0;
    for (const arg of write.argv) bytes += arg.length;
    const firstOfTurn = this.gathered.size === 0;
    const ofOrigin = this.gathered.get(write.origin);
    if (ofOrigin === undefined) this.gathered.set(write.origin, [{ write, told, bytes }]);
    else ofOrigin.push({ write, told, bytes });
    if (firstOfTurn) this.options.node.atTurnEnd(() => this.flushGathered());
  }

  /** Proposes the turn's gathered writes: runs of one origin's as batches, a lone write as itself. */
  private flushGathered(): void {
    const gathered = this.gathered;
    this.gathered = new Map();
    const { batchCommandsMax, batchBytesMax } = this.options;
    for (const writes of gathered.values()) {
      for (const { from, to } of boundedRuns(writes.length, (i) => (writes[i] as GatheredWrite).bytes, batchCommandsMax, batchBytesMax)) {
        this.proposeRun(writes.slice(from, to));
      }
    }
  }

  private proposeRun(run: readonly GatheredWrite[]): void {
    const node = this.options.node;
    const first = run[0] as GatheredWrite;
    const { origin, client, seq, firstUnanswered, argv } = first.write;
    if (run.length === 1) {
      const told = first.told;
      node.propose(requestKey(origin, client, seq), encodeCommand({ origin, client, seq, firstUnanswered, argv, time: node.clusterTime() }), (error, result) => this.tell(told, error, result, this.applyUsec(error, 0), this.applyCalls(error, 0)));
      return;
    }
    const data = encodeCommandBatch({ origin, time: node.clusterTime(), commands: run.map((gathered) => gathered.write) });
    // Only who is told waits for the entry: a forwarded write's arguments are in `data` now,
    // and letting them go here keeps them from outliving a scavenge or two while it commits.
    const told = run.map((gathered) => gathered.told);
    node.propose(`batch/${requestKey(origin, client, seq)}`, data, (error, result) => {
      const replies = error === null && result?.kind === 'array' && result.value?.length === told.length ? result.value : null;
      told.forEach((one, i) => {
        if (error !== null || replies !== null) this.tell(one, error, replies?.[i], this.applyUsec(error, i), this.applyCalls(error, i));
        else this.tell(one, null, result ?? NO_REPLY);
      });
    });
  }

  private applyUsec(error: NodeError | null, position: number): number {
    return error === null ? this.options.lastApplyUsec?.(position) ?? 0 : 0;
  }

  private applyCalls(error: NodeError | null, position: number): readonly ScriptCall[] | null {
    return error === null ? this.options.lastApplyCalls?.(position) ?? null : null;
  }

  /** Tells how a gathered write ended: its own waiter, or those of its request key (see Told). */
  private tell(told: Told, error: NodeError | null, reply: Reply | undefined, executionUsec = 0, calls: readonly ScriptCall[] | null = null): void {
    const answer = error === null ? reply ?? NO_REPLY : NO_REPLY;
    if (typeof told !== 'string') return told.proposed(error, answer, executionUsec, calls);
    const waiters = this.waiting.get(told);
    if (waiters === undefined) return;
    this.waiting.delete(told);
    if (!Array.isArray(waiters)) return waiters.proposed(error, answer, executionUsec, calls);
    // The follower listens for one of them (its last attempt): each carries the calls.
    for (const waiter of waiters) waiter.proposed(error, answer, executionUsec, calls);
  }

  private armWaiterTimer(): void {
    if (this.waiterTimer !== null || this.leaderWaiters.length === 0) return;
    const next = Math.min(...this.leaderWaiters.map((w) => w.deadline));
    this.waiterTimer = this.options.setTimer(Math.max(0, next - this.options.now()), () => {
      this.waiterTimer = null;
      const now = this.options.now();
      const expired = this.leaderWaiters.filter((w) => w.deadline <= now);
      this.leaderWaiters = this.leaderWaiters.filter((w) => w.deadline > now);
      for (const waiter of expired) waiter.wake();
      this.armWaiterTimer();
    });
  }
}

/**
 * One client write on its way: its attempts (proposed here on the leader, forwarded to it
 * from a follower, retried across leader changes) until `done` is called, exactly once. One
 * object per write rather than a closure per step: a pipelined write lives until its entry
 * commits, long enough to survive young-generation collections, and each object that does
 * is copied.
 */
class Submission implements ForwardedWrite, ProposalWaiter {
  readonly origin: string;
  private deadline: number;
  private lastError: NodeError | null = null;
  /** True once any attempt may have taken effect: a later definite refusal no longer proves "not applied". */
  private uncertain = false;
  /** The leader the last forward went to, while that forward went unanswered; '' otherwise. */
  private unansweredBy: NodeId | '' = '';

  constructor(
    private readonly path: WritePath,
    private readonly options: WritePathOptions,
    readonly client: number,
    readonly seq: number,
    readonly firstUnanswered: number,
    readonly argv: readonly Uint8Array[],
    private readonly waiter: WriteWaiter,
  ) {
    this.origin = options.origin;
    this.deadline = options.now() + options.requestTimeoutMs;
  }

  attempt(): void {
    if (this.path.stopped) return this.waiter.written(nodeErrorReply(new NodeError('SHUTDOWN', 'shutting down')), 0);
    const node = this.options.node;
    if (this.deadline <= this.options.now() && this.leaderStillOnIt()) this.deadline = this.options.now() + this.options.requestTimeoutMs;
    const remaining = this.deadline - this.options.now();
    if (remaining <= 0) return this.waiter.written(timeoutReply(this.uncertain ? null : this.lastError, this.options.requestTimeoutMs), 0);
    if (node.isLeader) return this.path.proposeOwn(this);
    const leader = node.leader;
    if (leader === '') {
      this.path.waitForLeader(Math.min(this.deadline, this.options.now() + this.options.noLeaderWaitMs), (found) => {
        if (found) this.attempt();
        // TRYAGAIN promises "not applied": only true if no earlier attempt may have been.
        else this.waiter.written(this.uncertain ? timeoutReply(null, this.options.requestTimeoutMs) : nodeErrorReply(new NodeError('NO_LEADER', 'no leader')), 0);
      });
      return;
    }
    this.options.forward(leader, encodeForwardedWrite(this), remaining + FORWARD_ANSWER_GRACE_MS).then(
      (answer) => this.forwarded(answer),
      (error: unknown) => {
        this.unansweredBy = leader;
        this.retry(new NodeError('TIMEOUT', `forwarding to ${leader} failed: ${String(error)}`));
      },
    );
  }

  /**
   * The leader is still on this write though its time is up: the last forward went unanswered
   * for longer than the write's time (a leader answers TIMEOUT itself when its proposal's
   * deadline passes, except for a write waiting behind a script run paused between slices,
   * RaftNode.sweepDeadlines), or failed outright (the leader's process gone), and that leader
   * is still this node's, heard within an election timeout. So a write behind a long script
   * waits for it, the same request asked again (the leader's retries join the one in flight);
   * one whose leader is gone or answers TIMEOUT ends as before.
   */
  private leaderStillOnIt(): boolean {
    const node = this.options.node;
    return this.unansweredBy !== '' && node.leader === this.unansweredBy && node.leaderInContact;
  }

  /** The leader proposed it here: its reply, or the error to retry on. */
  proposed(error: NodeError | null, reply: Reply, executionUsec: number, calls: readonly ScriptCall[] | null): void {
    if (error === null) this.waiter.written(reply, executionUsec, calls);
    else this.retry(error);
  }

  private forwarded(answer: Uint8Array): void {
    this.unansweredBy = '';
    const decoded = decodeForwardAnswer(answer);
    if (decoded instanceof Error) return this.retry(new NodeError('TIMEOUT', decoded.message));
    if (decoded.status !== FORWARD_REPLY) return this.retry(new NodeError(asCode(decoded.code), decoded.message));
    const reply = this.options.decodeReply(decoded.resp);
    if (reply instanceof Error) return this.waiter.written(errorReply(`ERR bad reply from the leader: ${reply.message}`), 0);
    // A reply's `counted` does not travel in its RESP: the answer says it.
    const relayed = decoded.replyCounted === true && reply.kind === 'error' ? countedErrorReply(reply.message) : reply;
    this.relay(relayed, decoded.executionUsec ?? 0, decoded.calls ?? null);
  }

  /**
   * Relays the leader's reply once this node's own apply is not paused in a script run (most
   * likely this very write, which the leader finished first): the client's next command here
   * then finds the run over rather than BUSY, as Redis answers a script's client when it ends.
   */
  private relay(reply: Reply, executionUsec: number, calls: readonly ScriptCall[] | null): void {
    const node = this.options.node;
    if (node.applyPausedIndex === 0) return this.waiter.written(reply, executionUsec, calls);
    node.read('stale', () => this.waiter.written(reply, executionUsec, calls));
  }

  private retry(error: NodeError): void {
    this.lastError = error;
    if (!error.definitelyNotApplied) this.uncertain = true;
    if (error.code === 'SHUTDOWN') return this.waiter.written(nodeErrorReply(error), 0);
    this.options.setTimer(error.code === 'NO_LEADER' ? 0 : this.options.retryDelayMs, () => this.attempt());
  }
}

const NO_REPLY: Reply = { kind: 'error', message: 'ERR internal: no reply' };

/**
 * How much longer than the write's own time a follower waits for the leader's answer to a
 * forward: a leader that cannot commit the write answers TIMEOUT itself once its proposal's
 * deadline passes (a little after the follower's), and that answer must come first; only a
 * forward still unanswered after it means the leader is still on the write (leaderStillOnIt).
 */
const FORWARD_ANSWER_GRACE_MS = 1000;

function asCode(code: string): NodeError['code'] {
  switch (code) {
    case 'NOT_LEADER':
    case 'NO_LEADER':
    case 'DROPPED':
    case 'TIMEOUT':
    case 'BUSY':
    case 'SHUTDOWN':
    case 'INVALID':
      return code;
    default:
      return 'TIMEOUT';
  }
}

function timeoutReply(lastError: NodeError | null, timeoutMs: number): Reply {
  if (lastError !== null && lastError.definitelyNotApplied) return nodeErrorReply(lastError);
  return nodeErrorReply(new NodeError('TIMEOUT', `no result within ${timeoutMs} ms; the outcome is unknown`));
}
