// The list-append chaos clients (Jepsen's workload for Redis-like stores): transactions of
// 1–4 micro-operations over a few keys, each `append k v` (RPUSH, values unique per key)
// or `read k` (LRANGE k 0 -1), sent as MULTI … EXEC from clients on every node, recorded
// with call and return times and checked for strict serializability by the list-append
// checker. A key retires after a fixed number of appends and a fresh one takes its place,
// as Elle's generator does, so reads stay short. The Lua variant sends each transaction as
// one EVAL of a script that runs the same RPUSH / LRANGE calls. Read-only transactions take
// the node's read path, so the run's read consistency applies to them: a single read is a
// plain LRANGE (MULTI … EXEC always goes through the log), and the Lua variant sends every
// read-only transaction as EVAL_RO. Outcomes as in the register
// workload: a refusal that was surely not applied (notApplied: TRYAGAIN, EXECABORT, MISCONF) rules a transaction out, any other error leaves it unknown.
import type { Redis } from 'ioredis';
import { checkListAppend, describeListAppendResult, formatTxnJsonl, type MicroOp, type TxnOp } from '../../src/check/index.js';
import type { ChaosCluster } from './chaos-cluster.js';
import { clientLoop, notApplied, type ChaosWorkload, type OpRecord, type Outcome, type WorkloadCheck, type WorkloadOptions } from './workload.js';

/** Keys written at once; each client transaction picks among them. */
const ACTIVE_KEYS = 4;
/** Appends a key takes before a fresh key replaces it. */
const APPENDS_PER_KEY_MAX = 64;
const MICRO_OPS_MAX = 4;
/** Lines of the checker's report kept in the summary's problem line. */
const REPORT_LINES_MAX = 40;

/** A transaction as sent; `outcome` is filled in once known (undefined: unknown). */
interface Recorded {
  readonly process: number;
  readonly call: number;
  readonly txn: MicroOp[];
  outcome: TxnOp | undefined;
}

