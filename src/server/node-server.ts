// One raftis node process: opens the data directory, recovers state, and wires the Raft
// core, the runtime, the state machine, the peer transport and the client server together.
// Owns the lifecycle: start, and a graceful stop (stop accepting, hand over leadership,
// fail what is pending with a clear error, sync, close).

import type { Logger } from 'pino';
import { IdleCollection, v8HeapSpaces } from './idle-collection.js';
import { encodeCommand, isCommandBatch } from '../kv/command-codec.js';
import { scriptDecisionArgv } from '../kv/script/kill-decisions.js';
import { killOnLeader } from './script-kill.js';
import { KvStateMachine, type CommandTiming } from '../kv/state-machine.js';
import type { ScriptCall } from '../kv/script/call-stats.js';
import { seedMemberHashes } from '../kv/member-index.js';
import type { Reply } from '../kv/reply.js';
import { RaftNode, decodeSnapshotHeader, snapshotHeaderContext } from '../node/raft-node.js';
import { boolean, object, optional, parseJson, SchemaError, string } from '../base/schema.js';
import { isPausedEntry, type Clock, type Network, type PausedEntry, type SnapshotByteSource, type StateMachine } from '../node/ports.js';
import { kvDeferredEffects } from '../kv/script/deferred-effects.js';
import { ConfChangeType, EntryType, createRaft, decodeConfChange, logIndex, nodeId, term, type ConfChange, type ConfState, type Entry, type NodeId } from '../node/consensus.js';
import { decodeForwardedReply, encodeForwardedReply } from './forwarded-reply.js';
import { RespServer } from '../resp/server.js';
import { RaftStorage } from '../storage/raft-storage.js';
import { FaultDisk, FAULT_SYNC_DELAY_MS_MAX } from '../storage/fault-disk.js';
import { realDisk } from '../storage/real-disk.js';
import type { RespValue } from '../resp/codec.js';
import { randomBytes } from 'node:crypto';
import { sendCommand } from './resp-client.js';
import { Membership } from './membership.js';
import { DASHBOARD_REPORT, FORWARD_WRITE, FORWARD_WRITE_WITHOUT_FLOOR } from './forward-codec.js';
import { PeerTransport } from '../transport/peer-transport.js';
import { Admin, type AdminContext } from './admin.js';
import { AdminHttpServer, unhealthyReason } from './admin-http.js';
import { DashboardHistory } from './dashboard-history.js';
import { DashboardView } from './dashboard-view.js';
import { ConfigError, clientAddress, formatHostPort, parseHostPort, peerStallMs, readIndexRetryMs, scriptEffectsWaitMs, type HostPort, type ServerConfig } from './config.js';
import { loadSecurity, loadTls, joinTlsOptions } from './security.js';
import type { ConnectionOptions } from 'node:tls';
import { Dispatcher } from './dispatch.js';
import { seedLines, startAclSeeding } from './acl-seed.js';
import { ClusterUnavailableError, errorReply, nodeErrorReply } from './errors.js';
import { newIdentity, readIdentity, withSelfAddresses, writeIdentity, type Identity, type Member } from './identity.js';
import { PeerIncarnations, incarnationRefusal } from './peer-incarnations.js';
import { StorageLogStore, decodeMembership, encodeMembership, hostPortSchema, snapshotMetaFromStored } from './log-store.js';
import { WritePath, processTimer } from './write-path.js';
import { PubSub } from './pubsub.js';
import { parseNotifyFlags } from '../kv/keyspace-events.js';
import { publishedMessage } from '../kv/publish-command.js';
import { ShutdownSequence, shutdownCommand, type ShutdownOutcome } from './shutdown.js';
import { debugCommand } from './debug-command.js';
import { Syncs } from './sync-command.js';
import { accessClockMax } from '../kv/keyspace.js';

export class RaftisServer {
  readonly config: ServerConfig;
  readonly identity: Identity;
  private readonly logger: Logger;
  private readonly storage: RaftStorage;
  private readonly kv: KvStateMachine;
  readonly node: RaftNode<Reply>;
  private readonly transport: PeerTransport;
  private readonly resp: RespServer;
  private readonly writes: WritePath;
  private readonly dispatcher: Dispatcher;
  private readonly members: Map<string, Member>;
  private readonly membership: Membership;
  private readonly adminHttp: AdminHttpServer | null;
  private readonly history: DashboardHistory;
  private expireTimer: NodeJS.Timeout | null = null;
  /** DEBUG SET-ACTIVE-EXPIRE: whether this node, as leader, proposes the deletion of expired keys. */
  activeExpiry = true;
  private accessClockTimer: NodeJS.Timeout | null = null;
  private idleCollection: IdleCollection | null = null;
  /** Stops proposing the users of a new cluster (--requirepass, --aclfile); see acl-seed.ts. */
  stopAclSeeding: () => void = () => {};
  private expireInFlight = false;
  /** Why the node stopped on its own, if it did: the cluster refused to add it, or never answered. */
  joinFailure: Error | null = null;
  private stopping: Promise<void> | null = null;
  /** SHUTDOWN's and the signals' sequence: snapshot, hand-over, then stopNow. */
  private readonly shutdown: ShutdownSequence;
  /** Settles once the node has stopped, however it was asked to (a signal, SHUTDOWN, stop()). */
  readonly stopped: Promise<void>;
  private markStopped: (stop: Promise<void>) => void = () => {};

  private constructor(parts: {
    config: ServerConfig; identity: Identity; logger: Logger; storage: RaftStorage; kv: KvStateMachine;
    node: RaftNode<Reply>; transport: PeerTransport; resp: RespServer; adminHttp: AdminHttpServer | null; writes: WritePath; members: Map<string, Member>; membership: Membership;
    dispatcher: Dispatcher; history: DashboardHistory; shutdown: ShutdownSequence;
  }) {
    this.shutdown = parts.shutdown;
    this.stopped = new Promise((resolve) => {
      this.markStopped = resolve;
    });
    this.config = parts.config;
    this.identity = parts.identity;
    this.logger = parts.logger;
    this.storage = parts.storage;
    this.kv = parts.kv;
    this.node = parts.node;
    this.transport = parts.transport;
    this.resp = parts.resp;
    this.adminHttp = parts.adminHttp;
    this.history = parts.history;
    this.writes = parts.writes;
    this.dispatcher = parts.dispatcher;
    this.members = parts.members;
    this.membership = parts.membership;
  }

  isStopping(): boolean {
    return this.stopping !== null;
  }

  /** A joiner the cluster will not add stops: as a non-member it can serve nothing. */
  abandonJoin(error: Error): void {
    if (this.isStopping()) return;
    this.joinFailure = error;
    this.logger.fatal({ err: error.message }, 'not added to the cluster: stopping');
    void this.stopNow();
  }

