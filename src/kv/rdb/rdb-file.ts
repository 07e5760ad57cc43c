// A whole RDB file (rdb.c rdbSaveRio / rdbLoadRioWithLoadingCtx), version 10 as Redis 7.0
// writes it: "REDIS0010", auxiliary fields, function libraries, then per database a
// SELECTDB and RESIZEDB and its keys (each optionally preceded by its expiry and its
// LRU/LFU hint), EOF, and a CRC-64 of everything before it.
//
// Reading yields one record per key with the value's raw RDB bytes (type byte and body, as a
// DUMP payload carries them), so an import can hand each to RESTORE unchanged; every value
// is decoded once on the way to check it. Writing takes keys and values and emits the file
// in chunks. raftis has one database; a file's other databases are reported, not merged.

import { DecodeError } from '../binary.js';
import type { Value } from '../value.js';
import { crc64 } from './crc64.js';
import { RdbReader, RdbWriter } from './encoding.js';
import { rdbVersion } from './dump-payload.js';
import { readRdbValueOfType, writeRdbValue } from './value-codec.js';

const opcodeFunction2 = 0xf5;
const opcodeFunctionOld = 0xf6;
const opcodeModuleAux = 0xf7;
const opcodeIdle = 0xf8;
const opcodeFrequency = 0xf9;
const opcodeAux = 0xfa;
const opcodeResizeDb = 0xfb;
const opcodeExpireTimeMs = 0xfc;
const opcodeExpireTime = 0xfd;
const opcodeSelectDb = 0xfe;
const opcodeEof = 0xff;
const magic = 'REDIS';
const headerBytes = 9;
/** The first RDB version with a checksum after EOF. */
const checksumSinceVersion = 5;

/** Redis's names of the value types raftis does not hold, for the message that names them. */
const unsupportedTypes = new Map<number, string>([[6, 'module'], [7, 'module']]);

export type RdbRecord =
  | { readonly kind: 'key'; readonly db: number; readonly key: Buffer; readonly expireAtMs: number | null; readonly payload: Uint8Array; readonly value: Value }
  | { readonly kind: 'unsupported'; readonly db: number; readonly key: Buffer; readonly typeName: string }
  | { readonly kind: 'function'; readonly code: Buffer }
  | { readonly kind: 'aux'; readonly name: string; readonly value: string };

/** The RDB version of a file's header; throws DecodeError for a file that is not an RDB file this reader takes. */
export function rdbFileVersion(file: Uint8Array): number {
  const header = Buffer.from(file.buffer, file.byteOffset, Math.min(file.length, headerBytes)).toString('latin1');
  if (header.length < headerBytes || !header.startsWith(magic) || !/^\d{4}$/.test(header.slice(5))) throw new DecodeError('not an RDB file (no REDIS0nnn header)');
  const version = Number(header.slice(5));
  if (version < 1 || version > rdbVersion) throw new DecodeError(`RDB version ${version}: raftis reads versions 1 to ${rdbVersion} (Redis 7.0 and older)`);
  return version;
}

/** Checks the CRC-64 after EOF (a zero checksum means the writer had rdbchecksum off). */
function checkTrailer(file: Uint8Array, reader: RdbReader, version: number): void {
  if (version < checksumSinceVersion) return;
  const bodyEnd = reader.position;
  const stored = Buffer.from(reader.raw(8)).readBigUInt64LE(0);
  if (stored !== 0n && stored !== crc64(file.subarray(0, bodyEnd))) throw new DecodeError('RDB checksum mismatch: the file is damaged');
}

/** A value of a type raftis does not hold (a module's): it cannot be parsed, so the rest of the file cannot either. */
function unsupported(code: number, key: Buffer): never {
  const name = unsupportedTypes.get(code) ?? `type ${code}`;
  throw new DecodeError(`key "${key.toString('latin1')}" holds a ${name}, which raftis does not import (RDB object type ${code})`);
}

/**
 * The records of an RDB file in order, ending after the checksum is checked. A key of a type
 * raftis does not hold (a module's) ends the walk with a DecodeError naming it: its body
 * cannot be skipped without the module.
 */
