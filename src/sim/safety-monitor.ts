// Raft's safety properties, checked as a run goes (each check is O(1) per fact, so it can run
// after every event): election safety, log matching over what nodes made durable, state
// machine safety over what they applied, and identical replica state at equal applied index.
// A violation throws SimViolation, which ends the run with the seed printed.
import type { Entry } from '../raft/types.js';

export class SimViolation extends Error {
  constructor(readonly invariant: string, message: string) {
    super(`${invariant}: ${message}`);
    this.name = 'SimViolation';
  }
}

interface LoggedEntry {
  readonly hash: number;
  /** Term of the entry before it; -1 when the node that first reported it did not know. */
  readonly previousTerm: number;
  readonly node: string;
}

interface AppliedEntry {
  readonly term: number;
  readonly hash: number;
  readonly node: string;
}

export class SafetyMonitor {
  /** Election safety: the one leader of each term. */
  private readonly leaders = new Map<number, string>();
  /** Log matching: every durable (index, term) seen, with its content and predecessor's term. */
  private readonly logged = new Map<string, LoggedEntry>();
  /** State machine safety: the entry applied at each index, by whichever node applied it first. */
  private readonly applied = new Map<number, AppliedEntry>();
  /** Replica equality: the state digest at sampled applied indexes. */
  private readonly digests = new Map<number, { readonly hash: string; readonly node: string }>();
  leaderElections = 0;
  appliedChecks = 0;

  noteLeader(term: number, node: string): void {
    const known = this.leaders.get(term);
    if (known === undefined) {
      this.leaders.set(term, node);
      this.leaderElections++;
      return;
    }
    if (known !== node) throw new SimViolation('election safety', `two leaders in term ${term}: ${known} and ${node}`);
  }

  noteDurable(node: string, entry: Entry, previousTerm: number): void {
    const key = `${entry.index}:${entry.term}`;
    const hash = hashBytes(entry.data, entry.type);
    const known = this.logged.get(key);
    if (known === undefined) {
      this.logged.set(key, { hash, previousTerm, node });
      return;
    }
    if (known.hash !== hash) {
      throw new SimViolation('log matching', `entry ${entry.index} of term ${entry.term} differs between ${known.node} and ${node}`);
    }
    if (known.previousTerm >= 0 && previousTerm >= 0 && known.previousTerm !== previousTerm) {
      throw new SimViolation(
        'log matching',
        `entry ${entry.index} of term ${entry.term} follows term ${known.previousTerm} on ${known.node} but term ${previousTerm} on ${node}`,
      );
    }
  }

  noteApplied(node: string, entry: Entry): void {
    this.appliedChecks++;
    const hash = hashBytes(entry.data, entry.type);
    const known = this.applied.get(entry.index);
    if (known === undefined) {
      this.applied.set(entry.index, { term: entry.term, hash, node });
      return;
    }
    if (known.term !== entry.term || known.hash !== hash) {
      throw new SimViolation(
        'state machine safety',
        `index ${entry.index}: ${known.node} applied an entry of term ${known.term}, ${node} applied one of term ${entry.term}${known.term === entry.term ? ' with other data' : ''}`,
      );
    }
  }

  noteDigest(node: string, index: number, hash: string): void {
    const known = this.digests.get(index);
    if (known === undefined) {
      this.digests.set(index, { hash, node });
      return;
    }
    if (known.hash !== hash) {
      throw new SimViolation('replica equality', `state at applied index ${index} is ${known.hash} on ${known.node} but ${hash} on ${node}`);
    }
  }
}

/** FNV-1a over the bytes and the entry type: a content fingerprint, not a security hash. */
export function hashBytes(bytes: Uint8Array, salt: number): number {
  let hash = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  return hash >>> 0;
}
