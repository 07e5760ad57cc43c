// One client connection: reads requests off its socket (a stream's chunks, or reads into the
// server's shared buffer, parsed before the next read reuses it), hands each command to the
// handler with a reply slot, and writes the replies back in request order. Slots form a
// queue; whenever its head is complete the completed prefix is encoded into the output
// buffer, and the server writes that buffer with one socket.write per event-loop turn.
// Limits: the output buffer (close the client when over), read back-pressure (stop reading
// while the socket's write side is congested).

import type { Socket } from 'node:net';
import { RequestParser, type RequestParserLimits } from './request-parser.js';
import { isProtocolError } from './protocol-error.js';
import { ReplyWriter } from './reply-writer.js';
import { RESP_OK, type RespProtocol, type RespValue } from './resp-value.js';

/** Bits of ClientConnection.flags set by this layer; bits from SERVER_LAYER_FIRST up belong to the server layer. */
export const ClientFlag = Object.freeze({
  /** QUIT, a protocol error or the peer's end of stream: close once the queued replies are written. */
  CloseAfterReply: 1,
  /** Reading is paused because the socket's write side is congested. */
  ReadPausedForDrain: 2,
  /** The server is shutting down. */
  ServerClosing: 4,
  /** The socket is closed; replies are discarded. */
  Closed: 8,
  /** Our side has ended; waiting (bounded) for the peer to close. */
  Ending: 16,
  SERVER_LAYER_FIRST: 1 << 16,
});

/** What a command handler receives to answer one command. */
export interface ReplySlot {
  /** Delivers the reply. Call exactly once, now or later; after the client left it is dropped. */
  send(value: RespValue): void;
}

export interface CommandHandler {
  onCommand(conn: ClientConnection, argv: Buffer[], reply: ReplySlot): void;
  onConnect?(conn: ClientConnection): void;
  onDisconnect?(conn: ClientConnection): void;
  /** The client ended its side (EOF): it sends no more, but may still read the replies it is owed. */
  onPeerEnd?(conn: ClientConnection): void;
}

/** What a connection needs from its server: counters, the flush schedule, logging, the client list. */
export interface ConnectionHost {
  clients(): ClientConnection[];
  readonly handler: CommandHandler;
  readonly clientOutputBufferMaxBytes: number;
  commandProcessed(): void;
  protocolErrorSeen(conn: ClientConnection, message: string): void;
  /** A command's handler threw or its reply could not be encoded: a bug, answered with an error and logged. */
  commandFailed(conn: ClientConnection, stage: 'dispatch' | 'reply', error: unknown): void;
  outputBufferOverflow(conn: ClientConnection, bytes: number): void;
  scheduleFlush(conn: ClientConnection): void;
  connectionClosed(conn: ClientConnection): void;
}

/** One request's place in the reply queue. */
class PendingReply implements ReplySlot {
  /** The reply, once sent. */
  value: RespValue | null = null;
  next: PendingReply | null = null;
  /** Not written: the client turned replies off (CLIENT REPLY OFF or SKIP). */
  silent = false;

  constructor(
    private readonly connection: ClientConnection,
    /** Protocol the reply is encoded in: the client's when the command arrived (HELLO updates its own). */
    public protocol: RespProtocol,
  ) {}

  send(value: RespValue): void {
    if (this.value !== null) {
      throw new Error(`reply slot of client ${this.connection.id} sent twice (first ${this.value.kind}, then ${value.kind})`);
    }
    this.value = value;
    this.connection.replyReady(this);
  }
}

const QUIT = Buffer.from('quit');

/** The reply to a command whose handler or reply failed (a bug); the text is one line. */
function internalErrorReply(error: unknown): RespValue {
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'error', message: `ERR internal error: ${message}` };
}

/**
 * After our last reply, how long we wait for the peer to close before destroying the
 * socket. Meanwhile whatever it sends is read and dropped: closing with unread input makes
 * the kernel reset the connection, and the peer could lose that last reply (an error) unread.
 */
const CLOSE_LINGER_MS = 2_000;

function isQuit(argv: readonly Buffer[]): boolean {
  const name = argv[0];
  if (name === undefined || name.length !== QUIT.length) return false;
  for (let i = 0; i < QUIT.length; i++) {
    if (((name[i] ?? 0) | 0x20) !== QUIT[i]) return false; // ASCII lower-casing; QUIT has only letters
  }
  return true;
}

