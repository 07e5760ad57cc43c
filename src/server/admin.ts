// Commands that describe or steer the whole node: INFO, CONFIG, TIME and the RAFT.* family
// (RedisRaft style). They need the server's parts, so they live here
// rather than in the per-connection dispatcher.

import type { KvStateMachine } from '../kv/state-machine.js';
import type { EncodingThresholds } from '../kv/object-encoding.js';
import type { Reply } from '../kv/reply.js';
import type { RaftNode } from '../node/raft-node.js';
import type { NodeId } from '../node/consensus.js';
import type { PeerStats } from '../transport/peer-transport.js';
import type { RespServer } from '../resp/server.js';
import type { ServerConfig } from './config.js';
import { arityError } from '../kv/replies.js';
import { parseLong } from '../kv/integer-parse.js';
import { serverCommand, type CommandRegistry, type ServerCommand } from './command-registry.js';
import { raftInfoLines, renderInfo } from './info.js';
import { objectCommand } from './object-command.js';
import { configCommand } from './runtime-config.js';
import { CommandTimes } from './slow-log.js';
import { errorReply, nodeErrorReply, unknownError } from './errors.js';
import { NodeSettings } from './node-settings.js';
import type { Identity, Member } from './identity.js';
import { Backups } from './backup-command.js';
import { clusterCommand } from './cluster-command.js';
import { Failover } from './failover.js';

export interface AdminContext {
  readonly config: ServerConfig;
  readonly identity: Identity;
  readonly kv: KvStateMachine;
  readonly node: RaftNode<Reply>;
  readonly resp: () => RespServer;
  readonly members: () => ReadonlyMap<string, Member>;
  readonly startedAt: number;
  readonly now: () => number;
  /** A linearizable read barrier: calls back with null once passed, or with the error reply. */
  readonly barrier: (done: (error: Reply | null) => void) => void;
  readonly commandsProcessed: () => number;
  /** Every command and its counters (INFO commandstats, errorstats; CONFIG RESETSTAT). */
  readonly registry: () => CommandRegistry;
  /** Clients blocked on this node (BLPOP, ...); none when absent. */
  readonly blockedClients?: () => number;
  /** True while this node answers LOADING to data commands (joined, not caught up): INFO's `loading:1`. */
  readonly loading: () => boolean;
  /** CLIENT TRACKING on this node (INFO's tracking fields); none when absent. */
  readonly trackingStats?: () => { readonly clients: number; readonly keys: number; readonly items: number; readonly prefixes: number };
  readonly transportStats: () => Map<NodeId, Pick<PeerStats, 'connected' | 'droppedMessages' | 'queuedBytes' | 'sentFrames' | 'socketWrites' | 'reconnects' | 'stallRedials'>>;
  readonly faults: ((argv: readonly Buffer[]) => Reply) | null;
  /** The node's log, for what an operator should see (FAILOVER's steps). */
  readonly log: (level: 'info' | 'warn', fields: Record<string, unknown>, message: string) => void;
}

const OK: Reply = { kind: 'simple', value: 'OK' };
const bulk = (text: string): Reply => ({ kind: 'bulk', value: Buffer.from(text) });

export class Admin {
  private readonly context: AdminContext;
  private readonly settings = new NodeSettings();
  /** The slow log and latency monitor of this node's commands. */
  readonly times: CommandTimes;
  /** When the last SAVE or BGSAVE finished (Redis: the start time until the first). */
  private lastSaveMs: number;
  /** RAFT.BACKUP's open snapshots (raftis backup, export-rdb). */
  readonly backups: Backups;
  /** FAILOVER, as a leadership transfer. */
  private readonly failover: Failover;

  constructor(context: AdminContext) {
    this.context = context;
    this.lastSaveMs = context.startedAt;
    this.times = new CommandTimes(this.settings, context.now);
    // Checked by loadConfig, as CONFIG SET checks them.
    if (context.config.nodeSettings.length > 0) this.settings.set(context.config.nodeSettings.flat());
    this.backups = new Backups({
      barrier: context.barrier,
      beginSnapshot: () => context.kv.beginSnapshot(),
      clusterId: context.identity.clusterId,
      nodeId: context.identity.nodeId,
      chunkBytes: context.config.snapshotChunkBytes,
      now: context.now,
    });
    const node = context.node;
    this.failover = new Failover({
      isLeader: () => node.isLeader,
      selfId: node.id,
      voters: () => node.status().confState.voters,
      memberAt: (host, port) => [...context.members().values()].find((m) => m.client.host === host && m.client.port === port)?.id as NodeId | undefined ?? null,
      connected: (id) => context.transportStats().get(id)?.connected === true,
      handOverLeadership: (to) => node.handOverLeadership(to),
      abortLeadershipTransfer: () => node.abortLeadershipTransfer(),
      pollMs: context.config.tickMs,
      log: (fields, message) => context.log('info', fields, message),
    });
  }

