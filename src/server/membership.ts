// Cluster membership from the operator's side (RedisRaft style): RAFT.NODE ADD | REMOVE |
// PROMOTE | UPDATE, RAFT.NODES and RAFT.CLUSTERINFO, forwarded to the leader when asked of a
// follower; the leader's automatic promotion of learners that have caught up; and a node's
// announcement of its own new addresses after it was restarted on other ports.
//
// Members' addresses are part of the replicated configuration (the context of each
// conf-change entry, and the member list of each snapshot), so an address change is a
// conf change too (UpdateNode): it goes through the log, one change at a time, and every
// node, including one that replays the log or installs a snapshot later, learns it.
//
// A new voter always enters as a learner first and is promoted once its log is within
// `learnerPromoteLagEntries` of the commit index, so adding a node never leaves the cluster
// waiting on a member with an empty log to form a quorum. Changes are single-server, one at
// a time (docs/internals/raft.md).

import type { Reply } from '../kv/reply.js';
import { ConfChangeType, nodeId, type ConfChange, type NodeId } from '../node/consensus.js';
import type { NodeError } from '../node/errors.js';
import type { RaftNode } from '../node/raft-node.js';
import { formatHostPort, parseHostPort, type HostPort } from './config.js';
import { arityError } from '../kv/replies.js';
import { serverCommand, type ServerCall, type ServerCommand } from './command-registry.js';
import { errorReply, nodeErrorReply } from './errors.js';
import { killCommand, killOnLeader } from './script-kill.js';
import { FORWARD_NODE_ERROR, FORWARD_REPLY, decodeForwardAnswer, decodeForwardedAdmin, encodeForwardAnswer, encodeForwardedAdmin } from './forward-codec.js';
import type { Identity, Member } from './identity.js';

export interface MembershipOptions {
  readonly identity: Identity;
  readonly node: RaftNode<Reply>;
  readonly members: Map<string, Member>;
  readonly requestTimeoutMs: number;
  readonly learnerPromoteLagEntries: number;
  readonly promoteCheckMs: number;
  readonly forward: (to: NodeId, payload: Uint8Array, timeoutMs: number) => Promise<Uint8Array>;
  readonly encodeReply: (reply: Reply) => Uint8Array;
  readonly decodeReply: (bytes: Uint8Array) => Reply | Error;
  readonly log: (fields: Record<string, unknown>, msg: string) => void;
}

const OK: Reply = { kind: 'simple', value: 'OK' };
/** Pause between attempts to announce this node's new addresses (no leader, change pending, …). */
const ANNOUNCE_RETRY_MS = 500;
const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const bulk = (text: string): Reply => ({ kind: 'bulk', value: Buffer.from(text) });

/** The conf-change context: the member's addresses, whether to promote it once caught up, and its data-directory incarnation when known. */
export interface MemberContext {
  readonly peer: string;
  readonly client: string;
  readonly promote: boolean;
  readonly incarnation?: string;
}
const INCARNATION = /^[0-9a-f]{1,64}$/;

export function encodeMemberContext(context: MemberContext): Uint8Array {
  return Buffer.from(JSON.stringify(context));
}

export class Membership {
  private readonly options: MembershipOptions;
  private promoteTimer: NodeJS.Timeout | null = null;
  private promoting = false;
  private stopped = false;

  constructor(options: MembershipOptions) {
    this.options = options;
  }

  /** RAFT.CLUSTERINFO, RAFT.NODE and RAFT.NODES, as rows of the command registry. */
  commands(): ServerCommand[] {
    // Answered by the leader: only its address book is sure to hold every current member
    // (a joiner that learned a stale one could not reach the leader).
    const onLeader = (answer: (argv: readonly Buffer[], done: (reply: Reply) => void) => void) => ({ argv, done }: ServerCall): void => {
      if (!this.options.node.isLeader) this.forwardToLeader(argv, done);
      else answer(argv, done);
    };
    return [
      serverCommand('raft.clusterinfo', 1, ['stale'], onLeader((_argv, done) => done(this.clusterInfo()))),
      serverCommand('raft.nodes', 1, ['stale'], onLeader((_argv, done) => done(this.nodes()))),
      serverCommand('raft.node', -3, ['admin'], onLeader((argv, done) => this.nodeCommand(argv, done))),
    ];
  }

