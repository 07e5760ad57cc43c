// The `cmsgpack` library Redis loads (lua_cmsgpack 0.4): MessagePack from Lua values and
// back, with its choices: integral numbers as the smallest integer form, other numbers as
// float32 when exact else float64, tables whose keys are 1..n as arrays, nesting beyond 16
// levels as nil; pack, unpack, unpack_one and unpack_limit.

import fengari, { type LuaState } from 'fengari';
import { registerLibrary } from './lua-library.js';
import { HOST_COST, WorkTally } from './host-work.js';

const { lua, lauxlib } = fengari;

/** LUACMSGPACK_MAX_NESTING: a table this deep is packed as nil. */
const nestingMax = 16;

/** The smallest MessagePack form of an integer: its marker byte and width (null: a fixint). */
function integerForm(value: number): readonly [number | null, number] {
  if (value >= 0) {
    if (value <= 127) return [null, 0];
    if (value <= 0xff) return [0xcc, 1];
    if (value <= 0xffff) return [0xcd, 2];
    if (value <= 0xffffffff) return [0xce, 4];
    return [0xcf, 8];
  }
  if (value >= -32) return [null, 0];
  if (value >= -128) return [0xd0, 1];
  if (value >= -32768) return [0xd1, 2];
  if (value >= -2147483648) return [0xd2, 4];
  return [0xd3, 8];
}

/** Bytes an encoder starts with; it doubles as needed. */
const encoderStartBytes = 256;

class Encoder {
  private bytes = new Uint8Array(encoderStartBytes);
  private view = new DataView(this.bytes.buffer);
  private length = 0;
  /** Values encoded, charged to the run's budget (host-work.ts). */
  private readonly work = new WorkTally(HOST_COST.msgpackPack);

  result(L: LuaState): Uint8Array {
    this.work.flush(L);
    return this.bytes.subarray(0, this.length);
  }

  /** Room for `count` more bytes. */
  private reserve(count: number): void {
    if (this.length + count <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + count) size *= 2;
    const bytes = new Uint8Array(size);
    bytes.set(this.bytes.subarray(0, this.length));
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer);
  }

  private byte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value & 0xff;
  }

  /** A marker byte, then `value` big-endian in `width` bytes (an integer of up to 64 bits). */
  private sized(marker: number, value: number, width: number): void {
    this.reserve(1 + width);
    this.bytes[this.length++] = marker;
    if (width === 1) this.view.setUint8(this.length, value & 0xff);
    else if (width === 2) this.view.setUint16(this.length, value & 0xffff);
    else if (width === 4) this.view.setUint32(this.length, value >>> 0);
    else this.view.setBigUint64(this.length, BigInt.asUintN(64, BigInt(value)));
    this.length += width;
  }

  value(L: LuaState, index: number, level: number): void {
    this.work.add(L);
    const type = lua.lua_type(L, index);
    if (type === lua.LUA_TTABLE && level < nestingMax) this.table(L, lua.lua_absindex(L, index), level);
    else if (type === lua.LUA_TSTRING) this.string(lua.lua_tolstring(L, index) ?? new Uint8Array(0));
    else if (type === lua.LUA_TNUMBER) this.number(lua.lua_tonumber(L, index));
    else if (type === lua.LUA_TBOOLEAN) this.byte(lua.lua_toboolean(L, index) ? 0xc3 : 0xc2);
    else this.byte(0xc0);
  }

  private string(data: Uint8Array): void {
    const length = data.length;
    if (length < 32) this.byte(0xa0 | length);
    else if (length <= 0xff) this.sized(0xd9, length, 1);
    else if (length <= 0xffff) this.sized(0xda, length, 2);
    else this.sized(0xdb, length, 4);
    this.reserve(length);
    this.bytes.set(data, this.length);
    this.length += length;
  }

  private number(value: number): void {
    if (Number.isFinite(value) && Number.isInteger(value) && Math.abs(value) < 2 ** 63) this.integer(value);
    else if (Math.fround(value) === value || Number.isNaN(value)) {
      this.reserve(5);
      this.bytes[this.length++] = 0xca;
      this.view.setFloat32(this.length, value);
      this.length += 4;
    } else {
      this.reserve(9);
      this.bytes[this.length++] = 0xcb;
      this.view.setFloat64(this.length, value);
      this.length += 8;
    }
  }

  private integer(value: number): void {
    const [marker, width] = integerForm(value);
    if (marker === null) this.byte(value);
    else this.sized(marker, value, width);
  }

  private header(count: number, fix: number, short: number): void {
    if (count <= 15) this.byte(fix | count);
    else if (count <= 0xffff) this.sized(short, count, 2);
    else this.sized(short + 1, count, 4);
  }

  /** An array when the keys are exactly 1..n (an empty table too), else a map. */
  private table(L: LuaState, table: number, level: number): void {
    if (!lua.lua_checkstack(L, 3)) lauxlib.luaL_error(L, 'cmsgpack: nesting too deep');
    let count = 0;
    let max = 0;
    let array = true;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, table) !== 0) {
      const key = lua.lua_type(L, -2) === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -2) : Number.NaN;
      if (Number.isInteger(key) && key > 0) max = Math.max(max, key);
      else array = false;
      count++;
      lua.lua_pop(L, 1);
    }
    if (array && max === count) {
      this.header(count, 0x90, 0xdc);
      for (let i = 1; i <= count; i++) {
        lua.lua_rawgeti(L, table, i);
        this.value(L, -1, level + 1);
        lua.lua_pop(L, 1);
      }
      return;
    }
    this.header(count, 0x80, 0xde);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, table) !== 0) {
      this.value(L, -2, level + 1);
      this.value(L, -1, level + 1);
      lua.lua_pop(L, 1);
    }
  }
}

