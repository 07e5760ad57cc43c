// Scripts and functions against a real redis-server: the same EVAL, EVALSHA, SCRIPT,
// FUNCTION and FCALL steps give the same replies, errors included (their texts name the
// script's SHA-1 and line, the same on both sides). Covers the conversions, Lua 5.1 numbers,
// the sandbox, Redis's PRNG, and the cjson, cmsgpack, bit and struct libraries. Skipped when
// redis-server is missing.

import { test } from 'node:test';
import { compareSteps, describeWithRedis, type Step } from './redis-compare-support.js';

const evalSteps = (...scripts: string[]): Step[] => scripts.map((script) => ({ args: ['EVAL', script, '0'] }));
const hex = "local h = '' for i = 1, #s do h = h .. string.format('%02x', string.byte(s, i)) end return h";

const sequences: Record<string, readonly Step[]> = {
  'Lua to reply conversions': evalSteps(
    "return 'hello'", 'return 100.5', 'return -3.9', 'return true', 'return false', 'return nil', "return {ok='fine'}", "return {err='My Error'}",
    "return {1, 2, 3, 'ciao', {1, 2}}", 'return {1, 2, nil, 4}', "return redis.status_reply('STATUS')", "return redis.error_reply('ERR custom')",
    'return 1e20', 'return -1e20', "return {true, false, 'x'}", 'return _G',
  ),
  'reply to Lua conversions': [
    { args: ['SET', 'x', '0'] }, { args: ['RPUSH', 'list', 'a', 'b', 'c'] },
    ...evalSteps(
      "local v = redis.pcall('incr', 'x') return {type(v), v}", "local v = redis.pcall('get', 'x') return {type(v), v}",
      "local v = redis.pcall('lrange', 'list', 0, -1) return {type(v), v[1], #v}", "local v = redis.pcall('set', 'y', 'z') return {type(v), v.ok}",
      "local v = redis.pcall('lpush', 'x', 'a') return {type(v), v.err}", "local v = redis.pcall('get', 'nokey') return {type(v), v == false}",
      "return redis.call('hgetall', 'nokey')", "redis.call('hset', 'h', 'f', 'v') return redis.call('hgetall', 'h')",
      "redis.call('zadd', 'z', 1.5, 'm') return redis.call('zrange', 'z', 0, -1, 'withscores')",
    ),
  ],
  'errors and their places': [
    { args: ['SET', 'str', 'v'] },
    ...evalSteps(
      "redis.call('nosuchcommand')", "redis.call('get', 'a', 'b')", "redis.call('lpush', 'str', 'x')", 'redis.call()', "redis.call('set', 'x', {})",
      "error('boom')", "error({err='MY custom'})", 'return a', 'a = 10', 'redis.call = nil', "print('x')", "loadfile('x')", 'return 1 +',
      "\nlocal x = 1\nredis.call('lpush', 'str', 'y')", "return redis.call('blpop', 'l', 0)", "return redis.call('eval', 'return 1', 0)",
      "return redis.pcall('nosuch')", "return redis.call('xread', 'block', '0', 'streams', 's', '$')",
      "return redis.call('xreadgroup', 'group', 'g', 'c', 'BLOCK', '0', 'streams', 's', '>')", "return redis.call('xread', 'count', '1', 'streams', 'block', '0')", 'return redis.sha1hex()', 'return redis.setresp(4)', "local t = nil return t.x",
    ),
    { args: ['EVAL', 'return 1', '-1'] }, { args: ['EVAL', 'return 1', '3', 'a'] }, { args: ['EVAL', 'return 1', 'x'] },
    { args: ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'] }, { args: ['EVALSHA', 'notasha', '0'] },
  ],
  'Lua 5.1 numbers': evalSteps(
    'return tostring(10/2)', 'return tostring(3.0)', 'return tostring(100000*100000)', "return 'a' .. 2^53", 'return tostring(1/3)',
    'return tostring(1e15)', 'return tostring(1e100)', 'return tostring(-0.0)', 'return tostring(1/0)', 'return tostring(0.1)',
    "return tostring(tonumber('3000000') * 1000)", "return {type(unpack), table.getn({1, 2, 3}), tostring(math.floor(3.7)), math.pow(2, 10), math.mod(7, 3)}",
    "redis.call('set', 'n', 0.1) return redis.call('get', 'n')", "redis.call('set', 'n', 9007199254740991) return redis.call('get', 'n')",
    "redis.call('set', 'n', 1e20) return redis.call('get', 'n')", "redis.call('set', 'n', -1.5) return redis.call('get', 'n')",
    'return string.format("%.3f %5.1f %s %x", 1/3, 2.26, 7, 255)', 'return #tostring(12345.678)',
    'return tostring(0x100000000)', 'return tostring(3 * 0x100000000 + 5 % 0x100000000)', 'return tostring(0xFFFFFFFFFFFF)', "return tostring('0x20' + 1)",
  ),
  'random numbers seeded as Redis seeds them': evalSteps(
    'math.randomseed(10) return {tostring(math.random()), tostring(math.random()), math.random(100), math.random(5, 10)}',
    'math.randomseed(0) return tostring(math.random())', 'math.randomseed(-7) return math.random(1000000)',
  ),
  'cjson': evalSteps(
    'return table.concat(cjson.decode("[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]"), " ")', "local d = cjson.decode('{\"keya\": \"a\"}') return d.keya",
    "return cjson.encode({1, 2, 'x/y', true, {a = 1}})", "return cjson.encode({})", "return cjson.encode('tab\\tquote\"')", 'return cjson.encode(1/3)',
    "return {pcall(cjson.encode, {[1] = 1, [100] = 2})}", "return {pcall(cjson.decode, '{\"a\":')}", "return {pcall(cjson.decode, '[1,]')}",
    "return cjson.encode(cjson.decode('[1, null, \"\\\\u00e9\"]'))", "return {pcall(cjson.encode, function() end)}",
  ),
  // fengari's call path is replaced by faster equivalents (src/kv/script/fengari-fast-paths.ts):
  // iterators, metamethod calls, varargs, results padded or cut, deep and tail recursion,
  // closures capturing locals and loop variables, errors unwinding frames, nested pcalls.
  'calls, frames and closures': evalSteps(
    'local s = 0 for _, v in ipairs({1, 2, 3}) do s = s + v end for _, v in pairs({a = 10, b = 20}) do s = s + v end return s',
    'local t = setmetatable({}, {__call = function(self, a, b) return a * b end}) return t(6, 7)',
    "local function f(...) return select('#', ...), ... end return {f(1, nil, 3)}",
    'local function g() return 1, 2, 3 end local a, b, c, d = g() return {a, b, c, d == nil and 4 or 0}',
    'local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end return depth(3000)',
    'local function tail(n, acc) if n == 0 then return acc end return tail(n - 1, acc + n) end return tail(1000, 0)',
    'local fs = {} for i = 1, 3 do fs[i] = function() return i end end return {fs[1](), fs[2](), fs[3]()}',
    'local function counter() local n = 0 return function() n = n + 1 return n end end local c1, c2 = counter(), counter() c1() c1() return {c1(), c2()}',
    "local ok, e = pcall(function() local function f(n) if n == 0 then error('deep', 0) end return f(n - 1) + 1 end return f(50) end) return {tostring(ok), e}",
    "local function f(n) if n == 0 then return 'bottom' end local ok, v = pcall(f, n - 1) return v end return f(100)",
    // Redis's pcall turns an error table into its err string (redis.call's errors too).
    "local ok, e = pcall(redis.call, 'lpush', 'calls', 'x') return {tostring(ok), type(e), e}",
    "local ok, e = pcall(function() error({err = 'x'}) end) return {tostring(ok), type(e), e}",
    "local ok, e = pcall(function() error({err = 7}) end) return {tostring(ok), type(e), e}",
    "local ok, e = pcall(function() error({other = 'x'}) end) return {tostring(ok), type(e), e.other}",
    "local ok, e = pcall(function() error('plain', 0) end) return {tostring(ok), type(e), e}",
    "return {pcall(function(...) return ... end, 1, nil, 3)}",
    "local t = {} for i = 1, 100 do t[i] = i end return select('#', unpack(t))",
    "local out = {} for w in string.gmatch('a b c', '%a') do out[#out + 1] = w end return out",
    "local r = {} for i = 1, 20 do r[i] = redis.call('incr', 'calls') end return {r[1], r[20], #r}",
  ),
  // fengari wrote bytes below 0x10 with one hex digit in its string keys (src/kv/script/string-hash.ts).
  'binary strings as table keys and in comparisons': evalSteps(
    'local t = {} t["\\1\\17"] = "a" t["\\17\\1"] = "b" local n = 0 for _ in pairs(t) do n = n + 1 end return {t["\\1\\17"], n}',
    'return {tostring("\\15" < "\\16"), tostring("\\1\\17" == "\\17\\1"), tostring("\\1\\17" <= "\\17\\1"), tostring("a" < "ab"), tostring("b" > "ab")}',
    "local t = {} for i = 0, 255 do t[string.char(i, 255 - i)] = i end local n = 0 for _ in pairs(t) do n = n + 1 end return n",
  ),
  'cmsgpack': evalSteps(
    `local s = cmsgpack.pack(0.1) ${hex}`, `local s = cmsgpack.pack(-1099511627776) ${hex}`, `local s = cmsgpack.pack({1, 2, {a = 'b'}}, 'str', true, nil, 300, -33, 1.5) ${hex}`,
    `local s = cmsgpack.pack(string.rep('x', 40), string.rep('y', 300)) ${hex}`,
    "local s = cmsgpack.pack('a', 'bb', 3) return {cmsgpack.unpack_one(s, 0)}", "local s = cmsgpack.pack('a', 'bb', 3) return {cmsgpack.unpack_limit(s, 2, 0)}",
    "return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3}))}", "return {pcall(cmsgpack.unpack, '\\217')}",
  ),
  'bit and struct': evalSteps(
    'return {bit.tobit(2^32 + 5), bit.tohex(255), bit.tohex(-1, -4), bit.bnot(0), bit.band(7, 3), bit.bor(1, 2, 4), bit.bxor(5, 3)}',
    'return {bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.bswap(0x12345678)}',
    "return {struct.unpack('>iHc3s', struct.pack('>iHc3s', -2, 513, 'abc', 'zz'))}", "return {struct.size('<!4bi'), struct.size('>hd')}",
    `local s = struct.pack('<hLbd', -3, 70000, 65, 2.5) ${hex}`, "return {struct.unpack('<I2', 'ab')}", "return {pcall(struct.size, 's')}",
  ),
  'script cache and SORT in scripts': [
    { args: ['SCRIPT', 'LOAD', "return 'loaded'"] }, { args: ['EVALSHA', 'b534286061d4b9e4026607613b95c06c06015ae8', '0'] },
    { args: ['SCRIPT', 'EXISTS', 'b534286061d4b9e4026607613b95c06c06015ae8', 'b534286061d4b9e4026607613b95c06c06015ae9'] },
    { args: ['SCRIPT', 'LOAD', 'return 1 +'] }, { args: ['SCRIPT', 'FLUSH'] }, { args: ['SCRIPT', 'EXISTS', 'b534286061d4b9e4026607613b95c06c06015ae8'] },
    { args: ['SCRIPT', 'KILL'] }, { args: ['SCRIPT', 'BOGUS'] }, { args: ['SCRIPT', 'LOAD'] },
    { args: ['SADD', 'myset', 'c', 'aa', 'b', 'a', '10', '2'] }, { args: ['EVAL', "return redis.call('sort', KEYS[1], 'by', '_')", '1', 'myset'] },
    { args: ['EVAL', "return redis.call('sort', KEYS[1], 'by', '_', 'get', '#')", '1', 'myset'] },
    { args: ['EVAL', "#!lua flags=no-writes\nreturn redis.call('get', 'x')", '0'] }, { args: ['EVAL', "#!lua flags=no-writes\nreturn redis.call('set', 'x', 1)", '0'] },
    { args: ['EVAL', '#!lua flags=bogus\nreturn 1', '0'] }, { args: ['EVAL', '#!notlua\nreturn 1', '0'] },
  ],
  'functions': [
    { args: ['FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('f', function(keys, args) return {keys[1], args[1]} end)"] },
    { args: ['FCALL', 'f', '1', 'k', 'a'] }, { args: ['FCALL', 'F', '0'] }, { args: ['FCALL', 'nosuch', '0'] }, { args: ['FCALL', 'f', 'x'] },
    { args: ['FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('g', function() return 1 end)"] },
    { args: ['FUNCTION', 'LOAD', "#!lua name=lib2\nredis.register_function('f', function() return 1 end)"] },
    { args: ['FUNCTION', 'LOAD', "#!lua name=lib3\nreturn math.random()"] }, { args: ['FUNCTION', 'LOAD', '#!lua name=lib3\nreturn 1'] },
    { args: ['FUNCTION', 'LOAD', "#!lua name=ro\nredis.register_function{function_name='getter', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}"] },
    // Redis lists libraries in its dict's (seeded hash) order: compared as sets.
    { args: ['FUNCTION', 'LIST'], sort: true }, { args: ['FUNCTION', 'LIST', 'LIBRARYNAME', 'r*', 'WITHCODE'], sort: true }, { args: ['FUNCTION', 'STATS'] },
    { args: ['FUNCTION', 'DELETE', 'lib'] }, { args: ['FUNCTION', 'DELETE', 'lib'] }, { args: ['FUNCTION', 'KILL'] }, { args: ['FUNCTION', 'RESTORE', 'junk'] },
    { args: ['FUNCTION', 'LIST', 'bogus'] }, { args: ['FUNCTION', 'FLUSH'] }, { args: ['FUNCTION', 'LIST'] },
  ],
};

describeWithRedis('scripts and functions match redis-server', (redis) => {
  for (const [name, steps] of Object.entries(sequences)) {
    test(name, async () => {
      await redis().client.call('FUNCTION', 'FLUSH');
      await redis().client.call('SCRIPT', 'FLUSH');
      await compareSteps(redis(), steps);
    });
  }
});
