// The conversions between command replies and Lua values, as Redis documents them for
// scripts (https://redis.io/docs/manual/programmability/lua-api/): a reply pushed for Lua
// (redis.call's result) in the script's protocol (redis.setresp: 2 by default, or 3), and
// the script's Lua result turned back into a reply.

import fengari, { type LuaState } from 'fengari';
import lobject from 'fengari/src/lobject.js';
import lstring from 'fengari/src/lstring.js';
import type { Reply } from '../reply.js';
import { countedErrorReply, errorReply } from '../replies.js';
import { COUNTED_FIELD, isCountedError } from './lua-error.js';
import { formatRedisDouble } from '../../base/double-format.js';
import { pushStringField } from './fengari-fast-paths.js';
import type { FengariState } from 'fengari/src/lstate.js';

const { lua } = fengari;

export type ScriptProtocol = 2 | 3;

/**
 * Nesting of a script's result beyond which the rest is replaced by an error, as Redis's Lua
 * stack limit does. Replies are kept for exactly-once and travel in snapshots and between
 * nodes, whose codec (reply-codec.ts) reads at most 64 levels: a script's reply, inside an
 * EXEC's array, stays well within it.
 */
const resultDepthMax = 48;
const stackLimitError = errorReply('ERR reached lua stack limit');

const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');

/** A Lua string made once (outside any run's string budget), pushed as a table key. */
type LuaKey = { readonly __luaKey: unique symbol };

/**
 * The field names of Redis's reply tables as Lua strings made once. fengari keys a table by a
 * string's hash, computed on the string object the first time it is a key and kept there: a
 * name pushed anew for every reply (lua_setfield, lua_pushstring) is made and hashed anew each
 * time, one made once only the first time.
 */
const fieldKeys = Object.fromEntries(
  ['ok', 'err', 'double', 'map', 'set', 'big_number', 'verbatim_string', 'format', 'string', COUNTED_FIELD]
    .map((name) => [name, lstring.luaS_bless(null as unknown as LuaState, fengari.to_luastring(name)) as LuaKey]),
) as Record<'ok' | 'err' | 'double' | 'map' | 'set' | 'big_number' | 'verbatim_string' | 'format' | 'string' | typeof COUNTED_FIELD, LuaKey>;

function pushKey(L: LuaState, key: LuaKey): void {
  lobject.pushsvalue2s(L, key);
}

/** Pushes `reply` as the Lua value Redis gives a script for it. */
export function pushReply(L: LuaState, reply: Reply, protocol: ScriptProtocol): void {
  if (!lua.lua_checkstack(L, 4)) throw new Error('kv: Lua stack exhausted while converting a reply');
  switch (reply.kind) {
    case 'simple': return pushStringField(L as FengariState, fieldKeys.ok, reply.value);
    case 'error': return pushCallError(L, reply.message);
    case 'integer': return lua.lua_pushnumber(L, Number(reply.value));
    case 'bulk': return reply.value === null ? pushNull(L, protocol) : lua.lua_pushstring(L, reply.value);
    case 'array': return reply.value === null ? pushNull(L, protocol) : pushArray(L, reply.value, protocol);
    case 'push': case 'set':
      return protocol === 3 && reply.kind === 'set' ? pushSet(L, reply.value) : pushArray(L, reply.value, protocol);
    case 'map': case 'pairs':
      if (protocol === 3) return reply.kind === 'map' ? pushMap(L, reply.value) : pushArray(L, reply.value.map(([a, b]) => ({ kind: 'array', value: [a, b] }) as Reply), 3);
      return pushArray(L, reply.value.flat(), 2);
    case 'double':
      if (protocol === 3) return pushFieldTable(L, fieldKeys.double, () => lua.lua_pushnumber(L, reply.value));
      return lua.lua_pushstring(L, bytes(reply.text ?? formatRedisDouble(reply.value)));
    case 'boolean':
      if (protocol === 3) return lua.lua_pushboolean(L, reply.value);
      return lua.lua_pushnumber(L, reply.value ? 1 : 0);
    case 'bignum':
      if (protocol === 3) return pushFieldTable(L, fieldKeys.big_number, () => lua.lua_pushstring(L, bytes(reply.value.toString())));
      return lua.lua_pushstring(L, bytes(reply.value.toString()));
    case 'verbatim':
      if (protocol === 2) return lua.lua_pushstring(L, bytes(reply.value));
      return pushFieldTable(L, fieldKeys.verbatim_string, () => {
        lua.lua_createtable(L, 0, 2);
        pushKey(L, fieldKeys.format);
        lua.lua_pushstring(L, bytes(reply.format));
        lua.lua_rawset(L, -3);
        pushKey(L, fieldKeys.string);
        lua.lua_pushstring(L, bytes(reply.value));
        lua.lua_rawset(L, -3);
      });
    case 'null': return pushNull(L, protocol);
    case 'attributed': return pushReply(L, reply.value, protocol); // a script sees the reply, not its attributes
    default: {
      const exhaustive: never = reply;
      throw new Error(`kv: unknown reply kind ${String(exhaustive)}`);
    }
  }
}

