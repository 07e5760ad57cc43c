// Parses the decimal integer of a RESP header line with the strictness of Redis's
// string2ll(): an optional '-', then digits with no leading zero (except "0" itself), no
// '+', no blanks. Works on bytes in place so the hot path never builds a string.

import { DIGIT_NINE, DIGIT_ZERO, MINUS } from './protocol-bytes.js';

/** Longest text string2ll accepts (LONG_STR_SIZE); longer input is invalid, not rounded. */
const INTEGER_TEXT_MAX_BYTES = 21;

/** source[start, end) as an integer, or NaN if it is not one. Values beyond 2^53 lose precision. */
export function parseInteger(source: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length <= 0 || length > INTEGER_TEXT_MAX_BYTES) return Number.NaN;
  let index = start;
  let negative = false;
  if (source[index] === MINUS) {
    negative = true;
    index++;
    if (index === end) return Number.NaN;
  }
  const first = source[index] ?? 0;
  if (first === DIGIT_ZERO) return index + 1 === end && !negative ? 0 : Number.NaN;
  if (first < DIGIT_ZERO || first > DIGIT_NINE) return Number.NaN;
  let value = 0;
  for (; index < end; index++) {
    const byte = source[index] ?? 0;
    if (byte < DIGIT_ZERO || byte > DIGIT_NINE) return Number.NaN;
    value = value * 10 + (byte - DIGIT_ZERO);
  }
  return negative ? -value : value;
}
