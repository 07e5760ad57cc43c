// Clients blocked on this node (BLPOP, BLMOVE, BZPOPMIN, ...; DESIGN §5a). A blocking
// command is first proposed as an ordinary write: the state machine applies it as its
// non-blocking form, so every pop is one log entry, applied once under the connection's
// request ids, and survives a leader change like any write. A nil answer means nothing to
// pop: the client waits here, queued on each of its keys in the order clients blocked.
//
// The state machine reports the waited keys a list or sorted set was stored under as it
// applies entries (kv/ready-keys.ts); after the applied batch, each reported key offers
// its elements (as this node's state shows them) to its waiters in order, and each waiter
// offered one is served by proposing its command again with that key alone. If another
// client got there first (on any node), the answer is nil again and the waiter keeps its
// place. A waiter has one serving proposal in flight at most, which is retried with the
// same request id until its outcome is known, so an element is never popped twice for it
// nor popped and dropped, unless the client's connection is gone.
//
// A write's reply is held until the clients it woke on this node have been served (and those
// their pushes woke in turn: LMOVE chains), as Redis serves the clients a command unblocked
// before it answers the next command: a client that pushed and then reads sees the chain
// done. Only replies and their timing change, never what any entry does, so every replica
// still applies the same log. A follower first waits until it has applied the write (a read
// barrier), since the leader's answer can arrive before the entry does.
//
// Timeouts are this node's timers. Serving cannot be taken back: a client whose time ran out
// while its serving was in flight gets what the serving got. Each connection waits on one
// command at most (its later commands wait behind it), so the waiters are bounded by the
// connected clients (maxclients), plus clients that left while a serving of theirs was in
// flight (at most one more submission each): past maxclients in all, a client that would
// wait is refused.

import type { KvStateMachine } from '../kv/state-machine.js';
import type { Reply } from '../kv/reply.js';
import { NodeError } from '../node/errors.js';
import { blockingRow, timeoutMsOf, type BlockingRow } from './blocking-commands.js';
import { nodeErrorReply } from './errors.js';

/** What a waiter needs from its connection: request ids and the write path. */
export interface WaiterWrites {
  /** The connection's next request id, counted unanswered until end(). */
  begin(): number;
  /** Proposes `argv` as request `seq`; submitting the same seq again is applied at most once. */
  submit(seq: number, argv: readonly Buffer[], done: (reply: Reply) => void): void;
  /** Request `seq` is answered. */
  end(seq: number): void;
  /** True once the client's connection is gone. */
  readonly closed: boolean;
}

export interface BlockedClientsOptions {
  readonly kv: KvStateMachine;
  /** Waiters at most (one per connection: maxclients); beyond it a client that would wait is refused. */
  readonly waitersMax: number;
  /** Pause before a serving whose outcome is unknown (no leader, a time-out) is submitted again. */
  readonly retryDelayMs: number;
  /** Monotonic milliseconds (timeouts). */
  readonly now: () => number;
  /** Calls `done` once this node has applied every entry committed so far (at once on the leader). */
  readonly barrier: (done: () => void) => void;
  /** Longest a write's reply is held for the clients it woke (a serving stuck on a leader change). */
  readonly holdMaxMs: number;
}

/** A reply held until the servings its entry started on this node have ended (see afterWakeUps). */
interface Hold {
  /** Looks and servings still to end before the reply goes. */
  pending: number;
  release: (() => void) | null;
  timer: NodeJS.Timeout | null;
}

/** What a blocked client answers when its time runs out (Redis: a null array, RESP3 null). */
const timedOutReply: Reply = { kind: 'array', value: null };
const shutdownReply = nodeErrorReply(new NodeError('SHUTDOWN', 'shutting down'));
const tooManyWaitersReply: Reply = { kind: 'error', message: 'ERR max number of blocked clients reached' };
/** Longest single timer: Node's setTimeout limit; longer waits re-arm. */
const timerDelayMaxMs = 2 ** 31 - 1;

