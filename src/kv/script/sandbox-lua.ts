// The Lua side of the sandbox, run once when a VM is made: Lua 5.1 names Redis scripts use,
// math.random over the entry-seeded generator, and read-only globals and libraries. After
// it, chunks compile with the protected environment as their globals (_ENV), the real
// globals table stays reachable only from the registry (KEYS and ARGV are set there).

import fengari, { type LuaState } from 'fengari';

const { lua, lauxlib } = fengari;

const setup = `
local G, random, randomseed, register_function = ...
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
-- Redis 7's pcall (script_lua.c): an error raised as a table whose err field is a string
-- (redis.call's errors, error({err = ...})) comes back as that string.
local raw_pcall = pcall
local function settle(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'table' then
    local field = e.err
    if type(field) == 'string' or type(field) == 'number' then return false, field end
  end
  return false, e
end
G.pcall = function(...) return settle(raw_pcall(...)) end
G.rawset = function(t, k, v) if protected[t] then error(readonly_message, 2) end return rawset(t, k, v) end
G.setmetatable = function(t, m) if protected[t] then error(readonly_message, 2) end return setmetatable(t, m) end
for _, name in ipairs({ 'load', 'dofile', 'loadfile', 'print', 'require', 'module', 'getfenv', 'setfenv', 'newproxy' }) do G[name] = nil end

for _, name in ipairs({ 'string', 'table', 'math', 'redis', 'bit', 'cjson', 'cmsgpack', 'struct' }) do G[name] = readonly(G[name]) end
local string_meta = getmetatable('')
string_meta.__index = G.string
string_meta.__metatable = readonly(string_meta)

local function missing(_, name)
  error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
end
setmetatable(G, { __index = missing })
local env = readonly(G)
G._G = env

-- FUNCTION LOAD runs a library's code with fewer globals: no math (no randomness at load),
-- and a redis table with only what registering needs. Library code compiles with lib_env
-- as its globals; it points at the load globals during the load run and at the script
-- globals afterwards, so a library's local helpers see redis.call when a function runs.
local load_redis = { register_function = register_function, log = G.redis.log, REDIS_VERSION = G.redis.REDIS_VERSION,
  REDIS_VERSION_NUM = G.redis.REDIS_VERSION_NUM, LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3 }
setmetatable(load_redis, { __index = missing })
local load_G = { redis = readonly(load_redis), string = G.string, table = G.table }
for _, name in ipairs({ 'assert', 'error', 'ipairs', 'next', 'pairs', 'pcall', 'xpcall', 'rawequal', 'rawget', 'rawset',
    'select', 'tonumber', 'tostring', 'type', 'unpack', 'loadstring', '_VERSION' }) do
  load_G[name] = G[name]
end
setmetatable(load_G, { __index = missing })
local load_env = readonly(load_G)
load_G._G = load_env
local lib_meta = { __index = env, __newindex = refuse }
lib_meta.__metatable = setmetatable({}, { __index = lib_meta, __newindex = refuse, __metatable = false })
local lib_env = setmetatable({}, lib_meta)
protected[lib_env] = true
protected[lib_meta.__metatable] = true
local function loading(on) lib_meta.__index = on and load_env or env end
return env, lib_env, loading
`;

/** Runs the sandbox setup on `L`: afterwards compiled chunks see the protected globals. */
export function sandboxLua(L: LuaState): void {
  const code = fengari.to_luastring(setup);
  if (lauxlib.luaL_loadbuffer(L, code, code.length, '=sandbox') !== lua.LUA_OK) throw new Error(`kv: Lua sandbox: ${lua.lua_tojsstring(L, -1)}`);
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
  lua.lua_pushvalue(L, -1);
  lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, 'raftis.globals');
  for (const name of ['raftis.random', 'raftis.randomseed', 'raftis.register_function']) lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, name);
  if (lua.lua_pcall(L, 4, 3, 0) !== lua.LUA_OK) throw new Error(`kv: Lua sandbox: ${lua.lua_tojsstring(L, -1)}`);
  // Stack: env, lib_env, loading.
  lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, 'raftis.loading');
  lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, 'raftis.libenv');
  lua.lua_rawseti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
}
