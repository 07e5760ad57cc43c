// TCP or TLS transport between Raft peers. Each node dials its peers for the frames it sends
// (Raft messages, snapshot streams, requests) and accepts connections on which it
// receives them; acks and responses travel back on the connection they answer. A dialed
// connection starts with a handshake (peer-handshake.ts: cluster id, node ids, protocol
// version, incarnations, and a challenge-response proof of the cluster secret when there is
// one); with TLS both sides also present certificates of the cluster CA naming their member
// ids (peer-tls.ts). Every kind of frame rides the connections so opened. Outbound frames
// wait in a bounded per-peer queue that is flushed with one corked socket write when the
// callback that queued them returns (a microtask: the runtime sends one Ready's messages in
// one callback, so they still share one write, and they leave in this loop iteration rather
// than the next); Raft messages that do not fit are dropped and counted, since Raft
// tolerates loss. Lost connections are redialled lazily with exponential backoff, and so
// is a connection that has stopped delivering without closing (link-stall.ts).
import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { crc32 } from 'node:zlib';
import type { Message, NodeId } from '../raft/types.js';
import { Backoff, validateBackoff } from './backoff.js';
import { TransportError } from './errors.js';
import { LinkStallWatch } from './link-stall.js';
import { FaultInjector, seededRandom } from './fault-injector.js';
import type { TransportFaults } from './fault-injector.js';
import {
  FRAME_HEADER_BYTES,
  FRAME_MAX_BYTES_DEFAULT,
  FrameKind,
  SnapshotAckStatus,
  decodeRequest,
  decodeResponse,
  decodeSnapshotAbort,
  decodeSnapshotAck,
  decodeSnapshotEnd,
  decodeStreamIdAndBytes,
  encodeHandshakeReplyFrame,
  encodeRaftFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  encodeSnapshotAbortFrame,
  encodeSnapshotAckFrame,
  encodeSnapshotBeginFrame,
  encodeSnapshotChunkFrame,
  encodeSnapshotEndFrame,
  validateFrameMaxBytes,
} from './frame.js';
import { AcceptorHandshake, DialerHandshake, validateClusterSecret, type HandshakeSelf, type PeerVerifier } from './peer-handshake.js';
import {
  certificateIdentityRefusal,
  certificateTrustRefusal,
  createPeerTlsServer,
  dialPeerTls,
  isTlsSocket,
  tlsErrorText,
  validatePeerTls,
  type PeerTlsOptions,
} from './peer-tls.js';
import { decodeMessage } from './codec.js';
import { FrameDecoder } from './frame-decoder.js';
import { SNAPSHOT_WINDOW_CHUNKS_MAX, SnapshotInboundStream } from './snapshot-inbound.js';
import type { SnapshotInbound } from './snapshot-inbound.js';

export type { SnapshotInbound } from './snapshot-inbound.js';
export type { TransportFaults } from './fault-injector.js';
export type { PeerTlsOptions } from './peer-tls.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type TransportLog = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface TransportOptions {
  readonly nodeId: NodeId;
  readonly clusterId: string;
  /** Port 0 binds an ephemeral port; address() returns the bound one. */
  readonly listen: PeerAddress;
  readonly peers: ReadonlyMap<NodeId, PeerAddress>;
  /** Per peer: bytes waiting to be written. Raft messages beyond it are dropped and counted. Default 64 MiB. */
  readonly outboundQueueMaxBytes?: number;
  /** Default 50 ms. */
  readonly reconnectBackoffMinMs?: number;
  /** Default 2000 ms. */
  readonly reconnectBackoffMaxMs?: number;
  /** Uniform in [0, 1), for backoff jitter. Default Math.random. */
  readonly random?: () => number;
  /** Connect plus handshake. Default 2000 ms. */
  readonly dialTimeoutMs?: number;
  /**
   * An outbound connection that has taken writes and delivered nothing back (not even the
   * answer to a probe sent halfway) for this long is closed and dialled afresh, through the
   * usual backoff. Default 2000 ms.
   */
  readonly linkStallMs?: number;
  /** Default 1 MiB (less if frameMaxBytes is smaller: a chunk and its stream id fit one frame). */
  readonly snapshotChunkBytes?: number;
  /** Unacknowledged snapshot chunks in flight per stream. Default 4. */
  readonly snapshotWindowChunks?: number;
  /** Largest frame payload sent or accepted. Default 16 MiB. */
  readonly frameMaxBytes?: number;
  /** Enables the fault API (tests, chaos runs; a node exposes it only behind a debug flag). Default false. */
  readonly faultInjection?: boolean;
  /** Seed of the PRNG that decides probabilistic drops. Default 1. */
  readonly faultSeed?: number;
  /** This node's data-directory incarnation, sent in every handshake. Default ''. */
  readonly incarnation?: string;
  /**
   * Checks a peer's incarnation at handshake: null accepts, a string refuses with that reason.
   * Lets the owner refuse a node whose data directory was replaced (it may have forgotten a
   * vote or entries it acknowledged). Default: accept all.
   */
  readonly verifyPeer?: PeerVerifier;
  /**
   * A secret every member holds: both sides of each connection prove it by
   * challenge-response (HMAC-SHA256 over nonces from both sides) before any other frame.
   * A peer without it, or with another, is refused. Default: none (no proof asked or given).
   */
  readonly clusterSecret?: Uint8Array | null;
  /** Mutual TLS between peers (certificates of the cluster CA naming member ids). Default: plain TCP. */
  readonly tls?: PeerTlsOptions | null;
  readonly log?: TransportLog;
}

export interface PeerStats {
  /** An outbound connection to the peer has completed its handshake. */
  readonly connected: boolean;
  /** Bytes queued for the peer: not yet flushed plus in the socket's write buffer. */
  readonly queuedBytes: number;
  /** Raft messages dropped because the outbound queue was full or the peer unknown. */
  readonly droppedMessages: number;
  /** Raft messages dropped by injected faults (both directions). */
  readonly faultDroppedMessages: number;
  readonly sentFrames: number;
  /** Socket writes on the outbound connection; each carries every frame queued during one turn. */
  readonly socketWrites: number;
  readonly receivedFrames: number;
  /** Dials started after an earlier connection or attempt to this peer ended. */
  readonly reconnects: number;
  /** Connections closed and redialled because they took writes and delivered nothing back for linkStallMs. */
  readonly stallRedials: number;
  /** Why the last connection attempt or connection failed; null once connected. */
  readonly lastError: string | null;
}

export interface SnapshotSource {
  /** Up to maxBytes of the stream, or null at its end. */
  read(maxBytes: number): Promise<Uint8Array | null>;
}

export type SnapshotHandler = (from: NodeId, meta: Uint8Array, stream: SnapshotInbound) => void;
export type RequestHandler = (from: NodeId, payload: Uint8Array) => Promise<Uint8Array>;