class Waiter {
  /** 'serving' while a serving proposal is in flight; 'done' once answered. */
  state: 'first' | 'waiting' | 'serving' | 'done' = 'first';
  timedOut = false;
  /** CLIENT UNBLOCK's reply, for a waiter unblocked while its first attempt or a serving was in flight (given if that pops nothing). */
  unblockedWith: Reply | null = null;
  /** The client left or ended its side: answered by what is in flight, never queued again. */
  leaving = false;
  timer: NodeJS.Timeout | null = null;
  /** Replies held until the serving in flight for this waiter ends (and what it wakes). */
  holds: Hold[] = [];
  /** This node's applied index when the serving in flight started: it may serve what entries after it pushed. */
  servingFrom = 0;

  constructor(
    readonly client: number,
    readonly row: BlockingRow,
    /** The command, as it is proposed when served (a stream read's `$` is resolved once it first waits). */
    public argv: readonly Buffer[],
    /** Distinct waited keys as latin1 map keys, in the command's order. */
    readonly keys: readonly string[],
    /** Monotonic time the wait ends; Infinity for none. */
    readonly deadline: number,
    readonly writes: WaiterWrites,
    readonly answer: (reply: Reply) => void,
  ) {}
}

/** True for a reply that means "nothing to pop" (a nil of any kind). */
function isNothing(reply: Reply): boolean {
  return ((reply.kind === 'array' || reply.kind === 'bulk') && reply.value === null) || reply.kind === 'null';
}

/** The command a waiter waits with when `reply` found nothing (its row may rewrite it), or null when `reply` is the answer. */
function waitArgv(waiter: Waiter, reply: Reply): readonly Buffer[] | null {
  if (waiter.row.waitArgv !== undefined) return waiter.row.waitArgv(waiter.argv, reply);
  return isNothing(reply) ? waiter.argv : null;
}

/** A node error whose outcome is open (TRYAGAIN: not applied; TIMEOUT: unknown): submit the same request id again. */
function isRetryable(reply: Reply): boolean {
  return reply.kind === 'error' && (reply.message.startsWith('TRYAGAIN') || reply.message.startsWith('TIMEOUT'));
}

export class BlockedClients {
  private readonly options: BlockedClientsOptions;
  /** Waiters by key, in the order they blocked (a Set keeps insertion order). */
  private readonly queues = new Map<string, Set<Waiter>>();
  private readonly byClient = new Map<number, Waiter>();
  /** Keys whose elements are to be offered to their waiters at the next look. */
  private readonly dirty = new Set<string>();
  /** Elements that serving proposals in flight may take, by key (not yet gone from this node's state). */
  private readonly claimed = new Map<string, number>();
  private lookScheduled = false;
  private stopped = false;
  /** Holds waiting for the next look: it serves the keys their entries made ready. */
  private holdsForLook: Hold[] = [];
  /** The holds of the look in progress, given to every serving it starts. */
  private lookHolds: Hold[] = [];

  constructor(options: BlockedClientsOptions) {
    this.options = options;
    options.kv.readyKeys.onReady = () => this.scheduleLook();
  }

  /** Clients waiting now (INFO blocked_clients): first attempts in flight are not counted yet. */
  get waiting(): number {
    let count = 0;
    for (const waiter of this.byClient.values()) if (waiter.state !== 'first') count++;
    return count;
  }

