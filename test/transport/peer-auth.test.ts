// Peer authentication on loopback: the cluster secret's challenge-response (right, wrong
// and missing secrets on either side, stray processes on both ends of a connection, the
// secret never on the wire), and mutual TLS (certificates of the cluster CA naming the
// member id; another CA's, another member's, or none refused), each refusal logged with
// its reason, and a cluster that keeps working meanwhile.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { MessageType, logIndex, nodeId, term } from '../../src/raft/types.js';
import type { Message } from '../../src/raft/types.js';
import {
  AUTH_MAC_BYTES,
  AUTH_NONCE_BYTES,
  AuthMethod,
  FrameKind,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_AUTH,
  decodeAuthChallenge,
  decodeHandshakeReply,
  encodeAuthChallengeFrame,
  encodeAuthProofFrame,
  encodeHandshakeFrame,
  encodeHandshakeReplyFrame,
} from '../../src/transport/frame.js';
import { FrameDecoder } from '../../src/transport/frame-decoder.js';
import { handshakeProof } from '../../src/transport/peer-handshake.js';
import { PeerTransport } from '../../src/transport/peer-transport.js';
import { missingOpenssl, secureContext, testCerts } from '../support/tls.js';
import { startCluster, startNode, stopAll, waitFor, type TestNode } from './helpers.js';

const SECRET = Buffer.from('correct horse battery staple');
const OTHER_SECRET = Buffer.from('incorrect horse battery staple');

const heartbeat = (from: string, to: string, readRound: number): Message => ({
  type: MessageType.Heartbeat, from: nodeId(from), to: nodeId(to), term: term(1), commit: logIndex(0), readRound,
});

/** Sends heartbeats from `a` to `b` until one arrives. */
async function deliver(a: TestNode, b: TestNode, what: string): Promise<void> {
  let round = 0;
  await waitFor(() => {
    a.transport.send(heartbeat(a.id, b.id, round++));
    return b.received.some((m) => m.from === a.id);
  }, what);
}

/** Sends until the dialer reports the refusal it expects, and checks nothing arrived meanwhile. */
async function refusedWith(a: TestNode, b: TestNode, dialerError: RegExp): Promise<void> {
  let round = 0;
  await waitFor(() => {
    a.transport.send(heartbeat(a.id, b.id, round++));
    return dialerError.test(a.transport.stats().get(b.id)?.lastError ?? '');
  }, `dialer error ${dialerError}`);
  assert.equal(b.received.filter((m) => m.from === a.id).length, 0, 'nothing from a refused peer is delivered');
  assert.equal(a.transport.stats().get(b.id)?.connected, false);
}

function logged(node: TestNode, level: string, pattern: RegExp): boolean {
  return node.logs.some((l) => l.level === level && pattern.test(l.msg));
}

/** A raw connection that collects the frames it receives. */
function rawPeer(port: number): { socket: Socket; frames: { kind: number; payload: Buffer }[]; closed: Promise<void> } {
  const socket = createConnection({ host: '127.0.0.1', port });
  const frames: { kind: number; payload: Buffer }[] = [];
  const decoder = new FrameDecoder(1 << 20);
  socket.on('data', (chunk: Buffer) => decoder.push(chunk, (kind, payload) => frames.push({ kind, payload: Buffer.from(payload) })));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, frames, closed };
}

