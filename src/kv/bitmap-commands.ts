// Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP. Semantics, the
// order of checks and error texts follow Redis 7.0 (bitops.c). Bit 0 is the most significant
// bit of the first byte. A string grows (zero-padded) up to the size stringBytesMax allows.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, command, oneKey, parsedCommand, type CommandSpec } from './command-spec.js';
import { isKeyword, parseInt64 } from './integer-parse.js';
import { noExpiry } from './keyspace.js';
import { CommandError, errorReply, integerReply, notIntegerError, oneReply, syntaxError, zeroReply } from './replies.js';
import {
  bitOffsetError, engineStringBytesMax, openString, peekString, readString, setBitAt, storeString, stringByteAt, stringBytesMax,
} from './string-bits.js';

const bitValueError = errorReply('ERR bit is not an integer or out of range');
const bitArgumentError = errorReply('ERR The bit argument must be 1 or 0.');
const bitopNotError = errorReply('ERR BITOP NOT must be called with a single source key.');

/**
 * A bit offset argument (Redis's getBitOffsetFromArgument): an integer ≥ 0 whose byte is
 * below `bytesMax`. The state-free check uses the engine's limit; apply checks again against
 * proto-max-bulk-len (stringBytesMax), which needs the configuration.
 */
function parseBitOffset(bytes: Uint8Array, bytesMax = engineStringBytesMax): number {
  const offset = parseInt64(bytes);
  if (offset === null || offset < 0n || offset >> 3n >= BigInt(bytesMax)) throw new CommandError(bitOffsetError);
  return Number(offset);
}

/** The offset checked against this context's string limit (see parseBitOffset). */
export function checkBitOffset(context: CommandContext, offset: number): void {
  if (Math.floor(offset / 8) >= stringBytesMax(context)) throw new CommandError(bitOffsetError);
}

// ---- SETBIT / GETBIT ---------------------------------------------------------------------

interface SetBit {
  readonly key: Uint8Array;
  readonly offset: number;
  readonly value: number;
}

function parseSetBit(argv: readonly Uint8Array[]): SetBit {
  const offset = parseBitOffset(arg(argv, 2));
  const value = parseInt64(arg(argv, 3));
  if (value === null || (value !== 0n && value !== 1n)) throw new CommandError(bitValueError);
  return { key: arg(argv, 1), offset, value: Number(value) };
}

function setbit(context: CommandContext, request: SetBit): Reply {
  checkBitOffset(context, request.offset);
  const byteIndex = Math.floor(request.offset / 8);
  const shift = 7 - (request.offset % 8);
  const inPlace = stringByteAt(context, request.key, byteIndex);
  const previous = inPlace === undefined ? 0 : (inPlace.byte >> shift) & 1;
  // Like Redis 7.0.15, a SETBIT that changes neither the bit nor the length is no write.
  if (inPlace !== undefined && byteIndex < inPlace.length && previous === request.value) return previous === 1 ? oneReply : zeroReply;
  if (inPlace === undefined) {
    const data = Buffer.alloc(byteIndex + 1);
    setBitAt(data, request.offset, request.value);
    storeString(context, request.key, undefined, data);
  } else {
    const value = openString(context, inPlace.entry, Math.max(inPlace.length, byteIndex + 1));
    value.growZero(byteIndex + 1);
    setBitAt(value.view(), request.offset, request.value);
    value.changed();
  }
  return previous === 1 ? oneReply : zeroReply;
}

interface GetBit {
  readonly key: Uint8Array;
  readonly offset: number;
}

function parseGetBit(argv: readonly Uint8Array[]): GetBit {
  return { key: arg(argv, 1), offset: parseBitOffset(arg(argv, 2)) };
}

function getbit(context: CommandContext, request: GetBit): Reply {
  checkBitOffset(context, request.offset);
  const inPlace = stringByteAt(context, request.key, Math.floor(request.offset / 8));
  return inPlace !== undefined && ((inPlace.byte >> (7 - (request.offset % 8))) & 1) === 1 ? oneReply : zeroReply;
}

// ---- BITCOUNT / BITPOS -------------------------------------------------------------------

/** Set bits per byte value. */
const popcountTable = Uint8Array.from({ length: 256 }, (_, byte) => {
  let count = 0;
  for (let bits = byte; bits !== 0; bits &= bits - 1) count++;
  return count;
});