export class ClientConnection {
  readonly id: number;
  /** CLIENT SETNAME; empty when unnamed. */
  name = '';
  /** CLIENT NO-TOUCH: this client's reads leave keys' access times as they were (TOUCH aside). */
  noTouch = false;
  readonly createdAtMs: number;
  /** Peer "ip:port". */
  readonly address: string;
  /** Local "ip:port" the client connected to. */
  readonly localAddress: string;
  /** Selected database (SELECT). */
  db = 0;
  /** ClientFlag bits, plus bits the server layer owns. */
  flags = 0;
  /** Free for the server layer (read consistency, MULTI state, ...). */
  state: unknown = undefined;
  commandsProcessed = 0;
  /** Wall-clock time the client last sent bytes (CLIENT LIST idle; Redis counts from its last read too). */
  lastCommandAtMs: number;

  private protocolVersion: RespProtocol = 2;
  private readonly parser: RequestParser;
  private readonly writer = new ReplyWriter();
  /** Reply queue in request order. Invariant: head === null iff tail === null. */
  private head: PendingReply | null = null;
  private tail: PendingReply | null = null;
  private queued = 0;
  /** The slot of the command being handed to the handler right now, if any. */
  private dispatching: PendingReply | null = null;
  /** The query buffer's bytes when the command being handled was taken from it, that command's included. */
  private dispatchingQueryBytes = 0;
  /** True while this connection waits in the server's flush list. */
  flushScheduled = false;
  /**
   * The output buffer limit for this client when the server layer sets one (a subscriber's is
   * Redis's `client-output-buffer-limit pubsub`); null = the server's limit for every client.
   */
  outputBufferMaxBytes: number | null = null;
  /** The client's pub/sub subscriptions (channels, patterns, shard channels), kept by the server layer for CLIENT LIST. */
  subscriptions = { sub: 0, psub: 0, ssub: 0 };
  /** CLIENT REPLY: 'off' silences every reply, 'skip' the next command's; pushes are always written. */
  private replyMode: 'on' | 'off' | 'skip' = 'on';

  constructor(
    private readonly host: ConnectionHost,
    private readonly socket: Socket,
    id: number,
    private readonly nowMs: () => number,
    parserLimits: Partial<RequestParserLimits>,
    /** The socket reads into the server's shared buffer and hands each read to readShared(); else it emits 'data'. */
    sharedReads = false,
  ) {
    this.id = id;
    this.createdAtMs = nowMs();
    this.lastCommandAtMs = this.createdAtMs;
    this.address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.localAddress = `${socket.localAddress ?? '?'}:${socket.localPort ?? 0}`;
    this.parser = new RequestParser(parserLimits);
    socket.setNoDelay(true);
    if (!sharedReads) socket.on('data', (chunk: Buffer) => this.onData(chunk, false));
    socket.on('drain', () => this.onDrain());
    socket.on('end', () => this.onEnd());
    socket.on('error', () => socket.destroy()); // ECONNRESET and friends: 'close' follows.
    socket.on('close', () => this.onClose());
  }

  /** The server this client is connected to (CLIENT LIST reaches the others through it). */
  get server(): ConnectionHost {
    return this.host;
  }

  /**
   * One CLIENT LIST line in Redis 7's field order; `server` holds the fields the server layer
   * owns (flags, MULTI queue length, last command, user). Fields raftis has no counterpart
   * for (fd, buffer internals) are written as a client with none.
   */
  describe(server: { readonly flags: string; readonly multi: number; readonly cmd: string; readonly user: string }): string {
    const nowMs = this.nowMs();
    const ageSeconds = Math.floor((nowMs - this.createdAtMs) / 1000);
    const idleSeconds = Math.floor((nowMs - this.lastCommandAtMs) / 1000);
    const omem = this.outputBufferBytes;
    // While this client's own command runs (CLIENT LIST, CLIENT INFO), Redis's query buffer
    // still holds that command and its reply is not yet queued output.
    const running = this.dispatching !== null;
    const qbuf = running ? this.dispatchingQueryBytes : this.queryBufferBytes;
    const oll = this.pendingReplies - (running ? 1 : 0);
    const { sub, psub, ssub } = this.subscriptions;
    // Redis's P flag (a subscribed client) comes before the server layer's x and b.
    const flags = sub + psub + ssub === 0 ? server.flags : server.flags === 'N' ? 'P' : `P${server.flags}`;
    return `id=${this.id} addr=${this.address} laddr=${this.localAddress} fd=-1 name=${this.name} age=${ageSeconds} ` +
      `idle=${idleSeconds} flags=${flags} db=${this.db} sub=${sub} psub=${psub} ssub=${ssub} multi=${server.multi} ` +
      `qbuf=${qbuf} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=${oll} omem=${omem} ` +
      `tot-mem=${qbuf + omem} events=r cmd=${server.cmd} user=${server.user} redir=-1 resp=${this.protocolVersion}`;
  }

