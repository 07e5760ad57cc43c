// An in-memory network of Raft cores for tests: each node has a "disk" (hard state,
// snapshot, entries) and a "state machine" (the data of applied entries by index). The
// harness plays the driver: persist, send, apply, advance; messages travel through a queue
// that tests can deliver, drop, reorder and partition.
import { Raft, type RaftInitialState } from '../../src/raft/raft.js';
import { defaultRaftConfig, type RaftConfig } from '../../src/raft/config.js';
import { seededPrng } from '../../src/raft/prng.js';
import {
  EntryType, MessageType, NO_NODE, StateRole, logIndex, nodeId, term,
  type ConfState, type Entry, type HardState, type LogIndex, type Message, type NodeId, type ReadState, type Ready, type SnapshotMeta,
} from '../../src/raft/types.js';

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();
export const bytes = (s: string): Uint8Array => encoder.encode(s);
export const text = (b: Uint8Array): string => decoder.decode(b);
export const ids = (...names: string[]): NodeId[] => names.map(nodeId);

export interface Disk {
  hardState: HardState;
  snapshot: SnapshotMeta | null;
  entries: Entry[];
}

export interface SimNode {
  raft: Raft;
  disk: Disk;
  /** The state machine: applied entry data by index ("" for no-ops; conf changes as "conf"). */
  applied: Map<number, string>;
  appliedIndex: number;
  readStates: ReadState[];
  readies: Ready[];
  baseConf: ConfState;
  seed: number;
  overrides: Partial<RaftConfig>;
}

export interface ClusterOptions {
  learners?: readonly string[];
  seed?: number;
  config?: Partial<Omit<RaftConfig, 'id' | 'prng'>>;
}

const STABILIZE_ROUNDS_MAX = 10_000;

export class Cluster {
  readonly nodes = new Map<NodeId, SimNode>();
  /** Messages sent and not yet delivered, in send order. */
  queue: Message[] = [];
  /** Directed links that drop everything: "from>to". */
  private readonly cut = new Set<string>();
  /** Every message ever delivered, for tests that inspect traffic. */
  readonly delivered: Message[] = [];
  /** Snapshot payloads by "index/term": the state machine contents at that point. */
  private readonly snapshotData = new Map<string, { applied: Map<number, string>; appliedIndex: number }>();

  constructor(voterNames: readonly string[], private readonly options: ClusterOptions = {}) {
    const conf: ConfState = { voters: ids(...voterNames), learners: ids(...(options.learners ?? [])) };
    let seed = options.seed ?? 1;
    for (const name of [...voterNames, ...(options.learners ?? [])]) this.addNode(name, conf, seed++);
  }

  /** Adds a node with a fresh disk; `conf` is its initial membership (empty to join by snapshot). */
  addNode(name: string, conf: ConfState, seed: number, overrides: Partial<RaftConfig> = {}): SimNode {
    const id = nodeId(name);
    const disk: Disk = { hardState: { term: term(0), vote: NO_NODE, commit: logIndex(0) }, snapshot: null, entries: [] };
    const node: SimNode = {
      raft: undefined as unknown as Raft, disk, applied: new Map(), appliedIndex: 0, readStates: [], readies: [],
      baseConf: conf, seed, overrides,
    };
    node.raft = this.makeRaft(id, node);
    this.nodes.set(id, node);
    return node;
  }

  private makeRaft(id: NodeId, node: SimNode): Raft {
    const config: RaftConfig = { ...defaultRaftConfig(id, seededPrng(node.seed)), ...this.options.config, ...node.overrides };
    const initial: RaftInitialState = {
      hardState: node.disk.hardState,
      snapshot: node.disk.snapshot,
      entries: node.disk.entries,
      confState: node.baseConf,
      applied: logIndex(node.appliedIndex),
    };
    return new Raft(config, initial);
  }

  /** Crash and restart: volatile state is lost; the disk and the state machine survive. */
  restart(name: string): void {
    const node = this.get(name);
    node.seed += 1000;
    node.raft = this.makeRaft(nodeId(name), node);
  }

  get(name: string): SimNode {
    const node = this.nodes.get(nodeId(name));
    if (node === undefined) throw new Error(`no node ${name}`);
    return node;
  }

  raft(name: string): Raft {
    return this.get(name).raft;
  }

  /** Runs one Ready cycle on a node: persist, apply, queue its messages, advance. */
  processReady(name: string): boolean {
    const node = this.get(name);
    if (!node.raft.hasReady()) return false;
    const rd = node.raft.ready();
    node.readies.push(rd);
    this.persist(node, rd);
    this.apply(node, rd);
    for (const m of [...rd.messages, ...rd.messagesAfterPersist]) this.send(m);
    node.readStates.push(...rd.readStates);
    node.raft.advance(rd);
    return true;
  }

  persist(node: SimNode, rd: Ready): void {
    if (rd.snapshot !== null) {
      // An installed snapshot replaces the whole log.
      node.disk.snapshot = rd.snapshot;
      node.disk.entries = [];
    }
    const first = rd.entries[0];
    if (first !== undefined) {
      node.disk.entries = node.disk.entries.filter((e) => e.index < first.index);
      node.disk.entries.push(...rd.entries);
    }
    if (rd.hardState !== null) node.disk.hardState = rd.hardState;
  }

  apply(node: SimNode, rd: Ready): void {
    if (rd.snapshot !== null) {
      const data = this.snapshotData.get(`${rd.snapshot.index}/${rd.snapshot.term}`);
      if (data === undefined) throw new Error(`no snapshot data for ${rd.snapshot.index}/${rd.snapshot.term}`);
      node.applied = new Map(data.applied);
      node.appliedIndex = data.appliedIndex;
    }
    for (const e of rd.committedEntries) {
      if (e.index !== node.appliedIndex + 1) throw new Error(`apply gap: ${e.index} after ${node.appliedIndex}`);
      node.applied.set(e.index, e.type === EntryType.ConfChange ? 'conf' : text(e.data));
      node.appliedIndex = e.index;
    }
  }

