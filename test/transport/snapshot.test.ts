// Snapshot streaming: large streams with a small window, flow control, checksum,
// aborts from either side.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { nodeId } from '../../src/raft/types.js';
import { TransportError } from '../../src/transport/errors.js';
import { SnapshotAckStatus } from '../../src/transport/frame.js';
import { SnapshotInboundStream } from '../../src/transport/snapshot-inbound.js';
import type { SnapshotInbound } from '../../src/transport/snapshot-inbound.js';
import { startCluster, stopAll, waitFor } from './helpers.js';

const MiB = 1024 * 1024;

/** A deterministic byte source of `totalBytes`, recording how far ahead of the consumer it is read. */
function patternSource(totalBytes: number) {
  let produced = 0;
  let chunksRead = 0;
  const hash = createHash('sha256');
  return {
    hash,
    get chunksRead() {
      return chunksRead;
    },
    beforeRead: (): void => {},
    async read(maxBytes: number): Promise<Uint8Array | null> {
      this.beforeRead();
      if (produced === totalBytes) return null;
      const length = Math.min(maxBytes, totalBytes - produced);
      const chunk = Buffer.allocUnsafe(length);
      for (let i = 0; i < length; i += 4) chunk.writeUInt32LE(((produced + i) * 2654435761) >>> 0, i);
      produced += length;
      chunksRead += 1;
      hash.update(chunk);
      return chunk;
    },
  };
}

type Inbound = { from: string; meta: string; stream: SnapshotInbound };

function captureSnapshots(node: { transport: { onSnapshot: (from: never, meta: Uint8Array, stream: SnapshotInbound) => void } }): Inbound[] {
  const inbound: Inbound[] = [];
  node.transport.onSnapshot = (from, meta, stream) => inbound.push({ from, meta: Buffer.from(meta).toString(), stream });
  return inbound;
}

