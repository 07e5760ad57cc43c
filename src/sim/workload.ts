// Simulated clients: each is connected to one node and issues one operation at a time on a
// few keys (contention) the way the server's write path does, or several at once when the
// run pipelines (each pipeline slot is a process of the history; the client's writes share
// one request-id space and name the oldest write still unanswered, as the server's do). A write on a follower is
// forwarded to the leader it knows: the forward and its answer are two simulated network
// hops on the same links as Raft traffic, and every attempt carries the same request id
// (origin, client, seq), so retries exercise exactly-once. Reads go through
// RaftNode.read() at the run's consistency, then run against the local state machine.
// Every operation is recorded with virtual call and return times for the checker.
import type { OperationSource, SimOperation } from './operation-source.js';
import { encodeCommand } from '../kv/command-codec.js';
import type { KvStateMachine } from '../kv/state-machine.js';
import type { Reply } from '../kv/reply.js';
import type { NodeError } from '../node/errors.js';
import type { RaftNode, ReadMode } from '../node/raft-node.js';
import { EventKind } from './event-queue.js';
import type { SimRandom } from './sim-random.js';

export interface ClientNode {
  readonly runtime: RaftNode<Reply>;
  readonly kv: KvStateMachine;
}

/** What the clients need of the simulator. */
export interface WorkloadHost {
  readonly now: number;
  readonly random: SimRandom;
  readonly nodeCount: number;
  schedule(delayMs: number, node: number, kind: EventKind, run: () => void): void;
  nodeId(index: number): string;
  indexOf(id: string): number;
  /** The node's live incarnation, null while it is down. */
  incarnation(index: number): ClientNode | null;
  /** Delivery delay for one message from → to, or null when it is lost. */
  hop(from: number, to: number): number | null;
}

export interface WorkloadSettings {
  readonly clients: number;
  readonly keys: number;
  readonly readMode: ReadMode;
  readonly requestTimeoutMs: number;
  readonly retryDelayMs: number;
  /** No new operation is issued at or after this virtual time. */
  readonly stopAt: number;
  /** Every operation called at or after this time must succeed (liveness). */
  readonly mustSucceedFrom: number;
  /** Operations each client keeps in flight. */
  readonly pipeline: number;
}

/** Client think time between operations, virtual ms. */
const THINK_MS_MIN = 5;
const THINK_MS_MAX = 60;
/** A client whose node crashed reconnects after this long. */
const RECONNECT_MS = 20;

interface Op {
  readonly operation: SimOperation;
  readonly call: number;
  readonly deadline: number;
  /** The request id's sequence number (writes). */
  readonly seq: number;
  /** The client's pipeline slot it runs in. */
  readonly slot: number;
  /** Some attempt may have taken effect. */
  uncertain: boolean;
  /** An attempt is out and has not answered. */
  pending: boolean;
  /** Bumped per attempt: an answer to an older attempt is ignored. */
  attempt: number;
  done: boolean;
}

interface Client {
  readonly process: number;
  node: number;
  seq: number;
  /** The operation in flight in each pipeline slot. */
  readonly current: (Op | null)[];
  /** Sequences of writes not yet answered, increasing (a Set keeps insertion order). */
  readonly unanswered: Set<number>;
}

export class Workload {
  private readonly clients: Client[] = [];
  opsOk = 0;
  opsUnknown = 0;
  opsFailed = 0;
  livenessFailure: string | null = null;
  /** Every operation called at or after this time must succeed; a late fault moves it on. */
  private mustSucceedFrom: number;

  constructor(
    private readonly host: WorkloadHost,
    private readonly settings: WorkloadSettings,
    readonly source: OperationSource,
  ) {
    this.mustSucceedFrom = settings.mustSucceedFrom;
    for (let process = 0; process < settings.clients; process++) {
      const client: Client = { process, node: host.random.int(host.nodeCount), seq: 0, current: new Array<Op | null>(settings.pipeline).fill(null), unanswered: new Set() };
      this.clients.push(client);
      for (let slot = 0; slot < settings.pipeline; slot++) {
        host.schedule(host.random.between(THINK_MS_MIN, THINK_MS_MAX), -1, EventKind.Client, () => this.next(client, slot));
      }
    }
  }

  get idle(): boolean {
    return this.clients.every((client) => client.current.every((op) => op === null));
  }

  /**
   * A fault after faults stopped (a membership change in progress then finishes by wiping a
   * node): operations called before `from` no longer have to succeed.
   */
  postponeLiveness(from: number): void {
    this.mustSucceedFrom = Math.max(this.mustSucceedFrom, from);
  }

  /** The node crashed: its clients lose their connections, and with them their answers. */
  nodeCrashed(index: number): void {
    for (const client of this.clients) {
      if (client.node !== index) continue;
      for (const op of client.current) if (op !== null) this.finish(client, op, op.operation.write ? 'unknown' : 'failed', 'connection lost');
      client.node = -1;
      this.host.schedule(RECONNECT_MS, -1, EventKind.Client, () => this.reconnect(client));
    }
  }

  private reconnect(client: Client): void {
    const live: number[] = [];
    for (let i = 0; i < this.host.nodeCount; i++) if (this.host.incarnation(i) !== null) live.push(i);
    if (live.length === 0) {
      this.host.schedule(RECONNECT_MS, -1, EventKind.Client, () => this.reconnect(client));
      return;
    }
    client.node = this.host.random.pick(live);
    for (let slot = 0; slot < this.settings.pipeline; slot++) this.next(client, slot);
  }