  /** The node's state machine takes a snapshot at its applied index and the core may compact. */
  snapshotAndCompact(name: string, compactTo?: number): SnapshotMeta {
    const node = this.get(name);
    const index = logIndex(node.appliedIndex);
    const meta: SnapshotMeta = { index, term: entryTerm(node, index), confState: node.raft.confStateAt(index) };
    this.snapshotData.set(`${index}/${meta.term}`, { applied: new Map(node.applied), appliedIndex: node.appliedIndex });
    node.raft.snapshotTaken(meta);
    node.disk.snapshot = meta;
    const to = logIndex(compactTo ?? index);
    node.raft.compact(to);
    node.disk.entries = node.disk.entries.filter((e) => e.index > to);
    return meta;
  }

  send(m: Message): void {
    this.queue.push(m);
  }

  private linkCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  /** Delivers one queued message (dropping it if its link is cut or its target is unknown). */
  deliver(m: Message): void {
    const target = this.nodes.get(m.to);
    if (target === undefined || this.linkCut(m.from, m.to)) {
      this.drop(m);
      return;
    }
    this.delivered.push(m);
    target.raft.step(m);
    // The transport reports every snapshot transfer's outcome to the sender.
    if (m.type === MessageType.Snapshot) this.nodes.get(m.from)?.raft.reportSnapshot(m.to, true);
  }

  /** Loses a message; a lost snapshot transfer is reported as failed, as the transport would. */
  drop(m: Message): void {
    if (m.type === MessageType.Snapshot) this.nodes.get(m.from)?.raft.reportSnapshot(m.to, false);
  }

  /** Delivers everything queued now (messages produced meanwhile wait for the next call). */
  deliverAll(filter: (m: Message) => boolean = () => true): number {
    const batch = this.queue;
    this.queue = [];
    let n = 0;
    for (const m of batch) {
      if (filter(m)) {
        this.deliver(m);
        n++;
      } else {
        this.queue.push(m);
      }
    }
    return n;
  }

  processAllReadys(): boolean {
    let any = false;
    for (const id of this.nodes.keys()) while (this.processReady(id)) any = true;
    return any;
  }

  /** Until quiescent: collect Readys, persist, advance, deliver. */
  stabilize(): void {
    for (let round = 0; round < STABILIZE_ROUNDS_MAX; round++) {
      this.processAllReadys();
      if (this.queue.length === 0) return;
      this.deliverAll();
    }
    throw new Error(`cluster did not stabilize within ${STABILIZE_ROUNDS_MAX} rounds`);
  }

  tick(name: string, times = 1): void {
    for (let i = 0; i < times; i++) this.raft(name).tick();
  }

  /** Ticks every node once and stabilizes, `times` times. */
  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const node of this.nodes.values()) node.raft.tick();
      this.stabilize();
    }
  }

  /** Cuts both directions between every node of `a` and every node of `b`. */
  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a) for (const y of b) {
      this.cut.add(`${x}>${y}`);
      this.cut.add(`${y}>${x}`);
    }
  }

  isolate(name: string): void {
    const others = [...this.nodes.keys()].filter((id) => id !== name);
    this.partition([name], others);
  }

  heal(): void {
    this.cut.clear();
  }

  campaign(name: string): void {
    this.raft(name).campaignNow();
    this.stabilize();
  }

  /** The leader with the highest term, or null. */
  leader(): NodeId | null {
    let best: { id: NodeId; term: number } | null = null;
    for (const [id, node] of this.nodes) {
      const s = node.raft.status();
      if (s.role === StateRole.Leader && (best === null || s.term > best.term)) best = { id, term: s.term };
    }
    return best?.id ?? null;
  }

  propose(name: string, data: string): ReturnType<Raft['propose']> {
    return this.raft(name).propose(bytes(data));
  }

  /** Applied data on a node, in index order, without the leaders' no-ops. */
  appliedData(name: string): string[] {
    const node = this.get(name);
    return [...node.applied.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d).filter((d) => d !== '');
  }

  countDelivered(type: MessageType, from?: string): number {
    return this.delivered.filter((m) => m.type === type && (from === undefined || m.from === from)).length;
  }
}

function entryTerm(node: SimNode, index: LogIndex): ReturnType<typeof term> {
  if (node.disk.snapshot !== null && node.disk.snapshot.index === index) return node.disk.snapshot.term;
  const e = node.disk.entries.find((x) => x.index === index);
  if (e === undefined) throw new Error(`no entry ${index} on disk`);
  return e.term;
}

/**
 * Gives a node a prepared disk: entries with the given terms at indexes 1..n (data "i<index>t<term>"),
 * hard state at `hardTerm` with `commit`, then restarts it from that disk.
 */
export function loadLog(c: Cluster, name: string, terms: readonly number[], hardTerm: number, commit = 0): void {
  const node = c.get(name);
  node.disk.entries = terms.map((t, i) => ({ term: term(t), index: logIndex(i + 1), type: EntryType.Normal, data: bytes(`i${i + 1}t${t}`) }));
  node.disk.hardState = { term: term(hardTerm), vote: NO_NODE, commit: logIndex(commit) };
  node.appliedIndex = 0;
  node.applied.clear();
  c.restart(name);
}

export function logTerms(c: Cluster, name: string): number[] {
  return c.get(name).disk.entries.map((e) => e.term);
}
