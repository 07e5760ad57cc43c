// Fault injection for the peer transport: drop with a probability, delay, partition. It
// exists for tests and for chaos runs; a running node enables it only with an explicit
// debug flag, and every operation refuses when it is not enabled. Drops draw from a seeded
// PRNG so that a faulty run can be repeated.
import type { NodeId } from '../raft/types.js';

/** Longest injectable delay: one minute is already far beyond any Raft timeout. */
export const FAULT_DELAY_MS_MAX = 60_000;

export class FaultInjectionDisabledError extends Error {
  override readonly name = 'FaultInjectionDisabledError';
  readonly code = 'RAFTIS_FAULT_INJECTION_DISABLED';
  constructor() {
    super('fault injection is disabled on this transport (enable it with faultInjection: true, a debug-only setting)');
  }
}

/** The public fault API of a transport. Faults apply to both directions. */
export interface TransportFaults {
  /** Drop each message to and from `peer` with `probability` in [0, 1]; 0 removes the fault. */
  drop(peer: NodeId, probability: number): void;
  /** Hold each message to and from `peer` for `ms` before passing it on; 0 removes the fault. */
  delay(peer: NodeId, ms: number): void;
  /** Cut this node off from `peers`: everything to and from them is dropped until heal(). */
  partition(peers: readonly NodeId[]): void;
  /** Remove every fault. */
  heal(): void;
}

/** mulberry32: small, fast, good enough to decide drops; seeded for repeatable runs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

export class FaultInjector implements TransportFaults {
  private readonly dropProbability = new Map<NodeId, number>();
  private readonly delayMs = new Map<NodeId, number>();
  private readonly partitioned = new Set<NodeId>();

  constructor(
    private readonly enabled: boolean,
    private readonly random: () => number,
    /** Called after a partition begins so the owner can cut streams in flight. */
    private readonly onPartition: (peers: readonly NodeId[]) => void,
  ) {}

  private requireEnabled(): void {
    if (!this.enabled) throw new FaultInjectionDisabledError();
  }

  drop(peer: NodeId, probability: number): void {
    this.requireEnabled();
    if (!(probability >= 0 && probability <= 1)) throw new RangeError(`invalid drop probability ${probability}: must be in [0, 1]`);
    if (probability === 0) this.dropProbability.delete(peer);
    else this.dropProbability.set(peer, probability);
  }

  delay(peer: NodeId, ms: number): void {
    this.requireEnabled();
    if (!Number.isInteger(ms) || ms < 0 || ms > FAULT_DELAY_MS_MAX) throw new RangeError(`invalid delay ${ms} ms: must be an integer in [0, ${FAULT_DELAY_MS_MAX}]`);
    if (ms === 0) this.delayMs.delete(peer);
    else this.delayMs.set(peer, ms);
  }

  partition(peers: readonly NodeId[]): void {
    this.requireEnabled();
    for (const peer of peers) this.partitioned.add(peer);
    this.onPartition(peers);
  }

  heal(): void {
    this.requireEnabled();
    this.dropProbability.clear();
    this.delayMs.clear();
    this.partitioned.clear();
  }

  isPartitioned(peer: NodeId): boolean {
    return this.partitioned.has(peer);
  }

  /** Decides the fate of one message to or from `peer`: drop it, or pass it after `delayMs` (0 = now). */
  judge(peer: NodeId): { drop: true } | { drop: false; delayMs: number } {
    if (!this.enabled) return PASS;
    if (this.partitioned.has(peer)) return DROP;
    const probability = this.dropProbability.get(peer);
    if (probability !== undefined && this.random() < probability) return DROP;
    const delayMs = this.delayMs.get(peer);
    return delayMs === undefined ? PASS : { drop: false, delayMs };
  }
}

const PASS = { drop: false, delayMs: 0 } as const;
const DROP = { drop: true } as const;
