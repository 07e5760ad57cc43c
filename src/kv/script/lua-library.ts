// Registers a library of host functions as a global table (bit, cjson, cmsgpack, struct);
// the sandbox then makes the table read-only like the standard ones.

import fengari, { type LuaState } from 'fengari';
import { raise } from './lua-error.js';

const { lua } = fengari;

export type HostFunction = (L: LuaState) => number;

export function registerLibrary(L: LuaState, name: string, functions: Record<string, HostFunction>, fields: Record<string, string> = {}): void {
  lua.lua_createtable(L, 0, Object.keys(functions).length + Object.keys(fields).length);
  for (const [field, fn] of Object.entries(functions)) {
    lua.lua_pushcfunction(L, guardedHost(fn));
    lua.lua_setfield(L, -2, field);
  }
  for (const [field, value] of Object.entries(fields)) {
    lua.lua_pushliteral(L, value);
    lua.lua_setfield(L, -2, field);
  }
  lua.lua_setglobal(L, name);
}

/** A host function whose JavaScript exceptions (not Lua errors) become Lua errors instead of escaping the VM. */
export function guardedHost(fn: HostFunction): HostFunction {
  return (L) => {
    try {
      return fn(L);
    } catch (error) {
      // fengari's own Lua errors are thrown as objects carrying a status: let them pass.
      if (error instanceof Error && !('status' in error)) raise(L, `ERR ${error.message}`);
      throw error;
    }
  };
}
