// Checks a list-append history for strict serializability the way Elle does: infer the
// ww / wr / rw dependencies and the real-time order between transactions, then look for
// cycles in growing sets of edge kinds, so each cycle found is named by the strongest
// anomaly it shows (Adya's G0 ⊂ G1c ⊂ G-single ⊂ G2, each also "-realtime" when it needs
// a real-time edge). In each strongly connected component of a kind set it keeps the
// shortest cycle it can find within a work budget; any cycle, and any read anomaly, makes
// the history invalid.
import { shortestPath, stronglyConnected } from './cycles.js';
import type { Graph, SearchBudget } from './cycles.js';
import { inferDependencies, KIND_NAMES, RT, RW, WR, WW } from './list-append-graph.js';
import type { Dependencies, ReadAnomaly, ReadAnomalyType } from './list-append-graph.js';
import type { TxnOp } from './txn-history.js';

export type CycleType = 'G0' | 'G1c' | 'G-single' | 'G2' | 'G0-realtime' | 'G1c-realtime' | 'G-single-realtime' | 'G2-realtime';
export type AnomalyType = ReadAnomalyType | CycleType;

export interface CycleStep {
  readonly from: number;
  readonly to: number;
  readonly kind: 'ww' | 'wr' | 'rw' | 'rt';
  /** The key and element behind a ww, wr or rw step. */
  readonly key: string | null;
  readonly value: string | null;
}

export interface CycleAnomaly {
  readonly type: CycleType;
  /** The transactions around the cycle, as history indices; the last step leads back to the first. */
  readonly ops: readonly number[];
  readonly steps: readonly CycleStep[];
}

export interface ListAppendResult {
  readonly valid: boolean;
  readonly ops: number;
  readonly keys: number;
  readonly edges: number;
  readonly elapsedMs: number;
  /** How many of each anomaly were found (cycles: one per component and kind set). */
  readonly counts: Readonly<Partial<Record<AnomalyType, number>>>;
  /** The shortest cycle of each type found. */
  readonly cycles: readonly CycleAnomaly[];
  /** The first few read anomalies of each type. */
  readonly readAnomalies: readonly ReadAnomaly[];
  /** The shortest cycle of all, the one to read first. */
  readonly smallestCycle: CycleAnomaly | null;
  /** True when a cycle search ran out of budget: cycles were found, but maybe not the shortest. */
  readonly searchCut: boolean;
}

/** Edges one cycle search (one component, one kind set) may look at past its first full search. */
export const CYCLE_SEARCH_EDGE_VISITS_MAX = 2_000_000;
/** Read anomalies of one type kept as examples. */
const READ_ANOMALY_EXAMPLES_MAX = 8;

/** Kind sets searched, weakest first: a cycle found is named by the edges it actually needs. */
const SEARCHES: readonly number[] = [WW, WW | WR, WW | WR | RW, WW | RT, WW | WR | RT, WW | WR | RW | RT];
/** Which of two parallel edges names a step: the one that makes the anomaly strongest. */
const KIND_PREFERENCE: readonly number[] = [WW, WR, RW, RT];

export function checkListAppend(history: readonly TxnOp[], now: () => number = () => performance.now()): ListAppendResult {
  const started = now();
  const dependencies = inferDependencies(history);
  const found = new CycleCollector(dependencies);
  for (const mask of SEARCHES) found.search(mask);
  const counts: Partial<Record<AnomalyType, number>> = {};
  const readAnomalies: ReadAnomaly[] = [];
  for (const anomaly of dependencies.anomalies) {
    counts[anomaly.type] = (counts[anomaly.type] ?? 0) + 1;
    if (counts[anomaly.type]! <= READ_ANOMALY_EXAMPLES_MAX) readAnomalies.push(anomaly);
  }
  for (const [type, count] of found.counts) counts[type] = count;
  const cycles = [...found.shortest.values()];
  const smallestCycle = cycles.reduce<CycleAnomaly | null>((best, c) => (best === null || c.steps.length < best.steps.length ? c : best), null);
  const keys = new Set(history.flatMap((op) => op.txn.map((mop) => mop.key))).size;
  return {
    valid: Object.keys(counts).length === 0,
    ops: history.length,
    keys,
    edges: dependencies.graph.source.length,
    elapsedMs: now() - started,
    counts,
    cycles,
    readAnomalies,
    smallestCycle,
    searchCut: found.searchCut,
  };
}

