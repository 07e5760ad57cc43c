// The `cjson` library Redis loads (lua-cjson 2.1): encode a Lua value as JSON text and decode
// JSON text into Lua values, with lua-cjson's choices (numbers with "%.14g", '/' escaped, an
// empty table is "{}", sparse arrays refused, cjson.null for JSON null) and its settings.
// Settings changed by a script last for that run only: every run starts from the defaults,
// so no run's outcome depends on an earlier one (a replica's VM history).

import fengari, { type LuaState } from 'fengari';
import { formatLuaNumber } from './lua-numbers.js';
import { registerLibrary, type HostFunction } from './lua-library.js';
import { chargeWork, HOST_COST, WorkTally } from './host-work.js';

const { lua, lauxlib } = fengari;

/** The value cjson.null stands for (a light userdata, as lua-cjson's NULL pointer). */
const jsonNull = { json: 'null' };

interface CjsonSettings {
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  encodeInvalidNumbers: boolean;
  decodeInvalidNumbers: boolean;
  sparseConvert: boolean;
  sparseRatio: number;
  sparseSafe: number;
  numberPrecision: number;
}

const defaults: CjsonSettings = {
  encodeMaxDepth: 1000, decodeMaxDepth: 1000, encodeInvalidNumbers: false, decodeInvalidNumbers: true,
  sparseConvert: false, sparseRatio: 2, sparseSafe: 10, numberPrecision: 14,
};

const escapes: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x2f: '\\/', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };

export class CjsonLibrary {
  private settings: CjsonSettings = { ...defaults };
  /** True once a run changed a setting: the next run starts from the defaults again. */
  private changed = false;
  /** Values encoded by the current cjson.encode, charged to the run's budget (host-work.ts). */
  private readonly work = new WorkTally(HOST_COST.jsonEncode);

  /** Back to the defaults: called before every run. */
  reset(): void {
    if (!this.changed) return;
    this.settings = { ...defaults };
    this.changed = false;
  }

  open(L: LuaState): void {
    registerLibrary(L, 'cjson', {
      encode: (state) => this.encode(state),
      decode: (state) => this.decode(state),
      encode_max_depth: this.setting('encodeMaxDepth'),
      decode_max_depth: this.setting('decodeMaxDepth'),
      encode_number_precision: this.setting('numberPrecision'),
      encode_invalid_numbers: this.flag('encodeInvalidNumbers'),
      decode_invalid_numbers: this.flag('decodeInvalidNumbers'),
      encode_keep_buffer: (state) => (lua.lua_pushboolean(state, true), 1),
      encode_sparse_array: (state) => this.sparseArray(state),
    }, { _NAME: 'cjson', _VERSION: '2.1.0' });
    lua.lua_getglobal(L, 'cjson');
    lua.lua_pushlightuserdata(L, jsonNull);
    lua.lua_setfield(L, -2, 'null');
    lua.lua_pop(L, 1);
  }

  private setting(name: 'encodeMaxDepth' | 'decodeMaxDepth' | 'numberPrecision'): HostFunction {
    return (L) => {
      if (lua.lua_gettop(L) >= 1) {
        const value = lauxlib.luaL_checkinteger(L, 1);
        if (value < 1 || (name === 'numberPrecision' && value > 14)) lauxlib.luaL_error(L, `bad argument #1 to '${name}' (expected integer between 1 and ${name === 'numberPrecision' ? 14 : 2147483647})`);
        this.settings[name] = value;
        this.changed = true;
      }
      lua.lua_pushnumber(L, this.settings[name]);
      return 1;
    };
  }

  private flag(name: 'encodeInvalidNumbers' | 'decodeInvalidNumbers'): HostFunction {
    return (L) => {
      if (lua.lua_gettop(L) >= 1) {
        this.settings[name] = lua.lua_toboolean(L, 1);
        this.changed = true;
      }
      lua.lua_pushboolean(L, this.settings[name]);
      return 1;
    };
  }

