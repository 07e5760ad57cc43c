// What a simulated workload's operations are, apart from how clients send them
// (workload.ts): a source chooses each operation from the run's PRNG, records it in its own
// history as it is called and answered, and judges that history at the end of the run.
import type { Reply } from '../kv/reply.js';
import type { SimViolation } from './safety-monitor.js';

export interface SimOperation {
  readonly argv: readonly Uint8Array[];
  /** Goes through the log (the write path, exactly-once); otherwise the node's read path. */
  readonly write: boolean;
  /** For liveness messages: `get k1`, `txn [append la0 3, r la1]`. */
  readonly label: string;
  /** Records the reply; 'failed' when it is a refusal that rules the operation out. Throws SimViolation for a reply that cannot be. */
  answered(reply: Reply, now: number): 'ok' | 'failed';
  /** Records an outcome learnt without a reply: unknown (it may have taken effect) or failed (it did not). */
  unanswered(outcome: 'unknown' | 'failed', now: number): void;
}

export interface OperationSource {
  /** Chooses the next operation of history process `process`, called at `now`. */
  begin(process: number, now: number): SimOperation;
  /** The history's verdict once the run is over: null when it passes. */
  check(): SimViolation | null;
}

export function args(...words: string[]): Uint8Array[] {
  return words.map((word) => Buffer.from(word, 'latin1'));
}