export const OUTBOUND_QUEUE_MAX_BYTES_DEFAULT = 64 * 1024 * 1024;
export const SNAPSHOT_CHUNK_BYTES_DEFAULT = 1024 * 1024;
export const SNAPSHOT_WINDOW_CHUNKS_DEFAULT = 8;
export const DIAL_TIMEOUT_MS_DEFAULT = 2000;
export const LINK_STALL_MS_DEFAULT = 2000;
/**
 * One socket write carries at most this many bytes of queued frames (one frame at least),
 * and the next waits until the kernel has taken it. Node shows no progress inside a write,
 * so a backlog handed over whole would look stalled for as long as a slow reader takes to
 * drain it; in bounded writes each one taken is progress the stall watch sees.
 */
const FLUSH_BATCH_BYTES_MAX = 1024 * 1024;
/** A request with id 0 and no payload asks the peer's transport to answer on the same connection. */
const PROBE_FRAME = encodeRequestFrame(0, new Uint8Array(0));
const PROBE_ANSWER_FRAME = encodeResponseFrame({ requestId: 0, ok: true, payload: new Uint8Array(0) });
export const RECONNECT_BACKOFF_MIN_MS_DEFAULT = 50;
export const RECONNECT_BACKOFF_MAX_MS_DEFAULT = 2000;
/** Longest request timeout accepted: longer waits belong to the caller's retry loop. */
export const REQUEST_TIMEOUT_MS_MAX = 10 * 60 * 1000;
/** Request and stream ids are u32 on the wire and wrap. */
const U32_LIMIT = 0x1_0000_0000;

interface ResolvedOptions {
  readonly outboundQueueMaxBytes: number;
  readonly dialTimeoutMs: number;
  readonly linkStallMs: number;
  readonly snapshotChunkBytes: number;
  readonly snapshotWindowChunks: number;
  readonly frameMaxBytes: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  readonly random: () => number;
}

function positiveInteger(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) throw new RangeError(`invalid ${name} ${value}: must be an integer in [1, ${max}]`);
  return value;
}

function resolveOptions(o: TransportOptions): ResolvedOptions {
  if (o.nodeId.length === 0) throw new RangeError('invalid nodeId: must not be empty');
  if (o.clusterId.length === 0) throw new RangeError('invalid clusterId: must not be empty');
  if (!Number.isInteger(o.listen.port) || o.listen.port < 0 || o.listen.port > 65535) throw new RangeError(`invalid listen.port ${o.listen.port}`);
  const frameMaxBytes = o.frameMaxBytes ?? FRAME_MAX_BYTES_DEFAULT;
  validateFrameMaxBytes(frameMaxBytes);
  const backoffMinMs = o.reconnectBackoffMinMs ?? RECONNECT_BACKOFF_MIN_MS_DEFAULT;
  const backoffMaxMs = o.reconnectBackoffMaxMs ?? RECONNECT_BACKOFF_MAX_MS_DEFAULT;
  validateBackoff(backoffMinMs, backoffMaxMs);
  validateClusterSecret(o.clusterSecret ?? null);
  if (o.tls !== undefined && o.tls !== null) validatePeerTls(o.tls);
  const snapshotChunkBytes = positiveInteger('snapshotChunkBytes', o.snapshotChunkBytes ?? Math.min(SNAPSHOT_CHUNK_BYTES_DEFAULT, frameMaxBytes - 4), frameMaxBytes - 4);
  return {
    outboundQueueMaxBytes: positiveInteger('outboundQueueMaxBytes', o.outboundQueueMaxBytes ?? OUTBOUND_QUEUE_MAX_BYTES_DEFAULT, Number.MAX_SAFE_INTEGER),
    dialTimeoutMs: positiveInteger('dialTimeoutMs', o.dialTimeoutMs ?? DIAL_TIMEOUT_MS_DEFAULT, 10 * 60 * 1000),
    linkStallMs: positiveInteger('linkStallMs', o.linkStallMs ?? LINK_STALL_MS_DEFAULT, 10 * 60 * 1000),
    snapshotChunkBytes,
    snapshotWindowChunks: positiveInteger('snapshotWindowChunks', o.snapshotWindowChunks ?? SNAPSHOT_WINDOW_CHUNKS_DEFAULT, SNAPSHOT_WINDOW_CHUNKS_MAX),
    frameMaxBytes,
    backoffMinMs,
    backoffMaxMs,
    random: o.random ?? Math.random,
  };
}

interface MutableStats {
  droppedMessages: number;
  faultDroppedMessages: number;
  sentFrames: number;
  socketWrites: number;
  receivedFrames: number;
  reconnects: number;
  stallRedials: number;
  lastError: string | null;
}

interface QueuedFrame {
  readonly frame: Buffer;
  /** The request this frame carries, so it can be withdrawn when the request fails; 0 = none. */
  readonly requestId: number;
  /** A Raft message: dropped rather than kept for a peer that cannot be reached. */
  readonly droppable?: boolean;
}

interface PendingRequest {
  resolve(payload: Uint8Array): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface OutboundStream {
  inflightChunks: number;
  /** Woken when an ack arrives or the stream fails. */
  wake: (() => void) | null;
  result: { ok: true } | { ok: false; error: Error } | null;
  /** Rejects a source read in progress when the stream fails, so a stuck source cannot hold sendSnapshot. */
  abortRead: ((error: Error) => void) | null;
}

interface ReadyWaiter {
  resolve(): void;
  reject(error: Error): void;
}

/** Our outbound side to one peer: its connection, queue, requests and snapshot streams. */
interface PeerLink {
  readonly id: NodeId;
  address: PeerAddress;
  socket: Socket | null;
  state: 'idle' | 'connecting' | 'ready';
  queue: QueuedFrame[];
  queueBytes: number;
  dialTimer: NodeJS.Timeout | null;
  reconnectTimer: NodeJS.Timeout | null;
  /** Earliest time (ms, Date.now) the next dial may start. */
  notBefore: number;
  /** Whether any dial to this peer has happened, to count reconnects. */
  dialed: boolean;
  /**
   * True from a failed dial or a lost connection until the next handshake. Meanwhile Raft
   * messages are dropped, not queued: replaying a backlog of stale Appends to a peer that
   * comes back would only delay it (the leader resends from its progress, or a snapshot).
   */
  unreachable: boolean;
  readonly backoff: Backoff;
  /** Watches the ready connection for a silent stall; null while not ready. */
  stall: LinkStallWatch | null;
  stallTimer: NodeJS.Timeout | null;
  /** A write to the ready connection is in flight: the next waits for it (see FLUSH_BATCH_BYTES_MAX). */
  writing: boolean;
  /** Bytes of the ready connection's writes the kernel has taken. */
  acceptedBytes: number;
  readonly requests: Map<number, PendingRequest>;
  readonly streams: Map<number, OutboundStream>;
  readonly readyWaiters: Set<ReadyWaiter>;
}

/** A connection a peer dialed to us. */
interface InboundConnection {
  readonly socket: Socket;
  readonly remote: string;
  peer: NodeId | null;
  /** Set once the handshake is refused: later frames on the connection are ignored. */
  refused: boolean;
  /** Until `peer` is set: the handshake in progress. */
  readonly handshake: AcceptorHandshake;
  handshakeTimer: NodeJS.Timeout | null;
  readonly streams: Map<number, SnapshotInboundStream>;
}

export class PeerTransport {
  onMessage: (msg: Message) => void = () => {};
  onSnapshot: SnapshotHandler = (_from, _meta, stream) => stream.cancel('no snapshot handler');
  onRequest: RequestHandler = () => Promise.reject(new Error('no request handler'));
  readonly faults: TransportFaults;

