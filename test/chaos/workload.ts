// The chaos clients: concurrent ioredis connections spread over every node, each issuing
// get / set / cas / del on register keys, append on append keys and incr on counters, and
// recording every operation with its call and return time. Some operations are
// transactions: a double increment in MULTI/EXEC (its two replies must be consecutive, no
// other write between them), and a compare-and-set built from WATCH, GET, MULTI, SET, EXEC. A client never retries: a
// timeout or a lost connection is an unknown outcome, a refusal raftis guarantees was not
// applied (notApplied) is a definite failure, any other error is unknown.

import type { Redis } from 'ioredis';
import { checkKvHistory, formatHistory, formatJsonl, HistoryRecorder, type KvOp, type KvResult } from '../../src/check/index.js';
import type { ChaosCluster } from './chaos-cluster.js';

export type Outcome = 'ok' | 'fail' | 'info';

/**
 * Errors that mean the command was not applied: TRYAGAIN (no leader, or the leader refused
 * it before it reached the log), EXECABORT (the transaction was discarded) and MISCONF (the
 * node's disk is full: it refuses writes before submitting them). The checkers hold raftis
 * to it: an effect of such a command anywhere fails the run. Any other error is unknown.
 */
export function notApplied(message: string): boolean {
  return message.startsWith('TRYAGAIN') || message.startsWith('EXECABORT') || message.startsWith('MISCONF');
}

/** The stream workload's commands (stream-workload.ts). */
export type StreamFunction = 'xadd' | 'xrevrange' | 'xreadgroup' | 'xautoclaim' | 'xack';

/** One completed client operation, for the timeline (times in ms since the cluster started). */
export interface OpRecord {
  readonly callMs: number;
  readonly retMs: number;
  readonly outcome: Outcome;
  /** The operation's function; 'txn' for a list-append transaction, the command's name for the stream workload. */
  readonly f: KvOp['f'] | 'txn' | StreamFunction;
  readonly node: string;
  readonly error?: string;
}

/** What a run's checker concluded, in the terms the run's summary and files need. */
export interface WorkloadCheck {
  /** Operations checked (transactions for list-append). */
  readonly ops: number;
  /** The checker's line in the summary. */
  readonly line: string;
  /** Why the run fails, or null. */
  readonly problem: string | null;
  /** The checker ran out of budget: the run is inconclusive, not failed. */
  readonly undecided: string | null;
  /** The counterexample for violation.txt, or null. */
  readonly violation: string | null;
  /** The history as history.jsonl holds it (raftis check-history reads it). */
  readonly history: string;
}

/** What a chaos run needs of its clients, whichever workload they run. */
export interface ChaosWorkload {
  readonly records: OpRecord[];
  /** What the clients saw that no correct store answers (checked beside the history). */
  readonly anomalies: string[];
  start(): void;
  stop(): Promise<void>;
  /** Every key an operation was issued on (the final reads read them all). */
  keysUsed(): string[];
  /** Reads a key through `client`, recorded in the history; the value as text for comparing nodes. */
  finalRead(process: number, client: Redis, node: string, key: string): Promise<{ outcome: Outcome; value: string | undefined }>;
  /** Checks the history; `enforced` false reports a violation without failing the run (stale reads). */
  check(timeoutMs: number, enforced: boolean): WorkloadCheck;
}

export interface WorkloadOptions {
  readonly clientsPerNode: number;
  readonly registerKeys: number;
  readonly appendKeys: number;
  readonly counterKeys: number;
  /** Each client waits up to this long between operations, to keep histories checkable. */
  readonly thinkMsMax: number;
  readonly commandTimeoutMs: number;
  /**
   * Clients move to a new generation of every key this often (`r0`, then `r0.g1`, …), as
   * Jepsen's independent keys do: each key's history stays short, so the operations with an
   * unknown outcome the checker must place stay few per key. Long runs need it: 600 s on
   * one key gathered some 70 unknown writes, and the checker ran out of memory; 60 s
   * generations still left an append key with 8 unknown appends it could not decide.
   */
  readonly keyGenerationMs: number;
}

