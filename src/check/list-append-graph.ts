// Infers the dependencies between the transactions of a list-append history, as Elle does
// (Kingsbury & Alvaro, VLDB 2020, section 4). Every value is appended once per key, so a
// read of a list names the appends it saw, in order; the longest read of a key gives its
// version order, and every other read must be a prefix of it. From that order:
//   ww  T1 -> T2: T2 appended the element right after T1's element;
//   wr  T1 -> T2: T2's read of the key ends with T1's element;
//   rw  T1 -> T2: T1's read of the key ends just before T2's element (or is empty and T2's is first);
//   rt  T1 -> T2: T1 completed before T2 was called (real-time order, for strict serializability).
// Along the way it finds the anomalies that need no cycle: reads of failed appends (G1a),
// of another transaction's non-final append (G1b), of values nobody appended, the same
// element twice, reads of one key that are not prefixes of one another, and reads that
// disagree with their own transaction's earlier reads and appends.
import { GraphBuilder } from './cycles.js';
import type { Graph } from './cycles.js';
import type { TxnOp } from './txn-history.js';

export const WW = 1;
export const WR = 2;
export const RW = 4;
export const RT = 8;
export const KIND_NAMES: Readonly<Record<number, string>> = { [WW]: 'ww', [WR]: 'wr', [RW]: 'rw', [RT]: 'rt' };

export type ReadAnomalyType = 'G1a' | 'G1b' | 'dirty-unknown' | 'duplicate-elements' | 'incompatible-order' | 'internal';

/** An anomaly found from reads alone: the transactions involved (history indices) and why. */
export interface ReadAnomaly {
  readonly type: ReadAnomalyType;
  readonly ops: readonly number[];
  readonly key: string;
  readonly explanation: string;
}

export interface Dependencies {
  readonly graph: Graph;
  /** Per edge id: the key and element that justify it (null for real-time edges). */
  readonly edgeKey: readonly (string | null)[];
  readonly edgeValue: readonly (string | null)[];
  readonly anomalies: ReadAnomaly[];
}

/** Who appended an element: the transaction, and whether it was that transaction's last append to the key. */
interface Writer {
  readonly op: number;
  readonly final: boolean;
}

/** A history that breaks the rules the inference relies on (a value appended twice to a key). */
export class TxnHistoryError extends Error {}

export function inferDependencies(history: readonly TxnOp[]): Dependencies {
  const writers = indexWriters(history);
  const builder = new DependencyBuilder(history.length);
  const anomalies: ReadAnomaly[] = [];
  const reads = collectReads(history, writers, anomalies);
  for (const [key, keyReads] of reads.all) {
    const order = versionOrder(key, keyReads, { writers, history, anomalies });
    const keyWriters = liveWriters(writers.get(key), history);
    addWriteWrite(builder, key, order, keyWriters);
    for (const read of reads.external.get(key) ?? []) addReadEdges(builder, key, read, order, keyWriters, anomalies);
  }
  addRealTime(builder, history);
  return { graph: builder.graph.build(), edgeKey: builder.keys, edgeValue: builder.values, anomalies };
}

class DependencyBuilder {
  readonly graph: GraphBuilder;
  readonly keys: (string | null)[] = [];
  readonly values: (string | null)[] = [];

  constructor(nodes: number) {
    this.graph = new GraphBuilder(nodes);
  }

  add(source: number, target: number, kind: number, key: string | null, value: string | null): void {
    if (source === target) return;
    this.graph.add(source, target, kind);
    this.keys.push(key);
    this.values.push(value);
  }
}

function indexWriters(history: readonly TxnOp[]): Map<string, Map<string, Writer>> {
  const writers = new Map<string, Map<string, Writer>>();
  history.forEach((op, index) => {
    const lastAppend = new Map<string, string>();
    for (const mop of op.txn) if (mop.f === 'append') lastAppend.set(mop.key, mop.value);
    for (const mop of op.txn) {
      if (mop.f !== 'append') continue;
      let keyWriters = writers.get(mop.key);
      if (keyWriters === undefined) writers.set(mop.key, (keyWriters = new Map()));
      if (keyWriters.has(mop.value)) {
        throw new TxnHistoryError(`value ${mop.value} is appended to key ${JSON.stringify(mop.key)} twice (operations ${keyWriters.get(mop.value)!.op} and ${index}); list-append needs unique values per key`);
      }
      keyWriters.set(mop.value, { op: index, final: lastAppend.get(mop.key) === mop.value });
    }
  });
  return writers;
}

