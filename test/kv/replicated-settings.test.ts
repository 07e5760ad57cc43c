// The replicated settings in the state machine: a RAFTIS.CONFIG entry applies all of its
// pairs or none, drives what later entries do (the string limit, eviction), and a snapshot
// carries the values into a state machine started with other start-up values.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Harness, plain } from './harness.js';
import { restore, takeSnapshot } from './snapshot-support.js';

test('RAFTIS.CONFIG applies every pair or none, and later entries follow it', () => {
  const h = new Harness();
  assert.deepEqual(plain(h.apply('RAFTIS.CONFIG', 'proto-max-bulk-len', '2mb', 'maxmemory', 'x')),
    { err: "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value" });
  assert.equal(h.kv.replicatedSettings.get('proto-max-bulk-len'), String(512 * 1024 * 1024), 'nothing changed');
  assert.deepEqual(plain(h.apply('RAFTIS.CONFIG', 'nosuch', '1')), { err: "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'" });
  assert.deepEqual(plain(h.apply('RAFTIS.CONFIG', 'proto-max-bulk-len')), { err: "ERR wrong number of arguments for 'config|set' command" });
  assert.equal(plain(h.apply('APPEND', 'k', 'x')), 1, 'a write before the change, whose limit the writes after it must not keep');
  assert.equal(plain(h.apply('RAFTIS.CONFIG', 'proto-max-bulk-len', '1mb')), 'OK');
  assert.equal(plain(h.apply('SET', 'k', 'x'.repeat(1024 * 1024 - 1))), 'OK');
  assert.deepEqual(plain(h.apply('APPEND', 'k', 'yy')), { err: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)' });
});

test('eviction follows maxmemory and maxmemory-policy set through the log', () => {
  const h = new Harness();
  for (let i = 0; i < 50; i++) h.apply('SET', `k${i}`, 'v'.repeat(1000));
  assert.equal(plain(h.apply('RAFTIS.CONFIG', 'maxmemory', '20kb', 'maxmemory-policy', 'allkeys-lru')), 'OK');
  h.apply('SET', 'late', 'v');
  assert.ok(h.kv.stats().evictedKeys > 0, 'the next write evicted');
  assert.ok(h.kv.stats().memoryBytes <= 20 * 1024);
  assert.equal(plain(h.read('GET', 'late')), 'v');
});

test('a snapshot carries the settings the log set, over the receiver\'s start-up values', () => {
  const source = new Harness({ maxMemoryBytes: 0 });
  assert.equal(plain(source.apply('RAFTIS.CONFIG', 'maxmemory', '5mb', 'maxmemory-policy', 'volatile-ttl')), 'OK');
  source.apply('SET', 'a', '1');
  const target = new Harness({ maxMemoryBytes: 1024 * 1024, evictionPolicy: 'allkeys-random' });
  assert.equal(restore(target.kv, takeSnapshot(source.kv, 4096)), null);
  assert.equal(target.kv.replicatedSettings.get('maxmemory'), String(5 * 1024 * 1024));
  assert.equal(target.kv.replicatedSettings.get('maxmemory-policy'), 'volatile-ttl');
  assert.equal(target.kv.digest().hash, source.kv.digest().hash);
  // A snapshot without settings gives back the receiver's own start-up values.
  const plainSource = new Harness();
  assert.equal(restore(target.kv, takeSnapshot(plainSource.kv, 4096)), null);
  assert.equal(target.kv.replicatedSettings.get('maxmemory'), String(1024 * 1024));
  assert.equal(target.kv.replicatedSettings.get('maxmemory-policy'), 'allkeys-random');
});