  private sparseArray(L: LuaState): number {
    if (lua.lua_gettop(L) >= 1) this.changed = true;
    if (lua.lua_gettop(L) >= 1) this.settings.sparseConvert = lua.lua_toboolean(L, 1);
    if (lua.lua_gettop(L) >= 2) this.settings.sparseRatio = lauxlib.luaL_checkinteger(L, 2);
    if (lua.lua_gettop(L) >= 3) this.settings.sparseSafe = lauxlib.luaL_checkinteger(L, 3);
    lua.lua_pushboolean(L, this.settings.sparseConvert);
    lua.lua_pushnumber(L, this.settings.sparseRatio);
    lua.lua_pushnumber(L, this.settings.sparseSafe);
    return 3;
  }

  private encode(L: LuaState): number {
    if (lua.lua_gettop(L) !== 1) lauxlib.luaL_error(L, 'expected 1 argument');
    const out: string[] = [];
    this.work.reset();
    this.encodeValue(L, 1, 0, out);
    this.work.flush(L);
    const json = out.join('');
    chargeWork(L, json.length * HOST_COST.jsonByte);
    lua.lua_pushstring(L, Buffer.from(json, 'latin1'));
    return 1;
  }

  private encodeValue(L: LuaState, index: number, depth: number, out: string[]): void {
    this.work.add(L);
    switch (lua.lua_type(L, index)) {
      case lua.LUA_TSTRING: out.push(quote(lua.lua_tolstring(L, index) ?? new Uint8Array(0))); return;
      case lua.LUA_TNUMBER: out.push(this.number(L, lua.lua_tonumber(L, index))); return;
      case lua.LUA_TBOOLEAN: out.push(lua.lua_toboolean(L, index) ? 'true' : 'false'); return;
      case lua.LUA_TNIL: out.push('null'); return;
      case lua.LUA_TLIGHTUSERDATA:
        if (lua.lua_touserdata(L, index) === jsonNull) {
          out.push('null');
          return;
        }
        break;
      case lua.LUA_TTABLE:
        this.encodeTable(L, lua.lua_absindex(L, index), depth + 1, out);
        return;
      default:
        break;
    }
    lauxlib.luaL_error(L, `Cannot serialise ${fengari.to_jsstring(lua.lua_typename(L, lua.lua_type(L, index)))}: type not supported`);
  }

  private number(L: LuaState, value: number): string {
    if (!Number.isFinite(value) && !this.settings.encodeInvalidNumbers) lauxlib.luaL_error(L, 'Cannot serialise number: must not be NaN or Inf');
    if (Number.isNaN(value)) return 'nan';
    return this.settings.numberPrecision === 14 ? formatLuaNumber(value) : formatLuaNumber(Number(value.toPrecision(this.settings.numberPrecision)));
  }

  private encodeTable(L: LuaState, table: number, depth: number, out: string[]): void {
    if (depth > this.settings.encodeMaxDepth) lauxlib.luaL_error(L, `Cannot serialise, excessive nesting (${depth})`);
    if (!lua.lua_checkstack(L, 3)) lauxlib.luaL_error(L, 'Cannot serialise, excessive nesting');
    const length = this.arrayLength(L, table);
    if (length > 0) {
      out.push('[');
      for (let i = 1; i <= length; i++) {
        if (i > 1) out.push(',');
        lua.lua_rawgeti(L, table, i);
        this.encodeValue(L, -1, depth, out);
        lua.lua_pop(L, 1);
      }
      out.push(']');
      return;
    }
    out.push('{');
    let first = true;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, table) !== 0) {
      if (!first) out.push(',');
      first = false;
      const keyType = lua.lua_type(L, -2);
      if (keyType === lua.LUA_TSTRING) out.push(quote(lua.lua_tolstring(L, -2) ?? new Uint8Array(0)));
      else if (keyType === lua.LUA_TNUMBER) out.push(`"${this.number(L, lua.lua_tonumber(L, -2))}"`);
      else lauxlib.luaL_error(L, 'Cannot serialise table: table key must be a number or string');
      out.push(':');
      this.encodeValue(L, -1, depth, out);
      lua.lua_pop(L, 1);
    }
    out.push('}');
  }

  /** lua-cjson's test: the array length when every key is a positive integer and the array is not too sparse, else -1 (an object). */
  private arrayLength(L: LuaState, table: number): number {
    let max = 0;
    let items = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, table) !== 0) {
      const key = lua.lua_type(L, -2) === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -2) : Number.NaN;
      if (!(Number.isInteger(key) && key >= 1)) {
        lua.lua_pop(L, 2);
        return -1;
      }
      max = Math.max(max, key);
      items++;
      lua.lua_pop(L, 1);
    }
    const { sparseRatio, sparseSafe, sparseConvert } = this.settings;
    if (sparseRatio > 0 && max > items * sparseRatio && max > sparseSafe) {
      if (!sparseConvert) lauxlib.luaL_error(L, 'Cannot serialise table: excessively sparse array');
      return -1;
    }
    return max;
  }

  private decode(L: LuaState): number {
    if (lua.lua_gettop(L) !== 1) lauxlib.luaL_error(L, 'expected 1 argument');
    const text = lauxlib.luaL_checklstring(L, 1);
    chargeWork(L, text.length * HOST_COST.jsonByte);
    const parser = new JsonParser(L, text, this.settings.decodeMaxDepth);
    parser.value(0);
    parser.end();
    parser.work.flush(L);
    return 1;
  }
}