class Decoder {
  at: number;
  /** Values decoded, charged to the run's budget (host-work.ts); flushed by the caller. */
  readonly work = new WorkTally(HOST_COST.msgpackUnpack);

  constructor(private readonly L: LuaState, private readonly data: Uint8Array, offset: number) {
    this.at = offset;
  }

  get left(): number {
    return this.data.length - this.at;
  }

  private need(count: number): void {
    if (this.left < count) lauxlib.luaL_error(this.L, 'Missing bytes in input.');
  }

  /** A big-endian integer of `width` bytes (1, 2, 4 or 8), unsigned or two's complement. */
  private integer(width: 1 | 2 | 4 | 8, signed: boolean): number {
    this.need(width);
    const view = new DataView(this.data.buffer, this.data.byteOffset + this.at, width);
    this.at += width;
    if (width === 1) return signed ? view.getInt8(0) : view.getUint8(0);
    if (width === 2) return signed ? view.getInt16(0) : view.getUint16(0);
    if (width === 4) return signed ? view.getInt32(0) : view.getUint32(0);
    return Number(signed ? view.getBigInt64(0) : view.getBigUint64(0));
  }

  private float(width: 4 | 8): number {
    this.need(width);
    const view = new DataView(this.data.buffer, this.data.byteOffset + this.at, width);
    this.at += width;
    return width === 4 ? view.getFloat32(0) : view.getFloat64(0);
  }

  private bytes(length: number): void {
    this.need(length);
    lua.lua_pushstring(this.L, this.data.subarray(this.at, this.at + length));
    this.at += length;
  }

