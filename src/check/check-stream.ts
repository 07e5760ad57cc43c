// Checks a stream workload's history (the chaos suite's stream workload): producers XADD
// unique values, readers read the stream's tail, consumers of one group XREADGROUP, XAUTOCLAIM
// and XACK, and after the run every node's stream and pending list are read. What must hold:
//
// - every node holds the same stream, its IDs strictly increasing;
// - an acknowledged XADD is in it exactly once, at the ID it was answered, with its value; a
//   refused one (TRYAGAIN) is not in it; nothing is in it that no producer sent;
// - IDs follow real time: an XADD answered before another was sent has the smaller ID;
// - a read (XREVRANGE … COUNT n) sees a run of the final stream's entries, and (enforced
//   for linearizable reads) every XADD acknowledged before the read was sent;
// - a delivered entry is the stream's entry at that ID;
// - every entry was delivered to the group at least once (after the final drain);
// - an entry whose XACK was acknowledged is not pending, on any node; every node holds the
//   same pending list.
//
// Redeliveries (an entry delivered more than once: claimed from a consumer that died, or
// read again) are allowed by at-least-once delivery and counted.

/** An ID as the wire gives it ("ms-seq") compared as two unsigned 64-bit parts. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq] = idParts(a);
  const [bMs, bSeq] = idParts(b);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1;
}

function idParts(id: string): [bigint, bigint] {
  const match = /^(\d+)-(\d+)$/.exec(id);
  if (match === null) throw new StreamHistoryError(`not a stream ID: ${JSON.stringify(id)}`);
  return [BigInt(match[1] as string), BigInt(match[2] as string)];
}

export class StreamHistoryError extends Error {
  override readonly name = 'StreamHistoryError';
}

/** One stream entry: its ID and the value its producer sent. */
export type StreamEntry = readonly [id: string, value: string];

export interface StreamAdd {
  readonly process: number;
  readonly key: string;
  readonly value: string;
  readonly call: number;
  /** ok: answered with `id`; fail: refused (surely not applied); info: unknown. */
  readonly outcome: 'ok' | 'fail' | 'info';
  readonly ret: number | null;
  readonly id: string | null;
}

/** An answered tail read: the newest entries, newest first (XREVRANGE key + - COUNT n). */
export interface StreamRead {
  readonly process: number;
  readonly key: string;
  readonly call: number;
  readonly ret: number;
  readonly entries: readonly StreamEntry[];
}

/** An entry handed to a consumer of the group by an answered XREADGROUP or XAUTOCLAIM. */
export interface StreamDelivery {
  readonly key: string;
  readonly consumer: string;
  readonly entry: StreamEntry;
  readonly claimed: boolean;
}

export interface StreamHistory {
  readonly adds: readonly StreamAdd[];
  readonly reads: readonly StreamRead[];
  readonly deliveries: readonly StreamDelivery[];
  /** IDs whose XACK was answered, per key. */
  readonly acknowledged: ReadonlyMap<string, readonly string[]>;
  /** Per key, per node: the pending IDs read once the clients stopped, before the drain. */
  readonly pending: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /** Per key, per node: the whole stream read at the end. */
  readonly finals: ReadonlyMap<string, ReadonlyMap<string, readonly StreamEntry[]>>;
  /** Whether the final drain delivered and acknowledged everything (if not, undelivered entries are reported, not failed). */
  readonly drained: boolean;
}

export interface StreamCheckResult {
  readonly valid: boolean;
  /** Each violation, one line (at most problemsMax of each kind). */
  readonly problems: readonly string[];
  readonly counts: {
    readonly adds: { readonly ok: number; readonly fail: number; readonly info: number };
    readonly entries: number;
    readonly reads: number;
    readonly deliveries: number;
    readonly redeliveries: number;
    readonly claimed: number;
    readonly acknowledged: number;
    readonly undelivered: number;
    /** Reads that missed an acknowledged XADD when fresh reads were not required. */
    readonly staleReads: number;
  };
}

/** Lines reported per kind of violation: the first ones tell the story. */
const problemsPerKindMax = 5;

class Problems {
  readonly lines: string[] = [];
  private readonly perKind = new Map<string, number>();
  total = 0;
  add(kind: string, line: string): void {
    this.total++;
    const seen = (this.perKind.get(kind) ?? 0) + 1;
    this.perKind.set(kind, seen);
    if (seen <= problemsPerKindMax) this.lines.push(`${kind}: ${line}`);
    else if (seen === problemsPerKindMax + 1) this.lines.push(`${kind}: … and more`);
  }
}

