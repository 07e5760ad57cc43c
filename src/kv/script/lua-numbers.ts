// Lua 5.1 number semantics on fengari (a Lua 5.3): Redis scripts are written for 5.1, where
// every number is a double and prints as C's "%.14g". fengari's integers are 32-bit and wrap
// (100000*100000), and 5.3 prints an integral float with ".0" (tostring(10/2) is "5.0"). Two
// of fengari's internals are replaced (three functions) once per process, before any VM exists: numerals and
// string-to-number conversions yield floats, and a float prints as 5.1 prints it. Integers
// remain only where the VM makes them itself (lengths, string positions): small values.

import fengari from 'fengari';
import lobject from 'fengari/src/lobject.js';
import lstring from 'fengari/src/lstring.js';

let installed = false;

/** Replaces fengari's number conversions with Lua 5.1's; idempotent. */
export function installLua51Numbers(): void {
  if (installed) return;
  installed = true;
  const str2num = lobject.luaO_str2num;
  lobject.luaO_str2num = (text, value) => {
    const size = str2num(text, value);
    if (size !== 0 && value.ttisinteger()) value.setfltvalue(hexNumeral(text) ?? value.value);
    return size;
  };
  const tostring = lobject.luaO_tostring;
  lobject.luaO_tostring = (L, value) => {
    if (!value.ttisfloat()) return tostring(L, value);
    value.setsvalue(lstring.luaS_bless(L, fengari.to_luastring(formatLuaNumber(value.value))));
  };
  // tostring() formats through lua_pushfstring("%f"), which calls the unpatched converter.
  const pushvfstring = lobject.luaO_pushvfstring;
  lobject.luaO_pushvfstring = (L, format, args) => {
    const number = args[0];
    if (format.length === 2 && format[0] === 0x25 && format[1] === 0x66 && typeof number === 'number') {
      return pushvfstring(L, fengari.to_luastring(formatLuaNumber(number)), []);
    }
    return pushvfstring(L, format, args);
  };
}

/**
 * A hexadecimal integer numeral's value as a double, as Lua 5.1 reads it (0x100000000 is
 * 2^32): fengari reads it as a 32-bit integer and wraps it to 0. Null for anything else.
 */
function hexNumeral(text: Uint8Array): number | null {
  const match = /^\s*(-?)0[xX]([0-9a-fA-F]+)\s*$/.exec(Buffer.from(text).toString('latin1').replace(/\0$/, ''));
  if (match === null) return null;
  const magnitude = Number(BigInt(`0x${match[2] ?? '0'}`));
  return match[1] === '-' ? -magnitude : magnitude;
}

/** C's printf("%.14g"), as Lua 5.1's tostring and concatenation write a number (glibc's inf/nan spelling). */
export function formatLuaNumber(value: number): string {
  // x86's default NaN has its sign bit set, so arithmetic NaNs print as "-nan" in Redis.
  if (Number.isNaN(value)) return '-nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  // The common case, an integer of at most 14 digits, prints as itself (and fast: loops call tostring a lot).
  if (Number.isInteger(value) && Math.abs(value) < 1e14) return String(value);
  const [mantissa = '', exponentText = '0'] = value.toExponential(13).split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 14) {
    const digits = trimFraction(mantissa);
    return `${digits}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return trimFraction(value.toFixed(13 - exponent));
}

/** "%g" drops trailing zeros of the fraction, and the point when nothing is left after it. */
function trimFraction(text: string): string {
  if (!text.includes('.')) return text;
  return text.replace(/0+$/, '').replace(/\.$/, '');
}
