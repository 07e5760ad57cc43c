// The RESP listeners, plain TCP and TLS (Redis's port and tls-port): accepts client
// connections on either (plain ones read into one buffer the server reuses,
// shared-read-buffer.ts), enforces maxClients, flushes the output
// buffers of connections with replies when the callback that produced them returns (one
// microtask for all of them: a socket read's replies, or one Ready's applied writes, leave
// in one write per connection in this loop iteration rather than the next),
// counts what INFO reports, and shuts down gracefully (stop accepting, let in-flight
// replies go out, then close, with a bounded wait).

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { ClientConnection, type CommandHandler, type ConnectionHost } from './client-connection.js';
import { requestParserLimits, type RequestParserLimits } from './request-parser.js';
import { READ_BUFFER_DEFAULT_BYTES, READ_BUFFER_MIN_BYTES, readIntoSharedBuffer } from './shared-read-buffer.js';

export { ClientConnection, ClientFlag, type CommandHandler, type ReplySlot } from './client-connection.js';

export interface RespServerLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Server options; the request parser limits sit at the top level, with Redis's names. */
export interface RespServerOptions extends Partial<RequestParserLimits> {
  /** Most connected clients (Redis maxclients). */
  readonly maxClients?: number;
  /** A client whose unsent replies exceed this is closed (Redis client-output-buffer-limit normal, hard). */
  readonly clientOutputBufferMaxBytes?: number;
  /** How long close() waits for in-flight replies before it drops the remaining clients. */
  readonly closeTimeoutMs?: number;
  /** Logger (pino-compatible); silent by default. */
  readonly log?: RespServerLog;
  /** Wall clock for connection creation times; Date.now by default. */
  readonly nowMs?: () => number;
  /** A TLS client that has not finished its handshake after this long is dropped. */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Bytes of the one buffer every plain TCP client's reads land in (shared-read-buffer.ts); at least READ_BUFFER_MIN_BYTES. */
  readonly readBufferBytes?: number;
}

/** Redis's tls-auth-clients: yes, clients must present a certificate of the CA; optional, one presented is checked; no, none is asked for. */
export type TlsAuthClients = 'yes' | 'no' | 'optional';

export interface RespTlsOptions {
  /** Key, certificate, the CA that signs client certificates, protocol range, ciphers. */
  readonly context: SecureContextOptions;
  readonly authClients: TlsAuthClients;
}

export interface RespServerStats {
  readonly connectedClients: number;
  readonly totalConnections: number;
  readonly totalCommands: number;
  readonly rejectedConnections: number;
  readonly protocolErrors: number;
  /** Commands whose handler threw or whose reply could not be encoded (bugs, each answered with an error). */
  readonly commandFailures: number;
  readonly outputBufferLimitDisconnections: number;
  /** TLS clients dropped before they became connections: failed handshakes and refused certificates. */
  readonly tlsHandshakeFailures: number;
}

export const DEFAULT_MAX_CLIENTS = 10_000;
export const DEFAULT_CLIENT_OUTPUT_BUFFER_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

const MAX_CLIENTS_REACHED = Buffer.from('-ERR max number of clients reached\r\n');

const silentLog: RespServerLog = { info() {}, warn() {}, error() {} };

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`invalid ${name}: ${value} (must be a positive integer)`);
  return value;
}

export class RespServer implements ConnectionHost {
  readonly handler: CommandHandler;
  readonly maxClients: number;
  readonly clientOutputBufferMaxBytes: number;
  readonly closeTimeoutMs: number;
  private readonly parserLimits: RequestParserLimits;
  private readonly log: RespServerLog;
  private readonly nowMs: () => number;
  private readonly server: Server;
  private tlsServer: TlsServer | null = null;
  private readonly tlsHandshakeTimeoutMs: number;
  /** Every plain TCP client's reads land here, each parsed before the next (shared-read-buffer.ts). */
  private readonly readBuffer: Buffer;
  private readonly connections = new Map<number, ClientConnection>();
  private nextClientId = 1;
  /** Connections with output to write; drained by one microtask. */
  private flushList: ClientConnection[] = [];
  /** The list flushAll last emptied, reused as the next flushList: a reply served at once schedules a flush per read from its socket. */
  private spareFlushList: ClientConnection[] = [];
  private flushPending = false;
  /** flushAll as one function made once: each scheduled flush queues it without a new closure. */
  private readonly flushQueued = (): void => this.flushAll();
  private accepting = true;
  private closing = false;
  private closedWaiters: (() => void)[] = [];

  private totalConnections = 0;
  private totalCommands = 0;
  private rejectedConnections = 0;
  private protocolErrors = 0;
  private commandFailures = 0;
  private outputBufferLimitDisconnections = 0;
  private tlsHandshakeFailures = 0;

