// Parses list-append histories, in two formats:
//   Jepsen's EDN, one event per line (an :invoke, then :ok / :fail / :info by the same process):
//     {:process 0, :type :invoke, :f :txn, :value [[:append 3 1] [:r 4 nil]]}
//     {:process 0, :type :ok, :f :txn, :value [[:append 3 1] [:r 4 [1 2]]]}
//   raftis's JSON lines, one transaction per line with its call and return:
//     {"process":0,"type":"ok","call":10,"ret":14,"txn":[["append","x",1],["r","y",[1,2]]]}
//     {"process":1,"type":"info","call":11,"ret":null,"txn":[["append","x",2],["r","y",null]]}
// Keys and values may be strings or integers (compared as text). In EDN, line numbers are
// the times; an invocation never completed is an :info.
import { keywordOf, readEdnMap, textOf } from './edn-reader.js';
import type { EdnValue } from './edn-reader.js';
import { parseJsonLines } from './parse-jsonl.js';
import { txnOpMismatch } from './txn-history.js';
import type { MicroOp, TxnOp } from './txn-history.js';

export type TxnFormat = 'edn' | 'jsonl';

export type TxnParseResult =
  | { readonly ok: true; readonly format: TxnFormat; readonly ops: TxnOp[] }
  | { readonly ok: false; readonly error: string };

/** Whether a history's first meaningful line is a list-append transaction (`:f :txn` or a "txn" field). */
export function looksLikeTxnHistory(text: string): boolean {
  for (const raw of text.split('\n', 64)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';')) continue;
    return /:f\s+:txn\b/.test(line) || /"txn"\s*:/.test(line);
  }
  return false;
}

export function parseTxnHistory(text: string, format: TxnFormat): TxnParseResult {
  return format === 'edn' ? parseTxnEdn(text) : parseTxnJsonl(text);
}

function failure(line: number, message: string): TxnParseResult {
  return { ok: false, error: `line ${line}: ${message}` };
}

export function parseTxnEdn(text: string): TxnParseResult {
  const ops: TxnOp[] = [];
  const open = new Map<number, { readonly call: number; readonly txn: MicroOp[] }>();
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (line === '' || line.startsWith(';')) continue;
    const map = readEdnMap(line);
    if (typeof map === 'string') return failure(index + 1, map);
    const process = map.get('process');
    const type = keywordOf(map.get('type'));
    // Nemesis and other non-client events carry no integer process: not part of the history.
    if (typeof process !== 'number' || keywordOf(map.get('f')) !== 'txn') continue;
    const txn = readTxn(map.get('value') ?? null, type === 'ok');
    if (typeof txn === 'string') return failure(index + 1, txn);
    const time = index + 1;
    const invoked = open.get(process);
    if (type === 'invoke') {
      // A process that invokes again while its last transaction is open gave up on it.
      if (invoked !== undefined) ops.push({ process, type: 'info', call: invoked.call, ret: null, txn: unknownReads(invoked.txn) });
      open.set(process, { call: time, txn });
      continue;
    }
    if (invoked === undefined) return failure(index + 1, `process ${process} completes a :txn without an open :invoke`);
    if (type !== 'ok' && type !== 'fail' && type !== 'info') return failure(index + 1, ':type must be :invoke, :ok, :fail or :info');
    open.delete(process);
    const shapeError = type === 'ok' ? sameShape(invoked.txn, txn) : null;
    if (shapeError !== null) return failure(index + 1, shapeError);
    ops.push(type === 'ok' ? { process, type, call: invoked.call, ret: time, txn } : { process, type, call: invoked.call, ret: type === 'fail' ? time : null, txn: unknownReads(invoked.txn) });
  }
  for (const [process, invoked] of open) ops.push({ process, type: 'info', call: invoked.call, ret: null, txn: unknownReads(invoked.txn) });
  ops.sort((a, b) => a.call - b.call);
  return { ok: true, format: 'edn', ops };
}

