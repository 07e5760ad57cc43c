// Simulated clients: each is connected to one node and issues one operation at a time on a
// few keys (contention) the way the server's write path does, or several at once when the
// run pipelines (each pipeline slot is a process of the history; the client's writes share
// one request-id space and name the oldest write still unanswered, as the server's do). A write on a follower is
// forwarded to the leader it knows: the forward and its answer are two simulated network
// hops on the same links as Raft traffic, and every attempt carries the same request id
// (origin, client, seq), so retries exercise exactly-once. Reads go through
// RaftNode.read() at the run's consistency, then run against the local state machine.
// Every operation is recorded with virtual call and return times for the checker.
import { HistoryRecorder, type KvOp, type KvResult } from '../check/index.js';
import { encodeCommand } from '../kv/command-codec.js';
import type { KvStateMachine } from '../kv/state-machine.js';
import type { Reply } from '../kv/reply.js';
import type { NodeError } from '../node/errors.js';
import type { RaftNode, ReadMode } from '../node/raft-node.js';
import { EventKind } from './event-queue.js';
import type { SimRandom } from './sim-random.js';
import { SimViolation } from './safety-monitor.js';

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
  readonly id: number;
  readonly op: KvOp;
  readonly argv: readonly Uint8Array[];
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
  readonly history = new HistoryRecorder();
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
      for (const op of client.current) if (op !== null) this.finish(client, op, isWrite(op.op) ? 'unknown' : 'failed', null, 'connection lost');
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
    const { op, argv } = this.chooseOp();
    const write = isWrite(op);
    const seq = write ? ++client.seq : 0;
    if (write) client.unanswered.add(seq);
    const current: Op = {
      id: this.history.invoke(client.process * this.settings.pipeline + slot, op, host.now),
      op,
      argv,
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
      this.finish(client, current, outcome, null, 'timed out');
    });
    if (write) this.attemptWrite(client, current);
    else this.attemptRead(client, current);
  }

  private chooseOp(): { op: KvOp; argv: Uint8Array[] } {
    const random = this.host.random;
    const roll = random.int(100);
    if (roll < 20) return this.chooseCollectionOp(roll);
    const key = `k${random.int(this.settings.keys)}`;
    const digit = (): string => String(random.int(10));
    // Some reads, puts and increments go through a script instead (EVAL_RO, EVAL): the same
    // effect and reply, so the register model checks scripts too (chosen by the roll, so a
    // seed draws the same numbers as before scripts were added).
    if (roll < 40) return { op: { f: 'get', key }, argv: roll < 34 ? args('GET', key) : args('EVAL_RO', scriptGet, '1', key) };
    if (roll < 48) {
      const value = digit();
      return { op: { f: 'put', key, value }, argv: roll < 45 ? args('SET', key, value) : args('EVAL', scriptSet, '1', key, value) };
    }
    if (roll < 60) {
      const value = digit();
      return { op: { f: 'append', key, value }, argv: args('APPEND', key, value) };
    }
    if (roll < 75) {
      const expected = digit();
      const value = digit();
      return { op: { f: 'cas', key, expected, value }, argv: args('SET', key, value, 'IFEQ', expected) };
    }
    if (roll < 90) return { op: { f: 'incr', key, by: 1 }, argv: roll < 85 ? args('INCR', key) : args('EVAL', scriptIncr, '1', key) };
    return { op: { f: 'del', key }, argv: args('DEL', key) };
  }

  /** Lists (keys l0…) and sorted sets (keys z0…): one op in five, each key keeping its own type. */
  private chooseCollectionOp(roll: number): { op: KvOp; argv: Uint8Array[] } {
    const random = this.host.random;
    const slot = random.int(this.settings.keys);
    const digit = (): string => String(random.int(10));
    if (roll < 6) {
      const key = `l${slot}`;
      const value = digit();
      return { op: { f: 'rpush', key, value }, argv: args('RPUSH', key, value) };
    }
    if (roll < 10) return { op: { f: 'lrange', key: `l${slot}` }, argv: args('LRANGE', `l${slot}`, '0', '-1') };
    if (roll < 16) {
      const key = `z${slot}`;
      const member = `m${digit()}`;
      const score = random.int(10);
      return { op: { f: 'zadd', key, member, score }, argv: args('ZADD', key, String(score), member) };
    }
    return { op: { f: 'zrange', key: `z${slot}` }, argv: args('ZRANGE', `z${slot}`, '0', '-1', 'WITHSCORES') };
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
      if (error === null && reply !== undefined) return this.finishWrite(client, op, reply);
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
    const data = encodeCommand({ origin: originId, client: client.process + 1, seq: op.seq, firstUnanswered, time: node.runtime.clusterTime(), argv: op.argv });
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
      const reply = node.kv.read(op.argv, clusterTime);
      const result = readResult(op.op, reply);
      if (result === undefined) throw new SimViolation('client', `${op.op.f} ${op.op.key} answered ${JSON.stringify(reply)}`);
      this.finish(client, op, 'ok', result, '');
    });
  }

  private finishWrite(client: Client, op: Op, reply: Reply): void {
    if (reply.kind === 'error') {
      // The command ran and was refused (e.g. INCR of a non-integer): no effect.
      this.finish(client, op, 'failed', null, reply.message);
      return;
    }
    const result = writeResult(op.op, reply);
    if (result === undefined) throw new SimViolation('client', `${op.op.f} ${op.op.key} answered ${JSON.stringify(reply)}`);
    this.finish(client, op, 'ok', result, '');
  }

  private finish(client: Client, op: Op, outcome: 'ok' | 'unknown' | 'failed', result: KvResult, why: string): void {
    if (op.done) return;
    op.done = true;
    client.current[op.slot] = null;
    client.unanswered.delete(op.seq);
    const now = this.host.now;
    if (outcome === 'ok') {
      this.history.ok(op.id, result, now);
      this.opsOk++;
    } else if (outcome === 'unknown') {
      this.history.info(op.id, now);
      this.opsUnknown++;
    } else {
      this.history.fail(op.id, now);
      this.opsFailed++;
    }
    const refused = outcome === 'failed' && why !== 'timed out' && why !== 'connection lost';
    if (outcome !== 'ok' && !refused && op.call >= this.mustSucceedFrom && this.livenessFailure === null) {
      this.livenessFailure = `${op.op.f} ${op.op.key} by client ${client.process} called at ${op.call} ms (after faults stopped and the cluster settled) ${why} at ${now} ms`;
    }
    const think = this.host.random.between(THINK_MS_MIN, THINK_MS_MAX);
    this.host.schedule(think, -1, EventKind.Client, () => this.next(client, op.slot));
  }
}

