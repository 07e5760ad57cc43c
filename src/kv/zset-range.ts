// Sorted-set scores and ranges as Redis 7 parses them (t_zset.c): a score (ZADD, ZINCRBY,
// WEIGHTS) must be a whole strtod number that is not NaN and neither overflowed nor
// underflowed to zero; a score range bound ("1.5", "(1.5", "-inf") is parsed by strtod up
// to the end or a NUL; a lex range bound is "-", "+", "[member" or "(member".

import { strtod } from './strtod.js';
import { mapKeyOf } from './keyspace.js';
import { compareKeys, type KeyPredicate } from './order-tree.js';

export interface ScoreRange {
  readonly min: number;
  readonly max: number;
  readonly minExclusive: boolean;
  readonly maxExclusive: boolean;
}

/** A lex bound: below every member ("-"), above every member ("+"), or a member, inclusive or not. */
export type LexBound =
  | { readonly kind: 'lowest' }
  | { readonly kind: 'highest' }
  | { readonly kind: 'member'; readonly member: string; readonly exclusive: boolean };

export interface LexRange {
  readonly min: LexBound;
  readonly max: LexBound;
}

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** Decimal digits of an integer score read without strtod: below 10^15, exact as a double. */
const plainIntegerDigitsMax = 15;

/**
 * A score that is an optional sign and at most 15 decimal digits, or null for any other form:
 * such a number is exact as a double, so reading it digit by digit gives what strtod gives,
 * without strtod's patterns (the integer scores clients send most, redis-benchmark's among them).
 */
function plainIntegerScore(bytes: Uint8Array): number | null {
  const negative = bytes[0] === 0x2d; // '-'
  let i = negative || bytes[0] === 0x2b ? 1 : 0; // '+'
  if (bytes.length === i || bytes.length - i > plainIntegerDigitsMax) return null;
  let value = 0;
  for (; i < bytes.length; i++) {
    const digit = (bytes[i] as number) - 0x30;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** A score as Redis's getDoubleFromObject accepts it; null when it is not a valid float. */
export function parseScore(bytes: Uint8Array): number | null {
  const plain = plainIntegerScore(bytes);
  if (plain !== null) return plain;
  const text = mapKeyOf(bytes);
  if (text.length === 0 || isSpace(text.charCodeAt(0))) return null;
  const parsed = strtod(text);
  if (parsed.end !== text.length || parsed.outOfRange || Number.isNaN(parsed.value)) return null;
  return parsed.value;
}

function parseScoreBound(bytes: Uint8Array): { readonly value: number; readonly exclusive: boolean } | null {
  const text = mapKeyOf(bytes);
  const exclusive = text.startsWith('(');
  const parsed = strtod(text, exclusive ? 1 : 0);
  if (parsed.end < text.length && text.charCodeAt(parsed.end) !== 0) return null;
  if (Number.isNaN(parsed.value)) return null;
  return { value: parsed.value, exclusive };
}

/** A score range as zslParseRange reads it; null when a bound is not a float. */
export function parseScoreRange(minBytes: Uint8Array, maxBytes: Uint8Array): ScoreRange | null {
  const min = parseScoreBound(minBytes);
  const max = parseScoreBound(maxBytes);
  if (min === null || max === null) return null;
  return { min: min.value, max: max.value, minExclusive: min.exclusive, maxExclusive: max.exclusive };
}

function parseLexBound(bytes: Uint8Array): LexBound | null {
  const first = bytes[0];
  const alone = bytes.length === 1 || bytes[1] === 0;
  if (first === 0x2b /* + */) return alone ? { kind: 'highest' } : null;
  if (first === 0x2d /* - */) return alone ? { kind: 'lowest' } : null;
  if (first === 0x28 /* ( */ || first === 0x5b /* [ */) {
    return { kind: 'member', member: mapKeyOf(bytes.subarray(1)), exclusive: first === 0x28 };
  }
  return null;
}

/** A lex range as zslParseLexRange reads it; null when a bound is not a valid string range item. */
export function parseLexRange(minBytes: Uint8Array, maxBytes: Uint8Array): LexRange | null {
  const min = parseLexBound(minBytes);
  const max = parseLexBound(maxBytes);
  return min === null || max === null ? null : { min, max };
}

/** True when no score can be inside the range (zslIsInRange's first test). */
export function isEmptyScoreRange(range: ScoreRange): boolean {
  return range.min > range.max || (range.min === range.max && (range.minExclusive || range.maxExclusive));
}

function isExclusive(bound: LexBound): boolean {
  return bound.kind !== 'member' || bound.exclusive;
}

/** Redis's sdscmplex: a member (or bound) against a bound, "-" below all and "+" above all. */
function compareLex(member: string, bound: LexBound): number {
  if (bound.kind === 'lowest') return 1;
  if (bound.kind === 'highest') return -1;
  return member < bound.member ? -1 : member > bound.member ? 1 : 0;
}

function compareBounds(a: LexBound, b: LexBound): number {
  if (a.kind === b.kind && a.kind !== 'member') return 0;
  if (a.kind === 'lowest' || b.kind === 'highest') return -1;
  if (a.kind === 'highest' || b.kind === 'lowest') return 1;
  return compareLex(a.member, b);
}

/** True when no member can be inside the range (zslIsInLexRange's first test). */
export function isEmptyLexRange(range: LexRange): boolean {
  const order = compareBounds(range.min, range.max);
  return order > 0 || (order === 0 && (isExclusive(range.min) || isExclusive(range.max)));
}

/** Keys at or past the range's lower bound (scores ascending). */
export function atOrAboveMinScore(range: ScoreRange): KeyPredicate {
  const { min } = range;
  return range.minExclusive ? (score) => score > min : (score) => score >= min;
}

/** Keys past the range's upper bound. */
export function aboveMaxScore(range: ScoreRange): KeyPredicate {
  const { max } = range;
  return range.maxExclusive ? (score) => score >= max : (score) => score > max;
}

/** Members at or past the lex range's lower bound (members ascending among equal scores). */
export function atOrAboveMinMember(range: LexRange): KeyPredicate {
  const { min } = range;
  return isExclusive(min) ? (_score, member) => compareLex(member, min) > 0 : (_score, member) => compareLex(member, min) >= 0;
}

/** Members past the lex range's upper bound. */
export function aboveMaxMember(range: LexRange): KeyPredicate {
  const { max } = range;
  return isExclusive(max) ? (_score, member) => compareLex(member, max) >= 0 : (_score, member) => compareLex(member, max) > 0;
}

/** Keys at or past (score, member). */
export function atOrAboveKey(score: number, member: string): KeyPredicate {
  return (s, m) => compareKeys(s, m, score, member) >= 0;
}