/** Whether `byte` is written escaped in a JSON string (lua-cjson's table). */
const escaped = (byte: number): boolean => byte < 0x20 || byte === 0x7f || escapes[byte] !== undefined;

function needsEscape(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (escaped(bytes[i] as number)) return true;
  return false;
}

function quote(bytes: Uint8Array): string {
  // Most strings need no escape: their bytes are the text.
  if (!needsEscape(bytes)) return `"${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')}"`;
  let out = '"';
  for (const byte of bytes) {
    const escape = escapes[byte];
    if (escape !== undefined) out += escape;
    else if (byte < 0x20 || byte === 0x7f) out += `\\u${byte.toString(16).padStart(4, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}"`;
}

/** lua-cjson's name for the token starting with `byte`, in its error texts. */
function tokenName(byte: number | undefined): string {
  if (byte === undefined) return 'T_END';
  const names: Record<string, string> = { '{': 'T_OBJ_BEGIN', '}': 'T_OBJ_END', '[': 'T_ARR_BEGIN', ']': 'T_ARR_END', ',': 'T_COMMA', ':': 'T_COLON', '"': 'T_STRING', t: 'T_BOOLEAN', f: 'T_BOOLEAN', n: 'T_NULL' };
  const char = String.fromCharCode(byte);
  return names[char] ?? (/[-0-9]/.test(char) ? 'T_NUMBER' : 'invalid token');
}

/** A JSON text decoded straight onto the Lua stack, with lua-cjson's error texts. */
class JsonParser {
  private at = 0;
  /** Values decoded, charged to the run's budget (host-work.ts); flushed by the caller. */
  readonly work = new WorkTally(HOST_COST.jsonDecode);

  constructor(private readonly L: LuaState, private readonly text: Uint8Array, private readonly depthMax: number) {}

  private fail(expected: string): never {
    this.skipSpace();
    return lauxlib.luaL_error(this.L, `Expected ${expected} but found ${tokenName(this.text[this.at])} at character ${this.at + 1}`);
  }

  private skipSpace(): void {
    while (this.at < this.text.length && [0x20, 0x09, 0x0a, 0x0d].includes(this.text[this.at] as number)) this.at++;
  }

  private peek(): number | undefined {
    this.skipSpace();
    return this.text[this.at];
  }

  end(): void {
    if (this.peek() !== undefined) this.fail('the end');
  }

  value(depth: number): void {
    this.work.add(this.L);
    const byte = this.peek();
    if (byte === 0x7b || byte === 0x5b) {
      if (depth + 1 > this.depthMax) lauxlib.luaL_error(this.L, `Found too many nested data structures (${depth + 1}) at character ${this.at + 1}`);
      if (!lua.lua_checkstack(this.L, 3)) lauxlib.luaL_error(this.L, 'Found too many nested data structures');
      if (byte === 0x7b) this.object(depth + 1);
      else this.array(depth + 1);
    } else if (byte === 0x22) {
      lua.lua_pushstring(this.L, this.string());
    } else if (this.literal('true')) lua.lua_pushboolean(this.L, true);
    else if (this.literal('false')) lua.lua_pushboolean(this.L, false);
    else if (this.literal('null')) lua.lua_pushlightuserdata(this.L, jsonNull);
    else this.number();
  }

  private literal(word: string): boolean {
    for (let i = 0; i < word.length; i++) if (this.text[this.at + i] !== word.charCodeAt(i)) return false;
    this.at += word.length;
    return true;
  }

  private number(): void {
    const start = this.at;
    while (this.at < this.text.length && /[0-9+\-.eExXa-fA-FnNiItTyY]/.test(String.fromCharCode(this.text[this.at] as number))) this.at++;
    const token = Buffer.from(this.text.subarray(start, this.at)).toString('latin1');
    const value = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/.test(token) ? Number(token) : Number.NaN;
    if (Number.isNaN(value)) {
      this.at = start;
      this.fail('value');
    }
    lua.lua_pushnumber(this.L, value);
  }

  private string(): Uint8Array {
    this.at++; // the opening quote
    const bytes: number[] = [];
    for (;;) {
      const byte = this.text[this.at++];
      if (byte === undefined) return lauxlib.luaL_error(this.L, `Expected value but found unexpected end of string at character ${this.at}`);
      if (byte === 0x22) return Uint8Array.from(bytes);
      if (byte !== 0x5c) {
        bytes.push(byte);
        continue;
      }
      const escape = this.text[this.at++];
      const simple: Record<number, number> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };
      if (escape !== undefined && simple[escape] !== undefined) bytes.push(simple[escape] as number);
      else if (escape === 0x75) bytes.push(...this.unicodeEscape());
      else return lauxlib.luaL_error(this.L, `Expected value but found invalid escape code at character ${this.at - 1}`);
    }
  }

  /** \uXXXX (and a surrogate pair) as UTF-8 bytes. */
  private unicodeEscape(): number[] {
    const hex = (): number => {
      const digits = Buffer.from(this.text.subarray(this.at, this.at + 4)).toString('latin1');
      if (!/^[0-9a-fA-F]{4}$/.test(digits)) lauxlib.luaL_error(this.L, `Expected value but found invalid unicode escape code at character ${this.at}`);
      this.at += 4;
      return parseInt(digits, 16);
    };
    let code = hex();
    if (code >= 0xd800 && code < 0xdc00 && this.text[this.at] === 0x5c && this.text[this.at + 1] === 0x75) {
      this.at += 2;
      const low = hex();
      code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
    }
    return [...Buffer.from(String.fromCodePoint(code), 'utf8')];
  }

  /** Opens an array or object (a new table): true when it closes at once with `close`. */
  private opensEmpty(close: number): boolean {
    this.at++;
    lua.lua_createtable(this.L, 0, 0);
    if (this.peek() !== close) return false;
    this.at++;
    return true;
  }

  private array(depth: number): void {
    if (this.opensEmpty(0x5d)) return;
    for (let i = 1; ; i++) {
      this.value(depth);
      lua.lua_rawseti(this.L, -2, i);
      const next = this.peek();
      this.at++;
      if (next === 0x5d) return;
      if (next !== 0x2c) {
        this.at--;
        this.fail('comma or array end');
      }
    }
  }

  private object(depth: number): void {
    if (this.opensEmpty(0x7d)) return;
    for (;;) {
      if (this.peek() !== 0x22) this.fail('object key string');
      lua.lua_pushstring(this.L, this.string());
      if (this.peek() !== 0x3a) this.fail('colon');
      this.at++;
      this.value(depth);
      lua.lua_rawset(this.L, -3);
      const next = this.peek();
      this.at++;
      if (next === 0x7d) return;
      if (next !== 0x2c) {
        this.at--;
        this.fail('comma or object end');
      }
    }
  }
}