  static async start(given: ServerConfig, logger: Logger): Promise<RaftisServer> {
    const security = loadSecurity(given);
    const joinTls = joinTlsOptions(given, security);
    const { identity, knownMembers } = await loadOrCreateIdentity(given, logger, joinTls);
    const config = withStoredAddresses(given, identity);
    const log = logger.child({ node: identity.nodeId });
    // The real disk, behind a fault injector only when the debug setting asks for one.
    const diskFaults = config.debugDiskFaults ? new FaultDisk(realDisk) : null;
    const { storage, recovered } = await RaftStorage.open({
      ...(diskFaults === null ? {} : { disk: diskFaults }),
      dir: config.dataDir,
      clusterId: identity.clusterId,
      nodeId: identity.nodeId,
      segmentBytes: config.walSegmentBytes,
      cacheBytes: config.logCacheBytes,
      log: (level, msg, fields) => log[level](fields ?? {}, msg),
    });

    const members = new Map<string, Member>(identity.initialMembers.map((m) => [m.id, m]));
    // Addresses only: membership itself comes from the log and snapshots.
    for (const member of knownMembers) if (!members.has(member.id)) members.set(member.id, member);
    let confState: ConfState = { voters: identity.initialMembers.map((m) => nodeId(m.id)), learners: [] };
    seedMemberHashes(randomBytes(4).readUInt32LE(0));
    const kv = new KvStateMachine({
      maxMemoryBytes: config.maxmemoryBytes,
      evictionPolicy: config.maxmemoryPolicy,
      protoMaxBulkLen: config.protoMaxBulkLen,
      // The start-up value, the same on every node (validated in config.ts); CONFIG SET changes it through the log.
      notifyKeyspaceEvents: parseNotifyFlags(config.notifyKeyspaceEvents) ?? 0,
    });
    kv.acl.awaitCommands(); // ACL users in the snapshot name server commands, registered below (Dispatcher)
    if (recovered.snapshot !== null) {
      const membership = decodeMembership(recovered.snapshot.membership);
      confState = membership.confState;
      for (const member of membership.members) members.set(member.id, member);
      const reader = storage.openSnapshot();
      if (reader === null) throw new Error(`snapshot ${recovered.snapshot.term}-${recovered.snapshot.index} vanished during start-up`);
      const error = await restoreKv(kv, { read: async (n) => reader.readChunk(n), close: () => reader.close() }, recovered.snapshot.index);
      if (error !== null) throw new Error(`restoring snapshot ${recovered.snapshot.term}-${recovered.snapshot.index}: ${error}`);
      log.info({ index: recovered.snapshot.index, keys: kv.stats().keys }, 'restored snapshot');
    }
    // Addresses of members added after the snapshot come from the conf-change entries in the log.
    for (const entry of recovered.entries) {
      if (entry.type !== EntryType.ConfChange) continue;
      const decoded = decodeConfChange(entry.data);
      if (!decoded.ok) throw new Error(`conf-change entry ${entry.index} in the WAL is undecodable: ${decoded.error}`);
      noteMemberAddress(members, decoded.value, (reason) => log.warn({ index: entry.index, reason }, 'conf-change entry carries unusable addresses'));
    }
    // A node always knows its own addresses. One that caught up by a snapshot taken after its
    // own AddLearner entry never applied that entry; without this it left itself out of
    // RAFT.CLUSTERINFO and of the address book it streams with snapshots, and a node joining
    // through it could not answer it as leader (chaos bug 10).
    if (!members.has(identity.nodeId)) members.set(identity.nodeId, { id: identity.nodeId, peer: config.peerListen, client: clientAddress(config) });

    const seed = hashSeed(identity.nodeId) ^ (Date.now() & 0x7fffffff);
    const raft = createRaft({
      id: nodeId(identity.nodeId),
      seed,
      electionTicks: config.electionTicks,
      heartbeatTicks: config.heartbeatTicks,
      leaseDriftTicks: config.leaseDriftTicks,
      maxInflightMessages: config.maxInflightMessages,
      maxBytesPerMessage: config.maxBytesPerMessage,
      maxUncommittedBytes: config.maxUncommittedBytes,
    }, {
      hardState: { term: term(recovered.hardState.term), vote: nodeId(recovered.hardState.vote), commit: logIndex(recovered.hardState.commit) },
      snapshot: recovered.snapshot === null ? null : snapshotMetaFromStored(recovered.snapshot),
      entries: recovered.entries as unknown as Entry[],
      confState,
      applied: logIndex(kv.appliedIndex),
    });

    const incarnations = new PeerIncarnations(config.dataDir);
    const transport = new PeerTransport({
      nodeId: nodeId(identity.nodeId),
      clusterId: identity.clusterId,
      listen: config.peerListen,
      peers: new Map([...members.values()].filter((m) => m.id !== identity.nodeId).map((m) => [nodeId(m.id), m.peer])),
      outboundQueueMaxBytes: config.peerQueueMaxBytes,
      linkStallMs: peerStallMs(config),
      snapshotChunkBytes: config.snapshotChunkBytes,
      faultInjection: config.debugFaultInjection,
      incarnation: identity.incarnation,
      clusterSecret: security.clusterSecret,
      tls: config.tlsCluster && security.tls !== null ? { context: security.tls } : null,
      verifyPeer: (id, incarnation) => {
        // Only members' incarnations are recorded: a removed node that still runs and connects
        // again must not be recorded anew, or its id could never come back with a new data
        // directory. It is not a member, so the core ignores what it sends.
        const conf = raft.status().confState;
        const member = conf.voters.includes(nodeId(id)) || conf.learners.includes(nodeId(id));
        if (!member && incarnation !== '') return null;
        // A member that joined named its incarnation in the replicated configuration: every
        // node checks that one, including a node that slept through the member's removal and
        // return and still records an older incarnation (chaos bug 9).
        const replicated = members.get(id)?.incarnation;
        if (replicated === undefined) return incarnations.verify(id, incarnation);
        incarnations.forget(id);
        return replicated === incarnation ? null : incarnationRefusal(id, incarnation, replicated);
      },
      log: (level, msg, fields) => log[level](fields ?? {}, msg),
    });

    const clock: Clock = {
      now: () => Date.now() + config.debugClockOffsetMs,
      setTimer: (ms, fn) => {
        const handle = setTimeout(fn, ms);
        return { cancel: () => clearTimeout(handle) };
      },
      defer: (fn) => setImmediate(fn),
    };
    const network: Network = {
      send: (message) => transport.send(message),
      flush: () => transport.flushQueued(),
      sendSnapshot: (to, header, source) => transport.sendSnapshot(to, header, source),
    };
    const logStore = new StorageLogStore(storage, () => members);
    const pubsub = new PubSub({
      subscriberOutputBufferMaxBytes: config.clientOutputBufferPubsubMaxBytes,
    });
    // A retried publish that the state machine answers from its table of recent requests
    // comes back as the very reply object it answered first: it is delivered once.
    const delivered = new WeakSet<Reply>();
    const applyTimer: ApplyTimer = { lastUsec: 0, lastCalls: null, commands: { clockMs: () => performance.now(), usec: [], calls: [] }, commandsWanted: () => true, observe: null };
    const stateMachine = kvAdapter(kv, applyTimer, (reply) => {
      const message = publishedMessage(reply);
      if (message === null || delivered.has(reply)) return;
      delivered.add(reply);
      pubsub.deliver(message);
    });

    /** Takes the member addresses a leader sent with a snapshot (see snapshotContext). */
    const learnAddresses = (context: Uint8Array): void => {
      if (context.length === 0) return;
      let known: Member[];
      try {
        known = decodeMembership(context).members;
      } catch (error) {
        log.warn({ err: String(error) }, 'ignoring undecodable member addresses sent with a snapshot');
        return;
      }
      for (const member of known) {
        const current = members.get(member.id);
        members.set(member.id, { ...current, ...member });
        // This node's own entry is the cluster's view of it (what a move is announced against); it dials nobody with it.
        if (member.id === identity.nodeId || (current !== undefined && formatHostPort(current.peer) === formatHostPort(member.peer))) continue;
        transport.setPeer(nodeId(member.id), member.peer);
      }
    };

    let writes: WritePath | null = null;
    let history: DashboardHistory | null = null;
    const node: RaftNode<Reply> = new RaftNode<Reply>({
      id: nodeId(identity.nodeId),
      raft,
      log: logStore,
      network,
      clock,
      stateMachine,
      tickMs: config.tickMs,
      requestTimeoutMs: config.requestTimeoutMs,
      snapshotEntries: config.snapshotEntries,
      logRetainEntries: config.logRetainEntries,
      snapshotLogBytes: config.snapshotLogBytes,
      snapshotLogPercentage: config.snapshotLogPercentage,
      logRetainBytes: config.logRetainBytes,
      snapshotChunkBytes: config.snapshotChunkBytes,
      pendingRequestsMax: config.pendingRequestsMax,
      noLeaderWaitMs: config.noLeaderWaitMs,
      readIndexRetryMs: readIndexRetryMs(config),
      scriptSliceMs: config.scriptSliceMs,
      initialAppliedTerm: recovered.snapshot?.term ?? 0,
      logger: log,
      onFatal: (error) => exitOnFatal(log, error),
      leaderSyncStallMs: config.leaderSyncStallMs,
      scriptEffects: { waitMs: scriptEffectsWaitMs(config), holdEntriesMax: config.scriptEffectsHoldEntriesMax, holdBytesMax: config.scriptEffectsHoldBytesMax },
      // A snapshot's configuration names the members but not their addresses: the leader
      // sends its address book with it (a node that catches up past a member's AddLearner
      // entry would otherwise have no way to reach that member, as follower or voter).
      snapshotContext: () => encodeMembership(raft.status().confState, members),
      onConfChange: (change, entry) => {
        noteMemberAddress(members, change, (reason) => log.warn({ reason }, 'conf-change entry carries unusable addresses'));
        // Reported when appended and again when applied: the dashboard shows the applied one.
        if (entry.index <= node.appliedIndex) history?.membershipChanged(change, entry.index);
        if (change.type === ConfChangeType.RemoveNode) {
          // The address stays known to the transport: a leader that removed itself must still
          // hear the acknowledgements that commit its removal. The core addresses nothing
          // else to a removed node.
          incarnations.forget(change.nodeId);
          return;
        }
        const member = members.get(change.nodeId);
        if (change.nodeId !== identity.nodeId && member !== undefined) transport.setPeer(change.nodeId, member.peer);
      },
      onSoftState: (state) => {
        log.info({ role: state.role, leader: state.leader }, 'raft state changed');
        writes?.leaderChanged();
        history?.leaderChanged(state, raft.status().term);
      },
      onSnapshot: (event) => history?.snapshot(event),
    });
    // A batch's commands' times and a script's calls, only where the proposal is answered.
    applyTimer.commandsWanted = () => node.isLeader;
    kv.countScriptCalls(applyTimer.commands.clockMs, applyTimer.commandsWanted);
    writes = new WritePath({
      origin: `${identity.nodeId}#${randomBytes(4).toString('hex')}`,
      node,
      requestTimeoutMs: config.requestTimeoutMs,
      noLeaderWaitMs: config.noLeaderWaitMs,
      retryDelayMs: config.tickMs,
      forward: (to, payload, timeoutMs) => transport.request(to, payload, timeoutMs),
      encodeReply: encodeForwardedReply,
      decodeReply: decodeForwardedReply,
      now: () => Date.now(),
      setTimer: processTimer,
      lastApplyUsec: (position) => (position === 0 && applyTimer.commands.usec.length === 0 ? applyTimer.lastUsec : applyTimer.commands.usec[position] ?? 0),
      lastApplyCalls: (position) => (position === 0 && applyTimer.commands.usec.length === 0 ? applyTimer.lastCalls : applyTimer.commands.calls[position] ?? null),
      batchCommandsMax: config.writeBatchCommandsMax,
      batchBytesMax: config.writeBatchBytesMax,
    });
    const writePath = writes;

    let respServer: RespServer | null = null;
    history = new DashboardHistory({
      nodeId: identity.nodeId,
      now: () => Date.now(),
      status: () => node.status(),
      stats: () => node.stats(),
      appliedIndex: () => node.appliedIndex,
      keys: () => kv.stats().keys,
      memoryBytes: () => kv.memoryUsage(),
      clients: () => respServer?.stats().connectedClients ?? 0,
      peers: () => new Map([...transport.stats()].map(([id, peer]) => [id as string, peer.connected])),
    }, { sampleMs: config.adminSampleMs, samplesMax: config.adminSamplesMax, eventsMax: config.adminEventsMax });
    const nodeHistory = history;

    transport.onMessage = (message) => node.receive(message);
    const membership = new Membership({
      identity,
      node,
      members,
      requestTimeoutMs: config.requestTimeoutMs,
      learnerPromoteLagEntries: config.learnerPromoteLagEntries,
      promoteCheckMs: config.tickMs * config.heartbeatTicks * 5,
      forward: (to, payload, timeoutMs) => transport.request(to, payload, timeoutMs),
      encodeReply: encodeForwardedReply,
      decodeReply: decodeForwardedReply,
      log: (fields, msg) => log.info(fields, msg),
    });
    transport.onRequest = (from, payload) => (payload[0] === FORWARD_WRITE || payload[0] === FORWARD_WRITE_WITHOUT_FLOOR ? writePath.handleForwarded(payload)
      : payload[0] === DASHBOARD_REPORT ? dashboard.handlePeerRequest(payload) : membership.handleForwarded(payload));
    transport.onSnapshot = (from, header, stream) => {
      let message: ReturnType<typeof decodeSnapshotHeader>;
      try {
        message = decodeSnapshotHeader(header);
      } catch (error) {
        // A header that fails its schema ends that stream only: the sender retries or is broken.
        if (!(error instanceof SchemaError)) throw error;
        stream.cancel(error.message);
        log.warn({ from, err: error.message }, 'snapshot stream refused');
        return;
      }
      learnAddresses(snapshotHeaderContext(header));
      // The leader hears "complete" only once the snapshot is durable and stepped into the
      // core: an Append it sends next then finds the follower's log already at the snapshot.
      stream.deferCompletion();
      node.receiveSnapshot(message, { read: () => stream.read() }).then((refused) => {
        if (refused === null) return stream.complete();
        stream.cancel(refused);
        log.info({ from, reason: refused }, 'snapshot stream refused');
      }, (error: unknown) => {
        stream.cancel(String(error));
        log.warn({ from, err: String(error) }, 'snapshot receive failed');
      });
    };

    /** A node that joined with no state refuses data commands until it has caught up (acl-gate's CATCHING_UP). */
    const catchUp = { pending: config.join !== null && recovered.snapshot === null && recovered.entries.length === 0 };
    const adminContext: AdminContext = {
      config,
      identity,
      kv,
      node,
      resp: () => {
        if (respServer === null) throw new Error('client server not started');
        return respServer;
      },
      members: () => members,
      startedAt: Date.now(),
      now: () => Date.now(),
      barrier: (done) => node.read('linearizable', (error) => done(error === null ? null : nodeErrorReply(error))),
      commandsProcessed: () => dispatcher.commandsProcessed,
      registry: () => dispatcher.registry,
      blockedClients: () => dispatcher.blockedClients,
      loading: () => catchUp.pending,
      trackingStats: () => dispatcher.trackingStats(),
      transportStats: () => transport.stats(),
      faults: config.debugFaultInjection || diskFaults !== null ? (argv) => applyDebug(argv, config.debugFaultInjection ? transport : null, diskFaults) : null,
      log: (level, fields, message) => log[level](fields, message),
    };
    const dashboard = new DashboardView({
      admin: adminContext,
      history: nodeHistory,
      unhealthy: () => unhealthyReason(adminContext),
      request: (to, payload, timeoutMs) => transport.request(nodeId(to), payload, timeoutMs),
      peerTimeoutMs: Math.min(config.requestTimeoutMs, Math.max(config.adminSampleMs, DASHBOARD_PEER_TIMEOUT_MS_MIN)),
      lagEntriesMax: config.learnerPromoteLagEntries,
    });
    kv.events.sink = (channel, payload) => pubsub.deliver({ sharded: false, channel, payload });
    const admin = new Admin(adminContext);
    applyTimer.observe = (usec) => admin.times.applied(usec);
    let server: RaftisServer | null = null;
    const shutdown = new ShutdownSequence({
      isLeader: () => node.isLeader,
      handOverLeadership: () => node.handOverLeadership(),
      snapshot: () => node.snapshotNow(),
      handOverTimeoutMs: () => admin.setting('shutdown-timeout') * 1000,
      pollMs: config.tickMs,
      stop: () => (server === null ? Promise.reject(new Error('shutdown before the node started')) : server.stopNow()),
      log: (level, fields, message) => log[level](fields, message),
    });
    const debug = debugCommand({
      permission: config.enableDebugCommand,
      thresholds: () => admin.thresholds(),
      read: (argv, clusterTime) => kv.read(argv, clusterTime),
      digest: () => kv.digest().hash,
      setActiveExpire: (on) => {
        if (server !== null) server.activeExpiry = on;
      },
      snapshot: () => node.snapshotNow(),
      log: (message) => log.warn({ debug: message }, 'DEBUG LOG'),
    });
    const syncs = new Syncs({ barrier: adminContext.barrier, beginSnapshot: () => kv.beginSnapshot(), chunkBytes: config.snapshotChunkBytes, now: () => Date.now() });
    const serverCommands = [...admin.commands(), shutdownCommand(shutdown), debug, ...syncs.commands(), ...membership.commands(), ...pubsub.commands()];
    const dispatcher: Dispatcher = new Dispatcher({
      config, kv, node, writes: writePath, serverCommands, subscriptions: pubsub,
      answered: (conn, command, argv, executionUsec, responseUsec) => {
        const slow = admin.times.record(conn, command, argv, executionUsec);
        if (responseUsec !== null) nodeHistory.commandAnswered(command, responseUsec, slow ? executionUsec : null);
      },
      catchingUp: () => catchUp.pending,
      clientById: (id) => respServer?.client(id),
      trackingMaxKeys: () => admin.setting('tracking-table-max-keys'),
      busyReplyThresholdMs: () => admin.setting('busy-reply-threshold'),
      scriptKill: (which, argv) => (node.isLeader ? killOnLeader(node, which) : new Promise((resolve) => membership.forwardToLeader(argv, resolve))),
    });
    if (catchUp.pending) awaitCatchUp(node, config.tickMs * config.heartbeatTicks, () => { catchUp.pending = false; log.info({ applied: node.appliedIndex }, 'caught up with the cluster: serving clients'); });
    const aclSeed = await seedLines(config, kv); // checked against every command, now that they are all registered
    respServer = new RespServer(
      { protoMaxBulkLen: config.protoMaxBulkLen, queryBufferMaxBytes: config.clientQueryBufferMaxBytes, maxClients: config.maxClients, clientOutputBufferMaxBytes: config.clientOutputBufferMaxBytes },
      { onCommand: (conn, argv, slot) => dispatcher.onCommand(conn, argv, slot), onDisconnect: (conn) => dispatcher.onDisconnect(conn), onPeerEnd: (conn) => dispatcher.onDisconnect(conn) },
    );

    const adminHttp = config.adminListen === null ? null : new AdminHttpServer(adminContext, { tls: config.adminTls ? security.tls : null, token: security.adminToken, dashboard });
    await startListening({ config, security, log, storage, transport, node, resp: respServer, adminHttp });
    server = new RaftisServer({ config, identity, logger: log, storage, kv, node, transport, resp: respServer, adminHttp, writes: writePath, members, membership, dispatcher, history: nodeHistory, shutdown });
    server.startActiveExpiry();
    server.startAccessClock();
    server.startIdleCollection();
    nodeHistory.start();
    if (aclSeed !== null) server.stopAclSeeding = startAclSeeding(aclSeed, { kv, node, writes: writePath }, config.tickMs * config.heartbeatTicks);
    membership.startAutoPromotion();
    const client = clientAddress(config);
    membership.announceAddresses({ client, peer: config.peerListen }, () => writeIdentity(config.dataDir, withSelfAddresses(identity, client, config.peerListen)));
    const joiner = server;
    requestMembership(joiner, config, log, joinTls).catch((error: unknown) => joiner.abandonJoin(error instanceof Error ? error : new Error(String(error))));
    log.info({
      listen: config.listen.port === 0 ? 'off' : formatHostPort(config.listen), tlsPort: config.tlsPort, peerListen: formatHostPort(config.peerListen),
      peerAuth: [config.tlsCluster ? 'tls' : null, security.clusterSecret !== null ? 'cluster-secret' : null].filter((a) => a !== null).join('+') || 'none',
      dataDir: config.dataDir, clusterId: identity.clusterId,
    }, 'raftis node started');
    return server;
  }