class CycleCollector {
  readonly counts = new Map<CycleType, number>();
  readonly shortest = new Map<CycleType, CycleAnomaly>();
  searchCut = false;
  readonly #seen = new Set<string>();
  readonly #graph: Graph;

  constructor(private readonly dependencies: Dependencies) {
    this.#graph = dependencies.graph;
  }

  /** Every cyclic component of the `mask` edges: its shortest cycle, and with rw edges its shortest G-single. */
  search(mask: number): void {
    const { component, cyclic } = stronglyConnected(this.#graph, mask);
    for (const members of cyclic) {
      const budget: SearchBudget = { edgeVisitsLeft: CYCLE_SEARCH_EDGE_VISITS_MAX };
      const cycle = this.#shortestCycle(mask, component, members, budget);
      if (cycle !== null) this.#record(cycle, mask);
      if ((mask & RW) !== 0) this.#singleAntiDependency(mask, component, members, budget);
      if (budget.edgeVisitsLeft < 0) this.searchCut = true;
    }
  }

  /** Breadth-first from each member in turn (the first without limit, so one cycle is always found). */
  #shortestCycle(mask: number, component: Int32Array, members: readonly number[], budget: SearchBudget): number[] | null {
    let best: number[] | null = null;
    for (const start of members) {
      const limit = best === null ? { edgeVisitsLeft: Infinity } : budget;
      const cycle = shortestPath(this.#graph, mask, component, start, start, limit, best?.length ?? Infinity);
      if (cycle !== null && (best === null || cycle.length < best.length)) best = cycle;
      if (best?.length === 2 || budget.edgeVisitsLeft < 0) break;
    }
    return best;
  }

  /** Cycles of exactly one rw edge: each rw edge inside the component, closed by a path without rw. */
  #singleAntiDependency(mask: number, component: Int32Array, members: readonly number[], budget: SearchBudget): void {
    const { offsets, edges, kind, target } = this.#graph;
    let best: number[] | null = null;
    for (const node of members) {
      for (let at = offsets[node]!; at < offsets[node + 1]! && budget.edgeVisitsLeft >= 0; at++) {
        const edge = edges[at]!;
        if (kind[edge] !== RW || component[target[edge]!] !== component[node]) continue;
        const back = shortestPath(this.#graph, mask & ~RW, component, target[edge]!, node, budget, best === null ? Infinity : best.length - 1);
        if (back !== null && (best === null || back.length + 1 < best.length)) best = [edge, ...back];
      }
    }
    if (best !== null) this.#record(best, mask);
  }

  #record(path: readonly number[], mask: number): void {
    const steps = path.map((edge) => this.#step(edge, mask));
    const type = classify(steps);
    const ops = steps.map((s) => s.from);
    const identity = `${type} ${[...ops].sort((a, b) => a - b).join(',')}`;
    if (this.#seen.has(identity)) return;
    this.#seen.add(identity);
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    const previous = this.shortest.get(type);
    if (previous === undefined || steps.length < previous.steps.length) this.shortest.set(type, { type, ops, steps });
  }

  /** The step from the edge's source to its target, named by the strongest parallel edge in `mask`. */
  #step(edge: number, mask: number): CycleStep {
    const { offsets, edges, kind, source, target } = this.#graph;
    const from = source[edge]!;
    const to = target[edge]!;
    let chosen = edge;
    for (let at = offsets[from]!; at < offsets[from + 1]!; at++) {
      const other = edges[at]!;
      if (target[other] !== to || (kind[other]! & mask) === 0) continue;
      if (KIND_PREFERENCE.indexOf(kind[other]!) < KIND_PREFERENCE.indexOf(kind[chosen]!)) chosen = other;
    }
    const name = KIND_NAMES[kind[chosen]!] as CycleStep['kind'];
    return { from, to, kind: name, key: this.dependencies.edgeKey[chosen] ?? null, value: this.dependencies.edgeValue[chosen] ?? null };
  }
}

/** Adya's names: no rw edge is G0 (ww only) or G1c; one rw edge G-single; more G2. */
export function classify(steps: readonly CycleStep[]): CycleType {
  const antiDependencies = steps.filter((s) => s.kind === 'rw').length;
  const base = antiDependencies > 1 ? 'G2' : antiDependencies === 1 ? 'G-single' : steps.some((s) => s.kind === 'wr') ? 'G1c' : 'G0';
  return steps.some((s) => s.kind === 'rt') ? `${base}-realtime` : base;
}
