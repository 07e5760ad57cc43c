// A connection reset (RST) in the middle of a snapshot stream, as the 600-s snapshot chaos run
// saw one (docs/testing.md): the sender must hear of it at once, the link must come back for
// Raft messages within the reconnect backoff, and a new stream must go through. The reset is
// made by a proxy between the two transports, which resets both ends of every connection
// through it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { MessageType, logIndex, nodeId, term } from '../../src/raft/types.js';
import type { Message } from '../../src/raft/types.js';
import { TransportError } from '../../src/transport/errors.js';
import { RECONNECT_BACKOFF_MAX_MS_DEFAULT, RECONNECT_BACKOFF_MIN_MS_DEFAULT } from '../../src/transport/peer-transport.js';
import type { PeerAddress, SnapshotInbound } from '../../src/transport/peer-transport.js';
import { startNode, stopAll, waitFor, type TestNode } from './helpers.js';

/** Generous for a loaded 2-core machine; a reset is noticed in milliseconds when idle. */
const PROMPT_MS = 3000;

/** Forwards connections to `target` and can reset every one of them, both ends. */
class ResettingProxy {
  private readonly pairs = new Set<readonly [Socket, Socket]>();
  private constructor(private readonly server: Server) {}

  static async start(target: PeerAddress): Promise<ResettingProxy> {
    const server = createServer();
    const proxy = new ResettingProxy(server);
    server.on('connection', (client) => {
      const upstream = createConnection(target);
      const pair = [client, upstream] as const;
      proxy.pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const drop = (): void => {
        proxy.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  address(): PeerAddress {
    const { port } = this.server.address() as AddressInfo;
    return { host: '127.0.0.1', port };
  }

  get connections(): number {
    return this.pairs.size;
  }

  /** An RST to both ends of every connection through the proxy. */
  resetAll(): void {
    for (const [client, upstream] of [...this.pairs]) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** `totalBytes` of a repeatable pattern, read in chunks of at most the asked size. */
function patternSource(totalBytes: number): { read(maxBytes: number): Promise<Uint8Array | null> } {
  let produced = 0;
  return {
    async read(maxBytes) {
      if (produced === totalBytes) return null;
      const length = Math.min(maxBytes, totalBytes - produced);
      const chunk = Buffer.alloc(length, produced % 251);
      produced += length;
      return chunk;
    },
  };
}

const heartbeat = (readRound: number): Message => ({
  type: MessageType.Heartbeat, from: nodeId('n1'), to: nodeId('n2'), term: term(1), commit: logIndex(0), readRound,
});

/** n1 reaches n2 through the proxy; n2 reaches n1 directly. Production backoff: what a node really waits. */
async function pairThroughProxy(): Promise<{ a: TestNode; b: TestNode; proxy: ResettingProxy }> {
  const options = {
    snapshotChunkBytes: 64 * 1024,
    snapshotWindowChunks: 2,
    reconnectBackoffMinMs: RECONNECT_BACKOFF_MIN_MS_DEFAULT,
    reconnectBackoffMaxMs: RECONNECT_BACKOFF_MAX_MS_DEFAULT,
  };
  const a = await startNode('n1', options);
  const b = await startNode('n2', options);
  const proxy = await ResettingProxy.start(b.transport.address());
  a.transport.setPeer(b.id, proxy.address());
  b.transport.setPeer(a.id, a.transport.address());
  return { a, b, proxy };
}

/** Sends heartbeats, as a leader keeps doing, until one arrives after the reset; returns how long that took. */
async function messagesFlowAgain(a: TestNode, b: TestNode): Promise<number> {
  const started = Date.now();
  const before = b.received.length;
  let round = 1000;
  await waitFor(() => {
    a.transport.send(heartbeat(round++));
    return b.received.length > before;
  }, 'a message through the new connection', PROMPT_MS);
  return Date.now() - started;
}

/** A fresh stream goes through whole after the reset. */
async function freshStreamCompletes(a: TestNode, b: TestNode): Promise<void> {
  let bytes = 0;
  b.transport.onSnapshot = (_from, _meta, stream) => {
    void (async () => {
      for await (const chunk of stream) bytes += chunk.byteLength;
    })();
  };
  await a.transport.sendSnapshot(b.id, Buffer.from('again'), patternSource(300 * 1024));
  assert.equal(bytes, 300 * 1024);
}

/** Resets every connection and checks that the sender's stream fails, and at once. */
async function resetFailsTheSender(proxy: ResettingProxy, sending: Promise<unknown>): Promise<void> {
  const resetAt = Date.now();
  proxy.resetAll();
  const sendError = await sending;
  assert.ok(sendError instanceof TransportError && sendError.code === 'RAFTIS_TRANSPORT_CONNECTION_LOST', String(sendError));
  assert.ok(Date.now() - resetAt < PROMPT_MS, `the sender heard of the reset after ${Date.now() - resetAt} ms`);
}

/** After the reset: Raft messages flow again within the backoff, and a new stream goes through whole. */
async function linkRecovers(a: TestNode, b: TestNode): Promise<void> {
  const ms = await messagesFlowAgain(a, b);
  assert.ok(ms < PROMPT_MS, `messages flowed again after ${ms} ms`);
  await freshStreamCompletes(a, b);
}

describe('a connection reset during a snapshot stream', () => {
  it('mid-stream: both ends fail the stream at once, messages flow again within the backoff, a new stream completes', async () => {
    const { a, b, proxy } = await pairThroughProxy();
    try {
      let inbound: SnapshotInbound | null = null;
      b.transport.onSnapshot = (_from, _meta, stream) => {
        inbound = stream;
      };
      const sending = a.transport.sendSnapshot(b.id, Buffer.from('m'), patternSource(10 * 1024 * 1024)).then(() => null, (e: unknown) => e);
      await waitFor(() => inbound !== null, 'the stream to begin');
      const stream = inbound as unknown as SnapshotInbound;
      // Three chunks read, the rest held back by the window: the stream is in the middle.
      for (let i = 0; i < 3; i++) assert.notEqual(await stream.read(), null);
      await resetFailsTheSender(proxy, sending);
      await assert.rejects((async () => {
        while ((await stream.read()) !== null);
      })(), (e: unknown) => e instanceof TransportError && e.code === 'RAFTIS_TRANSPORT_SNAPSHOT_ABORTED');
      await linkRecovers(a, b);
    } finally {
      await proxy.close();
      await stopAll([a, b]);
    }
  });

  it('while the receiver holds back completion: the sender fails, the receiver keeps what it read, the link comes back', async () => {
    const { a, b, proxy } = await pairThroughProxy();
    try {
      let inbound: SnapshotInbound | null = null;
      b.transport.onSnapshot = (_from, _meta, stream) => {
        stream.deferCompletion();
        inbound = stream;
      };
      const sending = a.transport.sendSnapshot(b.id, Buffer.from('m'), patternSource(200 * 1024)).then(() => null, (e: unknown) => e);
      await waitFor(() => inbound !== null, 'the stream to begin');
      const stream = inbound as unknown as SnapshotInbound;
      let bytes = 0;
      for (let chunk = await stream.read(); chunk !== null; chunk = await stream.read()) bytes += chunk.byteLength;
      assert.equal(bytes, 200 * 1024, 'the verified end was read');
      // The receiver is storing the snapshot (a node syncs and restores it) when the connection resets.
      await resetFailsTheSender(proxy, sending);
      // Its "complete" has no connection to go on: dropped, not thrown.
      stream.complete();
      await linkRecovers(a, b);
    } finally {
      await proxy.close();
      await stopAll([a, b]);
    }
  });
});
