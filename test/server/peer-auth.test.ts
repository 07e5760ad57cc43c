// Authenticated peers with real node processes: a node restarted with a wrong cluster
// secret, with none, with a certificate of another CA or with another member's certificate
// is refused by the others, each side logging why, while the rest of the cluster keeps
// serving; back with the right credentials it catches up. A node joins a TLS cluster
// (its --join request over TLS, then the peer channel).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { missingOpenssl, testCerts, type TestCerts } from '../support/tls.js';
import { waitFor } from '../support/wait.js';

const REFUSAL_TIMEOUT_MS = 20_000;

function logOf(cluster: TestCluster, id: string): string {
  try {
    return readFileSync(cluster.node(id).logPath, 'utf8');
  } catch {
    return '';
  }
}

/** Waits until `id`'s log, past `from` bytes, has a line matching `pattern`; returns that line. */
async function logLine(cluster: TestCluster, id: string, from: number, pattern: RegExp): Promise<string> {
  return waitFor(`${id} to log ${pattern}`, () => logOf(cluster, id).slice(from).split('\n').find((line) => pattern.test(line)) ?? null, { timeoutMs: REFUSAL_TIMEOUT_MS, intervalMs: 100 });
}

/** Waits until the log of one of `ids`, past its mark, has a line matching `pattern`. */
async function logLineOfAny(cluster: TestCluster, marks: Readonly<Record<string, number>>, pattern: RegExp): Promise<string> {
  return waitFor(`${Object.keys(marks).join(' or ')} to log ${pattern}`, () => {
    for (const [id, from] of Object.entries(marks)) {
      const line = logOf(cluster, id).slice(from).split('\n').find((l) => pattern.test(l));
      if (line !== undefined) return line;
    }
    return null;
  }, { timeoutMs: REFUSAL_TIMEOUT_MS, intervalMs: 100 });
}

/** Writes go on through the two nodes that still trust each other. */
async function writesGoOn(cluster: TestCluster, key: string): Promise<void> {
  const leader = await cluster.waitForLeaderAmong(['n1', 'n2']);
  assert.equal(await cluster.call(leader, ['SET', key, 'v']), 'OK');
  assert.equal(await cluster.call(leader === 'n1' ? 'n2' : 'n1', ['GET', key]), 'v');
}

/** What n3 holds locally (a stale read): it must not have received `key` while refused. */
async function staleGet(cluster: TestCluster, key: string): Promise<unknown> {
  const client = cluster.client('n3');
  await client.call('RAFT.CONSISTENCY', 'stale');
  const value = await client.get(key);
  client.disconnect();
  return value;
}

describe('cluster secret between real nodes', () => {
  let cluster: TestCluster;
  let secretFile: string;
  let wrongFile: string;
  /** n3's secret settings for its next start. */
  let n3Secret: 'right' | 'wrong' | 'none' = 'right';

  let secrets: string;

  before(async () => {
    secrets = mkdtempSync(join(tmpdir(), 'raftis-secrets-'));
    secretFile = join(secrets, 'secret');
    wrongFile = join(secrets, 'wrong-secret');
    writeFileSync(secretFile, 'a0f7c1d2e3b4a5968778695a4b3c2d1e\n', { mode: 0o600 });
    writeFileSync(wrongFile, 'ffffffffffffffffffffffffffffffff\n', { mode: 0o600 });
    cluster = await TestCluster.start({
      nodes: 3,
      nodeArgs: (id) => {
        if (id === 'n3' && n3Secret === 'none') return [];
        return ['--cluster-secret-file', id === 'n3' && n3Secret === 'wrong' ? wrongFile : secretFile];
      },
    });
    await cluster.waitForLeader();
  });

  after(async () => {
    await cluster?.stop();
    rmSync(secrets, { recursive: true, force: true });
  });

  it('refuses a node with a wrong secret, both ways, and the others keep serving', async () => {
    assert.equal(await cluster.call('n1', ['SET', 'before', '1']), 'OK');
    await cluster.waitForEqualDigests(['n1', 'n2', 'n3']);
    const marks = { n1: logOf(cluster, 'n1').length, n2: logOf(cluster, 'n2').length, n3: logOf(cluster, 'n3').length };
    n3Secret = 'wrong';
    await cluster.restart('n3');
    // Each dialer checks the acceptor's proof first: n3 refuses n1's and n2's (it dials both
    // to campaign), the leader n3's (it dials n3 to replicate), and an acceptor whose
    // challenge goes unanswered says so.
    await logLine(cluster, 'n3', marks.n3, /refusing peer n1 at 127\.0\.0\.1:\d+: peer n1 failed the cluster-secret challenge \(it has a different cluster secret\)/);
    await logLine(cluster, 'n3', marks.n3, /refusing peer n2 at 127\.0\.0\.1:\d+: peer n2 failed the cluster-secret challenge/);
    const dialer = await logLineOfAny(cluster, { n1: marks.n1, n2: marks.n2 }, /refusing peer n3 at 127\.0\.0\.1:\d+: peer n3 failed the cluster-secret challenge/);
    assert.match(dialer, /"level":50/);
    await logLineOfAny(cluster, { n1: marks.n1, n2: marks.n2 }, /\(n3\) hung up instead of answering the cluster-secret challenge/);
    await writesGoOn(cluster, 'during-wrong-secret');
    assert.equal(await staleGet(cluster, 'during-wrong-secret'), null, 'the refused node received nothing');
  });

  it('refuses a node without the secret, with a line saying so', async () => {
    const marks = { n1: logOf(cluster, 'n1').length, n2: logOf(cluster, 'n2').length };
    const markN3 = logOf(cluster, 'n3').length;
    n3Secret = 'none';
    await cluster.restart('n3');
    await logLineOfAny(cluster, marks, /\(n3\) did not offer the cluster secret \(it has none configured\); this node requires it/);
    await logLine(cluster, 'n3', markN3, /refused our handshake: .*did not offer the cluster secret/);
    await writesGoOn(cluster, 'during-no-secret');
    assert.equal(await staleGet(cluster, 'during-no-secret'), null);
  });

  it('takes the node back once it has the right secret, and it catches up', async () => {
    n3Secret = 'right';
    await cluster.restart('n3');
    await cluster.waitForEqualDigests(['n1', 'n2', 'n3']);
    assert.equal(await staleGet(cluster, 'during-no-secret'), 'v');
    assert.deepEqual(cluster.crashes(), []);
  });
});