/** A call's error reply as Lua sees it: {err = message}, marked as counted already (lua-error.ts). */
function pushCallError(L: LuaState, message: string): void {
  pushStringField(L as FengariState, fieldKeys.err, message);
  pushKey(L, fieldKeys[COUNTED_FIELD]);
  lua.lua_pushboolean(L, true);
  lua.lua_rawset(L, -3);
}

/** RESP2's nil bulk and nil array are false for Lua; RESP3's null is nil. */
function pushNull(L: LuaState, protocol: ScriptProtocol): void {
  if (protocol === 2) lua.lua_pushboolean(L, false);
  else lua.lua_pushnil(L);
}

/** A new table {[field] = value} (raw set: a new table has no metatable). */
function pushFieldTable(L: LuaState, field: LuaKey, pushValue: () => void): void {
  lua.lua_createtable(L, 0, 1);
  pushKey(L, field);
  pushValue();
  lua.lua_rawset(L, -3);
}

function pushArray(L: LuaState, items: readonly Reply[], protocol: ScriptProtocol): void {
  lua.lua_createtable(L, items.length, 0);
  items.forEach((item, i) => {
    pushReply(L, item, protocol);
    lua.lua_rawseti(L, -2, i + 1);
  });
}

function pushMap(L: LuaState, entries: readonly (readonly [Reply, Reply])[]): void {
  pushFieldTable(L, fieldKeys.map, () => {
    lua.lua_createtable(L, 0, entries.length);
    for (const [field, value] of entries) {
      pushReply(L, field, 3);
      pushReply(L, value, 3);
      lua.lua_rawset(L, -3);
    }
  });
}

function pushSet(L: LuaState, members: readonly Reply[]): void {
  pushFieldTable(L, fieldKeys.set, () => {
    lua.lua_createtable(L, 0, members.length);
    for (const member of members) {
      pushReply(L, member, 3);
      lua.lua_pushboolean(L, true);
      lua.lua_rawset(L, -3);
    }
  });
}

/**
 * The reply for the Lua value at `index` (a script's result): strings are bulk strings,
 * numbers integers (truncated), true 1 and false nil (RESP3 script: booleans), tables with
 * `ok`/`err`/`double`/`map`/`set`/`big_number`/`verbatim_string` those replies, other tables
 * arrays up to their first nil. Metamethods are not run (raw access), as in Redis.
 */
export function toReply(L: LuaState, index: number, protocol: ScriptProtocol, depth = 0): Reply {
  const at = lua.lua_absindex(L, index);
  switch (lua.lua_type(L, at)) {
    case lua.LUA_TSTRING: return { kind: 'bulk', value: Buffer.from(lua.lua_tolstring(L, at) ?? new Uint8Array(0)) };
    case lua.LUA_TNUMBER: return { kind: 'integer', value: truncateToInteger(lua.lua_tonumber(L, at)) };
    case lua.LUA_TBOOLEAN:
      if (protocol === 3) return { kind: 'boolean', value: lua.lua_toboolean(L, at) };
      return lua.lua_toboolean(L, at) ? { kind: 'integer', value: 1 } : { kind: 'bulk', value: null };
    case lua.LUA_TTABLE:
      if (depth >= resultDepthMax || !lua.lua_checkstack(L, 4)) return stackLimitError;
      return tableReply(L, at, protocol, depth + 1);
    default: return { kind: 'bulk', value: null };
  }
}

