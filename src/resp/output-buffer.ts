// A growable byte buffer that encoders append to and a connection drains with one
// socket.write per event-loop turn. Drained bytes are handed out as a subarray and never
// written over again (the socket may still hold them), so a flush costs no copy; when the
// free tail runs out a fresh buffer takes over and the old one is freed once the socket
// lets go of it.

import { CR, DIGIT_ZERO, LF, MINUS } from './protocol-bytes.js';

/** Default first capacity; large enough that a turn's replies rarely need a new buffer. */
export const OUTPUT_BUFFER_INITIAL_BYTES = 16 * 1024;
const EMPTY = Buffer.alloc(0);
/** Longest decimal text of a safe integer: '-' and 16 digits. */
const DECIMAL_TEXT_MAX_BYTES = 17;

export class OutputBuffer {
  private buffer: Buffer;
  /** Invariant: 0 <= start <= end <= buffer.length; [start, end) is not yet taken. */
  private start = 0;
  private end = 0;
  private readonly initialBytes: number;

  constructor(initialBytes: number = OUTPUT_BUFFER_INITIAL_BYTES) {
    if (!Number.isSafeInteger(initialBytes) || initialBytes < 64) {
      throw new RangeError(`invalid initialBytes: ${initialBytes} (must be an integer >= 64)`);
    }
    this.initialBytes = initialBytes;
    // Allocated on first write: an idle client costs no buffer.
    this.buffer = EMPTY;
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.end - this.start;
  }

  /** The bytes written since the last take(), or null if none. The caller owns them. */
  take(): Buffer | null {
    if (this.end === this.start) return null;
    const taken = this.buffer.subarray(this.start, this.end);
    this.start = this.end;
    return taken;
  }

  /** Drops everything not yet taken (the connection is gone). */
  discard(): void {
    this.start = this.end;
  }

  /** Drops the bytes written after `length` pending bytes (an encoding that failed half-way). */
  truncate(length: number): void {
    if (!Number.isSafeInteger(length) || length < 0 || length > this.end - this.start) {
      throw new RangeError(`output buffer: truncate to ${length} of ${this.end - this.start} pending bytes`);
    }
    this.end = this.start + length;
  }

  /** Makes room for `bytes` more bytes at the end. */
  reserve(bytes: number): void {
    if (this.end + bytes <= this.buffer.length) return;
    const pending = this.end - this.start;
    // Doubling what is pending keeps many small writes linear; a single large reply gets
    // just the room it needs rather than twice it.
    const capacity = Math.max(this.initialBytes, pending * 2 + bytes);
    const grown = Buffer.allocUnsafe(capacity);
    this.buffer.copy(grown, 0, this.start, this.end);
    this.buffer = grown;
    this.start = 0;
    this.end = pending;
  }

  writeBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.end);
    this.end += bytes.length;
  }

  writeByte(byte: number): void {
    this.reserve(1);
    this.buffer[this.end++] = byte;
  }

  writeCrlf(): void {
    this.reserve(2);
    this.buffer[this.end++] = CR;
    this.buffer[this.end++] = LF;
  }

  /** Writes `text` as UTF-8; `byteLength` must be Buffer.byteLength(text). */
  writeUtf8(text: string, byteLength: number): void {
    this.reserve(byteLength);
    const written = this.buffer.write(text, this.end, byteLength, 'utf8');
    if (written !== byteLength) throw new Error(`output buffer: wrote ${written} bytes of ${byteLength}`);
    this.end += written;
  }

  /** Writes `text` as latin1, one byte per character; every character must be at most U+00FF. */
  writeLatin1(text: string): void {
    this.reserve(text.length);
    const written = this.buffer.write(text, this.end, text.length, 'latin1');
    if (written !== text.length) throw new Error(`output buffer: wrote ${written} bytes of ${text.length}`);
    this.end += written;
  }

  /** `prefix` then the decimal integer then CRLF: the shape of every RESP header. */
  writeHeader(prefix: number, value: number): void {
    if (!Number.isSafeInteger(value)) throw new Error(`output buffer: header value ${value} is not a safe integer`);
    this.reserve(1 + DECIMAL_TEXT_MAX_BYTES + 2);
    const buffer = this.buffer;
    buffer[this.end++] = prefix;
    let remaining = value;
    if (remaining < 0) {
      buffer[this.end++] = MINUS;
      remaining = -remaining;
    }
    let digits = 1;
    for (let scale = 10; scale <= remaining; scale *= 10) digits++;
    let position = this.end + digits - 1;
    do {
      buffer[position--] = DIGIT_ZERO + (remaining % 10);
      remaining = Math.floor(remaining / 10);
    } while (remaining > 0);
    this.end += digits;
    buffer[this.end++] = CR;
    buffer[this.end++] = LF;
  }
}
