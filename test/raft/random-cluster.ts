// The randomized safety run shared by random-safety.test.ts (fast) and
// random-safety.slow.test.ts (long): a cluster of 3 or 5 cores under random message loss,
// reordering, duplication, partitions, crashes (also mid-Ready), snapshots and proposals.
// After every step it checks election safety (§5.2: at most one leader per term), log
// matching (§5.3) and state machine safety (§5.4.3: no two nodes apply different entries at
// one index). At the end it heals the network and checks the cluster makes progress again.
import assert from 'node:assert/strict';
import { seededPrng } from '../../src/raft/prng.js';
import { ConfChangeType, StateRole, nodeId, type Entry, type NodeId, type Prng } from '../../src/raft/types.js';
import { Cluster, bytes, text, type SimNode } from './harness.js';


function checkElectionSafety(c: Cluster, leaders: Map<number, NodeId>): void {
  for (const [id, node] of c.nodes) {
    const s = node.raft.status();
    if (s.role !== StateRole.Leader) continue;
    const known = leaders.get(s.term);
    assert.ok(known === undefined || known === id, `two leaders in term ${s.term}: ${known} and ${id}`);
    leaders.set(s.term, id);
  }
}

function checkLogMatching(a: SimNode, b: SimNode, names: string): void {
  const byIndex = new Map<number, Entry>();
  for (const e of a.disk.entries) byIndex.set(e.index, e);
  // Walk b's log from the top; once an index with equal terms is found, everything below
  // that both logs hold must be identical.
  let matched = false;
  for (let i = b.disk.entries.length - 1; i >= 0; i--) {
    const eb = b.disk.entries[i] as Entry;
    const ea = byIndex.get(eb.index);
    if (ea === undefined) continue;
    if (ea.term === eb.term) matched = true;
    if (matched) {
      assert.equal(ea.term, eb.term, `log matching (${names}): terms differ at ${eb.index} below a matching entry`);
      assert.equal(text(ea.data), text(eb.data), `log matching (${names}): same index ${eb.index} and term ${eb.term}, different data`);
    }
  }
}

function checkStateMachineSafety(c: Cluster, committed: Map<number, string>): void {
  for (const [id, node] of c.nodes) {
    for (const [index, data] of node.applied) {
      const known = committed.get(index);
      assert.ok(known === undefined || known === data, `state machine safety: ${id} applied "${data}" at ${index}, another node "${known}"`);
      committed.set(index, data);
    }
  }
}

function checkReads(c: Cluster, reads: ReadonlyMap<string, number>, checked: Map<NodeId, number>): void {
  for (const [id, node] of c.nodes) {
    const from = checked.get(id) ?? 0;
    for (const rs of node.readStates.slice(from)) {
      const before = reads.get(text(rs.context));
      assert.ok(before !== undefined, `read state for unknown context ${text(rs.context)}`);
      assert.ok(rs.index >= before, `stale read on ${id}: read index ${rs.index} < ${before} committed before the read`);
    }
    checked.set(id, node.readStates.length);
  }
}

function pick<T>(prng: Prng, xs: readonly T[]): T {
  return xs[prng.nextInt(xs.length)] as T;
}

