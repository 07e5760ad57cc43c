// C's strtod (glibc) on a latin1 string, for the commands that parse doubles the way Redis
// does (sorted-set scores and score ranges): leading white space, a sign, "inf"/"infinity",
// "nan" with an optional "(chars)", hexadecimal floats ("0x1.8p3"), decimals with an
// exponent. It reports where the number ended and whether it overflowed or underflowed to
// zero (errno ERANGE), which is how Redis's checks tell a valid number from a bad one.

export interface StrtodResult {
  readonly value: number;
  /** Index just past the number; the start index when nothing was converted. */
  readonly end: number;
  /** ERANGE with a result of ±HUGE_VAL or 0: a finite literal that became infinite or zero. */
  readonly outOfRange: boolean;
}

const decimalPattern = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const hexPattern = /^[+-]?0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?/;
const infinityPattern = /^[+-]?inf(?:inity)?/i;
const nanPattern = /^[+-]?nan(?:\([0-9A-Za-z_]*\))?/i;
/** Binary exponents beyond this are certain overflow or underflow whatever the mantissa. */
const binaryExponentMax = 1_000_000;

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** True when the mantissa of a matched literal has a digit other than 0 (a zero result is then an underflow). */
function hasNonZeroDigit(literal: string, hex: boolean): boolean {
  return hex ? /[1-9a-fA-F]/.test(literal.replace(/^[+-]?0[xX]/, '').replace(/[pP].*$/, '')) : /[1-9]/.test(literal.replace(/[eE].*$/, ''));
}

/** mantissa × 2^exponent2 in steps that cannot overflow an intermediate power of two. */
function scaleByPowerOfTwo(mantissa: number, exponent2: number): number {
  let value = mantissa;
  let remaining = Math.max(-binaryExponentMax, Math.min(binaryExponentMax, exponent2));
  while (remaining !== 0 && value !== 0 && Number.isFinite(value)) {
    const step = Math.max(-1000, Math.min(1000, remaining));
    value *= 2 ** step;
    remaining -= step;
  }
  return value;
}

function hexValue(match: RegExpExecArray): number {
  const whole = match[1] ?? '';
  const fraction = match[2] ?? match[3] ?? '';
  const digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return 0;
  const exponentText = match[4] ?? '0';
  const exponent = exponentText.replace(/^[+-]?0*/, '').length > 7 ? (exponentText.startsWith('-') ? -binaryExponentMax : binaryExponentMax) : Number(exponentText);
  // Keep 16 hex digits (64 bits) plus a sticky bit for the rest, so the rounding is right.
  const kept = digits.slice(0, 16);
  const sticky = /[1-9a-fA-F]/.test(digits.slice(16)) ? 1n : 0n;
  const mantissa = (BigInt(`0x${kept}`) << 1n) | sticky;
  const dropped = digits.length - kept.length;
  return scaleByPowerOfTwo(Number(mantissa), exponent + 4 * (dropped - fraction.length) - 1);
}

/** Parses like strtod(text + start). */
export function strtod(text: string, start = 0): StrtodResult {
  let index = start;
  while (index < text.length && isSpace(text.charCodeAt(index))) index++;
  const rest = text.slice(index);
  const negative = rest.startsWith('-');
  const signed = (value: number): number => (negative ? -value : value);
  const infinity = infinityPattern.exec(rest);
  if (infinity !== null) return { value: signed(Number.POSITIVE_INFINITY), end: index + infinity[0].length, outOfRange: false };
  const nan = nanPattern.exec(rest);
  if (nan !== null) return { value: Number.NaN, end: index + nan[0].length, outOfRange: false };
  const hex = hexPattern.exec(rest);
  const match = hex ?? decimalPattern.exec(rest);
  if (match === null) return { value: 0, end: start, outOfRange: false };
  const magnitude = hex === null ? Math.abs(Number(match[0])) : hexValue(hex);
  const outOfRange = magnitude === Number.POSITIVE_INFINITY || (magnitude === 0 && hasNonZeroDigit(match[0], hex !== null));
  return { value: signed(magnitude), end: index + match[0].length, outOfRange };
}
