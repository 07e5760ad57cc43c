// Stream entry IDs: two unsigned 64-bit parts, milliseconds and sequence, held as one bigint
// (ms × 2^64 + seq) so that IDs compare, sort and step as numbers. Parsing and printing as
// Redis does (t_stream.c streamGenericParseIDOrReply), with its error texts.

import { DecodeError, type ByteReader } from './binary.js';
import { CommandError, errorReply } from './replies.js';

export type StreamId = bigint;

const SEQ_BITS = 64n;
const PART_MAX = (1n << 64n) - 1n;
export const STREAM_ID_MIN: StreamId = 0n;
export const STREAM_ID_MAX: StreamId = (PART_MAX << SEQ_BITS) | PART_MAX;

export const invalidStreamIdError = errorReply('ERR Invalid stream ID specified as stream command argument');

export function streamId(ms: bigint, seq: bigint): StreamId {
  return (ms << SEQ_BITS) | seq;
}

export function msOf(id: StreamId): bigint {
  return id >> SEQ_BITS;
}

export function seqOf(id: StreamId): bigint {
  return id & PART_MAX;
}

export function formatStreamId(id: StreamId): string {
  return `${msOf(id)}-${seqOf(id)}`;
}

export function streamIdBytes(id: StreamId): Buffer {
  return Buffer.from(formatStreamId(id), 'latin1');
}

/** An unsigned 64-bit decimal as Redis's string2ull reads it, or null. */
function parsePart(text: string): bigint | null {
  if (!/^\d+$/.test(text) || text.length > 20) return null;
  const value = BigInt(text);
  return value > PART_MAX ? null : value;
}

/** A parsed ID; `seqGiven` false for "ms-*" (XADD only) and `seqMissing` for a lone "ms". */
export interface ParsedStreamId {
  readonly id: StreamId;
  readonly seqGiven: boolean;
}

/**
 * Parses an ID: "-" and "+" are the smallest and largest, a lone ms takes `missingSeq`,
 * "ms-*" is allowed only when `allowAutoSeq` (XADD). Throws Redis's error otherwise.
 */
export function parseStreamId(bytes: Uint8Array, missingSeq: bigint, allowAutoSeq = false): ParsedStreamId {
  const text = Buffer.from(bytes).toString('latin1');
  if (text.length > 127) throw new CommandError(invalidStreamIdError);
  if (text === '-') return { id: STREAM_ID_MIN, seqGiven: true };
  if (text === '+') return { id: STREAM_ID_MAX, seqGiven: true };
  const dash = text.indexOf('-');
  const ms = parsePart(dash < 0 ? text : text.slice(0, dash));
  if (ms === null) throw new CommandError(invalidStreamIdError);
  if (dash < 0) return { id: streamId(ms, missingSeq), seqGiven: true };
  const seqText = text.slice(dash + 1);
  if (allowAutoSeq && seqText === '*') return { id: streamId(ms, 0n), seqGiven: false };
  const seq = parsePart(seqText);
  if (seq === null) throw new CommandError(invalidStreamIdError);
  return { id: streamId(ms, seq), seqGiven: true };
}

/** A strict ID (ms-seq or ms) where "-", "+" and "*" have no meaning. */
export function parseStrictStreamId(bytes: Uint8Array, missingSeq = 0n): StreamId {
  const text = Buffer.from(bytes).toString('latin1');
  if (text === '-' || text === '+') throw new CommandError(invalidStreamIdError);
  return parseStreamId(bytes, missingSeq).id;
}

/** A range bound: "(" makes it exclusive (Redis 6.2); the start moves up, the end down. */
export function parseRangeBound(bytes: Uint8Array, side: 'start' | 'end'): StreamId {
  const exclusive = bytes.length > 1 && bytes[0] === 0x28; // '('
  const missingSeq = side === 'start' ? 0n : PART_MAX;
  // An exclusive bound is a strict ID: "(-" and "(+" are errors, as in Redis.
  const parsed = exclusive ? parseStrictStreamId(bytes.subarray(1), missingSeq) : parseStreamId(bytes, missingSeq).id;
  if (!exclusive) return parsed;
  if (side === 'start') {
    if (parsed === STREAM_ID_MAX) throw new CommandError(errorReply('ERR invalid start ID for the interval'));
    return parsed + 1n;
  }
  if (parsed === STREAM_ID_MIN) throw new CommandError(errorReply('ERR invalid end ID for the interval'));
  return parsed - 1n;
}

/** The ID right after `id` (its sequence plus one, carrying into ms), or null past the largest. */
export function nextStreamId(id: StreamId): StreamId | null {
  return id === STREAM_ID_MAX ? null : id + 1n;
}

/** A snapshot's ID (written as its text, formatStreamId). */
export function readStreamId(reader: ByteReader): StreamId {
  const text = reader.bytes().toString('latin1');
  const match = /^(\d+)-(\d+)$/.exec(text);
  if (match === null) throw new DecodeError(`bad stream ID ${JSON.stringify(text)}`);
  return streamId(BigInt(match[1] as string), BigInt(match[2] as string));
}

/** The first index in [low, high) of sorted `ids` whose ID is ≥ id (high when none). */
export function lowerBoundId(ids: readonly StreamId[], id: StreamId, low = 0, high = ids.length): number {
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((ids[mid] as StreamId) < id) low = mid + 1;
    else high = mid;
  }
  return low;
}
