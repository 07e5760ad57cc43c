// The `struct` library Redis loads (Roberto Ierusalimschy's struct.c): binary packing of
// numbers and strings by a format string. Options: '<' '>' '=' byte order (native is little
// endian), '!n' alignment, 'x' a zero byte, 'b' 'B' 'h' 'H' 'l' 'L' 'T' 'i[n]' 'I[n]'
// integers, 'f' 'd' floats, 's' a zero-terminated string, 'c[n]' n characters (c0: the
// string's length when packing, the previous value when unpacking); spaces are ignored.

import fengari, { type LuaState } from 'fengari';
import { registerLibrary } from './lua-library.js';
import { chargeWork, HOST_COST } from './host-work.js';

const { lua, lauxlib } = fengari;

/** Largest integer size 'i[n]' accepts (struct.c's MAXINTSIZE). */
const intSizeMax = 32;
/** '!' without a number: the platform's largest alignment. */
const alignmentMax = 8;

interface Option {
  readonly code: string;
  readonly size: number;
}

class Format {
  private at = 0;
  littleEndian = true;
  alignment = 1;

  constructor(private readonly L: LuaState, private readonly text: string) {}

  private number(fallback: number): number {
    const match = /^[0-9]+/.exec(this.text.slice(this.at));
    if (match === null) return fallback;
    this.at += match[0].length;
    return Number(match[0]);
  }

  /** The next data option, after applying any byte-order and alignment options; null at the end. */
  next(): Option | null {
    while (this.at < this.text.length) {
      const code = this.text[this.at++] as string;
      switch (code) {
        case ' ': break;
        case '>': this.littleEndian = false; break;
        case '<': case '=': this.littleEndian = true; break;
        case '!': this.alignment = this.number(alignmentMax); break;
        case 'x': case 'b': case 'B': return { code, size: 1 };
        case 'h': case 'H': return { code, size: 2 };
        case 'l': case 'L': case 'T': case 'd': return { code, size: 8 };
        case 'f': return { code, size: 4 };
        case 's': return { code, size: 0 };
        case 'c': return { code, size: this.number(1) };
        case 'i': case 'I': {
          const size = this.number(4);
          if (size > intSizeMax) lauxlib.luaL_error(this.L, `integral size ${size} is larger than limit of ${intSizeMax}`);
          return { code, size };
        }
        default: lauxlib.luaL_error(this.L, `invalid format option '${code}'`);
      }
    }
    return null;
  }

  /** Padding before a value of `option` at `offset`. */
  padding(option: Option, offset: number): number {
    let align = option.size;
    if (align <= 1 || option.code === 'c') return 0;
    align = Math.min(align, this.alignment);
    if ((align & (align - 1)) !== 0) lauxlib.luaL_error(this.L, 'alignment must be power of 2');
    return (align - (offset & (align - 1))) & (align - 1);
  }
}

const isSigned = (code: string): boolean => code === 'b' || code === 'h' || code === 'l' || code === 'i';

/** `size` bytes of `value` (sign-extended beyond 8), in the format's byte order. */
function integerBytes(value: bigint, size: number, littleEndian: boolean): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < size; i++) bytes.push(i < 8 ? Number(BigInt.asUintN(8, value >> BigInt(8 * i))) : value < 0n ? 0xff : 0);
  return littleEndian ? bytes : bytes.reverse();
}

/** The format string (argument 1), its options charged to the run's budget (host-work.ts: at most one per character). */
function formatArgument(L: LuaState): Format {
  const text = Buffer.from(lauxlib.luaL_checklstring(L, 1)).toString('latin1');
  chargeWork(L, text.length * HOST_COST.structOption);
  return new Format(L, text);
}

function pack(L: LuaState): number {
  const format = formatArgument(L);
  const out: number[] = [];
  let arg = 2;
  for (let option = format.next(); option !== null; option = format.next()) {
    for (let pad = format.padding(option, out.length); pad > 0; pad--) out.push(0);
    out.push(...packOne(L, option, arg, format.littleEndian));
    if (option.code !== 'x') arg++;
  }
  chargeWork(L, out.length * HOST_COST.structByte);
  lua.lua_pushstring(L, Uint8Array.from(out));
  return 1;
}