/** `freshReads`: reads must see every XADD acknowledged before them (linearizable reads); false for stale reads, which are then only counted. */
export function checkStreamHistory(history: StreamHistory, freshReads = true): StreamCheckResult {
  const problems = new Problems();
  const stale = new Problems();
  const keys = new Set([...history.finals.keys(), ...history.adds.map((add) => add.key)]);
  let entries = 0;
  let undelivered = 0;
  for (const key of keys) {
    const final = checkFinals(key, history.finals.get(key), problems);
    entries += final.length;
    checkAdds(key, history.adds.filter((add) => add.key === key), final, problems);
    checkReads(key, history.reads.filter((read) => read.key === key), history.adds.filter((add) => add.key === key && add.outcome === 'ok'), final, problems, freshReads ? problems : stale);
    undelivered += checkDeliveries(key, history, final, problems);
    checkPending(key, history, problems);
  }
  const delivered = new Set(history.deliveries.map((d) => `${d.key}\u0000${d.entry[0]}`));
  const count = (outcome: StreamAdd['outcome']): number => history.adds.filter((add) => add.outcome === outcome).length;
  return {
    valid: problems.lines.length === 0,
    problems: problems.lines,
    counts: {
      adds: { ok: count('ok'), fail: count('fail'), info: count('info') },
      entries,
      reads: history.reads.length,
      deliveries: history.deliveries.length,
      redeliveries: history.deliveries.length - delivered.size,
      claimed: history.deliveries.filter((d) => d.claimed).length,
      acknowledged: [...history.acknowledged.values()].reduce((sum, ids) => sum + new Set(ids).size, 0),
      undelivered,
      staleReads: stale.total,
    },
  };
}

/** The final stream every node must hold; IDs strictly increasing, the same on every node. */
function checkFinals(key: string, perNode: ReadonlyMap<string, readonly StreamEntry[]> | undefined, problems: Problems): readonly StreamEntry[] {
  if (perNode === undefined || perNode.size === 0) {
    problems.add('no final read', `stream ${key} was not read at the end on any node`);
    return [];
  }
  const [[firstNode, reference]] = [...perNode] as [[string, readonly StreamEntry[]]];
  for (const [node, stream] of perNode) {
    for (let i = 1; i < stream.length; i++) {
      if (compareStreamIds((stream[i - 1] as StreamEntry)[0], (stream[i] as StreamEntry)[0]) >= 0) {
        problems.add('IDs not increasing', `${key} on ${node}: ${(stream[i - 1] as StreamEntry)[0]} then ${(stream[i] as StreamEntry)[0]}`);
      }
    }
    if (node !== firstNode && JSON.stringify(stream) !== JSON.stringify(reference)) {
      problems.add('nodes differ', `${key}: ${node} holds ${stream.length} entries, ${firstNode} ${reference.length}`);
    }
  }
  return reference;
}

/** Acknowledged XADDs present once at their IDs, refused ones absent, nothing unsent, IDs in real-time order. */
function checkAdds(key: string, adds: readonly StreamAdd[], final: readonly StreamEntry[], problems: Problems): void {
  const byValue = new Map<string, string[]>();
  for (const [id, value] of final) byValue.set(value, [...(byValue.get(value) ?? []), id]);
  const sent = new Map(adds.map((add) => [add.value, add]));
  for (const [value, ids] of byValue) {
    if (ids.length > 1) problems.add('duplicate entry', `${key}: value ${value} at ${ids.join(', ')}`);
    const add = sent.get(value);
    if (add === undefined) problems.add('entry never sent', `${key}: ${ids[0] ?? ''} holds ${value}`);
    else if (add.outcome === 'fail') problems.add('refused XADD applied', `${key}: ${value} (refused at ${add.ret ?? '?'} ms) is at ${ids[0] ?? ''}`);
  }
  for (const add of adds) {
    if (add.outcome !== 'ok') continue;
    const ids = byValue.get(add.value);
    if (ids === undefined) problems.add('acknowledged XADD lost', `${key}: ${add.value} answered ${add.id ?? '?'} at ${add.ret ?? '?'} ms`);
    else if (ids[0] !== add.id) problems.add('acknowledged XADD moved', `${key}: ${add.value} answered ${add.id ?? '?'}, found at ${ids[0] ?? ''}`);
  }
  checkRealTimeOrder(key, adds.filter((add) => add.outcome === 'ok'), problems);
}

