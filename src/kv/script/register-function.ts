// redis.register_function, callable only while FUNCTION LOAD runs a library's code: by
// position (name, callback) or by name ({function_name, callback, flags, description}),
// with Redis 7.0's checks and error texts. Callbacks wait in the registry's pending table
// until the whole load succeeded (a failed load registers nothing).

import fengari, { type LuaState } from 'fengari';
import { raise } from './lua-error.js';
import type { FunctionInfo } from './script-vm.js';

const { lua } = fengari;

export const functionFlags: readonly string[] = ['no-writes', 'allow-oom', 'allow-stale', 'no-cluster'];
const namePattern = /^[A-Za-z0-9_]+$/;

interface LoadRun {
  readonly kind: 'script' | 'function' | 'load';
  readonly registered?: FunctionInfo[] | undefined;
}

/** The host function behind redis.register_function; `active` is the VM's current run. */
export function registerFunction(L: LuaState, active: LoadRun | null): number {
  const registered = active?.kind === 'load' ? active.registered : undefined;
  if (registered === undefined) raise(L, 'ERR redis.register_function can only be called on FUNCTION LOAD command');
  const argc = lua.lua_gettop(L);
  if (argc < 1 || argc > 2) raise(L, 'ERR wrong number of arguments to redis.register_function');
  const info = argc === 1 ? namedArguments(L) : positionalArguments(L);
  // Redis 7.0's text for a bad function name speaks of library names.
  if (!namePattern.test(info.name)) raise(L, 'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long');
  const key = info.name.toLowerCase();
  if (registered.some((existing) => existing.name.toLowerCase() === key)) raise(L, 'ERR Function already exists in the library');
  // The callback is on top of the stack (left there by the argument readers).
  lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, 'raftis.pending');
  lua.lua_pushvalue(L, -2);
  lua.lua_setfield(L, -2, key);
  registered.push(info);
  return 0;
}

function text(L: LuaState, index: number): string {
  return Buffer.from(lua.lua_tolstring(L, index) ?? new Uint8Array(0)).toString('latin1');
}

/** redis.register_function('name', callback): leaves the callback on top. */
function positionalArguments(L: LuaState): FunctionInfo {
  if (lua.lua_type(L, 1) !== lua.LUA_TSTRING) raise(L, 'ERR first argument to redis.register_function must be a string');
  if (!lua.lua_isfunction(L, 2)) raise(L, 'ERR second argument to redis.register_function must be a function');
  const name = text(L, 1);
  lua.lua_pushvalue(L, 2);
  return { name, description: null, flags: [] };
}

/** redis.register_function{function_name=..., callback=..., flags=..., description=...}: leaves the callback on top. */
function namedArguments(L: LuaState): FunctionInfo {
  if (lua.lua_type(L, 1) !== lua.LUA_TTABLE) raise(L, 'ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
  let name: string | null = null;
  let description: string | null = null;
  let flags: string[] = [];
  let callback = false;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, 1) !== 0) {
    const key = lua.lua_type(L, -2) === lua.LUA_TSTRING ? text(L, -2) : '';
    if (key === 'function_name') {
      if (lua.lua_type(L, -1) !== lua.LUA_TSTRING) raise(L, 'ERR function_name argument given to redis.register_function must be a string');
      name = text(L, -1);
    } else if (key === 'description') {
      if (lua.lua_type(L, -1) !== lua.LUA_TSTRING) raise(L, 'ERR description argument given to redis.register_function must be a string');
      description = text(L, -1);
    } else if (key === 'callback') {
      if (!lua.lua_isfunction(L, -1)) raise(L, 'ERR callback argument given to redis.register_function must be a function');
      callback = true;
    } else if (key === 'flags') {
      flags = readFlags(L);
    } else {
      raise(L, 'ERR unknown argument given to redis.register_function');
    }
    lua.lua_pop(L, 1);
  }
  if (name === null) raise(L, 'ERR redis.register_function must get a function name argument');
  if (!callback) raise(L, 'ERR redis.register_function must get a callback argument');
  lua.lua_getfield(L, 1, 'callback');
  return { name, description, flags };
}

/** The flags table on top of the stack: known flag names only. */
function readFlags(L: LuaState): string[] {
  if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) raise(L, 'ERR flags argument to redis.register_function must be a table representing function flags');
  const flags: string[] = [];
  for (let i = 1; ; i++) {
    const type = lua.lua_rawgeti(L, -1, i);
    if (type === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      return flags;
    }
    const flag = type === lua.LUA_TSTRING ? text(L, -1) : '';
    if (!functionFlags.includes(flag)) raise(L, 'ERR unknown flag given');
    flags.push(flag);
    lua.lua_pop(L, 1);
  }
}