function packOne(L: LuaState, option: Option, arg: number, littleEndian: boolean): number[] {
  switch (option.code) {
    case 'x': return [0];
    case 'f': case 'd': {
      const view = new DataView(new ArrayBuffer(option.size));
      if (option.size === 4) view.setFloat32(0, lauxlib.luaL_checknumber(L, arg), littleEndian);
      else view.setFloat64(0, lauxlib.luaL_checknumber(L, arg), littleEndian);
      return [...new Uint8Array(view.buffer)];
    }
    case 's': case 'c': {
      const data = lauxlib.luaL_checklstring(L, arg);
      if (option.code === 's') return [...data, 0];
      const size = option.size === 0 ? data.length : option.size;
      if (data.length < size) lauxlib.luaL_argerror(L, arg, 'string too short');
      return [...data.subarray(0, size)];
    }
    default: {
      const value = Math.trunc(lauxlib.luaL_checknumber(L, arg));
      return integerBytes(Number.isFinite(value) ? BigInt(value) : 0n, option.size, littleEndian);
    }
  }
}

function unpack(L: LuaState): number {
  const format = formatArgument(L);
  const data = lauxlib.luaL_checklstring(L, 2);
  let position = lauxlib.luaL_optinteger(L, 3, 1) - 1;
  if (position < 0) lauxlib.luaL_argerror(L, 3, 'offset must be 1 or greater');
  lua.lua_settop(L, 0);
  let previous: number | null = null;
  let results = 0;
  for (let option = format.next(); option !== null; option = format.next()) {
    position += format.padding(option, position);
    let size = option.size;
    if (option.code === 'c' && size === 0) {
      size = previous ?? lauxlib.luaL_error(L, "format 'c0' needs a previous size");
      lua.lua_pop(L, 1);
      results--;
    }
    if (option.code === 's') size = data.indexOf(0, position) - position + 1;
    if (size <= 0 && option.code === 's') lauxlib.luaL_argerror(L, 2, 'unfinished string in data');
    if (position + size > data.length) lauxlib.luaL_argerror(L, 2, 'data string too short');
    if (!lua.lua_checkstack(L, 2)) lauxlib.luaL_error(L, 'too many results');
    previous = unpackOne(L, option, data.subarray(position, position + size), format.littleEndian);
    if (option.code !== 'x') results++;
    position += size;
  }
  lua.lua_pushnumber(L, position + 1);
  return results + 1;
}

/** Pushes one value (none for 'x'); returns it when it is a number (for a following 'c0'). */
function unpackOne(L: LuaState, option: Option, bytes: Uint8Array, littleEndian: boolean): number | null {
  switch (option.code) {
    case 'x': return null;
    case 's': lua.lua_pushstring(L, bytes.subarray(0, bytes.length - 1)); return null;
    case 'c': lua.lua_pushstring(L, bytes); return null;
    case 'f': case 'd': {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const value = option.size === 4 ? view.getFloat32(0, littleEndian) : view.getFloat64(0, littleEndian);
      lua.lua_pushnumber(L, value);
      return value;
    }
    default: {
      const ordered = littleEndian ? [...bytes].reverse() : [...bytes];
      let value = 0n;
      for (const byte of ordered) value = (value << 8n) | BigInt(byte);
      const number = Number(isSigned(option.code) ? BigInt.asIntN(Math.min(bytes.length, 8) * 8, value) : value);
      lua.lua_pushnumber(L, number);
      return number;
    }
  }
}

function size(L: LuaState): number {
  const format = formatArgument(L);
  let total = 0;
  for (let option = format.next(); option !== null; option = format.next()) {
    if (option.code === 's' || (option.code === 'c' && option.size === 0)) lauxlib.luaL_argerror(L, 1, `option '${option.code === 's' ? 's' : 'c0'}' has no fixed size`);
    total += format.padding(option, total) + option.size;
  }
  lua.lua_pushnumber(L, total);
  return 1;
}

export function openStruct(L: LuaState): void {
  registerLibrary(L, 'struct', { pack, unpack, size });
}