  /**
   * Runs blocking command `argv` (already validated) for `client`: its non-blocking form
   * first; when that finds nothing, it waits until served or timed out. `answer` is called once.
   */
  run(client: number, argv: readonly Buffer[], writes: WaiterWrites, answer: (reply: Reply) => void): void {
    const row = blockingRow((argv[0] as Buffer).toString('latin1').toLowerCase());
    if (row === undefined) throw new Error(`blocking: ${String(argv[0])} has no blocking row`);
    if (this.byClient.has(client)) throw new Error(`blocking: client ${client} is already blocked (its commands run in order)`);
    const timeoutMs = timeoutMsOf(row, argv);
    const deadline = timeoutMs === 0 ? Number.POSITIVE_INFINITY : this.options.now() + timeoutMs;
    const keys = [...new Set(row.keys(argv).map((key) => key.toString('latin1')))];
    const waiter = new Waiter(client, row, argv, keys, deadline, writes, answer);
    this.byClient.set(client, waiter);
    const seq = writes.begin();
    writes.submit(seq, argv, (reply) => {
      writes.end(seq);
      const again = waitArgv(waiter, reply);
      if (again === null || waiter.leaving || this.stopped || waiter.unblockedWith !== null) return this.finish(waiter, again === null ? reply : waiter.unblockedWith ?? timedOutReply);
      waiter.argv = again;
      // Only clients that left while a pop of theirs was in flight can take the count past maxclients.
      if (this.byClient.size > this.options.waitersMax) return this.finish(waiter, tooManyWaitersReply);
      this.block(waiter);
    });
  }

  /** True when afterWakeUps would release at once: no client waits on this node. */
  get holdsNoReply(): boolean {
    return this.byClient.size === 0 || this.stopped;
  }

  /**
   * Calls `release` once the clients that a write just answered woke on this node have been
   * served, and those their servings woke in turn; at once when no client waits here.
   * `appliedAtSubmit` is this node's applied index when the write was submitted.
   */
  afterWakeUps(appliedAtSubmit: number, release: () => void): void {
    if (this.holdsNoReply) return release();
    const hold: Hold = { pending: 1, release, timer: null };
    hold.timer = setTimeout(() => this.releaseHold(hold), this.options.holdMaxMs);
    hold.timer.unref();
    this.options.barrier(() => {
      this.awaitWakeUps([hold], appliedAtSubmit);
      this.settle(hold);
    });
  }

  /**
   * The holds wait for what an entry applied after index `after` may have woken: the next
   * look if one is due (keys were made ready), and servings started since (on a follower the
   * entry may have been applied, and its look run, before the leader's answer came). The
   * caller then settles its own share.
   */
  private awaitWakeUps(holds: readonly Hold[], after: number): void {
    const live = holds.filter((hold) => hold.release !== null);
    if (this.lookScheduled || this.dirty.size > 0) {
      for (const hold of live) hold.pending++;
      this.holdsForLook.push(...live);
    }
    for (const waiter of this.byClient.values()) {
      if (waiter.state !== 'serving' || waiter.servingFrom <= after) continue;
      for (const hold of live) {
        if (waiter.holds.includes(hold)) continue;
        hold.pending++;
        waiter.holds.push(hold);
      }
    }
  }

  private settle(hold: Hold): void {
    if (--hold.pending <= 0) this.releaseHold(hold);
  }

  private releaseHold(hold: Hold): void {
    const release = hold.release;
    if (release === null) return;
    hold.release = null;
    if (hold.timer !== null) clearTimeout(hold.timer);
    release();
  }

  /** The client left or ended its side: a waiting client is dropped now, one with a write in flight when it ends. */
  disconnected(client: number): void {
    const waiter = this.byClient.get(client);
    if (waiter === undefined) return;
    waiter.leaving = true;
    if (waiter.state === 'waiting') this.finish(waiter, timedOutReply);
  }

  /** True while `client` is blocked, waiting for a key or being served (CLIENT LIST's b flag). */
  isBlocked(client: number): boolean {
    const state = this.byClient.get(client)?.state;
    return state === 'waiting' || state === 'serving';
  }

  /**
   * CLIENT UNBLOCK: a client waiting for a key gets `reply` and waits no more; false when it
   * is not blocked. A pop already in flight for it is not cancelled: what it pops is
   * delivered, and `reply` only if it pops nothing.
   */
  unblock(client: number, reply: Reply): boolean {
    const waiter = this.byClient.get(client);
    if (waiter === undefined || waiter.state === 'done') return false;
    // A first attempt or a serving in flight is not cancelled: what it pops is delivered,
    // `reply` only if it pops nothing (the client is blocked from the moment it asked).
    if (waiter.state === 'waiting') this.finish(waiter, reply);
    else waiter.unblockedWith = reply;
    return true;
  }

