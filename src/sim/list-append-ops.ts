// The list-append workload in the simulator (Jepsen's workload for Redis-like stores, as the
// chaos suite runs it): transactions of 1–4 micro-operations over a few keys, each
// `append k v` (RPUSH of a value unique in the run) or `read k` (LRANGE k 0 -1), sent as a
// MULTI/EXEC entry (RAFTIS.EXEC, what EXEC proposes) or, half of the times, as one EVAL of a
// script making the same calls. A read-only transaction takes the node's read path at the
// run's read consistency: a single read as LRANGE, several as EVAL_RO. A key retires after
// a fixed number of appends and a fresh one takes its place (as Elle's generator does), so
// reads stay short. The history is checked for strict serializability by the list-append
// (cycle) checker at the end of every run.
import { checkListAppend, describeListAppendResult, type MicroOp, type TxnOp } from '../check/index.js';
import type { Reply } from '../kv/reply.js';
import { encodeTransaction } from '../kv/transaction.js';
import { SimViolation } from './safety-monitor.js';
import type { SimRandom } from './sim-random.js';
import { args, type OperationSource, type SimOperation } from './operation-source.js';

/** Micro-operations in one transaction: 1 to this many. */
const MICRO_OPS_MAX = 4;
/** Appends a key takes before a fresh key replaces it. */
const APPENDS_PER_KEY_MAX = 32;
/** Lines of the checker's report kept in a failure. */
const REPORT_LINES_MAX = 40;

/** KEYS are the micro-operations' keys; ARGV[i] the value to append, or '' for a read. */
export const LIST_APPEND_SCRIPT = `local replies = {}
for i, key in ipairs(KEYS) do
  if ARGV[i] == '' then replies[i] = redis.call('LRANGE', key, 0, -1) else replies[i] = redis.call('RPUSH', key, ARGV[i]) end
end
return replies`;

/** A transaction as sent; `outcome` is set once known (an unknown one stays undefined). */
interface Recorded {
  readonly process: number;
  readonly call: number;
  readonly txn: readonly MicroOp[];
  outcome: TxnOp | undefined;
}

export class ListAppendOps implements OperationSource {
  private readonly recorded: Recorded[] = [];
  /** The keys transactions choose among; a retired key's slot gets a fresh name. */
  private readonly active: string[];
  private readonly appends = new Map<string, number>();
  private nextKey: number;
  private nextValue = 0;

  constructor(
    private readonly random: SimRandom,
    keys: number,
  ) {
    this.active = Array.from({ length: keys }, (_, i) => `la${i}`);
    this.nextKey = keys;
  }

  begin(process: number, now: number): SimOperation {
    const txn = this.generate();
    const entry: Recorded = { process, call: now, txn, outcome: undefined };
    this.recorded.push(entry);
    const { argv, write } = this.encode(txn);
    return {
      argv,
      write,
      label: `txn [${txn.map((mop) => (mop.f === 'append' ? `append ${mop.key} ${mop.value}` : `r ${mop.key}`)).join(', ')}]`,
      answered: (reply, time) => {
        if (reply.kind === 'error') {
          // Refused before any of it ran (EXECABORT, a script that does not compile): no effect.
          entry.outcome = { process, type: 'fail', call: now, ret: time, txn };
          return 'failed';
        }
        entry.outcome = { process, type: 'ok', call: now, ret: time, txn: completed(txn, reply) };
        return 'ok';
      },
      unanswered: (outcome, time) => {
        if (outcome === 'failed') entry.outcome = { process, type: 'fail', call: now, ret: time, txn };
      },
    };
  }

  /** Failed transactions stay (their appends must never be seen); unanswered ones are unknown. */
  history(): TxnOp[] {
    return this.recorded.map((entry) => entry.outcome ?? { process: entry.process, type: 'info', call: entry.call, ret: null, txn: entry.txn });
  }

  check(): SimViolation | null {
    const history = this.history();
    const result = checkListAppend(history);
    if (result.valid) return null;
    return new SimViolation('strict serializability', describeListAppendResult(result, history).slice(0, REPORT_LINES_MAX).join('\n'));
  }

  /** 1–4 micro-operations on the active keys, half of them appends of fresh values. */
  private generate(): MicroOp[] {
    const count = 1 + this.random.int(MICRO_OPS_MAX);
    const txn: MicroOp[] = [];
    for (let i = 0; i < count; i++) {
      const slot = this.random.int(this.active.length);
      const key = this.active[slot] as string;
      if (this.random.chance(0.5)) {
        txn.push({ f: 'r', key, value: null });
        continue;
      }
      const appended = (this.appends.get(key) ?? 0) + 1;
      this.appends.set(key, appended);
      if (appended >= APPENDS_PER_KEY_MAX) this.active[slot] = `la${this.nextKey++}`;
      txn.push({ f: 'append', key, value: String(++this.nextValue) });
    }
    return txn;
  }

  private encode(txn: readonly MicroOp[]): { argv: Uint8Array[]; write: boolean } {
    const readOnly = txn.every((mop) => mop.f === 'r');
    const viaScript = this.random.chance(0.5);
    const first = txn[0];
    if (readOnly && txn.length === 1 && first !== undefined) return { argv: args('LRANGE', first.key, '0', '-1'), write: false };
    if (viaScript || readOnly) {
      const keys = txn.map((mop) => mop.key);
      const values = txn.map((mop) => (mop.f === 'append' ? mop.value : ''));
      return { argv: args(readOnly ? 'EVAL_RO' : 'EVAL', LIST_APPEND_SCRIPT, String(txn.length), ...keys, ...values), write: !readOnly };
    }
    const commands = txn.map((mop) => (mop.f === 'append' ? args('RPUSH', mop.key, mop.value) : args('LRANGE', mop.key, '0', '-1')));
    return { argv: encodeTransaction({ watches: [], commands }), write: true };
  }
}

/** The transaction with its reads filled in from the reply: one element per micro-operation (a bare LRANGE: the list itself). */
function completed(txn: readonly MicroOp[], reply: Reply): MicroOp[] {
  const first = txn[0];
  const replies = txn.length === 1 && first?.f === 'r' ? [reply] : reply.kind === 'array' && reply.value !== null ? reply.value : null;
  if (replies === null || replies.length !== txn.length) throw new SimViolation('client', `transaction of ${txn.length} answered ${JSON.stringify(reply)}`);
  return txn.map((mop, i) => {
    const answer = replies[i] as Reply;
    if (mop.f === 'append') {
      if (answer.kind !== 'integer') throw new SimViolation('client', `RPUSH ${mop.key} ${mop.value} answered ${JSON.stringify(answer)}`);
      return mop;
    }
    if (answer.kind !== 'array' || answer.value === null) throw new SimViolation('client', `LRANGE ${mop.key} answered ${JSON.stringify(answer)}`);
    const list = answer.value.map((item) => {
      if (item.kind !== 'bulk' || item.value === null) throw new SimViolation('client', `LRANGE ${mop.key} answered an element ${JSON.stringify(item)}`);
      return Buffer.from(item.value).toString('latin1');
    });
    return { f: 'r', key: mop.key, value: list };
  });
}