  /** The leader deletes expired keys by proposing them, so every replica deletes the same keys at the same index. */
  private startActiveExpiry(): void {
    let round = 0;
    this.expireTimer = setInterval(() => {
      if (!this.node.isLeader || this.expireInFlight || !this.activeExpiry) return;
      const keys = this.kv.expiredKeys(this.node.clusterTime(), this.config.activeExpireKeysMax);
      if (keys.length === 0) return;
      this.expireInFlight = true;
      this.writes.proposeInternal([Buffer.from('RAFTIS.EXPIRE'), ...keys], `${this.identity.nodeId}/expire/${++round}`, () => {
        this.expireInFlight = false;
      });
    }, this.config.activeExpireIntervalMs);
    this.expireTimer.unref();
  }

  /**
   * Keys' access times (OBJECT IDLETIME) are stamped with Redis's LRU clock, kept by the node
   * at Redis's resolution (it updates it in its 100 ms cron): apply reads no clock.
   */
  private startAccessClock(): void {
    const tick = (): void => this.kv.setAccessClock(Math.floor(Date.now() / 1000) & accessClockMax);
    tick();
    this.accessClockTimer = setInterval(tick, ACCESS_CLOCK_INTERVAL_MS);
    this.accessClockTimer.unref();
  }

  /** A full collection once the node idles after a burst of writes (idle-collection.ts). */
  private startIdleCollection(): void {
    const mib = (bytes: number): number => Math.round(bytes / 1048576);
    const { idleGcMs: idleMs, idleGcAppliedBytes: appliedBytesMin, idleGcHeapMaxBytes: heapBytesMax, idleMallocTrim: mallocTrim } = this.config;
    const { idleGcShrinkMs: shrinkMs, idleGcShrinkSlackBytes: shrinkSlackBytes, idleGcShrinkRounds: shrinkRoundsMax } = this.config;
    this.idleCollection = new IdleCollection({ idleMs, appliedBytesMin, heapBytesMax, mallocTrim, shrinkMs, shrinkSlackBytes, shrinkRoundsMax }, {
      // A snapshot taken or received leaves garbage as a load does (its chunks, the Buffers
      // of a transfer), and on an idle node (RAFT.SNAPSHOT, a new member catching up) no
      // write would follow to collect it: it counts as work done.
      appliedBytes: () => this.node.appliedLogBytes + this.node.snapshotBytesTotal,
      heapBytes: () => process.memoryUsage().heapUsed,
      heapSpaces: v8HeapSpaces,
      collected: ({ kind, pauseMs, heapBytes, spaces, rssBytes }) => this.logger.info({
        kind, pauseMs: Math.round(pauseMs), heapMiB: heapBytes.map(mib), rssMiB: rssBytes.map(mib),
        youngCommittedMiB: spaces.map(({ young }) => mib(young.committedBytes)),
        oldCommittedMiB: spaces.map(({ old }) => mib(old.committedBytes)), oldUsedMiB: spaces.map(({ old }) => mib(old.usedBytes)),
      }, 'idle: collected the garbage of the last writes'),
      trimmed: ({ pauseMs, rssBytes }) => this.logger.info({
        pauseMs: Math.round(pauseMs * 10) / 10, rssMiB: rssBytes.map(mib),
      }, 'idle: malloc_trim gave free heap pages back'),
      trimUnavailable: (reason) => this.logger.info({ reason }, 'idle: no malloc_trim here, skipped'),
    });
    this.idleCollection.start();
  }

