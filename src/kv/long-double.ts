// INCRBYFLOAT arithmetic as Redis does it on x86-64: parse with strtold into an 80-bit long
// double (64-bit mantissa), add, and print with "%.17Lf" with trailing zeros removed. JS
// doubles would print 0.1 + 0.2 as 0.30000000000000004 where Redis prints 0.3, so the long
// double is emulated exactly with BigInt: a value is num × 2^shift, rounded to 64 bits.
// Hexadecimal floats ("0x10", "0x1.8p3"), which strtold also reads, are parsed exactly too.

const mantissaBits = 64;
/** Largest binary exponent of a finite x87 long double (value < 2^16384). */
const binaryExponentMax = 16384;
/** Decimal exponents beyond these overflow or underflow to zero: strtold reports ERANGE and Redis refuses. */
const decimalExponentMax = 4933;
const decimalExponentMin = -4951;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer input is refused, longer output is stored as "". */
export const longDoubleCharsMax = 5 * 1024;

export interface LongDouble {
  readonly kind: 'finite';
  /** value = num × 2^shift; |num| < 2^64. */
  readonly num: bigint;
  readonly shift: number;
  readonly negative: boolean;
}
export type ParsedFloat = LongDouble | { readonly kind: 'infinite' };

const decimalPattern = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const infinityPattern = /^[+-]?(?:inf|infinity)$/i;
const hexPattern = /^([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
/** Binary exponent below which a value underflows past the smallest subnormal long double (2^-16445). */
const binaryExponentMin = -16445;

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/** Rounds num × 2^shift (num ≥ 0) to a 64-bit mantissa, half to even. */
export function roundToMantissa(num: bigint, shift: number, negative: boolean): LongDouble {
  const excess = bitLength(num) - mantissaBits;
  if (excess <= 0) return { kind: 'finite', num, shift, negative };
  const divisor = 1n << BigInt(excess);
  let quotient = num >> BigInt(excess);
  const remainder = num - (quotient << BigInt(excess));
  const half = divisor >> 1n;
  if (remainder > half || (remainder === half && (quotient & 1n) === 1n)) quotient += 1n;
  return roundToMantissa(quotient, shift + excess, negative);
}

/** A hexadecimal float: its digits are the mantissa exactly, the exponent is binary. */
function parseHex(match: RegExpExecArray): ParsedFloat | null {
  const negative = match[1] === '-';
  const fractionDigits = match[3] ?? match[4] ?? '';
  const digits = ((match[2] ?? '') + fractionDigits).replace(/^0+/, '');
  if (digits === '') return { kind: 'finite', num: 0n, shift: 0, negative };
  const exponentText = match[5] ?? '0';
  if (exponentText.replace(/^[+-]?0*/, '').length > 6) return null; // |exponent| ≥ 10^6: overflow or underflow
  const num = BigInt(`0x${digits}`);
  const shift = Number(exponentText) - 4 * fractionDigits.length;
  const magnitude = bitLength(num) + shift; // value is in [2^(magnitude-1), 2^magnitude)
  if (magnitude > binaryExponentMax || magnitude < binaryExponentMin) return null;
  return roundToMantissa(num, shift, negative);
}

/** Parses like Redis's string2ld: no leading space, the whole string, no NaN, no overflow. */
export function parseLongDouble(bytes: Uint8Array): ParsedFloat | null {
  if (bytes.length === 0 || bytes.length >= longDoubleCharsMax) return null;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (infinityPattern.test(text)) return { kind: 'infinite' };
  const hex = hexPattern.exec(text);
  if (hex !== null) return parseHex(hex);
  const match = decimalPattern.exec(text);
  if (match === null) return null;
  const negative = match[1] === '-';
  const integerDigits = match[2] ?? '';
  const fractionDigits = match[3] ?? match[4] ?? '';
  const exponentText = match[5] ?? '0';
  if (exponentText.replace(/^[+-]?0*/, '').length > 6) {
    // |exponent| ≥ 10^6: zero digits stay zero, anything else overflows or underflows.
    if (/^0*$/.test(integerDigits + fractionDigits)) return { kind: 'finite', num: 0n, shift: 0, negative };
    return null;
  }
  const digits = (integerDigits + fractionDigits).replace(/^0+/, '');
  if (digits === '') return { kind: 'finite', num: 0n, shift: 0, negative };
  const exponent10 = Number(exponentText) - fractionDigits.length;
  const magnitude = digits.length + exponent10; // value is in [10^(magnitude-1), 10^magnitude)
  if (magnitude > decimalExponentMax) return null;
  if (magnitude < decimalExponentMin) return null;
  const mantissa10 = BigInt(digits);
  if (exponent10 >= 0) return roundToMantissa(mantissa10 * 10n ** BigInt(exponent10), 0, negative);
  // value = mantissa10 / 10^k: scale up by 2^extra so the quotient carries > 64 bits, plus a sticky bit.
  const denominator = 10n ** BigInt(-exponent10);
  const extra = Math.max(0, mantissaBits + 2 + bitLength(denominator) - bitLength(mantissa10));
  const scaled = mantissa10 << BigInt(extra);
  let quotient = scaled / denominator;
  if (quotient * denominator !== scaled) quotient = (quotient << 1n) | 1n; // sticky bit breaks ties correctly
  else quotient <<= 1n;
  return roundToMantissa(quotient, -extra - 1, negative);
}

function signedNum(value: LongDouble): bigint {
  return value.negative ? -value.num : value.num;
}

/** a + b rounded to a long double; 'infinite' when the sum overflows. */
export function addLongDouble(a: LongDouble, b: LongDouble): ParsedFloat {
  const shift = Math.min(a.shift, b.shift);
  const sum = (signedNum(a) << BigInt(a.shift - shift)) + (signedNum(b) << BigInt(b.shift - shift));
  const negative = sum < 0n;
  const rounded = roundToMantissa(negative ? -sum : sum, shift, negative);
  if (rounded.num !== 0n && bitLength(rounded.num) + rounded.shift > binaryExponentMax) return { kind: 'infinite' };
  return rounded;
}

const fractionDigitsPrinted = 17;

/** printf("%.17Lf") with trailing zeros and a trailing '.' removed, "-0" printed as "0" (ld2string LD_STR_HUMAN). */
export function formatLongDouble(value: LongDouble): string {
  // Exact value × 10^17, rounded half to even as glibc's printf does.
  const scale = 10n ** BigInt(fractionDigitsPrinted);
  let scaled: bigint;
  if (value.shift >= 0) {
    scaled = (value.num << BigInt(value.shift)) * scale;
  } else {
    const numerator = value.num * scale;
    const divisor = 1n << BigInt(-value.shift);
    scaled = numerator / divisor;
    const remainder = numerator - scaled * divisor;
    const twice = remainder * 2n;
    if (twice > divisor || (twice === divisor && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const integerPart = (scaled / scale).toString();
  const fractionPart = (scaled % scale).toString().padStart(fractionDigitsPrinted, '0').replace(/0+$/, '');
  let text = (value.negative ? '-' : '') + integerPart + (fractionPart === '' ? '' : `.${fractionPart}`);
  if (text === '-0') text = '0';
  // Redis formats into a MAX_LONG_DOUBLE_CHARS buffer; when it does not fit, it stores an empty string.
  if (text.length + 1 > longDoubleCharsMax) return '';
  return text;
}
