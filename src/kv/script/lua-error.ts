// Raising a Redis error from host code into Lua: an error table {err = message}, which the
// run's error handler completes with where it was raised (script-vm.ts).

import fengari, { type LuaState } from 'fengari';

const { lua } = fengari;

export function raise(L: LuaState, message: string): never {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushstring(L, Buffer.from(message, 'latin1'));
  lua.lua_setfield(L, -2, 'err');
  return lua.lua_error(L);
}