  /**
   * Graceful stop: hand over leadership (within shutdown-timeout), then stop accepting
   * clients, fail pending requests clearly, sync, close. SHUTDOWN ABORT does not cancel it.
   */
  async stop(): Promise<void> {
    await this.shutdown.request({ save: false, now: false, force: true, abortable: false });
  }

  /** A signal's graceful stop (SIGTERM, SIGINT): as stop(), but SHUTDOWN ABORT cancels it, as in Redis. */
  stopOnSignal(): Promise<ShutdownOutcome> {
    return this.shutdown.request({ save: false, now: false, force: false, abortable: true });
  }

  /** The last step of every stop (shutdown.ts): once begun, nothing cancels it. */
  stopNow(): Promise<void> {
    if (this.stopping === null) {
      this.stopping = this.stopClosing();
      this.markStopped(this.stopping);
    }
    return this.stopping;
  }

  private async stopClosing(): Promise<void> {
    this.logger.info({}, 'stopping');
    if (this.expireTimer !== null) clearInterval(this.expireTimer);
    if (this.accessClockTimer !== null) clearInterval(this.accessClockTimer);
    this.idleCollection?.stop();
    this.history.stop();
    this.stopAclSeeding();
    this.membership.stop();
    this.resp.stopAccepting();
    this.writes.stop();
    this.dispatcher.stop();
    this.node.stop();
    await this.resp.close();
    await this.adminHttp?.close();
    await this.transport.stop();
    await this.storage.sync();
    await this.storage.close();
    this.logger.info({}, 'stopped');
  }

