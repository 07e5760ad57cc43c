// Expiry by cluster time: writes judge it at their entry's time, reads at the read point's
// time and never mutate, RAFTIS.EXPIRE deletes only what is expired at its entry's time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, plain } from './harness.js';

test('a read judges expiry at the given cluster time without deleting', () => {
  const h = new Harness();
  h.apply('SET', 'k', 'v', 'PX', '100');
  const t0 = h.time;
  assert.equal(plain(h.kv.read([Buffer.from('GET'), Buffer.from('k')], t0 + 99)), 'v');
  assert.equal(plain(h.kv.read([Buffer.from('GET'), Buffer.from('k')], t0 + 100)), null);
  assert.equal(plain(h.kv.read([Buffer.from('EXISTS'), Buffer.from('k')], t0 + 100)), 0);
  assert.equal(plain(h.kv.read([Buffer.from('PTTL'), Buffer.from('k')], t0 + 40)), 60);
  assert.equal(plain(h.kv.read([Buffer.from('TTL'), Buffer.from('k')], t0 + 100)), -2);
  // The read did not delete: the key is still stored (DBSIZE counts it, as Redis does).
  assert.equal(h.kv.stats().keys, 1);
  assert.equal(plain(h.kv.read([Buffer.from('DBSIZE')], t0 + 1000)), 1);
});

test('a read point older than the last applied entry is judged at the applied time', () => {
  const h = new Harness();
  h.apply('SET', 'k', 'v', 'PX', '100');
  h.advance(500);
  h.apply('SET', 'other', 'x');
  assert.equal(h.kv.clusterTime, h.time);
  assert.equal(plain(h.kv.read([Buffer.from('GET'), Buffer.from('k')], h.time - 1000)), null);
});

test('a write sees a key expired at its entry time as absent', () => {
  const h = new Harness();
  h.apply('SET', 'k', 'old', 'PX', '100');
  h.advance(99);
  assert.equal(plain(h.apply('SET', 'k', 'new', 'NX')), null, 'still present at +99');
  h.advance(1);
  assert.equal(plain(h.apply('SET', 'k', 'new', 'NX')), 'OK', 'expired at +100');
  assert.equal(plain(h.read('GET', 'k')), 'new');
  assert.equal(plain(h.read('TTL', 'k')), -1);
  assert.equal(h.kv.stats().expiredKeys, 1);
});

test('INCR on an expired key starts from zero', () => {
  const h = new Harness();
  h.apply('SET', 'n', '41', 'EX', '1');
  h.advance(1000);
  assert.equal(plain(h.apply('INCR', 'n')), 1);
});

test('EXPIRE with a time in the past deletes the key and counts it as expired', () => {
  const h = new Harness();
  h.apply('SET', 'k', 'v');
  assert.equal(plain(h.apply('EXPIRE', 'k', '-1')), 1);
  assert.equal(plain(h.read('EXISTS', 'k')), 0);
  assert.equal(h.kv.stats().keys, 0);
  assert.equal(h.kv.stats().expiredKeys, 1);
});

test('TTL rounds like Redis and EXPIRETIME reports the absolute time', () => {
  const h = new Harness();
  h.apply('SET', 'k', 'v', 'PX', '1499');
  assert.equal(plain(h.read('TTL', 'k')), 1);
  h.apply('SET', 'k', 'v', 'PX', '1500');
  assert.equal(plain(h.read('TTL', 'k')), 2);
  assert.equal(plain(h.read('PEXPIRETIME', 'k')), h.time + 1500);
  assert.equal(plain(h.read('EXPIRETIME', 'k')), Math.floor((h.time + 1500 + 500) / 1000));
});

test('RAFTIS.EXPIRE deletes only keys expired at its entry time', () => {
  const h = new Harness();
  h.apply('SET', 'a', '1', 'PX', '100');
  h.apply('SET', 'b', '2', 'PX', '100');
  h.apply('SET', 'c', '3', 'PX', '1000');
  h.apply('SET', 'd', '4');
  h.advance(100);
  const due = h.kv.expiredKeys(h.time, 10).map((key) => Buffer.from(key).toString()).sort();
  assert.deepEqual(due, ['a', 'b']);
  // Between the leader's scan and the commit of its RAFTIS.EXPIRE, 'b' is set again.
  h.apply('SET', 'b', 'fresh');
  assert.equal(plain(h.apply('RAFTIS.EXPIRE', 'a', 'b', 'c', 'd', 'missing')), 1);
  assert.equal(plain(h.read('GET', 'b')), 'fresh');
  assert.equal(plain(h.read('GET', 'c')), '3');
  assert.equal(h.kv.stats().keys, 3);
  assert.deepEqual(h.kv.expiredKeys(h.time, 10), []);
});