function isWrite(op: KvOp): boolean {
  return op.f !== 'get' && op.f !== 'lrange' && op.f !== 'zrange';
}

const scriptGet = "return redis.call('get', KEYS[1])";
const scriptSet = "return redis.call('set', KEYS[1], ARGV[1])";
const scriptIncr = "return redis.call('incr', KEYS[1])";

function args(...words: string[]): Uint8Array[] {
  return words.map((word) => Buffer.from(word, 'latin1'));
}

/** A read's result as the history records it (history.ts), or undefined for a reply that does not fit. */
function readResult(op: KvOp, reply: Reply): KvResult | undefined {
  const text = (item: Reply | undefined): string | undefined =>
    item?.kind === 'bulk' && item.value !== null ? Buffer.from(item.value).toString('latin1') : undefined;
  switch (op.f) {
    case 'get':
      return reply.kind === 'bulk' ? (reply.value === null ? null : text(reply)) : undefined;
    case 'lrange': {
      if (reply.kind !== 'array' || reply.value === null) return undefined;
      const items = reply.value.map(text);
      return items.every((item) => item !== undefined) ? items.join('') : undefined;
    }
    case 'zrange': {
      // WITHSCORES: (member, score) pairs; the workload's scores are small integers.
      if (reply.kind !== 'pairs') return undefined;
      const pairs = reply.value.map(([member, score]) => (score.kind === 'double' ? `${text(member) ?? '?'}:${score.value}` : undefined));
      return pairs.every((pair) => pair !== undefined) ? pairs.join(',') : undefined;
    }
    default:
      return undefined;
  }
}

function writeResult(op: KvOp, reply: Reply): KvResult | undefined {
  switch (op.f) {
    case 'put':
      return reply.kind === 'simple' ? 'ok' : undefined;
    case 'append':
    case 'del':
      return reply.kind === 'integer' ? 'ok' : undefined;
    case 'incr':
    case 'rpush':
    case 'zadd':
      return reply.kind === 'integer' ? Number(reply.value) : undefined;
    case 'cas':
      if (reply.kind === 'simple') return true;
      if ((reply.kind === 'bulk' && reply.value === null) || reply.kind === 'null') return false;
      return undefined;
    case 'get':
    case 'lrange':
    case 'zrange':
      return undefined;
  }
}
