// Raising a Redis error from host code into Lua: an error table {err = message}, which the
// run's error handler completes with where it was raised (script-vm.ts).

import fengari, { type LuaState } from 'fengari';

const { lua } = fengari;

/**
 * The field Redis sets in the error table of a call's error (redis.call raising it,
 * redis.pcall returning it): the error was counted in errorstats when the call answered it,
 * so a script that fails with it, or returns it, does not count it again.
 */
export const COUNTED_FIELD = 'ignore_error_stats_update';

/** Raises `message` as an error table; `counted`: a call's error (COUNTED_FIELD). */
export function raise(L: LuaState, message: string, counted = false): never {
  // Host code may have filled the stack to its limit (cmsgpack.unpack's values) when the
  // budget stops it: the error table, its message and the field's name need three more slots.
  lua.lua_checkstack(L, 3);
  lua.lua_createtable(L, 0, counted ? 2 : 1);
  lua.lua_pushstring(L, Buffer.from(message, 'latin1'));
  lua.lua_setfield(L, -2, 'err');
  if (counted) {
    lua.lua_pushboolean(L, true);
    lua.lua_setfield(L, -2, COUNTED_FIELD);
  }
  return lua.lua_error(L);
}

/** Whether the error table at `table` (default: the top of the stack) is a call's, counted already (COUNTED_FIELD). */
export function isCountedError(L: LuaState, table = -1): boolean {
  const type = lua.lua_getfield(L, table, COUNTED_FIELD);
  const counted = type === lua.LUA_TBOOLEAN && lua.lua_toboolean(L, -1);
  lua.lua_pop(L, 1);
  return counted;
}
