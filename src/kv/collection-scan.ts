// Cursor iteration of the SCAN family: the cursor and COUNT parsing SCAN shares with the
// collection scans (HSCAN, SSCAN, ZSCAN), their MATCH/COUNT options with Redis's error texts
// and order of checks, their reply, and the walk over a collection stored by position.
//
// A positional collection (member-index.ts) moves an element only down, from the last
// position into a hole. Its scan therefore walks positions from the top down, and the cursor
// is the number of positions still to visit: an element present for the whole iteration is
// either below the cursor (still to come, and it stays below when it moves) or was visited
// (and is at worst visited again after it moves down, which SCAN allows). Elements added
// meanwhile land above the cursor and may be missed, as Redis allows too.

import type { ErrorReply, Reply } from './reply.js';
import { arg } from './command-spec.js';
import { globMatch } from './glob.js';
import { isKeyword, parseInt64 } from './integer-parse.js';
import { bulkText, CommandError, errorReply, notIntegerError, syntaxError } from './replies.js';

export const scanCountDefault = 10;
/** Bounds the work of one SCAN-family call whatever COUNT asks for. */
export const scanCountMax = 100_000;

const cursorMax = (1n << 64n) - 1n;
const invalidCursorError = errorReply('ERR invalid cursor');

/**
 * A cursor as Redis's strtoul reads it: an optional sign, digits (none reads as 0), no spaces,
 * at most 2^64 - 1; null when invalid. A negative cursor wraps around in C to a huge one;
 * here any cursor beyond the exact integers is Number.MAX_SAFE_INTEGER (past every position).
 */
export function parseScanCursor(bytes: Uint8Array): number | null {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (!/^[+-]?[0-9]*$/.test(text)) return null;
  const digits = text.replace(/^[+-]/, '');
  if (digits === '') return text === '' ? 0 : null;
  const value = BigInt(digits);
  if (value > cursorMax) return null;
  if (text.startsWith('-') && value !== 0n) return Number.MAX_SAFE_INTEGER;
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** COUNT's value: an integer of at least 1 (at most scanCountMax is used), else Redis's error. */
export function parseScanCount(bytes: Uint8Array): number | ErrorReply {
  const count = parseInt64(bytes);
  if (count === null) return notIntegerError;
  if (count < 1n) return syntaxError;
  return Number(count > BigInt(scanCountMax) ? BigInt(scanCountMax) : count);
}

/** HSCAN/SSCAN/ZSCAN key cursor [MATCH pattern] [COUNT count], parsed once. */
export interface CollectionScan {
  readonly key: Uint8Array;
  readonly cursor: number;
  /** Null when every element matches (no MATCH, or MATCH '*'). */
  readonly pattern: Uint8Array | null;
  readonly count: number;
  /** A bad option: Redis reports it only after finding the key, of the right type. */
  readonly optionError: ErrorReply | null;
}

/** Parses a collection scan; an invalid cursor is thrown (Redis checks it before the key). */
export function parseCollectionScan(argv: readonly Uint8Array[]): CollectionScan {
  const cursor = parseScanCursor(arg(argv, 2));
  if (cursor === null) throw new CommandError(invalidCursorError);
  let pattern: Uint8Array | null = null;
  let count = scanCountDefault;
  let optionError: ErrorReply | null = null;
  for (let j = 3; j < argv.length && optionError === null; j += 2) {
    const option = arg(argv, j);
    const value = argv[j + 1];
    if (value === undefined) optionError = syntaxError;
    else if (isKeyword(option, 'count')) {
      const parsed = parseScanCount(value);
      if (typeof parsed === 'number') count = parsed;
      else optionError = parsed;
    } else if (isKeyword(option, 'match')) {
      pattern = value.length === 1 && value[0] === 0x2a ? null : value;
    } else optionError = syntaxError;
  }
  return { key: arg(argv, 1), cursor, pattern, count, optionError };
}

/** The reply of a scan that visited nothing (an absent key). */
export const emptyScanReply: Reply = scanReply(0, []);

/** [next cursor as a bulk string, items]. */
export function scanReply(next: number, items: readonly Reply[]): Reply {
  return { kind: 'array', value: [bulkText(String(next)), { kind: 'array', value: items }] };
}

/** Whether an element (a latin1 string) passes the scan's MATCH. */
export function scanMatches(scan: CollectionScan, element: string): boolean {
  return scan.pattern === null || globMatch(scan.pattern, Buffer.from(element, 'latin1'));
}

/**
 * Visits up to `count` positions of a positional collection of `length` elements, from the
 * cursor down (cursor 0 starts at the top), and returns the next cursor (0 when done).
 */
export function scanPositions(length: number, cursor: number, count: number, visit: (position: number) => void): number {
  const start = cursor === 0 ? length : Math.min(cursor, length);
  const end = Math.max(0, start - count);
  for (let position = start - 1; position >= end; position--) visit(position);
  return end;
}
