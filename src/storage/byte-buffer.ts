// A growable byte buffer with little-endian writers, used to encode records and headers in
// one pass without concatenating. u64 fields carry JS safe integers (< 2^53) as lo/hi u32.

import { storageAssert } from './errors.js';

const INITIAL_CAPACITY_BYTES = 64 * 1024;

export class ByteWriter {
  bytes: Uint8Array;
  private view: DataView;
  /** Bytes written so far; the content is bytes[0, length). */
  length = 0;

  constructor(initialCapacityBytes = INITIAL_CAPACITY_BYTES) {
    this.bytes = new Uint8Array(initialCapacityBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  reserve(extraBytes: number): void {
    const needed = this.length + extraBytes;
    if (needed <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  /** Forgets the content but keeps the capacity. */
  reset(): void {
    this.length = 0;
  }

  u8(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  u16(value: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, value, true);
    this.length += 2;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  u64(value: number): void {
    storageAssert(Number.isSafeInteger(value) && value >= 0, `u64 field out of range: ${value}`);
    this.reserve(8);
    this.view.setUint32(this.length, value % 0x100000000, true);
    this.view.setUint32(this.length + 4, Math.floor(value / 0x100000000), true);
    this.length += 8;
  }

  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  setU32At(position: number, value: number): void {
    this.view.setUint32(position, value, true);
  }
}

export function readU16(bytes: Uint8Array, position: number): number {
  return bytes[position]! | (bytes[position + 1]! << 8);
}

export function readU32(bytes: Uint8Array, position: number): number {
  return (bytes[position]! | (bytes[position + 1]! << 8) | (bytes[position + 2]! << 16) | (bytes[position + 3]! << 24)) >>> 0;
}

/** Reads a u64 that must be a JS safe integer; returns -1 if it is not (caller reports). */
export function readU64(bytes: Uint8Array, position: number): number {
  const lo = readU32(bytes, position);
  const hi = readU32(bytes, position + 4);
  if (hi > 0x1fffff) return -1;
  return hi * 0x100000000 + lo;
}