test('expiredKeys is bounded by max and skips keys whose expiry moved', () => {
  const h = new Harness();
  for (let i = 0; i < 50; i++) h.apply('SET', `k${i}`, 'v', 'PX', String(10 + i));
  h.apply('PEXPIRE', 'k0', '100000');
  h.apply('PERSIST', 'k1');
  h.advance(1000);
  assert.equal(h.kv.expiredKeys(h.time, 7).length, 7);
  const all = h.kv.expiredKeys(h.time, 1000).map((key) => Buffer.from(key).toString());
  assert.equal(all.length, 48);
  assert.ok(!all.includes('k0') && !all.includes('k1'));
  assert.equal(new Set(all).size, all.length);
});

test('reads never mutate: digest and stats are unchanged by any read', () => {
  const h = new Harness();
  h.apply('SET', 'a', '1', 'PX', '10');
  h.apply('SET', 'b', '2');
  const before = h.kv.digest();
  const statsBefore = h.kv.stats();
  for (const args of [['GET', 'a'], ['MGET', 'a', 'b'], ['KEYS', '*'], ['SCAN', '0'], ['TTL', 'a'], ['EXISTS', 'a'], ['RANDOMKEY'], ['STRLEN', 'a']]) {
    h.kv.read(args.map((x) => Buffer.from(x)), h.time + 1000);
  }
  assert.deepEqual(h.kv.digest(), before);
  assert.deepEqual(h.kv.stats(), statsBefore);
});

test('read refuses write commands', () => {
  const h = new Harness();
  assert.deepEqual(plain(h.read('SET', 'a', '1')), { err: "ERR 'set' is not a read-only command" });
  assert.equal(h.kv.stats().keys, 0);
});

test('expiredKeys gets past expiry records of keys deleted by other commands', () => {
  const h = new Harness();
  for (let i = 0; i < 3000; i++) h.apply('SET', `gone${i}`, 'v', 'PX', '10');
  h.apply('SET', 'live', 'v', 'PX', '20');
  for (let i = 0; i < 3000; i += 500) h.apply('DEL', ...Array.from({ length: 500 }, (_, j) => `gone${i + j}`));
  h.advance(100);
  let calls = 0;
  let found: string[] = [];
  while (found.length === 0 && calls < 100) {
    found = h.kv.expiredKeys(h.time, 1).map((key) => Buffer.from(key).toString());
    calls++;
  }
  assert.deepEqual(found, ['live']);
  assert.ok(calls > 1, 'each call does bounded work');
  assert.deepEqual(h.kv.expiredKeys(h.time, 5).map((key) => Buffer.from(key).toString()), ['live'], 'stale records were dropped for good');
});

test('EXPIRE echoes an unsupported option up to its first NUL byte, as Redis prints it', () => {
  const h = new Harness();
  h.apply('SET', 'k', 'v');
  assert.deepEqual(plain(h.apply('PEXPIRE', 'k', '100', 'k\x00x')), { err: 'ERR Unsupported option k' });
});

test('the EXPIRE family computes in doubles up to 10^12 and in BigInt beyond, with the same results and errors', () => {
  const h = new Harness();
  const invalid = (command: string): unknown => ({ err: `ERR invalid expire time in '${command}' command` });
  h.apply('SET', 'k', 'v');
  assert.equal(plain(h.apply('EXPIREAT', 'k', '1000000000000')), 1);
  assert.equal(plain(h.apply('PEXPIRETIME', 'k')), 1_000_000_000_000_000);
  assert.equal(plain(h.apply('EXPIREAT', 'k', '1000000000001')), 1);
  assert.equal(plain(h.apply('PEXPIRETIME', 'k')), 1_000_000_000_001_000);
  assert.equal(plain(h.apply('EXPIRE', 'k', '100')), 1);
  assert.equal(plain(h.apply('PEXPIRETIME', 'k')), h.time + 100_000);
  assert.equal(plain(h.apply('PEXPIRE', 'k', '999999999999999')), 1, 'fifteen digits: the long way');
  assert.equal(plain(h.apply('PEXPIRETIME', 'k')), h.time + 999_999_999_999_999);
  assert.deepEqual(plain(h.apply('EXPIRE', 'k', '9223372036854775807')), invalid('expire'));
  assert.deepEqual(plain(h.apply('PEXPIRE', 'k', '9223372036854775807')), invalid('pexpire'));
  for (const bad of ['01', '-0', '1.5', '', ' 1']) assert.deepEqual(plain(h.apply('EXPIRE', 'k', bad)), { err: 'ERR value is not an integer or out of range' });
  assert.equal(plain(h.apply('EXPIRE', 'k', '-1000000000000')), 1, 'a time in the past deletes');
  assert.equal(plain(h.apply('EXISTS', 'k')), 0);
});
