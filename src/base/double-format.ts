// A double as Redis 7.0 writes it in replies (addReplyDouble) and in ZSCAN (d2string): C's
// "%.17g" from glibc, with "inf", "-inf" and "nan". %.17g is the exact binary value rounded
// to 17 significant digits, half to even. JavaScript's toExponential rounds a tie away
// from zero instead, so the one case where they differ (the exact value has exactly 18
// significant digits, the last a 5) is detected and rounded to even here.

/** Significant digits of %.17g. */
const precision = 17;

/** The exact value of a finite double's magnitude as integer × 2^exponent2. */
export function binaryParts(value: number): { readonly integer: bigint; readonly exponent2: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(value));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const fraction = bits & ((1n << 52n) - 1n);
  return biased === 0 ? { integer: fraction, exponent2: -1074 } : { integer: fraction | (1n << 52n), exponent2: biased - 1075 };
}

/** True when `digits` × 10^exponent10 is exactly |value| (digits is a decimal integer). */
function isExact(value: number, digits: string, exponent10: number): boolean {
  const { integer, exponent2 } = binaryParts(value);
  let left = BigInt(digits);
  let right = integer;
  if (exponent10 >= 0) left *= 10n ** BigInt(exponent10);
  else right *= 10n ** BigInt(-exponent10);
  if (exponent2 >= 0) right <<= BigInt(exponent2);
  else left <<= BigInt(-exponent2);
  return left === right;
}

/** The 17 significant digits of |value| rounded half to even, and the decimal exponent of the first. */
function significantDigits(value: number): { readonly digits: string; readonly exponent: number } {
  const magnitude = Math.abs(value);
  const [mantissa18, exponentText18] = magnitude.toExponential(precision).split('e') as [string, string];
  const digits18 = mantissa18.replace('.', '');
  const exponent18 = Number(exponentText18);
  if (digits18.endsWith('5') && Number(digits18[precision - 1]) % 2 === 0 && isExact(magnitude, digits18, exponent18 - precision)) {
    return { digits: digits18.slice(0, precision), exponent: exponent18 };
  }
  const [mantissa, exponentText] = magnitude.toExponential(precision - 1).split('e') as [string, string];
  return { digits: mantissa.replace('.', ''), exponent: Number(exponentText) };
}

function withoutTrailingZeros(fraction: string): string {
  let end = fraction.length;
  while (end > 0 && fraction.charCodeAt(end - 1) === 0x30) end--;
  return fraction.slice(0, end);
}

/** %.17g of a double, as glibc prints it; "inf", "-inf", "nan" as Redis writes them. */
export function formatRedisDouble(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  if (Number.isSafeInteger(value)) return String(value);
  const sign = value < 0 ? '-' : '';
  const { digits, exponent } = significantDigits(value);
  if (exponent < -4 || exponent >= precision) {
    const fraction = withoutTrailingZeros(digits.slice(1));
    const exponentDigits = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0] as string}${fraction === '' ? '' : `.${fraction}`}e${exponent < 0 ? '-' : '+'}${exponentDigits}`;
  }
  const whole = exponent >= 0 ? digits.slice(0, exponent + 1) : '0';
  const fraction = withoutTrailingZeros(exponent >= 0 ? digits.slice(exponent + 1) : '0'.repeat(-exponent - 1) + digits);
  return `${sign}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}
