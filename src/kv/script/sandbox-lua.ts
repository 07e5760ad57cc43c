// The Lua side of the sandbox, run once when a VM is made: Lua 5.1 names Redis scripts use,
// math.random over the entry-seeded generator, and read-only globals and libraries. After
// it, chunks compile with the protected environment as their globals (_ENV), the real
// globals table stays reachable only from the registry (KEYS and ARGV are set there).

import fengari, { type LuaState } from 'fengari';

const { lua, lauxlib } = fengari;

const setup = `
local G, random, randomseed = ...
local error, rawset, setmetatable, tostring, type = error, rawset, setmetatable, tostring, type
local readonly_message = 'Attempt to modify a readonly table'
local protected = {}
local function refuse() error(readonly_message, 2) end
local function readonly(t)
  local proxy = {}
  local meta = { __index = t, __newindex = refuse }
  meta.__metatable = setmetatable({}, { __index = meta, __newindex = refuse, __metatable = false })
  setmetatable(proxy, meta)
  protected[proxy] = true
  protected[meta.__metatable] = true
  return proxy
end

-- Lua 5.1 names (Redis runs 5.1).
G.unpack = table.unpack
table.getn = function(t) return #t end
table.setn = function() error('setn is obsolete', 2) end
table.maxn = function(t) local n = 0 for k in pairs(t) do if type(k) == 'number' and k > n then n = k end end return n end
math.pow = function(x, y) return x ^ y end
math.mod = math.fmod
math.log10 = function(x) return math.log(x, 10) end
math.ldexp = function(m, e) return m * 2.0 ^ e end
local floor, ceil = math.floor, math.ceil
math.floor = function(x) return floor(x) + 0.0 end
math.ceil = function(x) return ceil(x) + 0.0 end
math.random, math.randomseed = random, randomseed
string.gfind = string.gmatch
local load = load
G.loadstring = function(text, name)
  if type(text) ~= 'string' or text:byte(1) == 27 then return nil, 'binary chunks are not allowed' end
  return load(text, name, 't')
end
G.collectgarbage = function() return 0 end
G.rawset = function(t, k, v) if protected[t] then error(readonly_message, 2) end return rawset(t, k, v) end
G.setmetatable = function(t, m) if protected[t] then error(readonly_message, 2) end return setmetatable(t, m) end
for _, name in ipairs({ 'load', 'dofile', 'loadfile', 'print', 'require', 'module', 'getfenv', 'setfenv', 'newproxy' }) do G[name] = nil end

for _, name in ipairs({ 'string', 'table', 'math', 'redis' }) do G[name] = readonly(G[name]) end
local string_meta = getmetatable('')
string_meta.__index = G.string
string_meta.__metatable = readonly(string_meta)

setmetatable(G, { __index = function(_, name)
  error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
end })
local env = readonly(G)
G._G = env
return env
`;

/** Runs the sandbox setup on `L`: afterwards compiled chunks see the protected globals. */
export function sandboxLua(L: LuaState): void {
  const code = fengari.to_luastring(setup);
  if (lauxlib.luaL_loadbuffer(L, code, code.length, '=sandbox') !== lua.LUA_OK) throw new Error(`kv: Lua sandbox: ${lua.lua_tojsstring(L, -1)}`);
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
  lua.lua_pushvalue(L, -1);
  lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, 'raftis.globals');
  lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, 'raftis.random');
  lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, 'raftis.randomseed');
  if (lua.lua_pcall(L, 3, 1, 0) !== lua.LUA_OK) throw new Error(`kv: Lua sandbox: ${lua.lua_tojsstring(L, -1)}`);
  lua.lua_rawseti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
}
