// A value in Redis's RDB object encoding (rdb.c rdbSaveObject / rdbLoadObject, RDB version
// 10 as Redis 7.0 writes it): a type byte, then the type's body. This is the one place the
// RDB types meet raftis's value types, each type's writer and readers side by side.
//
// Written: strings as strings (small integers in their integer encoding, as Redis does),
// lists as RDB_TYPE_LIST, sets as RDB_TYPE_SET, sorted sets as RDB_TYPE_ZSET_2 (binary
// scores) and hashes as RDB_TYPE_HASH: the plain encodings every Redis since 2.x reads and
// converts to its compact form itself; streams, which have no plain encoding, as Redis 7.0
// writes them (stream-codec.ts). Read: those, and every compact encoding Redis 7.0
// writes (quicklist of listpacks, intset, listpack sorted sets and hashes) or older ones
// wrote (quicklist of ziplists, ziplists, the text-score sorted set).

import { DecodeError } from '../binary.js';
import type { TypeName, Value } from '../value.js';
import { HashValue } from '../hash-value.js';
import { ListValue } from '../list-value.js';
import { listElementsMax } from '../list-commands.js';
import { SetValue } from '../set-value.js';
import { ZSetValue } from '../zset-value.js';
import { strtod } from '../strtod.js';
import type { StreamValue } from '../stream-value.js';
import { type RdbReader, RdbWriter } from './encoding.js';
import { intsetElements, listpackElements, ziplistElements } from './listpack.js';
import { readStream, streamRdbType, writeStream } from './stream-codec.js';

/** RDB object type codes (rdb.h). Never renumbered: they are Redis's. */
export const rdbType = {
  string: 0, list: 1, set: 2, zset: 3, hash: 4, zset2: 5, listZiplist: 10, setIntset: 11, zsetZiplist: 12,
  hashZiplist: 13, listQuicklist: 14, hashListpack: 16, zsetListpack: 17, listQuicklist2: 18,
} as const;

const quicklistNodePlain = 1;
const quicklistNodePacked = 2;

type Writer = (value: Value, writer: RdbWriter) => void;

/** How each value type is written: its RDB type code and body. */
const writers: Readonly<Record<TypeName, { readonly code: number; readonly write: Writer }>> = {
  string: { code: rdbType.string, write: (value, writer) => writer.text((value as { readonly data: Buffer }).data.toString('latin1')) },
  list: { code: rdbType.list, write: (value, writer) => writeElements((value as ListValue).length === 0 ? [] : (value as ListValue).range(0, (value as ListValue).length - 1), writer) },
  set: { code: rdbType.set, write: (value, writer) => writeElements([...(value as SetValue).values()], writer) },
  hash: { code: rdbType.hash, write: (value, writer) => writePairs([...(value as HashValue).entries()], writer) },
  zset: { code: rdbType.zset2, write: writeZset },
  stream: { code: streamRdbType.listpacks2, write: (value, writer) => writeStream(value as StreamValue, writer) },
};

function writeElements(elements: readonly string[], writer: RdbWriter): void {
  writer.length(elements.length);
  for (const element of elements) writer.text(element);
}

function writePairs(pairs: readonly (readonly [string, string])[], writer: RdbWriter): void {
  writer.length(pairs.length);
  for (const [field, value] of pairs) {
    writer.text(field);
    writer.text(value);
  }
}

/** Highest score first, as Redis writes a skiplist (so loading inserts at the head). */
function writeZset(value: Value, writer: RdbWriter): void {
  const zset = value as ZSetValue;
  writer.length(zset.length);
  for (const { member, score } of zset.slice(zset.length - 1, zset.length, true)) {
    writer.text(member);
    writer.binaryDouble(score);
  }
}

/** Writes `value` as its RDB type byte and body. */
export function writeRdbValue(value: Value, writer: RdbWriter): void {
  const { code, write } = writers[value.type];
  writer.u8(code);
  write(value, writer);
}

// ---- reading ------------------------------------------------------------------------------

/** Redis refuses an empty collection in a payload (RDB_LOAD_ERR_EMPTY_KEY). */
function nonEmpty<T extends readonly unknown[]>(elements: T, what: string): T {
  if (elements.length === 0) throw new DecodeError(`rdb: empty ${what}`);
  return elements;
}

/** A list of `elements`, within the most one raftis list may hold. */
function listOf(elements: string[]): ListValue {
  if (elements.length > listElementsMax) throw new DecodeError(`rdb: a list of ${elements.length} elements, over raftis's ${listElementsMax}`);
  return new ListValue(nonEmpty(elements, 'list'));
}

function readElements(reader: RdbReader): string[] {
  const count = reader.length();
  const elements: string[] = [];
  for (let i = 0; i < count; i++) elements.push(reader.text());
  return elements;
}

function setOf(members: readonly string[]): SetValue {
  const set = SetValue.create();
  for (const member of nonEmpty(members, 'set')) if (!set.add(member)) throw new DecodeError('rdb: duplicate set member');
  return set;
}

