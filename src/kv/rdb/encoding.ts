// The primitives of Redis's RDB value encoding (rdb.c): lengths (6, 14, 32 or 64 bits, or a
// special encoding), strings (raw, an integer of 8/16/32 bits, or LZF-compressed), and
// doubles (8-byte little-endian, or the old one-byte-length text form). RdbReader checks
// every length against what remains, so a malformed payload is a DecodeError, never a crash
// or a huge allocation.

import { ByteWriter, DecodeError } from '../binary.js';
import { strtod } from '../strtod.js';
import { lzfDecompress } from './lzf.js';

const encodingInt8 = 0;
const encodingInt16 = 1;
const encodingInt32 = 2;
const encodingLzf = 3;

export class RdbReader {
  private at = 0;

  constructor(
    private readonly data: Uint8Array,
    /** Longest string (after decompression) accepted: a payload may not make raftis allocate more. */
    private readonly stringBytesMax: number,
  ) {}

  get position(): number {
    return this.at;
  }

  private need(bytes: number, what: string): void {
    if (bytes > this.data.length - this.at) throw new DecodeError(`rdb: ${what} needs ${bytes} bytes, ${this.data.length - this.at} left`);
  }

  u8(): number {
    this.need(1, 'a byte');
    return this.data[this.at++] as number;
  }

  raw(length: number): Buffer {
    this.need(length, 'a string');
    const view = Buffer.from(this.data.buffer, this.data.byteOffset + this.at, length);
    this.at += length;
    return view;
  }

  /** A length, or (encoded) the code of a special string encoding. */
  lengthOrEncoding(): { readonly value: number; readonly encoded: boolean } {
    const first = this.u8();
    switch (first >> 6) {
      case 0: return { value: first & 0x3f, encoded: false };
      case 1: return { value: ((first & 0x3f) << 8) | this.u8(), encoded: false };
      case 2: {
        if (first === 0x80) return { value: this.raw(4).readUInt32BE(0), encoded: false };
        if (first !== 0x81) throw new DecodeError(`rdb: unknown length encoding 0x${first.toString(16)}`);
        const long = this.raw(8).readBigUInt64BE(0);
        if (long > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError(`rdb: length ${long} too large`);
        return { value: Number(long), encoded: false };
      }
      default: return { value: first & 0x3f, encoded: true };
    }
  }

  length(): number {
    const { value, encoded } = this.lengthOrEncoding();
    if (encoded) throw new DecodeError('rdb: an encoded value where a length was expected');
    return value;
  }

  /** A length up to 2^64 - 1 (stream IDs' parts and counters are written as lengths). */
  bigLength(): bigint {
    const first = this.u8();
    if (first === 0x81) return this.raw(8).readBigUInt64BE(0);
    this.at--;
    return BigInt(this.length());
  }

  /** rdbLoadMillisecondTime: 8 bytes little-endian, signed. */
  millisecondTime(): number {
    const time = this.raw(8).readBigInt64LE(0);
    if (time > BigInt(Number.MAX_SAFE_INTEGER) || time < BigInt(Number.MIN_SAFE_INTEGER)) throw new DecodeError(`rdb: time ${time} out of range`);
    return Number(time);
  }

  /** A string in any of its encodings (integers come back as their decimal text). */
  string(): Buffer {
    const { value, encoded } = this.lengthOrEncoding();
    if (!encoded) {
      if (value > this.stringBytesMax) throw new DecodeError(`rdb: string of ${value} bytes is over the limit`);
      return this.raw(value);
    }
    switch (value) {
      case encodingInt8: return Buffer.from(String(this.raw(1).readInt8(0)), 'latin1');
      case encodingInt16: return Buffer.from(String(this.raw(2).readInt16LE(0)), 'latin1');
      case encodingInt32: return Buffer.from(String(this.raw(4).readInt32LE(0)), 'latin1');
      case encodingLzf: {
        const compressed = this.length();
        const length = this.length();
        if (length > this.stringBytesMax) throw new DecodeError(`rdb: compressed string of ${length} bytes is over the limit`);
        return lzfDecompress(this.raw(compressed), length);
      }
      default: throw new DecodeError(`rdb: unknown string encoding ${value}`);
    }
  }

  /** A string as a latin1 string (one char per byte), as raftis stores elements. */
  text(): string {
    return this.string().toString('latin1');
  }

  binaryDouble(): number {
    return this.raw(8).readDoubleLE(0);
  }

  /** The old text form: a length byte (253 nan, 254 +inf, 255 -inf), then the digits. */
  textDouble(): number {
    const length = this.u8();
    if (length === 253) return Number.NaN;
    if (length === 254) return Number.POSITIVE_INFINITY;
    if (length === 255) return Number.NEGATIVE_INFINITY;
    return strtod(this.raw(length).toString('latin1')).value;
  }
}

/** A canonical decimal integer within 32 bits, which Redis stores as an integer encoding. */
function int32Of(text: string): number | null {
  if (text.length === 0 || text.length > 11 || !/^(?:0|-?[1-9][0-9]*)$/.test(text)) return null;
  const value = Number(text);
  return value >= -(2 ** 31) && value < 2 ** 31 ? value : null;
}

export class RdbWriter {
  readonly bytes = new ByteWriter();