  private readonly options: ResolvedOptions;
  private readonly log: TransportLog;
  private readonly injector: FaultInjector;
  private readonly peers = new Map<NodeId, PeerAddress>();
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly peerStats = new Map<NodeId, MutableStats>();
  private readonly inbound = new Set<InboundConnection>();
  private readonly faultTimers = new Set<NodeJS.Timeout>();
  private server: Server | null = null;
  /** The same server when peers use TLS, for certificate reloads. */
  private tlsServer: TlsServer | null = null;
  private bound: PeerAddress | null = null;
  private flushPending = false;
  private readonly linksToFlush = new Set<PeerLink>();
  private nextRequestId = 1;
  private nextStreamId = 1;
  private stopped = false;
  private tls: PeerTlsOptions | null;
  private readonly self: HandshakeSelf;

  constructor(private readonly config: TransportOptions) {
    this.options = resolveOptions(config);
    this.log = config.log ?? (() => {});
    this.tls = config.tls ?? null;
    this.self = { clusterId: config.clusterId, nodeId: config.nodeId, incarnation: config.incarnation ?? '', secret: config.clusterSecret ?? null };
    for (const [id, address] of config.peers) this.peers.set(id, address);
    this.injector = new FaultInjector(config.faultInjection ?? false, seededRandom(config.faultSeed ?? 1), (peers) => this.cutPartitioned(peers));
    this.faults = this.injector;
  }

  // --- lifecycle -------------------------------------------------------------------------

