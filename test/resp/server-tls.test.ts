// The TLS listener of the RESP server on 127.0.0.1: tls-auth-clients yes, optional and no
// (a certificate of another CA refused whenever presented, none refused only under yes),
// a TLS listener with no plain one, maxclients shared by both, a failed handshake counted,
// and a new certificate taken for new connections.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { RespServer, type CommandHandler, type TlsAuthClients } from '../../src/resp/server.js';
import { ReplyParser } from '../../src/resp/reply-parser.js';
import { encodeRequest, waitFor } from './helpers.js';
import { missingOpenssl, secureContext, testCerts } from '../support/tls.js';

const handler: CommandHandler = {
  onCommand(_conn, _args, reply) {
    reply.send({ kind: 'simple', value: 'PONG' });
  },
};

const servers: RespServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function tlsServer(authClients: TlsAuthClients, maxClients = 100): Promise<{ server: RespServer; port: number }> {
  const { cluster } = await testCerts();
  const server = new RespServer({ closeTimeoutMs: 2000, maxClients }, handler);
  servers.push(server);
  await server.listenTls('127.0.0.1', 0, { context: secureContext(cluster, 'n1'), authClients });
  const port = server.tlsAddress()?.port ?? 0;
  assert.equal(server.address(), null, 'no plain listener was started');
  return { server, port };
}

/** PING over TLS: 'PONG', or what went wrong. */
function ping(port: number, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, ...options });
    const parser = new ReplyParser();
    socket.on('secureConnect', () => socket.write(encodeRequest(['PING'])));
    socket.on('data', (chunk: Buffer) => {
      parser.feed(chunk);
      const reply = parser.next();
      if (reply !== null) {
        resolve(reply.kind === 'simple' ? reply.value : reply.kind);
        socket.destroy();
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`));
    socket.on('close', () => resolve('closed'));
  });
}

describe('resp server over TLS', { skip: missingOpenssl ?? false }, () => {
  it('tls-auth-clients yes: only clients with a certificate of the CA get through', async () => {
    const { cluster, stranger } = await testCerts();
    const { server, port } = await tlsServer('yes');
    const ca = secureContext(cluster, 'client').ca;
    assert.equal(await ping(port, secureContext(cluster, 'client')), 'PONG');
    assert.notEqual(await ping(port, { ca }), 'PONG');
    assert.notEqual(await ping(port, { ...secureContext(stranger, 'client'), ca }), 'PONG');
    await waitFor(() => server.stats().tlsHandshakeFailures >= 2, 'failed handshakes counted');
  });

  it('tls-auth-clients optional: no certificate is fine, one of another CA is not', async () => {
    const { cluster, stranger } = await testCerts();
    const { server, port } = await tlsServer('optional');
    const ca = secureContext(cluster, 'client').ca;
    assert.equal(await ping(port, { ca }), 'PONG');
    assert.equal(await ping(port, secureContext(cluster, 'client')), 'PONG');
    assert.notEqual(await ping(port, { ...secureContext(stranger, 'client'), ca }), 'PONG');
    await waitFor(() => server.stats().tlsHandshakeFailures >= 1, 'the refused certificate counted');
  });

  it('tls-auth-clients no: no certificate is asked for', async () => {
    const { cluster } = await testCerts();
    const { port } = await tlsServer('no');
    assert.equal(await ping(port, { ca: secureContext(cluster, 'client').ca }), 'PONG');
  });

  it('counts TLS clients against maxclients', async () => {
    const { cluster } = await testCerts();
    const { server, port } = await tlsServer('no', 1);
    const ca = secureContext(cluster, 'client').ca;
    const first = connect({ host: '127.0.0.1', port, ca });
    first.on('error', () => {});
    await waitFor(() => server.stats().connectedClients === 1, 'the first client connected');
    const second = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ca });
      let got = '';
      socket.on('data', (chunk: Buffer) => { got += chunk.toString(); });
      socket.on('error', () => {});
      socket.on('close', () => resolve(got));
    });
    assert.match(second, /max number of clients reached/);
    first.destroy();
  });

  it('serves a new certificate to new connections after setTlsContext', async () => {
    const { cluster, stranger } = await testCerts();
    const { server, port } = await tlsServer('no');
    assert.equal(await ping(port, { ca: secureContext(cluster, 'client').ca }), 'PONG');
    server.setTlsContext(secureContext(stranger, 'n1'));
    assert.notEqual(await ping(port, { ca: secureContext(cluster, 'client').ca }), 'PONG');
    assert.equal(await ping(port, { ca: secureContext(stranger, 'client').ca }), 'PONG');
  });
});
