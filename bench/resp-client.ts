// A lean RESP client for the load generator: one TCP connection, replies matched to
// requests in order (so it can pipeline, though the closed loop keeps one in flight), and
// callbacks rather than a promise per request so the client costs little of the CPU it
// shares with the servers. Built on the project's own encodeCommand and ReplyParser.

import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { ReplyParser, encodeCommand, isProtocolError, type CommandArg, type RespValue } from '../src/resp/index.js';

export type ReplyCallback = (reply: RespValue | Error) => void;

export class RespClient {
  private readonly parser = new ReplyParser();
  private readonly waiting: ReplyCallback[] = [];
  private waitingHead = 0;
  private closedError: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** With `tls`, connects over TLS (the handshake is done when this resolves). */
  static open(port: number, host = '127.0.0.1', timeoutMs = 5000, tls: ConnectionOptions | null = null): Promise<RespClient> {
    return new Promise((resolveOpen, reject) => {
      const socket: Socket = tls === null ? connect({ port, host }) : connectTls({ ...tls, port, host });
      const timer = setTimeout(() => { socket.destroy(); reject(new Error(`connect to ${host}:${port} timed out`)); }, timeoutMs);
      socket.once('error', (error) => { clearTimeout(timer); reject(error); });
      socket.once(tls === null ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolveOpen(new RespClient(socket));
      });
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /**
   * Sends pre-encoded request bytes holding `replies` commands (one by default); `done` gets
   * each of their replies in order (an error reply is a RespValue).
   */
  sendEncoded(request: Buffer, done: ReplyCallback, replies = 1): void {
    if (this.closedError !== null) {
      const error = this.closedError;
      queueMicrotask(() => { for (let i = 0; i < replies; i++) done(error); });
      return;
    }
    for (let i = 0; i < replies; i++) this.waiting.push(done);
    this.socket.write(request);
  }

  call(argv: readonly CommandArg[]): Promise<RespValue | Error> {
    return new Promise((resolveCall) => this.sendEncoded(encodeCommand(argv), resolveCall));
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.parser.feed(chunk);
    for (;;) {
      const reply = this.parser.next();
      if (reply === null) return;
      if (isProtocolError(reply)) {
        this.fail(new Error(`protocol error from server: ${JSON.stringify(reply)}`));
        this.socket.destroy();
        return;
      }
      const done = this.waiting[this.waitingHead];
      if (done === undefined) throw new Error(`reply with no request waiting (head ${this.waitingHead}, queued ${this.waiting.length})`);
      this.waiting[this.waitingHead] = undefined as unknown as ReplyCallback;
      this.waitingHead++;
      if (this.waitingHead === this.waiting.length) {
        this.waiting.length = 0;
        this.waitingHead = 0;
      }
      done(reply);
    }
  }

  private fail(error: Error): void {
    if (this.closedError !== null) return;
    this.closedError = error;
    const pending = this.waiting.slice(this.waitingHead);
    this.waiting.length = 0;
    this.waitingHead = 0;
    for (const done of pending) done(error);
  }
}

/** One command on a short-lived connection; failures come back as Error values. */
export async function respCall(port: number, argv: readonly CommandArg[], timeoutMs = 3000): Promise<RespValue | Error> {
  let client: RespClient;
  try {
    client = await RespClient.open(port, '127.0.0.1', timeoutMs);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  try {
    const timeout = new Promise<Error>((resolveTimeout) => setTimeout(() => resolveTimeout(new Error(`${String(argv[0])} timed out`)), timeoutMs).unref());
    return await Promise.race([client.call(argv), timeout]);
  } finally {
    client.close();
  }
}

/** A reply's text, for bulk and simple strings; null otherwise. */
export function replyText(reply: RespValue | Error): string | null {
  if (reply instanceof Error) return null;
  if (reply.kind === 'simple') return reply.value;
  if (reply.kind === 'bulk' && reply.value !== null) return Buffer.from(reply.value).toString('utf8');
  return null;
}

/** Why a reply is a failure, or null when it is not. */
export function replyFailure(reply: RespValue | Error): string | null {
  if (reply instanceof Error) return reply.message;
  if (reply.kind === 'error') return reply.message;
  return null;
}
