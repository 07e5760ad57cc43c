// `raftis dev-certs` as a developer runs it: a CA and node and client certificates that
// openssl verifies, the node id as CN and first DNS name with the --host names after it,
// existing files kept on a second run (a new node gets a certificate of the same CA), and
// bad arguments refused with exit code 64.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { missingOpenssl } from '../support/tls.js';

const MAIN = resolve('dist/src/cli/main.js');

function raftis(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolveRun({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

describe('raftis dev-certs', { skip: missingOpenssl ?? false }, () => {
  let dir: string;

  before(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'raftis-dev-certs-')), 'tls');
  });

  after(() => {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('makes a CA, node certificates naming the id and the hosts, and a client certificate', async () => {
    const run = await raftis(['dev-certs', '--dir', dir, '--host', 'db1.example.com', '--host', '10.0.0.7', 'n1', 'n2']);
    assert.equal(run.code, 0, run.stderr);
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.crt')));
    assert.equal(ca.ca, true);
    const n1 = new X509Certificate(readFileSync(join(dir, 'n1.crt')));
    assert.equal(n1.subject, 'CN=n1');
    assert.equal(n1.subjectAltName, 'DNS:n1, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:db1.example.com, IP Address:10.0.0.7');
    assert.ok(n1.verify(ca.publicKey), 'the CA signed n1');
    assert.deepEqual(n1.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2'], 'serverAuth and clientAuth');
    const client = new X509Certificate(readFileSync(join(dir, 'client.crt')));
    assert.ok(client.verify(ca.publicKey));
    assert.equal(statSync(join(dir, 'n1.key')).mode & 0o777, 0o600, 'keys are private');
    assert.equal(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600);
  });

  it('keeps what exists, and signs a new node with the same CA', async () => {
    const before = readFileSync(join(dir, 'n1.crt'), 'utf8');
    const run = await raftis(['dev-certs', '--dir', dir, 'n1', 'n3']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /created .*n3\.crt/);
    assert.doesNotMatch(run.stdout, /n1\.crt/);
    assert.equal(readFileSync(join(dir, 'n1.crt'), 'utf8'), before);
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.crt')));
    assert.ok(new X509Certificate(readFileSync(join(dir, 'n3.crt'))).verify(ca.publicKey));
  });

  it('refuses bad arguments with exit code 64', async () => {
    for (const args of [[], ['bad id!'], ['client'], ['--days', '0', 'n1'], ['--nope', 'x', 'n1']]) {
      const run = await raftis(['dev-certs', '--dir', dir, ...args]);
      assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^raftis dev-certs: /);
    }
  });
});
