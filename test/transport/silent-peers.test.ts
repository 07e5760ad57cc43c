// Connections to the peer port that never complete a handshake: silent ones, ones that stop
// half-way through a frame, and a frame header claiming more than frameMaxBytes. Each is
// closed by its named bound (dialTimeoutMs for the handshake, frameMaxBytes for a frame)
// while the real peers keep exchanging messages.

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { MessageType, logIndex, nodeId, term } from '../../src/raft/types.js';
import { startCluster, stopAll, waitFor } from './helpers.js';

const HANDSHAKE_TIMEOUT_MS = 400;

function openSocket(port: number): Promise<{ socket: Socket; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let closed = false;
    socket.on('close', () => { closed = true; });
    socket.on('error', () => {});
    socket.once('connect', () => resolve({ socket, closed: () => closed }));
    socket.once('error', reject);
  });
}

describe('connections to the peer port that never complete a handshake', () => {
  it('are closed within dialTimeoutMs or at the first oversized frame, and the peers keep talking', async () => {
    const nodes = await startCluster(['n1', 'n2'], { dialTimeoutMs: HANDSHAKE_TIMEOUT_MS, frameMaxBytes: 64 * 1024 });
    const [a, b] = nodes;
    assert.ok(a && b);
    try {
      const port = b.transport.address().port;
      const silent = await Promise.all(Array.from({ length: 40 }, () => openSocket(port)));
      const halfFrame = await openSocket(port);
      halfFrame.socket.write(Buffer.from([0x10, 0x00, 0x00, 0x00, 0x01, 0x00])); // 16 bytes announced, 1 sent
      const oversized = await openSocket(port);
      oversized.socket.write(Buffer.from([0xff, 0xff, 0xff, 0x7f, 0x01])); // 2 GiB announced
      await waitFor(() => oversized.closed(), 'the oversized frame closes its connection', 5000);
      let round = 0;
      await waitFor(() => {
        a.transport.send({ type: MessageType.Heartbeat, from: nodeId('n1'), to: nodeId('n2'), term: term(1), commit: logIndex(0), readRound: round++ });
        return b.received.length > 0;
      }, 'a real peer is heard meanwhile');
      // Generous against a loaded machine: the bound is the handshake timer, not this deadline.
      await waitFor(() => silent.every((s) => s.closed()) && halfFrame.closed(), 'every silent connection closed', HANDSHAKE_TIMEOUT_MS + 10_000);
      for (const s of [...silent, halfFrame, oversized]) s.socket.destroy();
    } finally {
      await stopAll(nodes);
    }
  });
});