/** Share of operations on append keys that reset the value (keeps it a few dozen appends long). */
const APPEND_RESET_SHARE = 0.05;
/** Share of operations that are transactions (half double increments, half WATCH compare-and-sets). */
const TRANSACTION_SHARE = 0.06;

export const WORKLOAD_DEFAULTS: WorkloadOptions = {
  clientsPerNode: 3,
  registerKeys: 4,
  appendKeys: 2,
  counterKeys: 2,
  thinkMsMax: 20,
  commandTimeoutMs: 3000,
  keyGenerationMs: 30_000,
};

export function workloadKeys(options: WorkloadOptions): string[] {
  return [
    ...Array.from({ length: options.registerKeys }, (_, i) => `r${i}`),
    ...Array.from({ length: options.appendKeys }, (_, i) => `a${i}`),
    ...Array.from({ length: options.counterKeys }, (_, i) => `c${i}`),
  ];
}

export interface Command {
  readonly op: KvOp;
  readonly argv: readonly [string, ...string[]];
  readonly decode: (reply: unknown) => KvResult;
}

function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(Math.random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

const asOk = (): KvResult => 'ok';
const asValue = (reply: unknown): KvResult => (reply === null ? null : String(reply));

export class Workload implements ChaosWorkload {
  readonly recorder = new HistoryRecorder();
  readonly records: OpRecord[] = [];
  private readonly cluster: ChaosCluster;
  private readonly options: WorkloadOptions;
  private readonly keys: { registers: string[]; appends: string[]; counters: string[] };
  private running = false;
  private workers: Promise<void>[] = [];
  private counter = 0;
  /** Values a client last saw per key, so CAS sometimes expects the right one. */
  private readonly seen = new Map<string, string>();
  /** Every key an operation was issued on, in first-use order (the final reads read them all). */
  private readonly used = new Set<string>();
  readonly anomalies: string[] = [];

  constructor(cluster: ChaosCluster, options: WorkloadOptions = WORKLOAD_DEFAULTS) {
    this.cluster = cluster;
    this.options = options;
    const all = workloadKeys(options);
    this.keys = { registers: all.filter((k) => k.startsWith('r')), appends: all.filter((k) => k.startsWith('a')), counters: all.filter((k) => k.startsWith('c')) };
  }

  start(): void {
    this.running = true;
    let process = 0;
    for (let round = 0; round < this.options.clientsPerNode; round++) {
      for (const node of this.cluster.nodes) this.workers.push(this.worker(process++, node.id));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    this.workers = [];
  }

  /** Records one operation from a given node and waits for it (used for final reads too). */
  async run(process: number, client: Redis, node: string, command: Command): Promise<{ outcome: Outcome; value: KvResult | undefined }> {
    const callMs = this.cluster.nowMs();
    const id = this.recorder.invoke(process, command.op, callMs);
    try {
      const reply = await client.call(...command.argv);
      const retMs = this.cluster.nowMs();
      const value = command.decode(reply);
      this.recorder.ok(id, value, retMs);
      this.records.push({ callMs, retMs, outcome: 'ok', f: command.op.f, node });
      return { outcome: 'ok', value };
    } catch (error) {
      const retMs = this.cluster.nowMs();
      const message = error instanceof Error ? error.message : String(error);
      const outcome: Outcome = notApplied(message) ? 'fail' : 'info';
      if (outcome === 'fail') this.recorder.fail(id, retMs);
      else this.recorder.info(id, retMs);
      this.records.push({ callMs, retMs, outcome, f: command.op.f, node, error: message.slice(0, 120) });
      return { outcome, value: undefined };
    }
  }

  /**
   * Runs `transaction` (MULTI … EXEC through ioredis) as one recorded operation: a null EXEC
   * (a watched key changed) is a definite failure with no effect, like TRYAGAIN.
   */
  private async runTransaction(process: number, node: string, op: KvOp, transaction: () => Promise<[Error | null, unknown][] | null>, decode: (replies: unknown[]) => KvResult): Promise<Outcome> {
    const callMs = this.cluster.nowMs();
    const id = this.recorder.invoke(process, op, callMs);
    let outcome: Outcome;
    let error: string | undefined;
    try {
      const results = await transaction();
      if (results === null) outcome = 'fail';
      else {
        const failed = results.find(([e]) => e !== null)?.[0];
        if (failed !== undefined && failed !== null) throw failed;
        this.recorder.ok(id, decode(results.map(([, value]) => value)), this.cluster.nowMs());
        outcome = 'ok';
      }
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
      outcome = notApplied(error) ? 'fail' : 'info';
    }
    const retMs = this.cluster.nowMs();
    if (outcome === 'fail') this.recorder.fail(id, retMs);
    else if (outcome === 'info') this.recorder.info(id, retMs);
    this.records.push({ callMs, retMs, outcome, f: op.f, node, ...(error === undefined ? {} : { error: error.slice(0, 120) }) });
    return outcome;
  }

  /** MULTI, INCR key, INCR key, EXEC: an increment by 2 whose replies must be n-1 and n. */
  private async doubleIncrement(process: number, client: Redis, node: string): Promise<void> {
    const key = this.current(pick(this.keys.counters));
    await this.runTransaction(process, node, { f: 'incr', key, by: 2 }, () => client.multi().incr(key).incr(key).exec(), (replies) => {
      const [first, second] = replies.map(Number);
      if (first === undefined || second !== first + 1) this.anomalies.push(`MULTI INCR ${key} INCR ${key} EXEC answered ${JSON.stringify(replies)}: another write ran between them`);
      return second ?? Number.NaN;
    });
  }

  /**
   * WATCH key, GET key, MULTI, SET key value, EXEC: recorded from the GET's reply on as a
   * compare-and-set of the value read (EXEC runs only if the key is unchanged since WATCH,
   * so at EXEC it still holds that value). WATCH or GET failing records nothing: no write
   * was sent.
   */
  private async watchedSet(process: number, client: Redis, node: string): Promise<void> {
    const key = this.current(pick(this.keys.registers));
    const value = `${process}.${++this.counter}`;
    let expected: string | null;
    try {
      await client.watch(key);
      const seen = await client.get(key);
      expected = seen;
    } catch {
      await client.unwatch().catch(() => {});
      return;
    }
    await this.runTransaction(process, node, { f: 'cas', key, expected, value }, () => client.multi().set(key, value).exec(), () => true);
  }

  keysUsed(): string[] {
    return [...this.used];
  }

  async finalRead(process: number, client: Redis, node: string, key: string): Promise<{ outcome: Outcome; value: string | undefined }> {
    const result = await this.run(process, client, node, this.get(key));
    return { outcome: result.outcome, value: result.outcome === 'ok' ? JSON.stringify(result.value) : undefined };
  }

  check(timeoutMs: number, enforced: boolean): WorkloadCheck {
    const history = this.recorder.history();
    const check = checkKvHistory(history, { timeoutMs });
    const base = { ops: check.ops, history: formatJsonl(history) };
    if (check.verdict === 'not-linearizable') {
      const { key, failing, window } = check.violation;
      return {
        ...base,
        line: `NOT linearizable: key ${JSON.stringify(key)} (see violation.txt)${enforced ? '' : ' [stale reads: reported, not checked]'}`,
        problem: enforced ? `history is not linearizable: key ${JSON.stringify(key)}` : null,
        undecided: null,
        violation: `key ${JSON.stringify(key)}: first op that cannot be explained:\n${formatHistory([failing])}\nwindow:\n${formatHistory(window, failing)}\n`,
      };
    }
    if (check.verdict === 'unknown') {
      return { ...base, line: `undecided after ${(check.elapsedMs / 1000).toFixed(1)} s (${check.reason})`, problem: null, undecided: `linearizability undecided (${check.reason}, keys ${check.undecidedKeys.join(', ')}): treat as inconclusive`, violation: null };
    }
    return { ...base, line: `linearizable (${check.ops} ops, ${check.keys} keys, ${(check.elapsedMs / 1000).toFixed(2)} s)`, problem: null, undecided: null, violation: null };
  }

  /** The current generation's name for a base key. */
  private current(base: string): string {
    const generation = Math.floor(this.cluster.nowMs() / this.options.keyGenerationMs);
    const key = generation === 0 ? base : `${base}.g${generation}`;
    this.used.add(key);
    return key;
  }

  get(key: string): Command {
    return { op: { f: 'get', key }, argv: ['GET', key], decode: asValue };
  }

  private nextCommand(process: number): Command {
    const value = `${process}.${++this.counter}`;
    const roll = Math.random();
    if (roll < 0.15 && this.keys.counters.length > 0) {
      const key = this.current(pick(this.keys.counters));
      return { op: { f: 'incr', key, by: 1 }, argv: ['INCR', key], decode: (r) => Number(r) };
    }
    if (roll < 0.25 && this.keys.appends.length > 0) {
      const key = this.current(pick(this.keys.appends));
      // Now and then a SET starts the value over: the checker keeps each state it meets in
      // its memo, so values that grow for a whole long run would exhaust its memory.
      if (Math.random() < APPEND_RESET_SHARE) return { op: { f: 'put', key, value }, argv: ['SET', key, value], decode: asOk };
      return { op: { f: 'append', key, value: ` ${value}` }, argv: ['APPEND', key, ` ${value}`], decode: asOk };
    }
    if (roll < 0.3 && this.keys.appends.length > 0) return this.get(this.current(pick(this.keys.appends)));
    if (roll < 0.35 && this.keys.counters.length > 0) return this.get(this.current(pick(this.keys.counters)));
    const key = this.current(pick(this.keys.registers));
    if (roll < 0.6) return this.get(key);
    if (roll < 0.78) return { op: { f: 'put', key, value }, argv: ['SET', key, value], decode: asOk };
    if (roll < 0.97) {
      const expected = this.seen.get(key) ?? value;
      return { op: { f: 'cas', key, expected, value }, argv: ['SET', key, value, 'IFEQ', expected], decode: (r) => r === 'OK' };
    }
    return { op: { f: 'del', key }, argv: ['DEL', key], decode: asOk };
  }

  private async worker(process: number, node: string): Promise<void> {
    await clientLoop(this.cluster, node, this.options, () => this.running, async (client) => {
      const roll = Math.random();
      if (roll < TRANSACTION_SHARE / 2 && this.keys.counters.length > 0) await this.doubleIncrement(process, client, node);
      else if (roll < TRANSACTION_SHARE && this.keys.registers.length > 0) await this.watchedSet(process, client, node);
      else {
        const command = this.nextCommand(process);
        const result = await this.run(process, client, node, command);
        this.remember(command, result);
      }
    });
  }

  private remember(command: Command, result: { outcome: Outcome; value: KvResult | undefined }): void {
    if (command.op.f === 'put' || command.op.f === 'cas') this.seen.set(command.op.key, command.op.value);
    if (command.op.f === 'get' && typeof result.value === 'string') this.seen.set(command.op.key, result.value);
  }
}

/**
 * One client's life on one node: (re)connects whenever its connection is lost, runs `step`
 * while `running()` holds, with a random think time after each, and gives slots that are
 * not members (spare or removed) no client until a node joins there.
 */
export async function clientLoop(
  cluster: ChaosCluster,
  node: string,
  options: Pick<WorkloadOptions, 'commandTimeoutMs' | 'thinkMsMax'>,
  running: () => boolean,
  step: (client: Redis) => Promise<void>,
): Promise<void> {
  let client: Redis | null = null;
  while (running()) {
    if (client === null || client.status !== 'ready') {
      client?.disconnect();
      client = null;
      const target = cluster.node(node);
      if (!target.member || !target.acceptsClients) {
        await sleep(50);
        continue;
      }
      client = cluster.client(node, options.commandTimeoutMs);
      try {
        await client.connect();
      } catch {
        client.disconnect();
        client = null;
        await sleep(100); // the node is down or unreachable: nothing was sent
        continue;
      }
    }
    await step(client);
    if (options.thinkMsMax > 0) await sleep(Math.random() * options.thinkMsMax);
  }
  client?.disconnect();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