  private next(client: Client, slot: number): void {
    const host = this.host;
    if (client.current[slot] !== null || client.node < 0 || host.now >= this.settings.stopAt) return;
    const operation = this.source.begin(client.process * this.settings.pipeline + slot, host.now);
    const write = operation.write;
    const seq = write ? ++client.seq : 0;
    if (write) client.unanswered.add(seq);
    const current: Op = {
      operation,
      call: host.now,
      deadline: host.now + this.settings.requestTimeoutMs,
      seq,
      slot,
      uncertain: false,
      pending: false,
      attempt: 0,
      done: false,
    };
    client.current[slot] = current;
    host.schedule(this.settings.requestTimeoutMs, -1, EventKind.Client, () => {
      if (current.done) return;
      const outcome = write && (current.uncertain || current.pending) ? 'unknown' : 'failed';
      this.finish(client, current, outcome, 'timed out');
    });
    if (write) this.attemptWrite(client, current);
    else this.attemptRead(client, current);
  }

  private attemptWrite(client: Client, op: Op): void {
    if (op.done) return;
    const host = this.host;
    if (host.now >= op.deadline) return;
    const origin = client.node;
    const here = host.incarnation(origin);
    if (here === null) return; // nodeCrashed finishes it
    const attempt = ++op.attempt;
    // Named by the origin when the attempt leaves, as the server's write path does.
    const first = client.unanswered.values().next();
    const firstUnanswered = first.done === true ? op.seq : first.value;
    const answer = (error: NodeError | null, reply: Reply | undefined): void => {
      if (op.done || attempt !== op.attempt) return;
      op.pending = false;
      if (error === null && reply !== undefined) return this.answer(client, op, reply);
      if (error !== null && !error.definitelyNotApplied) op.uncertain = true;
      host.schedule(error?.code === 'NO_LEADER' ? 0 : this.settings.retryDelayMs, -1, EventKind.Client, () => this.attemptWrite(client, op));
    };
    if (here.runtime.isLeader) {
      op.pending = true;
      this.propose(origin, origin, client, op, firstUnanswered, answer);
      return;
    }
    const leaderId = here.runtime.leader;
    if (leaderId === '') {
      host.schedule(this.settings.retryDelayMs, -1, EventKind.Client, () => this.attemptWrite(client, op));
      return;
    }
    const leader = host.indexOf(leaderId);
    op.pending = true;
    // The forward and its answer are network hops; a lost one leaves the attempt to the op's deadline.
    const there = host.hop(origin, leader);
    if (there === null) return;
    host.schedule(there, leader, EventKind.Forward, () => {
      if (host.incarnation(leader) === null) return;
      this.propose(leader, origin, client, op, firstUnanswered, (error, reply) => {
        const back = host.hop(leader, origin);
        if (back === null) return;
        host.schedule(back, origin, EventKind.Forward, () => {
          if (host.incarnation(origin) === here) answer(error, reply);
        });
      });
    });
  }

  /** Proposes the op on node `at` as the server's proposeLocal does; answers only from that incarnation. */
  private propose(at: number, origin: number, client: Client, op: Op, firstUnanswered: number, done: (error: NodeError | null, reply: Reply | undefined) => void): void {
    const node = this.host.incarnation(at);
    if (node === null) return;
    const originId = this.host.nodeId(origin);
    const data = encodeCommand({ origin: originId, client: client.process + 1, seq: op.seq, firstUnanswered, time: node.runtime.clusterTime(), argv: op.operation.argv });
    node.runtime.propose(`${originId}/${client.process + 1}/${op.seq}`, data, (error, reply) => {
      if (this.host.incarnation(at) !== node) return;
      done(error, reply);
    });
  }

  private attemptRead(client: Client, op: Op): void {
    if (op.done) return;
    const host = this.host;
    if (host.now >= op.deadline) return;
    const index = client.node;
    const node = host.incarnation(index);
    if (node === null) return;
    const attempt = ++op.attempt;
    node.runtime.read(this.settings.readMode, (error, clusterTime) => {
      if (op.done || attempt !== op.attempt || host.incarnation(index) !== node) return;
      if (error !== null) {
        host.schedule(this.settings.retryDelayMs, -1, EventKind.Client, () => this.attemptRead(client, op));
        return;
      }
      this.answer(client, op, node.kv.read(op.operation.argv, clusterTime));
    });
  }

  private answer(client: Client, op: Op, reply: Reply): void {
    if (op.done) return;
    const outcome = op.operation.answered(reply, this.host.now);
    // A refusal (e.g. INCR of a non-integer) ran and had no effect: no liveness failure.
    this.settle(client, op, outcome, outcome === 'failed' && reply.kind === 'error' ? reply.message : '', outcome === 'failed');
  }

  private finish(client: Client, op: Op, outcome: 'unknown' | 'failed', why: string): void {
    if (op.done) return;
    op.operation.unanswered(outcome, this.host.now);
    this.settle(client, op, outcome, why, false);
  }

  private settle(client: Client, op: Op, outcome: 'ok' | 'unknown' | 'failed', why: string, refused: boolean): void {
    op.done = true;
    client.current[op.slot] = null;
    client.unanswered.delete(op.seq);
    const now = this.host.now;
    if (outcome === 'ok') this.opsOk++;
    else if (outcome === 'unknown') this.opsUnknown++;
    else this.opsFailed++;
    if (outcome !== 'ok' && !refused && op.call >= this.mustSucceedFrom && this.livenessFailure === null) {
      this.livenessFailure = `${op.operation.label} by client ${client.process} called at ${op.call} ms (after faults stopped and the cluster settled) ${why} at ${now} ms`;
    }
    const think = this.host.random.between(THINK_MS_MIN, THINK_MS_MAX);
    this.host.schedule(think, -1, EventKind.Client, () => this.next(client, op.slot));
  }
}