  get protocol(): RespProtocol {
    return this.protocolVersion;
  }

  /**
   * Switches RESP version (HELLO). Called while the handler handles a command, that
   * command's own reply is already in the new version, as Redis does; replies to commands
   * received earlier keep the version they were received under.
   */
  setProtocol(protocol: RespProtocol): void {
    this.protocolVersion = protocol;
    if (this.dispatching !== null) this.dispatching.protocol = protocol;
  }

  /**
   * CLIENT REPLY ON, OFF or SKIP. Called while the handler handles CLIENT REPLY: OFF and
   * SKIP silence that command's own reply too, as in Redis.
   */
  setReplyMode(mode: 'on' | 'off' | 'skip'): void {
    this.replyMode = mode;
    if (this.dispatching !== null) this.dispatching.silent = mode !== 'on';
  }

  get closed(): boolean {
    return (this.flags & ClientFlag.Closed) !== 0;
  }

  /** Closed, or closing once its queued replies are written (QUIT, the peer's end, CLIENT KILL): Redis has freed such a client. */
  get closing(): boolean {
    return (this.flags & (ClientFlag.CloseAfterReply | ClientFlag.Closed | ClientFlag.Ending)) !== 0;
  }

  /** Replies queued and not yet sent by the handler. */
  get pendingReplies(): number {
    return this.queued;
  }

  /** Encoded bytes not yet accepted by the kernel (ours plus the socket's). */
  get outputBufferBytes(): number {
    return this.writer.pendingBytes + this.socket.writableLength;
  }

  /** Bytes received and not yet parsed into a command. */
  get queryBufferBytes(): number {
    return this.parser.bufferedBytes;
  }

  /**
   * Runs no more commands and closes once every queued reply is written, the reply to the
   * command being handled included (CLIENT KILL of the client's own connection, as Redis's
   * CLIENT_CLOSE_AFTER_REPLY).
   */
  closeAfterReply(): void {
    this.stopReading();
  }

  /** Closes now, dropping queued replies (CLIENT KILL, overflow). */
  kill(): void {
    if (this.closed) return;
    this.flags |= ClientFlag.CloseAfterReply; // no more commands run; 'close' cleans up
    this.socket.destroy();
  }

  /** Stops reading and closes once every queued reply is written (server shutdown). */
  shutdown(): void {
    this.flags |= ClientFlag.ServerClosing | ClientFlag.CloseAfterReply;
    this.socket.pause();
    this.closeIfDone();
  }

  /**
   * A read into the server's shared buffer (shared-read-buffer.ts): its commands run now, and
   * nothing refers to the buffer once this returns, since the next read reuses it.
   */
  readShared(buffer: Buffer, bytes: number): void {
    try {
      this.onData(buffer.subarray(0, bytes), true);
    } finally {
      this.parser.detach();
    }
  }

  /** `borrowed`: the chunk's memory is reused after this call (readShared). */
  private onData(chunk: Buffer, borrowed: boolean): void {
    if ((this.flags & ClientFlag.CloseAfterReply) !== 0) return;
    this.parser.feed(chunk, borrowed);
    // One clock read per chunk, not per command: CLIENT LIST's idle counts whole seconds.
    this.lastCommandAtMs = this.nowMs();
    for (;;) {
      const bufferedBytes = this.parser.bufferedBytes;
      const request = this.parser.next();
      if (request === null) break;
      if (isProtocolError(request)) {
        this.host.protocolErrorSeen(this, request.message);
        this.enqueue().send({ kind: 'error', message: `ERR ${request.message}` });
        this.stopReading();
        break;
      }
      this.dispatchingQueryBytes = bufferedBytes;
      this.dispatch(request);
      // QUIT, or the handler killed or shut us: later pipelined commands are not run (Redis too).
      if ((this.flags & (ClientFlag.CloseAfterReply | ClientFlag.Closed)) !== 0) break;
    }
    // Replies go out in the server's flush (one microtask after this callback), even those
    // given synchronously: one write per connection for the whole batch read here.
  }