describe('peer TLS between real nodes', { skip: missingOpenssl ?? false }, () => {
  let cluster: TestCluster;
  let certs: TestCerts;
  /** n3's certificate for its next start: its own, another CA's n3, or n1's. */
  let n3Cert: 'own' | 'stranger' | 'n1' = 'own';

  before(async () => {
    certs = await testCerts();
    cluster = await TestCluster.start({
      nodes: 3,
      tls: { certs: certs.cluster, clients: 'both', peers: true },
      nodeArgs: (id) => {
        if (id !== 'n3' || n3Cert === 'own') return [];
        const files = n3Cert === 'stranger' ? certs.stranger.node('n3') : certs.cluster.node('n1');
        return ['--tls-cert-file', files.cert, '--tls-key-file', files.key];
      },
    });
    await cluster.waitForLeader();
  });

  after(async () => {
    await cluster?.stop();
  });

  it('refuses a node whose certificate another CA signed, and the others keep serving', async () => {
    assert.equal(await cluster.call('n1', ['SET', 'tls-before', '1']), 'OK');
    await cluster.waitForEqualDigests(['n1', 'n2', 'n3']);
    const mark = logOf(cluster, 'n1').length;
    const markN3 = logOf(cluster, 'n3').length;
    n3Cert = 'stranger';
    await cluster.restart('n3');
    await logLine(cluster, 'n1', mark, /peer 127\.0\.0\.1:\d+ presented a certificate not signed by the cluster CA/);
    // n3 trusts the cluster CA, so it accepts n1's certificate and hears n1's refusal.
    await logLine(cluster, 'n3', markN3, /refused our handshake: peer 127\.0\.0\.1:\d+ presented a certificate not signed by the cluster CA/);
    await writesGoOn(cluster, 'during-stranger');
    assert.equal(await staleGet(cluster, 'during-stranger'), null);
  });

  it('refuses a node presenting another member\'s certificate', async () => {
    const mark = logOf(cluster, 'n2').length;
    n3Cert = 'n1';
    await cluster.restart('n3');
    await logLine(cluster, 'n2', mark, /speaks for member n3, but its certificate names n1, localhost, 127\.0\.0\.1|speaks for member n3, but its certificate names n1, localhost \(its CN or a DNS name must be the member id\)/);
    await writesGoOn(cluster, 'during-impostor');
    assert.equal(await staleGet(cluster, 'during-impostor'), null);
  });

  it('takes the node back with its own certificate, and a new node joins over TLS', async () => {
    n3Cert = 'own';
    await cluster.restart('n3');
    await cluster.waitForEqualDigests(['n1', 'n2', 'n3']);
    await cluster.addNode('n4', 'n1');
    await waitFor('n4 to be a member that has the data', async () => (await cluster.call('n4', ['GET', 'during-impostor'])) === 'v', { timeoutMs: 30_000 });
    await cluster.waitForEqualDigests(['n1', 'n2', 'n3', 'n4']);
    assert.deepEqual(cluster.crashes(), []);
  });
});
