// A leadership hand-over that sees itself through: the core gives a transfer up after an
// election timeout (etcd semantics), so SHUTDOWN and FAILOVER start it again until this node
// no longer leads, the caller gives up, or its deadline passes.

import type { NodeId } from '../node/consensus.js';

export interface HandOverDeps {
  readonly isLeader: () => boolean;
  /** Starts a transfer; null when none can start now (one is under way, or there is no voter to take over). */
  readonly start: () => NodeId | null;
  /** How often the hand-over is looked at (a Raft tick). */
  readonly pollMs: number;
}

export interface HandOverLimits {
  /** Date.now() past which it stops trying; Infinity for no limit. */
  readonly deadline: number;
  readonly cancelled: () => boolean;
}

/** Resolves with the last voter a transfer was started to (null: none could start) once the hand-over ended. */
export async function handOverUntilDone(deps: HandOverDeps, limits: HandOverLimits): Promise<NodeId | null> {
  let target: NodeId | null = null;
  while (deps.isLeader() && !limits.cancelled() && Date.now() < limits.deadline) {
    const started = deps.start();
    if (started === null && target === null) return null;
    target = started ?? target;
    await new Promise((resolve) => setTimeout(resolve, deps.pollMs));
  }
  return target;
}