function hashOf(pairs: readonly string[]): HashValue {
  if (pairs.length % 2 !== 0) throw new DecodeError('rdb: a hash field without a value');
  nonEmpty(pairs, 'hash');
  const hash = HashValue.create();
  for (let i = 0; i < pairs.length; i += 2) {
    if (!hash.set(pairs[i] as string, pairs[i + 1] as string)) throw new DecodeError('rdb: duplicate hash field');
  }
  return hash;
}

function zsetOf(members: readonly string[], scores: readonly number[]): ZSetValue {
  const zset = ZSetValue.create();
  nonEmpty(members, 'sorted set');
  members.forEach((member, i) => {
    const score = scores[i] as number;
    if (Number.isNaN(score)) throw new DecodeError('rdb: NaN score in a sorted set');
    if (zset.set(member, score) !== 'added') throw new DecodeError('rdb: duplicate sorted set member');
  });
  return zset;
}

/** A compact blob of alternating member and score text (ziplist or listpack sorted sets). */
function zsetOfPairs(pairs: readonly string[]): ZSetValue {
  if (pairs.length % 2 !== 0) throw new DecodeError('rdb: a sorted set member without a score');
  const members: string[] = [];
  const scores: number[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const text = pairs[i + 1] as string;
    const parsed = strtod(text);
    if (parsed.end !== text.length) throw new DecodeError('rdb: a sorted set score that is not a number');
    members.push(pairs[i] as string);
    scores.push(parsed.value);
  }
  return zsetOf(members, scores);
}

function readScored(reader: RdbReader, score: () => number): ZSetValue {
  const count = reader.length();
  const members: string[] = [];
  const scores: number[] = [];
  for (let i = 0; i < count; i++) {
    members.push(reader.text());
    scores.push(score());
  }
  return zsetOf(members, scores);
}

function readPairs(reader: RdbReader): string[] {
  const count = reader.length();
  const pairs: string[] = [];
  for (let i = 0; i < count; i++) pairs.push(reader.text(), reader.text());
  return pairs;
}

function readQuicklist(reader: RdbReader, withContainers: boolean): ListValue {
  const nodes = reader.length();
  const elements: string[] = [];
  for (let i = 0; i < nodes; i++) {
    const container = withContainers ? reader.length() : quicklistNodePacked;
    const blob = reader.string();
    if (container === quicklistNodePlain) elements.push(blob.toString('latin1'));
    else if (container === quicklistNodePacked) elements.push(...(withContainers ? listpackElements(blob) : ziplistElements(blob)));
    else throw new DecodeError(`rdb: unknown quicklist container ${container}`);
  }
  return listOf(elements);
}

const readers = new Map<number, (reader: RdbReader) => Value>([
  [rdbType.string, (reader) => ({ type: 'string', data: Buffer.from(reader.string()) })],
  [rdbType.list, (reader) => listOf(readElements(reader))],
  [rdbType.listZiplist, (reader) => listOf(ziplistElements(reader.string()))],
  [rdbType.listQuicklist, (reader) => readQuicklist(reader, false)],
  [rdbType.listQuicklist2, (reader) => readQuicklist(reader, true)],
  [rdbType.set, (reader) => setOf(readElements(reader))],
  [rdbType.setIntset, (reader) => setOf(intsetElements(reader.string()))],
  [rdbType.zset, (reader) => readScored(reader, () => reader.textDouble())],
  [rdbType.zset2, (reader) => readScored(reader, () => reader.binaryDouble())],
  [rdbType.zsetZiplist, (reader) => zsetOfPairs(ziplistElements(reader.string()))],
  [rdbType.zsetListpack, (reader) => zsetOfPairs(listpackElements(reader.string()))],
  [rdbType.hash, (reader) => hashOf(readPairs(reader))],
  [rdbType.hashZiplist, (reader) => hashOf(ziplistElements(reader.string()))],
  [rdbType.hashListpack, (reader) => hashOf(listpackElements(reader.string()))],
  [streamRdbType.listpacks, (reader) => readStream(reader, streamRdbType.listpacks)],
  [streamRdbType.listpacks2, (reader) => readStream(reader, streamRdbType.listpacks2)],
  [streamRdbType.listpacks3, (reader) => readStream(reader, streamRdbType.listpacks3)],
]);

/** Reads one value (type byte and body); throws DecodeError for a malformed one or a type raftis does not hold (modules). */
export function readRdbValue(reader: RdbReader): Value {
  return readRdbValueOfType(reader.u8(), reader);
}

/** Reads the body of a value whose type byte `code` was read already (an RDB file puts the key between them). */
export function readRdbValueOfType(code: number, reader: RdbReader): Value {
  const read = readers.get(code);
  if (read === undefined) throw new DecodeError(`rdb: unsupported object type ${code}`);
  return read(reader);
}

export { RdbWriter };