/** The micro-operations of an EDN :value, `[[:append k v] [:r k list-or-nil] ...]`. */
function readTxn(value: EdnValue, completed: boolean): MicroOp[] | string {
  if (!Array.isArray(value)) return ':value of a :txn must be a vector of micro-operations';
  const txn: MicroOp[] = [];
  for (const item of value as readonly EdnValue[]) {
    if (!Array.isArray(item) || item.length !== 3) return 'each micro-operation is [:append k v] or [:r k list]';
    const [f, rawKey, argument] = item as readonly EdnValue[];
    const key = textOf(rawKey!);
    if (key === null) return 'a micro-operation key must be a string or an integer';
    const mop = microOp(keywordOf(f), key, argument, completed);
    if (typeof mop === 'string') return mop;
    txn.push(mop);
  }
  return txn;
}

function microOp(f: string | null, key: string, argument: unknown, completed: boolean): MicroOp | string {
  if (f === 'append') {
    const value = typeof argument === 'string' || typeof argument === 'number' ? String(argument) : null;
    return value === null ? `append to ${JSON.stringify(key)} needs a string or integer value` : { f: 'append', key, value };
  }
  if (f !== 'r') return `unknown micro-operation ${JSON.stringify(f)}: append or r`;
  if (argument === null || argument === undefined) return completed ? `a completed read of ${JSON.stringify(key)} needs its list` : { f: 'r', key, value: null };
  if (!Array.isArray(argument)) return `a read of ${JSON.stringify(key)} must be a list or nil`;
  const list: string[] = [];
  for (const element of argument as readonly unknown[]) {
    if (typeof element !== 'string' && typeof element !== 'number') return `the list read from ${JSON.stringify(key)} holds something other than strings and integers`;
    list.push(String(element));
  }
  return { f: 'r', key, value: list };
}

function sameShape(invoked: readonly MicroOp[], completed: readonly MicroOp[]): string | null {
  const same = invoked.length === completed.length && invoked.every((mop, i) => mop.f === completed[i]!.f && mop.key === completed[i]!.key);
  return same ? null : 'the :ok transaction differs from its :invoke';
}

function unknownReads(txn: readonly MicroOp[]): MicroOp[] {
  return txn.map((mop) => (mop.f === 'r' ? { f: 'r', key: mop.key, value: null } : mop));
}

export function parseTxnJsonl(text: string): TxnParseResult {
  const ops = parseJsonLines(text, readTxnOp);
  return typeof ops === 'string' ? { ok: false, error: ops } : { ok: true, format: 'jsonl', ops };
}

function readTxnOp(value: unknown): TxnOp | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object';
  const { process, type, call, ret, txn } = value as Record<string, unknown>;
  if (typeof process !== 'number' || !Number.isInteger(process)) return '"process" must be an integer';
  if (type !== 'ok' && type !== 'fail' && type !== 'info') return '"type" must be "ok", "fail" or "info"';
  if (typeof call !== 'number' || !Number.isFinite(call)) return '"call" must be a number';
  if (ret !== null && (typeof ret !== 'number' || !Number.isFinite(ret))) return '"ret" must be a number or null';
  if (!Array.isArray(txn)) return '"txn" must be an array of micro-operations';
  const mops: MicroOp[] = [];
  for (const item of txn as unknown[]) {
    if (!Array.isArray(item) || item.length !== 3) return 'each micro-operation is ["append", key, value] or ["r", key, list]';
    const [f, rawKey, argument] = item as unknown[];
    const key = typeof rawKey === 'string' || typeof rawKey === 'number' ? String(rawKey) : null;
    if (key === null) return 'a micro-operation key must be a string or an integer';
    const mop = microOp(typeof f === 'string' ? f : null, key, argument, type === 'ok');
    if (typeof mop === 'string') return mop;
    mops.push(mop);
  }
  const op: TxnOp = { process, type, call, ret, txn: mops };
  return txnOpMismatch(op) ?? op;
}

/** One line of the JSON lines format per transaction, as parseTxnJsonl reads it. */
export function formatTxnJsonl(ops: readonly TxnOp[]): string {
  return ops.map((op) => JSON.stringify({ process: op.process, type: op.type, call: op.call, ret: op.ret, txn: op.txn.map((m) => [m.f, m.key, m.value]) })).join('\n') + '\n';
}
