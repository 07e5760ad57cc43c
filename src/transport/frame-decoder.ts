// A resumable decoder for the peer frame format (`length u32 | kind u8 | payload`). It is
// fed socket reads of any size and split and hands out whole frames. A frame that lies
// inside one read is handed out as a view of that read (zero-copy; Node gives each socket
// read its own buffer); a frame split across reads is assembled once into a buffer of
// exactly its size. Buffers handed out are never reused, so views into them stay valid.
import { FRAME_HEADER_BYTES, validateFrameMaxBytes } from './frame.js';

export type FrameSink = (kind: number, payload: Uint8Array) => void;

export class FrameDecoder {
  /** Header bytes of a frame whose header straddles reads. */
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  /** Payload of a frame that straddles reads, sized exactly; null when none is pending. */
  private partial: Uint8Array | null = null;
  private partialKind = 0;
  private partialFilled = 0;
  private failed: string | null = null;

  constructor(private readonly frameMaxBytes: number) {
    validateFrameMaxBytes(frameMaxBytes);
  }

  /**
   * Consumes `chunk`, calling `sink` for each complete frame in order. Returns an error
   * (and refuses all further input) when a frame exceeds frameMaxBytes: the stream is then
   * out of sync or hostile, and the connection must be closed.
   */
  push(chunk: Uint8Array, sink: FrameSink): string | null {
    if (this.failed !== null) return this.failed;
    let at = 0;
    while (at < chunk.byteLength) {
      if (this.partial !== null) {
        at = this.fillPartial(chunk, at, sink);
        continue;
      }
      if (this.headerFilled === 0 && chunk.byteLength - at >= FRAME_HEADER_BYTES) {
        // Fast path: the whole header is in this read.
        const length = readU32(chunk, at);
        const kind = chunk[at + 4] ?? 0;
        const error = this.checkLength(length);
        if (error !== null) return error;
        const payloadStart = at + FRAME_HEADER_BYTES;
        if (chunk.byteLength - payloadStart >= length) {
          sink(kind, chunk.subarray(payloadStart, payloadStart + length));
          at = payloadStart + length;
        } else {
          this.startPartial(kind, length);
          at = payloadStart;
        }
        continue;
      }
      // Slow path: the header straddles reads; gather it byte by byte (at most 5 bytes).
      this.header[this.headerFilled++] = chunk[at++] ?? 0;
      if (this.headerFilled === FRAME_HEADER_BYTES) {
        this.headerFilled = 0;
        const length = readU32(this.header, 0);
        const error = this.checkLength(length);
        if (error !== null) return error;
        const kind = this.header[4] ?? 0;
        if (length === 0) sink(kind, new Uint8Array(0));
        else this.startPartial(kind, length);
      }
    }
    return null;
  }

  /** True when no frame is half received (a clean place for the stream to end). */
  isIdle(): boolean {
    return this.partial === null && this.headerFilled === 0;
  }

  private checkLength(length: number): string | null {
    if (length > this.frameMaxBytes) {
      this.failed = `frame of ${length} bytes exceeds frameMaxBytes ${this.frameMaxBytes}`;
      return this.failed;
    }
    return null;
  }

  private startPartial(kind: number, length: number): void {
    this.partial = new Uint8Array(length);
    this.partialKind = kind;
    this.partialFilled = 0;
  }

  private fillPartial(chunk: Uint8Array, at: number, sink: FrameSink): number {
    const partial = this.partial;
    if (partial === null) throw new Error('fillPartial without a partial frame');
    const take = Math.min(partial.byteLength - this.partialFilled, chunk.byteLength - at);
    partial.set(chunk.subarray(at, at + take), this.partialFilled);
    this.partialFilled += take;
    if (this.partialFilled === partial.byteLength) {
      this.partial = null;
      sink(this.partialKind, partial);
    }
    return at + take;
  }
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16)) + (bytes[at + 3] ?? 0) * 0x100_0000;
}
