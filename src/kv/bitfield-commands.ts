// BITFIELD and BITFIELD_RO: signed and unsigned integers of 1..64 bits (unsigned up to 63) at
// any bit offset of a string, with GET, SET, INCRBY and OVERFLOW WRAP|SAT|FAIL. Semantics and
// error texts follow Redis 7.0 (bitops.c); the arithmetic is done on BigInts, so a field's
// overflow is decided on the exact sum rather than on C's wrapping integers.

import type { Reply } from './reply.js';
import type { CommandContext } from './command-context.js';
import { arg, oneKey, parsedCommand, type CommandSpec } from './command-spec.js';
import { isKeyword, parseInt64 } from './integer-parse.js';
import { CommandError, errorReply, integerReply, nilReply, notIntegerError, syntaxError } from './replies.js';
import { bitAt, bitOffsetError, engineStringBytesMax, openString, peekString, setBitAt, storeString } from './string-bits.js';
import { checkBitOffset } from './bitmap-commands.js';

const fieldTypeError = errorReply('ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.');
const overflowTypeError = errorReply('ERR Invalid OVERFLOW type specified');
const readOnlyError = errorReply('ERR BITFIELD_RO only supports the GET subcommand');

export type Overflow = 'wrap' | 'sat' | 'fail';

/** A field's type: signed (i1..i64) or unsigned (u1..u63). */
export interface FieldType {
  readonly signed: boolean;
  readonly bits: number;
}

interface FieldOp {
  readonly kind: 'get' | 'set' | 'incrby';
  readonly type: FieldType;
  readonly offset: number;
  /** SET's value or INCRBY's increment (0 for GET). */
  readonly value: bigint;
  readonly overflow: Overflow;
}

interface Bitfield {
  readonly key: Uint8Array;
  readonly ops: readonly FieldOp[];
  /** Last bit a SET or INCRBY touches; -1 when every op is a GET. */
  readonly highestWriteBit: number;
}

/** `i<bits>` or `u<bits>` (Redis reads the number up to a NUL byte, as C does). */
function parseFieldType(bytes: Uint8Array): FieldType {
  const text = Buffer.from(bytes).toString('latin1').split('\0')[0] as string;
  const signed = text.startsWith('i');
  if (!signed && !text.startsWith('u')) throw new CommandError(fieldTypeError);
  const bits = parseInt64(Buffer.from(text.slice(1), 'latin1'));
  if (bits === null || bits < 1n || bits > (signed ? 64n : 63n)) throw new CommandError(fieldTypeError);
  return { signed, bits: Number(bits) };
}

/** An offset in bits, or `#n` for the n-th field of this width (n × bits, wrapping like C's int64). */
function parseFieldOffset(bytes: Uint8Array, bits: number): number {
  const byField = bytes[0] === 0x23; // '#'
  let offset = parseInt64(byField ? bytes.subarray(1) : bytes);
  if (offset === null) throw new CommandError(bitOffsetError);
  if (byField) offset = BigInt.asIntN(64, offset * BigInt(bits));
  if (offset < 0n || offset >> 3n >= BigInt(engineStringBytesMax)) throw new CommandError(bitOffsetError);
  return Number(offset);
}

function parseOverflow(bytes: Uint8Array): Overflow {
  const overflow = (['wrap', 'sat', 'fail'] as const).find((candidate) => isKeyword(bytes, candidate));
  if (overflow === undefined) throw new CommandError(overflowTypeError);
  return overflow;
}

function parseBitfieldWith(readOnly: boolean) {
  return (argv: readonly Uint8Array[]): Bitfield => {
    const ops: FieldOp[] = [];
    let overflow: Overflow = 'wrap';
    let highestWriteBit = -1;
    for (let j = 2; j < argv.length; j++) {
      const remaining = argv.length - j - 1;
      const name = arg(argv, j);
      const kind = isKeyword(name, 'get') && remaining >= 2 ? 'get'
        : isKeyword(name, 'set') && remaining >= 3 ? 'set'
          : isKeyword(name, 'incrby') && remaining >= 3 ? 'incrby' : null;
      if (kind === null) {
        if (!isKeyword(name, 'overflow') || remaining < 1) throw new CommandError(syntaxError);
        overflow = parseOverflow(arg(argv, ++j));
        continue;
      }
      const type = parseFieldType(arg(argv, j + 1));
      const offset = parseFieldOffset(arg(argv, j + 2), type.bits);
      let value = 0n;
      if (kind !== 'get') {
        highestWriteBit = Math.max(highestWriteBit, offset + type.bits - 1);
        const parsed = parseInt64(arg(argv, j + 3));
        if (parsed === null) throw new CommandError(notIntegerError);
        value = parsed;
      }
      ops.push({ kind, type, offset, value, overflow });
      j += kind === 'get' ? 2 : 3;
    }
    if (readOnly && highestWriteBit >= 0) throw new CommandError(readOnlyError);
    return { key: arg(argv, 1), ops, highestWriteBit };
  };
}

// ---- Field arithmetic --------------------------------------------------------------------