/** (long long) of a Lua number, as Redis casts it: NaN and out-of-range values saturate like x86 (INT64_MIN). */
function truncateToInteger(value: number): number | bigint {
  const truncated = Math.trunc(value);
  if (Number.isSafeInteger(truncated)) return truncated;
  if (!Number.isFinite(truncated) || Math.abs(truncated) >= 2 ** 63) return -(2n ** 63n);
  return BigInt(truncated);
}

function rawField(L: LuaState, table: number, field: LuaKey): number {
  pushKey(L, field);
  return lua.lua_rawget(L, table);
}

function tableReply(L: LuaState, table: number, protocol: ScriptProtocol, depth: number): Reply {
  const special = specialTableReply(L, table, protocol, depth);
  if (special !== null) return special;
  const items: Reply[] = [];
  for (let i = 1; ; i++) {
    if (lua.lua_rawgeti(L, table, i) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    items.push(toReply(L, -1, protocol, depth));
    lua.lua_pop(L, 1);
  }
  return { kind: 'array', value: items };
}

/** The reply of a table with one of Redis's type fields, or null for a plain array. */
function specialTableReply(L: LuaState, table: number, protocol: ScriptProtocol, depth: number): Reply | null {
  const stringField = (field: LuaKey): string | null => {
    const type = rawField(L, table, field);
    const text = type === lua.LUA_TSTRING ? Buffer.from(lua.lua_tolstring(L, -1) ?? new Uint8Array(0)).toString('latin1') : null;
    lua.lua_pop(L, 1);
    return text;
  };
  const err = stringField(fieldKeys.err);
  // An empty error would be a bare '-' line: Redis answers "ERR" for it.
  if (err !== null) {
    const message = err === '' ? 'ERR' : err.replace(/[\r\n]/g, ' ');
    return isCountedError(L, table) ? countedErrorReply(message) : errorReply(message);
  }
  const ok = stringField(fieldKeys.ok);
  if (ok !== null) return { kind: 'simple', value: ok.replace(/[\r\n]/g, ' ') };
  const typeOf = (field: LuaKey): number => {
    const type = rawField(L, table, field);
    lua.lua_pop(L, 1);
    return type;
  };
  if (typeOf(fieldKeys.double) === lua.LUA_TNUMBER) {
    rawField(L, table, fieldKeys.double);
    const value = lua.lua_tonumber(L, -1);
    lua.lua_pop(L, 1);
    return { kind: 'double', value };
  }
  const bigNumber = stringField(fieldKeys.big_number);
  if (bigNumber !== null && /^-?[0-9]+$/.test(bigNumber)) return { kind: 'bignum', value: BigInt(bigNumber) };
  if (typeOf(fieldKeys.map) === lua.LUA_TTABLE) return entriesReply(L, table, 'map', protocol, depth);
  if (typeOf(fieldKeys.set) === lua.LUA_TTABLE) return entriesReply(L, table, 'set', protocol, depth);
  return null;
}

/** The `map` or `set` field's table as a map (field → value) or set (its keys), in the table's order. */
function entriesReply(L: LuaState, table: number, field: 'map' | 'set', protocol: ScriptProtocol, depth: number): Reply {
  rawField(L, table, fieldKeys[field]);
  const inner = lua.lua_absindex(L, -1);
  const pairs: [Reply, Reply][] = [];
  lua.lua_pushnil(L);
  while (lua.lua_next(L, inner) !== 0) {
    pairs.push([toReply(L, -2, protocol, depth), toReply(L, -1, protocol, depth)]);
    lua.lua_pop(L, 1);
  }
  lua.lua_pop(L, 1);
  return field === 'map' ? { kind: 'map', value: pairs } : { kind: 'set', value: pairs.map(([member]) => member) };
}
