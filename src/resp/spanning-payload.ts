// Collects a bulk payload that spans socket reads, for both the request and the reply
// parser. The buffer grows with what has arrived (never to the announced length up front,
// so a peer cannot make us allocate 512 MiB with one header) and ends exactly `length` long.

/** First allocation for a spanning payload; it then doubles, capped at the payload length. */
const SPANNING_INITIAL_BYTES = 16 * 1024;

export class SpanningPayload {
  /** Bytes [0, filled) are valid; null when no payload is being collected. */
  private buffer: Buffer | null = null;
  private filled = 0;

  get active(): boolean {
    return this.buffer !== null;
  }

  /**
   * Copies what `chunk[offset…]` holds of a `length`-byte payload and returns the bytes
   * consumed. `complete()` then tells whether the payload is whole.
   */
  take(chunk: Buffer, offset: number, length: number): number {
    const available = chunk.length - offset;
    let buffer = this.buffer;
    if (buffer === null) {
      buffer = Buffer.allocUnsafe(Math.min(length, Math.max(SPANNING_INITIAL_BYTES, available * 2)));
      this.filled = 0;
    }
    const copied = Math.min(length - this.filled, available);
    if (this.filled + copied > buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(length, Math.max(buffer.length * 2, this.filled + copied)));
      buffer.copy(grown, 0, 0, this.filled);
      buffer = grown;
    }
    chunk.copy(buffer, this.filled, offset, offset + copied);
    this.filled += copied;
    this.buffer = buffer;
    return copied;
  }

  /** The whole payload once all `length` bytes arrived (and resets); null while bytes are missing. */
  complete(length: number): Buffer | null {
    const buffer = this.buffer;
    if (buffer === null || this.filled < length) return null;
    if (buffer.length !== length) throw new Error(`spanning payload capacity ${buffer.length} != length ${length}`);
    this.reset();
    return buffer;
  }

  reset(): void {
    this.buffer = null;
    this.filled = 0;
  }
}
