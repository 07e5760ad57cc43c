// A minimal one-shot RESP client for joining a cluster and for the command-line tools:
// connect (over TLS when given TLS options), send one command (after AUTH when given
// credentials: a cluster with a password asks for them), read its reply, close.

import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { encodeCommand as encodeRespCommand, ReplyParser, type RespValue } from '../resp/codec.js';
import { isProtocolError } from '../resp/protocol-error.js';

/** A user name and password to AUTH with before the command. */
export type Credentials = readonly [user: string, password: string];

export function sendCommand(
  host: string, port: number, argv: readonly string[], timeoutMs: number, tls: ConnectionOptions | null = null, auth: Credentials | null = null,
): Promise<RespValue> {
  return new Promise((resolvePromise, reject) => {
    const socket: Socket = tls === null ? connect({ host, port }) : connectTls({ ...tls, host, port });
    const parser = new ReplyParser();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    const commands = auth === null ? [argv] : [['AUTH', ...auth], argv];
    socket.on(tls === null ? 'connect' : 'secureConnect', () => {
      for (const command of commands) socket.write(encodeRespCommand(command.map((a) => Buffer.from(a))));
    });
    let repliesDue = commands.length;
    socket.on('data', (chunk) => {
      parser.feed(chunk);
      let value = parser.next();
      // AUTH's reply first: an error there is the answer (the command after it was refused too).
      while (value !== null && repliesDue > 1 && !(value.kind === 'error')) {
        repliesDue--;
        value = parser.next();
      }
      if (value === null) return;
      clearTimeout(timer);
      socket.end();
      if (isProtocolError(value)) reject(new Error(value.message));
      else resolvePromise(value);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