  address(): HostPort | null {
    return this.resp.address();
  }

  /**
   * Reads the TLS files again (SIGHUP): new client, peer and admin connections use the new
   * certificates and CA; open ones keep theirs. On an error the ones in use stay. Returns the
   * error, or null.
   */
  reloadTls(): string | null {
    let context;
    try {
      context = loadTls(this.config);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.error({ err: message }, 'TLS reload failed; the certificates in use stay');
      return message;
    }
    if (context === null) {
      this.logger.info({}, 'TLS reload asked for, but no TLS setting is on');
      return 'no TLS setting is on';
    }
    if (this.config.tlsPort !== 0) this.resp.setTlsContext(context);
    if (this.config.tlsCluster) this.transport.setTls({ context });
    if (this.adminHttp?.usesTls === true) this.adminHttp.setTlsContext(context);
    this.logger.info({ cert: this.config.tlsCertFile, ca: this.config.tlsCaCertFile }, 'TLS certificates reloaded');
    return null;
  }
}

/** How often the access clock is read (Redis's cron at its default hz 10). */
const ACCESS_CLOCK_INTERVAL_MS = 100;

/** The dashboard waits at least this long for a peer's report (or the sample interval, if longer) before showing it unreachable. */
const DASHBOARD_PEER_TIMEOUT_MS_MIN = 1000;

/**
 * Opens the peer port, starts the Raft node, then the client ports and the admin port. A port
 * that cannot be bound (taken by another process) fails the start, and what was started
 * before it is stopped again: left running, the node would vote and lead in the cluster while
 * no client could reach it, and its process would never exit.
 */