/** A list a committed transaction read. */
interface ObservedRead {
  readonly op: number;
  readonly list: readonly string[];
}

interface Reads {
  /** Every read per key, for the version order. */
  readonly all: Map<string, ObservedRead[]>;
  /**
   * The reads whose state came from outside their transaction (the first read of a key,
   * before the transaction appended to it): only they depend on other transactions.
   */
  readonly external: Map<string, ObservedRead[]>;
}

function collectReads(history: readonly TxnOp[], writers: Map<string, Map<string, Writer>>, anomalies: ReadAnomaly[]): Reads {
  const all = new Map<string, ObservedRead[]>();
  const external = new Map<string, ObservedRead[]>();
  const push = (map: Map<string, ObservedRead[]>, key: string, read: ObservedRead): void => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [read]);
    else list.push(read);
  };
  for (const key of writers.keys()) all.set(key, []);
  history.forEach((op, index) => {
    if (op.type !== 'ok') return;
    // What this transaction knows of each key: its last read, then its own appends since.
    const known = new Map<string, readonly string[]>();
    const appended = new Map<string, string[]>();
    for (const mop of op.txn) {
      if (mop.f === 'append') {
        const before = known.get(mop.key);
        if (before !== undefined) known.set(mop.key, [...before, mop.value]);
        const own = appended.get(mop.key);
        if (own === undefined) appended.set(mop.key, [mop.value]);
        else own.push(mop.value);
        continue;
      }
      const list = mop.value!;
      checkInternal(index, mop.key, list, known.get(mop.key), appended.get(mop.key), anomalies);
      if (!known.has(mop.key) && !appended.has(mop.key)) push(external, mop.key, { op: index, list });
      known.set(mop.key, list);
      push(all, mop.key, { op: index, list });
    }
  });
  return { all, external };
}

/** Every element of a read must have been appended, by a transaction that did not fail, once. */
interface ElementContext {
  readonly writers: Map<string, Map<string, Writer>>;
  readonly history: readonly TxnOp[];
  readonly anomalies: ReadAnomaly[];
}

function checkElements(reader: number, key: string, list: readonly string[], { writers, history, anomalies }: ElementContext): void {
  const keyWriters = writers.get(key);
  const seen = new Set<string>();
  for (const value of list) {
    if (seen.has(value)) {
      anomalies.push({ type: 'duplicate-elements', ops: [reader], key, explanation: `read ${JSON.stringify(key)} holds element ${value} twice` });
      break;
    }
    seen.add(value);
    const writer = keyWriters?.get(value);
    if (writer === undefined) {
      anomalies.push({ type: 'dirty-unknown', ops: [reader], key, explanation: `read ${JSON.stringify(key)} holds element ${value}, which no operation appended` });
    } else if (history[writer.op]!.type === 'fail') {
      anomalies.push({ type: 'G1a', ops: [writer.op, reader], key, explanation: `read ${JSON.stringify(key)} holds element ${value}, appended by a transaction that failed` });
    }
  }
}

/**
 * A read after the transaction's own read or appends must show them: the earlier read plus
 * the appends since, exactly; or, with no earlier read, end with every append so far.
 */