export function* readRdbFile(file: Uint8Array, stringBytesMax: number): Generator<RdbRecord> {
  const version = rdbFileVersion(file);
  const reader = new RdbReader(file, stringBytesMax);
  reader.raw(headerBytes);
  let db = 0;
  let expireAtMs: number | null = null;
  for (;;) {
    const opcode = reader.u8();
    switch (opcode) {
      case opcodeEof:
        checkTrailer(file, reader, version);
        return;
      case opcodeAux: yield { kind: 'aux', name: reader.text(), value: reader.text() }; continue;
      case opcodeSelectDb: db = reader.length(); continue;
      case opcodeResizeDb: reader.length(); reader.length(); continue;
      case opcodeExpireTimeMs: expireAtMs = Number(Buffer.from(reader.raw(8)).readBigInt64LE(0)); continue;
      case opcodeExpireTime: expireAtMs = Buffer.from(reader.raw(4)).readInt32LE(0) * 1000; continue;
      case opcodeIdle: reader.length(); continue;
      case opcodeFrequency: reader.u8(); continue;
      case opcodeFunction2: yield { kind: 'function', code: Buffer.from(reader.string()) }; continue;
      case opcodeFunctionOld: throw new DecodeError('functions in the format of a Redis 7.0 release candidate (RDB_OPCODE_FUNCTION) are not read');
      case opcodeModuleAux: throw new DecodeError('the file holds module data (RDB_OPCODE_MODULE_AUX), which raftis cannot read');
      default: break;
    }
    const key = Buffer.from(reader.string());
    if (unsupportedTypes.has(opcode)) unsupported(opcode, key);
    const bodyStart = reader.position;
    const value = readRdbValueOfType(opcode, reader);
    const payload = Buffer.concat([Buffer.of(opcode), file.subarray(bodyStart, reader.position)]);
    yield { kind: 'key', db, key, expireAtMs, payload, value };
    expireAtMs = null;
  }
}

/** What an exported file says about its writer (Redis reads these and ignores the ones it does not know). */
export interface RdbFileInfo {
  readonly redisVersion: string;
  readonly createdAtMs: number;
  readonly usedMemoryBytes: number;
}

/** One key of an export. */
export type RdbEntry = { readonly key: Buffer; readonly value: Value; readonly expireAtMs: number | null };

/**
 * Writes an RDB file in chunks: header and aux fields, then (from the caller) the function
 * libraries, the database's size hint and each key, then the end and the checksum. Each call
 * returns the bytes it produced, for the caller to write out.
 */
export class RdbFileWriter {
  private checksum = 0n;

  private emit(writer: RdbWriter): Buffer {
    const bytes = writer.bytes.finish();
    this.checksum = crc64(bytes, this.checksum);
    return bytes;
  }

  header(info: RdbFileInfo): Buffer {
    const writer = new RdbWriter();
    writer.bytes.raw(Buffer.from(`${magic}${String(rdbVersion).padStart(4, '0')}`, 'latin1'));
    const aux = (name: string, value: string): void => {
      writer.u8(opcodeAux);
      writer.text(name);
      writer.text(value);
    };
    aux('redis-ver', info.redisVersion);
    aux('redis-bits', '64');
    aux('ctime', String(Math.floor(info.createdAtMs / 1000)));
    aux('used-mem', String(info.usedMemoryBytes));
    aux('aof-base', '0');
    return this.emit(writer);
  }

  /** One function library's code (FUNCTION LOAD's argument), written before the keys as Redis does. */
  library(code: Uint8Array): Buffer {
    const writer = new RdbWriter();
    writer.u8(opcodeFunction2);
    writer.length(code.length);
    writer.bytes.raw(code);
    return this.emit(writer);
  }

  /** SELECTDB 0 and the size hint Redis uses to size its tables. */
  database(keys: number, volatileKeys: number): Buffer {
    const writer = new RdbWriter();
    writer.u8(opcodeSelectDb);
    writer.length(0);
    writer.u8(opcodeResizeDb);
    writer.length(keys);
    writer.length(volatileKeys);
    return this.emit(writer);
  }

  /** One key: its expiry if any, then type, key and value. */
  entry(entry: RdbEntry): Buffer {
    const writer = new RdbWriter();
    if (entry.expireAtMs !== null) {
      writer.u8(opcodeExpireTimeMs);
      const time = Buffer.allocUnsafe(8);
      time.writeBigInt64LE(BigInt(entry.expireAtMs), 0);
      writer.bytes.raw(time);
    }
    const body = new RdbWriter();
    writeRdbValue(entry.value, body);
    const value = body.bytes.finish();
    writer.u8(value[0] as number);
    writer.length(entry.key.length);
    writer.bytes.raw(entry.key);
    writer.bytes.raw(value.subarray(1));
    return this.emit(writer);
  }

  /** EOF and the CRC-64 of everything before it. */
  end(): Buffer {
    const writer = new RdbWriter();
    writer.u8(opcodeEof);
    const body = this.emit(writer);
    const trailer = Buffer.allocUnsafe(8);
    trailer.writeBigUInt64LE(this.checksum, 0);
    return Buffer.concat([body, trailer]);
  }
}
