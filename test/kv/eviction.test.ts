// maxmemory: the refusal text under noeviction and deterministic eviction under the other
// policies (every replica evicts the same keys). LRU means least recently WRITTEN: reads do
// not go through the log.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keyOverheadBytes, expiryOverheadBytes } from '../../src/kv/keyspace.js';
import { evictionPolicies, KvStateMachine } from '../../src/kv/state-machine.js';
import { Harness, plain } from './harness.js';
import { workloadArbitrary } from './workload.js';

/** Memory of one key with a 2-byte name and a 10-byte value. */
const keyBytes = keyOverheadBytes + 2 + 10;

test('memory is a deterministic estimate: key + value + fixed overhead', () => {
  const h = new Harness();
  h.apply('SET', 'k1', '0123456789');
  assert.equal(h.kv.memoryUsage(), keyBytes);
  h.apply('PEXPIRE', 'k1', '1000');
  assert.equal(h.kv.memoryUsage(), keyBytes + expiryOverheadBytes);
  h.apply('APPEND', 'k1', 'abc');
  assert.equal(h.kv.memoryUsage(), keyBytes + expiryOverheadBytes + 3);
  h.apply('DEL', 'k1');
  assert.equal(h.kv.memoryUsage(), 0);
});

test('noeviction refuses growing writes with the Redis text, allows the rest', () => {
  const h = new Harness({ maxMemoryBytes: keyBytes * 2, evictionPolicy: 'noeviction' });
  h.apply('SET', 'k1', '0123456789');
  h.apply('SET', 'k2', '0123456789');
  h.apply('SET', 'k3', '0123456789'); // at the limit check it was not over yet
  const oom = { err: "OOM command not allowed when used memory > 'maxmemory'." };
  assert.deepEqual(plain(h.apply('SET', 'k4', 'x')), oom);
  assert.deepEqual(plain(h.apply('INCR', 'n')), oom);
  assert.equal(plain(h.read('GET', 'k1')), '0123456789');
  assert.equal(plain(h.apply('DEL', 'k3')), 1);
  assert.equal(plain(h.apply('SET', 'k4', 'x')), 'OK');
  assert.equal(plain(h.apply('EXPIRE', 'k1', '100')), 1, 'not a growing command: allowed while over');
  assert.equal(h.kv.stats().evictedKeys, 0);
});

test('allkeys-lru evicts the least recently written key', () => {
  const h = new Harness({ maxMemoryBytes: keyBytes * 3, evictionPolicy: 'allkeys-lru' });
  for (const key of ['k1', 'k2', 'k3']) h.apply('SET', key, '0123456789');
  h.apply('SET', 'k1', '9876543210'); // k1 is now the most recently written
  h.read('GET', 'k2'); // reads do not count
  h.apply('SET', 'k4', '0123456789'); // not over before it: nothing evicted yet
  h.apply('SET', 'k5', '0123456789'); // over: evicts until within the limit
  assert.equal(plain(h.read('EXISTS', 'k2')), 0, 'k2 went first');
  assert.equal(plain(h.read('EXISTS', 'k3')), 1);
  h.apply('SET', 'k6', '0123456789');
  assert.equal(plain(h.read('EXISTS', 'k3')), 0, 'then k3');
  assert.equal(plain(h.read('EXISTS', 'k1')), 1);
  assert.equal(h.kv.stats().evictedKeys, 2);
});

test('volatile-lru evicts only keys with an expiry, and refuses when there are none', () => {
  const h = new Harness({ maxMemoryBytes: keyBytes * 2, evictionPolicy: 'volatile-lru' });
  h.apply('SET', 'k1', '0123456789');
  h.apply('SET', 'k2', '0123456789', 'PX', '100000');
  h.apply('SET', 'k3', '0123456789');
  h.apply('SET', 'k4', '0123456789');
  assert.equal(plain(h.read('EXISTS', 'k2')), 0);
  assert.equal(plain(h.read('EXISTS', 'k1')), 1);
  assert.deepEqual(plain(h.apply('SET', 'k5', 'x')), { err: "OOM command not allowed when used memory > 'maxmemory'." });
});

test('volatile-ttl evicts the nearest expiry first', () => {
  const h = new Harness({ maxMemoryBytes: keyBytes * 3 + expiryOverheadBytes * 3, evictionPolicy: 'volatile-ttl' });
  h.apply('SET', 'k1', '0123456789', 'PX', '50000');
  h.apply('SET', 'k2', '0123456789', 'PX', '10000');
  h.apply('SET', 'k3', '0123456789', 'PX', '90000');
  h.apply('SET', 'k4', '0123456789');
  h.apply('SET', 'k5', '0123456789');
  assert.equal(plain(h.read('EXISTS', 'k2')), 0);
  assert.equal(plain(h.read('EXISTS', 'k1')), 1);
  h.apply('SET', 'k6', '0123456789');
  assert.equal(plain(h.read('EXISTS', 'k1')), 0);
  assert.equal(plain(h.read('EXISTS', 'k3')), 1);
});