describe('snapshot streaming', () => {
  it('streams 20 MiB with a window of 2 chunks, never more than the window ahead, checksum verified', async () => {
    const window = 2;
    const nodes = await startCluster(['n1', 'n2'], { snapshotChunkBytes: 256 * 1024, snapshotWindowChunks: window });
    const [a, b] = nodes;
    assert.ok(a && b);
    try {
      const source = patternSource(20 * MiB);
      let consumedChunks = 0;
      let maxAhead = 0;
      source.beforeRead = () => {
        maxAhead = Math.max(maxAhead, source.chunksRead - consumedChunks);
      };
      const received = createHash('sha256');
      let receivedBytes = 0;
      const done = new Promise<string>((resolve, reject) => {
        b.transport.onSnapshot = (from, meta, stream) => {
          (async () => {
            assert.equal(from, 'n1');
            assert.equal(Buffer.from(meta).toString(), 'snap 7-42');
            for await (const chunk of stream) {
              consumedChunks += 1;
              receivedBytes += chunk.byteLength;
              received.update(chunk);
              // A slow consumer: the sender must wait for it rather than pile chunks up.
              await new Promise((resolve) => setImmediate(resolve));
            }
            return received.digest('hex');
          })().then(resolve, reject);
        };
      });
      await a.transport.sendSnapshot(nodeId('n2'), Buffer.from('snap 7-42'), source);
      const digest = await done;
      assert.equal(receivedBytes, 20 * MiB);
      assert.equal(digest, source.hash.digest('hex'));
      assert.equal(consumedChunks, 80);
      assert.ok(maxAhead < window, `sender read ${maxAhead} chunks ahead of the consumer, window ${window}`);
    } finally {
      await stopAll(nodes);
    }
  });

  it('makes the receiver throw when the sender stops mid-stream, and rejects the sender', async () => {
    const nodes = await startCluster(['n1', 'n2'], { snapshotChunkBytes: 64 * 1024, snapshotWindowChunks: 2 });
    const [a, b] = nodes;
    assert.ok(a && b);
    try {
      const inbound = captureSnapshots(b);
      const source = patternSource(10 * MiB);
      let stall: (() => void) | null = null;
      const original = source.read.bind(source);
      source.read = async (maxBytes) => {
        // After 3 chunks the source hangs, as if the snapshot producer were slow.
        if (source.chunksRead >= 3) await new Promise<void>((resolve) => { stall = resolve; });
        return original(maxBytes);
      };
      // Settled into a value at once: it rejects during stop(), before the assertion below.
      const sending = a.transport.sendSnapshot(nodeId('n2'), Buffer.from('m'), source).then(() => null, (e: unknown) => e);
      await waitFor(() => inbound.length === 1, 'stream to begin');
      const stream = inbound[0]?.stream;
      assert.ok(stream);
      const chunks: Uint8Array[] = [];
      const reading = (async () => {
        for await (const chunk of stream) chunks.push(chunk);
      })().then(() => null, (e: unknown) => e);
      await waitFor(() => chunks.length === 3 && stall !== null, 'three chunks through');
      await a.transport.stop();
      const readError = await reading;
      assert.ok(readError instanceof TransportError && readError.code === 'RAFTIS_TRANSPORT_SNAPSHOT_ABORTED', String(readError));
      const sendError = await sending;
      assert.ok(sendError instanceof TransportError && sendError.code === 'RAFTIS_TRANSPORT_STOPPED', String(sendError));
    } finally {
      await stopAll(nodes);
    }
  });

  it('aborts the receiver when the source fails', async () => {
    const nodes = await startCluster(['n1', 'n2'], { snapshotChunkBytes: 64 * 1024 });
    const [a, b] = nodes;
    assert.ok(a && b);
    try {
      const inbound = captureSnapshots(b);
      let reads = 0;
      const source = {
        async read(): Promise<Uint8Array | null> {
          reads += 1;
          if (reads === 3) throw new Error('disk read failed');
          return new Uint8Array(1000);
        },
      };
      await assert.rejects(a.transport.sendSnapshot(nodeId('n2'), Buffer.from('m'), source), /disk read failed/);
      await waitFor(() => inbound.length === 1, 'stream to begin');
      const stream = inbound[0]?.stream;
      assert.ok(stream);
      await assert.rejects((async () => {
        while ((await stream.read()) !== null);
      })(), (e: unknown) => e instanceof TransportError && /sender aborted: Error: disk read failed/.test(e.message));
    } finally {
      await stopAll(nodes);
    }
  });

  it('rejects the sender when the receiver cancels', async () => {
    const nodes = await startCluster(['n1', 'n2'], { snapshotChunkBytes: 64 * 1024, snapshotWindowChunks: 2 });
    const [a, b] = nodes;
    assert.ok(a && b);
    try {
      b.transport.onSnapshot = (_from, _meta, stream) => {
        void stream.read().then(() => stream.cancel('disk full'));
      };
      await assert.rejects(a.transport.sendSnapshot(nodeId('n2'), Buffer.from('m'), patternSource(5 * MiB)), (e: unknown) => e instanceof TransportError && /receiver cancelled: disk full/.test(e.message));
    } finally {
      await stopAll(nodes);
    }
  });

  it('cancels a stream nobody handles', async () => {
    const nodes = await startCluster(['n1', 'n2']);
    const [a] = nodes;
    assert.ok(a);
    try {
      await assert.rejects(a.transport.sendSnapshot(nodeId('n2'), Buffer.from('m'), patternSource(1000)), /no snapshot handler/);
    } finally {
      await stopAll(nodes);
    }
  });
});

