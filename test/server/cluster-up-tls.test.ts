// `raftis cluster up --tls`: a local CA and certificates made in <data-dir>/tls, clients on
// TLS only (on the usual client ports), peers over mutual TLS, admin HTTPS; the connect
// lines name the redis-cli TLS options; `raftis ctl --tls` reaches a node; on SIGTERM every
// node stops and the supervisor exits 0.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ADMIN_PORT_OFFSET, ClusterUp, MAIN, freeBasePort } from '../support/cluster-up.js';
import { missingOpenssl } from '../support/tls.js';

const NODES = 3;

function httpsStatus(port: number, path: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('raftis cluster up --tls', { skip: missingOpenssl ?? false }, () => {
  let root: string;
  let base: number;
  let run: ClusterUp;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'raftis-cluster-up-tls-'));
    base = await freeBasePort(NODES);
    run = new ClusterUp(NODES, base, join(root, 'data'), ['--log-level', 'info'], ['--tls']);
    await run.waitUp();
  });

  after(async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('serves clients over TLS only, with the certificates it made, and admin HTTPS', async () => {
    const tls = join(root, 'data', 'tls');
    const ca = readFileSync(join(tls, 'ca.crt'));
    for (let i = 0; i < NODES; i++) {
      const port = base + i;
      assert.match(run.stdout, new RegExp(`^  n${i + 1}: redis-cli --tls --cacert ${join(tls, 'ca.crt')} --cert ${join(tls, 'client.crt')} --key ${join(tls, 'client.key')} -p ${port}   dashboard https://127\\.0\\.0\\.1:${port + ADMIN_PORT_OFFSET}/$`, 'm'));
      const client = new Redis({ host: '127.0.0.1', port, tls: { ca, cert: readFileSync(join(tls, 'client.crt')), key: readFileSync(join(tls, 'client.key')) }, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => {});
      try {
        assert.equal(await client.set(`up-tls:${i}`, String(i)), 'OK');
        assert.deepEqual(await client.mget('up-tls:0', `up-tls:${i}`), ['0', String(i)]);
      } finally {
        client.disconnect();
      }
      assert.equal(await httpsStatus(port + ADMIN_PORT_OFFSET, '/health', ca), 200);
    }
    // A plain RESP client gets no reply from a TLS port.
    const plain = await new Promise<string>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port: base });
      let got = '';
      socket.on('connect', () => socket.write('PING\r\n'));
      socket.on('data', (chunk: Buffer) => { got += chunk.toString('latin1'); });
      socket.on('error', () => {});
      socket.on('close', () => resolve(got));
    });
    assert.doesNotMatch(plain, /PONG/);
    const stateFile = JSON.parse(readFileSync(join(root, 'data', 'cluster.json'), 'utf8')) as { tls?: boolean };
    assert.equal(stateFile.tls, true);
  });

  it('is reached by raftis ctl --tls', async () => {
    const tls = join(root, 'data', 'tls');
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [MAIN, 'ctl', 'leader', '--server', `127.0.0.1:${base + 1}`, '--tls', '--cacert', join(tls, 'ca.crt'), '--cert', join(tls, 'client.crt'), '--key', join(tls, 'client.key')], (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${error.message}: ${stderr}`));
        else resolve(stdout);
      });
    });
    assert.match(out.trim(), /^n\d$/);
  });

  it('stops every node on SIGTERM', async () => {
    await run.stop();
  });
});