async function startListening(parts: {
  readonly config: ServerConfig;
  readonly security: ReturnType<typeof loadSecurity>;
  readonly log: Logger;
  readonly storage: RaftStorage;
  readonly transport: PeerTransport;
  readonly node: RaftNode<Reply>;
  readonly resp: RespServer;
  readonly adminHttp: AdminHttpServer | null;
}): Promise<void> {
  const { config, security, log, transport, node, resp, adminHttp } = parts;
  try {
    await transport.start();
    node.start();
    // Port 0 turns plain TCP off, as in Redis.
    if (config.listen.port !== 0) await resp.listen(config.listen.host, config.listen.port);
    if (config.tlsPort !== 0 && security.tls !== null) await resp.listenTls(config.listen.host, config.tlsPort, { context: security.tls, authClients: config.tlsAuthClients });
    if (adminHttp === null || config.adminListen === null) return;
    const bound = await adminHttp.listen(config.adminListen);
    log.info({ adminListen: `${bound.address}:${bound.port}`, tls: config.adminTls, token: security.adminToken !== null }, 'admin HTTP listening: /metrics, /status, /health, /');
    if (security.adminToken === null && !isLoopback(config.adminListen.host)) log.warn({ adminListen: formatHostPort(config.adminListen) }, 'admin HTTP listens beyond loopback without --admin-token: whoever reaches it reads /status and /metrics');
  } catch (error) {
    node.stop();
    await resp.close();
    await adminHttp?.close();
    await transport.stop();
    await parts.storage.close();
    throw error;
  }
}

/**
 * What a joining node authenticates as when it asks a member: --join-user/--join-password
 * (a cluster whose users came from --aclfile: the joiner holds only their hashes), else the
 * default user with --requirepass (the same on every node), else nothing.
 */
function joinAuth(config: ServerConfig): readonly [string, string] | null {
  if (config.joinPassword !== null) return [config.joinUser ?? 'default', config.joinPassword];
  return config.requirepass === null ? null : ['default', config.requirepass];
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * The node's identity, and for a node joining now the current members' addresses (from
 * RAFT.CLUSTERINFO): it must be able to answer a leader that joined after the founding
 * before its log or a snapshot says who that leader is.
 */
async function loadOrCreateIdentity(config: ServerConfig, logger: Logger, joinTls: ConnectionOptions | null): Promise<{ identity: Identity; knownMembers: Member[] }> {
  const existing = readIdentity(config.dataDir);
  if (existing !== null) {
    if (config.id !== '' && config.id !== existing.nodeId) {
      throw new ConfigError(`--id ${config.id} does not match the data directory ${config.dataDir}, which belongs to node ${existing.nodeId}`);
    }
    return { identity: existing, knownMembers: [] };
  }
  if (config.id === '') throw new ConfigError(`--id is required: ${config.dataDir} holds no node yet`);
  if (config.join !== null) {
    const joined = await fetchJoinIdentity(config, logger, joinTls);
    writeIdentity(config.dataDir, joined.identity);
    return joined;
  }
  const initial = config.initialCluster.size > 0 ? config.initialCluster : new Map<string, HostPort>([[config.id, config.peerListen]]);
  const identity = newIdentity(config.id, config.clusterToken, initial, clientAddress(config), config.peerListen);
  writeIdentity(config.dataDir, identity);
  return { identity, knownMembers: [] };
}

/**
 * Asks a member for the cluster id, the bootstrap membership (RAFT.CLUSTERINFO; a joining
 * node must start from the same initial configuration as everyone else to replay the log)
 * and the current members' addresses.
 */
const JOIN_INFO_RETRY_MS = 200;
/** While a joiner waits, it says why at most this often. */
const JOIN_WAIT_LOG_MS = 5000;

async function fetchJoinIdentity(config: ServerConfig, logger: Logger, joinTls: ConnectionOptions | null): Promise<{ identity: Identity; knownMembers: Member[] }> {
  const where = formatHostPort(config.join ?? { host: '', port: 0 });
  let reply: RespValue;
  // The member asked forwards to the leader; while the cluster has none (an election, a
  // partition) it answers TRYAGAIN, and a member down or cut off for a moment does not
  // answer: both are asked again for --join-wait-ms.
  const started = Date.now();
  let loggedAt = -Infinity;
  for (let attempt = 0; ; attempt++) {
    let unreachable: Error | null = null;
    try {
      reply = await sendCommand(config.join?.host ?? '', config.join?.port ?? 0, ['RAFT.CLUSTERINFO'], config.requestTimeoutMs, joinTls, joinAuth(config));
    } catch (error) {
      unreachable = error as Error;
      reply = { kind: 'error', message: `cannot reach the cluster (${unreachable.message})` };
    }
    const noLeader = unreachable === null && reply.kind === 'error' && /^(TRYAGAIN|TIMEOUT)/.test(reply.message);
    const waitedMs = Date.now() - started;
    if ((unreachable === null && !noLeader) || waitedMs >= config.joinWaitMs) {
      if (unreachable !== null) throw new ConfigError(`--join ${where}: cannot reach the cluster (${unreachable.message})${joinTls === null ? '' : '; with --tls-cluster, --join names a member\'s --tls-port'}`);
      if (noLeader) throw new ClusterUnavailableError(`--join ${where}: the cluster had no leader for ${waitedMs} ms (--join-wait-ms): RAFT.CLUSTERINFO: ${reply.kind === 'error' ? reply.message : ''}`);
      break;
    }
    if (Date.now() - loggedAt >= JOIN_WAIT_LOG_MS) {
      loggedAt = Date.now();
      const why = noLeader ? 'the cluster has no leader right now' : 'cannot reach the member';
      logger.warn({ join: where, attempt, waitedMs, err: reply.kind === 'error' ? reply.message : '' }, `${why}; asking the cluster for its membership again (up to --join-wait-ms ${config.joinWaitMs})`);
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, JOIN_INFO_RETRY_MS));
  }
  if (reply.kind === 'error') throw new ConfigError(`--join ${where}: RAFT.CLUSTERINFO failed: ${reply.message}`);
  if (reply.kind !== 'array' || reply.value === null || reply.value.length < 2) throw new ConfigError(`--join ${where}: unexpected RAFT.CLUSTERINFO reply`);
  const [clusterId, members, current] = reply.value;
  if (clusterId?.kind !== 'bulk' || clusterId.value === null || members?.kind !== 'array' || members.value === null) throw new ConfigError(`--join ${where}: malformed RAFT.CLUSTERINFO reply`);
  const parseMembers = (list: readonly RespValue[]): Member[] => list.map((m) => {
    const [id, peer, client] = (m.kind === 'bulk' && m.value !== null ? Buffer.from(m.value).toString() : '').split(' ');
    return { id: id ?? '', peer: parseHostPort(peer ?? '', 'RAFT.CLUSTERINFO'), client: parseHostPort(client ?? '', 'RAFT.CLUSTERINFO') };
  });
  const initialMembers = parseMembers(members.value);
  const knownMembers = current?.kind === 'array' && current.value !== null ? parseMembers(current.value).filter((m) => m.id !== config.id) : [];
  if (initialMembers.some((m) => m.id === config.id)) throw new ConfigError(`--join: node id ${config.id} is one of the cluster's founding members; choose a new id`);
  logger.info({ join: where, clusterId: Buffer.from(clusterId.value).toString() }, 'joining cluster');
  const identity: Identity = {
    version: 1,
    clusterId: Buffer.from(clusterId.value).toString(),
    nodeId: config.id,
    incarnation: randomBytes(8).toString('hex'),
    self: { client: clientAddress(config), peer: config.peerListen },
    initialMembers,
  };
  return { identity, knownMembers };
}

