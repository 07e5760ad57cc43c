// MEMORY USAGE: each key's share of the memory estimate, which sums to the keyspace's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, plain } from './harness.js';

test('MEMORY USAGE of every key sums to the keyspace estimate; a missing key is nil', () => {
  const h = new Harness();
  h.apply('SET', 'small', 'x');
  h.apply('SET', 'big', 'y'.repeat(1000), 'EX', '100');
  h.apply('HSET', 'hash', 'f1', 'v1', 'f2', 'v2');
  const usages = ['small', 'big', 'hash'].map((key) => plain(h.read('MEMORY', 'USAGE', key)) as number);
  assert.equal(usages.reduce((sum, bytes) => sum + bytes, 0), h.kv.stats().memoryBytes);
  assert.ok((usages[1] as number) > 1000, 'the value bytes count');
  assert.equal(plain(h.read('MEMORY', 'USAGE', 'missing')), null);
  assert.equal(plain(h.read('MEMORY', 'USAGE', 'hash', 'SAMPLES', '0')), usages[2]);
});

test('MEMORY errors as Redis words them', () => {
  const h = new Harness();
  assert.deepEqual(plain(h.read('MEMORY', 'USAGE')), { err: "ERR wrong number of arguments for 'memory|usage' command" });
  assert.deepEqual(plain(h.read('MEMORY', 'USAGE', 'k', 'SAMPLES')), { err: 'ERR syntax error' });
  assert.deepEqual(plain(h.read('MEMORY', 'USAGE', 'k', 'SAMPLES', 'x')), { err: 'ERR value is not an integer or out of range' });
  assert.deepEqual(plain(h.read('MEMORY', 'NOPE')), { err: "ERR unknown subcommand 'NOPE'. Try MEMORY HELP." });
  assert.deepEqual(plain(h.read('MEMORY', 'USAGE', 'k', 'SAMPLES', '-1')), { err: 'ERR syntax error' });
  assert.ok(Array.isArray(plain(h.read('MEMORY', 'HELP'))));
});
