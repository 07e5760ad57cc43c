// printf's "%.Nf" of a double as glibc prints it: the exact binary value rounded half to even
// at N fraction digits ("inf", "-inf", "nan" for the rest). Geo replies use it: "%.4f" for
// distances, "%f" in an error text, and "%.17Lf" with trailing zeros removed for coordinates
// (addReplyHumanLongDouble; a double converts to a long double exactly).

import { binaryParts } from '../base/double-format.js';

/** round(|value| × 10^digits), half to even. */
function scaledMagnitude(value: number, digits: number): bigint {
  if (value === 0) return 0n;
  const { integer, exponent2 } = binaryParts(value);
  const numerator = integer * 10n ** BigInt(digits);
  if (exponent2 >= 0) return numerator << BigInt(exponent2);
  const divisor = 1n << BigInt(-exponent2);
  const quotient = numerator / divisor;
  const twice = (numerator - quotient * divisor) * 2n;
  return twice > divisor || (twice === divisor && (quotient & 1n) === 1n) ? quotient + 1n : quotient;
}

/** "%.{digits}f"; with `trim`, trailing fraction zeros and a bare '.' are removed and "-0" is "0". */
export function formatFixed(value: number, digits: number, trim = false): string {
  if (Number.isNaN(value)) return value < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(value)) return value < 0 ? '-inf' : 'inf';
  const negative = value < 0 || Object.is(value, -0);
  const scaled = scaledMagnitude(value, digits).toString().padStart(digits + 1, '0');
  const whole = scaled.slice(0, scaled.length - digits);
  let fraction = scaled.slice(scaled.length - digits);
  if (trim) fraction = fraction.replace(/0+$/, '');
  const text = `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
  return trim && /^-0$/.test(text) ? '0' : text;
}

/** A coordinate as Redis replies it: "%.17Lf" without trailing zeros. */
export function formatCoordinate(value: number): string {
  return formatFixed(value, 17, true);
}
