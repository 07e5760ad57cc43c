// Cycle finding over a dependency graph whose edges carry kinds (bit flags): strongly
// connected components by Tarjan's algorithm (iterative, so 100k-node histories do not
// overflow the stack), then short cycles inside one component by breadth-first search.
// Both take a kind mask, so one graph answers "is there a cycle of ww edges only", "of ww
// and wr", and so on, each in time linear in the graph.

/** A directed multigraph in compressed adjacency form: node n's edges are ids edges[offsets[n] .. offsets[n+1]). */
export interface Graph {
  readonly nodes: number;
  readonly source: Int32Array;
  readonly target: Int32Array;
  readonly kind: Uint8Array;
  readonly offsets: Int32Array;
  /** Edge ids grouped by source node. */
  readonly edges: Int32Array;
}

export class GraphBuilder {
  readonly #source: number[] = [];
  readonly #target: number[] = [];
  readonly #kind: number[] = [];

  constructor(readonly nodes: number) {}

  /** Adds an edge and returns its id. Self-edges say nothing about cycles between transactions; callers skip them. */
  add(source: number, target: number, kind: number): number {
    if (source === target) throw new Error(`self-edge on node ${source}`);
    this.#source.push(source);
    this.#target.push(target);
    this.#kind.push(kind);
    return this.#source.length - 1;
  }

  build(): Graph {
    const source = Int32Array.from(this.#source);
    const target = Int32Array.from(this.#target);
    const offsets = new Int32Array(this.nodes + 1);
    for (const s of source) offsets[s + 1]!++;
    for (let n = 0; n < this.nodes; n++) offsets[n + 1]! += offsets[n]!;
    const fill = offsets.slice(0, this.nodes);
    const edges = new Int32Array(source.length);
    for (let e = 0; e < source.length; e++) edges[fill[source[e]!]!++] = e;
    return { nodes: this.nodes, source, target, kind: Uint8Array.from(this.#kind), offsets, edges };
  }
}

/**
 * The strongly connected components of the edges whose kind meets `mask`: the component
 * number of every node, and the components with more than one node (only those hold cycles,
 * since there are no self-edges).
 */
export function stronglyConnected(graph: Graph, mask: number): { component: Int32Array; cyclic: number[][] } {
  const { nodes, offsets, edges, target, kind } = graph;
  const index = new Int32Array(nodes).fill(-1);
  const low = new Int32Array(nodes);
  const component = new Int32Array(nodes).fill(-1);
  const onStack = new Uint8Array(nodes);
  const stack: number[] = [];
  const cyclic: number[][] = [];
  // The depth-first path: each frame is a node and the position of its next edge to try.
  const pathNode: number[] = [];
  const pathEdge: number[] = [];
  let counter = 0;
  let components = 0;
  for (let root = 0; root < nodes; root++) {
    if (index[root] !== -1) continue;
    pathNode.push(root);
    pathEdge.push(offsets[root]!);
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (pathNode.length > 0) {
      const top = pathNode.length - 1;
      const node = pathNode[top]!;
      const at = pathEdge[top]!;
      if (at < offsets[node + 1]!) {
        pathEdge[top] = at + 1;
        const edge = edges[at]!;
        if ((kind[edge]! & mask) === 0) continue;
        const next = target[edge]!;
        if (index[next] === -1) {
          index[next] = low[next] = counter++;
          stack.push(next);
          onStack[next] = 1;
          pathNode.push(next);
          pathEdge.push(offsets[next]!);
        } else if (onStack[next] === 1) {
          low[node] = Math.min(low[node]!, index[next]!);
        }
        continue;
      }
      pathNode.pop();
      pathEdge.pop();
      if (pathNode.length > 0) {
        const parent = pathNode[pathNode.length - 1]!;
        low[parent] = Math.min(low[parent]!, low[node]!);
      }
      if (low[node] !== index[node]) continue;
      const members: number[] = [];
      let member: number;
      do {
        member = stack.pop()!;
        onStack[member] = 0;
        component[member] = components;
        members.push(member);
      } while (member !== node);
      components++;
      if (members.length > 1) cyclic.push(members);
    }
  }
  return { component, cyclic };
}

/** Work one search may do, counted in edges looked at; it stops with what it has. */
export interface SearchBudget {
  edgeVisitsLeft: number;
}

/**
 * The shortest path of `mask` edges from `from` to `to` inside `from`'s component, as edge
 * ids, or null when there is none (or the budget ran out). A path to `from` itself is the
 * shortest cycle through it. Paths of `longestUseful` edges or more are not wanted.
 */
export function shortestPath(
  graph: Graph,
  mask: number,
  component: Int32Array,
  from: number,
  to: number,
  budget: SearchBudget,
  longestUseful = Infinity,
): number[] | null {
  const { offsets, edges, target, kind, source } = graph;
  const home = component[from]!;
  const via = new Map<number, number>(); // node -> edge id that reached it first
  let frontier = [from];
  for (let depth = 1; frontier.length > 0 && depth < longestUseful; depth++) {
    const next: number[] = [];
    for (const node of frontier) {
      const end = offsets[node + 1]!;
      budget.edgeVisitsLeft -= end - offsets[node]!;
      if (budget.edgeVisitsLeft < 0) return null;
      for (let at = offsets[node]!; at < end; at++) {
        const edge = edges[at]!;
        if ((kind[edge]! & mask) === 0) continue;
        const reached = target[edge]!;
        if (reached === to) return pathTo(edge, via, source, from);
        if (component[reached] !== home || reached === from || via.has(reached)) continue;
        via.set(reached, edge);
        next.push(reached);
      }
    }
    frontier = next;
  }
  return null;
}

/** The edge ids from `from` along the breadth-first tree to `last`. */
function pathTo(last: number, via: Map<number, number>, source: Int32Array, from: number): number[] {
  const path = [last];
  for (let node = source[last]!; node !== from; node = source[path[path.length - 1]!]!) path.push(via.get(node)!);
  return path.reverse();
}