describe('cluster secret', () => {
  it('connects peers that hold the same secret, both ways, and carries every frame kind', async () => {
    const nodes = await startCluster(['n1', 'n2'], { clusterSecret: SECRET });
    const [a, b] = nodes;
    assert.ok(a && b);
    try {
      await deliver(a, b, 'n1 → n2');
      await deliver(b, a, 'n2 → n1');
      b.transport.onRequest = async (from, payload) => Buffer.from(`${from}:${Buffer.from(payload).toString()}`);
      assert.equal(Buffer.from(await a.transport.request(b.id, Buffer.from('ping'), 2000)).toString(), 'n1:ping');
    } finally {
      await stopAll(nodes);
    }
  });

  it('refuses a peer with another secret, and both sides say why', async () => {
    const a = await startNode('n1', { clusterSecret: OTHER_SECRET });
    const b = await startNode('n2', { clusterSecret: SECRET });
    try {
      a.transport.setPeer(b.id, b.transport.address());
      await refusedWith(a, b, /peer refused: peer n2 failed the cluster-secret challenge/);
      assert.ok(logged(a, 'error', /refusing peer n2 at 127\.0\.0\.1:\d+: peer n2 failed the cluster-secret challenge \(it has a different cluster secret\)/));
      // The other way round the dialer proves n2 first, and n2 refuses the wrong proof.
      b.transport.setPeer(a.id, a.transport.address());
      await refusedWith(b, a, /peer refused: peer n1 failed the cluster-secret challenge/);
    } finally {
      await stopAll([a, b]);
    }
  });

  it('refuses a dialer without the secret, and an acceptor without it refuses a dialer with one', async () => {
    const withSecret = await startNode('n1', { clusterSecret: SECRET });
    const without = await startNode('n2');
    try {
      without.transport.setPeer(withSecret.id, withSecret.transport.address());
      await refusedWith(without, withSecret, /handshake refused: peer 127\.0\.0\.1:\d+ \(n2\) did not offer the cluster secret \(it has none configured\); this node requires it/);
      assert.ok(logged(withSecret, 'warn', /\(n2\) did not offer the cluster secret/));
      withSecret.transport.setPeer(without.id, without.transport.address());
      await refusedWith(withSecret, without, /handshake refused: peer 127\.0\.0\.1:\d+ \(n1\) offers a cluster secret, but this node has none configured/);
      assert.ok(logged(without, 'warn', /\(n1\) offers a cluster secret, but this node has none configured/));
    } finally {
      await stopAll([withSecret, without]);
    }
  });

  it('refuses a stray process that answers the challenge wrongly, and keeps serving its peers', async () => {
    const nodes = await startCluster(['n1', 'n2'], { clusterSecret: SECRET });
    const [a, b] = nodes;
    assert.ok(a && b);
    try {
      // A version-1 hello, as any node without a secret (or an older one) sends.
      const old = rawPeer(b.transport.address().port);
      old.socket.write(encodeHandshakeFrame({ version: PROTOCOL_VERSION, clusterId: 'test-cluster', fromNodeId: 'n1', toNodeId: 'n2', incarnation: '' }));
      await old.closed;
      assert.equal(old.frames[0]?.kind, FrameKind.HandshakeReply);
      const reply = decodeHandshakeReply(old.frames[0]?.payload ?? Buffer.alloc(0));
      assert.ok(reply.ok && !reply.value.ok && /did not offer the cluster secret/.test(reply.value.reason));

      // A version-2 hello, then a made-up proof; then Raft frames it hopes get through.
      const stray = rawPeer(b.transport.address().port);
      stray.socket.write(encodeHandshakeFrame({ version: PROTOCOL_VERSION_AUTH, clusterId: 'test-cluster', fromNodeId: 'n1', toNodeId: 'n2', incarnation: '', auth: { method: AuthMethod.HmacSha256, nonce: new Uint8Array(AUTH_NONCE_BYTES) } }));
      await waitFor(() => stray.frames.length === 1, 'the challenge');
      assert.equal(stray.frames[0]?.kind, FrameKind.AuthChallenge);
      stray.socket.write(encodeAuthProofFrame(new Uint8Array(AUTH_MAC_BYTES).fill(7)));
      stray.socket.write(encodeHandshakeFrame({ version: PROTOCOL_VERSION, clusterId: 'x', fromNodeId: 'n1', toNodeId: 'n2', incarnation: '' }));
      await stray.closed;
      assert.equal(stray.frames[1]?.kind, FrameKind.HandshakeReply);
      assert.ok(logged(b, 'warn', /^peer 127\.0\.0\.1:\d+ \(n1\) failed the cluster-secret challenge/));
      assert.equal(b.received.length, 0);

      // A proof replayed from a real exchange does not fit a fresh challenge.
      await deliver(a, b, 'the real n1 still gets through');
    } finally {
      await stopAll(nodes);
    }
  });

  it('never puts the secret on the wire, and checks the acceptor before proving itself', async () => {
    // A stray acceptor: records what the dialer sends, answers its hello with a made-up challenge.
    const received: Buffer[] = [];
    const fake = createServer((socket) => {
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        if (received.length === 1) socket.write(encodeAuthChallengeFrame({ nonce: new Uint8Array(AUTH_NONCE_BYTES), mac: new Uint8Array(AUTH_MAC_BYTES) }));
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const a = await startNode('n1', { clusterSecret: SECRET });
    try {
      a.transport.setPeer(nodeId('n2'), { host: '127.0.0.1', port: (fake.address() as AddressInfo).port });
      a.transport.send(heartbeat('n1', 'n2', 1));
      await waitFor(() => /peer n2 failed the cluster-secret challenge/.test(a.transport.stats().get(nodeId('n2'))?.lastError ?? ''), 'the dialer refuses the fake acceptor');
      const wire = Buffer.concat(received);
      assert.equal(wire.indexOf(SECRET), -1, 'the secret is not on the wire');
      assert.equal(wire[4], FrameKind.Handshake);
      assert.equal(wire.length, wire.readUInt32LE(0) + 5, 'the dialer sent its hello and no proof');
    } finally {
      await a.transport.stop();
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    }
  });

  it('refuses, as the dialer, an acceptor that accepts without proving the secret', async () => {
    const fake = createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.write(encodeHandshakeReplyFrame({ ok: true, reason: '', incarnation: '' })));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const a = await startNode('n1', { clusterSecret: SECRET });
    try {
      a.transport.setPeer(nodeId('n2'), { host: '127.0.0.1', port: (fake.address() as AddressInfo).port });
      a.transport.send(heartbeat('n1', 'n2', 1));
      await waitFor(() => /accepted us without proving the cluster secret/.test(a.transport.stats().get(nodeId('n2'))?.lastError ?? ''), 'the dialer refuses');
      assert.ok(logged(a, 'error', /refusing peer n2 .*accepted us without proving the cluster secret/));
    } finally {
      await a.transport.stop();
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    }
  });

  it('answers a correct proof from a raw dialer: the proofs are HMAC-SHA256 over the hello and the acceptor nonce', async () => {
    const b = await startNode('n2', { clusterSecret: SECRET });
    try {
      const raw = rawPeer(b.transport.address().port);
      const helloFrame = encodeHandshakeFrame({ version: PROTOCOL_VERSION_AUTH, clusterId: 'test-cluster', fromNodeId: 'n1', toNodeId: 'n2', incarnation: 'i', auth: { method: AuthMethod.HmacSha256, nonce: new Uint8Array(AUTH_NONCE_BYTES).fill(1) } });
      raw.socket.write(helloFrame);
      await waitFor(() => raw.frames.length === 1, 'the challenge');
      const challenge = decodeAuthChallenge(raw.frames[0]?.payload ?? Buffer.alloc(0));
      assert.ok(challenge.ok);
      const hello = helloFrame.subarray(5);
      assert.deepStrictEqual(Buffer.from(challenge.value.mac), handshakeProof(SECRET, 'acceptor', hello, challenge.value.nonce));
      raw.socket.write(encodeAuthProofFrame(handshakeProof(SECRET, 'dialer', hello, challenge.value.nonce)));
      await waitFor(() => raw.frames.length === 2, 'the reply');
      const reply = decodeHandshakeReply(raw.frames[1]?.payload ?? Buffer.alloc(0));
      assert.ok(reply.ok && reply.value.ok);
      raw.socket.destroy();
    } finally {
      await b.transport.stop();
    }
  });

  it('validates the secret eagerly', () => {
    const base = { nodeId: nodeId('n1'), clusterId: 'c', listen: { host: '127.0.0.1', port: 0 }, peers: new Map() };
    assert.throws(() => new PeerTransport({ ...base, clusterSecret: Buffer.from('short') }), /invalid clusterSecret: 5 bytes, must be 16 to 4096/);
  });
});

describe('peer TLS', { skip: missingOpenssl ?? false }, () => {
  it('connects peers with certificates of the cluster CA, and carries messages, requests and snapshots', async () => {
    const { cluster } = await testCerts();
    const a = await startNode('n1', { tls: { context: secureContext(cluster, 'n1') } });
    const b = await startNode('n2', { tls: { context: secureContext(cluster, 'n2') } });
    try {
      a.transport.setPeer(b.id, b.transport.address());
      b.transport.setPeer(a.id, a.transport.address());
      await deliver(a, b, 'n1 → n2 over TLS');
      await deliver(b, a, 'n2 → n1 over TLS');
      b.transport.onRequest = async (_from, payload) => payload;
      assert.equal(Buffer.from(await a.transport.request(b.id, Buffer.from('echo'), 2000)).toString(), 'echo');
      let snapshotBytes = 0;
      b.transport.onSnapshot = (_from, _meta, stream) => {
        void (async () => {
          for await (const chunk of stream) snapshotBytes += chunk.byteLength;
        })();
      };
      let left = 3;
      await a.transport.sendSnapshot(b.id, Buffer.from('meta'), { read: async () => (left-- > 0 ? new Uint8Array(100_000) : null) });
      assert.equal(snapshotBytes, 300_000);
    } finally {
      await stopAll([a, b]);
    }
  });

  it('refuses a peer whose certificate another CA signed, and both sides say why', async () => {
    const { cluster, stranger } = await testCerts();
    const b = await startNode('n2', { tls: { context: secureContext(cluster, 'n2') } });
    // The stranger trusts our CA, so only the acceptor's check stops it.
    const a = await startNode('n1', { tls: { context: { ...secureContext(stranger, 'n1'), ca: secureContext(cluster, 'n1').ca } } });
    try {
      a.transport.setPeer(b.id, b.transport.address());
      await refusedWith(a, b, /handshake refused: peer 127\.0\.0\.1:\d+ presented a certificate not signed by the cluster CA/);
      assert.ok(logged(b, 'warn', /^peer 127\.0\.0\.1:\d+ presented a certificate not signed by the cluster CA \(.+; subject n1, localhost\)/));
      // As the dialer, our node refuses the stranger's certificate before saying anything.
      b.transport.setPeer(a.id, a.transport.address());
      await refusedWith(b, a, /peer refused: peer n1 at 127\.0\.0\.1:\d+ presented a certificate not signed by the cluster CA/);
      assert.ok(logged(b, 'error', /refusing peer n1 at 127\.0\.0\.1:\d+ presented a certificate not signed by the cluster CA/));
    } finally {
      await stopAll([a, b]);
    }
  });

  it('refuses a peer whose certificate names another member, both ways', async () => {
    const { cluster } = await testCerts();
    const b = await startNode('n2', { tls: { context: secureContext(cluster, 'n2') } });
    // A node that holds n3's certificate and claims to be n1.
    const a = await startNode('n1', { tls: { context: secureContext(cluster, 'n3') } });
    try {
      a.transport.setPeer(b.id, b.transport.address());
      await refusedWith(a, b, /handshake refused: peer 127\.0\.0\.1:\d+ speaks for member n1, but its certificate names n3, localhost/);
      assert.ok(logged(b, 'warn', /speaks for member n1, but its certificate names n3, localhost \(its CN or a DNS name must be the member id\)/));
      b.transport.setPeer(a.id, a.transport.address());
      await refusedWith(b, a, /peer refused: peer n1 at 127\.0\.0\.1:\d+ speaks for member n1, but its certificate names n3/);
    } finally {
      await stopAll([a, b]);
    }
  });

  it('refuses a dialer with no certificate, and logs a plain-TCP dialer', async () => {
    const { cluster } = await testCerts();
    const b = await startNode('n2', { tls: { context: secureContext(cluster, 'n2') } });
    try {
      const { port } = b.transport.address();
      const anonymous = tlsConnect({ host: '127.0.0.1', port, ca: secureContext(cluster, 'n2').ca, rejectUnauthorized: false });
      anonymous.on('error', () => {}).resume();
      await new Promise<void>((resolve) => anonymous.on('close', () => resolve()));
      await waitFor(() => logged(b, 'warn', /^peer 127\.0\.0\.1:\d+ presented no TLS certificate; every peer must present one signed by the cluster CA/), 'refusal logged');
      const plain = await startNode('n1');
      try {
        plain.transport.setPeer(b.id, { host: '127.0.0.1', port });
        plain.transport.send(heartbeat('n1', 'n2', 1));
        await waitFor(() => logged(b, 'warn', /TLS handshake with peer 127\.0\.0\.1:\d+ failed: wrong version number \(peers must use TLS/), 'TLS failure logged');
        assert.equal(b.received.length, 0);
      } finally {
        await plain.transport.stop();
      }
    } finally {
      await b.transport.stop();
    }
  });

  it('combines TLS with the cluster secret, and takes new certificates without a restart', async () => {
    const { cluster, stranger } = await testCerts();
    const b = await startNode('n2', { tls: { context: secureContext(cluster, 'n2') }, clusterSecret: SECRET });
    const a = await startNode('n1', { tls: { context: secureContext(cluster, 'n1') }, clusterSecret: SECRET });
    // n3 holds a certificate of the stranger CA and trusts both CAs.
    const c = await startNode('n3', { tls: { context: { ...secureContext(stranger, 'n3'), ca: [secureContext(cluster, 'n3').ca, secureContext(stranger, 'n3').ca] } }, clusterSecret: SECRET });
    try {
      a.transport.setPeer(b.id, b.transport.address());
      await deliver(a, b, 'TLS and secret together');
      // n2 moves to the stranger CA: n3, whose certificate that CA signed, is accepted from now on.
      c.transport.setPeer(b.id, b.transport.address());
      await refusedWith(c, b, /not signed by the cluster CA/);
      b.transport.setTls({ context: secureContext(stranger, 'n2') });
      await deliver(c, b, 'n3 accepted after the CA changed');
    } finally {
      await stopAll([a, b, c]);
    }
  });
});
