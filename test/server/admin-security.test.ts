// Admin HTTP with its protections on a real node: HTTPS with the node's certificate
// (--admin-tls), a bearer token (--admin-token-file) required for /status and /metrics,
// /health and the dashboard page open, and a clear 401 otherwise.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { missingOpenssl, testCerts } from '../support/tls.js';

const TOKEN = 'b7e1c2d3a4f5061728394a5b6c7d8e9f';

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function httpsGet(port: number, path: string, ca: Buffer, token: string | null): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, headers: token === null ? {} : { authorization: `Bearer ${token}` } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admin HTTP over TLS with a bearer token', { skip: missingOpenssl ?? false }, () => {
  let cluster: TestCluster;
  let secrets: string;
  let ca: Buffer;
  let port: number;

  before(async () => {
    const { cluster: certs } = await testCerts();
    ca = readFileSync(certs.caCert);
    secrets = mkdtempSync(join(tmpdir(), 'raftis-admin-'));
    const tokenFile = join(secrets, 'admin-token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    cluster = await TestCluster.start({ nodes: 1, adminHttp: true, tls: { certs, peers: false }, args: ['--admin-tls', '--admin-token-file', tokenFile] });
    await cluster.waitForLeader();
    port = cluster.node('n1').adminPort ?? 0;
  });

  after(async () => {
    await cluster?.stop();
    rmSync(secrets, { recursive: true, force: true });
  });

  it('answers /status and /metrics only with the token', async () => {
    for (const path of ['/status', '/metrics']) {
      const anonymous = await httpsGet(port, path, ca, null);
      assert.equal(anonymous.status, 401, path);
      assert.equal(anonymous.headers['www-authenticate'], 'Bearer realm="raftis admin"');
      assert.match(anonymous.body, /send the admin token as "Authorization: Bearer TOKEN"/);
      assert.equal((await httpsGet(port, path, ca, `${TOKEN}x`)).status, 401, `${path} with a wrong token`);
      assert.equal((await httpsGet(port, path, ca, TOKEN)).status, 200, `${path} with the token`);
    }
    const status = JSON.parse((await httpsGet(port, '/status', ca, TOKEN)).body) as { node: string; role: string };
    assert.deepEqual([status.node, status.role], ['n1', 'leader']);
  });

  it('leaves /health and the dashboard page and assets open; the page sends the token from its URL fragment for its data', async () => {
    const health = await httpsGet(port, '/health', ca, null);
    assert.deepEqual([health.status, health.body.trim()], [200, '{"ok":true}']);
    const page = await httpsGet(port, '/', ca, null);
    assert.equal(page.status, 200);
    assert.match(page.body, /src="assets\/dashboard\.js"/);
    // The page's script (an asset, open like the page) reads the token from the fragment and sends it with its data requests.
    const script = await httpsGet(port, '/assets/dashboard.js', ca, null);
    assert.equal(script.status, 200);
    assert.match(script.body, /location\.hash/);
    assert.match(script.body, /authorization: 'Bearer ' \+ token/);
    const data = await httpsGet(port, '/dashboard.json', ca, null);
    assert.equal(data.status, 401, 'the data behind the page needs the token');
  });

  it('speaks only HTTPS, with the node certificate the CA signed', async () => {
    const plain = await new Promise<string>((resolve) => {
      const req = plainRequest({ host: '127.0.0.1', port, path: '/health' }, (response) => resolve(`HTTP ${response.statusCode ?? 0}`));
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      req.end();
    });
    assert.notEqual(plain, 'HTTP 200');
    await assert.rejects(httpsGet(port, '/health', Buffer.from(''), null), /self[- ]signed|unable to (get|verify)/i);
  });
});
