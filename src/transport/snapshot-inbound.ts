// The receiving end of one snapshot stream. Chunks arrive from the socket and wait here
// until the owner reads them; each chunk read is acknowledged to the sender, which keeps at
// most its window of unacknowledged chunks in flight, so memory stays bounded by that
// window. When the stream ends, the running crc32 and byte count of what was read are
// checked against the sender's; a mismatch, an abort or a lost connection makes read()
// (and the async iterator) throw.
import { crc32 } from 'node:zlib';
import { TransportError } from './errors.js';
import { SnapshotAckStatus } from './frame.js';

/** Chunks a receiver buffers for one stream before it calls the sender a protocol violator. */
export const SNAPSHOT_WINDOW_CHUNKS_MAX = 256;

export interface SnapshotInbound extends AsyncIterable<Uint8Array> {
  /** The next chunk, or null at the verified end of the stream. Throws on abort or checksum failure. */
  read(): Promise<Uint8Array | null>;
  /** Stops receiving; the sender's sendSnapshot rejects with `reason`. */
  cancel(reason: string): void;
  /**
   * Holds back the "complete" acknowledgement at the verified end until complete() is
   * called, so the sender hears "done" only once the receiver has stored and adopted the
   * snapshot (otherwise the sender's next message can reach a receiver still syncing the
   * file, which then looks like it still needs a snapshot, and a second transfer starts).
   * Call before the end is read; the receiver must then call complete() or cancel().
   */
  deferCompletion(): void;
  /** Sends the held-back "complete" acknowledgement (after deferCompletion and the verified end). */
  complete(): void;
}

type Ack = (consumedChunks: number, status: SnapshotAckStatus, reason: string) => void;

interface Waiter {
  resolve(chunk: Uint8Array | null): void;
  reject(error: Error): void;
}

export class SnapshotInboundStream implements SnapshotInbound {
  private readonly chunks: Uint8Array[] = [];
  private expected: { totalBytes: number; crc32: number } | null = null;
  private error: TransportError | null = null;
  private finished = false;
  private waiter: Waiter | null = null;
  private crc = 0;
  private receivedBytes = 0;
  /** deferCompletion() was called: the end is acknowledged by complete(), not by read(). */
  private completionDeferred = false;
  private completionSent = false;

  constructor(
    readonly description: string,
    private readonly ack: Ack,
  ) {}

  /** Socket side: one more chunk. Returns an error when the sender overran any sane window. */
  pushChunk(chunk: Uint8Array): string | null {
    if (this.error !== null || this.finished) return null;
    if (this.expected !== null) return `${this.description}: chunk after end`;
    if (this.chunks.length >= SNAPSHOT_WINDOW_CHUNKS_MAX) {
      return `${this.description}: sender has ${this.chunks.length} unacknowledged chunks, limit ${SNAPSHOT_WINDOW_CHUNKS_MAX}`;
    }
    this.chunks.push(chunk);
    this.wake();
    return null;
  }

  /** Socket side: the sender finished; verification happens when the reader reaches the end. */
  pushEnd(totalBytes: number, crc: number): void {
    if (this.error !== null || this.finished) return;
    this.expected = { totalBytes, crc32: crc };
    this.wake();
  }

  /** Socket side: the sender aborted or the connection died. */
  fail(error: TransportError): void {
    if (this.error !== null || this.finished) return;
    this.error = error;
    this.chunks.length = 0;
    this.wake();
  }

  isDone(): boolean {
    return this.finished || this.error !== null;
  }

  cancel(reason: string): void {
    if (this.finished && this.completionDeferred && !this.completionSent) {
      // Verified, but the receiver could not keep it: the sender must not count it as delivered.
      this.completionSent = true;
      this.ack(0, SnapshotAckStatus.Failed, `receiver cancelled: ${reason}`);
      return;
    }
    if (this.isDone()) return;
    this.fail(new TransportError('RAFTIS_TRANSPORT_SNAPSHOT_ABORTED', `${this.description}: cancelled by receiver: ${reason}`));
    this.ack(0, SnapshotAckStatus.Failed, `receiver cancelled: ${reason}`);
  }

  deferCompletion(): void {
    if (this.finished) throw new Error(`${this.description}: deferCompletion() after the end was read`);
    this.completionDeferred = true;
  }

  complete(): void {
    if (!this.finished) throw new Error(`${this.description}: complete() before the verified end`);
    this.sendComplete();
  }

  private sendComplete(): void {
    if (this.completionSent) return;
    this.completionSent = true;
    this.ack(0, SnapshotAckStatus.Complete, '');
  }

  read(): Promise<Uint8Array | null> {
    if (this.waiter !== null) return Promise.reject(new Error(`${this.description}: concurrent read() calls`));
    const settled = this.take();
    if (settled !== undefined) return settled;
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let completed = false;
    try {
      while (true) {
        const chunk = await this.read();
        if (chunk === null) {
          completed = true;
          return;
        }
        yield chunk;
      }
    } finally {
      // A consumer that breaks out early stops the stream rather than stalling the sender.
      if (!completed) this.cancel('reader stopped iterating');
    }
  }

  /** Settles a read now if it can: a chunk, the verified end, or the error; undefined to wait. */
  private take(): Promise<Uint8Array | null> | undefined {
    if (this.error !== null) return Promise.reject(this.error);
    if (this.finished) return Promise.resolve(null);
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      this.crc = crc32(chunk, this.crc);
      this.receivedBytes += chunk.byteLength;
      this.ack(1, SnapshotAckStatus.Progress, '');
      return Promise.resolve(chunk);
    }
    if (this.expected !== null) return this.verifyEnd(this.expected);
    return undefined;
  }

  private verifyEnd(expected: { totalBytes: number; crc32: number }): Promise<null> {
    if (expected.totalBytes !== this.receivedBytes || expected.crc32 !== this.crc) {
      const reason = `checksum mismatch: sender sent ${expected.totalBytes} bytes with crc32 ${expected.crc32}, received ${this.receivedBytes} bytes with crc32 ${this.crc}`;
      this.error = new TransportError('RAFTIS_TRANSPORT_SNAPSHOT_CHECKSUM', `${this.description}: ${reason}`);
      this.ack(0, SnapshotAckStatus.Failed, reason);
      return Promise.reject(this.error);
    }
    this.finished = true;
    if (!this.completionDeferred) this.sendComplete();
    return Promise.resolve(null);
  }

  private wake(): void {
    const waiter = this.waiter;
    if (waiter === null) return;
    const settled = this.take();
    if (settled === undefined) return;
    this.waiter = null;
    settled.then(waiter.resolve, waiter.reject);
  }
}
