// Client TLS with real node processes and real clients: a 3-node cluster serving clients on
// TLS only (--listen host:0 --tls-port P, peers over mutual TLS), reached by ioredis,
// node-redis and redis-cli --tls on every node, writes through followers forwarded over
// the secured peer channel; clients without a certificate refused (tls-auth-clients yes);
// certificates reloaded on SIGHUP without a restart, a bad file leaving the old ones.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { makeDevCerts, type DevCertFiles } from '../../src/cli/dev-certs.js';
import { TestCluster } from '../support/cluster.js';
import { missingTool } from '../support/redis-server.js';
import { missingOpenssl, secureContext, testCerts } from '../support/tls.js';
import { waitFor } from '../support/wait.js';

const CLI_TIMEOUT_MS = 30_000;

function redisCli(args: readonly string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile('redis-cli', args, { timeout: CLI_TIMEOUT_MS }, (error, stdout, stderr) => {
      resolve({ stdout, stderr, code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1 });
    });
  });
}

/** The serial number of the certificate a TLS port presents. */
function servedSerial(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, rejectUnauthorized: false });
    socket.on('secureConnect', () => {
      resolve(socket.getPeerCertificate().serialNumber.toUpperCase().replace(/^0+/, ''));
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

function serialOf(certFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('openssl', ['x509', '-in', certFile, '-noout', '-serial'], (error, stdout) => {
      if (error !== null) reject(error);
      else resolve(stdout.trim().replace(/^serial=/, '').toUpperCase().replace(/^0+/, ''));
    });
  });
}

describe('client TLS against a 3-node cluster', { skip: missingOpenssl ?? false }, () => {
  let cluster: TestCluster;
  let certs: DevCertFiles;
  /** n1's certificate files: copies, replaced on disk by the reload test. */
  let n1Files: { cert: string; key: string };
  let leader: string;
  let follower: string;
  const clients: Redis[] = [];

  const tlsPort = (id: string): number => cluster.node(id).tlsPort ?? 0;

  function ioredis(id: string, withCertificate = true): Redis {
    const context = secureContext(certs, 'client');
    const client = new Redis({
      host: '127.0.0.1',
      port: tlsPort(id),
      tls: withCertificate ? context : { ca: context.ca },
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
      commandTimeout: 10_000,
    });
    client.on('error', () => {});
    clients.push(client);
    return client;
  }

  before(async () => {
    certs = (await testCerts()).cluster;
    const own = join((await testCerts()).dir, 'n1-reloadable');
    mkdirSync(own, { recursive: true });
    n1Files = { cert: join(own, 'n1.crt'), key: join(own, 'n1.key') };
    copyFileSync(certs.node('n1').cert, n1Files.cert);
    copyFileSync(certs.node('n1').key, n1Files.key);
    cluster = await TestCluster.start({
      nodes: 3,
      tls: { certs, clients: 'only', peers: true },
      nodeArgs: (id) => (id === 'n1' ? ['--tls-cert-file', n1Files.cert, '--tls-key-file', n1Files.key] : []),
    });
    leader = await cluster.waitForLeader();
    follower = cluster.nodes.map((n) => n.id).find((id) => id !== leader) ?? '';
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    await cluster?.stop();
  });

  it('serves ioredis over TLS on every node, writes on followers forwarded over peer TLS', async () => {
    for (const node of cluster.nodes) {
      const client = ioredis(node.id);
      await client.connect();
      assert.equal(await client.set(`ioredis:${node.id}`, node.id), 'OK');
    }
    for (const node of cluster.nodes) {
      const client = ioredis(node.id);
      await client.connect();
      assert.deepEqual(await client.mget('ioredis:n1', 'ioredis:n2', 'ioredis:n3'), ['n1', 'n2', 'n3']);
    }
  });

  it('has no plain TCP listener (--listen port 0)', async () => {
    const refused = await new Promise<string>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port: cluster.node(follower).port });
      socket.on('connect', () => { socket.destroy(); resolve('connected'); });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    assert.equal(refused, 'ECONNREFUSED');
  });

  it('refuses a TLS client without a certificate (tls-auth-clients yes)', async () => {
    const client = ioredis(follower, false);
    await assert.rejects(async () => {
      await client.connect();
      await client.ping();
    });
  });

  it('serves node-redis over TLS', async () => {
    const context = secureContext(certs, 'client');
    const client = createClient({ socket: { host: '127.0.0.1', port: tlsPort(follower), tls: true, ca: context.ca, cert: context.cert, key: context.key, reconnectStrategy: false } });
    client.on('error', () => {});
    await client.connect();
    try {
      assert.equal(await client.set('node-redis', 'tls'), 'OK');
      assert.equal(await client.get('node-redis'), 'tls');
    } finally {
      await client.disconnect();
    }
  });

  it('serves redis-cli --tls, and redis-cli without a client certificate is refused', { skip: missingTool('redis-cli') ?? false }, async () => {
    const tls = ['--tls', '--cacert', certs.caCert, '--cert', certs.client.cert, '--key', certs.client.key];
    const set = await redisCli(['-p', String(tlsPort(follower)), ...tls, 'SET', 'cli', 'over tls']);
    assert.equal(set.stdout.trim(), 'OK', set.stderr);
    const get = await redisCli(['-p', String(tlsPort(leader)), ...tls, 'GET', 'cli']);
    assert.equal(get.stdout.trim(), 'over tls');
    const anonymous = await redisCli(['-p', String(tlsPort(follower)), '--tls', '--cacert', certs.caCert, 'PING']);
    assert.doesNotMatch(anonymous.stdout, /PONG/);
  });

  it('reloads its certificate on SIGHUP, keeps the old one when a file is bad, and keeps serving', async () => {
    const ca = readFileSync(certs.caCert);
    const n1 = cluster.node('n1');
    assert.equal(await servedSerial(tlsPort('n1'), ca), await serialOf(certs.node('n1').cert));
    // A second certificate for n1 from the same CA.
    const second = join((await testCerts()).dir, 'n1-second');
    mkdirSync(second, { recursive: true });
    copyFileSync(certs.caCert, join(second, 'ca.crt'));
    copyFileSync(certs.caKey, join(second, 'ca.key'));
    const renewed = await makeDevCerts({ dir: second, nodes: ['n1'] });
    const renewedSerial = await serialOf(renewed.node('n1').cert);

    const logBefore = readFileSync(n1.logPath, 'utf8').length;
    writeFileSync(n1Files.cert, 'not a certificate\n');
    n1.process?.kill('SIGHUP');
    await waitFor('the failed reload to be logged', () => /TLS reload failed; the certificates in use stay/.test(readFileSync(n1.logPath, 'utf8').slice(logBefore)));
    assert.equal(await servedSerial(tlsPort('n1'), ca), await serialOf(certs.node('n1').cert), 'the old certificate stays');

    copyFileSync(renewed.node('n1').cert, n1Files.cert);
    copyFileSync(renewed.node('n1').key, n1Files.key);
    n1.process?.kill('SIGHUP');
    await waitFor('n1 to present its new certificate', async () => (await servedSerial(tlsPort('n1'), ca)) === renewedSerial);
    // The log line is written asynchronously (and piped to the file): wait for it too.
    await waitFor('the reload to be logged', () => /TLS certificates reloaded/.test(readFileSync(n1.logPath, 'utf8').slice(logBefore)));
    const client = ioredis('n1');
    await client.connect();
    assert.equal(await client.set('after-reload', '1'), 'OK');
    await cluster.waitForEqualDigests(['n1', 'n2', 'n3']);
    assert.deepEqual(cluster.crashes(), []);
  });
});