/**
 * Calls `done` once a linearizable read barrier passes on this node: it has then applied
 * everything the cluster had committed when the barrier was asked (users included). Asked
 * again until then: a joiner is not a member, and so hears no leader, at first.
 */
function awaitCatchUp(node: RaftNode<Reply>, retryMs: number, done: () => void): void {
  node.read('linearizable', (error) => {
    if (error === null) done();
    else setTimeout(() => awaitCatchUp(node, retryMs, done), retryMs).unref();
  });
}

/** Answers to RAFT.NODE ADD that mean "not now" (an election, another change in progress, a member loading). */
const JOIN_REFUSAL_TRANSIENT = /^(TRYAGAIN|TIMEOUT|LOADING|BUSY|SHUTDOWN)\b/;

/**
 * A joining node asks to be added (as a learner to be promoted) until it is a member. It asks
 * again while the answer means "not now" or nothing answers, for --join-wait-ms; any other
 * refusal (NOPERM, WRONGPASS, ERR …) is final. Rejects with why it was not added.
 */
async function requestMembership(server: RaftisServer, config: ServerConfig, log: Logger, joinTls: ConnectionOptions | null): Promise<void> {
  const join = config.join;
  if (join === null) return;
  const where = formatHostPort(join);
  const self = server.identity.nodeId;
  const isMember = (): boolean => {
    const conf = server.node.status().confState;
    return conf.voters.includes(self as NodeId) || conf.learners.includes(self as NodeId);
  };
  const started = Date.now();
  const waitMs = Math.max(config.joinWaitMs, config.requestTimeoutMs);
  while (!isMember() && !server.isStopping()) {
    let why: string;
    try {
      const reply = await sendCommand(join.host, join.port, ['RAFT.NODE', 'ADD', self, formatHostPort(config.peerListen), formatHostPort(clientAddress(config)), 'INCARNATION', server.identity.incarnation], config.requestTimeoutMs, joinTls, joinAuth(config));
      if (reply.kind !== 'error' || /already a/.test(reply.message)) {
        log.info({ join: where }, 'added to the cluster as a learner; it becomes a voter once caught up');
        return;
      }
      if (!JOIN_REFUSAL_TRANSIENT.test(reply.message)) throw new ConfigError(`--join ${where}: the cluster refused to add node ${self}: ${reply.message}`);
      why = reply.message;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      why = `cannot reach the cluster (${error instanceof Error ? error.message : String(error)})`;
    }
    const waitedMs = Date.now() - started;
    if (waitedMs >= waitMs) throw new ClusterUnavailableError(`--join ${where}: node ${self} was not added to the cluster within ${waitedMs} ms (--join-wait-ms): ${why}`);
    log.warn({ join: where, waitedMs, err: why }, 'join request not taken yet; asking again');
    await new Promise((resolve) => setTimeout(resolve, config.tickMs * config.electionTicks));
  }
}

/**
 * A restart with only --data-dir listens where the node was created to listen. A node that
 * had plain TCP off recorded its TLS address: it keeps plain TCP off.
 */
function withStoredAddresses(config: ServerConfig, identity: Identity): ServerConfig {
  const self = identity.self;
  const storedListen = config.tlsPort !== 0 && self.client.port === config.tlsPort ? { host: self.client.host, port: 0 } : self.client;
  return {
    ...config,
    listen: config.configured.has('listen') ? config.listen : storedListen,
    peerListen: config.configured.has('peerListen') ? config.peerListen : self.peer,
  };
}

const memberContextSchema = object({ peer: optional(hostPortSchema), client: optional(hostPortSchema), promote: optional(boolean), incarnation: optional(string(255)) });

/**
 * Records the addresses a conf change carries. A context that fails its schema (the change
 * itself is committed and applies regardless) leaves the addresses as they were and is
 * reported through `refused`.
 */
function noteMemberAddress(members: Map<string, Member>, change: ConfChange, refused: (reason: string) => void): void {
  if (change.type === ConfChangeType.RemoveNode) {
    members.delete(change.nodeId);
    return;
  }
  if (change.context.length === 0) return;
  let parsed: ReturnType<typeof memberContextSchema>;
  try {
    parsed = parseJson(change.context, memberContextSchema, `membership change of ${change.nodeId}`);
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    return refused(error.message);
  }
  if (parsed.peer === undefined) return;
  const peer = parsed.peer;
  const client = parsed.client ?? peer;
  // An address update from before incarnations were replicated keeps the one known.
  const incarnation = parsed.incarnation ?? (change.type === ConfChangeType.UpdateNode ? members.get(change.nodeId)?.incarnation : undefined);
  members.set(change.nodeId, { id: change.nodeId, peer, client, promote: parsed.promote === true, ...(incarnation === undefined ? {} : { incarnation }) });
}

/** How long this node's applies take (kvAdapter). */
interface ApplyTimer {
  /**
   * The last entry's apply, µs, its deliveries to this node's subscribers included: a write's
   * execution (the runtime answers the entry's proposal right after apply, WritePath reads it
   * there).
   */
  lastUsec: number;
  /** The last entry's script calls (an entry of one command: KvStateMachine.lastAppliedCalls). */
  lastCalls: readonly ScriptCall[] | null;
  /** For a batch, each of its commands' times and script calls, while commandsWanted says so. */
  readonly commands: CommandTiming;
  /** Whether this node answers the proposals of what it applies (the leader): only then are a batch's commands timed. */
  commandsWanted: () => boolean;
  /** Told every apply's time (the latency monitor's entry-apply event). */
  observe: ((usec: number) => void) | null;
}

