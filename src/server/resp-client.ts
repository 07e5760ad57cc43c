// A minimal one-shot RESP client for joining a cluster and for the command-line tools:
// connect (over TLS when given TLS options), send one command, read one reply, close.

import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { encodeCommand as encodeRespCommand, ReplyParser, type RespValue } from '../resp/codec.js';
import { isProtocolError } from '../resp/protocol-error.js';

export function sendCommand(host: string, port: number, argv: readonly string[], timeoutMs: number, tls: ConnectionOptions | null = null): Promise<RespValue> {
  return new Promise((resolvePromise, reject) => {
    const socket: Socket = tls === null ? connect({ host, port }) : connectTls({ ...tls, host, port });
    const parser = new ReplyParser();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on(tls === null ? 'connect' : 'secureConnect', () => socket.write(encodeRespCommand(argv.map((a) => Buffer.from(a)))));
    socket.on('data', (chunk) => {
      parser.feed(chunk);
      const value = parser.next();
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