  constructor(options: RespServerOptions, handler: CommandHandler) {
    this.handler = handler;
    this.maxClients = positiveInteger('maxClients', options.maxClients ?? DEFAULT_MAX_CLIENTS);
    this.clientOutputBufferMaxBytes = positiveInteger(
      'clientOutputBufferMaxBytes',
      options.clientOutputBufferMaxBytes ?? DEFAULT_CLIENT_OUTPUT_BUFFER_MAX_BYTES,
    );
    this.closeTimeoutMs = positiveInteger('closeTimeoutMs', options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
    this.parserLimits = requestParserLimits({
      ...(options.protoMaxBulkLen === undefined ? {} : { protoMaxBulkLen: options.protoMaxBulkLen }),
      ...(options.maxMultibulkLength === undefined ? {} : { maxMultibulkLength: options.maxMultibulkLength }),
      ...(options.inlineMaxBytes === undefined ? {} : { inlineMaxBytes: options.inlineMaxBytes }),
      ...(options.queryBufferMaxBytes === undefined ? {} : { queryBufferMaxBytes: options.queryBufferMaxBytes }),
    });
    this.log = options.log ?? silentLog;
    this.nowMs = options.nowMs ?? Date.now;
    this.tlsHandshakeTimeoutMs = positiveInteger('tlsHandshakeTimeoutMs', options.tlsHandshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS);
    const readBufferBytes = options.readBufferBytes ?? READ_BUFFER_DEFAULT_BYTES;
    if (!Number.isSafeInteger(readBufferBytes) || readBufferBytes < READ_BUFFER_MIN_BYTES) {
      throw new RangeError(`invalid readBufferBytes: ${readBufferBytes} (must be an integer >= ${READ_BUFFER_MIN_BYTES})`);
    }
    this.readBuffer = Buffer.allocUnsafe(readBufferBytes);
    // allowHalfOpen: a client that shuts its write side still gets the replies it asked for.
    // pauseOnConnect: nothing is read before the socket reads into the shared buffer.
    this.server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (socket) => this.acceptPlain(socket));
  }

  /** Starts listening; resolves once bound. Port 0 picks a free port (see address()). */
  listen(host: string, port: number): Promise<void> {
    return listenOn(this.server, host, port, this.log);
  }

