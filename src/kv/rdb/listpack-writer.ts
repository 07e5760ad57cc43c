// Writing a listpack (listpack.c) byte for byte as Redis 7.0 builds one with lpAppend and
// lpAppendInteger: a string that reads as a canonical 64-bit integer is stored in the smallest
// integer encoding, any other in the smallest string encoding, each entry followed by its
// back-length. The stream payload (stream-codec.ts) is made of these.

const headerBytes = 6;
const endMarker = 0xff;
/** lpGetNumElements's "unknown": the header's count field saturates here. */
const countUnknown = 0xffff;
/** LONG_STR_SIZE: lpStringToInt64 looks no further. */
const integerTextMax = 20;
const int64Min = -(1n << 63n);
const int64Max = (1n << 63n) - 1n;

/** lpStringToInt64: the integer a string is the canonical decimal form of, or null. */
export function listpackInteger(text: string): bigint | null {
  if (text.length === 0 || text.length > integerTextMax || !/^(?:0|-?[1-9][0-9]*)$/.test(text)) return null;
  const value = BigInt(text);
  return value < int64Min || value > int64Max ? null : value;
}

/** lpEncodeIntegerGetType: the encoded bytes of an integer entry. */
function integerEncoding(value: bigint): Buffer {
  if (value >= 0n && value <= 127n) return Buffer.from([Number(value)]);
  if (value >= -4096n && value <= 4095n) {
    const unsigned = Number(value < 0n ? (1n << 13n) + value : value);
    return Buffer.from([0xc0 | (unsigned >> 8), unsigned & 0xff]);
  }
  const widths: readonly (readonly [number, number])[] = [[2, 0xf1], [3, 0xf2], [4, 0xf3]];
  for (const [bytes, code] of widths) {
    const limit = 1n << BigInt(bytes * 8 - 1);
    if (value >= -limit && value < limit) {
      const encoded = Buffer.alloc(1 + bytes);
      encoded[0] = code;
      encoded.writeIntLE(Number(value), 1, bytes);
      return encoded;
    }
  }
  const encoded = Buffer.alloc(9);
  encoded[0] = 0xf4;
  encoded.writeBigInt64LE(value, 1);
  return encoded;
}

/** lpEncodeString: the encoded bytes of a string entry. */
function stringEncoding(text: string): Buffer {
  const data = Buffer.from(text, 'latin1');
  let header: Buffer;
  if (data.length < 64) header = Buffer.from([0x80 | data.length]);
  else if (data.length < 4096) header = Buffer.from([0xe0 | (data.length >> 8), data.length & 0xff]);
  else {
    header = Buffer.alloc(5);
    header[0] = 0xf0;
    header.writeUInt32LE(data.length, 1);
  }
  return Buffer.concat([header, data]);
}

/** lpEncodeBacklen: the entry's encoded size, 7 bits a byte, most significant first, in Redis's byte counts. */
function backLength(size: number): Buffer {
  const count = backLengthCount(size);
  const bytes = Buffer.alloc(count);
  for (let i = 0; i < count; i++) {
    const part = Math.floor(size / 2 ** (7 * (count - 1 - i))) & 127;
    // Every byte but the first (most significant) carries the continuation bit.
    bytes[i] = i === 0 ? part : part | 128;
  }
  return bytes;
}

/** Bytes of an integer entry with its back-length (all integer encodings take at most 9: one back-length byte). */
export function listpackIntegerBytes(value: bigint): number {
  if (value >= 0n && value <= 127n) return 2;
  if (value >= -4096n && value <= 4095n) return 3;
  if (value >= -32768n && value <= 32767n) return 4;
  if (value >= -8388608n && value <= 8388607n) return 5;
  if (value >= -2147483648n && value <= 2147483647n) return 6;
  return 10;
}

/** Bytes lpAppend gives a string with its back-length (as an integer when it is one's canonical form). */
export function listpackStringBytes(text: string): number {
  const integer = text.length <= integerTextMax ? listpackInteger(text) : null;
  if (integer !== null) return listpackIntegerBytes(integer);
  const encoded = text.length + (text.length < 64 ? 1 : text.length < 4096 ? 2 : 5);
  return encoded + backLengthCount(encoded);
}

function backLengthCount(size: number): number {
  return size <= 127 ? 1 : size < 16383 ? 2 : size < 2097151 ? 3 : size < 268435455 ? 4 : 5;
}

export class ListpackWriter {
  private readonly entries: Buffer[] = [];
  private entryBytes = 0;

  /** Bytes the finished listpack will take. */
  get byteLength(): number {
    return headerBytes + this.entryBytes + 1;
  }

  /** lpAppend: a string, stored as an integer when it is one's canonical form. */
  string(text: string): void {
    const integer = listpackInteger(text);
    this.add(integer === null ? stringEncoding(text) : integerEncoding(integer));
  }

  /** lpAppendInteger. */
  integer(value: bigint | number): void {
    this.add(integerEncoding(BigInt(value)));
  }

  private add(encoded: Buffer): void {
    const back = backLength(encoded.length);
    this.entries.push(encoded, back);
    this.entryBytes += encoded.length + back.length;
  }

  finish(): Buffer {
    const header = Buffer.alloc(headerBytes);
    header.writeUInt32LE(this.byteLength, 0);
    header.writeUInt16LE(Math.min(this.entries.length / 2, countUnknown), 4);
    return Buffer.concat([header, ...this.entries, Buffer.from([endMarker])]);
  }
}
