// Functions in the state machine: FUNCTION LOAD and friends with Redis 7.0's texts, FCALL and
// FCALL_RO, the load run's restricted globals, and libraries as replicated state (snapshots,
// DUMP/RESTORE, and a replica whose VM loads a library only when it is first called).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, argvOf, plain } from './harness.js';
import { commandKeys } from '../../src/kv/key-specs.js';
import { restore, takeSnapshot } from './snapshot-support.js';

const library = (name: string, fn: string, body: string): string => `#!lua name=${name}\nredis.register_function('${fn}', function(KEYS, ARGV)\n ${body} \nend)`;
const noWrites = (name: string, fn: string, body: string): string =>
  `#!lua name=${name}\nredis.register_function{function_name='${fn}', callback=function(KEYS, ARGV)\n ${body} \nend, flags={'no-writes'}, description='reads'}`;
const err = (reply: ReturnType<typeof plain>): string => (reply as { err: string }).err;

test('FUNCTION LOAD and FCALL: load, replace, call by any case, keys and arguments', () => {
  const h = new Harness();
  assert.equal(plain(h.apply('FUNCTION', 'LOAD', library('test', 'test', "return 'hello'"))), 'test');
  assert.equal(plain(h.apply('FCALL', 'TEST', '0')), 'hello');
  assert.equal(err(plain(h.apply('FUNCTION', 'LOAD', library('test', 'test', "return 'x'")))), "ERR Library 'test' already exists");
  assert.equal(plain(h.apply('FUNCTION', 'LOAD', 'REPLACE', library('test', 'test', "return redis.call('set', KEYS[1], ARGV[1])"))), 'test');
  assert.equal(plain(h.apply('FCALL', 'test', '1', 'k', 'v')), 'OK');
  assert.equal(plain(h.apply('GET', 'k')), 'v');
  assert.equal(plain(h.apply('FUNCTION', 'DELETE', 'test')), 'OK');
  assert.equal(err(plain(h.apply('FCALL', 'test', '0'))), 'ERR Function not found');
});

test('FUNCTION errors carry Redis 7.0 texts', () => {
  const h = new Harness();
  const cases: [string[], string][] = [
    [['FUNCTION', 'LOAD', 'foo', 'bar', library('t', 't', 'return 1')], 'ERR Unknown option given: foo'],
    [['FUNCTION', 'LOAD', library('a.b', 't', 'return 1')], 'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long'],
    [['FUNCTION', 'LOAD', library('t', 't', 'return 1').replace('#!lua', '#!bad_engine')], "ERR Engine 'bad_engine' not found"],
    [['FUNCTION', 'LOAD', "#!lua\nredis.register_function('f', function() end)"], 'ERR Library name was not given'],
    [['FUNCTION', 'LOAD', "#!lua name=t foo=bar\nredis.register_function('f', function() end)"], 'ERR Invalid metadata value given: foo=bar'],
    [['FUNCTION', 'LOAD', '#!lua name=t\nreturn 1'], 'ERR No functions registered'],
    [['FUNCTION', 'LOAD', "#!lua name=t\nreturn math.random()"], "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'math'"],
    [['FUNCTION', 'LOAD', "#!lua name=t\nreturn redis.call('ping')"], "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'"],
    [['FUNCTION', 'LOAD', '#!lua name=t\na = 1'], 'ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table'],
    [['FUNCTION', 'LOAD', "#!lua name=t\nredis.register_function('f', function() end) redis.register_function('f', function() end)"], 'ERR Error registering functions: ERR Function already exists in the library'],
    [['FUNCTION', 'LOAD', "#!lua name=t\nredis.register_function('f', 'not a function')"], 'ERR Error registering functions: ERR second argument to redis.register_function must be a function'],
    [['FUNCTION', 'DELETE', 'nosuch'], 'ERR Library not found'],
    [['FUNCTION', 'KILL'], 'NOTBUSY No scripts in execution right now.'],
    [['FUNCTION', 'RESTORE', 'bad_payload'], 'ERR DUMP payload version or checksum are wrong'],
    [['FUNCTION', 'RESTORE', 'a', 'b', 'c'], "ERR unknown subcommand or wrong number of arguments for 'restore'. Try FUNCTION HELP."],
    [['FUNCTION', 'LIST', 'bad_argument'], 'ERR Unknown argument bad_argument'],
    [['FUNCTION', 'LIST', 'LIBRARYNAME'], 'ERR library name argument was not given'],
    [['FUNCTION', 'NOSUCH'], "ERR unknown subcommand 'NOSUCH'. Try FUNCTION HELP."],
    [['FCALL', 'f', 'bad'], 'ERR Bad number of keys provided'],
    [['FCALL', 'f', '-1'], "ERR Number of keys can't be negative"],
  ];
  for (const [args, message] of cases) assert.equal(err(plain(h.apply(...args))), message, args.join(' '));
  h.apply('FUNCTION', 'LOAD', "#!lua name=t\nlocal a = 1 while 1 do a = a + 1 end redis.register_function('f', function() end)");
  assert.deepEqual(plain(h.apply('FUNCTION', 'STATS')), ['running_script', null, 'engines', ['LUA', ['libraries_count', 0, 'functions_count', 0]]]);
});

