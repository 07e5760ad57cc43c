// HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST, on string values in
// Redis's representation (hyperloglog.ts). Replies and error texts follow Redis 7.0.
//
// PFCOUNT is a read here. Redis's PFCOUNT of one key also writes the cardinality it computed
// into the value's header (a cache), which would make a read change replicated state; raftis
// answers from the cache when it is valid and otherwise computes without storing, so every
// replica keeps identical bytes. The registers, and so every count, are the same as Redis's;
// only the header's cache bytes may be stale where Redis's would be fresh (GETRANGE of byte 15
// after a PFCOUNT shows 0x80 instead of 0x00).

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { allKeys, arg, command, noKeys, oneKey, type CommandSpec } from './command-spec.js';
import { isKeyword } from './integer-parse.js';
import type { KeyEntry } from './keyspace.js';
import {
  bulkText, CommandError, errorReply, integerReply, okReply, oneReply, wrongTypeError, zeroReply,
} from './replies.js';
import { readString, storeString, type StringAt } from './string-bits.js';
import {
  cachedCardinality, countOf, emptyHll, encodingDense, estimate, hllHeaderBytes, hllRegisterCount,
  hllSparseMaxBytesDefault, isHllValue, rawHistogram, rawRegisters,
} from './hyperloglog.js';
import { HllWriter } from './hyperloglog-writer.js';
import { hllSelfTest } from './hyperloglog-self-test.js';

const notHllError = errorReply('WRONGTYPE Key is not a valid HyperLogLog string value.');
const corruptHllError = errorReply('INVALIDOBJ Corrupted HLL object detected');
const noSuchKeyError = errorReply('ERR The specified key does not exist');
const notSparseError = errorReply('ERR HLL encoding is not sparse');

/** hll-sparse-max-bytes as the state machine holds it (replicated), or Redis's default. */
function sparseMaxBytes(context: CommandContext): number {
  return context.hllSparseMaxBytes?.() ?? hllSparseMaxBytesDefault;
}

/** The HLL at `key`: undefined when absent, WRONGTYPE (thrown) for another type or a string that is no HLL. */
function readHll(context: CommandContext, key: Uint8Array, source = false): StringAt | undefined {
  const found = readString(context, key, source);
  if (found !== undefined && !isHllValue(found.data)) throw new CommandError(notHllError);
  return found;
}

/** The bytes of the HLL in `entry` (a copy); WRONGTYPE (thrown) for another type or a string that is no HLL. */
function hllData(entry: KeyEntry): Buffer {
  const value = entry.value;
  if (value.type !== 'string' || !isHllValue(value.data)) throw new CommandError(value.type === 'string' ? notHllError : wrongTypeError);
  return value.data;
}

function pfadd(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const key = arg(argv, 1);
  const found = readHll(context, key);
  const writer = new HllWriter(found?.data ?? emptyHll(), sparseMaxBytes(context));
  let updated = found === undefined ? 1 : 0;
  for (let j = 2; j < argv.length; j++) {
    const result = writer.add(arg(argv, j));
    if (result === -1) {
      // Redis edits in place, so what earlier elements changed stays.
      if (updated > 0) storeString(context, key, found, writer.value());
      return corruptHllError;
    }
    updated += result;
  }
  if (updated === 0) return zeroReply;
  writer.invalidateCache();
  storeString(context, key, found, writer.value());
  return oneReply;
}

/** The registers of every HLL at `keys` merged (max per register), and whether any was dense. */
function mergeRegisters(context: CommandContext, keys: readonly Uint8Array[]): { registers: Uint8Array; anyDense: boolean } {
  const registers = new Uint8Array(hllRegisterCount);
  let anyDense = false;
  for (const key of keys) {
    const found = readHll(context, key, true);
    if (found === undefined) continue;
    anyDense ||= found.data[4] === encodingDense;
    if (rawRegisters(found.data, registers) === null) throw new CommandError(corruptHllError);
  }
  return { registers, anyDense };
}