  /** The leader's side of a forwarded admin command. */
  handleForwarded(payload: Uint8Array): Promise<Uint8Array> {
    const argv = decodeForwardedAdmin(payload);
    if (argv instanceof Error) return Promise.reject(argv);
    return new Promise((resolve) => {
      const reply = (value: Reply): void => resolve(encodeForwardAnswer({ status: FORWARD_REPLY, resp: this.options.encodeReply(value) }));
      if (!this.options.node.isLeader) {
        resolve(encodeForwardAnswer({ status: FORWARD_NODE_ERROR, code: 'NOT_LEADER', message: `the leader is ${this.options.node.leader}` }));
        return;
      }
      const args = argv.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
      const name = args[0]?.toString('latin1').toLowerCase() ?? '';
      const kill = killCommand(name, args);
      if (name === 'raft.nodes') reply(this.nodes());
      else if (name === 'raft.clusterinfo') reply(this.clusterInfo());
      else if (name === 'raft.node') this.nodeCommand(args, reply);
      else if (kill !== null) void killOnLeader(this.options.node, kill).then(reply);
      else reply(errorReply(`ERR '${name}' cannot be forwarded`));
    });
  }

  /** Runs on every node; acts only while leader. */
  startAutoPromotion(): void {
    this.promoteTimer = setInterval(() => this.promoteCaughtUpLearners(), this.options.promoteCheckMs);
    this.promoteTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.promoteTimer !== null) clearInterval(this.promoteTimer);
  }

  /**
   * A node restarted on a data directory with other addresses than before (new --listen or
   * --peer-listen) tells the cluster, through the leader, with RAFT.NODE UPDATE; the others
   * cannot reach it at the new address until that change is in their log. Retried until
   * the leader accepts it or the node stops; `persist` (remember the new addresses as this
   * node's own, for a restart with only --data-dir) runs once it was accepted. Nothing to do
   * when the addresses are the ones the cluster and the data directory already hold, or when
   * this node is not a member (a joining node announces itself with RAFT.NODE ADD).
   */
  announceAddresses(self: { readonly client: HostPort; readonly peer: HostPort }, persist: () => void): void {
    const { identity, members } = this.options;
    const known = members.get(identity.nodeId);
    if (known === undefined) return;
    const same = (a: HostPort, b: HostPort): boolean => formatHostPort(a) === formatHostPort(b);
    if (same(known.peer, self.peer) && same(known.client, self.client) && same(identity.self.peer, self.peer) && same(identity.self.client, self.client)) return;
    const argv = ['RAFT.NODE', 'UPDATE', identity.nodeId, formatHostPort(self.peer), formatHostPort(self.client)];
    this.options.log({ from: { peer: formatHostPort(known.peer), client: formatHostPort(known.client) }, to: { peer: argv[3], client: argv[4] } }, 'this node moved: announcing its new addresses to the cluster');
    void this.announceUntilAccepted(argv, persist);
  }

  private async announceUntilAccepted(argv: readonly string[], persist: () => void): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      const outcome = await this.askLeader(argv, attempt);
      if (outcome === null) {
        persist();
        this.options.log({ attempt }, 'the cluster accepted this node\'s new addresses');
        return;
      }
      if (attempt % 10 === 0) this.options.log({ attempt, err: outcome }, 'announcing new addresses failed; retrying');
      await new Promise((resolve) => setTimeout(resolve, ANNOUNCE_RETRY_MS).unref());
    }
  }

  /**
   * Null once the leader accepted `argv`; otherwise why not. Asks itself when leader, else
   * goes over the peer channel (this node dials the others, and the answer comes back on
   * that connection, so it works before anyone knows the new address): to the leader it
   * knows, or to each other member in turn, since a node that moved may not hear from the
   * leader (who still sends to its old address) and the leader is among the others.
   */
  private async askLeader(argv: readonly string[], attempt: number): Promise<string | null> {
    const { node, identity, members } = this.options;
    if (node.isLeader) {
      const reply = await new Promise<Reply>((resolve) => this.nodeCommand(argv.map((a) => Buffer.from(a)), resolve));
      return reply.kind === 'error' ? reply.message : null;
    }
    const others = [...members.keys()].filter((id) => id !== identity.nodeId);
    const leader = node.leader;
    const target = leader !== '' && leader !== identity.nodeId && attempt % 2 === 0 ? leader : others[attempt % Math.max(1, others.length)];
    if (target === undefined) return 'no other member known';
    let bytes: Uint8Array;
    try {
      bytes = await this.options.forward(nodeId(target), encodeForwardedAdmin(argv.map((a) => Buffer.from(a))), this.options.requestTimeoutMs);
    } catch (error) {
      return `${target}: ${String(error)}`;
    }
    const answer = decodeForwardAnswer(bytes);
    if (answer instanceof Error) return `${target}: ${answer.message}`;
    if (answer.status === FORWARD_NODE_ERROR) return `${target}: ${answer.message}`;
    const reply = this.options.decodeReply(answer.resp);
    if (reply instanceof Error) return `${target}: bad reply: ${reply.message}`;
    return reply.kind === 'error' ? `${target}: ${reply.message}` : null;
  }

  /** Runs a leader's command (RAFT.NODE, SCRIPT KILL: those handleForwarded runs) on the leader this node knows. */
  forwardToLeader(argv: readonly Buffer[], done: (reply: Reply) => void): void {
    const leader = this.options.node.leader;
    if (leader === '') return done(errorReply('TRYAGAIN no leader'));
    this.options.forward(leader, encodeForwardedAdmin(argv), this.options.requestTimeoutMs).then((bytes) => {
      const answer = decodeForwardAnswer(bytes);
      if (answer instanceof Error) return done(errorReply(`ERR ${answer.message}`));
      if (answer.status === FORWARD_NODE_ERROR) return done(errorReply(`TRYAGAIN ${answer.message}`));
      const reply = this.options.decodeReply(answer.resp);
      done(reply instanceof Error ? errorReply(`ERR bad reply from the leader: ${reply.message}`) : reply);
    }, (error: unknown) => done(errorReply(`TRYAGAIN forwarding to the leader ${leader} failed: ${String(error)}`)));
  }

  private nodeCommand(argv: readonly Buffer[], done: (reply: Reply) => void): void {
    const sub = argv[1]?.toString().toLowerCase();
    const id = argv[2]?.toString() ?? '';
    if (sub === undefined || argv.length < 3) return done(arityError('raft.node'));
    if (!NODE_ID.test(id)) return done(errorReply(`ERR invalid node id '${id}' (letters, digits, - and _, at most 64)`));
    const conf = this.options.node.status().confState;
    const isVoter = conf.voters.includes(nodeId(id));
    const isLearner = conf.learners.includes(nodeId(id));
    const finish = (error: NodeError | null): void => done(error === null ? OK : nodeErrorReply(error));
    switch (sub) {
      case 'add': {
        // RAFT.NODE ADD id peer-host:port [client-host:port] [LEARNER] [INCARNATION hex]
        // (a joining node names its data directory's incarnation; see Member.incarnation).
        const usage = 'ERR usage: RAFT.NODE ADD id peer-host:port [client-host:port] [LEARNER] [INCARNATION hex]';
        const addresses: string[] = [];
        let learner = false;
        let incarnation: string | undefined;
        const rest = argv.slice(3).map((a) => a.toString());
        for (let i = 0; i < rest.length; i++) {
          const word = rest[i] ?? '';
          if (word.toLowerCase() === 'learner') learner = true;
          else if (word.toLowerCase() === 'incarnation') {
            incarnation = rest[++i];
            if (incarnation === undefined || !INCARNATION.test(incarnation)) return done(errorReply(`ERR invalid incarnation '${incarnation ?? ''}' (1 to 64 lowercase hex digits)`));
          } else if (learner || incarnation !== undefined) return done(errorReply(usage));
          else addresses.push(word);
        }
        if (addresses.length < 1 || addresses.length > 2) return done(errorReply(usage));
        let peer: HostPort;
        let client: HostPort;
        try {
          peer = parseHostPort(addresses[0] ?? '', 'peer address');
          client = addresses[1] === undefined ? { host: peer.host, port: Math.max(1, peer.port - 10_000) } : parseHostPort(addresses[1], 'client address');
        } catch (error) {
          return done(errorReply(`ERR ${(error as Error).message}`));
        }
        if (isVoter || isLearner) return done(errorReply(`ERR node ${id} is already a ${isVoter ? 'voter' : 'learner'}`));
        const context = encodeMemberContext({ peer: formatHostPort(peer), client: formatHostPort(client), promote: !learner, ...(incarnation === undefined ? {} : { incarnation }) });
        return this.propose({ type: ConfChangeType.AddLearner, nodeId: nodeId(id), context }, finish);
      }
      case 'remove':
        if (argv.length !== 3) return done(arityError('raft.node|remove'));
        if (!isVoter && !isLearner) return done(errorReply(`ERR node ${id} is not a member`));
        return this.propose({ type: ConfChangeType.RemoveNode, nodeId: nodeId(id), context: new Uint8Array(0) }, finish);
      case 'promote':
        if (argv.length !== 3) return done(arityError('raft.node|promote'));
        if (!isLearner) return done(errorReply(`ERR node ${id} is not a learner`));
        return this.propose({ type: ConfChangeType.PromoteLearner, nodeId: nodeId(id), context: new Uint8Array(0) }, finish);
      case 'update': {
        // RAFT.NODE UPDATE id peer-host:port [client-host:port]: new addresses of a member,
        // roles unchanged. Without a client address the member keeps its current one.
        if (argv.length < 4 || argv.length > 5) return done(errorReply('ERR usage: RAFT.NODE UPDATE id peer-host:port [client-host:port]'));
        if (!isVoter && !isLearner) return done(errorReply(`ERR node ${id} is not a member`));
        const current = this.options.members.get(id);
        let peer: HostPort;
        let client: HostPort;
        try {
          peer = parseHostPort(argv[3]?.toString() ?? '', 'peer address');
          const clientText = argv[4]?.toString();
          client = clientText !== undefined ? parseHostPort(clientText, 'client address') : (current?.client ?? { host: peer.host, port: Math.max(1, peer.port - 10_000) });
        } catch (error) {
          return done(errorReply(`ERR ${(error as Error).message}`));
        }
        // Proposed even when the leader already shows these addresses: its map may hold a
        // change that was later truncated, and a committed entry is what makes it certain.
        const context = encodeMemberContext({ peer: formatHostPort(peer), client: formatHostPort(client), promote: current?.promote === true, ...(current?.incarnation === undefined ? {} : { incarnation: current.incarnation }) });
        return this.propose({ type: ConfChangeType.UpdateNode, nodeId: nodeId(id), context }, finish);
      }
      default:
        return done(errorReply(`ERR unknown subcommand '${argv[1]?.toString() ?? ''}'. Try RAFT.NODE ADD|REMOVE|PROMOTE|UPDATE.`));
    }
  }

  private propose(change: ConfChange, done: (error: NodeError | null) => void): void {
    this.options.log({ type: change.type, node: change.nodeId }, 'proposing membership change');
    this.options.node.proposeConfChange(change, done);
  }

  private nodes(): Reply {
    const status = this.options.node.status();
    const progress = new Map(status.progress.map((p) => [p.id as string, p]));
    const ids = [...status.confState.voters, ...status.confState.learners];
    return {
      kind: 'array',
      value: ids.map((id) => {
        const member = this.options.members.get(id);
        const peer = progress.get(id);
        const match = id === status.id ? status.lastIndex : (peer?.match ?? 0);
        return {
          kind: 'map',
          value: [
            [bulk('id'), bulk(id)],
            [bulk('role'), bulk(status.confState.voters.includes(id) ? 'voter' : 'learner')],
            [bulk('leader'), { kind: 'integer', value: id === status.leader ? 1 : 0 }],
            [bulk('peer'), bulk(member === undefined ? '' : formatHostPort(member.peer))],
            [bulk('client'), bulk(member === undefined ? '' : formatHostPort(member.client))],
            [bulk('match'), { kind: 'integer', value: match }],
            [bulk('lag'), { kind: 'integer', value: Math.max(0, status.commit - match) }],
            // Known for members that joined (Member.incarnation); founders have none here.
            ...(member?.incarnation === undefined ? [] : [[bulk('incarnation'), bulk(member.incarnation)] as [Reply, Reply]]),
          ],
        } satisfies Reply;
      }),
    };
  }

  /**
   * The cluster id, the founding members (a joiner replays the log from the same initial
   * configuration) and the current members' addresses as far as this node knows them (a
   * joiner must be able to answer a leader that joined after the founding, before a
   * snapshot tells it about that leader).
   */
  private clusterInfo(): Reply {
    const { identity } = this.options;
    const conf = this.options.node.status().confState;
    const current = [...conf.voters, ...conf.learners].flatMap((id) => {
      const member = this.options.members.get(id);
      return member === undefined ? [] : [bulk(`${member.id} ${formatHostPort(member.peer)} ${formatHostPort(member.client)}`)];
    });
    return {
      kind: 'array',
      value: [
        bulk(identity.clusterId),
        { kind: 'array', value: identity.initialMembers.map((m) => bulk(`${m.id} ${formatHostPort(m.peer)} ${formatHostPort(m.client)}`)) },
        { kind: 'array', value: current },
      ],
    };
  }

  private promoteCaughtUpLearners(): void {
    const node = this.options.node;
    if (!node.isLeader || this.promoting) return;
    const status = node.status();
    for (const learner of status.confState.learners) {
      if (this.options.members.get(learner)?.promote !== true) continue;
      const progress = status.progress.find((p) => p.id === learner);
      // match 0: the learner has acknowledged nothing yet (not even a snapshot), however small the log.
      if (progress === undefined || progress.match === 0 || progress.match + this.options.learnerPromoteLagEntries < status.commit) continue;
      this.promoting = true;
      this.propose({ type: ConfChangeType.PromoteLearner, nodeId: learner, context: new Uint8Array(0) }, (error) => {
        this.promoting = false;
        this.options.log({ node: learner, error: error === null ? null : error.message }, error === null ? 'promoted caught-up learner to voter' : 'promotion failed; will retry');
      });
      return;
    }
  }
}