  u8(value: number): void {
    this.bytes.u8(value);
  }

  length(value: number): void {
    if (value < 1 << 6) this.bytes.u8(value);
    else if (value < 1 << 14) {
      this.bytes.u8(0x40 | (value >> 8));
      this.bytes.u8(value & 0xff);
    } else if (value <= 0xffffffff) {
      const four = Buffer.allocUnsafe(4);
      four.writeUInt32BE(value, 0);
      this.bytes.u8(0x80);
      this.bytes.raw(four);
    } else {
      const eight = Buffer.allocUnsafe(8);
      eight.writeBigUInt64BE(BigInt(value), 0);
      this.bytes.u8(0x81);
      this.bytes.raw(eight);
    }
  }

  /** A length up to 2^64 - 1, in the shortest form (rdbSaveLen). */
  bigLength(value: bigint): void {
    if (value <= 0xffffffffn) {
      this.length(Number(value));
      return;
    }
    const eight = Buffer.allocUnsafe(8);
    eight.writeBigUInt64BE(value, 0);
    this.bytes.u8(0x81);
    this.bytes.raw(eight);
  }

  /** rdbSaveMillisecondTime: 8 bytes little-endian. */
  millisecondTime(ms: number): void {
    const eight = Buffer.allocUnsafe(8);
    eight.writeBigInt64LE(BigInt(ms), 0);
    this.bytes.raw(eight);
  }

  /** A blob (a listpack, a node key) as a plain length-prefixed string. */
  blob(bytes: Uint8Array): void {
    this.length(bytes.length);
    this.bytes.raw(bytes);
  }

  /** A string given as latin1 text: an integer encoding where Redis would use one, else raw. */
  text(value: string): void {
    const integer = int32Of(value);
    if (integer === null) {
      this.length(value.length);
      this.bytes.raw(Buffer.from(value, 'latin1'));
      return;
    }
    const encoded = Buffer.allocUnsafe(4);
    if (integer >= -128 && integer <= 127) {
      this.bytes.u8(0xc0 | encodingInt8);
      encoded.writeInt8(integer, 0);
      this.bytes.raw(encoded.subarray(0, 1));
    } else if (integer >= -32768 && integer <= 32767) {
      this.bytes.u8(0xc0 | encodingInt16);
      encoded.writeInt16LE(integer, 0);
      this.bytes.raw(encoded.subarray(0, 2));
    } else {
      this.bytes.u8(0xc0 | encodingInt32);
      encoded.writeInt32LE(integer, 0);
      this.bytes.raw(encoded);
    }
  }

  binaryDouble(value: number): void {
    this.bytes.float64(value);
  }
}
