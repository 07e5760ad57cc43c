// A pipelining RESP client for the command-line tools that move data (backup, import-rdb,
// export-rdb): one connection, any number of commands in flight, replies matched to
// commands in order. The one-shot client (server/resp-client.ts) serves single commands.

import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { encodeCommand, ReplyParser, type RespValue } from '../resp/codec.js';
import type { CommandArg } from '../resp/command-writer.js';
import { isProtocolError } from '../resp/protocol-error.js';
import type { HostPort } from '../server/config.js';

interface Waiter {
  readonly resolve: (value: RespValue) => void;
  readonly reject: (error: Error) => void;
}

export class RespSession {
  private readonly parser = new ReplyParser();
  private readonly waiters: Waiter[] = [];
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket, private readonly where: string) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error(`${where}: connection closed`)));
  }

  /** Connects (over TLS when `tls` is given) and, with `auth`, authenticates first. */
  static async open(address: HostPort, tls: ConnectionOptions | null, auth: readonly [string, string] | null, timeoutMs: number): Promise<RespSession> {
    const where = `${address.host}:${address.port}`;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const opened: Socket = tls === null ? connect({ host: address.host, port: address.port }) : connectTls({ ...tls, host: address.host, port: address.port });
      const timer = setTimeout(() => {
        opened.destroy();
        reject(new Error(`${where}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      opened.once(tls === null ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        resolve(opened);
      });
      opened.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`${where}: ${error.message}`));
      });
    });
    socket.setNoDelay(true);
    const session = new RespSession(socket, where);
    if (auth !== null) {
      const reply = await session.call(['AUTH', ...auth]);
      if (reply.kind === 'error') {
        session.close();
        throw new Error(`${where}: AUTH: ${reply.message}`);
      }
    }
    return session;
  }

  /** Sends one command; the promise settles with its reply (an error reply is a value, not a rejection). */
  call(argv: readonly CommandArg[]): Promise<RespValue> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.socket.write(encodeCommand(argv));
    });
  }

  /** Commands waiting for their replies. */
  get inFlight(): number {
    return this.waiters.length;
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.parser.feed(chunk);
    for (let value = this.parser.next(); value !== null; value = this.parser.next()) {
      if (isProtocolError(value)) return this.fail(new Error(`${this.where}: ${value.message}`));
      this.waiters.shift()?.resolve(value);
    }
  }

  private fail(error: Error): void {
    if (this.failure === null) this.failure = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
  }
}
