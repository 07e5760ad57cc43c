// Redis's RDB value codec: what DUMP and RESTORE exchange with Redis, and the base of an RDB
// file import. readRdbValue/writeRdbValue work on one value inside a larger stream (an RDB
// file's key records); the dump payload adds the version and checksum footer.

export { crc64 } from './crc64.js';
export { RdbReader, RdbWriter } from './encoding.js';
export { readRdbValue, rdbType, writeRdbValue } from './value-codec.js';
export { createDumpPayload, rdbVersion, readDumpPayload, verifyDumpPayload, withDumpFooter } from './dump-payload.js';
export { RdbFileWriter, rdbFileVersion, readRdbFile, type RdbEntry, type RdbFileInfo, type RdbRecord } from './rdb-file.js';