  start(): Promise<void> {
    if (this.server !== null || this.stopped) return Promise.reject(new Error('PeerTransport.start() called twice or after stop()'));
    const tlsServer = this.tls === null ? null : createPeerTlsServer(this.tls, this.options.dialTimeoutMs, (socket) => this.accept(socket));
    const server = tlsServer ?? createServer((socket) => this.accept(socket));
    this.tlsServer = tlsServer;
    if (tlsServer !== null) {
      tlsServer.on('tlsClientError', (error: Error, socket: TLSSocket) => {
        this.log('warn', `TLS handshake with peer ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'} failed: ${tlsErrorText(error)} (peers must use TLS with a certificate of the cluster CA)`);
      });
    }
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.listen.port, this.config.listen.host, () => {
        server.off('error', reject);
        server.on('error', (error) => this.log('error', 'peer listener error', { error: String(error) }));
        const address = server.address() as AddressInfo;
        this.bound = { host: address.address, port: address.port };
        this.log('info', 'peer transport listening', { node: this.config.nodeId, host: address.address, port: address.port });
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.linksToFlush.clear();
    for (const timer of this.faultTimers) clearTimeout(timer);
    this.faultTimers.clear();
    const stoppedError = () => new TransportError('RAFTIS_TRANSPORT_STOPPED', 'peer transport stopped');
    for (const link of this.links.values()) this.closeLink(link, stoppedError());
    for (const connection of this.inbound) {
      if (connection.handshakeTimer !== null) clearTimeout(connection.handshakeTimer);
      connection.handshakeTimer = null;
      this.failInboundStreams(connection, new TransportError('RAFTIS_TRANSPORT_SNAPSHOT_ABORTED', 'peer transport stopped'));
      connection.socket.destroy();
    }
    const server = this.server;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Replaces the key, certificate and CA (after the files changed on disk). New connections,
   * both ways, use them; open ones keep the session they have.
   */
  setTls(tls: PeerTlsOptions): void {
    if (this.tls === null) throw new Error('PeerTransport.setTls(): the transport was started without TLS');
    validatePeerTls(tls);
    this.tls = tls;
    this.tlsServer?.setSecureContext(tls.context);
  }

  address(): PeerAddress {
    if (this.bound === null) throw new Error('PeerTransport.address() before start() resolved');
    return this.bound;
  }

  setPeer(id: NodeId, address: PeerAddress | null): void {
    if (address === null) {
      this.peers.delete(id);
      const link = this.links.get(id);
      if (link !== undefined) {
        this.closeLink(link, new TransportError('RAFTIS_TRANSPORT_UNKNOWN_PEER', `peer ${id} removed`));
        this.links.delete(id);
      }
      return;
    }
    this.peers.set(id, address);
    const link = this.links.get(id);
    if (link !== undefined && (link.address.host !== address.host || link.address.port !== address.port)) {
      link.address = address;
      // Drop the connection to the old address at once (a frame sent from now on must not
      // reach the old socket); queued and later frames go to the new address, with no backoff.
      const socket = link.socket;
      if (socket !== null) {
        if (link.dialTimer !== null) clearTimeout(link.dialTimer);
        link.dialTimer = null;
        this.stopStallWatch(link);
        link.socket = null;
        link.state = 'idle';
        this.failLinkWork(link, new TransportError('RAFTIS_TRANSPORT_CONNECTION_LOST', `peer ${id} moved to ${address.host}:${address.port}`));
        socket.destroy();
      }
      link.notBefore = 0;
      if (link.queue.length > 0) this.ensureConnecting(link);
    }
  }

  stats(): Map<NodeId, PeerStats> {
    const out = new Map<NodeId, PeerStats>();
    const ids = new Set<NodeId>([...this.peers.keys(), ...this.peerStats.keys()]);
    for (const id of ids) {
      const s = this.statsOf(id);
      const link = this.links.get(id);
      out.set(id, {
        connected: link?.state === 'ready',
        queuedBytes: link === undefined ? 0 : link.queueBytes + (link.socket?.writableLength ?? 0),
        droppedMessages: s.droppedMessages,
        faultDroppedMessages: s.faultDroppedMessages,
        sentFrames: s.sentFrames,
        socketWrites: s.socketWrites,
        receivedFrames: s.receivedFrames,
        reconnects: s.reconnects,
        stallRedials: s.stallRedials,
        lastError: s.lastError,
      });
    }
    return out;
  }

  // --- sending ---------------------------------------------------------------------------

  /** Non-blocking. Connects lazily; everything sent to one peer in one turn leaves in one write. */
  send(msg: Message): void {
    if (this.stopped) return;
    const link = this.linkFor(msg.to);
    if (link === null) {
      this.statsOf(msg.to).droppedMessages += 1;
      this.log('debug', 'dropping message to unknown peer', { to: msg.to, type: msg.type });
      return;
    }
    const frame = encodeRaftFrame(msg);
    this.checkFrameSize(frame, `message type ${msg.type} to ${msg.to}`);
    this.throughFaults(msg.to, () => {
      if (!this.enqueue(link, { frame, requestId: 0, droppable: true }, true)) {
        this.statsOf(msg.to).droppedMessages += 1;
        if (link.state === 'idle' && this.links.get(link.id) === link && !this.stopped) this.ensureConnecting(link);
      }
    });
  }

  request(to: NodeId, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.stopped) return Promise.reject(new TransportError('RAFTIS_TRANSPORT_STOPPED', 'peer transport stopped'));
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > REQUEST_TIMEOUT_MS_MAX) {
      return Promise.reject(new RangeError(`invalid request timeoutMs ${timeoutMs}: must be an integer in [1, ${REQUEST_TIMEOUT_MS_MAX}]`));
    }
    const link = this.linkFor(to);
    if (link === null) return Promise.reject(new TransportError('RAFTIS_TRANSPORT_UNKNOWN_PEER', `no address for peer ${to}`));
    const requestId = this.nextRequestId;
    this.nextRequestId = (this.nextRequestId + 1) % U32_LIMIT || 1;
    const frame = encodeRequestFrame(requestId, payload);
    this.checkFrameSize(frame, `request to ${to}`);
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settleRequest(link, requestId, new TransportError('RAFTIS_TRANSPORT_TIMEOUT', `request ${requestId} to ${to} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      link.requests.set(requestId, { resolve, reject, timer });
      // Under injected faults the request may vanish; the caller then sees the timeout, as with a real network.
      this.throughFaults(to, () => {
        if (!link.requests.has(requestId)) return;
        if (!this.enqueue(link, { frame, requestId }, true)) {
          this.settleRequest(link, requestId, new TransportError('RAFTIS_TRANSPORT_QUEUE_FULL', `outbound queue to ${to} is full`));
        }
      });
    });
  }

  /**
   * Streams a snapshot to `to`: `meta` first, then the source's chunks with at most
   * snapshotWindowChunks unacknowledged, then the length and crc32 of the whole stream.
   * Resolves once the receiver has read it all and the checksum matched; rejects if the
   * connection drops, the receiver fails or cancels, or the source throws.
   */
  async sendSnapshot(to: NodeId, meta: Uint8Array, source: SnapshotSource): Promise<void> {
    if (this.stopped) throw new TransportError('RAFTIS_TRANSPORT_STOPPED', 'peer transport stopped');
    if (this.injector.isPartitioned(to)) throw new TransportError('RAFTIS_TRANSPORT_PARTITIONED', `peer ${to} is partitioned by fault injection`);
    const link = this.linkFor(to);
    if (link === null) throw new TransportError('RAFTIS_TRANSPORT_UNKNOWN_PEER', `no address for peer ${to}`);
    const beginFrame = encodeSnapshotBeginFrame(0, meta);
    this.checkFrameSize(beginFrame, `snapshot meta to ${to}`);
    await this.waitReady(link);
    const socket = link.socket;
    if (socket === null) throw new TransportError('RAFTIS_TRANSPORT_CONNECTION_LOST', `connection to ${to} lost`);
    const streamId = this.nextStreamId;
    this.nextStreamId = (this.nextStreamId + 1) % U32_LIMIT || 1;
    const stream: OutboundStream = { inflightChunks: 0, wake: null, result: null, abortRead: null };
    link.streams.set(streamId, stream);
    beginFrame.writeUInt32LE(streamId, FRAME_HEADER_BYTES);
    this.enqueue(link, { frame: beginFrame, requestId: 0 }, false);
    let crc = 0;
    let totalBytes = 0;
    try {
      while (true) {
        await this.waitStream(stream, () => stream.inflightChunks < this.options.snapshotWindowChunks);
        const chunk = await this.readSource(stream, source);
        if (chunk === null) break;
        if (chunk.byteLength > this.options.snapshotChunkBytes) {
          throw new RangeError(`snapshot source returned ${chunk.byteLength} bytes, asked for at most ${this.options.snapshotChunkBytes}`);
        }
        if (chunk.byteLength === 0) continue;
        crc = crc32(chunk, crc);
        totalBytes += chunk.byteLength;
        stream.inflightChunks += 1;
        this.enqueue(link, { frame: encodeSnapshotChunkFrame(streamId, chunk), requestId: 0 }, false);
      }
      this.enqueue(link, { frame: encodeSnapshotEndFrame({ streamId, totalBytes, crc32: crc }), requestId: 0 }, false);
      await this.waitStream(stream, () => false);
    } catch (error) {
      // Tell the receiver unless the stream is already over on its side.
      if (stream.result === null && link.socket === socket && !socket.destroyed) {
        this.enqueue(link, { frame: encodeSnapshotAbortFrame({ streamId, reason: String(error) }), requestId: 0 }, false);
      }
      throw error;
    } finally {
      link.streams.delete(streamId);
    }
  }

  // --- outbound connections --------------------------------------------------------------

  private linkFor(id: NodeId): PeerLink | null {
    const existing = this.links.get(id);
    if (existing !== undefined) return existing;
    const address = this.peers.get(id);
    if (address === undefined) return null;
    const link: PeerLink = {
      id,
      address,
      socket: null,
      state: 'idle',
      queue: [],
      queueBytes: 0,
      dialTimer: null,
      reconnectTimer: null,
      notBefore: 0,
      dialed: false,
      unreachable: false,
      backoff: new Backoff({ minMs: this.options.backoffMinMs, maxMs: this.options.backoffMaxMs, random: this.options.random }),
      stall: null,
      stallTimer: null,
      writing: false,
      acceptedBytes: 0,
      requests: new Map(),
      streams: new Map(),
      readyWaiters: new Set(),
    };
    this.links.set(id, link);
    return link;
  }

  private statsOf(id: NodeId): MutableStats {
    let s = this.peerStats.get(id);
    if (s === undefined) {
      s = { droppedMessages: 0, faultDroppedMessages: 0, sentFrames: 0, socketWrites: 0, receivedFrames: 0, reconnects: 0, stallRedials: 0, lastError: null };
      this.peerStats.set(id, s);
    }
    return s;
  }

  private checkFrameSize(frame: Buffer, what: string): void {
    const payloadBytes = frame.byteLength - FRAME_HEADER_BYTES;
    if (payloadBytes > this.options.frameMaxBytes) {
      throw new RangeError(`${what} encodes to ${payloadBytes} bytes, frameMaxBytes is ${this.options.frameMaxBytes}`);
    }
  }

  /** Queues a frame; returns false (and queues nothing) if droppable and the queue is full. */
  private enqueue(link: PeerLink, item: QueuedFrame, droppable: boolean): boolean {
    // A delayed frame may outlive its link (peer removed, transport stopped): drop it.
    if (this.stopped || this.links.get(link.id) !== link) return false;
    if (item.droppable === true && link.unreachable && link.state !== 'ready') return false;
    const queuedBytes = link.queueBytes + (link.socket?.writableLength ?? 0);
    if (droppable && queuedBytes + item.frame.byteLength > this.options.outboundQueueMaxBytes) return false;
    link.queue.push(item);
    link.queueBytes += item.frame.byteLength;
    if (link.state === 'ready') this.scheduleFlush(link);
    else this.ensureConnecting(link);
    return true;
  }

  private scheduleFlush(link: PeerLink): void {
    this.linksToFlush.add(link);
    if (!this.flushPending) {
      this.flushPending = true;
      queueMicrotask(() => this.flushAll());
    }
  }

  /** Writes every queued message now (the driver, before a long apply), instead of at the end of the task. */
  flushQueued(): void {
    if (this.flushPending) this.flushAll();
  }

  private flushAll(): void {
    this.flushPending = false;
    for (const link of this.linksToFlush) this.flush(link);
    this.linksToFlush.clear();
  }

  /**
   * Writes the queue with one corked write (one writev on the socket), or its first
   * FLUSH_BATCH_BYTES_MAX and the rest once the kernel has taken them.
   */
  private flush(link: PeerLink): void {
    const socket = link.socket;
    if (link.state !== 'ready' || socket === null || link.queue.length === 0 || link.writing) return;
    const queue = link.queue;
    let count = 0;
    let bytes = 0;
    for (; count < queue.length; count++) {
      const frameBytes = queue[count]?.frame.byteLength ?? 0;
      if (count > 0 && bytes + frameBytes > FLUSH_BATCH_BYTES_MAX) break;
      bytes += frameBytes;
    }
    const batch = count === queue.length ? queue : queue.slice(0, count);
    link.queue = count === queue.length ? [] : queue.slice(count);
    link.queueBytes -= bytes;
    link.writing = true;
    const written = (error?: Error | null): void => {
      if (link.socket !== socket) return;
      link.writing = false;
      // A failed write ends the connection ('close' follows): nothing more goes on it.
      if (error !== undefined && error !== null) return;
      link.acceptedBytes += bytes;
      this.flush(link);
    };
    socket.cork();
    for (let i = 0; i < batch.length; i++) socket.write(batch[i]?.frame ?? Buffer.alloc(0), i === batch.length - 1 ? written : undefined);
    socket.uncork();
    const stats = this.statsOf(link.id);
    stats.sentFrames += batch.length;
    stats.socketWrites += 1;
    if (link.stall?.wrote(Date.now()) === true) this.armStallCheck(link, socket, Date.now() + Math.ceil(this.options.linkStallMs / 2));
  }

  private armStallCheck(link: PeerLink, socket: Socket, atMs: number): void {
    if (link.stallTimer !== null) clearTimeout(link.stallTimer);
    link.stallTimer = setTimeout(() => this.checkStall(link, socket), Math.max(0, atMs - Date.now()));
  }

  private stopStallWatch(link: PeerLink): void {
    if (link.stallTimer !== null) clearTimeout(link.stallTimer);
    link.stallTimer = null;
    link.stall = null;
  }

  /** `confirming`: the second look at a connection found stalled (see the 'stalled' case). */
  private checkStall(link: PeerLink, socket: Socket, confirming = false): void {
    link.stallTimer = null;
    if (link.socket !== socket || link.state !== 'ready' || link.stall === null) return;
    const verdict = link.stall.check(Date.now(), link.acceptedBytes, link.queueBytes + socket.writableLength);
    switch (verdict.kind) {
      case 'idle':
        return;
      case 'probe':
        socket.write(PROBE_FRAME);
        this.armStallCheck(link, socket, verdict.atMs);
        return;
      case 'wait':
        this.armStallCheck(link, socket, verdict.atMs);
        return;
      case 'stalled':
        if (confirming) {
          this.redialStalled(link, socket, verdict.silentMs);
          return;
        }
        // After a pause of the event loop (a long GC, a busy machine) expired timers run
        // before the socket reads that waited meanwhile: look again once those are read.
        link.stallTimer = setTimeout(() => this.checkStall(link, socket, true), 0);
        return;
      default:
        assertNever(verdict);
    }
  }

  /**
   * Closes a stalled connection and dials afresh (after the backoff's next delay, so a peer
   * that is really gone is not hammered). Like any lost connection, its requests and streams
   * fail and the Raft messages still queued are dropped: Raft resends what matters.
   */
  private redialStalled(link: PeerLink, socket: Socket, silentMs: number): void {
    this.statsOf(link.id).stallRedials += 1;
    this.log('info', `connection to peer ${link.id} took writes and delivered nothing back for ${silentMs} ms (packets dropped?): redialling`, { peer: link.id, silentMs });
    this.onLinkClosed(link, `stalled: nothing back for ${silentMs} ms`);
    // A reset (plain TCP) discards what the kernel still holds, so old frames cannot arrive
    // after the new connection's; the receiver also drops an older connection from us.
    if (isTlsSocket(socket)) socket.destroy();
    else socket.resetAndDestroy();
  }

  private ensureConnecting(link: PeerLink): void {
    if (this.stopped || link.state !== 'idle' || link.reconnectTimer !== null) return;
    const waitMs = link.notBefore - Date.now();
    if (waitMs <= 0) {
      this.dial(link);
      return;
    }
    link.reconnectTimer = setTimeout(() => {
      link.reconnectTimer = null;
      if (this.links.get(link.id) === link) this.dial(link);
    }, waitMs);
  }

  private dial(link: PeerLink): void {
    if (this.stopped) return;
    if (link.dialed) this.statsOf(link.id).reconnects += 1;
    link.dialed = true;
    link.state = 'connecting';
    const { host, port } = link.address;
    const tls = this.tls;
    const socket = tls === null ? createConnection({ host, port }) : dialPeerTls(tls, host, port);
    link.socket = socket;
    const handshake = new DialerHandshake(this.self, link.id, this.config.verifyPeer);
    link.dialTimer = setTimeout(() => {
      socket.destroy(new Error(`dial to ${host}:${port} timed out after ${this.options.dialTimeoutMs} ms`));
    }, this.options.dialTimeoutMs);
    const decoder = new FrameDecoder(this.options.frameMaxBytes);
    let failure: string | null = null;
    socket.on(tls === null ? 'connect' : 'secureConnect', () => {
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 10_000);
      if (isTlsSocket(socket)) {
        const who = `peer ${link.id} at ${host}:${port}`;
        const refusal = certificateTrustRefusal(socket, who) ?? certificateIdentityRefusal(socket, link.id, who);
        if (refusal !== null) {
          this.log('error', `refusing ${refusal}`, { peer: link.id });
          socket.destroy(new Error(`peer refused: ${refusal}`));
          return;
        }
      }
      socket.write(handshake.helloFrame());
    });
    socket.on('data', (chunk: Buffer) => {
      const error = decoder.push(chunk, (kind, payload) => this.onLinkFrame(link, socket, handshake, kind, payload));
      if (error !== null) socket.destroy(new Error(error));
    });
    socket.on('error', (error) => {
      failure = error.message;
    });
    socket.on('close', () => {
      if (link.socket !== socket) return;
      this.onLinkClosed(link, failure ?? 'connection closed by peer');
    });
  }

  private onLinkFrame(link: PeerLink, socket: Socket, handshake: DialerHandshake, kind: number, payload: Uint8Array): void {
    if (link.socket !== socket || socket.destroyed) return;
    if (link.state === 'connecting') {
      const step = handshake.onFrame(kind, payload);
      const where = `peer ${link.id} at ${link.address.host}:${link.address.port}`;
      switch (step.kind) {
        case 'send':
          socket.write(step.frame);
          return;
        case 'ready':
          this.onLinkReady(link);
          return;
        case 'refused':
          this.log('error', `${where} refused our handshake: ${step.reason}`, { peer: link.id });
          socket.destroy(new Error(`handshake refused: ${step.reason}`));
          return;
        case 'reject':
          this.log('error', `refusing ${where}: ${step.reason}`, { peer: link.id });
          socket.destroy(new Error(`peer refused: ${step.reason}`));
          return;
        case 'malformed':
          socket.destroy(new Error(step.reason));
          return;
        default:
          return assertNever(step);
      }
    }
    this.statsOf(link.id).receivedFrames += 1;
    link.stall?.heard();
    if (kind === FrameKind.SnapshotAck) this.onSnapshotAck(link, socket, payload);
    else if (kind === FrameKind.Response) this.onResponse(link, socket, payload);
    else socket.destroy(new Error(`unexpected frame kind ${kind} on an outbound connection`));
  }

  private onLinkReady(link: PeerLink): void {
    if (link.dialTimer !== null) clearTimeout(link.dialTimer);
    link.dialTimer = null;
    link.state = 'ready';
    link.unreachable = false;
    link.stall = new LinkStallWatch(this.options.linkStallMs);
    link.writing = false;
    link.acceptedBytes = 0;
    link.backoff.reset();
    link.notBefore = 0;
    this.statsOf(link.id).lastError = null;
    this.log('info', `connected to peer ${link.id}`, { peer: link.id, host: link.address.host, port: link.address.port });
    for (const waiter of link.readyWaiters) waiter.resolve();
    link.readyWaiters.clear();
    // Frames queued while connecting go out at once, still as one write.
    this.flush(link);
  }

  /**
   * A peer that has just dialed us is up: if our own link to it waits out the backoff its
   * failed dials built up while it was down, dial now. Otherwise, after a restart, each side
   * hears the other only one way for up to the backoff's maximum, and Raft needs both (an
   * answer travels on the answerer's own link: in the 600-s snapshot chaos run, pre-vote
   * answers were lost so and a cluster stood without a leader for a second or more).
   */
  private redialIfWaiting(id: NodeId): void {
    const link = this.links.get(id);
    if (link === undefined || link.state !== 'idle' || this.stopped) return;
    link.backoff.reset();
    link.notBefore = 0;
    if (link.reconnectTimer === null) return;
    clearTimeout(link.reconnectTimer);
    link.reconnectTimer = null;
    this.dial(link);
  }

  private onLinkClosed(link: PeerLink, reason: string): void {
    const wasReady = link.state === 'ready';
    if (link.dialTimer !== null) clearTimeout(link.dialTimer);
    link.dialTimer = null;
    this.stopStallWatch(link);
    link.socket = null;
    link.state = 'idle';
    link.unreachable = true;
    this.statsOf(link.id).lastError = reason;
    this.log(wasReady ? 'warn' : 'debug', `connection to peer ${link.id} ended: ${reason}`, { peer: link.id });
    const error = new TransportError(wasReady ? 'RAFTIS_TRANSPORT_CONNECTION_LOST' : 'RAFTIS_TRANSPORT_UNREACHABLE', `peer ${link.id} at ${link.address.host}:${link.address.port}: ${reason}`);
    this.failLinkWork(link, error);
    link.notBefore = Date.now() + link.backoff.nextDelayMs();
    // Raft messages still queued would be stale by the time the peer is back: drop them.
    const kept = link.queue.filter((item) => item.droppable !== true);
    this.statsOf(link.id).droppedMessages += link.queue.length - kept.length;
    link.queue = kept;
    link.queueBytes = kept.reduce((sum, item) => sum + item.frame.byteLength, 0);
    // Keep redialling: the peer must hear from us as soon as it is back.
    if (!this.stopped) this.ensureConnecting(link);
  }

  /** Fails everything that depended on the connection: requests, streams, waiters for readiness. */
  private failLinkWork(link: PeerLink, error: TransportError): void {
    for (const requestId of [...link.requests.keys()]) this.settleRequest(link, requestId, error);
    for (const stream of link.streams.values()) this.finishStream(stream, { ok: false, error });
    for (const waiter of link.readyWaiters) waiter.reject(error);
    link.readyWaiters.clear();
  }

  private closeLink(link: PeerLink, error: TransportError): void {
    if (link.reconnectTimer !== null) clearTimeout(link.reconnectTimer);
    link.reconnectTimer = null;
    if (link.dialTimer !== null) clearTimeout(link.dialTimer);
    link.dialTimer = null;
    this.stopStallWatch(link);
    const socket = link.socket;
    link.socket = null;
    link.state = 'idle';
    link.queue = [];
    link.queueBytes = 0;
    this.linksToFlush.delete(link);
    this.failLinkWork(link, error);
    socket?.destroy();
  }

  private waitReady(link: PeerLink): Promise<void> {
    if (link.state === 'ready') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      link.readyWaiters.add({ resolve, reject });
      this.ensureConnecting(link);
    });
  }

  private settleRequest(link: PeerLink, requestId: number, outcome: Error | Uint8Array): void {
    const pending = link.requests.get(requestId);
    if (pending === undefined) return;
    link.requests.delete(requestId);
    clearTimeout(pending.timer);
    if (outcome instanceof Error) {
      // Withdraw the request if it has not been written yet: a failed request must not run later.
      const index = link.queue.findIndex((item) => item.requestId === requestId);
      if (index >= 0) {
        const [item] = link.queue.splice(index, 1);
        link.queueBytes -= item?.frame.byteLength ?? 0;
      }
      pending.reject(outcome);
    } else {
      pending.resolve(outcome);
    }
  }

  private onResponse(link: PeerLink, socket: Socket, payload: Uint8Array): void {
    const response = decodeResponse(payload);
    if (!response.ok) {
      socket.destroy(new Error(`malformed response: ${response.error}`));
      return;
    }
    const { requestId, ok, payload: body } = response.value;
    if (ok) this.settleRequest(link, requestId, body);
    else this.settleRequest(link, requestId, new TransportError('RAFTIS_TRANSPORT_REMOTE_ERROR', `peer ${link.id}: ${Buffer.from(body).toString('utf8')}`));
  }

  private onSnapshotAck(link: PeerLink, socket: Socket, payload: Uint8Array): void {
    const ack = decodeSnapshotAck(payload);
    if (!ack.ok) {
      socket.destroy(new Error(`malformed snapshot ack: ${ack.error}`));
      return;
    }
    const stream = link.streams.get(ack.value.streamId);
    if (stream === undefined) return; // A late ack for a stream we already gave up on.
    stream.inflightChunks -= ack.value.consumedChunks;
    if (stream.inflightChunks < 0) {
      socket.destroy(new Error(`peer acked ${-stream.inflightChunks} more snapshot chunks than were sent`));
      return;
    }
    if (ack.value.status === SnapshotAckStatus.Complete) this.finishStream(stream, { ok: true });
    else if (ack.value.status === SnapshotAckStatus.Failed) {
      this.finishStream(stream, { ok: false, error: new TransportError('RAFTIS_TRANSPORT_SNAPSHOT_ABORTED', `peer ${link.id} failed the snapshot stream: ${ack.value.reason}`) });
    } else stream.wake?.();
  }

  private finishStream(stream: OutboundStream, result: { ok: true } | { ok: false; error: Error }): void {
    if (stream.result !== null) return;
    stream.result = result;
    stream.wake?.();
    if (!result.ok) stream.abortRead?.(result.error);
  }

  private readSource(stream: OutboundStream, source: SnapshotSource): Promise<Uint8Array | null> {
    return new Promise<Uint8Array | null>((resolve, reject) => {
      stream.abortRead = reject;
      source.read(this.options.snapshotChunkBytes).then(resolve, reject);
    }).finally(() => {
      stream.abortRead = null;
    });
  }

  private throwIfFailed(stream: OutboundStream): void {
    if (stream.result !== null && !stream.result.ok) throw stream.result.error;
  }

  /** Waits until `ready()` holds or the stream finishes; throws if it finished badly. */
  private async waitStream(stream: OutboundStream, ready: () => boolean): Promise<void> {
    while (stream.result === null && !ready()) {
      await new Promise<void>((resolve) => {
        stream.wake = resolve;
      });
      stream.wake = null;
    }
    this.throwIfFailed(stream);
  }

  // --- inbound connections ---------------------------------------------------------------

  private accept(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const tlsSocket = isTlsSocket(socket) ? socket : null;
    const connection: InboundConnection = {
      socket,
      remote,
      peer: null,
      refused: false,
      handshake: new AcceptorHandshake(this.self, remote, {
        verifyPeer: this.config.verifyPeer,
        certificateRefusal: tlsSocket === null ? undefined : (claimed) => certificateIdentityRefusal(tlsSocket, claimed, `peer ${remote}`),
      }),
      handshakeTimer: null,
      streams: new Map(),
    };
    this.inbound.add(connection);
    connection.handshakeTimer = setTimeout(() => {
      socket.destroy(new Error(`no handshake within ${this.options.dialTimeoutMs} ms`));
    }, this.options.dialTimeoutMs);
    const decoder = new FrameDecoder(this.options.frameMaxBytes);
    socket.on('data', (chunk: Buffer) => {
      const error = decoder.push(chunk, (kind, payload) => this.onInboundFrame(connection, kind, payload));
      if (error !== null) {
        this.log('warn', `closing connection from ${connection.remote}: ${error}`, { peer: connection.peer });
        socket.destroy();
      }
    });
    socket.on('error', (error) => this.log('debug', `connection from ${connection.remote}: ${error.message}`));
    socket.on('close', () => {
      const hungUp = connection.peer === null && !connection.refused ? connection.handshake.hangUpReason() : null;
      if (hungUp !== null && !this.stopped) this.log('warn', hungUp, { remote: connection.remote });
      if (connection.handshakeTimer !== null) clearTimeout(connection.handshakeTimer);
      connection.handshakeTimer = null;
      this.inbound.delete(connection);
      this.failInboundStreams(connection, new TransportError('RAFTIS_TRANSPORT_SNAPSHOT_ABORTED', `connection from ${connection.peer ?? connection.remote} closed mid-stream`));
    });
    const untrusted = tlsSocket === null ? null : certificateTrustRefusal(tlsSocket, `peer ${remote}`);
    if (untrusted !== null) this.refuse(connection, untrusted);
  }

  private failInboundStreams(connection: InboundConnection, error: TransportError): void {
    for (const stream of connection.streams.values()) stream.fail(error);
    connection.streams.clear();
  }

  private refuse(connection: InboundConnection, reason: string): void {
    this.log('warn', reason, { remote: connection.remote });
    connection.refused = true;
    if (connection.handshakeTimer !== null) clearTimeout(connection.handshakeTimer);
    connection.handshakeTimer = null;
    // end() flushes the refusal before closing; the dialer closes its side on reading it.
    connection.socket.end(encodeHandshakeReplyFrame({ ok: false, reason, incarnation: this.config.incarnation ?? '' }));
    // A dialer that ignores the refusal and keeps its side open is cut off; the socket owns this timer.
    connection.socket.setTimeout(this.options.dialTimeoutMs, () => connection.socket.destroy());
  }

  private onInboundFrame(connection: InboundConnection, kind: number, payload: Uint8Array): void {
    if (connection.socket.destroyed || connection.refused) return;
    const peer = connection.peer;
    if (peer === null) {
      this.onHandshake(connection, kind, payload);
      return;
    }
    this.statsOf(peer).receivedFrames += 1;
    switch (kind) {
      case FrameKind.Raft:
        this.onRaftFrame(connection, peer, payload);
        return;
      case FrameKind.SnapshotBegin:
      case FrameKind.SnapshotChunk:
      case FrameKind.SnapshotEnd:
      case FrameKind.SnapshotAbort:
        this.onSnapshotFrame(connection, peer, kind, payload);
        return;
      case FrameKind.Request:
        this.onRequestFrame(connection, peer, payload);
        return;
      default:
        this.protocolError(connection, `unexpected frame kind ${kind} on an inbound connection`);
    }
  }

  private onHandshake(connection: InboundConnection, kind: number, payload: Uint8Array): void {
    const step = connection.handshake.onFrame(kind, payload);
    switch (step.kind) {
      case 'send':
        connection.socket.write(step.frame);
        return;
      case 'accept':
        if (connection.handshakeTimer !== null) clearTimeout(connection.handshakeTimer);
        connection.handshakeTimer = null;
        connection.peer = step.peer;
        connection.socket.write(step.frame);
        this.log('debug', `accepted connection from peer ${step.peer} at ${connection.remote}`);
        this.dropOlderInbound(connection);
        this.redialIfWaiting(step.peer);
        return;
      case 'refuse':
        this.refuse(connection, step.reason);
        return;
      case 'malformed':
        this.protocolError(connection, step.reason);
        return;
      default:
        assertNever(step);
    }
  }

  /**
   * A peer keeps one connection to us: one it dialed before was given up (lost, or stalled
   * without closing, its close not seen here). Frames still in flight on it would arrive out
   * of order with the new connection's, and it holds resources: close it.
   */
  private dropOlderInbound(newest: InboundConnection): void {
    for (const connection of this.inbound) {
      if (connection === newest || connection.peer !== newest.peer) continue;
      this.log('debug', `closing the older connection from peer ${connection.peer} at ${connection.remote}`);
      connection.socket.destroy();
    }
  }

  private protocolError(connection: InboundConnection, reason: string): void {
    this.log('warn', `closing connection from ${connection.peer ?? connection.remote}: ${reason}`);
    connection.socket.destroy();
  }

  private onRaftFrame(connection: InboundConnection, peer: NodeId, payload: Uint8Array): void {
    const decoded = decodeMessage(payload);
    if (!decoded.ok) {
      this.protocolError(connection, `malformed raft message: ${decoded.error}`);
      return;
    }
    const msg = decoded.value;
    if (msg.from !== peer || msg.to !== this.config.nodeId) {
      this.log('warn', `dropping message from ${msg.from} to ${msg.to} received on the connection from ${peer}`);
      return;
    }
    this.throughFaults(peer, () => this.onMessage(msg));
  }

  private onRequestFrame(connection: InboundConnection, peer: NodeId, payload: Uint8Array): void {
    const decoded = decodeRequest(payload);
    if (!decoded.ok) {
      this.protocolError(connection, `malformed request: ${decoded.error}`);
      return;
    }
    const { requestId, payload: body } = decoded.value;
    // A probe tests the connection, not the network the injected faults stand for: answered at once.
    if (requestId === 0 && body.byteLength === 0) return this.writeInbound(connection, PROBE_ANSWER_FRAME);
    this.throughFaults(peer, () => {
      let pending: Promise<Uint8Array>;
      try {
        pending = this.onRequest(peer, body);
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending.then(
        (reply) => this.writeInbound(connection, encodeResponseFrame({ requestId, ok: true, payload: reply })),
        (error: unknown) => this.writeInbound(connection, encodeResponseFrame({ requestId, ok: false, payload: Buffer.from(error instanceof Error ? error.message : String(error)) })),
      );
    });
  }

  private writeInbound(connection: InboundConnection, frame: Buffer): void {
    if (connection.socket.destroyed || !connection.socket.writable) return;
    if (frame.byteLength - FRAME_HEADER_BYTES > this.options.frameMaxBytes) {
      this.log('error', `reply of ${frame.byteLength} bytes exceeds frameMaxBytes ${this.options.frameMaxBytes}; closing the connection`);
      connection.socket.destroy();
      return;
    }
    connection.socket.write(frame);
  }

  private onSnapshotFrame(connection: InboundConnection, peer: NodeId, kind: FrameKind, payload: Uint8Array): void {
    if (kind === FrameKind.SnapshotEnd) {
      const end = decodeSnapshotEnd(payload);
      if (!end.ok) return this.protocolError(connection, `malformed snapshot end: ${end.error}`);
      connection.streams.get(end.value.streamId)?.pushEnd(end.value.totalBytes, end.value.crc32);
      return;
    }
    if (kind === FrameKind.SnapshotAbort) {
      const abort = decodeSnapshotAbort(payload);
      if (!abort.ok) return this.protocolError(connection, `malformed snapshot abort: ${abort.error}`);
      const stream = connection.streams.get(abort.value.streamId);
      connection.streams.delete(abort.value.streamId);
      stream?.fail(new TransportError('RAFTIS_TRANSPORT_SNAPSHOT_ABORTED', `${stream.description}: sender aborted: ${abort.value.reason}`));
      return;
    }
    const decoded = decodeStreamIdAndBytes(payload);
    if (!decoded.ok) return this.protocolError(connection, `malformed snapshot frame: ${decoded.error}`);
    const { streamId, bytes } = decoded.value;
    if (kind === FrameKind.SnapshotBegin) {
      if (connection.streams.has(streamId)) return this.protocolError(connection, `snapshot stream ${streamId} begun twice`);
      if (this.injector.isPartitioned(peer)) {
        this.writeInbound(connection, encodeSnapshotAckFrame({ streamId, consumedChunks: 0, status: SnapshotAckStatus.Failed, reason: 'partitioned by fault injection' }));
        return;
      }
      const stream = new SnapshotInboundStream(`snapshot stream ${streamId} from ${peer}`, (consumedChunks, status, reason) => {
        if (status !== SnapshotAckStatus.Progress) connection.streams.delete(streamId);
        this.writeInbound(connection, encodeSnapshotAckFrame({ streamId, consumedChunks, status, reason }));
      });
      connection.streams.set(streamId, stream);
      this.onSnapshot(peer, bytes, stream);
      return;
    }
    const stream = connection.streams.get(streamId);
    if (stream === undefined) return; // Chunks of a stream the receiver already cancelled.
    const error = stream.pushChunk(bytes);
    if (error !== null) this.protocolError(connection, error);
  }

  // --- faults ----------------------------------------------------------------------------

  /** Runs `deliver` now, later, or never, as the injected faults for `peer` decide. */
  private throughFaults(peer: NodeId, deliver: () => void): void {
    const verdict = this.injector.judge(peer);
    if (verdict.drop) {
      this.statsOf(peer).faultDroppedMessages += 1;
      return;
    }
    if (verdict.delayMs === 0) {
      deliver();
      return;
    }
    const timer = setTimeout(() => {
      this.faultTimers.delete(timer);
      if (!this.stopped) deliver();
    }, verdict.delayMs);
    this.faultTimers.add(timer);
  }

  /** A partition also cuts snapshot streams in flight, both ways. */
  private cutPartitioned(peers: readonly NodeId[]): void {
    const error = new TransportError('RAFTIS_TRANSPORT_PARTITIONED', `partitioned from ${peers.join(', ')} by fault injection`);
    for (const peer of peers) {
      const link = this.links.get(peer);
      if (link !== undefined) for (const stream of link.streams.values()) this.finishStream(stream, { ok: false, error });
    }
    for (const connection of this.inbound) {
      if (connection.peer === null || !peers.includes(connection.peer)) continue;
      // Cancelling (rather than failing silently) tells the sender too, so it does not wait forever.
      for (const stream of [...connection.streams.values()]) stream.cancel(error.message);
    }
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected handshake step ${JSON.stringify(value)}`);
}