export class ListAppendWorkload implements ChaosWorkload {
  readonly records: OpRecord[] = [];
  readonly anomalies: string[] = [];
  readonly #ops: Recorded[] = [];
  readonly #active = Array.from({ length: ACTIVE_KEYS }, (_, i) => `la${i}`);
  readonly #appends = new Map<string, number>();
  readonly #used = new Set<string>();
  #nextKey = ACTIVE_KEYS;
  #nextValue = 0;
  #running = false;
  #workers: Promise<void>[] = [];

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly options: WorkloadOptions,
    /** Send transactions as EVAL of TRANSACTION_SCRIPT instead of MULTI … EXEC. */
    private readonly viaScript = false,
  ) {}

  start(): void {
    this.#running = true;
    let process = 0;
    for (let round = 0; round < this.options.clientsPerNode; round++) {
      for (const node of this.cluster.nodes) {
        const id = process++;
        this.#workers.push(clientLoop(this.cluster, node.id, this.options, () => this.#running, (client) => this.#transaction(id, client, node.id, this.#generate()).then(() => {})));
      }
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
    this.#workers = [];
  }

  keysUsed(): string[] {
    return [...this.#used];
  }

  async finalRead(process: number, client: Redis, node: string, key: string): Promise<{ outcome: Outcome; value: string | undefined }> {
    const result = await this.#transaction(process, client, node, [{ f: 'r', key, value: null }]);
    const read = result?.type === 'ok' ? result.txn[0] : undefined;
    return read?.f === 'r' ? { outcome: 'ok', value: JSON.stringify(read.value) } : { outcome: result === undefined ? 'info' : 'fail', value: undefined };
  }

  /** The history: failed transactions kept (their appends must never be seen), those never answered unknown. */
  history(): TxnOp[] {
    return this.#ops.map((entry) => entry.outcome ?? { process: entry.process, type: 'info', call: entry.call, ret: null, txn: entry.txn.map(unknownRead) });
  }

  check(_timeoutMs: number, enforced: boolean): WorkloadCheck {
    const history = this.history();
    const result = checkListAppend(history);
    const report = describeListAppendResult(result, history);
    const base = { ops: result.ops, history: formatTxnJsonl(history), undecided: null };
    if (result.valid) return { ...base, line: report[0]!, problem: null, violation: null };
    return {
      ...base,
      line: `${report[0]!} (see violation.txt)${enforced ? '' : ' [stale reads: reported, not checked]'}`,
      problem: enforced ? `history is not strict serializable: ${report.slice(0, REPORT_LINES_MAX).join('\n')}` : null,
      violation: report.join('\n') + '\n',
    };
  }

  /** 1–4 micro-operations on the active keys, half appends of fresh values. */
  #generate(): MicroOp[] {
    const count = 1 + Math.floor(Math.random() * MICRO_OPS_MAX);
    return Array.from({ length: count }, () => {
      const slot = Math.floor(Math.random() * this.#active.length);
      const key = this.#active[slot]!;
      this.#used.add(key);
      if (Math.random() < 0.5) return { f: 'r', key, value: null };
      const appended = (this.#appends.get(key) ?? 0) + 1;
      this.#appends.set(key, appended);
      if (appended >= APPENDS_PER_KEY_MAX) this.#active[slot] = `la${this.#nextKey++}`;
      return { f: 'append', key, value: String(++this.#nextValue) };
    });
  }

  /** Runs one transaction as MULTI, RPUSH / LRANGE …, EXEC and records it; returns it as recorded, undefined when the outcome is unknown. */
  async #transaction(process: number, client: Redis, node: string, txn: MicroOp[]): Promise<TxnOp | undefined> {
    const call = this.cluster.nowMs();
    const entry: Recorded = { process, call, txn, outcome: undefined };
    this.#ops.push(entry);
    let outcome: Outcome = 'info';
    let error: string | undefined;
    try {
      const replies = await this.#send(client, txn);
      entry.outcome = { process, type: 'ok', call, ret: this.cluster.nowMs(), txn: this.#completed(txn, replies) };
      outcome = 'ok';
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
      if (notApplied(error)) {
        outcome = 'fail';
        entry.outcome = { process, type: 'fail', call, ret: this.cluster.nowMs(), txn };
      }
    }
    this.records.push({ callMs: call, retMs: this.cluster.nowMs(), outcome, f: 'txn', node, ...(error === undefined ? {} : { error: error.slice(0, 120) }) });
    return entry.outcome;
  }

  #send(client: Redis, txn: readonly MicroOp[]): Promise<unknown[]> {
    const readOnly = txn.every((mop) => mop.f === 'r');
    if (this.viaScript) return runScript(client, txn, readOnly ? 'EVAL_RO' : 'EVAL');
    if (readOnly && txn.length === 1) return client.lrange(txn[0]!.key, 0, -1).then((list) => [list]);
    return runMulti(client, txn);
  }

  /** The transaction with its reads filled in from the replies, one per micro-operation. */
  #completed(txn: readonly MicroOp[], replies: readonly unknown[]): MicroOp[] {
    return txn.map((mop, i) => {
      const reply = replies[i];
      if (mop.f === 'append') {
        if (typeof reply !== 'number') this.anomalies.push(`RPUSH ${mop.key} ${mop.value} in EXEC answered ${JSON.stringify(reply)}`);
        return mop;
      }
      if (!Array.isArray(reply)) {
        this.anomalies.push(`LRANGE ${mop.key} 0 -1 in EXEC answered ${JSON.stringify(reply)}`);
        return { f: 'r', key: mop.key, value: [] };
      }
      return { f: 'r', key: mop.key, value: reply.map(String) };
    });
  }
}

function unknownRead(mop: MicroOp): MicroOp {
  return mop.f === 'r' ? { f: 'r', key: mop.key, value: null } : mop;
}

async function runMulti(client: Redis, txn: readonly MicroOp[]): Promise<unknown[]> {
  const multi = client.multi();
  for (const mop of txn) {
    if (mop.f === 'append') multi.rpush(mop.key, mop.value);
    else multi.lrange(mop.key, 0, -1);
  }
  const replies = await multi.exec();
  if (replies === null) throw new Error('EXEC returned null without WATCH');
  const failed = replies.find(([e]) => e !== null)?.[0];
  if (failed !== undefined && failed !== null) throw failed;
  return replies.map(([, value]) => value);
}

/** KEYS are the micro-operations' keys; ARGV[i] the value to append, or '' for a read. */
const TRANSACTION_SCRIPT = `local replies = {}
for i, key in ipairs(KEYS) do
  if ARGV[i] == '' then replies[i] = redis.call('LRANGE', key, 0, -1) else replies[i] = redis.call('RPUSH', key, ARGV[i]) end
end
return replies`;

async function runScript(client: Redis, txn: readonly MicroOp[], command: 'EVAL' | 'EVAL_RO'): Promise<unknown[]> {
  const argv = txn.map((mop) => (mop.f === 'append' ? mop.value : ''));
  const reply = await client.call(command, TRANSACTION_SCRIPT, txn.length, ...txn.map((mop) => mop.key), ...argv);
  if (!Array.isArray(reply)) throw new Error(`the transaction script answered ${JSON.stringify(reply)}`);
  return reply as unknown[];
}