/** The bits of a byte from bit `from` to bit `to` (0 = most significant), inclusive. */
function byteMask(from: number, to: number): number {
  return (0xff >> from) & (0xff << (7 - to)) & 0xff;
}

/** Set bits of a 32-bit word (SWAR popcount). */
function popcount32(word: number): number {
  let bits = word - ((word >>> 1) & 0x55555555);
  bits = (bits & 0x33333333) + ((bits >>> 2) & 0x33333333);
  return (Math.imul((bits + (bits >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Set bits of whole bytes [from, to): four at a time through an aligned 32-bit view, the ends by table. */
function countBytes(data: Uint8Array, from: number, to: number): number {
  let count = 0;
  let i = from;
  for (; i < to && (data.byteOffset + i) % 4 !== 0; i++) count += popcountTable[data[i] as number] as number;
  const words = Math.max(0, Math.floor((to - i) / 4));
  if (words > 0) {
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let w = 0; w < words; w++) count += popcount32(view[w] as number);
    i += words * 4;
  }
  for (; i < to; i++) count += popcountTable[data[i] as number] as number;
  return count;
}

/** Set bits among bits [fromBit, toBit] of `data` (inclusive, within the data). */
function countBits(data: Uint8Array, fromBit: number, toBit: number): number {
  const first = Math.floor(fromBit / 8);
  const last = Math.floor(toBit / 8);
  if (first === last) return popcountTable[(data[first] as number) & byteMask(fromBit % 8, toBit % 8)] as number;
  return (popcountTable[(data[first] as number) & byteMask(fromBit % 8, 7)] as number)
    + countBytes(data, first + 1, last)
    + (popcountTable[(data[last] as number) & byteMask(0, toBit % 8)] as number);
}

/** The first bit equal to `wanted` among bits [fromBit, toBit] of `data`, or -1. */
function findBit(data: Uint8Array, wanted: number, fromBit: number, toBit: number): number {
  const first = Math.floor(fromBit / 8);
  const last = Math.floor(toBit / 8);
  /** The first wanted bit of byte `i` between bit `from` and bit `to` of that byte, or -1. */
  const inByte = (i: number, from: number, to: number): number => {
    const matching = (wanted === 1 ? (data[i] as number) : ~(data[i] as number)) & byteMask(from, to);
    return matching === 0 ? -1 : i * 8 + Math.clz32(matching) - 24;
  };
  const found = inByte(first, fromBit % 8, first === last ? toBit % 8 : 7);
  if (found !== -1 || first === last) return found;
  const skip = wanted === 1 ? 0x00 : 0xff;
  let i = first + 1;
  while (i < last && data[i] === skip) i++;
  return i < last ? inByte(i, 0, 7) : inByte(last, 0, toBit % 8);
}

/** A start/end pair as BITCOUNT and BITPOS resolve it: inclusive bit positions, or null when empty. */
interface BitRange {
  readonly fromBit: number;
  readonly toBit: number;
}

/** Redis's range arithmetic: negative from the end, clamped to the string; in bits or bytes. */
function resolveRange(length: number, start: bigint, end: bigint, inBits: boolean): BitRange | null {
  const total = BigInt(inBits ? length * 8 : length);
  let from = start < 0n ? total + start : start;
  let to = end < 0n ? total + end : end;
  if (from < 0n) from = 0n;
  if (to < 0n) to = 0n;
  if (to >= total) to = total - 1n;
  if (from > to) return null;
  return inBits ? { fromBit: Number(from), toBit: Number(to) } : { fromBit: Number(from) * 8, toBit: Number(to) * 8 + 7 };
}

function parseInteger(bytes: Uint8Array): bigint {
  const value = parseInt64(bytes);
  if (value === null) throw new CommandError(notIntegerError);
  return value;
}

/** BIT or BYTE: true for BIT. */
function parseUnit(bytes: Uint8Array): boolean {
  if (isKeyword(bytes, 'bit')) return true;
  if (isKeyword(bytes, 'byte')) return false;
  throw new CommandError(syntaxError);
}

/** BITCOUNT key [start end [BYTE|BIT]]: like Redis 7.0, the key is looked up before the range is parsed. */
function bitcount(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const data = peekString(context, arg(argv, 1));
  if (data === undefined) return zeroReply;
  if (argv.length === 2) return integerReply(countBits(data, 0, data.length * 8 - 1));
  if (argv.length > 5 || argv.length === 3) return syntaxError;
  const start = parseInteger(arg(argv, 2));
  const end = parseInteger(arg(argv, 3));
  if (start < 0n && end < 0n && start > end) return zeroReply;
  const inBits = argv.length === 5 && parseUnit(arg(argv, 4));
  const range = resolveRange(data.length, start, end, inBits);
  return range === null ? zeroReply : integerReply(countBits(data, range.fromBit, range.toBit));
}

/** BITPOS key bit [start [end [BYTE|BIT]]]: the bit argument is checked before the key, the range after. */
function bitpos(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const wanted = parseInteger(arg(argv, 2));
  if (wanted !== 0n && wanted !== 1n) return bitArgumentError;
  const data = peekString(context, arg(argv, 1));
  // A missing key is an infinite run of zeros.
  if (data === undefined) return integerReply(wanted === 1n ? -1 : 0);
  if (argv.length > 6) return syntaxError;
  const start = argv.length > 3 ? parseInteger(arg(argv, 3)) : 0n;
  const inBits = argv.length === 6 && parseUnit(arg(argv, 5));
  const endGiven = argv.length > 4;
  const end = endGiven ? parseInteger(arg(argv, 4)) : -1n;
  const range = resolveRange(data.length, start, end, inBits);
  if (range === null) return integerReply(-1);
  const position = findBit(data, Number(wanted), range.fromBit, range.toBit);
  if (position !== -1 || wanted === 1n || endGiven) return integerReply(position);
  // Looking for a clear bit with no end given: the string continues with zeros to its right.
  return integerReply(data.length * 8);
}

// ---- BITOP -------------------------------------------------------------------------------

type BitOperation = 'and' | 'or' | 'xor' | 'not';

interface BitOp {
  readonly operation: BitOperation;
  readonly target: Uint8Array;
  readonly sources: readonly Uint8Array[];
}

function parseBitOp(argv: readonly Uint8Array[]): BitOp {
  const name = arg(argv, 1);
  const operation = (['and', 'or', 'xor', 'not'] as const).find((candidate) => isKeyword(name, candidate));
  if (operation === undefined) throw new CommandError(syntaxError);
  if (operation === 'not' && argv.length !== 4) throw new CommandError(bitopNotError);
  return { operation, target: arg(argv, 2), sources: argv.slice(3) };
}

/** The result of `operation` over `sources`, each zero-padded to the longest. */
function combine(operation: BitOperation, sources: readonly Buffer[]): Buffer {
  const length = sources.reduce((longest, source) => Math.max(longest, source.length), 0);
  const first = sources[0] as Buffer;
  const result = Buffer.alloc(length);
  first.copy(result, 0);
  if (operation === 'not') {
    for (let i = 0; i < length; i++) result[i] = ~(result[i] as number) & 0xff;
    return result;
  }
  for (const source of sources.slice(1)) {
    const shared = Math.min(source.length, length);
    if (operation === 'and') {
      for (let i = 0; i < shared; i++) result[i] = (result[i] as number) & (source[i] as number);
      result.fill(0, shared);
    } else if (operation === 'or') {
      for (let i = 0; i < shared; i++) result[i] = (result[i] as number) | (source[i] as number);
    } else {
      for (let i = 0; i < shared; i++) result[i] = (result[i] as number) ^ (source[i] as number);
    }
  }
  return result;
}

function bitop(context: CommandContext, request: BitOp): Reply {
  // Every source is checked for its type before anything is written.
  const sources = request.sources.map((key) => readString(context, key, true)?.data ?? Buffer.alloc(0));
  const result = combine(request.operation, sources);
  const target = context.lookup(request.target);
  if (result.length > 0) context.keyspace.set(request.target, { type: 'string', data: result }, noExpiry, false);
  else if (target !== undefined) context.delete(target);
  return integerReply(result.length);
}

export const bitmapCommands: readonly CommandSpec[] = [
  parsedCommand('setbit', 4, ['write', 'denyoom'], oneKey, parseSetBit, setbit),
  parsedCommand('getbit', 3, ['readonly', 'fast'], oneKey, parseGetBit, getbit),
  command('bitcount', -2, ['readonly'], oneKey, bitcount),
  command('bitpos', -3, ['readonly'], oneKey, bitpos),
  parsedCommand('bitop', -4, ['write', 'denyoom'], [2, -1, 1], parseBitOp, bitop),
];
