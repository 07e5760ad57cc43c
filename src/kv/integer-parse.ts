// Integer parsing exactly like Redis's string2ll: optional '-', no '+', no spaces, no leading
// zeros, and the value must fit a signed 64-bit integer. BigInt keeps the full range.

export const int64Max = (1n << 63n) - 1n;
export const int64Min = -(1n << 63n);

const integerPattern = /^(?:0|-?[1-9][0-9]*)$/;
/** "-9223372036854775808" is 20 characters; anything longer cannot fit. */
const int64TextLengthMax = 20;

/** The integer in `bytes`, or null when Redis would refuse it ("not an integer or out of range"). */
export function parseInt64(bytes: Uint8Array): bigint | null {
  if (bytes.length === 0 || bytes.length > int64TextLengthMax) return null;
  if (bytes.length <= safeDigitsMax) return parseShort(bytes);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (!integerPattern.test(text)) return null;
  const value = BigInt(text);
  if (value > int64Max || value < int64Min) return null;
  return value;
}

const safeLimit = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A Redis `long` argument (int64) as a number clamped to ±2^53 (no count, length or timeout
 * is that large, so the meaning is the same), or null when it is not one.
 */
export function parseLong(bytes: Uint8Array | undefined): number | null {
  const value = bytes === undefined ? null : parseInt64(bytes);
  if (value === null) return null;
  return Number(value > safeLimit ? safeLimit : value < -safeLimit ? -safeLimit : value);
}

/** Digits that always fit a double exactly: short integers are read without a string or a regular expression. */
const safeDigitsMax = 15;

/** parseInt64 of at most safeDigitsMax bytes, digit by digit (counters, key counts, indexes). */
function parseShort(bytes: Uint8Array): bigint | null {
  const value = parseShortDigits(bytes.length, (i) => bytes[i] as number);
  return value === null ? null : BigInt(value);
}

/**
 * A string value kept as latin1 text (the keyspace's form of short strings) read as parseInt64
 * reads its bytes, when it has at most safeDigitsMax characters (so the number is exact);
 * undefined for a longer text, which the caller reads the long way.
 */
export function parseShortText(text: string): number | null | undefined {
  if (text.length > safeDigitsMax) return undefined;
  if (text.length === 0) return null;
  return parseShortDigits(text.length, (i) => text.charCodeAt(i));
}

/** parseInt64 of at most safeDigitsMax bytes as a number (exact there); undefined for longer bytes, which the caller reads the long way. */
export function parseShortBytes(bytes: Uint8Array): number | null | undefined {
  if (bytes.length > safeDigitsMax) return undefined;
  if (bytes.length === 0) return null;
  return parseShortDigits(bytes.length, (i) => bytes[i] as number);
}

/** string2ll's rules over `length` character codes: optional '-', digits, no leading zero. */
function parseShortDigits(length: number, codeAt: (i: number) => number): number | null {
  const negative = codeAt(0) === 0x2d;
  const start = negative ? 1 : 0;
  if (start === length || (codeAt(start) === 0x30 && (length > start + 1 || negative))) return null;
  let value = 0;
  for (let i = start; i < length; i++) {
    const digit = codeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** Case-insensitive ASCII comparison of an argument with a lowercase keyword. */
export function isKeyword(arg: Uint8Array, lowercaseKeyword: string): boolean {
  if (arg.length !== lowercaseKeyword.length) return false;
  for (let i = 0; i < arg.length; i++) {
    let byte = arg[i] as number;
    if (byte >= 65 && byte <= 90) byte += 32;
    if (byte !== lowercaseKeyword.charCodeAt(i)) return false;
  }
  return true;
}
