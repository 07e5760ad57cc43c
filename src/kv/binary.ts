// Byte-level helpers shared by the command codec, the reply codec and the snapshot format:
// a growable writer that encodes straight into one buffer, and a bounds-checked reader.
// Varints are unsigned LEB128 limited to 2^53 - 1, so every value fits a JS number exactly.

/** Node's Buffer method behind toString('latin1'), without toString's argument handling. */
type Latin1Slicer = (this: Uint8Array, start: number, end: number) => string;
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slicer }).latin1Slice;

/**
 * The bytes as a latin1 string (one char per byte, a bijection): how keys, command names and
 * stored strings become map keys and values. On the apply path for every command, so it goes
 * straight to Node's slicer (no view object, no encoding lookup), which takes any Uint8Array:
 * a Buffer, or a Lua string's bytes a script passes to redis.call.
 */
export function latin1Of(bytes: Uint8Array): string {
  return latin1Between(bytes, 0, bytes.length);
}

/** bytes[start, end) as a latin1 string. */
export function latin1Between(bytes: Uint8Array, start: number, end: number): string {
  if (latin1Slice !== undefined) return latin1Slice.call(bytes, start, end);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', start, end);
}

/** Largest integer a varint may carry: the largest exact JS integer. */
export const varintMax = Number.MAX_SAFE_INTEGER;

const initialCapacityBytes = 64;

/** Appends values to one growing buffer; `finish()` returns the written bytes (a view, no copy). */
export class ByteWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(capacityBytes: number = initialCapacityBytes) {
    this.buffer = Buffer.allocUnsafe(Math.max(capacityBytes, 16));
  }

  get byteLength(): number {
    return this.length;
  }

  private reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length] = value;
    this.length += 1;
  }

  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Error(`varint out of range: ${value} (must be an integer in [0, ${varintMax}])`);
    }
    this.reserve(8);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
  }

  /** A signed integer as a zigzag varint (times and expiries may be negative in principle). */
  signed(value: number): void {
    if (!Number.isSafeInteger(value)) throw new Error(`signed varint out of range: ${value}`);
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  float64(value: number): void {
    this.reserve(8);
    this.buffer.writeDoubleLE(value, this.length);
    this.length += 8;
  }

  u32(value: number): void {
    this.reserve(4);
    this.buffer.writeUInt32LE(value >>> 0, this.length);
    this.length += 4;
  }

  /** Overwrites a u32 already written at `offset` (length prefixes filled in afterwards). */
  patchU32(offset: number, value: number): void {
    if (offset + 4 > this.length) throw new Error(`patchU32 at ${offset} beyond length ${this.length}`);
    this.buffer.writeUInt32LE(value >>> 0, offset);
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.raw(data);
  }

  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  string(text: string): void {
    this.bytes(Buffer.from(text, 'utf8'));
  }

  /** A string whose chars are bytes (latin1, each ≤ 0xff), written as bytes() would write them, without a Buffer in between. */
  latin1Bytes(text: string): void {
    this.varint(text.length);
    this.reserve(text.length);
    const written = this.buffer.write(text, this.length, 'latin1');
    if (written !== text.length) throw new Error(`latin1Bytes wrote ${written} of ${text.length} chars`);
    this.length += written;
  }

  /** The buffer written so far, unsliced: bytes [0, byteLength) are valid until the next write. */
  get backing(): Buffer {
    return this.buffer;
  }

  /** Drops everything written after `length` bytes. */
  truncate(length: number): void {
    if (length > this.length) throw new Error(`truncate to ${length} beyond length ${this.length}`);
    this.length = length;
  }

  finish(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** Thrown only inside decoders and turned into an error value at their boundary. */
export class DecodeError extends Error {}

/** Reads what ByteWriter wrote; every read checks bounds and throws DecodeError. */
export class ByteReader {
  private offset = 0;
  private readonly data: Buffer;

  constructor(data: Uint8Array) {
    this.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.data.length - this.offset;
  }

  private need(bytes: number, what: string): void {
    if (this.offset + bytes > this.data.length) {
      throw new DecodeError(`truncated ${what}: need ${bytes} bytes at offset ${this.offset}, have ${this.data.length - this.offset}`);
    }
  }

  u8(): number {
    this.need(1, 'u8');
    return this.data[this.offset++] as number;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      this.need(1, 'varint');
      const byte = this.data[this.offset++] as number;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (value > varintMax) throw new DecodeError(`varint ${value} exceeds ${varintMax}`);
        return value;
      }
      scale *= 0x80;
    }
    throw new DecodeError(`varint longer than 8 bytes at offset ${this.offset}`);
  }

  signed(): number {
    const zigzag = this.varint();
    return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  }

  float64(): number {
    this.need(8, 'float64');
    const value = this.data.readDoubleLE(this.offset);
    this.offset += 8;
    return value;
  }

  u32(): number {
    this.need(4, 'u32');
    const value = this.data.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  /** A length-prefixed byte string; returns a view into the input (no copy). */
  bytes(): Buffer {
    const length = this.varint();
    return this.raw(length);
  }

  /** bytes(), but `known` itself when the bytes equal it: no view made for a value that repeats. */
  bytesOr(known: Buffer): Buffer {
    const length = this.varint();
    this.need(length, 'bytes');
    if (length === known.length) {
      const data = this.data;
      const at = this.offset;
      let i = 0;
      while (i < length && data[at + i] === known[i]) i++;
      if (i === length) {
        this.offset += length;
        return known;
      }
    }
    return this.raw(length);
  }

  raw(length: number): Buffer {
    this.need(length, 'bytes');
    const view = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  string(): string {
    return this.bytes().toString('utf8');
  }
}