  private dispatch(argv: Buffer[]): void {
    this.commandsProcessed++;
    this.host.commandProcessed();
    const slot = this.enqueue();
    if (this.replyMode !== 'on') {
      slot.silent = true;
      if (this.replyMode === 'skip') this.replyMode = 'on';
    }
    if (isQuit(argv)) {
      slot.send(RESP_OK);
      this.stopReading();
      return;
    }
    this.dispatching = slot;
    try {
      this.host.handler.onCommand(this, argv, slot);
    } catch (error) {
      // No input may end the node: a handler that throws is a bug, which this client hears
      // about as an error reply while the node logs it and keeps serving everyone.
      this.host.commandFailed(this, 'dispatch', error);
      if (slot.value === null) slot.send(internalErrorReply(error));
    } finally {
      this.dispatching = null;
    }
  }

  /**
   * An out-of-band message (a pub/sub message, a subscription's confirmation): not the reply
   * to a command. It is queued behind every reply the client is still owed, so a RESP2 client
   * reads it after the replies to the commands it sent before, in the order pushed.
   */
  push(value: RespValue): void {
    if (this.closed || (this.flags & ClientFlag.Ending) !== 0) return;
    this.enqueue().send(value);
  }

  private enqueue(): PendingReply {
    const slot = new PendingReply(this, this.protocolVersion);
    if (this.tail === null) this.head = slot;
    else this.tail.next = slot;
    this.tail = slot;
    this.queued++;
    return slot;
  }

  /** A slot got its reply: encode the completed prefix of the queue. */
  replyReady(slot: PendingReply): void {
    if (this.closed) return;
    if (slot !== this.head) return; // it waits for the replies before it
    let current: PendingReply | null = slot;
    while (current !== null && current.value !== null) {
      // Silenced replies are dropped; pub/sub's pushes (confirmations included) never are, as in Redis.
      const failed = current.silent && current.value.kind !== 'push' ? null : this.writer.tryWrite(current.value, current.protocol);
      if (failed !== null) {
        this.host.commandFailed(this, 'reply', failed);
        this.writer.write(internalErrorReply(failed), current.protocol);
      }
      current = current.next;
      this.queued--;
    }
    this.head = current;
    if (current === null) this.tail = null;
    const pending = this.outputBufferBytes;
    if (pending > (this.outputBufferMaxBytes ?? this.host.clientOutputBufferMaxBytes)) {
      this.host.outputBufferOverflow(this, pending);
      this.writer.output.discard();
      this.kill();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.host.scheduleFlush(this);
    }
  }

  /** Writes the output buffer with one socket.write; called by the server once per turn. */
  flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.socket.destroyed) return;
    const bytes = this.writer.take();
    if (bytes !== null && !this.socket.write(bytes)) {
      if ((this.flags & ClientFlag.ReadPausedForDrain) === 0) {
        this.flags |= ClientFlag.ReadPausedForDrain;
        this.socket.pause();
      }
    }
    this.closeIfDone();
  }

  private closeIfDone(): void {
    if ((this.flags & ClientFlag.CloseAfterReply) === 0 || (this.flags & (ClientFlag.Closed | ClientFlag.Ending)) !== 0) return;
    if (this.head !== null || this.writer.pendingBytes > 0) return;
    this.flags |= ClientFlag.Ending;
    const socket = this.socket;
    socket.end();
    socket.resume(); // onData drops everything once CloseAfterReply is set
    const timer = setTimeout(() => socket.destroy(), CLOSE_LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  private stopReading(): void {
    this.flags |= ClientFlag.CloseAfterReply;
    this.socket.pause();
    this.closeIfDone();
  }

  private onDrain(): void {
    if ((this.flags & ClientFlag.ReadPausedForDrain) === 0) return;
    this.flags &= ~ClientFlag.ReadPausedForDrain;
    if ((this.flags & (ClientFlag.CloseAfterReply | ClientFlag.Ending)) === 0) this.socket.resume();
  }

  /** The peer will send nothing more: answer what it asked, then close. */
  private onEnd(): void {
    this.flags |= ClientFlag.CloseAfterReply;
    this.host.handler.onPeerEnd?.(this);
    this.closeIfDone();
  }

  private onClose(): void {
    if (this.closed) return;
    this.flags |= ClientFlag.Closed;
    this.writer.output.discard();
    this.head = null;
    this.tail = null;
    this.queued = 0;
    this.host.connectionClosed(this);
  }
}
