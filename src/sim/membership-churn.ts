// Membership churn for the simulator (fault kind `membership`): while faults run, a random
// follower is removed from the cluster and added back the way the server does it (RemoveNode,
// then AddLearner, then PromoteLearner once the learner has caught up), and leadership is
// handed to a random voter. A removed node comes back as a new incarnation with an empty
// disk, never with its old log. Each step is driven by what the current leader's core says
// (its configuration and whether a change is pending), so lost answers, crashes and leader
// changes in the middle of a change only delay it.
import { ConfChangeType, type ConfChange, type NodeId } from '../raft/types.js';
import type { Reply } from '../kv/reply.js';
import type { RaftNode } from '../node/raft-node.js';
import { EventKind } from './event-queue.js';
import type { SimRandom } from './sim-random.js';

/** What the churn needs of the simulator. */
export interface MembershipHost {
  readonly now: number;
  readonly random: SimRandom;
  readonly nodeCount: number;
  schedule(delayMs: number, node: number, kind: EventKind, run: () => void): void;
  nodeId(index: number): NodeId;
  /** The live runtime of the node that believes it leads, or null. */
  leaderIndex(): number | null;
  runtime(index: number): RaftNode<Reply> | null;
  /** The removal is committed: stop the node and give it an empty disk; it stays down. */
  wipe(index: number): void;
  /** The node is a learner again: start its new incarnation from the empty disk. */
  rejoin(index: number): void;
  note(line: string): void;
}

/** Between two looks at the leader's state while a change is under way, virtual ms. */
const STEP_MS = 40;
/** A removed node stays out this long before it is added back, virtual ms. */
const OUT_MS = [50, 600] as const;
/** A learner is promoted once its match index is within this many entries of the commit index. */
const PROMOTE_LAG_ENTRIES = 8;
const EMPTY = new Uint8Array(0);

type Phase = 'remove' | 'out' | 'add' | 'promote';

export class MembershipChurn {
  /** The node being cycled and where it is; null when no cycle is under way. */
  private victim: number | null = null;
  private phase: Phase = 'remove';
  removals = 0;
  transfers = 0;

  constructor(private readonly host: MembershipHost) {}

  /** A cycle is under way: the caller must keep the victim down while it is out. */
  isOut(index: number): boolean {
    return this.victim === index && (this.phase === 'out' || this.phase === 'add');
  }

  /** One churn action, chosen at random: start a remove/re-add cycle, or transfer leadership. */
  act(): void {
    if (this.host.random.chance(0.5)) this.startCycle();
    else this.transfer();
  }

  private transfer(): void {
    const leader = this.host.leaderIndex();
    if (leader === null) return;
    const runtime = this.host.runtime(leader);
    if (runtime === null) return;
    const voters = runtime.status().confState.voters.filter((id) => id !== this.host.nodeId(leader));
    if (voters.length === 0) return;
    const to = this.host.random.pick(voters);
    if (runtime.transferLeadership(to) === null) {
      this.transfers++;
      this.host.note(`membership: transfer leadership ${this.host.nodeId(leader)} -> ${to}`);
    }
  }

  private startCycle(): void {
    if (this.victim !== null) return;
    const leader = this.host.leaderIndex();
    if (leader === null) return;
    const runtime = this.host.runtime(leader);
    if (runtime === null) return;
    const status = runtime.status();
    // Only from a full configuration: one node out at a time keeps a quorum within reach.
    if (status.confState.voters.length !== this.host.nodeCount || status.confState.learners.length > 0) return;
    const candidates: number[] = [];
    for (let i = 0; i < this.host.nodeCount; i++) if (i !== leader) candidates.push(i);
    this.victim = this.host.random.pick(candidates);
    this.phase = 'remove';
    this.removals++;
    this.host.note(`membership: removing ${this.host.nodeId(this.victim)}`);
    this.step();
  }

  /** Looks at the leader's configuration and takes the next step of the cycle. */
  private step(): void {
    const victim = this.victim;
    if (victim === null || this.phase === 'out') return;
    const again = (): void => this.host.schedule(STEP_MS, -1, EventKind.Fault, () => this.step());
    const leader = this.host.leaderIndex();
    const runtime = leader === null ? null : this.host.runtime(leader);
    if (runtime === null) return again();
    const status = runtime.status();
    const id = this.host.nodeId(victim);
    const voter = status.confState.voters.includes(id);
    const learner = status.confState.learners.includes(id);
    // A change in the leader's log that it has not applied: wait for it.
    const settled = status.pendingConfIndex === 0;
    const propose = (type: ConfChangeType): void => {
      const change: ConfChange = { type, nodeId: id, context: EMPTY };
      runtime.proposeConfChange(change, () => undefined);
    };
    switch (this.phase) {
      case 'remove':
        if (!voter && !learner && settled) {
          this.host.wipe(victim);
          this.phase = 'out';
          this.host.note(`membership: ${id} removed and wiped`);
          this.host.schedule(this.host.random.between(...OUT_MS), -1, EventKind.Fault, () => {
            this.phase = 'add';
            this.step();
          });
          return;
        }
        if (settled && (voter || learner)) propose(ConfChangeType.RemoveNode);
        return again();
      case 'add':
        if (learner && settled) {
          this.phase = 'promote';
          this.host.note(`membership: ${id} added as a learner`);
          this.host.rejoin(victim);
          return again();
        }
        if (settled && !voter && !learner) propose(ConfChangeType.AddLearner);
        return again();
      case 'promote': {
        if (voter && settled) {
          this.host.note(`membership: ${id} promoted; cycle done`);
          this.victim = null;
          return;
        }
        const match = status.progress.find((peer) => peer.id === id)?.match ?? 0;
        if (learner && settled && match + PROMOTE_LAG_ENTRIES >= status.commit) propose(ConfChangeType.PromoteLearner);
        return again();
      }
    }
  }
}
