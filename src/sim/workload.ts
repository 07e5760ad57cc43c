// Simulated clients: each is connected to one node and issues one operation at a time on a
// few keys (contention), or several at once when the run pipelines (each pipeline slot is a
// process of the history; the client's writes share one request-id space and name the
// oldest write still unanswered, as a connection's do). A write goes to its node's real
// write path (the server's WritePath, sim-write-path.ts), which forwards it to the leader,
// retries it across leader changes with the same request id (exactly-once) and answers
// once. Reads go through RaftNode.read() at the run's consistency, then run against the
// local state machine, retried by the client while no read point is to be had. Every
// operation is recorded with virtual call and return times for the checker.
import type { OperationSource, SimOperation } from './operation-source.js';
import type { KvStateMachine } from '../kv/state-machine.js';
import type { Reply } from '../kv/reply.js';
import type { RaftNode, ReadMode } from '../node/raft-node.js';
import type { WritePath } from '../server/write-path.js';
import { EventKind } from './event-queue.js';
import type { SimRandom } from './sim-random.js';

export interface ClientNode {
  readonly runtime: RaftNode<Reply>;
  readonly kv: KvStateMachine;
  /** The server's write path of this incarnation. */
  readonly writes: WritePath;
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
  /** Bumped per read attempt: an answer to an older attempt is ignored. */
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
      attempt: 0,
      done: false,
    };
    client.current[slot] = current;
    host.schedule(this.settings.requestTimeoutMs, -1, EventKind.Client, () => {
      if (current.done) return;
      const outcome = write ? 'unknown' : 'failed';
      this.finish(client, current, outcome, 'timed out');
    });
    if (write) this.submitWrite(client, current);
    else this.attemptRead(client, current);
  }

  /**
   * Hands the write to the server's write path on the client's node, as a connection does:
   * it forwards, retries and times out by itself and answers once. The reply reaches the
   * client only while the node it is connected to lives.
   */
  private submitWrite(client: Client, op: Op): void {
    const origin = client.node;
    const here = this.host.incarnation(origin);
    if (here === null) return; // nodeCrashed finishes it
    const first = client.unanswered.values().next();
    const firstUnanswered = first.done === true ? op.seq : first.value;
    here.writes.submit(client.process + 1, op.seq, firstUnanswered, op.operation.argv, {
      written: (reply) => {
        if (op.done || this.host.incarnation(origin) !== here) return;
        const outcome = writeOutcome(reply);
        if (outcome === 'reply') this.answer(client, op, reply);
        else this.finish(client, op, outcome, reply.kind === 'error' ? reply.message : '');
      },
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

/**
 * What a write's reply tells its client: the command's own reply (its result, or its own
 * refusal), or an answer of the write path: TRYAGAIN says it was not applied, TIMEOUT and
 * SHUTDOWN that the outcome is unknown (src/server/errors.ts).
 */
function writeOutcome(reply: Reply): 'reply' | 'failed' | 'unknown' {
  if (reply.kind !== 'error') return 'reply';
  if (reply.message.startsWith('TRYAGAIN ')) return 'failed';
  if (reply.message.startsWith('TIMEOUT ') || reply.message.startsWith('SHUTDOWN ')) return 'unknown';
  return 'reply';
}