  /** Decodes one value onto the Lua stack. */
  value(): void {
    this.need(1);
    this.work.add(this.L);
    if (!lua.lua_checkstack(this.L, 3)) lauxlib.luaL_error(this.L, 'Bad data format in input.');
    const type = this.data[this.at++] as number;
    if (type <= 0x7f) return lua.lua_pushnumber(this.L, type);
    if (type <= 0x8f) return this.map(type & 0x0f);
    if (type <= 0x9f) return this.array(type & 0x0f);
    if (type <= 0xbf) return this.bytes(type & 0x1f);
    if (type >= 0xe0) return lua.lua_pushnumber(this.L, type - 0x100);
    switch (type) {
      case 0xc0: return lua.lua_pushnil(this.L);
      case 0xc2: return lua.lua_pushboolean(this.L, false);
      case 0xc3: return lua.lua_pushboolean(this.L, true);
      case 0xc4: case 0xd9: return this.bytes(this.integer(1, false));
      case 0xc5: case 0xda: return this.bytes(this.integer(2, false));
      case 0xc6: case 0xdb: return this.bytes(this.integer(4, false));
      case 0xca: return lua.lua_pushnumber(this.L, this.float(4));
      case 0xcb: return lua.lua_pushnumber(this.L, this.float(8));
      case 0xcc: return lua.lua_pushnumber(this.L, this.integer(1, false));
      case 0xcd: return lua.lua_pushnumber(this.L, this.integer(2, false));
      case 0xce: return lua.lua_pushnumber(this.L, this.integer(4, false));
      case 0xcf: return lua.lua_pushnumber(this.L, this.integer(8, false));
      case 0xd0: return lua.lua_pushnumber(this.L, this.integer(1, true));
      case 0xd1: return lua.lua_pushnumber(this.L, this.integer(2, true));
      case 0xd2: return lua.lua_pushnumber(this.L, this.integer(4, true));
      case 0xd3: return lua.lua_pushnumber(this.L, this.integer(8, true));
      case 0xdc: return this.array(this.integer(2, false));
      case 0xdd: return this.array(this.integer(4, false));
      case 0xde: return this.map(this.integer(2, false));
      case 0xdf: return this.map(this.integer(4, false));
      default: return lauxlib.luaL_error(this.L, 'Bad data format in input.');
    }
  }

  private array(count: number): void {
    // Each element takes at least a byte: a larger count is truncated input, not an allocation.
    this.need(count);
    lua.lua_createtable(this.L, count, 0);
    for (let i = 1; i <= count; i++) {
      this.value();
      lua.lua_rawseti(this.L, -2, i);
    }
  }

  private map(count: number): void {
    this.need(count * 2);
    lua.lua_createtable(this.L, 0, count);
    for (let i = 0; i < count; i++) {
      this.value();
      this.value();
      if (lua.lua_type(this.L, -2) === lua.LUA_TNIL) lua.lua_pop(this.L, 2);
      else lua.lua_rawset(this.L, -3);
    }
  }
}

function pack(L: LuaState): number {
  const count = lua.lua_gettop(L);
  if (count === 0) lauxlib.luaL_error(L, 'MessagePack pack needs input.');
  const encoder = new Encoder();
  for (let i = 1; i <= count; i++) encoder.value(L, i, 0);
  lua.lua_pushstring(L, encoder.result(L));
  return 1;
}

/** mp_unpack_full: up to `limit` values (0 = all) from `offset`; with a limit or offset, the next offset (-1 at the end) comes first. */
function unpackFull(L: LuaState, limit: number, offset: number): number {
  const data = lauxlib.luaL_checklstring(L, 1);
  if (offset < 0 || limit < 0) lauxlib.luaL_error(L, `Invalid request to unpack with offset of ${offset} and limit of ${limit}.`);
  if (offset > data.length) lauxlib.luaL_error(L, `Start offset ${offset} greater than input length ${data.length}.`);
  const decodeAll = limit === 0 && offset === 0;
  lua.lua_settop(L, 0);
  if (!decodeAll) lua.lua_pushnil(L); // the offset's place
  const decoder = new Decoder(L, data, offset);
  let count = 0;
  for (; decoder.left > 0 && (limit === 0 || count < limit); count++) decoder.value();
  decoder.work.flush(L);
  if (decodeAll) return count;
  lua.lua_pushnumber(L, decoder.left === 0 ? -1 : decoder.at);
  lua.lua_replace(L, 1);
  return count + 1;
}

export function openCmsgpack(L: LuaState): void {
  registerLibrary(L, 'cmsgpack', {
    pack,
    unpack: (state) => unpackFull(state, 0, 0),
    unpack_one: (state) => unpackFull(state, 1, lauxlib.luaL_optinteger(state, 2, 0)),
    unpack_limit: (state) => unpackFull(state, lauxlib.luaL_checkinteger(state, 2), lauxlib.luaL_optinteger(state, 3, 0)),
  }, { _NAME: 'cmsgpack', _VERSION: 'lua-cmsgpack 0.4.0', _COPYRIGHT: 'Copyright (C) 2012, Salvatore Sanfilippo', _DESCRIPTION: 'MessagePack C implementation for Lua' });
}