  /** The node stops: every waiting client is told (nothing was popped for it); servings in flight end on their own. */
  stop(): void {
    this.stopped = true;
    for (const waiter of [...this.byClient.values()]) if (waiter.state === 'waiting') this.finish(waiter, shutdownReply);
  }

  /** Queues a waiter whose first attempt found nothing, and looks at its keys (they may have filled meanwhile). */
  private block(waiter: Waiter): void {
    waiter.state = 'waiting';
    for (const key of waiter.keys) {
      let queue = this.queues.get(key);
      if (queue === undefined) {
        queue = new Set();
        this.queues.set(key, queue);
      }
      queue.add(waiter);
      this.options.kv.readyKeys.wait(key);
      this.dirty.add(key);
    }
    this.arm(waiter);
    this.scheduleLook();
  }

  private arm(waiter: Waiter): void {
    const remaining = waiter.deadline - this.options.now();
    if (remaining === Number.POSITIVE_INFINITY) return;
    if (remaining <= 0) return this.timeUp(waiter);
    waiter.timer = setTimeout(() => this.arm(waiter), Math.min(Math.ceil(remaining), timerDelayMaxMs));
    waiter.timer.unref();
  }

  private timeUp(waiter: Waiter): void {
    waiter.timer = null;
    waiter.timedOut = true;
    if (waiter.state === 'waiting') this.finish(waiter, timedOutReply);
  }

  private scheduleLook(): void {
    if (this.lookScheduled) return;
    this.lookScheduled = true;
    queueMicrotask(() => this.look());
  }

  /** Offers the elements of every ready key to its waiters (after an applied batch). */
  private look(): void {
    this.lookScheduled = false;
    this.lookHolds = this.holdsForLook;
    this.holdsForLook = [];
    for (const key of this.options.kv.readyKeys.take()) this.dirty.add(key);
    for (const key of [...this.dirty]) {
      this.dirty.delete(key);
      this.offer(key);
    }
    const holds = this.lookHolds;
    this.lookHolds = [];
    for (const hold of holds) this.settle(hold);
  }

  /**
   * Serves the waiters of `key` in order while this node's state shows elements for them
   * (less those that servings in flight may take). A waiter serving elsewhere is passed
   * over; its key is looked at again when that serving ends.
   */
  private offer(key: string): void {
    const queue = this.queues.get(key);
    if (queue === undefined) return;
    const found = this.options.kv.collectionAt(Buffer.from(key, 'latin1'));
    this.keyGone(queue, found?.type);
    if (found === undefined) return;
    let available = found.length - (this.claimed.get(key) ?? 0);
    for (const waiter of queue) {
      if (available <= 0) break;
      if (waiter.state !== 'waiting' || waiter.row.type !== found.type) continue;
      available -= this.serve(waiter, key);
    }
  }

  /**
   * A serving that failed because its key went meanwhile (deleted, or now another type) is
   * answered as the row says for a key gone (null: waits on); any other reply stands.
   */
  private goneReply(waiter: Waiter, key: string, reply: Reply): Reply | null {
    if (reply.kind !== 'error' || waiter.row.gone === undefined) return reply;
    if (this.options.kv.collectionAt(Buffer.from(key, 'latin1'))?.type === waiter.row.type) return reply;
    return waiter.row.gone(waiter.argv);
  }

  /** The waited key holds no value of the type its waiters wait for: those whose row says so are answered (XREADGROUP's error). */
  private keyGone(queue: ReadonlySet<Waiter>, type: string | undefined): void {
    for (const waiter of [...queue]) {
      if (waiter.state !== 'waiting' || waiter.row.type === type || waiter.row.gone === undefined) continue;
      const reply = waiter.row.gone(waiter.argv);
      if (reply !== null) this.finish(waiter, reply);
    }
  }