/** An XADD answered before another was sent has the smaller ID. */
function checkRealTimeOrder(key: string, acknowledged: readonly StreamAdd[], problems: Problems): void {
  const byReturn = [...acknowledged].sort((a, b) => (a.ret as number) - (b.ret as number));
  const byCall = [...acknowledged].sort((a, b) => a.call - b.call);
  let highest: StreamAdd | null = null;
  let next = 0;
  for (const add of byCall) {
    while (next < byReturn.length && (byReturn[next] as StreamAdd).ret as number < add.call) {
      const done = byReturn[next++] as StreamAdd;
      if (highest === null || compareStreamIds(done.id as string, highest.id as string) > 0) highest = done;
    }
    if (highest !== null && compareStreamIds(add.id as string, highest.id as string) <= 0) {
      problems.add('ID went back', `${key}: ${add.value} sent at ${add.call} ms got ${add.id ?? ''}, not above ${highest.id ?? ''} answered at ${highest.ret ?? ''} ms`);
    }
  }
}

/** A tail read is a run of the final stream that ends at its newest entry and (linearizable) holds every XADD acknowledged before it. */
function checkReads(key: string, reads: readonly StreamRead[], acknowledged: readonly StreamAdd[], final: readonly StreamEntry[], problems: Problems, staleReads: Problems): void {
  const index = new Map(final.map(([id], i) => [id, i]));
  const byReturn = [...acknowledged].sort((a, b) => (a.ret as number) - (b.ret as number));
  let latest: StreamAdd | null = null;
  let next = 0;
  for (const read of [...reads].sort((a, b) => a.call - b.call)) {
    const newest = read.entries[0];
    const at = newest === undefined ? undefined : index.get(newest[0]);
    if (newest !== undefined) {
      const matches = at !== undefined && read.entries.every((entry, k) => JSON.stringify(final[at - k]) === JSON.stringify(entry));
      if (!matches) problems.add('read not a run of the stream', `${key}: read at ${read.call} ms saw ${JSON.stringify(read.entries.slice(0, 3))}…`);
    }
    // The highest ID acknowledged before the read was sent must be in what it saw.
    while (next < byReturn.length && ((byReturn[next] as StreamAdd).ret as number) < read.call) {
      const done = byReturn[next++] as StreamAdd;
      if (latest === null || compareStreamIds(done.id as string, latest.id as string) > 0) latest = done;
    }
    if (latest !== null && (newest === undefined || compareStreamIds(newest[0], latest.id as string) < 0)) {
      staleReads.add('stale read', `${key}: read sent at ${read.call} ms saw up to ${newest?.[0] ?? 'nothing'}, after ${latest.id ?? ''} was acknowledged at ${latest.ret ?? ''} ms`);
    }
  }
}

/** Delivered entries are the stream's; every entry was delivered (after the drain). Returns how many were not. */
function checkDeliveries(key: string, history: StreamHistory, final: readonly StreamEntry[], problems: Problems): number {
  const byId = new Map(final);
  const delivered = new Set<string>();
  for (const delivery of history.deliveries) {
    if (delivery.key !== key) continue;
    const [id, value] = delivery.entry;
    delivered.add(id);
    const stored = byId.get(id);
    if (stored !== value) problems.add('delivered entry not in the stream', `${key}: ${id} with ${value} to ${delivery.consumer}; the stream holds ${stored ?? 'nothing'} there`);
  }
  const missing = final.filter(([id]) => !delivered.has(id));
  if (missing.length > 0 && history.drained) problems.add('entry never delivered', `${key}: ${missing.length} entries, first ${missing[0]?.[0] ?? ''}`);
  return missing.length;
}

/** No acknowledged entry pending; the same pending list on every node. */
function checkPending(key: string, history: StreamHistory, problems: Problems): void {
  const perNode = history.pending.get(key);
  if (perNode === undefined) return;
  const acknowledged = new Set(history.acknowledged.get(key) ?? []);
  let reference: string | null = null;
  for (const [node, ids] of perNode) {
    const still = ids.filter((id) => acknowledged.has(id));
    if (still.length > 0) problems.add('acknowledged entry pending', `${key} on ${node}: ${still.slice(0, 5).join(', ')}`);
    const text = JSON.stringify(ids);
    if (reference === null) reference = text;
    else if (text !== reference) problems.add('pending lists differ', `${key}: ${node} holds ${ids.length} pending entries`);
  }
}

/** One line for a run's summary. */
export function describeStreamResult(result: StreamCheckResult): string {
  const c = result.counts;
  const verdict = result.valid ? 'stream history valid' : `stream history INVALID (${result.problems.length} problems)`;
  return `${verdict}: XADD ok ${c.adds.ok}, refused ${c.adds.fail}, unknown ${c.adds.info}; ${c.entries} entries; ${c.reads} reads; ` +
    `${c.deliveries} deliveries (${c.redeliveries} redeliveries, ${c.claimed} by XAUTOCLAIM), ${c.acknowledged} acknowledged, ${c.undelivered} never delivered` +
    (c.staleReads > 0 ? `; ${c.staleReads} stale reads (not checked)` : '');
}
