// Binary encoding of Reply values: the dedup table keeps the last reply per client, and that
// table travels in snapshots.

import type { Reply } from './reply.js';
import type { ByteReader, ByteWriter } from './binary.js';
import { DecodeError } from './binary.js';

const tags = {
  simple: 1, error: 2, integer: 3, bulk: 4, nilBulk: 5, array: 6, nilArray: 7, double: 8, map: 9, verbatim: 10, null: 11, bigInteger: 12,
  set: 13, push: 14, boolean: 15, bignum: 16, pairs: 17, textDouble: 18,
} as const;
/** Replies nest (arrays of arrays); a decoder must not recurse without bound on corrupt input. */
const nestingMax = 64;

export function writeReply(writer: ByteWriter, reply: Reply): void {
  switch (reply.kind) {
    case 'simple': writer.u8(tags.simple); writer.string(reply.value); return;
    case 'error': writer.u8(tags.error); writer.string(reply.message); return;
    case 'integer':
      if (typeof reply.value === 'bigint') { writer.u8(tags.bigInteger); writer.string(reply.value.toString()); return; }
      writer.u8(tags.integer); writer.float64(reply.value); return;
    case 'bulk':
      if (reply.value === null) { writer.u8(tags.nilBulk); return; }
      writer.u8(tags.bulk); writer.bytes(reply.value); return;
    case 'array':
      if (reply.value === null) { writer.u8(tags.nilArray); return; }
      writer.u8(tags.array); writer.varint(reply.value.length);
      for (const item of reply.value) writeReply(writer, item);
      return;
    case 'double':
      if (reply.text === undefined) { writer.u8(tags.double); writer.float64(reply.value); return; }
      writer.u8(tags.textDouble); writer.float64(reply.value); writer.string(reply.text); return;
    case 'map':
    case 'pairs':
      writer.u8(tags[reply.kind]); writer.varint(reply.value.length);
      for (const [key, value] of reply.value) { writeReply(writer, key); writeReply(writer, value); }
      return;
    case 'set':
    case 'push':
      writer.u8(tags[reply.kind]); writer.varint(reply.value.length);
      for (const item of reply.value) writeReply(writer, item);
      return;
    case 'boolean': writer.u8(tags.boolean); writer.u8(reply.value ? 1 : 0); return;
    case 'bignum': writer.u8(tags.bignum); writer.string(reply.value.toString()); return;
    case 'verbatim': writer.u8(tags.verbatim); writer.string(reply.format); writer.string(reply.value); return;
    case 'null': writer.u8(tags.null); return;
    case 'attributed': writeReply(writer, reply.value); return; // attributes are a server command's, never kept
    default: {
      const exhaustive: never = reply;
      throw new Error(`unknown reply kind ${JSON.stringify(exhaustive)}`);
    }
  }
}

/** Digits of a big number reply a decoder accepts (BigInt parsing is quadratic in them). */
const bignumDigitsMax = 4096;

function readItems(reader: ByteReader, depth: number): Reply[] {
  const length = reader.varint();
  if (length > reader.remaining) throw new DecodeError(`reply aggregate of ${length} in ${reader.remaining} bytes`);
  const items: Reply[] = [];
  for (let i = 0; i < length; i++) items.push(readReply(reader, depth + 1));
  return items;
}

export function readReply(reader: ByteReader, depth = 0): Reply {
  if (depth > nestingMax) throw new DecodeError(`reply nested deeper than ${nestingMax}`);
  const tag = reader.u8();
  switch (tag) {
    case tags.simple: return { kind: 'simple', value: reader.string() };
    case tags.error: return { kind: 'error', message: reader.string() };
    case tags.integer: return { kind: 'integer', value: reader.float64() };
    case tags.bigInteger: {
      const text = reader.string();
      if (!/^-?\d{1,20}$/.test(text)) throw new DecodeError(`bad big integer reply "${text}"`);
      return { kind: 'integer', value: BigInt(text) };
    }
    case tags.bulk: return { kind: 'bulk', value: Buffer.from(reader.bytes()) };
    case tags.nilBulk: return { kind: 'bulk', value: null };
    case tags.array: return { kind: 'array', value: readItems(reader, depth) };
    case tags.nilArray: return { kind: 'array', value: null };
    case tags.set: return { kind: 'set', value: readItems(reader, depth) };
    case tags.push: return { kind: 'push', value: readItems(reader, depth) };
    case tags.boolean: {
      const flag = reader.u8();
      if (flag > 1) throw new DecodeError(`bad boolean reply ${flag}`);
      return { kind: 'boolean', value: flag === 1 };
    }
    case tags.bignum: {
      const text = reader.string();
      if (!/^-?\d+$/.test(text) || text.length > bignumDigitsMax) throw new DecodeError(`bad big number reply "${text.slice(0, 40)}"`);
      return { kind: 'bignum', value: BigInt(text) };
    }
    case tags.double: return { kind: 'double', value: reader.float64() };
    case tags.textDouble: return { kind: 'double', value: reader.float64(), text: reader.string() };
    case tags.map:
    case tags.pairs: {
      const length = reader.varint();
      if (length > reader.remaining) throw new DecodeError(`reply map of ${length} in ${reader.remaining} bytes`);
      const pairs: (readonly [Reply, Reply])[] = [];
      for (let i = 0; i < length; i++) pairs.push([readReply(reader, depth + 1), readReply(reader, depth + 1)]);
      return { kind: tag === tags.map ? 'map' : 'pairs', value: pairs };
    }
    case tags.verbatim: return { kind: 'verbatim', format: reader.string(), value: reader.string() };
    case tags.null: return { kind: 'null' };
    default: throw new DecodeError(`unknown reply tag ${tag}`);
  }
}
