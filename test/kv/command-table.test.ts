// The command table: lookup, arity errors, flags and key positions like Redis's COMMAND.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import { hasFlag } from '../../src/kv/command-spec.js';

const kv = new KvStateMachine();

test('lookup is case-insensitive and accepts bytes', () => {
  assert.equal(kv.lookup('GeT')?.name, 'get');
  assert.equal(kv.lookup(Buffer.from('INCRBYFLOAT'))?.name, 'incrbyfloat');
  assert.equal(kv.lookup('nosuch'), undefined);
});

test('the table holds every required command exactly once', () => {
  const names = kv.commands().map((spec) => spec.name);
  const required = ['get', 'set', 'setnx', 'setex', 'psetex', 'getset', 'getdel', 'getex', 'mget', 'mset', 'msetnx', 'append', 'strlen',
    'getrange', 'setrange', 'incr', 'decr', 'incrby', 'decrby', 'incrbyfloat', 'del', 'unlink', 'exists', 'type', 'rename', 'renamenx',
    'keys', 'scan', 'randomkey', 'dbsize', 'flushdb', 'flushall', 'expire', 'pexpire', 'expireat', 'pexpireat', 'ttl', 'pttl', 'persist',
    'expiretime', 'pexpiretime', 'raftis.expire'];
  for (const name of required) assert.ok(names.includes(name), name);
  assert.equal(new Set(names).size, names.length);
  for (const spec of kv.commands()) {
    assert.notEqual(hasFlag(spec, 'write'), hasFlag(spec, 'readonly'), `${spec.name} is exactly one of write/readonly`);
  }
});

test('arity follows Redis: exact when positive, at least when negative', () => {
  const get = kv.lookup('get')!;
  const del = kv.lookup('del')!;
  const args = (...values: string[]): Buffer[] => values.map((value) => Buffer.from(value));
  assert.equal(kv.checkArity(get, args('get', 'k')), null);
  assert.deepEqual(kv.checkArity(get, args('GET', 'k', 'x')), { kind: 'error', message: "ERR wrong number of arguments for 'get' command" });
  assert.deepEqual(kv.checkArity(del, args('DEL')), { kind: 'error', message: "ERR wrong number of arguments for 'del' command" });
  assert.equal(kv.checkArity(del, args('DEL', 'a', 'b', 'c')), null);
});

test('key positions match Redis', () => {
  const positions = (name: string): number[] => {
    const spec = kv.lookup(name)!;
    return [spec.arity, spec.firstKey, spec.lastKey, spec.step];
  };
  assert.deepEqual(positions('get'), [2, 1, 1, 1]);
  assert.deepEqual(positions('set'), [-3, 1, 1, 1]);
  assert.deepEqual(positions('mset'), [-3, 1, -1, 2]);
  assert.deepEqual(positions('mget'), [-2, 1, -1, 1]);
  assert.deepEqual(positions('rename'), [3, 1, 2, 1]);
  assert.deepEqual(positions('keys'), [2, 0, 0, 0]);
  assert.deepEqual(positions('expire'), [-3, 1, 1, 1]);
});

test('unknown commands in the log get Redis\'s error text', () => {
  const machine = new KvStateMachine();
  assert.deepEqual(machine.read([Buffer.from('FOO'), Buffer.from('a'), Buffer.from('b')], 0), {
    kind: 'error', message: "ERR unknown command 'FOO', with args beginning with: 'a' 'b' ",
  });
});
