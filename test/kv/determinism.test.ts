// Determinism: replicas fed the same entries give the same replies and digests, whatever
// the commands, their times and the request ids.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, plain } from './harness.js';
import { workloadArbitrary } from './workload.js';

test('two state machines fed the same entries agree on every reply and digest (property)', () => {
  fc.assert(fc.property(workloadArbitrary, (workload) => {
    const a = new Harness();
    const b = new Harness();
    for (const { advanceMs, args } of workload) {
      a.advance(advanceMs);
      b.advance(advanceMs);
      assert.deepEqual(plain(a.apply(...args)), plain(b.apply(...args)), args.join(' '));
      assert.deepEqual(plain(a.read('RANDOMKEY')), plain(b.read('RANDOMKEY')));
    }
    assert.deepEqual(a.kv.digest(), b.kv.digest());
    assert.deepEqual(a.kv.stats(), b.kv.stats());
    assert.deepEqual(plain(a.read('SCAN', '0', 'COUNT', '3')), plain(b.read('SCAN', '0', 'COUNT', '3')));
  }), { numRuns: 150 });
});

test('the digest ignores history: equal states built differently have equal hashes', () => {
  const a = new Harness();
  a.apply('SET', 'x', '1');
  a.apply('SET', 'y', '2', 'PX', '1000');
  const b = new Harness();
  b.apply('SET', 'y', 'other');
  b.apply('SET', 'y', '2', 'PX', '1000');
  b.apply('SET', 'z', 'gone');
  b.apply('DEL', 'z');
  b.apply('INCR', 'x');
  assert.equal(a.kv.digest().hash, b.kv.digest().hash);
  b.apply('PEXPIRE', 'y', '999');
  assert.notEqual(a.kv.digest().hash, b.kv.digest().hash, 'expiry is part of the digest');
});

test('digests differ when one value differs', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 30 }), fc.uint8Array({ maxLength: 30 }), (left, right) => {
    fc.pre(!Buffer.from(left).equals(Buffer.from(right)));
    const a = new Harness();
    const b = new Harness();
    a.apply('SET', 'k', left);
    b.apply('SET', 'k', right);
    assert.notEqual(a.kv.digest().hash, b.kv.digest().hash);
  }));
});

test('whenever validate rejects a command, apply gives the same error in any state (property)', () => {
  const option = fc.constantFrom('EX', 'PX', 'EXAT', 'PXAT', 'NX', 'XX', 'GT', 'LT', 'GET', 'KEEPTTL', 'PERSIST', 'IFEQ', 'COUNT', 'MATCH', '0', '-1', 'x', '10');
  const command = fc.tuple(
    fc.constantFrom('SET', 'GETEX', 'SETEX', 'PSETEX', 'EXPIRE', 'PEXPIREAT', 'INCRBY', 'DECRBY', 'GETRANGE', 'SETRANGE', 'MSET', 'MSETNX', 'SCAN', 'FLUSHDB', 'GET'),
    fc.array(fc.oneof(option, fc.constantFrom('a', 'b')), { maxLength: 5 }),
  ).map(([name, args]) => [name, ...args]);
  fc.assert(fc.property(workloadArbitrary, fc.array(command, { maxLength: 30 }), (setup, commands) => {
    const h = new Harness();
    for (const { advanceMs, args } of setup) {
      h.advance(advanceMs);
      h.apply(...args);
    }
    for (const args of commands) {
      const rejected = h.kv.validate(args.map((arg) => Buffer.from(arg)));
      const reply = plain(h.apply(...args));
      if (rejected !== null) assert.deepEqual(reply, plain(rejected), args.join(' '));
    }
  }), { numRuns: 100 });
});