  /** Proposes `waiter`'s command from `key` alone; returns how many elements it may take. */
  private serve(waiter: Waiter, key: string): number {
    waiter.state = 'serving';
    waiter.servingFrom = this.options.kv.appliedIndex;
    waiter.holds = this.lookHolds.filter((hold) => hold.release !== null);
    for (const hold of waiter.holds) hold.pending++;
    const takes = waiter.row.takes(waiter.argv);
    this.claimed.set(key, (this.claimed.get(key) ?? 0) + takes);
    const reportsBefore = this.options.kv.readyKeys.reportsOf(key);
    const argv = waiter.row.serveFrom(waiter.argv, Buffer.from(key, 'latin1'));
    const seq = waiter.writes.begin();
    const attempt = (): void => waiter.writes.submit(seq, argv, (reply) => {
      if (isRetryable(reply) && !waiter.writes.closed && !this.stopped) {
        setTimeout(attempt, this.options.retryDelayMs);
        return;
      }
      waiter.writes.end(seq);
      this.unclaim(key, takes);
      const holds = waiter.holds;
      waiter.holds = [];
      this.served(waiter, key, reportsBefore, reply);
      if (holds.length > 0) this.passOn(holds, waiter.servingFrom);
    });
    attempt();
    return takes;
  }

  /**
   * A serving ended. Nothing popped: the waiter waits on, in its place, and `key` is looked
   * at again only if a collection was stored there meanwhile (it was empty when the pop
   * applied; new elements come with a new report). Its other keys are looked at again:
   * they were passed over while it was serving.
   */
  private served(waiter: Waiter, key: string, reportsBefore: number, served: Reply): void {
    const reply = this.goneReply(waiter, key, served);
    const again = reply === null ? waiter.argv : waitArgv(waiter, reply);
    const nothing = again !== null;
    if (again !== null) waiter.argv = again;
    if (nothing && !waiter.timedOut && !waiter.leaving && !this.stopped && waiter.unblockedWith === null) waiter.state = 'waiting';
    else this.finish(waiter, nothing || reply === null ? waiter.unblockedWith ?? timedOutReply : reply);
    for (const other of waiter.keys) {
      if (other !== key || !nothing || this.options.kv.readyKeys.reportsOf(key) !== reportsBefore) this.dirty.add(other);
    }
    this.scheduleLook();
  }

  /** A serving ended: its holds wait for what its entry woke (once applied here), then let go of it. */
  private passOn(holds: readonly Hold[], servingFrom: number): void {
    this.options.barrier(() => {
      this.awaitWakeUps(holds, servingFrom);
      for (const hold of holds) this.settle(hold);
    });
  }

  private unclaim(key: string, takes: number): void {
    const left = (this.claimed.get(key) ?? 0) - takes;
    if (left > 0) this.claimed.set(key, left);
    else this.claimed.delete(key);
  }

  /** Answers a waiter and forgets it. */
  private finish(waiter: Waiter, reply: Reply): void {
    if (waiter.state === 'done') throw new Error(`blocking: client ${waiter.client} answered twice`);
    const queued = waiter.state !== 'first';
    waiter.state = 'done';
    if (waiter.timer !== null) clearTimeout(waiter.timer);
    this.byClient.delete(waiter.client);
    if (queued) for (const key of waiter.keys) this.dequeue(key, waiter);
    waiter.answer(reply);
  }

  private dequeue(key: string, waiter: Waiter): void {
    const queue = this.queues.get(key);
    if (queue === undefined || !queue.delete(waiter)) throw new Error(`blocking: client ${waiter.client} missing from the queue of its key`);
    this.options.kv.readyKeys.unwait(key);
    if (queue.size === 0) this.queues.delete(key);
  }
}
