// Errors the runtime reports to its callers: one root class with stable codes, so the
// server maps each to a wire reply in one place (src/server/errors.ts).

export type NodeErrorCode =
  /** This node is not the leader; `leader` names the leader if known. */
  | 'NOT_LEADER'
  /** No leader is known right now: retry later. */
  | 'NO_LEADER'
  /** The proposal's log slot was taken by another entry after a leader change: it was not applied. */
  | 'DROPPED'
  /** No result within the request time-out: the outcome is unknown. */
  | 'TIMEOUT'
  /** The leader refused: a leadership transfer or a membership change is under way, or too much is uncommitted. */
  | 'BUSY'
  /** The node is shutting down. */
  | 'SHUTDOWN'
  /** The request can never succeed as given (e.g. adding a member that exists). */
  | 'INVALID';

export class NodeError extends Error {
  readonly code: NodeErrorCode;
  readonly leader: string;

  constructor(code: NodeErrorCode, message: string, leader = '', options?: { cause?: unknown }) {
    // Expected outcomes reported as values (a refusal per request while there is no leader):
    // a stack trace would cost more than the rest of the request and says nothing.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message, options);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'NodeError';
    this.code = code;
    this.leader = leader;
  }

  /** True when the request certainly did not take effect, so a retry cannot apply it twice. */
  get definitelyNotApplied(): boolean {
    return this.code === 'NOT_LEADER' || this.code === 'NO_LEADER' || this.code === 'DROPPED' || this.code === 'BUSY' || this.code === 'INVALID';
  }
}
