// Scripting in the state machine: EVAL and friends with Redis's conversions and error texts,
// Lua 5.1 numbers on fengari, the sandbox, and what replicas rely on: the same entries give
// the same replies (random numbers and TIME included) and a runaway script stops at the same
// instruction everywhere.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, argvOf, baseTimeMs, plain } from './harness.js';
import { encodeCommand } from '../../src/kv/command-codec.js';
import { wrapAsUser } from '../../src/kv/acl/as-user.js';
import { sha1Hex } from '../../src/kv/script/sha1.js';
import { formatLuaNumber } from '../../src/kv/script/lua-numbers.js';
import { restore, takeSnapshot } from './snapshot-support.js';
import { scriptNeedsLog } from '../../src/kv/script-commands.js';
import { CALL_INSTRUCTIONS } from '../../src/kv/script/call-cost.js';

const evalReply = (h: Harness, script: string, ...rest: string[]): ReturnType<typeof plain> => plain(h.apply('EVAL', script, ...rest));

test('sha1 matches the published vectors (and redis.sha1hex uses it)', () => {
  assert.equal(sha1Hex(Buffer.from('')), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  assert.equal(sha1Hex(Buffer.from('abc')), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.equal(sha1Hex(Buffer.alloc(1000, 0x61)), '291e9a6c66994949b57ba5e650361e98fc36b1ba');
  const h = new Harness();
  assert.equal(evalReply(h, "return redis.sha1hex('Pizza & Mandolino')", '0'), '74822d82031af7493c20eefa13bd07ec4fada82f');
});

test('Lua values become replies as Redis converts them', () => {
  const h = new Harness();
  assert.equal(evalReply(h, 'return 100.5', '0'), 100);
  assert.equal(evalReply(h, 'return true', '0'), 1);
  assert.equal(evalReply(h, 'return false', '0'), null);
  assert.equal(evalReply(h, "return {ok='fine'}", '0'), 'fine');
  assert.deepEqual(evalReply(h, "return {err='bad thing'}", '0'), { err: 'bad thing' });
  assert.deepEqual(evalReply(h, "return redis.error_reply('My Error')", '0'), { err: 'My Error' });
  assert.deepEqual(evalReply(h, "return {1,2,3,'ciao',{1,2}}", '0'), [1, 2, 3, 'ciao', [1, 2]]);
  assert.deepEqual(evalReply(h, 'return {1,2,nil,4}', '0'), [1, 2]);
  assert.deepEqual(evalReply(h, 'return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}', '2', 'a', 'b', 'c', 'd'), ['a', 'b', 'c', 'd']);
  assert.deepEqual(h.apply('EVAL', "return {double=3.5}", '0'), { kind: 'double', value: 3.5 });
  assert.deepEqual(h.apply('EVAL', "redis.setresp(3) return true", '0'), { kind: 'boolean', value: true });
});

test('replies become Lua values as Redis converts them, in RESP2 and RESP3', () => {
  const h = new Harness();
  h.apply('SET', 'x', '0');
  assert.deepEqual(evalReply(h, "local v = redis.pcall('incr', KEYS[1]) return {type(v), v}", '1', 'x'), ['number', 1]);
  assert.deepEqual(evalReply(h, "local v = redis.pcall('set', KEYS[1], 'a') return {type(v), v['ok']}", '1', 'x'), ['table', 'OK']);
  assert.deepEqual(evalReply(h, "local v = redis.pcall('incr', KEYS[1]) return {type(v), v['err']}", '1', 'x'), ['table', 'ERR value is not an integer or out of range']);
  assert.deepEqual(evalReply(h, "local v = redis.pcall('get', 'nope') return {type(v), v == false}", '0'), ['boolean', 1]);
  h.apply('HSET', 'h', 'f', 'v');
  assert.deepEqual(evalReply(h, "return redis.call('hgetall', 'h')", '0'), ['f', 'v']);
  const resp3 = h.apply('EVAL', "redis.setresp(3) return redis.call('hgetall', 'h')", '0');
  assert.equal(resp3.kind, 'map');
  assert.deepEqual(evalReply(h, "redis.setresp(3) local v = redis.call('get', 'nope') return type(v)", '0'), 'nil');
});

test('errors carry Redis 7.0 texts and where the script raised them', () => {
  const h = new Harness();
  const sha = (script: string): string => sha1Hex(Buffer.from(script));
  const at = (script: string): string => ` script: ${sha(script)}, on @user_script:1.`;
  const cases: [string, string][] = [
    ["redis.call('nosuch')", 'ERR Unknown Redis command called from script'],
    ["redis.call('get','a','b')", 'ERR Wrong number of args calling Redis command from script'],
    ["redis.call('blpop','x',0)", 'ERR This Redis command is not allowed from script'],
    ['redis.call()', 'ERR Please specify at least one argument for this redis lib call'],
    ["redis.call('set','x',{})", 'ERR Lua redis lib command arguments must be strings or integers'],
    ["error('boom')", 'ERR user_script:1: boom'],
    ["error({err='MY custom'})", 'MY custom'],
    ['return a', "ERR user_script:1: Script attempted to access nonexistent global variable 'a'"],
    ['a = 10', 'ERR user_script:1: Attempt to modify a readonly table'],
    ['redis.call = nil', 'ERR user_script:1: Attempt to modify a readonly table'],
    ['setmetatable(_G, {})', 'ERR user_script:1: Attempt to modify a readonly table'],
    ["print('x')", "ERR user_script:1: Script attempted to access nonexistent global variable 'print'"],
  ];
  for (const [script, message] of cases) assert.deepEqual(evalReply(h, script, '0'), { err: message + at(script) }, script);
  assert.deepEqual(evalReply(h, 'return 1 +', '0'), { err: "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'" });
  assert.deepEqual(evalReply(h, 'return 1', '-1'), { err: "ERR Number of keys can't be negative" });
  assert.deepEqual(evalReply(h, 'return 1', '2', 'a'), { err: "ERR Number of keys can't be greater than number of args" });
  assert.deepEqual(plain(h.apply('EVALSHA', 'ffd632c7d33e571e9f24556ebed26c3479a87130', '0')), { err: 'NOSCRIPT No matching script. Please use EVAL.' });
  const readOnly = "redis.call('del', KEYS[1])";
  assert.deepEqual(plain(h.read('EVAL_RO', readOnly, '1', 'x')), { err: 'ERR Write commands are not allowed from read-only scripts.' + at(readOnly) });
});

test('numbers behave as in Lua 5.1: doubles, printed with %.14g', () => {
  const h = new Harness();
  assert.equal(evalReply(h, 'return tostring(10/2)', '0'), '5');
  assert.equal(evalReply(h, 'return tostring(100000*100000)', '0'), '10000000000');
  assert.equal(evalReply(h, "return 'a' .. 2^53", '0'), 'a9.007199254741e+15');
  assert.equal(evalReply(h, 'return tostring(tonumber(ARGV[1]) * 1000)', '0', '3000000'), '3000000000');
  assert.deepEqual(evalReply(h, 'return {type(unpack), table.getn({1,2,3}), tostring(math.floor(3.7))}', '0'), ['function', 3, '3']);
  assert.equal(evalReply(h, "redis.call('set', 'n', 0.1) return redis.call('get', 'n')", '0'), '0.10000000000000001');
  assert.equal(evalReply(h, "redis.call('set', 'n', 9007199254740991) return redis.call('get', 'n')", '0'), '9007199254740991');
  for (const [value, text] of [[1e15, '1e+15'], [1 / 3, '0.33333333333333'], [-0, '-0'], [Infinity, 'inf'], [1.5e-7, '1.5e-07']] as const) {
    assert.equal(formatLuaNumber(value), text);
  }
});

test('the script cache: EVAL caches, SCRIPT LOAD / EXISTS / FLUSH / KILL', () => {
  const h = new Harness();
  h.apply('SET', 'mykey', 'myval');
  assert.equal(evalReply(h, "return redis.call('get',KEYS[1])", '1', 'mykey'), 'myval');
  assert.equal(plain(h.apply('EVALSHA', 'FD758D1589D044DD850A6F05D52F2EEFD27F033F', '1', 'mykey')), 'myval');
  assert.equal(plain(h.apply('SCRIPT', 'LOAD', "return 'loaded'")), 'b534286061d4b9e4026607613b95c06c06015ae8');
  assert.deepEqual(plain(h.apply('SCRIPT', 'EXISTS', 'b534286061d4b9e4026607613b95c06c06015ae8', 'b534286061d4b9e4026607613b95c06c06015ae9')), [1, 0]);
  assert.equal(plain(h.read('EVALSHA_RO', 'b534286061d4b9e4026607613b95c06c06015ae8', '0')), 'loaded');
  assert.equal(plain(h.apply('SCRIPT', 'FLUSH')), 'OK');
  assert.deepEqual(plain(h.apply('SCRIPT', 'EXISTS', 'b534286061d4b9e4026607613b95c06c06015ae8')), [0]);
  assert.deepEqual(plain(h.apply('SCRIPT', 'KILL')), { err: 'NOTBUSY No scripts in execution right now.' });
  // EVAL_RO runs on one node: it leaves the replicated cache alone.
  h.read('EVAL_RO', 'return 7', '0');
  assert.deepEqual(plain(h.apply('SCRIPT', 'EXISTS', sha1Hex(Buffer.from('return 7')))), [0]);
});

test('two replicas fed the same entries give the same replies: random numbers, TIME, SPOP, errors midway', () => {
  const script = `
    local out = {}
    for i = 1, 3 do out[#out + 1] = tostring(math.random()) end
    out[#out + 1] = redis.call('time')[1]
    out[#out + 1] = tostring({})
    out[#out + 1] = tostring(KEYS) .. tostring(ARGV)
    local t = {} for i = 1, 30 do t['k' .. i] = i end
    local order = '' for k in pairs(t) do order = order .. k end
    out[#out + 1] = order
    redis.call('sadd', 's', 'a', 'b', 'c', 'd', 'e')
    out[#out + 1] = redis.call('spop', 's')
    return out`;
  const a = new Harness();
  const b = new Harness();
  // b's VM has history a's lacks: it must not matter.
  b.apply('EVAL', 'local t = {} for i = 1, 1000 do t[i] = tostring(i) end return #t', '0');
  a.index = b.index;
  const first = evalReply(a, script, '0');
  assert.deepEqual(first, evalReply(b, script, '0'));
  assert.deepEqual(a.kv.digest().hash, b.kv.digest().hash);
  const second = evalReply(a, script, '0');
  assert.deepEqual(evalReply(b, script, '0'), second);
  assert.notDeepEqual(second, first, 'a later entry draws other numbers');
  const failing = "redis.call('set', 'w', '1') redis.call('incr', 'w') redis.call('lpush', 'w', 'x') redis.call('set', 'never', '1')";
  assert.deepEqual(evalReply(a, failing, '0'), evalReply(b, failing, '0'));
  assert.equal(plain(a.apply('GET', 'w')), '2');
  assert.equal(plain(a.apply('EXISTS', 'never')), 0);
  assert.deepEqual(a.kv.digest().hash, b.kv.digest().hash);
  assert.equal(plain(a.apply('EVAL', "return redis.call('time')[1]", '0')), String(Math.floor(baseTimeMs / 1000)));
});

test('math.randomseed gives Redis rand48 sequences', () => {
  const h = new Harness();
  const seeded = "math.randomseed(ARGV[1]) return tostring(math.random())";
  assert.equal(evalReply(h, seeded, '0', '10'), evalReply(h, seeded, '0', '10'));
  assert.notEqual(evalReply(h, seeded, '0', '10'), evalReply(h, seeded, '0', '20'));
  const ranged = evalReply(h, 'local v = {} for i = 1, 50 do v[i] = math.random(3, 5) end return v', '0') as number[];
  assert.ok(ranged.every((value) => value >= 3 && value <= 5));
});

test('a runaway script stops at its instruction budget, identically, keeping earlier writes; pcall cannot hold it', () => {
  const options = { scriptInstructionsMax: 200_000 };
  const a = new Harness(options);
  const b = new Harness(options);
  const runaway = "local i = 0 redis.call('set', 'before', '1') while true do i = i + 1 redis.call('set', 'counter', i) end";
  const reply = evalReply(a, runaway, '0');
  assert.deepEqual(reply, evalReply(b, runaway, '0'));
  assert.match((reply as { err: string }).err, /^ERR Script killed after 200000 Lua instructions/);
  assert.equal(plain(a.apply('GET', 'before')), '1');
  assert.equal(plain(a.apply('GET', 'counter')), plain(b.apply('GET', 'counter')));
  const stubborn = 'while true do pcall(function() while true do end end) end';
  assert.match((evalReply(a, stubborn, '0') as { err: string }).err, /^ERR Script killed/);
  assert.equal(evalReply(a, "return 'still works'", '0'), 'still works');
});

test('host work counts in the budget: many cheap calls stop, a big reply counts by its size, identically on every replica', () => {
  const options = { scriptInstructionsMax: 100_000 };
  const [a, b] = [new Harness(options), new Harness(options)];
  // One Lua instruction per call would let 100,000 calls run; each call counts CALL_INSTRUCTIONS and more.
  const calls = "for i = 1, 100000 do redis.call('incr', 'n') end return 'done'";
  const reply = evalReply(a, calls, '0');
  assert.deepEqual(reply, evalReply(b, calls, '0'));
  assert.match((reply as { err: string }).err, /^ERR Script killed after 100000 Lua instructions/);
  const done = Number(plain(a.apply('GET', 'n')));
  assert.equal(plain(b.apply('GET', 'n')), String(done), 'both replicas stopped at the same call');
  assert.ok(done > 100_000 / (CALL_INSTRUCTIONS + 10) && done < 100_000 / CALL_INSTRUCTIONS, `${done} calls ran`);
  // pcall does not hold a stop raised by a call.
  assert.match((evalReply(a, "while true do pcall(redis.call, 'incr', 'n') end", '0') as { err: string }).err, /^ERR Script killed/);
  // A call's reply counts by its size: reading a 1 MB value (about 4,000 instructions) stops sooner.
  a.apply('SET', 'big', 'x'.repeat(1024 * 1024));
  a.apply('SET', 'reads', '0');
  assert.match((evalReply(a, "while true do redis.call('get', 'big') redis.call('incr', 'reads') end", '0') as { err: string }).err, /^ERR Script killed/);
  const reads = Number(plain(a.apply('GET', 'reads')));
  assert.ok(reads > 0 && reads < 100_000 / (1024 * 1024 / 256), `${reads} reads of 1 MB`);
});

test('library host work counts in the budget: cjson, cmsgpack, table and string functions and patterns stop a script identically on every replica', () => {
  // Each script runs a handful of Lua instructions; what it costs is host work.
  const scripts = [
    "local t = cjson.decode('[' .. string.rep('1,', 30000) .. '1]') return #t",
    "return select('#', cmsgpack.unpack(string.rep(string.char(1), 30000)))",
    "local t = cmsgpack.unpack(cmsgpack.pack(cjson.decode('[' .. string.rep('1,', 9000) .. '1]'))) return #t",
    "return select('#', string.byte(string.rep('a', 200000), 1, -1))",
    "return string.find(string.rep('a', 3000), '.-b')",
    "return select('#', unpack(cjson.decode('[' .. string.rep('1,', 20000) .. '1]')))",
  ];
  const stopped = { scriptInstructionsMax: 100_000 };
  const [a, b] = [new Harness(stopped), new Harness(stopped)];
  const roomy = new Harness();
  for (const script of scripts) {
    const reply = evalReply(a, script, '0');
    assert.match((reply as { err: string }).err, /^ERR Script killed after 100000 Lua instructions/, script);
    assert.deepEqual(evalReply(b, script, '0'), reply, `replicas differ on ${script}`);
    const roomyReply = evalReply(roomy, script, '0');
    assert.ok(!(typeof roomyReply === 'object' && roomyReply !== null && 'err' in roomyReply), `the default budget stops ${script}: ${JSON.stringify(roomyReply)}`);
  }
  // Small work passes under the same budget.
  assert.equal(evalReply(a, "return #cjson.decode('[' .. string.rep('1,', 199) .. '1]')", '0'), 200);
  assert.equal(evalReply(a, "return string.find(string.rep('a', 100), 'b')", '0'), null);
  // A stop inside host work is not caught by pcall for long.
  assert.match((evalReply(a, "while true do pcall(cjson.decode, '[' .. string.rep('1,', 5000) .. '1]') end", '0') as { err: string }).err, /^ERR Script killed/);
});

test('no library or global survives from one run to the next', () => {
  const h = new Harness();
  for (const attempt of ['string.x = 1', 'rawset(_G, "x", 1)', "getmetatable('').__index = {}", 'local g = getmetatable(_G) g.__index = {}', 'math.random = nil']) {
    assert.match((evalReply(h, attempt, '0') as { err: string }).err, /Attempt to modify a readonly table/, attempt);
  }
  assert.equal(evalReply(h, "return ('abc'):upper()", '0'), 'ABC');
});

test('cached scripts travel in snapshots: EVALSHA works on a restored replica, and a restored VM runs alike', () => {
  const live = new Harness();
  live.apply('SCRIPT', 'LOAD', "return redis.call('incr', KEYS[1])");
  live.apply('EVAL', "return 'from eval'", '0');
  live.apply('SET', 'x', '41');
  const chunks = takeSnapshot(live.kv, 256);
  const replica = new Harness();
  assert.equal(restore(replica.kv, chunks), null);
  replica.index = live.index;
  const incr = sha1Hex(Buffer.from("return redis.call('incr', KEYS[1])"));
  assert.equal(plain(replica.apply('EVALSHA', incr, '1', 'x')), 42);
  assert.equal(plain(live.apply('EVALSHA', incr, '1', 'x')), 42);
  const fromEval = sha1Hex(Buffer.from("return 'from eval'"));
  assert.equal(plain(replica.apply('EVALSHA', fromEval, '0')), 'from eval');
  assert.equal(plain(live.apply('EVALSHA', fromEval, '0')), 'from eval');
  assert.deepEqual(replica.kv.digest(), live.kv.digest());
  // A snapshot taken after SCRIPT FLUSH carries none.
  live.apply('SCRIPT', 'FLUSH');
  const empty = new Harness();
  assert.equal(restore(empty.kv, takeSnapshot(live.kv, 256)), null);
  empty.index = live.index;
  assert.deepEqual(plain(empty.apply('SCRIPT', 'EXISTS', incr)), [0]);
});

test('the libraries Redis loads: cjson, cmsgpack, bit, struct, with their Lua-side API', () => {
  const h = new Harness();
  assert.equal(evalReply(h, 'return table.concat(cjson.decode("[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]"), " ")', '0'), '0 -5000 -1 0.0003 1023.2 0');
  assert.equal(evalReply(h, "return cjson.encode({a={1,2,3}, s='x/y', e={}, t=true})", '0'), '{"a":[1,2,3],"s":"x\\/y","e":{},"t":true}');
  assert.deepEqual(evalReply(h, "local v = cjson.decode('[1,null]') return {v[1], v[2] == cjson.null}", '0'), [1, 1]);
  assert.deepEqual(evalReply(h, "return {pcall(cjson.encode, {[1]=1, [100]=2})}", '0'), [null, 'Cannot serialise table: excessively sparse array']);
  assert.deepEqual(evalReply(h, "return {pcall(cjson.decode, '{\"a\":')}", '0'), [null, 'Expected value but found T_END at character 6']);
  const hex = "local h = '' for i = 1, #s do h = h .. string.format('%02x', string.byte(s, i)) end return h";
  assert.equal(evalReply(h, `local s = cmsgpack.pack(0.1) ${hex}`, '0'), 'cb3fb999999999999a');
  assert.equal(evalReply(h, `local s = cmsgpack.pack(-1099511627776) ${hex}`, '0'), 'd3ffffff0000000000');
  assert.equal(evalReply(h, `local s = cmsgpack.pack({1, 2}, 'ab', true, nil) ${hex}`, '0'), '920102a26162c3c0');
  assert.deepEqual(evalReply(h, "local s = cmsgpack.pack('a', 'bb') local o, v = cmsgpack.unpack_one(s, 0) local o2, v2 = cmsgpack.unpack_one(s, o) return {o, v, o2, v2}", '0'), [2, 'a', -1, 'bb']);
  assert.deepEqual(evalReply(h, 'return {bit.tohex(255), bit.tohex(-1, -4), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.bswap(0x12345678), bit.bor(1, 2, 4)}', '0'),
    ['000000ff', 'FFFF', -2147483648, 15, -16, 0x78563412, 7]);
  assert.deepEqual(evalReply(h, "local s = struct.pack('>iHc3s', -2, 513, 'abc', 'zz') return {#s, struct.unpack('>iHc3s', s)}", '0'), [12, -2, 513, 'abc', 'zz', 13]);
  assert.equal(evalReply(h, "return struct.size('<!4bi')", '0'), 8);
  for (const library of ['cjson', 'cmsgpack', 'bit', 'struct']) {
    assert.match((evalReply(h, `${library}.x = 1`, '0') as { err: string }).err, /Attempt to modify a readonly table/);
  }
  // cjson settings last one run: the next run starts from the defaults.
  h.apply('EVAL', 'cjson.encode_max_depth(1)', '0');
  assert.equal(evalReply(h, 'return cjson.encode({{1}})', '0'), '[[1]]');
});

test('inside scripts: SORT BY a constant orders a set, server commands are not allowed, an empty error is ERR', () => {
  const h = new Harness();
  h.apply('SADD', 'myset', 'c', 'aa', 'b', 'a');
  assert.deepEqual(evalReply(h, "return redis.call('sort', KEYS[1], 'by', '_')", '1', 'myset'), ['a', 'aa', 'b', 'c']);
  assert.match((evalReply(h, "redis.call('cluster', 'reset', 'hard')", '0') as { err: string }).err, /^ERR This Redis command is not allowed from script/);
  assert.deepEqual(evalReply(h, "return redis.error_reply('')", '0'), { err: 'ERR' });
});

test('a self-referencing result ends in an error within the depth replies can be stored and sent at', () => {
  const h = new Harness();
  // Applied with a request id, so the reply is kept for exactly-once and goes into snapshots.
  const entry = encodeCommand({ origin: 'n1', client: 7, seq: 1, firstUnanswered: 1, time: baseTimeMs, argv: argvOf(['EVAL', 'local a = {} local b = {a} a[1] = b return a', '0']) });
  let reply = h.kv.apply(++h.index, entry);
  let depth = 0;
  while (reply.kind === 'array' && reply.value !== null && reply.value.length === 1) {
    reply = reply.value[0] as typeof reply;
    depth++;
  }
  assert.deepEqual(reply, { kind: 'error', message: 'ERR reached lua stack limit' });
  assert.ok(depth < 64, `nested ${depth} deep`);
  const chunks = takeSnapshot(h.kv, 4096);
  assert.equal(restore(new Harness().kv, chunks), null);
});

test('redis.acl_check_cmd answers for the entry\'s calling user', () => {
  const h = new Harness();
  assert.equal(evalReply(h, "return redis.acl_check_cmd('set', 'xx', 1)", '0'), 1);
  assert.match((evalReply(h, "return redis.acl_check_cmd('invalid-cmd', 'arg')", '0') as { err: string }).err, /^ERR Invalid command passed to redis\.acl_check_cmd\(\)/);
  h.apply('raftis.acl', 'setuser', 'bob', 'on', 'nopass', '+@scripting', '+set', '~x*');
  const asBob = (script: string): ReturnType<typeof plain> =>
    plain(h.kv.apply(++h.index, encodeCommand({ origin: 'n1', client: 0, seq: 0, firstUnanswered: 0, time: h.time, argv: wrapAsUser('bob', argvOf(['EVAL', script, '0'])) })));
  assert.equal(asBob("return redis.acl_check_cmd('set', 'xx', 1)"), 1);
  assert.equal(asBob("return redis.acl_check_cmd('hset', 'xx', 'f', 1)"), null);
  assert.equal(asBob("return redis.acl_check_cmd('set', 'yy', 1)"), null);
});

test('a script that makes too many bytes of strings stops at the same point on every replica, keeping earlier writes', () => {
  const options = { scriptStringBytesMax: 4 * 1024 * 1024 };
  const a = new Harness(options);
  const b = new Harness(options);
  const scripts = [
    "redis.call('set', 'before', '1') local s = 'x' for i = 1, 40 do s = s .. s end return #s",
    "redis.call('set', 'before2', '1') local t = {} for i = 1, 100000 do t[i] = string.rep('y', 1000) end return #t",
    "local ok = pcall(string.rep, 'z', 100000000) local t = {} for i = 1, 100000 do t[i] = string.rep('w', 100) end return tostring(ok)",
  ];
  for (const script of scripts) {
    const reply = evalReply(a, script, '0');
    assert.deepEqual(reply, evalReply(b, script, '0'));
    assert.match((reply as { err: string }).err, /^ERR Script used more than 4194304 bytes of strings \(script-string-bytes-max\)/, script);
  }
  assert.deepEqual(plain(a.apply('MGET', 'before', 'before2')), ['1', '1']);
  assert.deepEqual(a.kv.digest().hash, b.kv.digest().hash);
  assert.equal(evalReply(a, "return #string.rep('a', 1000000)", '0'), 1000000, 'the next run has its own budget');
});

test('the VM\'s memory (INFO used_memory_lua): what it holds, not what runs left behind', () => {
  const h = new Harness();
  const fresh = h.kv.scriptMemory();
  // C Lua 5.1 with Redis's libraries holds about 30 KiB (redis-server 7.0 reports 32 KiB).
  assert.ok(fresh.evalBytes > 16 * 1024 && fresh.evalBytes < 64 * 1024, `fresh VM: ${fresh.evalBytes}`);
  assert.deepEqual([fresh.cachedScriptBytes, fresh.libraryCodeBytes], [0, 0]);
  for (let i = 0; i < 100; i++) h.apply('SCRIPT', 'LOAD', `return ${i} + redis.call('incr', KEYS[1])`);
  const loaded = h.kv.scriptMemory();
  assert.ok(loaded.evalBytes > fresh.evalBytes + 100 * 100, `100 compiled scripts: ${loaded.evalBytes}`);
  assert.equal(loaded.cachedScriptBytes, 100 * "return 0 + redis.call('incr', KEYS[1])".length + 90);
  // Redis's "EVAL does not leak in the Lua stack": many runs of one script add nothing.
  for (let i = 0; i < 1000; i++) h.apply('EVAL', "return redis.call('incr', KEYS[1])", '1', 'x');
  const ran = h.kv.scriptMemory().evalBytes;
  assert.ok(ran < loaded.evalBytes + 1024, `after 1000 runs: ${ran}, before ${loaded.evalBytes}`);
  h.apply('FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('f', function(keys) return redis.call('get', keys[1]) end)");
  const withLibrary = h.kv.scriptMemory();
  assert.ok(withLibrary.functionsBytes > fresh.functionsBytes + 200, `a library: ${withLibrary.functionsBytes}`);
  assert.ok(withLibrary.evalBytes < ran + 256, 'the library is counted on the functions side');
  assert.ok(withLibrary.libraryCodeBytes > 80);
  h.apply('FUNCTION', 'DELETE', 'lib');
  assert.equal(h.kv.scriptMemory().functionsBytes, fresh.functionsBytes);
  h.apply('SCRIPT', 'FLUSH');
  assert.equal(h.kv.scriptMemory().evalBytes, fresh.evalBytes, 'SCRIPT FLUSH gives a fresh VM');
});

test('scripts that cannot write are served as reads: the decision, the read, and when the log must serve them after all', () => {
  const h = new Harness();
  const readOnly = "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])";
  const writes = "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 'x')";
  const cannotWrite = (...args: string[]): boolean => h.kv.scriptCannotWrite(argvOf(args));
  const readScript = (...args: string[]): ReturnType<typeof plain> => plain(h.kv.readScript(argvOf(args), h.time));
  h.apply('SET', 'k', 'v');
  // EVAL must cache its body (replicated state): only a cached body is served as a read.
  assert.equal(cannotWrite('EVAL', readOnly, '1', 'k'), false);
  assert.equal(evalReply(h, readOnly, '1', 'k'), 'v');
  assert.equal(cannotWrite('EVAL', readOnly, '1', 'k'), true);
  assert.equal(cannotWrite('EVALSHA', sha1Hex(Buffer.from(readOnly)), '1', 'k'), true);
  assert.equal(cannotWrite('EVALSHA', sha1Hex(Buffer.from(readOnly)).toUpperCase(), '1', 'k'), true);
  assert.equal(cannotWrite('EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'), false, 'unknown: the log answers NOSCRIPT');
  assert.equal(cannotWrite('EVAL', "return redis.call('get', KEYS[1])", '1', 'k'), false, 'no shebang: the script may write');
  assert.equal(cannotWrite('EVAL', readOnly, '2', 'k'), false, 'a bad key count is the log\'s error to give');
  assert.equal(readScript('EVAL', readOnly, '1', 'k'), 'v');
  assert.equal(readScript('EVALSHA', sha1Hex(Buffer.from(readOnly)), '1', 'k'), 'v');
  evalReply(h, writes, '1', 'k');
  assert.deepEqual(readScript('EVAL', writes, '1', 'k'), { err: "ERR Write commands are not allowed from read-only scripts. script: " + sha1Hex(Buffer.from(writes)) + ', on @user_script:2.' });
  // A read changes nothing: a body not cached stays uncached.
  const uncached = "#!lua flags=no-writes\nreturn 7";
  assert.equal(h.kv.readScript(argvOf(['EVAL', uncached, '0']), h.time), scriptNeedsLog, 'an uncached EVAL must go through the log');
  assert.deepEqual(plain(h.apply('SCRIPT', 'EXISTS', sha1Hex(Buffer.from(uncached)))), [0]);
  // SCRIPT FLUSH between the decision and the read point: the read answers that the log must serve it.
  h.apply('SCRIPT', 'FLUSH');
  assert.equal(h.kv.readScript(argvOf(['EVAL', readOnly, '1', 'k']), h.time), scriptNeedsLog);
  assert.deepEqual(readScript('EVALSHA', sha1Hex(Buffer.from(readOnly)), '1', 'k'), { err: 'NOSCRIPT No matching script. Please use EVAL.' });

  const library = (flags: string): string => `#!lua name=reads\nredis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={${flags}}}`;
  h.apply('FUNCTION', 'LOAD', library("'no-writes'"));
  assert.equal(cannotWrite('FCALL', 'peek', '1', 'k'), true);
  assert.equal(cannotWrite('FCALL', 'PEEK', '1', 'k'), true);
  assert.equal(cannotWrite('FCALL', 'nothing', '0'), false);
  assert.equal(readScript('FCALL', 'peek', '1', 'k'), 'v');
  // Replaced meanwhile by a function that may write: the log serves it.
  h.apply('FUNCTION', 'LOAD', 'REPLACE', library(''));
  assert.equal(cannotWrite('FCALL', 'peek', '1', 'k'), false);
  assert.equal(h.kv.readScript(argvOf(['FCALL', 'peek', '1', 'k']), h.time), scriptNeedsLog);
  assert.deepEqual(plain(h.kv.readScript(argvOf(['SET', 'k', 'v']), h.time)), { err: "ERR 'set' is not a read-only command" });
});

test('a script served as a read that outlasts its slice is abandoned for the log: nothing changed, the VM free', () => {
  const h = new Harness();
  h.apply('SET', 'k', 'v');
  const loop = "local n = 0 for i = 1, 200000 do n = n + 1 end return redis.call('get', KEYS[1])";
  const sliceOver = (): boolean => true;
  assert.equal(h.kv.readScript(argvOf(['EVAL_RO', loop, '1', 'k']), h.time, null, sliceOver), scriptNeedsLog, 'past its slice: the log serves it');
  h.apply('FUNCTION', 'LOAD', "#!lua name=slow\nredis.register_function{function_name='slow', callback=function(keys) local n = 0 for i = 1, 200000 do n = n + 1 end return redis.call('get', keys[1]) end, flags={'no-writes'}}");
  assert.equal(h.kv.readScript(argvOf(['FCALL_RO', 'slow', '1', 'k']), h.time, null, sliceOver), scriptNeedsLog);
  // Abandoned: the body is not cached by the read, and the VM runs the next script at once.
  assert.deepEqual(plain(h.apply('SCRIPT', 'EXISTS', sha1Hex(Buffer.from(loop)))), [0]);
  assert.equal(plain(h.kv.readScript(argvOf(['EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'k']), h.time, null, sliceOver)), 'v', 'a run that ends before its first check is not sliced');
  assert.equal(plain(h.kv.readScript(argvOf(['EVAL_RO', loop, '1', 'k']), h.time, null, () => false)), 'v', 'within its slice it is served as a read');
  // Applied (the log's turn) the same command runs to its reply.
  assert.equal(plain(h.apply('EVAL_RO', loop, '1', 'k')), 'v');
});

test('between runs the VM\'s stack is made anew (fengari\'s grows into a V8 dictionary), and an error after a deep reply still reports', () => {
  const h = new Harness();
  // Converting a reply nested 40 deep raises the base frame's stack limit; the next run's error must still be the script's.
  assert.equal((evalReply(h, 'local t = {} local c = t for i = 1, 40 do c[1] = {} c = c[1] end return t', '0') as unknown[]).length, 1);
  assert.deepEqual(evalReply(h, "error('x')", '0'), { err: `ERR user_script:1: x script: ${sha1Hex(Buffer.from("error('x')"))}, on @user_script:1.` });
  const L = (h.kv as unknown as { scriptVm: { L: { stack: unknown[] } } }).scriptVm.L;
  assert.ok(L.stack.length <= 40, `stack of ${L.stack.length} slots between runs`);
});