  /** The encoding thresholds OBJECT ENCODING and DEBUG OBJECT decide by. */
  thresholds(): EncodingThresholds {
    return this.settings.thresholds();
  }

  /** A node setting's value by its Redis name (node-settings.ts); 0 for one it does not have. */
  setting(name: string): number {
    return this.settings.number(name);
  }

  /** INFO, CONFIG, TIME and the RAFT.* commands, as rows of the command registry. */
  commands(): ServerCommand[] {
    const context = this.context;
    const info = (text: string): Reply => ({ kind: 'verbatim', format: 'txt', value: text });
    return [
      // This node's state, in its turn among the connection's commands but with no read point:
      // clients ask every node for INFO (ioredis when it connects), and a lagging node, or one
      // whose disk stalls its apply, must still answer at once, as a Redis replica does. On a
      // follower it may therefore lag a write the client saw acknowledged through it.
      serverCommand('info', -1, ['loading', 'stale'], ({ argv, done, read }) => {
        const sections = argv.slice(1).map((a) => a.toString('latin1'));
        read(() => info(renderInfo(context, sections, { lastSaveMs: this.lastSaveMs, failoverState: this.failover.state })), done, 'local');
      }),
      configCommand({
        config: context.config,
        settings: this.settings,
        replicated: () => context.kv.replicatedSettings,
        resetStats: () => context.registry().resetStats(),
      }),
      serverCommand('time', 1, ['loading', 'stale', 'fast', 'random'], ({ done }) => {
        const micros = Math.floor(context.now() * 1000);
        done({ kind: 'array', value: [bulk(String(Math.floor(micros / 1e6))), bulk(String(micros % 1e6))] });
      }),
      serverCommand('raft.info', 1, ['loading', 'stale'], ({ done }) => done(info(raftInfoLines(context).join('\r\n') + '\r\n'))),
      serverCommand('raft.leader', 1, ['loading', 'stale', 'fast'], ({ done }) => {
        const leader = context.node.leader;
        done(leader === '' ? errorReply('TRYAGAIN no leader') : bulk(leader));
      }),
      serverCommand('raft.transfer-leader', -1, ['admin'], ({ argv, done }) => this.transferLeader(argv, done)),
      // A barrier at the connection-independent default mode, then the local digest: equal
      // digests at equal applied indexes show that replicas converged.
      serverCommand('raft.digest', 1, [], ({ done }) => context.barrier((error) => {
        if (error !== null) return done(error);
        const digest = context.kv.digest();
        done({ kind: 'array', value: [bulk(String(digest.appliedIndex)), bulk(digest.hash)] });
      })),
      this.backups.command(),
      serverCommand('raft.snapshot', 1, ['admin'], ({ done }) => {
        context.node.snapshotNow().then((index) => done(bulk(String(index))), (error: unknown) => done(unknownError(error)));
      }),
      // raftis's point-in-time save is a snapshot of the state machine (the log keeps
      // everything after it); SAVE waits for it, BGSAVE starts it.
      serverCommand('save', 1, ['admin', 'noscript', 'no_multi'], ({ done }) => this.save(done)),
      serverCommand('bgsave', -1, ['admin', 'noscript'], ({ argv, done }) => {
        if (argv.length > 2 || (argv.length === 2 && argv[1]?.toString().toLowerCase() !== 'schedule')) return done(errorReply('ERR syntax error'));
        this.save(() => undefined);
        done({ kind: 'simple', value: 'Background saving started' });
      }),
      serverCommand('lastsave', 1, ['loading', 'stale', 'fast', 'random'], ({ done }) => done({ kind: 'integer', value: Math.floor(this.lastSaveMs / 1000) })),
      serverCommand('lolwut', -1, ['readonly', 'fast'], ({ done }) => done({ kind: 'verbatim', format: 'txt', value: 'raftis 0.1.0: Redis ver. 7.0.0 compatible, replicated with Raft.\n' })),
      objectCommand({
        thresholds: () => this.settings.thresholds(),
        read: (argv, clusterTime) => context.kv.read(argv, clusterTime),
      }),
      this.times.slowlogCommand(),
      this.times.latencyCommand(() => context.registry().counters()),
      clusterCommand(),
      serverCommand('role', 1, ['noscript', 'loading', 'stale', 'fast'], ({ done }) => done(this.role())),
      serverCommand('wait', 3, ['noscript'], ({ argv, done }) => this.wait(argv, done)),
      serverCommand('waitaof', 4, ['noscript'], ({ argv, done }) => this.wait(argv, done)),
      this.failover.command(),
      serverCommand('raft.debug', -2, ['admin'], ({ argv, done }) => {
        done(context.faults === null ? errorReply('ERR RAFT.DEBUG is disabled; start the node with --debug-fault-injection or --debug-disk-faults') : context.faults(argv));
      }),
    ];
  }