  /**
   * Starts a TLS listener beside the plain one (which need not listen at all); resolves once
   * bound. Connections on both are served alike once their TLS handshake is done.
   */
  listenTls(host: string, port: number, tls: RespTlsOptions): Promise<void> {
    if (this.tlsServer !== null) return Promise.reject(new Error('RespServer.listenTls() called twice'));
    const server = createTlsServer({
      ...tls.context,
      requestCert: tls.authClients !== 'no',
      rejectUnauthorized: tls.authClients === 'yes',
      handshakeTimeout: this.tlsHandshakeTimeoutMs,
      allowHalfOpen: true,
      noDelay: true,
    }, (socket) => this.acceptTls(socket, tls.authClients));
    server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
      this.tlsHandshakeFailures++;
      this.log.info({ addr: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, error: tlsReason(error) }, 'TLS client handshake failed');
    });
    this.tlsServer = server;
    return listenOn(server, host, port, this.log);
  }

  /** New TLS connections use these (certificate rotation); open ones keep their session. */
  setTlsContext(context: SecureContextOptions): void {
    if (this.tlsServer === null) throw new Error('RespServer.setTlsContext() without a TLS listener');
    this.tlsServer.setSecureContext(context);
  }

  address(): { host: string; port: number } | null {
    return boundAddress(this.server);
  }

  tlsAddress(): { host: string; port: number } | null {
    return this.tlsServer === null ? null : boundAddress(this.tlsServer);
  }

  stats(): RespServerStats {
    return {
      connectedClients: this.connections.size,
      totalConnections: this.totalConnections,
      totalCommands: this.totalCommands,
      rejectedConnections: this.rejectedConnections,
      protocolErrors: this.protocolErrors,
      commandFailures: this.commandFailures,
      outputBufferLimitDisconnections: this.outputBufferLimitDisconnections,
      tlsHandshakeFailures: this.tlsHandshakeFailures,
    };
  }

  /** Connected clients in connection order (CLIENT LIST, INFO; not a hot path). */
  clients(): ClientConnection[] {
    return [...this.connections.values()];
  }

  client(id: number): ClientConnection | undefined {
    return this.connections.get(id);
  }

  /** Stops accepting new clients; connected ones keep being served until close(). */
  stopAccepting(): void {
    if (this.accepting) {
      this.accepting = false;
      this.server.close();
      this.tlsServer?.close();
    }
  }

  /**
   * Stops accepting, lets every client receive the replies to commands already received,
   * then closes them; after closeTimeoutMs whoever is left is dropped.
   */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.stopAccepting();
      for (const conn of this.connections.values()) conn.shutdown();
    }
    if (this.connections.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        for (const conn of this.connections.values()) conn.kill();
      }, this.closeTimeoutMs);
      timer.unref();
      this.closedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** With tls-auth-clients optional, a certificate presented must still be one of the CA. */
  private acceptTls(socket: TLSSocket, authClients: TlsAuthClients): void {
    if (authClients === 'optional' && !socket.authorized && Object.keys(socket.getPeerCertificate() ?? {}).length > 0) {
      this.tlsHandshakeFailures++;
      this.log.info({ addr: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, error: String(socket.authorizationError) }, 'TLS client presented a certificate the CA did not sign; closing');
      socket.destroy();
      return;
    }
    if (this.admits(socket)) this.open(socket, false);
  }

  /** A plain TCP client, accepted paused: it reads into the shared buffer (as a stream where Node does not allow that). */
  private acceptPlain(accepted: Socket): void {
    if (!this.admits(accepted)) return;
    let conn: ClientConnection | null = null;
    const socket = readIntoSharedBuffer(accepted, this.readBuffer, true, (buffer, bytes) => conn?.readShared(buffer, bytes));
    conn = this.open(socket ?? accepted, socket !== null);
    if (socket === null) accepted.resume();
  }

  /** Whether a new client may connect; if not, it is closed (with Redis's error when too many are connected). */
  private admits(socket: Socket): boolean {
    if (!this.accepting) {
      socket.destroy();
      return false;
    }
    if (this.connections.size >= this.maxClients) {
      this.rejectedConnections++;
      socket.on('error', () => socket.destroy());
      socket.end(MAX_CLIENTS_REACHED);
      socket.resume(); // read (and drop) until the client closes its side, so the socket closes
      return false;
    }
    return true;
  }

  private open(socket: Socket, sharedReads: boolean): ClientConnection {
    this.totalConnections++;
    const conn = new ClientConnection(this, socket, this.nextClientId++, this.nowMs, this.parserLimits, sharedReads);
    this.connections.set(conn.id, conn);
    this.handler.onConnect?.(conn);
    return conn;
  }

  commandProcessed(): void {
    this.totalCommands++;
  }

  protocolErrorSeen(conn: ClientConnection, message: string): void {
    this.protocolErrors++;
    this.log.info({ client: conn.id, addr: conn.address, error: message }, 'closing client after a protocol error');
  }

  commandFailed(conn: ClientConnection, stage: 'dispatch' | 'reply', error: unknown): void {
    this.commandFailures++;
    this.log.error({ client: conn.id, addr: conn.address, stage, err: error }, 'a command failed with an internal error; its client got an error reply');
  }

  outputBufferOverflow(conn: ClientConnection, bytes: number): void {
    this.outputBufferLimitDisconnections++;
    this.log.warn(
      { client: conn.id, addr: conn.address, bytes, limitBytes: this.clientOutputBufferMaxBytes },
      'closing client that reached the output buffer limit',
    );
  }

  scheduleFlush(conn: ClientConnection): void {
    this.flushList.push(conn);
    if (!this.flushPending) {
      this.flushPending = true;
      queueMicrotask(this.flushQueued);
    }
  }

  private flushAll(): void {
    this.flushPending = false;
    const list = this.flushList;
    this.flushList = this.spareFlushList; // a flush may schedule another: it goes to the next round
    for (const conn of list) conn.flush();
    list.length = 0;
    this.spareFlushList = list;
  }

  connectionClosed(conn: ClientConnection): void {
    if (!this.connections.delete(conn.id)) return;
    this.handler.onDisconnect?.(conn);
    if (this.closing && this.connections.size === 0) {
      const waiters = this.closedWaiters;
      this.closedWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }
}

function listenOn(server: Server, host: string, port: number, log: RespServerLog): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      server.on('error', (error) => log.warn({ err: error }, 'resp listener error'));
      resolve();
    });
  });
}

function boundAddress(server: Server): { host: string; port: number } | null {
  const address = server.address();
  if (address === null || typeof address === 'string') return null;
  return { host: (address as AddressInfo).address, port: (address as AddressInfo).port };
}

/** OpenSSL's reason for a failed handshake, on one line. */
function tlsReason(error: Error): string {
  const reason = (error as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason !== '' ? reason : error.message.split('\n')[0] ?? '';
}
