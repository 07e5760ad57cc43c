// Raising a Redis error from host code into Lua: an error table {err = message}, which the
// run's error handler completes with where it was raised (script-vm.ts).

import fengari, { type LuaState } from 'fengari';

const { lua } = fengari;

export function raise(L: LuaState, message: string): never {
  // Host code may have filled the stack to its limit (cmsgpack.unpack's values) when the
  // budget stops it: the error table, its message and the field's name need three more slots.
  lua.lua_checkstack(L, 3);
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushstring(L, Buffer.from(message, 'latin1'));
  lua.lua_setfield(L, -2, 'err');
  return lua.lua_error(L);
}