  /**
   * ROLE as Redis answers it, on Raft: the leader is the master, with each follower's
   * address and matched log index; a follower is a replica of the leader it knows.
   */
  private role(): Reply {
    const { node, members } = this.context;
    const address = (id: string): { host: string; port: number } => members().get(id)?.client ?? { host: '', port: 0 };
    if (node.isLeader) {
      const followers = node.status().progress.filter((p) => p.id !== node.id);
      return { kind: 'array', value: [bulk('master'), { kind: 'integer', value: node.appliedIndex }, { kind: 'array', value: followers.map((p) => ({
        kind: 'array', value: [bulk(address(p.id).host), bulk(String(address(p.id).port)), bulk(String(p.match))],
      })) }] };
    }
    const leader = node.leader;
    return { kind: 'array', value: [bulk('slave'), bulk(address(leader).host), { kind: 'integer', value: address(leader).port },
      bulk(leader === '' ? 'connect' : 'connected'), { kind: 'integer', value: node.appliedIndex }] };
  }

  /**
   * WAIT numreplicas timeout, and WAITAOF numlocal numreplicas timeout (Redis 7.2): on the
   * leader, whether this node and how many followers have made durable everything this node
   * has applied (a follower's match index counts only entries it synced), waiting up to
   * `timeout` ms (0: no limit) for what was asked. A write raftis acknowledged is already
   * durable here and on a majority; these ask for more. Followers refuse, as Redis's replicas
   * do: ask the leader.
   */
  private wait(argv: readonly Buffer[], done: (reply: Reply) => void): void {
    const { node } = this.context;
    const aof = argv.length === 4;
    const args = aof ? argv.slice(1) : [Buffer.from('0'), ...argv.slice(1)];
    const [numLocal, numReplicas, timeoutMs] = [parseLong(args[0]), parseLong(args[1]), parseLong(args[2])];
    if (numLocal === null || numReplicas === null) return done(errorReply('ERR value is not an integer or out of range'));
    if (aof && (numLocal < 0 || numLocal > 1)) return done(errorReply('ERR value is out of range, value must between 0 and 1'));
    if (aof && numReplicas < 0) return done(errorReply('ERR value is out of range, must be positive'));
    if (timeoutMs === null) return done(errorReply('ERR timeout is not an integer or out of range'));
    if (timeoutMs < 0) return done(errorReply('ERR timeout is negative'));
    if (!node.isLeader) return done(errorReply(`ERR ${aof ? 'WAITAOF' : 'WAIT'} cannot be used with replica instances: send it to the leader${node.leader === '' ? '' : ` (${node.leader})`}`));
    const target = node.appliedIndex;
    const deadline = timeoutMs === 0 ? Number.POSITIVE_INFINITY : this.context.now() + timeoutMs;
    const durable = (): [local: number, replicas: number] => {
      const status = node.status();
      return [status.persisted >= target ? 1 : 0, status.progress.filter((p) => p.id !== node.id && p.match >= target).length];
    };
    const check = (): void => {
      const [local, replicas] = durable();
      if ((local >= numLocal && replicas >= numReplicas) || this.context.now() >= deadline || !node.isLeader) {
        return done(aof ? { kind: 'array', value: [{ kind: 'integer', value: local }, { kind: 'integer', value: replicas }] } : { kind: 'integer', value: replicas });
      }
      setTimeout(check, Math.max(1, Math.min(this.context.config.tickMs, deadline - this.context.now()))).unref();
    };
    check();
  }

  /** A snapshot now; OK (and LASTSAVE moves) once it is written, or the error. */
  private save(done: (reply: Reply) => void): void {
    this.context.node.snapshotNow().then(() => {
      this.lastSaveMs = this.context.now();
      done(OK);
    }, (error: unknown) => done(unknownError(error)));
  }

  private transferLeader(argv: readonly Buffer[], done: (reply: Reply) => void): void {
    const node = this.context.node;
    if (argv.length > 2) return done(arityError('raft.transfer-leader'));
    let target = argv[1]?.toString();
    if (target === undefined) {
      const candidates = node.status().confState.voters.filter((id) => id !== node.id);
      target = candidates[0];
      if (target === undefined) return done(errorReply('ERR no other voter to transfer leadership to'));
    }
    if (!node.status().confState.voters.includes(target as NodeId)) return done(errorReply(`ERR ${target} is not a voter`));
    if (!node.isLeader) return done(errorReply(`ERR not the leader; send RAFT.TRANSFER-LEADER to ${node.leader === '' ? 'the leader' : node.leader}`));
    const error = node.transferLeadership(target as NodeId);
    done(error === null ? OK : nodeErrorReply(error));
  }
}