test('a load that fails registers nothing; a function name another library has is refused', () => {
  const h = new Harness();
  h.apply('FUNCTION', 'LOAD', "#!lua name=lib1\nlocal function add1(a) return a + 1 end\nredis.register_function('f1', function() return add1(1) end)\nredis.register_function('f2', function() return add1(2) end)");
  assert.match(err(plain(h.apply('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=lib1\nredis.register_function('f1', function() return 9 end)\nredis.register_function('f2', 'x')"))), /second argument/);
  assert.equal(plain(h.apply('FCALL', 'f1', '0')), 2);
  assert.equal(plain(h.apply('FCALL', 'f2', '0')), 3);
  assert.equal(err(plain(h.apply('FUNCTION', 'LOAD', "#!lua name=lib2\nredis.register_function('f1', function() return 1 end)"))), 'ERR Function f1 already exists');
});

test('inside a function: redis.call works, register_function is gone; shared locals see the full API', () => {
  const h = new Harness();
  h.apply('FUNCTION', 'LOAD', "#!lua name=lib\nlocal function ping() return redis.call('ping') end\nredis.register_function('p', function() return ping() end)\nredis.register_function('r', function() redis.register_function('x', function() end) end)");
  assert.equal(plain(h.apply('FCALL', 'p', '0')), 'PONG');
  assert.equal(err(plain(h.apply('FCALL', 'r', '0'))), "ERR user_function:4: attempt to call field 'register_function' (a nil value) script: r, on @user_function:4.");
});

test('FCALL_RO runs no-writes functions as reads and refuses the others', () => {
  const h = new Harness();
  h.apply('SET', 'x', 'v');
  h.apply('FUNCTION', 'LOAD', noWrites('ro', 'getter', "return redis.call('get', KEYS[1])"));
  h.apply('FUNCTION', 'LOAD', library('rw', 'setter', "return redis.call('set', KEYS[1], 'w')"));
  h.apply('FUNCTION', 'LOAD', noWrites('sneaky', 'sneaky', "return redis.call('set', KEYS[1], 'w')"));
  assert.equal(plain(h.read('FCALL_RO', 'getter', '1', 'x')), 'v');
  assert.equal(err(plain(h.read('FCALL_RO', 'setter', '1', 'x'))), 'ERR Can not execute a script with write flag using *_ro command.');
  assert.match(err(plain(h.apply('FCALL', 'sneaky', '1', 'x'))), /^ERR Write commands are not allowed from read-only scripts\./);
  assert.deepEqual(plain(h.apply('FUNCTION', 'LIST', 'LIBRARYNAME', 'r*')), [['library_name', 'ro', 'engine', 'LUA', 'functions', [['name', 'getter', 'description', 'reads', 'flags', ['no-writes']]]],
    ['library_name', 'rw', 'engine', 'LUA', 'functions', [['name', 'setter', 'description', null, 'flags', []]]]]);
});

test('FUNCTION DUMP and RESTORE (APPEND, REPLACE, FLUSH)', () => {
  const h = new Harness();
  h.apply('FUNCTION', 'LOAD', library('test', 'test', "return 'hello'"));
  const dump = h.apply('FUNCTION', 'DUMP');
  assert.equal(dump.kind, 'bulk');
  const payload = (dump as { value: Uint8Array }).value;
  assert.match(err(plain(h.apply('FUNCTION', 'RESTORE', payload))), /already exists/);
  h.apply('FUNCTION', 'LOAD', 'REPLACE', library('test', 'test', "return 'hello1'"));
  assert.equal(plain(h.apply('FUNCTION', 'RESTORE', payload, 'REPLACE')), 'OK');
  assert.equal(plain(h.apply('FCALL', 'test', '0')), 'hello');
  h.apply('FUNCTION', 'LOAD', library('other', 'other', 'return 1'));
  assert.equal(plain(h.apply('FUNCTION', 'RESTORE', payload, 'FLUSH')), 'OK');
  assert.equal(err(plain(h.apply('FCALL', 'other', '0'))), 'ERR Function not found');
});

test('libraries travel in snapshots: a restored replica calls them, loading the code into its own VM', () => {
  const live = new Harness();
  live.apply('FUNCTION', 'LOAD', library('counter', 'bump', "return redis.call('incr', KEYS[1])"));
  live.apply('SET', 'n', '1');
  const replica = new Harness();
  assert.equal(restore(replica.kv, takeSnapshot(live.kv, 256)), null);
  replica.index = live.index;
  assert.equal(plain(replica.apply('FCALL', 'bump', '1', 'n')), 2);
  assert.equal(plain(live.apply('FCALL', 'bump', '1', 'n')), 2);
  assert.deepEqual(replica.kv.digest(), live.kv.digest());
  assert.deepEqual(plain(replica.apply('FUNCTION', 'LIST')), plain(live.apply('FUNCTION', 'LIST')));
});

test('library metadata as Redis 7.0 reads it, and the keys of EVAL and FCALL (COMMAND GETKEYS)', () => {
  const h = new Harness();
  const fn = "\nredis.register_function('foo', function() return 1 end)";
  assert.equal(err(plain(h.apply('FUNCTION', 'LOAD', `#! name=test${fn}`))), "ERR Engine '' not found");
  assert.equal(err(plain(h.apply('FUNCTION', 'LOAD', `#!lua name=foo name=bar${fn}`))), 'ERR Invalid metadata value, name argument was given multiple times');
  assert.equal(plain(h.apply('FUNCTION', 'LOAD', `#!lua name="foo"${fn}`)), 'foo');
  assert.match(err(plain(h.apply('FUNCTION', 'LOAD', '#!lua name=t\nmt = getmetatable(_G)'))), /nonexistent global variable 'getmetatable'/);
  assert.equal(err(plain(h.apply('FUNCTION', 'FLUSH', 'sync', 'extra'))), "ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.");
  const keysOf = (...args: string[]): string[] => commandKeys(args[0]?.toLowerCase() ?? '', argvOf(args)).map(({ index }) => args[index] ?? '');
  assert.deepEqual(keysOf('FCALL', 'f', '2', 'a', 'b', 'c'), ['a', 'b']);
  assert.deepEqual(keysOf('EVAL_RO', 'return 1', '1', 'k', 'arg'), ['k']);
  assert.deepEqual(keysOf('EVAL', 'return 1', 'x'), []);
});

test('a function does not see the KEYS and ARGV globals of a script run before it (its VM may have run none)', () => {
  const peek = "#!lua name=peek\nredis.register_function('peek', function(keys, args) local seen = pcall(function() return KEYS[1] or ARGV[1] end) return seen and 1 or 0 end)";
  const fresh = new Harness();
  const used = new Harness();
  for (const h of [fresh, used]) assert.equal(plain(h.apply('FUNCTION', 'LOAD', peek)), 'peek');
  assert.equal(plain(used.apply('EVAL', 'return KEYS[1]', '1', 'k', 'v')), 'k');
  assert.equal(plain(fresh.apply('FCALL', 'peek', '0')), 0);
  assert.equal(plain(used.apply('FCALL', 'peek', '0')), 0);
  // A script run after a function still gets its own.
  assert.equal(plain(used.apply('EVAL', 'return ARGV[1]', '1', 'k', 'v')), 'v');
});