test('every policy evicts the same keys on every replica, also after a snapshot restore (property)', () => {
  fc.assert(fc.property(fc.constantFrom(...evictionPolicies), fc.integer({ min: 100, max: 600 }), workloadArbitrary, workloadArbitrary, (policy, limit, first, second) => {
    const options = { maxMemoryBytes: limit, evictionPolicy: policy };
    const a = new Harness(options);
    const b = new Harness(options);
    const run = (h: Harness, workload: typeof first): unknown[] => workload.map(({ advanceMs, args }) => {
      h.advance(advanceMs);
      return plain(h.apply(...args));
    });
    assert.deepEqual(run(a, first), run(b, first));
    assert.deepEqual(a.kv.digest(), b.kv.digest());
    // A third replica joins from a snapshot of a and must evict exactly like the others.
    const c = new Harness(options);
    const source = a.kv.beginSnapshot();
    const sink = c.kv.beginRestore();
    for (let chunk = source.next(256); chunk !== null; chunk = source.next(256)) sink.write(chunk);
    assert.equal(sink.finish(), null);
    c.index = a.index;
    c.time = a.time;
    const replies = run(a, second);
    assert.deepEqual(run(b, second), replies);
    assert.deepEqual(run(c, second), replies);
    assert.deepEqual(c.kv.digest(), a.kv.digest());
    assert.equal(c.kv.stats().evictedKeys, a.kv.stats().evictedKeys);
  }), { numRuns: 80 });
});

test('options are validated', () => {
  assert.throws(() => new KvStateMachine({ maxMemoryBytes: -1 }), /maxMemoryBytes/);
  assert.throws(() => new KvStateMachine({ dedupEntriesMax: 0 }), /dedupEntriesMax/);
  assert.throws(() => new KvStateMachine({ evictionPolicy: 'bogus' as never }), /evictionPolicy/);
});

test('the estimate counts cached scripts and function libraries: replicated state, the same on every replica', () => {
  const h = new Harness();
  const script = 'return 1';
  h.apply('EVAL', script, '0');
  assert.equal(h.kv.memoryUsage(), script.length);
  const library = "#!lua name=lib\nredis.register_function('f', function() return 1 end)";
  h.apply('FUNCTION', 'LOAD', library);
  assert.equal(h.kv.memoryUsage(), script.length + library.length);
  h.apply('FUNCTION', 'DELETE', 'lib');
  h.apply('SCRIPT', 'FLUSH');
  assert.equal(h.kv.memoryUsage(), 0);
});

test('scripts over maxmemory follow Redis: declared writers refused at their start, allow-oom runs, an undeclared run refused growing calls until it changed something', () => {
  const oom = "OOM command not allowed when used memory > 'maxmemory'.";
  const h = new Harness({ maxMemoryBytes: keyBytes, evictionPolicy: 'noeviction' });
  h.apply('SET', 'k1', '0123456789');
  h.apply('SET', 'k2', '0123456789');
  assert.deepEqual(plain(h.apply('EVAL', '#!lua\nreturn 1', '0')), { err: oom }, 'flags declared, neither no-writes nor allow-oom');
  assert.equal(plain(h.apply('EVAL', '#!lua flags=no-writes\nreturn 1', '0')), 1, 'no-writes implies allow-oom');
  assert.equal(plain(h.apply('EVAL', "#!lua flags=allow-oom\nreturn redis.call('set', KEYS[1], 'v')", '1', 'k3')), 'OK', 'allow-oom: its growing calls run');
  // Without flags the run starts; its first growing call is refused, pcall sees the error.
  assert.match(String((plain(h.apply('EVAL', "return redis.call('set', KEYS[1], 'v')", '1', 'k4')) as { err: string }).err), /^OOM command not allowed when used memory > 'maxmemory'\. script: /);
  assert.deepEqual(plain(h.apply('EVAL', "return redis.pcall('set', KEYS[1], 'v')", '1', 'k4')), { err: oom });
  assert.equal(plain(h.apply('EVAL', "return redis.call('get', KEYS[1])", '1', 'k1')), '0123456789', 'reads run');
  // Once the run has changed the keyspace it cannot stop halfway: its later calls run.
  assert.equal(plain(h.apply('EVAL', "redis.call('del', KEYS[1]) return redis.call('set', KEYS[2], 'v')", '2', 'k1', 'k5')), 'OK');
  // A DEL that changed nothing is no change.
  assert.deepEqual(plain(h.apply('EVAL', "redis.call('del', 'none') return redis.pcall('set', KEYS[1], 'v')", '1', 'k6')), { err: oom });
  // Functions: registered flags decide the same way.
  h.apply('RAFTIS.CONFIG', 'maxmemory', '0');
  h.apply('FUNCTION', 'LOAD', "#!lua name=mem\nredis.register_function('writer', function(keys) return redis.call('set', keys[1], 'v') end)\nredis.register_function{function_name='oomok', callback=function(keys) return redis.call('set', keys[1], 'v') end, flags={'allow-oom'}}");
  h.apply('RAFTIS.CONFIG', 'maxmemory', String(keyBytes));
  assert.deepEqual(plain(h.apply('FCALL', 'writer', '1', 'k7')), { err: oom });
  assert.equal(plain(h.apply('FCALL', 'oomok', '1', 'k7')), 'OK');
});