function pfcount(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  if (argv.length > 2) return integerReply(estimate(rawHistogram(mergeRegisters(context, argv.slice(1)).registers)));
  const entry = context.lookup(arg(argv, 1));
  if (entry === undefined) return zeroReply;
  // A value counted before and unchanged since is answered from this node's memo, without a copy of it.
  const stored = entry.stored;
  const memo = typeof stored === 'string' ? context.hllCounts : null;
  const remembered = memo?.get(entry.mapKey, stored as string);
  if (remembered !== undefined) return integerReply(remembered);
  const data = hllData(entry);
  // See the file comment: the header's cache is used when valid, never written by this read.
  const cardinality = cachedCardinality(data) ?? countOf(data);
  if (cardinality === null) return corruptHllError;
  if (typeof cardinality === 'number') memo?.set(entry.mapKey, stored as string, cardinality);
  return integerReply(cardinality);
}

function pfmerge(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const target = arg(argv, 1);
  // The target is among the sources: its registers count too, and its type is checked with theirs.
  const { registers, anyDense } = mergeRegisters(context, argv.slice(1));
  const found = readString(context, target);
  const writer = new HllWriter(found?.data ?? emptyHll(), sparseMaxBytes(context));
  if (anyDense && !writer.toDense()) return corruptHllError;
  for (let i = 0; i < hllRegisterCount; i++) {
    const value = registers[i] as number;
    if (value !== 0) writer.set(i, value);
  }
  writer.invalidateCache();
  storeString(context, target, found, writer.value());
  return okReply;
}

/** Redis's "z:n Z:n v:value,run" listing of a sparse value's opcodes. */
function decodeSparse(data: Uint8Array): string {
  const parts: string[] = [];
  for (let p = hllHeaderBytes; p < data.length;) {
    const op = data[p] as number;
    if ((op & 0xc0) === 0) {
      parts.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if ((op & 0xc0) === 0x40) {
      parts.push(`Z:${(((op & 0x3f) << 8) | (data[p + 1] ?? 0)) + 1}`);
      p += 2;
    } else {
      parts.push(`v:${((op >> 2) & 0x1f) + 1},${(op & 0x3) + 1}`);
      p++;
    }
  }
  return parts.join(' ');
}

/** PFDEBUG GETREG|DECODE|ENCODING|TODENSE key: GETREG and TODENSE store a sparse value as dense. */
function pfdebug(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const subcommand = arg(argv, 1);
  const name = Buffer.from(subcommand).toString('latin1');
  const found = readHll(context, arg(argv, 2));
  if (found === undefined) return noSuchKeyError;
  const known = ['getreg', 'decode', 'encoding', 'todense'].find((candidate) => isKeyword(subcommand, candidate));
  if (known === undefined) return errorReply(`ERR Unknown PFDEBUG subcommand '${name}'`);
  const sparse = found.data[4] !== encodingDense;
  if (known === 'encoding') return { kind: 'simple', value: sparse ? 'sparse' : 'dense' };
  if (known === 'decode') return sparse ? bulkText(decodeSparse(found.data)) : notSparseError;
  const writer = new HllWriter(found.data, sparseMaxBytes(context));
  if (sparse) {
    if (!writer.toDense()) return corruptHllError;
    storeString(context, arg(argv, 2), found, writer.value());
  }
  if (known === 'todense') return sparse ? oneReply : zeroReply;
  const registers = rawRegisters(writer.value()) as Uint8Array;
  return { kind: 'array', value: Array.from(registers, (value) => integerReply(value)) };
}

function pfselftest(context: CommandContext): Reply {
  return hllSelfTest(sparseMaxBytes(context));
}

export const hyperloglogCommands: readonly CommandSpec[] = [
  command('pfadd', -2, ['write', 'denyoom', 'fast'], oneKey, pfadd),
  command('pfcount', -2, ['readonly'], allKeys, pfcount),
  command('pfmerge', -2, ['write', 'denyoom'], allKeys, pfmerge),
  command('pfdebug', 3, ['write', 'denyoom', 'admin'], [2, 2, 1], pfdebug),
  // 'readonly' (Redis has only 'admin'): it touches no key, so any node serves it as a read.
  command('pfselftest', 1, ['readonly', 'admin'], noKeys, pfselftest),
];
