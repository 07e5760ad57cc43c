// A follower writing a snapshot from its leader while the term moves on (a slow disk outlasts
// an election timeout, or another node campaigns): found by the chaos suite's disk nemesis
// (docs/testing.md). Storage committed the snapshot file and started its log after it, but
// the core dropped the snapshot's message as one of an earlier term; the next leader's
// snapshot, older than the file, was taken by the core, and its first append below the
// storage's first index ended the node (RAFTIS_STORAGE_APPEND_RANGE).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Clock, LogStore, SnapshotByteSink, SnapshotByteSource, StateMachine } from '../../src/node/ports.js';
import { RaftNode } from '../../src/node/raft-node.js';
import { defaultRaftConfig } from '../../src/raft/config.js';
import { seededPrng } from '../../src/raft/prng.js';
import { Raft } from '../../src/raft/raft.js';
import { EntryType, MessageType, logIndex, nodeId, term, type ConfState, type Entry, type Message, type SnapshotMeta } from '../../src/raft/types.js';

const N1 = nodeId('n1');
const N2 = nodeId('n2');
const N3 = nodeId('n3');
const CONF: ConfState = { voters: [N1, N2, N3], learners: [] };

/** A log store with the real storage's rule: after a snapshot is committed, the log starts right after it. */
class GatedLogStore implements LogStore {
  firstIndex = 1;
  snapshot: { meta: SnapshotMeta; bytes: Uint8Array } | null = null;
  /** Resolves the pending commit of a snapshot file. */
  releaseCommit: (() => void) | null = null;

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

/** A clock whose timers never fire (no ticks: nothing campaigns by itself) and whose deferred work runs on pump(). */
class ManualClock implements Clock {
  private readonly deferred: (() => void)[] = [];
  now(): number {
    return 0;
  }
  setTimer(): { cancel(): void } {
    return { cancel: () => undefined };
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

function counterStateMachine(): StateMachine<null> & { appliedIndex: number } {
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

test('a snapshot committed to storage while the term moved on is taken by the core: storage and log start at the same index', async () => {
  const clock = new ManualClock();
  const log = new GatedLogStore();
  const sm = counterStateMachine();
  const fatal: Error[] = [];
  const raft = new Raft(defaultRaftConfig(N2, seededPrng(1)), {
    hardState: { term: term(1), vote: N1, commit: logIndex(0) }, snapshot: null, entries: [], confState: CONF, applied: logIndex(0),
  });
  const node = new RaftNode<null>({
    id: N2, raft, log, clock, stateMachine: sm,
    network: { send: () => undefined, sendSnapshot: async () => undefined },
    tickMs: 10, requestTimeoutMs: 1000, snapshotEntries: 0, logRetainEntries: 16, snapshotChunkBytes: 4096,
    pendingRequestsMax: 100, initialAppliedTerm: 0,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    onFatal: (error) => fatal.push(error),
  });
  node.start();
  const snapshot: SnapshotMeta = { index: logIndex(100), term: term(1), confState: CONF };
  const streamed = [new Uint8Array([1, 2, 3])];
  const receiving = node.receiveSnapshot(
    { type: MessageType.Snapshot, from: N1, to: N2, term: term(1), snapshot },
    { read: async () => streamed.shift() ?? null },
  );
  await clock.pump();
  assert.notEqual(log.releaseCommit, null, 'the snapshot file is being committed');
  // Meanwhile n1 hands leadership to n3, which campaigns in term 2: the core moves to term 2.
  const vote: Message = { type: MessageType.Vote, from: N3, to: N2, term: term(2), lastIndex: logIndex(100), lastTerm: term(1), transfer: true };
  node.receive(vote);
  await clock.pump();
  assert.equal(raft.status().term, 2);
  log.releaseCommit?.();
  assert.equal(await receiving, null);
  await clock.pump();
  assert.equal(log.firstIndex, 101);
  assert.equal(sm.appliedIndex, 100, 'the state machine is restored to the snapshot storage holds');
  // n3 leads term 2 and appends after the snapshot: storage takes it, the node applies it.
  const entry: Entry = { term: term(2), index: logIndex(101), type: EntryType.Normal, data: new Uint8Array(0) };
  node.receive({ type: MessageType.Append, from: N3, to: N2, term: term(2), prevIndex: logIndex(100), prevTerm: term(1), entries: [entry], commit: logIndex(101) });
  await clock.pump();
  assert.deepEqual(fatal, []);
  assert.equal(sm.appliedIndex, 101);
  node.stop();
});