describe('SnapshotInboundStream', () => {
  function streamWithAcks() {
    const acks: { consumed: number; status: number; reason: string }[] = [];
    const stream = new SnapshotInboundStream('test stream', (consumed, status, reason) => acks.push({ consumed, status, reason }));
    return { stream, acks };
  }

  it('verifies the checksum at the end and acks each chunk as it is read', async () => {
    const { stream, acks } = streamWithAcks();
    const data = [Buffer.from('hello '), Buffer.from('world')];
    for (const chunk of data) assert.equal(stream.pushChunk(chunk), null);
    assert.equal(acks.length, 0, 'nothing is acked before it is read');
    stream.pushEnd(11, crc32(Buffer.concat(data)));
    const read: string[] = [];
    for await (const chunk of stream) read.push(Buffer.from(chunk).toString());
    assert.deepStrictEqual(read, ['hello ', 'world']);
    assert.deepStrictEqual(acks.map((a) => [a.consumed, a.status]), [[1, SnapshotAckStatus.Progress], [1, SnapshotAckStatus.Progress], [0, SnapshotAckStatus.Complete]]);
  });

  it('with deferred completion, acks the verified end only on complete(), or fails it on cancel()', async () => {
    const { stream, acks } = streamWithAcks();
    stream.deferCompletion();
    stream.pushChunk(Buffer.from('data'));
    stream.pushEnd(4, crc32(Buffer.from('data')));
    assert.equal(Buffer.from((await stream.read()) ?? []).toString(), 'data');
    assert.equal(await stream.read(), null);
    assert.deepStrictEqual(acks.map((a) => a.status), [SnapshotAckStatus.Progress], 'the end is not acknowledged while the receiver still stores it');
    stream.complete();
    stream.complete();
    assert.deepStrictEqual(acks.map((a) => a.status), [SnapshotAckStatus.Progress, SnapshotAckStatus.Complete]);

    const other = streamWithAcks();
    other.stream.deferCompletion();
    other.stream.pushEnd(0, 0);
    assert.equal(await other.stream.read(), null);
    other.stream.cancel('disk full');
    assert.deepStrictEqual(other.acks.map((a) => [a.status, a.reason]), [[SnapshotAckStatus.Failed, 'receiver cancelled: disk full']]);
  });

  it('a sender whose receiver defers completion resolves only after complete()', async () => {
    const nodes = await startCluster(['n1', 'n2'], { snapshotChunkBytes: 64 * 1024, snapshotWindowChunks: 2 });
    const [a, b] = nodes;
    assert.ok(a && b);
    try {
      let release: () => void = () => {};
      const stored = new Promise<void>((resolve) => { release = resolve; });
      let completed = false;
      let endRead = false;
      b.transport.onSnapshot = (_from, _meta, stream) => {
        stream.deferCompletion();
        void (async () => {
          while ((await stream.read()) !== null);
          endRead = true;
          await stored;
          completed = true;
          stream.complete();
        })();
      };
      let sent = false;
      const sending = a.transport.sendSnapshot(nodeId('n2'), Buffer.from('m'), patternSource(MiB)).then(() => { sent = true; });
      await waitFor(() => endRead, 'the receiver to read the verified end');
      // Time for an acknowledgement to cross loopback, had the end been acknowledged on read.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(sent, false, 'the sender waits while the receiver has not completed');
      release();
      await sending;
      assert.equal(completed, true);
    } finally {
      await stopAll(nodes);
    }
  });

  it('throws on a checksum mismatch and reports it to the sender', async () => {
    const { stream, acks } = streamWithAcks();
    stream.pushChunk(Buffer.from('hello'));
    stream.pushEnd(5, crc32(Buffer.from('hellp')));
    assert.equal(Buffer.from((await stream.read()) ?? []).toString(), 'hello');
    await assert.rejects(stream.read(), (e: unknown) => e instanceof TransportError && e.code === 'RAFTIS_TRANSPORT_SNAPSHOT_CHECKSUM');
    assert.equal(acks.at(-1)?.status, SnapshotAckStatus.Failed);
    assert.match(acks.at(-1)?.reason ?? '', /checksum mismatch/);
  });

  it('throws on a length mismatch even when the bytes hash alike', async () => {
    const { stream } = streamWithAcks();
    stream.pushChunk(Buffer.from('abc'));
    stream.pushEnd(4, crc32(Buffer.from('abc')));
    await stream.read();
    await assert.rejects(stream.read(), /sent 4 bytes .* received 3 bytes/);
  });

  it('wakes a waiting reader when the stream fails', async () => {
    const { stream } = streamWithAcks();
    const pending = stream.read();
    stream.fail(new TransportError('RAFTIS_TRANSPORT_SNAPSHOT_ABORTED', 'connection closed'));
    await assert.rejects(pending, /connection closed/);
  });

  it('refuses a sender that overruns any sane window', () => {
    const { stream } = streamWithAcks();
    let error: string | null = null;
    for (let i = 0; i < 1000 && error === null; i++) error = stream.pushChunk(new Uint8Array(1));
    assert.match(error ?? '', /unacknowledged chunks, limit 256/);
  });
});