/** The field of `type` at bit `offset` of `data` (bits beyond the end read as 0). */
function getField(data: Uint8Array, offset: number, type: FieldType): bigint {
  let value = 0n;
  for (let i = 0; i < type.bits; i++) value = (value << 1n) | BigInt(bitAt(data, offset + i));
  return type.signed ? BigInt.asIntN(type.bits, value) : value;
}

/** Writes the low `type.bits` bits of `value` at bit `offset` of `data` (long enough). */
function setField(data: Uint8Array, offset: number, type: FieldType, value: bigint): void {
  const bits = BigInt.asUintN(type.bits, value);
  for (let i = 0; i < type.bits; i++) setBitAt(data, offset + i, Number((bits >> BigInt(type.bits - 1 - i)) & 1n));
}

/**
 * Which way `value + increment` leaves a signed field: 1 above, -1 below, 0 within. This is
 * Redis's checkSignedBitfieldOverflow to the bit: its limits for the increment are computed in
 * wrapping 64-bit arithmetic, so a SET far below the minimum counts as an overflow upwards
 * (OVERFLOW SAT then stores the maximum), and Redis's replies are what this must match.
 */
function signedDirection(value: bigint, increment: bigint, bits: number): number {
  const max = (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const incrementMax = BigInt.asIntN(64, BigInt.asUintN(64, max) - value);
  const incrementMin = BigInt.asIntN(64, min - value);
  const wide = bits !== 64;
  if (value > max || (wide && increment > incrementMax) || (value >= 0n && increment > 0n && increment > incrementMax)) return 1;
  if (value < min || (wide && increment < incrementMin) || (value < 0n && increment < 0n && increment < incrementMin)) return -1;
  return 0;
}

/**
 * What a field becomes when `increment` is added to `value` (SET adds 0 to its value; an
 * unsigned SET takes the value as C's uint64) under `overflow`, or null when FAIL refuses it.
 */
function fitField(value: bigint, increment: bigint, type: FieldType, overflow: Overflow): bigint | null {
  const sum = value + increment;
  const bits = BigInt(type.bits);
  const max = type.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  const direction = type.signed ? signedDirection(value, increment, type.bits) : sum > max ? 1 : sum < 0n ? -1 : 0;
  if (direction === 0) return sum;
  if (overflow === 'fail') return null;
  if (overflow === 'sat') return direction > 0 ? max : type.signed ? -max - 1n : 0n;
  return type.signed ? BigInt.asIntN(type.bits, sum) : BigInt.asUintN(type.bits, sum);
}

/** Runs the ops on `data` in order; returns the replies and whether any field changed. */
function runOps(data: Buffer, ops: readonly FieldOp[]): { replies: Reply[]; changed: boolean } {
  const replies: Reply[] = [];
  let changed = false;
  for (const op of ops) {
    const old = getField(data, op.offset, op.type);
    if (op.kind === 'get') {
      replies.push(integerReply(old));
      continue;
    }
    const fitted = op.kind === 'incrby'
      ? fitField(old, op.value, op.type, op.overflow)
      : fitField(op.type.signed ? op.value : BigInt.asUintN(64, op.value), 0n, op.type, op.overflow);
    if (fitted === null) {
      replies.push(nilReply);
      continue;
    }
    setField(data, op.offset, op.type, fitted);
    changed ||= fitted !== old;
    replies.push(integerReply(op.kind === 'incrby' ? fitted : old));
  }
  return { replies, changed };
}

function bitfield(context: CommandContext, request: Bitfield): Reply {
  for (const op of request.ops) checkBitOffset(context, op.offset);
  // A write ending past the last byte a string may have is refused (Redis lets it run up to 8 bytes over).
  if (request.highestWriteBit >= 0) checkBitOffset(context, request.highestWriteBit);
  if (request.highestWriteBit < 0) {
    // Only GETs: a missing key reads as zeros and nothing is created.
    return { kind: 'array', value: runOps(peekString(context, request.key) ?? Buffer.alloc(0), request.ops).replies };
  }
  const length = Math.floor(request.highestWriteBit / 8) + 1;
  const entry = context.lookup(request.key);
  if (entry === undefined) {
    const data = Buffer.alloc(length);
    const { replies } = runOps(data, request.ops);
    // Created counts as a write even when every op failed, as in Redis.
    storeString(context, request.key, undefined, data);
    return { kind: 'array', value: replies };
  }
  const value = openString(context, entry, Math.max(entry.valueByteLength, length));
  // Grown counts as a write even when every op failed, as in Redis (growZero bumps the version).
  value.growZero(length);
  const { replies, changed } = runOps(value.view(), request.ops);
  if (changed) value.changed();
  return { kind: 'array', value: replies };
}

export const bitfieldCommands: readonly CommandSpec[] = [
  parsedCommand('bitfield', -2, ['write', 'denyoom'], oneKey, parseBitfieldWith(false), bitfield),
  parsedCommand('bitfield_ro', -2, ['readonly', 'fast'], oneKey, parseBitfieldWith(true), bitfield),
];
