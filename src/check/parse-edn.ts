// Parses EDN event maps, one per line, as in the Porcupine kv histories:
//   {:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}
// Types :invoke / :ok / :fail / :info; functions :get (:read), :put (:write), :append,
// :del, :incr (value = the increment, then the result), :cas (value [expected new]).
// A line without :key is a single-register event, recorded under REGISTER_KEY. Keys
// start as the empty string, the convention of those histories.
import type { KvOp, KvResult } from './history.js';
import { OK } from './history.js';
import { PendingOps } from './pending-ops.js';
import { parseError } from './parsed-history.js';
import type { ParseResult } from './parsed-history.js';
import { REGISTER_KEY } from './parse-jepsen.js';
import { keywordOf, readEdnMap, textOf } from './edn-reader.js';
import type { EdnValue } from './edn-reader.js';


export function parseEdn(text: string): ParseResult {
  const pending = new PendingOps();
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const line = lines[index]!.trim();
    if (line === '' || line.startsWith(';')) continue;
    const map = readEdnMap(line);
    if (typeof map === 'string') return parseError(lineNumber, map);
    const event = readEvent(map);
    if (typeof event === 'string') return parseError(lineNumber, event);
    const { process, type, f, key, value } = event;
    if (type === 'invoke') {
      const op = invokedOp(f, key, value);
      if (typeof op === 'string') return parseError(lineNumber, op);
      pending.invoke(process, op, lineNumber);
      continue;
    }
    const open = pending.open(process);
    if (open === undefined) return parseError(lineNumber, `process ${process} completes :${f} without an open :invoke`);
    if (open.f !== (EDN_ALIASES[f] ?? f)) return parseError(lineNumber, `process ${process} completes :${f} but invoked ${open.f}`);
    if (type === 'info') {
      pending.info(process);
    } else if (type === 'fail') {
      // As in Jepsen's etcd client, a failed cas is one whose comparison failed.
      if (open.f === 'cas') pending.ok(process, false, lineNumber);
      else pending.fail(process);
    } else {
      const result = okResult(open, value);
      if (typeof result === 'object' && result !== null) return parseError(lineNumber, result.error);
      pending.ok(process, result, lineNumber);
    }
  }
  return { ok: true, history: { format: 'edn', ops: pending.finish(), initialValue: '' } };
}

/** Jepsen's register names for the kv functions. */
const EDN_ALIASES: Readonly<Record<string, string>> = { read: 'get', write: 'put' };

interface EdnEvent {
  readonly process: number;
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  readonly f: string;
  readonly key: string;
  readonly value: EdnValue;
}

function readEvent(map: Map<string, EdnValue>): EdnEvent | string {
  const process = map.get('process');
  if (typeof process !== 'number' || !Number.isInteger(process)) return ':process must be an integer';
  const type = keywordOf(map.get('type'));
  if (type !== 'invoke' && type !== 'ok' && type !== 'fail' && type !== 'info') {
    return ':type must be :invoke, :ok, :fail or :info';
  }
  const f = keywordOf(map.get('f'));
  if (f === null) return ':f must be a keyword';
  const rawKey = map.get('key');
  const key = rawKey === undefined ? REGISTER_KEY : typeof rawKey === 'string' || typeof rawKey === 'number' ? String(rawKey) : null;
  if (key === null) return ':key must be a string or a number';
  return { process, type, f, key, value: map.get('value') ?? null };
}

function invokedOp(f: string, key: string, value: EdnValue): KvOp | string {
  switch (f) {
    case 'get':
    case 'read':
      return { f: 'get', key };
    case 'put':
    case 'write':
    case 'append': {
      const text = textOf(value);
      if (text === null) return `:${f} needs a string or number :value`;
      return { f: f === 'append' ? 'append' : 'put', key, value: text };
    }
    case 'del':
      return { f: 'del', key };
    case 'incr':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return ':incr needs an integer :value';
      return { f: 'incr', key, by: value };
    case 'cas': {
      if (!Array.isArray(value) || value.length !== 2) return ':cas needs :value [expected new]';
      const pair = value as readonly EdnValue[];
      const expected = pair[0] === null ? null : textOf(pair[0]!);
      const next = textOf(pair[1]!);
      if ((expected === null && pair[0] !== null) || next === null) return ':cas values must be strings, numbers or nil';
      return { f: 'cas', key, expected, value: next };
    }
    default:
      return `unknown :f :${f}`;
  }
}

function okResult(op: KvOp, value: EdnValue): KvResult | { error: string } {
  switch (op.f) {
    case 'get':
      return value === null ? null : (textOf(value) ?? { error: ':get result must be a string, number or nil' });
    case 'incr':
      return typeof value === 'number' && Number.isSafeInteger(value) ? value : { error: ':incr result must be an integer' };
    case 'cas':
      return true;
    default:
      return OK;
  }
}
