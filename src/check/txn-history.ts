// The list-append history model (Jepsen's list-append workload, checked the way Elle
// does): each operation is a transaction of micro-operations, `append k v` (RPUSH) or
// `read k` (LRANGE k 0 -1) with the list it observed. Every value is appended at most once
// per key, so a list read names exactly which appends it saw and in which order.

/** One micro-operation. `value` of a read is the observed list, null while unknown. */
export type MicroOp =
  | { readonly f: 'append'; readonly key: string; readonly value: string }
  | { readonly f: 'r'; readonly key: string; readonly value: readonly string[] | null };

/**
 * One transaction of a history. `ok`: committed with the reads shown. `fail`: definitely
 * did not take effect (its appends must never be seen). `info`: outcome unknown (its
 * appends may or may not be seen; its reads are unknown). Times are ordered numbers; an
 * operation whose call is later than another's return began after it ended.
 */
export interface TxnOp {
  readonly process: number;
  readonly type: 'ok' | 'fail' | 'info';
  readonly call: number;
  /** Null exactly when `type` is 'info' and the outcome never came. */
  readonly ret: number | null;
  readonly txn: readonly MicroOp[];
}

/** Why `op` cannot be part of a list-append history, or null when it can. */
export function txnOpMismatch(op: TxnOp): string | null {
  if (op.txn.length === 0) return 'a transaction needs at least one micro-operation';
  if (op.ret !== null && op.ret < op.call) return `return ${op.ret} is before call ${op.call}`;
  if (op.ret === null && op.type !== 'info') return `a ${op.type} transaction needs a return time`;
  for (const mop of op.txn) {
    if (mop.f === 'r' && op.type === 'ok' && mop.value === null) return `an ok transaction's read of ${JSON.stringify(mop.key)} needs its list`;
  }
  return null;
}

/** `append "k" 3` / `r "k" [1 2]`: one micro-operation for people. */
export function describeMicroOp(mop: MicroOp): string {
  if (mop.f === 'append') return `append ${JSON.stringify(mop.key)} ${mop.value}`;
  return `r ${JSON.stringify(mop.key)} ${mop.value === null ? '?' : `[${mop.value.join(' ')}]`}`;
}

/** `p3 ok 12 → 15 [append "x" 1, r "y" [1 2]]`. */
export function describeTxnOp(op: TxnOp): string {
  return `p${op.process} ${op.type} ${op.call} → ${op.ret ?? '?'} [${op.txn.map(describeMicroOp).join(', ')}]`;
}
