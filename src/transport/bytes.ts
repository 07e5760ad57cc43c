// Bounds-checked little-endian reading and writing of the primitive fields the transport
// puts on the wire: integers, 64-bit log positions, short strings and length-prefixed bytes.
// Every codec in this folder builds on these so that a malformed frame from a peer becomes
// an error value, never an out-of-range read.

/** Longest node id or cluster id on the wire, in UTF-8 bytes (one length byte). */
export const SHORT_STRING_BYTES_MAX = 255;

const TWO_TO_32 = 0x1_0000_0000;

/** Thrown by ByteReader on malformed input; codecs catch it and return an error value. */
export class MalformedInputError extends Error {
  override readonly name = 'MalformedInputError';
}

/** Bytes a short string occupies on the wire: one length byte plus its UTF-8 encoding. */
export function shortStringBytes(s: string): number {
  const length = Buffer.byteLength(s, 'utf8');
  if (length > SHORT_STRING_BYTES_MAX) {
    throw new Error(`short string of ${length} bytes exceeds ${SHORT_STRING_BYTES_MAX}: ${JSON.stringify(s.slice(0, 40))}`);
  }
  return 1 + length;
}

export function writeShortString(target: Buffer, offset: number, s: string): number {
  const length = target.write(s, offset + 1, 'utf8');
  target[offset] = length;
  return offset + 1 + length;
}

/**
 * Writes a non-negative safe integer as two u32 halves (low first). Log indexes and terms
 * fit in 53 bits; anything else is a bug upstream and crashes here with the value.
 */
export function writeU64(target: Buffer, offset: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new Error(`u64 field must be a non-negative safe integer, got ${n}`);
  }
  target.writeUInt32LE(n % TWO_TO_32, offset);
  target.writeUInt32LE(Math.floor(n / TWO_TO_32), offset + 4);
  return offset + 8;
}

export function writeBytesWithLength(target: Buffer, offset: number, bytes: Uint8Array): number {
  target.writeUInt32LE(bytes.byteLength, offset);
  target.set(bytes, offset + 4);
  return offset + 4 + bytes.byteLength;
}

/**
 * A cursor over one received payload. Byte slices it returns are views of the payload
 * (zero-copy), so the caller must not reuse the payload's memory afterwards.
 */
export class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(count: number, what: string): void {
    if (this.offset + count > this.bytes.byteLength) {
      throw new MalformedInputError(`truncated ${what}: need ${count} bytes at offset ${this.offset}, have ${this.bytes.byteLength - this.offset}`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    const value = this.view.getUint8(this.offset);
    this.offset += 1;
    return value;
  }

  u16(what: string): number {
    this.need(2, what);
    const value = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return value;
  }

  u32(what: string): number {
    this.need(4, what);
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  u64(what: string): number {
    this.need(8, what);
    const low = this.view.getUint32(this.offset, true);
    const high = this.view.getUint32(this.offset + 4, true);
    this.offset += 8;
    const value = high * TWO_TO_32 + low;
    if (!Number.isSafeInteger(value)) throw new MalformedInputError(`${what} ${value} is not a safe integer`);
    return value;
  }

  f64(what: string): number {
    this.need(8, what);
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  bool(what: string): boolean {
    const value = this.u8(what);
    if (value > 1) throw new MalformedInputError(`${what} must be 0 or 1, got ${value}`);
    return value === 1;
  }

  shortString(what: string): string {
    const length = this.u8(`${what} length`);
    this.need(length, what);
    const s = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.offset, length).toString('utf8');
    this.offset += length;
    return s;
  }

  /** A u32-length-prefixed byte string, returned as a view of the payload. */
  bytesWithLength(what: string): Uint8Array {
    // `what` is passed through unchanged: building a label per call would cost on the hot path.
    const length = this.u32(what);
    return this.rest(length, what);
  }

  /** The next `length` bytes as a view of the payload. */
  rest(length: number, what: string): Uint8Array {
    this.need(length, what);
    const slice = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + this.offset, length);
    this.offset += length;
    return slice;
  }

  remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  /** Trailing bytes mean the peer and we disagree on the format: reject rather than guess. */
  end(what: string): void {
    if (this.offset !== this.bytes.byteLength) {
      throw new MalformedInputError(`${this.bytes.byteLength - this.offset} trailing bytes after ${what}`);
    }
  }
}

export type DecodeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Runs a decoder over a reader, turning MalformedInputError into an error value. */
export function decodeWith<T>(bytes: Uint8Array, decode: (reader: ByteReader) => T): DecodeResult<T> {
  try {
    return { ok: true, value: decode(new ByteReader(bytes)) };
  } catch (error) {
    if (error instanceof MalformedInputError) return { ok: false, error: error.message };
    throw error;
  }
}
