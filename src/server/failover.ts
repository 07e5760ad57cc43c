// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms], Redis 7.0's coordinated failover as a
// Raft leadership transfer. Redis pauses writes, waits for a replica to catch up, then hands
// it the master role; the Raft core does the same steps (it refuses proposals while a
// transfer is under way, catches the target up, then sends it TimeoutNow). As in Redis the
// command answers OK once the failover has started and INFO's `master_failover_state` tracks
// it. Without TIMEOUT it tries until the target leads; with TIMEOUT it is abandoned at the
// deadline, unless FORCE: Redis then promotes a lagging replica and loses what it lacked,
// while a Raft voter can only win with every committed entry, so there is nothing to skip and
// FORCE keeps trying past the deadline instead.

import type { NodeId } from '../node/consensus.js';
import type { Reply } from '../kv/reply.js';
import { parseLong } from '../kv/integer-parse.js';
import { errorReply } from './errors.js';
import { handOverUntilDone } from './hand-over.js';
import { serverCommand, type ServerCommand } from './command-registry.js';

export interface FailoverDeps {
  readonly isLeader: () => boolean;
  /** This node's id and the voters of the current configuration. */
  readonly selfId: NodeId;
  readonly voters: () => readonly NodeId[];
  /** The member whose client address is host:port, if any. */
  readonly memberAt: (host: string, port: number) => NodeId | null;
  /** Whether this node's link to the peer is up. */
  readonly connected: (id: NodeId) => boolean;
  /** RaftNode.handOverLeadership: a transfer to `to`, or to the most caught-up voter. */
  readonly handOverLeadership: (to?: NodeId) => NodeId | null;
  readonly abortLeadershipTransfer: () => boolean;
  readonly pollMs: number;
  readonly log: (fields: Record<string, unknown>, message: string) => void;
}

export type FailoverState = 'no-failover' | 'waiting-for-sync' | 'failover-in-progress';

interface Request {
  readonly target: { readonly host: string; readonly port: number } | null;
  readonly timeoutMs: number;
  readonly force: boolean;
}

const OK: Reply = { kind: 'simple', value: 'OK' };

export class Failover {
  private readonly deps: FailoverDeps;
  /** The failover under way: its target once chosen, and whether ABORT cancelled it. */
  private current: { target: NodeId | null; aborted: boolean } | null = null;

  constructor(deps: FailoverDeps) {
    this.deps = deps;
  }

  /**
   * INFO's master_failover_state: waiting-for-sync until a transfer has started (Redis: until
   * the replica has caught up), then failover-in-progress until this node no longer leads.
   */
  get state(): FailoverState {
    if (this.current === null) return 'no-failover';
    return this.current.target === null ? 'waiting-for-sync' : 'failover-in-progress';
  }

  command(): ServerCommand {
    return serverCommand('failover', -1, ['admin', 'noscript', 'stale'], ({ argv, done }) => done(this.run(argv)));
  }

  private run(argv: readonly Buffer[]): Reply {
    if (argv.length === 2 && argv[1]?.toString('latin1').toLowerCase() === 'abort') return this.abort();
    const request = parseFailover(argv);
    if ('error' in request) return errorReply(request.error);
    const refusal = this.refusal(request);
    if (typeof refusal === 'string') return errorReply(refusal);
    this.start(request, refusal.target);
    return OK;
  }

  /** Redis's checks, in its order; the named target's id when they pass. */
  private refusal(request: Request): string | { readonly target: NodeId | undefined } {
    const { deps } = this;
    if (this.current !== null) return 'ERR FAILOVER already in progress.';
    if (!deps.isLeader()) return 'ERR FAILOVER is not valid when server is a replica.';
    const others = deps.voters().filter((id) => id !== deps.selfId);
    if (!others.some((id) => deps.connected(id))) return 'ERR FAILOVER requires connected replicas.';
    if (request.force && (request.timeoutMs === 0 || request.target === null)) return 'ERR FAILOVER with force option requires both a timeout and target HOST and IP.';
    if (request.target === null) return { target: undefined };
    const id = deps.memberAt(request.target.host, request.target.port);
    if (id === null || id === deps.selfId) return 'ERR FAILOVER target HOST and PORT is not a replica.';
    if (!others.includes(id)) return 'ERR FAILOVER target HOST and PORT is a learner; only a voter can lead.';
    if (!deps.connected(id)) return 'ERR FAILOVER target replica is not online.';
    return { target: id };
  }

  private start(request: Request, target: NodeId | undefined): void {
    const { deps } = this;
    const current: { target: NodeId | null; aborted: boolean } = { target: null, aborted: false };
    this.current = current;
    deps.log({ to: target ?? 'any voter', timeoutMs: request.timeoutMs, force: request.force }, 'FAILOVER requested');
    const deadline = request.timeoutMs === 0 || request.force ? Number.POSITIVE_INFINITY : Date.now() + request.timeoutMs;
    void handOverUntilDone({
      isLeader: deps.isLeader,
      start: () => {
        const started = deps.handOverLeadership(target);
        if (started !== null) current.target = started;
        return started;
      },
      pollMs: deps.pollMs,
    }, { deadline, cancelled: () => current.aborted }).then((to) => {
      if (this.current === current) this.current = null;
      if (current.aborted) return;
      if (!deps.isLeader()) return deps.log({ to }, 'FAILOVER done: this node no longer leads');
      deps.abortLeadershipTransfer();
      deps.log({ to }, to === null ? 'FAILOVER aborted: no voter could take over' : 'FAILOVER aborted: the target did not take over before the timeout');
    });
  }

  private abort(): Reply {
    const current = this.current;
    if (current === null) return errorReply('ERR No failover in progress.');
    current.aborted = true;
    this.current = null;
    this.deps.abortLeadershipTransfer();
    this.deps.log({}, 'FAILOVER manually aborted');
    return OK;
  }
}

/** FAILOVER's arguments as Redis parses them (ABORT alone is handled before). */
function parseFailover(argv: readonly Buffer[]): Request | { readonly error: string } {
  let timeoutMs = 0;
  let force = false;
  let target: { host: string; port: number } | null = null;
  for (let i = 1; i < argv.length; i++) {
    const option = argv[i]?.toString('latin1').toLowerCase();
    if (option === 'timeout' && i + 1 < argv.length && timeoutMs === 0) {
      const value = parseLong(argv[i + 1]);
      if (value === null) return { error: 'ERR value is not an integer or out of range' };
      if (value <= 0) return { error: 'ERR FAILOVER timeout must be greater than 0' };
      timeoutMs = value;
      i += 1;
    } else if (option === 'to' && i + 2 < argv.length && target === null) {
      const port = parseLong(argv[i + 2]);
      if (port === null) return { error: 'ERR value is not an integer or out of range' };
      target = { host: argv[i + 1]?.toString('latin1') ?? '', port };
      i += 2;
    } else if (option === 'force' && !force) {
      force = true;
    } else {
      return { error: 'ERR syntax error' };
    }
  }
  return { target, timeoutMs, force };
}