function checkInternal(reader: number, key: string, list: readonly string[], known: readonly string[] | undefined, own: readonly string[] | undefined, anomalies: ReadAnomaly[]): void {
  const fits = known !== undefined ? sameList(list, known) : own === undefined || sameList(list.slice(list.length - own.length), own);
  if (fits) return;
  const expected = known !== undefined ? `[${known.join(' ')}]` : `a list ending [${own!.join(' ')}]`;
  anomalies.push({ type: 'internal', ops: [reader], key, explanation: `read ${JSON.stringify(key)} as [${list.join(' ')}] where its own transaction implies ${expected}` });
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function isPrefix(prefix: readonly string[], list: readonly string[]): boolean {
  if (prefix.length > list.length) return false;
  for (let i = prefix.length - 1; i >= 0; i--) if (prefix[i] !== list[i]) return false;
  return true;
}

/** The key's version order: its longest read; every other read must be a prefix of it. */
/**
 * The key's version order: its longest read; every other read must be a prefix of it. The
 * elements of the longest read and of reads that are no prefix of it are checked one by one;
 * a prefix holds nothing the longest read does not.
 */
function versionOrder(key: string, reads: readonly ObservedRead[], context: ElementContext): readonly string[] {
  let longest: ObservedRead | undefined;
  for (const read of reads) if (longest === undefined || read.list.length > longest.list.length) longest = read;
  if (longest === undefined) return [];
  checkElements(longest.op, key, longest.list, context);
  let reported = false;
  for (const read of reads) {
    if (isPrefix(read.list, longest.list)) continue;
    checkElements(read.op, key, read.list, context);
    if (reported) continue;
    reported = true;
    context.anomalies.push({
      type: 'incompatible-order',
      ops: [read.op, longest.op],
      key,
      explanation: `reads of ${JSON.stringify(key)} disagree on its order: [${read.list.join(' ')}] is not a prefix of [${longest.list.join(' ')}]`,
    });
  }
  return longest.list;
}

/** The writers of a key that can depend on anything: failed transactions took no part (reading them is G1a). */
function liveWriters(keyWriters: Map<string, Writer> | undefined, history: readonly TxnOp[]): Map<string, Writer> {
  const live = new Map<string, Writer>();
  for (const [value, writer] of keyWriters ?? []) if (history[writer.op]!.type !== 'fail') live.set(value, writer);
  return live;
}

function addWriteWrite(builder: DependencyBuilder, key: string, order: readonly string[], keyWriters: ReadonlyMap<string, Writer>): void {
  for (let i = 1; i < order.length; i++) {
    const before = keyWriters.get(order[i - 1]!);
    const after = keyWriters.get(order[i]!);
    if (before !== undefined && after !== undefined) builder.add(before.op, after.op, WW, key, order[i]!);
  }
}

function addReadEdges(
  builder: DependencyBuilder,
  key: string,
  read: ObservedRead,
  order: readonly string[],
  keyWriters: ReadonlyMap<string, Writer>,
  anomalies: ReadAnomaly[],
): void {
  const last = read.list[read.list.length - 1];
  if (last !== undefined) {
    const writer = keyWriters.get(last);
    if (writer !== undefined) {
      builder.add(writer.op, read.op, WR, key, last);
      if (!writer.final && writer.op !== read.op) {
        anomalies.push({ type: 'G1b', ops: [writer.op, read.op], key, explanation: `read ${JSON.stringify(key)} ends with ${last}, an intermediate append of another transaction` });
      }
    }
  }
  // The element after the read, if the read fits the version order, was appended after it was taken.
  if (read.list.length >= order.length || !isPrefix(read.list, order)) return;
  const next = order[read.list.length]!;
  const overwriter = keyWriters.get(next);
  // A read ending inside one transaction's appends is G1b already; the cycle it would add says no more.
  if (overwriter !== undefined && overwriter.op !== (last === undefined ? undefined : keyWriters.get(last)?.op)) {
    builder.add(read.op, overwriter.op, RW, key, next);
  }
}

/**
 * Real-time order, transitively reduced the way Elle does: a sweep over calls and returns
 * in time order keeps the frontier of completed transactions with no completed successor
 * yet; a transaction follows everything in the frontier when it is called, and on its
 * return it replaces those in the frontier. Every pair in real-time order stays connected
 * by a path, and the edges stay proportional to the concurrency.
 */
function addRealTime(builder: DependencyBuilder, history: readonly TxnOp[]): void {
  interface Event { readonly time: number; readonly op: number; readonly isCall: boolean }
  const events: Event[] = [];
  history.forEach((op, index) => {
    if (op.type === 'fail') return;
    events.push({ time: op.call, op: index, isCall: true });
    if (op.ret !== null && op.type === 'ok') events.push({ time: op.ret, op: index, isCall: false });
  });
  // At equal times calls go first: an operation returning at t does not precede one called at t.
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const frontier = new Set<number>();
  const predecessors = new Map<number, number[]>();
  for (const event of events) {
    if (event.isCall) {
      const before = [...frontier];
      for (const previous of before) builder.add(previous, event.op, RT, null, null);
      predecessors.set(event.op, before);
      continue;
    }
    for (const previous of predecessors.get(event.op) ?? []) frontier.delete(previous);
    predecessors.delete(event.op);
    frontier.add(event.op);
  }
}
