// End-to-end tests of PeerTransport on loopback: delivery, order, handshake checks,
// reconnects, the bounded queue, requests.
import { describe, it } from 'node:test';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import assert from 'node:assert/strict';
import { MessageType, logIndex, nodeId, term } from '../../src/raft/types.js';
import type { Message } from '../../src/raft/types.js';
import { TransportError } from '../../src/transport/errors.js';
import { FrameKind, PROTOCOL_VERSION, encodeFrame, encodeHandshakeFrame } from '../../src/transport/frame.js';
import { PeerTransport } from '../../src/transport/peer-transport.js';
import { oneOfEach } from './arbitraries.js';
import { startCluster, startNode, stopAll, unusedPort, waitFor } from './helpers.js';

const heartbeat = (from: string, to: string, readRound: number): Message => ({
  type: MessageType.Heartbeat, from: nodeId(from), to: nodeId(to), term: term(1), commit: logIndex(0), readRound,
});

describe('PeerTransport', () => {
  it('delivers every message variant intact and in order between two nodes', async () => {
    const nodes = await startCluster(['n1', 'n2']);
    const [a, b] = nodes;
    assert.ok(a && b);
    try {
      const sent: Message[] = [];
      // Some in one turn (one batch), some spread over turns.
      for (let seq = 1; seq <= 10; seq++) for (const msg of oneOfEach('n1', 'n2', seq)) sent.push(msg);
      for (const msg of sent) a.transport.send(msg);
      for (let seq = 11; seq <= 15; seq++) {
        await new Promise((resolve) => setImmediate(resolve));
        for (const msg of oneOfEach('n1', 'n2', seq)) {
          sent.push(msg);
          a.transport.send(msg);
        }
      }
      await waitFor(() => b.received.length >= sent.length, `${sent.length} messages at n2`);
      assert.deepStrictEqual(b.received, sent);
      const stats = a.transport.stats().get(nodeId('n2'));
      assert.equal(stats?.connected, true);
      assert.equal(stats?.droppedMessages, 0);
      assert.equal(b.transport.stats().get(nodeId('n1'))?.receivedFrames, sent.length);
    } finally {
      await stopAll(nodes);
    }
  });

  it('writes everything sent to a peer in one turn with one socket write', async () => {
    const nodes = await startCluster(['n1', 'n2']);
    const [a, b] = nodes;
    assert.ok(a && b);
    try {
      a.transport.send(heartbeat('n1', 'n2', 0));
      await waitFor(() => b.received.length === 1, 'connection up');
      const before = a.transport.stats().get(nodeId('n2'));
      assert.ok(before);
      for (let i = 1; i <= 50; i++) a.transport.send(heartbeat('n1', 'n2', i));
      await waitFor(() => b.received.length === 51, 'batch delivered');
      const after = a.transport.stats().get(nodeId('n2'));
      assert.equal(after?.sentFrames, before.sentFrames + 50);
      assert.equal(after?.socketWrites, before.socketWrites + 1);
    } finally {
      await stopAll(nodes);
    }
  });

  it('keeps per-sender order among three nodes all sending to each other', async () => {
    const nodes = await startCluster(['n1', 'n2', 'n3']);
    try {
      const perPair = 200;
      for (let i = 0; i < perPair; i++) {
        for (const from of nodes) for (const to of nodes) if (from !== to) from.transport.send(heartbeat(from.id, to.id, i));
        if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await waitFor(() => nodes.every((n) => n.received.length === 2 * perPair), 'all messages delivered');
      for (const receiver of nodes) {
        for (const sender of nodes) {
          if (sender === receiver) continue;
          const rounds = receiver.received.filter((m) => m.from === sender.id).map((m) => (m.type === MessageType.Heartbeat ? m.readRound : -1));
          assert.deepStrictEqual(rounds, Array.from({ length: perPair }, (_, i) => i), `order from ${sender.id} at ${receiver.id}`);
        }
      }
    } finally {
      await stopAll(nodes);
    }
  });

  it('refuses a handshake from another cluster and says so clearly', async () => {
    const a = await startNode('n1', { clusterId: 'cluster-x' });
    const b = await startNode('n2', { clusterId: 'cluster-y' });
    try {
      a.transport.setPeer(nodeId('n2'), b.transport.address());
      a.transport.send(heartbeat('n1', 'n2', 1));
      await waitFor(() => b.logs.some((l) => /claims cluster cluster-x, we are cluster-y/.test(l.msg)), 'refusal logged by the acceptor');
      await waitFor(() => /handshake refused: .*claims cluster cluster-x, we are cluster-y/.test(a.transport.stats().get(nodeId('n2'))?.lastError ?? ''), 'refusal seen by the dialer');
      assert.ok(b.logs.some((l) => l.level === 'warn' && /^peer 127\.0\.0\.1:\d+ \(n1\) claims cluster/.test(l.msg)));
      assert.ok(a.logs.some((l) => l.level === 'error' && /refused our handshake/.test(l.msg)));
      assert.equal(b.received.length, 0);
      assert.equal(a.transport.stats().get(nodeId('n2'))?.connected, false);
    } finally {
      await stopAll([a, b]);
    }
  });

  it('refuses a handshake addressed to another node id', async () => {
    const nodes = await startCluster(['n1', 'n2']);
    const [a, b] = nodes;
    assert.ok(a && b);
    try {
      // n1 believes n3 lives at n2's address.
      a.transport.setPeer(nodeId('n3'), b.transport.address());
      a.transport.send(heartbeat('n1', 'n3', 1));
      await waitFor(() => b.logs.some((l) => /\(n1\) dialed node n3, we are n2/.test(l.msg)), 'refusal logged');
      await waitFor(() => /handshake refused/.test(a.transport.stats().get(nodeId('n3'))?.lastError ?? ''), 'refusal seen by the dialer');
      assert.equal(b.received.length, 0);
    } finally {
      await stopAll(nodes);
    }
  });

  it('refuses a peer whose incarnation the owner rejects, and accepts it once the owner does', async () => {
    let known = 'first';
    const b = await startNode('n2', { verifyPeer: (id, incarnation) => (incarnation === known ? null : `${id} presents incarnation ${incarnation}, known as ${known}`) });
    const a = await startNode('n1', { incarnation: 'second' });
    try {
      a.transport.setPeer(b.id, b.transport.address());
      a.transport.send(heartbeat('n1', 'n2', 1));
      await waitFor(() => /presents incarnation second, known as first/.test(a.transport.stats().get(b.id)?.lastError ?? ''), 'refusal seen by the dialer');
      assert.equal(b.received.length, 0, 'no message from a refused incarnation is delivered');
      known = 'second';
      await waitFor(() => {
        a.transport.send(heartbeat('n1', 'n2', 2));
        return b.received.length > 0;
      }, 'delivery once the incarnation is accepted');
    } finally {
      await stopAll([a, b]);
    }
  });

  it('refuses, as the dialer, an acceptor whose incarnation the owner rejects', async () => {
    const acceptor = await startNode('n2', { incarnation: 'replaced' });
    const dialer = await startNode('n1', { verifyPeer: (id, incarnation) => (incarnation === 'original' ? null : `${id} presents ${incarnation}`) });
    try {
      dialer.transport.setPeer(acceptor.id, acceptor.transport.address());
      dialer.transport.send(heartbeat('n1', 'n2', 1));
      await waitFor(() => /n2 presents replaced/.test(dialer.transport.stats().get(acceptor.id)?.lastError ?? ''), 'refusal by the dialer');
      assert.equal(dialer.transport.stats().get(acceptor.id)?.connected, false);
      assert.equal(acceptor.received.length, 0, 'nothing is sent to a refused acceptor');
    } finally {
      await stopAll([dialer, acceptor]);
    }
  });

  it('reconnects after the peer restarts on the same port', async () => {
    const a = await startNode('n1');
    let b = await startNode('n2');
    const port = b.transport.address().port;
    try {
      a.transport.setPeer(nodeId('n2'), { host: '127.0.0.1', port });
      a.transport.send(heartbeat('n1', 'n2', 1));
      await waitFor(() => b.received.length === 1, 'first delivery');
      await b.transport.stop();
      await waitFor(() => a.transport.stats().get(nodeId('n2'))?.connected === false, 'n1 to notice the loss');
      b = await startNode('n2', {}, port);
      const restarted = b;
      // Raft keeps sending; keep sending until one gets through the new connection.
      let round = 100;
      await waitFor(() => {
        a.transport.send(heartbeat('n1', 'n2', round++));
        return restarted.received.length > 0;
      }, 'delivery after restart');
      const stats = a.transport.stats().get(nodeId('n2'));
      assert.ok((stats?.reconnects ?? 0) >= 1, `reconnects ${stats?.reconnects}`);
      assert.equal(stats?.connected, true);
    } finally {
      await stopAll([a, b]);
    }
  });

  it('dials a peer at once when it dials us, instead of waiting out the backoff of the dials that failed', async () => {
    const port = await unusedPort();
    const backoffMs = 10_000;
    const a = await startNode('n1', { reconnectBackoffMinMs: backoffMs, reconnectBackoffMaxMs: backoffMs });
    let b: Awaited<ReturnType<typeof startNode>> | null = null;
    try {
      a.transport.setPeer(nodeId('n2'), { host: '127.0.0.1', port });
      a.transport.send(heartbeat('n1', 'n2', 1));
      await waitFor(() => (a.transport.stats().get(nodeId('n2'))?.lastError ?? null) !== null, 'the dial to the absent n2 to fail');
      b = await startNode('n2', {}, port);
      const back = b;
      back.transport.setPeer(nodeId('n1'), a.transport.address());
      back.transport.send(heartbeat('n2', 'n1', 1));
      const started = Date.now();
      let round = 2;
      // Half of the 10-s backoff is jitter: waiting it out takes 5 s at least.
      await waitFor(() => {
        a.transport.send(heartbeat('n1', 'n2', round++));
        return back.received.length > 0;
      }, 'n1 to reach n2 once n2 has dialed it', 4000);
      assert.ok(Date.now() - started < 4000);
    } finally {
      await stopAll(b === null ? [a] : [a, b]);
    }
  });

  it('bounds the outbound queue while the peer is down and counts the drops', async () => {
    const port = await unusedPort();
    const a = await startNode('n1', { outboundQueueMaxBytes: 4096 });
    try {
      a.transport.setPeer(nodeId('n2'), { host: '127.0.0.1', port });
      const msg = (i: number): Message => ({
        type: MessageType.Propose, from: nodeId('n1'), to: nodeId('n2'), term: term(1),
        entries: [{ term: term(1), index: logIndex(i), type: 0, data: new Uint8Array(100) }],
      });
      for (let i = 0; i < 100; i++) a.transport.send(msg(i));
      const stats = a.transport.stats().get(nodeId('n2'));
      assert.ok(stats !== undefined);
      // Frame: header 5, type 1, ids 3+3, term 8, count 4, entry 21 + 100 bytes = 145 bytes.
      const fitting = Math.floor(4096 / 145);
      assert.equal(stats.queuedBytes, fitting * 145);
      assert.equal(stats.droppedMessages, 100 - fitting);
      assert.equal(stats.connected, false);
      await waitFor(() => (a.transport.stats().get(nodeId('n2'))?.reconnects ?? 0) >= 2, 'redials with backoff');
      assert.match(a.transport.stats().get(nodeId('n2'))?.lastError ?? '', /ECONNREFUSED/);
    } finally {
      await a.transport.stop();
    }
  });

  it('counts a message to an unknown peer as dropped', async () => {
    const a = await startNode('n1');
    try {
      a.transport.send(heartbeat('n1', 'nx', 1));
      assert.equal(a.transport.stats().get(nodeId('nx'))?.droppedMessages, 1);
    } finally {
      await a.transport.stop();
    }
  });

  it('carries requests and responses, and reports remote errors, timeouts and unknown peers', async () => {
    const nodes = await startCluster(['n1', 'n2']);
    const [a, b] = nodes;
    assert.ok(a && b);
    try {
      b.transport.onRequest = async (from, payload) => {
        const text = Buffer.from(payload).toString();
        if (text === 'fail') throw new Error('handler says no');
        if (text === 'hang') return new Promise<Uint8Array>(() => {});
        return Buffer.from(`${from} asked ${text}`);
      };
      const replies = await Promise.all(['a', 'b', 'c'].map((s) => a.transport.request(nodeId('n2'), Buffer.from(s), 2000)));
      assert.deepStrictEqual(replies.map((r) => Buffer.from(r).toString()), ['n1 asked a', 'n1 asked b', 'n1 asked c']);
      await assert.rejects(a.transport.request(nodeId('n2'), Buffer.from('fail'), 2000), (e: unknown) => e instanceof TransportError && e.code === 'RAFTIS_TRANSPORT_REMOTE_ERROR' && /handler says no/.test(e.message));
      await assert.rejects(a.transport.request(nodeId('n2'), Buffer.from('hang'), 50), (e: unknown) => e instanceof TransportError && e.code === 'RAFTIS_TRANSPORT_TIMEOUT');
      await assert.rejects(a.transport.request(nodeId('n9'), Buffer.from('x'), 50), (e: unknown) => e instanceof TransportError && e.code === 'RAFTIS_TRANSPORT_UNKNOWN_PEER');
      await assert.rejects(a.transport.request(nodeId('n2'), Buffer.from('x'), 0), RangeError);
    } finally {
      await stopAll(nodes);
    }
  });

  it('fails a request to an unreachable peer', async () => {
    const a = await startNode('n1');
    try {
      a.transport.setPeer(nodeId('n2'), { host: '127.0.0.1', port: await unusedPort() });
      await assert.rejects(a.transport.request(nodeId('n2'), Buffer.from('x'), 5000), (e: unknown) => e instanceof TransportError && e.code === 'RAFTIS_TRANSPORT_UNREACHABLE');
    } finally {
      await a.transport.stop();
    }
  });

  it('follows a peer to a new address and forgets a removed one', async () => {
    const nodes = await startCluster(['n1', 'n2', 'n3']);
    const [a, b, c] = nodes;
    assert.ok(a && b && c);
    try {
      a.transport.send(heartbeat('n1', 'n2', 1));
      await waitFor(() => b.received.length === 1, 'first delivery');
      const replacement = await startNode('n2');
      nodes.push(replacement);
      a.transport.setPeer(nodeId('n2'), replacement.transport.address());
      a.transport.send(heartbeat('n1', 'n2', 2));
      await waitFor(() => replacement.received.length === 1, 'delivery at the new address');
      a.transport.setPeer(nodeId('n3'), null);
      a.transport.send(heartbeat('n1', 'n3', 3));
      assert.equal(a.transport.stats().get(nodeId('n3'))?.droppedMessages, 1);
    } finally {
      await stopAll(nodes);
    }
  });

  it('closes a connection that sends an oversized or unexpected frame, and keeps serving others', async () => {
    const nodes = await startCluster(['n1', 'n2'], { frameMaxBytes: 4096 });
    const [a, b] = nodes;
    assert.ok(a && b);
    const { port } = b.transport.address();
    // resume(): a socket with unread input (the handshake reply) never reaches 'close'.
    const rawClosed = (socket: Socket) => new Promise<void>((resolve) => socket.on('close', () => resolve()).on('error', () => {}).resume());
    try {
      const oversized = createConnection({ host: '127.0.0.1', port });
      const oversizedClosed = rawClosed(oversized);
      const header = Buffer.alloc(5);
      header.writeUInt32LE(4097, 0);
      header[4] = FrameKind.Handshake;
      oversized.write(header);
      await oversizedClosed;

      const noHandshake = createConnection({ host: '127.0.0.1', port });
      const noHandshakeClosed = rawClosed(noHandshake);
      noHandshake.write(encodeFrame(FrameKind.Raft, new Uint8Array(10)));
      await noHandshakeClosed;

      const garbage = createConnection({ host: '127.0.0.1', port });
      const garbageClosed = rawClosed(garbage);
      garbage.write(encodeHandshakeFrame({ version: PROTOCOL_VERSION, clusterId: 'test-cluster', fromNodeId: 'n1', toNodeId: 'n2', incarnation: '' }));
      garbage.write(encodeFrame(FrameKind.Raft, new Uint8Array([200, 1, 2, 3])));
      await garbageClosed;
      await waitFor(() => b.logs.some((l) => /malformed raft message/.test(l.msg)), 'malformed message logged');

      a.transport.send(heartbeat('n1', 'n2', 1));
      await waitFor(() => b.received.length === 1, 'a well-behaved peer still gets through');
    } finally {
      await stopAll(nodes);
    }
  });

  it('closes an inbound connection that never handshakes', async () => {
    const b = await startNode('n2', { dialTimeoutMs: 100 });
    try {
      const idle = createConnection(b.transport.address());
      idle.on('error', () => {}).resume();
      await new Promise<void>((resolve) => idle.on('close', () => resolve()));
    } finally {
      await b.transport.stop();
    }
  });

  it('refuses to send a message larger than frameMaxBytes', async () => {
    const nodes = await startCluster(['n1', 'n2'], { frameMaxBytes: 4096 });
    try {
      const big: Message = { type: MessageType.ReadIndex, from: nodeId('n1'), to: nodeId('n2'), term: term(1), context: new Uint8Array(5000) };
      assert.throws(() => nodes[0]?.transport.send(big), /encodes to 5019 bytes, frameMaxBytes is 4096/);
    } finally {
      await stopAll(nodes);
    }
  });

  it('validates its options eagerly', () => {
    const base = { nodeId: nodeId('n1'), clusterId: 'c', listen: { host: '127.0.0.1', port: 0 }, peers: new Map() };
    assert.throws(() => new PeerTransport({ ...base, frameMaxBytes: 3 }), /invalid frameMaxBytes 3/);
    assert.throws(() => new PeerTransport({ ...base, snapshotWindowChunks: 0 }), /invalid snapshotWindowChunks 0/);
    assert.throws(() => new PeerTransport({ ...base, reconnectBackoffMinMs: 100, reconnectBackoffMaxMs: 10 }), /invalid reconnectBackoffMaxMs 10/);
    assert.throws(() => new PeerTransport({ ...base, clusterId: '' }), /invalid clusterId/);
  });
});