/** Runs one seed; throws (with the seed in the message) on any violation. */
export function runSeed(seed: number, size: 3 | 5, steps: number): void {
  const prng = seededPrng(seed * 7919 + size);
  const names = ['n1', 'n2', 'n3', 'n4', 'n5'].slice(0, size);
  // Vary the features across seeds so every combination is exercised, with small windows and
  // batches so pipelining, batching and backtracking happen in short logs.
  const c = new Cluster(names, {
    seed: seed * 100,
    config: {
      electionTicks: 4 + (seed % 7), preVote: seed % 2 === 0, checkQuorum: seed % 3 !== 0,
      maxInflightMessages: 1 + (seed % 4), maxEntriesPerMessage: 1 + (seed % 3), maxBytesPerMessage: 8 + (seed % 40),
    },
  });
  const leaders = new Map<number, NodeId>();
  const committed = new Map<number, string>();
  let proposals = 0;
  const reads = new Map<string, number>();
  const readsChecked = new Map<NodeId, number>();
  for (let step = 0; step < steps; step++) {
    const roll = prng.nextInt(100);
    const name = pick(prng, names);
    if (roll < 20) c.tick(name);
    else if (roll < 45) c.processReady(name);
    else if (roll < 75 && c.queue.length > 0) {
      // Deliver a random queued message: reordering.
      const [m] = c.queue.splice(prng.nextInt(c.queue.length), 1);
      if (m !== undefined) c.deliver(m);
    } else if (roll < 80 && c.queue.length > 0) {
      const [lost] = c.queue.splice(prng.nextInt(c.queue.length), 1); // loss
      if (lost !== undefined) c.drop(lost);
    } else if (roll < 82 && c.queue.length > 0) {
      c.deliver(pick(prng, c.queue)); // duplication
    } else if (roll < 88) {
      c.propose(name, `s${seed}-p${proposals++}`);
    } else if (roll < 89) {
      // Single-server membership changes, refused by the core when not allowed.
      const target = pick(prng, names);
      const type = c.raft(name).status().confState.voters.includes(nodeId(target)) ? ConfChangeType.RemoveNode : ConfChangeType.AddVoter;
      c.raft(name).proposeConfChange({ type, nodeId: nodeId(target), context: new Uint8Array() });
    } else if (roll < 90) {
      c.raft(name).transferLeadership(nodeId(pick(prng, names)));
    } else if (roll < 91) {
      // A read must return an index at least as high as anything committed before it was asked.
      const context = `s${seed}-r${reads.size}`;
      const committedBefore = Math.max(...names.map((n) => c.raft(n).status().commit));
      if (c.raft(name).readIndex(bytes(context)).ok) reads.set(context, committedBefore);
    } else if (roll < 93) {
      const cut = names.filter(() => prng.nextInt(2) === 0);
      c.heal();
      c.partition(cut, names.filter((n) => !cut.includes(n)));
    } else if (roll < 95) {
      c.heal();
    } else if (roll < 96) {
      while (c.processReady(name));
      c.restart(name);
    } else if (roll < 97) {
      // Crash mid-Ready: the messages that may go before persistence are sent, then the node
      // dies before its write is durable and restarts from what its disk had.
      const node = c.get(name);
      if (node.raft.hasReady()) {
        const rd = node.raft.ready();
        for (const m of rd.messages) c.send(m);
      }
      c.restart(name);
    } else if (roll < 99) {
      const node = c.get(name);
      if (node.appliedIndex > node.raft.status().firstIndex) c.snapshotAndCompact(name);
    } else {
      c.deliverAll();
    }
    checkElectionSafety(c, leaders);
    checkStateMachineSafety(c, committed);
    checkReads(c, reads, readsChecked);
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        checkLogMatching(c.get(names[i] as string), c.get(names[j] as string), `${names[i]}/${names[j]}`);
      }
    }
  }
  // Liveness after healing: a leader emerges and a new proposal is applied everywhere.
  c.heal();
  let applied = false;
  for (let round = 0; round < 300 && !applied; round++) {
    c.tickAll();
    const leader = c.leader();
    if (leader !== null && round % 10 === 0) c.propose(leader, `s${seed}-final`);
    // Every member of the leader's configuration applies it (removed nodes need not).
    const conf = leader === null ? null : c.raft(leader).status().confState;
    const members = conf === null ? names : names.filter((n) => conf.voters.includes(nodeId(n)) || conf.learners.includes(nodeId(n)));
    applied = leader !== null && members.every((n) => c.appliedData(n).includes(`s${seed}-final`));
  }
  checkElectionSafety(c, leaders);
  checkStateMachineSafety(c, committed);
  const statuses = names.map((n) => JSON.stringify(c.raft(n).status())).join('\n');
  assert.ok(applied, `no progress after healing (leader ${c.leader()}):\n${statuses}`);
}

/** Runs seeds [first, last] for one cluster size, naming the failing seed. */
export function runSeeds(size: 3 | 5, first: number, last: number, steps: number): void {
  for (let seed = first; seed <= last; seed++) {
    try {
      runSeed(seed, size, steps);
    } catch (e) {
      throw new Error(`SEED=${seed} size=${size} steps=${steps}: ${(e as Error).message}`, { cause: e });
    }
  }
}
