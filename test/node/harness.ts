// A RaftNode in isolation for tests of the driver: a log store with the real storage's rule
// for snapshots, a clock whose deferred work runs only when the test pumps it, and a state
// machine that only counts.
import type { Clock, LogStore, SnapshotByteSink, SnapshotByteSource, StateMachine } from '../../src/node/ports.js';
import { RaftNode, type RaftNodeOptions } from '../../src/node/raft-node.js';
import { defaultRaftConfig } from '../../src/raft/config.js';
import { seededPrng } from '../../src/raft/prng.js';
import { Raft } from '../../src/raft/raft.js';
import { logIndex, nodeId, term, type ConfState, type Entry, type Message, type NodeId, type SnapshotMeta } from '../../src/raft/types.js';

export const N1 = nodeId('n1');
export const N2 = nodeId('n2');
export const N3 = nodeId('n3');
export const CONF: ConfState = { voters: [N1, N2, N3], learners: [] };

/**
 * A log store with the real storage's rule: after a snapshot is committed, the log starts
 * right after it. With `gateCommits` a snapshot file's commit waits for releaseCommit().
 */
export class GatedLogStore implements LogStore {
  firstIndex = 1;
  snapshot: { meta: SnapshotMeta; bytes: Uint8Array } | null = null;
  /** Resolves the pending commit of a snapshot file. */
  releaseCommit: (() => void) | null = null;

  constructor(private readonly gateCommits = true) {}

  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first !== undefined && first.index < this.firstIndex) throw new Error(`append at index ${first.index} below firstIndex ${this.firstIndex}`);
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  saveSnapshot(meta: SnapshotMeta): SnapshotByteSink {
    const chunks: Uint8Array[] = [];
    return {
      write: async (chunk) => {
        chunks.push(chunk);
      },
      commit: () => new Promise<void>((resolve) => {
        this.releaseCommit = () => {
          this.snapshot = { meta, bytes: Buffer.concat(chunks) };
          this.firstIndex = meta.index + 1;
          resolve();
        };
        if (!this.gateCommits) this.releaseCommit();
      }),
      abort: async () => undefined,
    };
  }

  openSnapshot(): SnapshotByteSource | null {
    const bytes = this.snapshot?.bytes;
    if (bytes === undefined) return null;
    let done = false;
    return {
      read: async () => {
        if (done) return null;
        done = true;
        return bytes;
      },
      close: () => undefined,
    };
  }

  async compact(): Promise<void> {}
}

/**
 * A clock that stands still unless the test moves it (advance): until then no timer fires (no
 * ticks: nothing campaigns by itself). Deferred work runs on pump().
 */
export class ManualClock implements Clock {
  private readonly deferred: (() => void)[] = [];
  private timers: { at: number; fn: () => void }[] = [];
  private time = 0;
  now(): number {
    return this.time;
  }
  setTimer(ms: number, fn: () => void): { cancel(): void } {
    const timer = { at: this.time + ms, fn };
    this.timers.push(timer);
    return { cancel: () => { this.timers = this.timers.filter((t) => t !== timer); } };
  }
  /** Moves the clock by `ms`, firing each timer that falls due on the way, in time order, and pumping after each. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
      await this.pump();
    }
    this.time = end;
  }
  /** Time passing inside a synchronous call (a long apply): no timer fires meanwhile. */
  spend(ms: number): void {
    this.time += ms;
  }
  defer(fn: () => void): void {
    this.deferred.push(fn);
  }
  /** Runs deferred work and settles promises until nothing is left. */
  async pump(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      const due = this.deferred.splice(0);
      if (due.length === 0) return;
      for (const fn of due) fn();
    }
  }
}

export function counterStateMachine(): StateMachine<null> & { appliedIndex: number } {
  const sm = {
    appliedIndex: 0,
    apply(entry: Entry) {
      sm.appliedIndex = entry.index;
      return null;
    },
    applyNoop(entry: Entry) {
      sm.appliedIndex = entry.index;
    },
    beginSnapshot: () => ({ next: () => null, close: () => undefined }),
    restore: async (source: SnapshotByteSource, index: number) => {
      while ((await source.read(1 << 16)) !== null);
      sm.appliedIndex = index;
      return null;
    },
  };
  return sm;
}

export interface FollowerUnderTest {
  readonly node: RaftNode<null>;
  readonly raft: Raft;
  readonly log: GatedLogStore;
  readonly clock: ManualClock;
  readonly sm: StateMachine<null> & { appliedIndex: number };
  /** Every message the node sent. */
  readonly sent: Message[];
  readonly fatal: Error[];
}

/** Follower `id` of CONF in term 1, voted for n1, with an empty log; started. */
export function startFollower(id: NodeId, log = new GatedLogStore(), extra: Partial<RaftNodeOptions<null>> = {}): FollowerUnderTest {
  const clock = new ManualClock();
  const sm = counterStateMachine();
  const sent: Message[] = [];
  const fatal: Error[] = [];
  const raft = new Raft(defaultRaftConfig(id, seededPrng(1)), {
    hardState: { term: term(1), vote: N1, commit: logIndex(0) }, snapshot: null, entries: [], confState: CONF, applied: logIndex(0),
  });
  const node = new RaftNode<null>({
    id, raft, log, clock, stateMachine: sm,
    network: { send: (message) => sent.push(message), sendSnapshot: async () => undefined },
    tickMs: 10, requestTimeoutMs: 1000, snapshotEntries: 0, logRetainEntries: 16, snapshotChunkBytes: 4096,
    pendingRequestsMax: 100, initialAppliedTerm: 0,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    onFatal: (error) => fatal.push(error),
    ...extra,
  });
  node.start();
  return { node, raft, log, clock, sm, sent, fatal };
}