/** The state machine as the Raft runtime drives it, each apply timed (ApplyTimer). */
function kvAdapter(kv: KvStateMachine, timer: ApplyTimer, applied: (reply: Reply) => void): StateMachine<Reply> {
  const commandTiming = (): CommandTiming | undefined => (timer.commandsWanted() ? timer.commands : undefined);
  /** Times one apply and hands its replies (a batch's each) to `applied`. */
  const timed = (entry: { readonly data: Uint8Array }, apply: () => Reply): Reply => {
    const started = performance.now();
    return finished(entry, apply(), started);
  };
  /** A pausable apply, timed from its first slice to its end (the turns between included). */
  const timedSlices = (entry: { readonly data: Uint8Array }, outcome: Reply | PausedEntry<Reply>, started: number): Reply | PausedEntry<Reply> => {
    if (!isPausedEntry(outcome)) return finished(entry, outcome, started);
    return { run: outcome.run, resume: () => timedSlices(entry, outcome.resume(), started) };
  };
  const finished = (entry: { readonly data: Uint8Array }, reply: Reply, started: number): Reply => {
    if (isCommandBatch(entry.data) && reply.kind === 'array' && reply.value !== null) {
      for (const each of reply.value) applied(each);
    } else {
      timer.commands.usec.length = 0;
      timer.commands.calls.length = 0;
      applied(reply);
    }
    timer.lastCalls = kv.lastAppliedCalls;
    timer.lastUsec = (performance.now() - started) * 1000;
    timer.observe?.(timer.lastUsec);
    return reply;
  };
  return {
    apply: (entry) => timed(entry, () => kv.apply(entry.index, entry.data, commandTiming())),
    applyPausable: (entry, pauseWhen) => {
      const started = performance.now();
      return timedSlices(entry, kv.applyPausable(entry.index, entry.data, pauseWhen, commandTiming()), started);
    },
    killDecisions: {
      encode: (target, decision, time) => encodeCommand({ origin: '', client: 0, seq: 0, firstUnanswered: 0, time, argv: scriptDecisionArgv({ target, decision }) }),
      file: (entry) => kv.fileDecision(entry.index, entry.data),
    },
    applyNoop: (entry) => kv.applyNoop(entry.index),
    get appliedIndex() {
      return kv.appliedIndex;
    },
    beginSnapshot: () => kv.beginSnapshot(),
    restore: (source, index) => restoreKv(kv, source, index),
    // A recorded or replayed entry's commands are not timed one by one (the slow log gets the entry's time).
    effects: kvDeferredEffects(kv, (entry: Entry, apply: () => Reply) => {
      timer.commands.usec.length = 0;
      return timed(entry, apply);
    }),
  };
}

/** Bytes read from a snapshot file per restore read. */
const restoreReadBytes = 256 * 1024;
/**
 * Restore work per event-loop turn (units of SnapshotSink.step: ~8 per record decoded, 1-6
 * per key while indexes are built): a few milliseconds here, so a follower installing a
 * million-key snapshot keeps serving its peers and clients in between.
 */
const restoreWorkPerTurn = 20_000;

/** Restores the state machine in bounded steps, yielding the event loop between them. */
async function restoreKv(kv: KvStateMachine, source: SnapshotByteSource, index: number): Promise<string | null> {
  const sink = kv.beginRestore();
  const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  for (;;) {
    const chunk = await source.read(restoreReadBytes);
    if (chunk === null) break;
    if (sink.write(chunk) !== null) break; // finish() reports it
    while (sink.step(restoreWorkPerTurn)) await yieldTurn();
    await yieldTurn(); // a source that answers from memory would otherwise never let I/O in
  }
  while (sink.step(restoreWorkPerTurn)) await yieldTurn();
  const result = sink.finish();
  if (result instanceof Error) return result.message;
  if (kv.appliedIndex !== index) return `snapshot says index ${index} but the restored state is at ${kv.appliedIndex}`;
  return null;
}

/** Exit status of a node that stopped because it could not make its log durable (EX_IOERR). */
export const EXIT_STORAGE_FAILED = 74;

/**
 * A node whose WAL write or sync failed must not go on (it would acknowledge what it could
 * not make durable: the fsync-gate lesson): it says which file failed and exits; on restart,
 * recovery decides what reached the disk.
 */
function exitOnFatal(log: Logger, error: Error): never {
  log.fatal({ err: error.message }, 'stopping: the node cannot go on safely; restart it to recover from its data directory');
  process.stderr.write(`raftis server: fatal: ${error.message}\n`);
  process.exit(EXIT_STORAGE_FAILED);
}

/** RAFT.DEBUG FAULT … (the transport's faults) or RAFT.DEBUG DISK … (the data directory's disk), each enabled by its own debug setting. */
function applyDebug(argv: readonly Buffer[], transport: PeerTransport | null, disk: FaultDisk | null): Reply {
  const area = argv[1]?.toString().toLowerCase();
  if (area === 'disk') return disk === null ? errorReply('ERR RAFT.DEBUG DISK is disabled; start the node with --debug-disk-faults') : applyDiskFault(disk, argv);
  if (area === 'fault' && transport === null) return errorReply('ERR RAFT.DEBUG FAULT is disabled; start the node with --debug-fault-injection');
  if (transport === null) return errorReply(DISK_USAGE);
  return applyFault(transport, argv);
}

const DISK_USAGE = `ERR usage: RAFT.DEBUG DISK FAIL-SYNC EIO | FULL | SLOW ms (0..${FAULT_SYNC_DELAY_MS_MAX}) | HEAL`;

function applyDiskFault(disk: FaultDisk, argv: readonly Buffer[]): Reply {
  // RAFT.DEBUG DISK FAIL-SYNC EIO | DISK FULL | DISK SLOW 3000 | DISK HEAL
  const words = argv.slice(2).map((a) => a.toString().toLowerCase());
  const action = words[0];
  if (action === 'fail-sync' && words[1] === 'eio' && words.length === 2) disk.set({ failSyncs: 'EIO' });
  else if (action === 'full' && words.length === 1) disk.set({ noSpace: true });
  else if (action === 'slow' && words.length === 2 && /^\d+$/.test(words[1] ?? '')) {
    try {
      disk.set({ syncDelayMs: Number(words[1]) });
    } catch (error) {
      return errorReply(`ERR ${(error as Error).message}`);
    }
  } else if (action === 'heal' && words.length === 1) disk.heal();
  else return errorReply(DISK_USAGE);
  return { kind: 'simple', value: 'OK' };
}

function applyFault(transport: PeerTransport, argv: readonly Buffer[]): Reply {
  // RAFT.DEBUG FAULT PARTITION n2 n3 | FAULT DROP n2 0.5 | FAULT DELAY n2 50 | FAULT HEAL
  const words = argv.slice(1).map((a) => a.toString());
  if (words[0]?.toLowerCase() !== 'fault') return errorReply('ERR usage: RAFT.DEBUG FAULT PARTITION id… | DROP id probability | DELAY id ms | HEAL');
  const action = words[1]?.toLowerCase();
  try {
    if (action === 'partition') transport.faults.partition(words.slice(2).map(nodeId));
    else if (action === 'drop' && words.length === 4) transport.faults.drop(nodeId(words[2] ?? ''), Number(words[3]));
    else if (action === 'delay' && words.length === 4) transport.faults.delay(nodeId(words[2] ?? ''), Number(words[3]));
    else if (action === 'heal') transport.faults.heal();
    else return errorReply('ERR usage: RAFT.DEBUG FAULT PARTITION id… | DROP id probability | DELAY id ms | HEAL');
  } catch (error) {
    return errorReply(`ERR ${(error as Error).message}`);
  }
  return { kind: 'simple', value: 'OK' };
}

function hashSeed(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

export type { NodeId };
