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

type EdnScalar = string | number | boolean | null | { readonly keyword: string };
type EdnValue = EdnScalar | readonly EdnScalar[];

export function parseEdn(text: string): ParseResult {
  const pending = new PendingOps();
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const line = lines[index]!.trim();
    if (line === '' || line.startsWith(';')) continue;
    const map = readMap(line);
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
      const pair = value as readonly EdnScalar[];
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

function textOf(value: EdnValue): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

function keywordOf(value: EdnValue | undefined): string | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'keyword' in value ? value.keyword : null;
}

/** Reads one flat EDN map `{:k v, ...}` whose values are scalars or vectors of scalars. */
function readMap(line: string): Map<string, EdnValue> | string {
  const reader = new EdnReader(line);
  if (!reader.take('{')) return 'expected an EDN map {...}';
  const map = new Map<string, EdnValue>();
  while (true) {
    reader.skipSpace();
    if (reader.take('}')) break;
    const key = reader.scalar();
    if (typeof key !== 'object' || key === null || !('keyword' in key)) return `expected a keyword key at column ${reader.at + 1}`;
    reader.skipSpace();
    const value = reader.take('[') ? reader.vector() : reader.scalar();
    if (value === undefined) return `cannot read the value of :${key.keyword} at column ${reader.at + 1}`;
    map.set(key.keyword, value);
  }
  reader.skipSpace();
  if (!reader.done()) return `unexpected text after the map at column ${reader.at + 1}`;
  return map;
}

const DELIMITER = /[\s,{}[\]]/;

class EdnReader {
  at = 0;
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.at >= this.text.length;
  }

  skipSpace(): void {
    while (!this.done() && /[\s,]/.test(this.text[this.at]!)) this.at++;
  }

  take(char: string): boolean {
    this.skipSpace();
    if (this.text[this.at] !== char) return false;
    this.at++;
    return true;
  }

  /** The vector after its '['; undefined when malformed. */
  vector(): EdnScalar[] | undefined {
    const items: EdnScalar[] = [];
    while (true) {
      this.skipSpace();
      if (this.done()) return undefined;
      if (this.take(']')) return items;
      const item = this.scalar();
      if (item === undefined) return undefined;
      items.push(item);
    }
  }

  scalar(): EdnScalar | undefined {
    this.skipSpace();
    if (this.text[this.at] === '"') return this.string();
    const start = this.at;
    while (!this.done() && !DELIMITER.test(this.text[this.at]!)) this.at++;
    const token = this.text.slice(start, this.at);
    if (token === '') return undefined;
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token.startsWith(':') && token.length > 1) return { keyword: token.slice(1) };
    if (/^-?\d+$/.test(token)) return Number(token);
    return undefined;
  }

  string(): string | undefined {
    let out = '';
    this.at++;
    while (!this.done()) {
      const char = this.text[this.at++]!;
      if (char === '"') return out;
      if (char !== '\\') {
        out += char;
        continue;
      }
      const escaped = this.text[this.at++];
      if (escaped === 'n') out += '\n';
      else if (escaped === 't') out += '\t';
      else if (escaped === 'r') out += '\r';
      else if (escaped === '"' || escaped === '\\') out += escaped;
      else return undefined;
    }
    return undefined;
  }
}
