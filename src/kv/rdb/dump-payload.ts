// The DUMP payload (cluster.c createDumpPayload / verifyDumpPayload): one RDB-encoded value,
// then the RDB version as 2 bytes little-endian and a CRC-64 of everything before it as 8
// bytes little-endian. raftis writes version 10, as Redis 7.0 does, and accepts any version
// up to 10 with a matching checksum.

import { DecodeError } from '../binary.js';
import type { Value } from '../value.js';
import { crc64 } from './crc64.js';
import { RdbReader, RdbWriter } from './encoding.js';
import { readRdbValue, writeRdbValue } from './value-codec.js';

/** RDB_VERSION of Redis 7.0. */
export const rdbVersion = 10;
const footerBytes = 10;

/** DUMP's reply for `value`. */
export function createDumpPayload(value: Value): Buffer {
  const writer = new RdbWriter();
  writeRdbValue(value, writer);
  return withDumpFooter(writer.bytes.finish());
}

/** A value's RDB bytes (type byte and body) with the version and checksum footer: a payload RESTORE takes. */
export function withDumpFooter(value: Uint8Array): Buffer {
  const body = Buffer.allocUnsafe(value.length + 2);
  body.set(value, 0);
  body.writeUInt16LE(rdbVersion, value.length);
  const footer = Buffer.allocUnsafe(8);
  footer.writeBigUInt64LE(crc64(body), 0);
  return Buffer.concat([body, footer]);
}

/** True when the payload ends in a version raftis reads and a checksum that matches (verifyDumpPayload). */
export function verifyDumpPayload(payload: Uint8Array): boolean {
  if (payload.length < footerBytes) return false;
  const footer = Buffer.from(payload.buffer, payload.byteOffset + payload.length - footerBytes, footerBytes);
  if (footer.readUInt16LE(0) > rdbVersion) return false;
  return crc64(payload.subarray(0, payload.length - 8)) === footer.readBigUInt64LE(2);
}

/** The value of a verified payload; throws DecodeError when it is malformed (RESTORE's "Bad data format"). */
export function readDumpPayload(payload: Uint8Array, stringBytesMax: number): Value {
  const body = payload.subarray(0, payload.length - footerBytes);
  const value = readRdbValue(new RdbReader(body, stringBytesMax));
  if (value.type === 'string' && value.data.length > stringBytesMax) throw new DecodeError('rdb: string over the limit');
  return value;
}
