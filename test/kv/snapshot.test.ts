// Snapshots: point-in-time streams taken while writes continue, restore that replaces the
// whole state, and bad streams that leave the old state untouched.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeCommand } from '../../src/kv/command-codec.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import { snapshotStepBytesMax } from '../../src/kv/snapshot.js';
import { argvOf, baseTimeMs, Harness, plain } from './harness.js';
import { commandArbitrary, workloadArbitrary, type TimedCommand } from './workload.js';
import { restore, restoreAcrossChange, takeSnapshot } from './snapshot-support.js';

/** Applies a timed workload to a harness, returning the replies. */
function run(h: Harness, workload: readonly TimedCommand[]): unknown[] {
  return workload.map(({ advanceMs, args }) => {
    h.advance(advanceMs);
    return plain(h.apply(...args));
  });
}

test('restore replaces the whole previous state', () => {
  const source = new Harness();
  source.apply('SET', 'a', '1');
  source.apply('SET', 'b', '2', 'PX', '5000');
  const target = new Harness();
  target.apply('SET', 'old', 'x');
  target.apply('SET', 'a', 'stale');
  for (let i = 0; i < 10; i++) target.apply('INCR', 'n');
  assert.equal(restore(target.kv, takeSnapshot(source.kv, 4096)), null);
  assert.deepEqual(target.kv.digest(), source.kv.digest());
  assert.equal(target.kv.appliedIndex, 2);
  assert.equal(target.kv.clusterTime, source.kv.clusterTime);
  assert.equal(plain(target.kv.read(argvOf(['GET', 'old']), baseTimeMs)), null);
  assert.equal(plain(target.kv.read(argvOf(['GET', 'a']), baseTimeMs)), '1');
  assert.equal(plain(target.kv.read(argvOf(['PTTL', 'b']), baseTimeMs)), 5000);
  assert.equal(target.kv.stats().keys, 2);
});

const keyspaceArbitrary = fc.array(
  fc.record({ key: fc.uint8Array({ minLength: 0, maxLength: 40 }), value: fc.uint8Array({ maxLength: 300 }), expiresInMs: fc.option(fc.integer({ min: 1, max: 1e9 })) }),
  { maxLength: 300 },
);

test('round trip of a random keyspace in random chunk sizes (property)', () => {
  fc.assert(fc.property(keyspaceArbitrary, fc.integer({ min: 64, max: 5000 }), (pairs, chunkBytes) => {
    const source = new Harness();
    for (const { key, value, expiresInMs } of pairs) {
      if (expiresInMs === null) source.apply('SET', key, value);
      else source.apply('SET', key, value, 'PX', String(expiresInMs));
    }
    const chunks = takeSnapshot(source.kv, chunkBytes);
    for (const chunk of chunks.slice(0, -1)) assert.ok(chunk.length <= chunkBytes || chunks.length === 1 || chunk.length > 0);
    const target = new KvStateMachine();
    assert.equal(restore(target, chunks), null);
    assert.deepEqual(target.digest(), source.kv.digest());
    assert.equal(target.memoryUsage(), source.kv.memoryUsage());
    for (const { key } of pairs) {
      assert.deepEqual(plain(target.read([Buffer.from('GET'), key], baseTimeMs)), plain(source.kv.read([Buffer.from('GET'), key], baseTimeMs)));
      assert.deepEqual(plain(target.read([Buffer.from('PTTL'), key], baseTimeMs)), plain(source.kv.read([Buffer.from('PTTL'), key], baseTimeMs)));
    }
  }), { numRuns: 60 });
});

test('chunks respect maxBytes unless one record is larger', () => {
  const h = new Harness();
  for (let i = 0; i < 200; i++) h.apply('SET', `key:${i}`, 'x'.repeat(i % 50));
  h.apply('SET', 'huge', 'y'.repeat(10_000));
  const chunks = takeSnapshot(h.kv, 512);
  const oversized = chunks.filter((chunk) => chunk.length > 512);
  assert.equal(oversized.length, 1);
  assert.ok((oversized[0] as Buffer).length > 10_000);
});

/** Keys beyond the workload's small set, so a snapshot has many keys left to emit while writes land. */
const wideCommandArbitrary = fc.oneof(
  commandArbitrary,
  fc.tuple(fc.constantFrom('SET', 'APPEND'), fc.integer({ min: 0, max: 199 }).map((i) => `p${i}`), fc.constantFrom('v', 'w', '')).map((t) => [...t]),
  fc.tuple(fc.constantFrom('DEL', 'INCR', 'PERSIST'), fc.integer({ min: 0, max: 199 }).map((i) => `p${i}`)).map((t) => [...t]),
  fc.tuple(fc.constant('PEXPIRE'), fc.integer({ min: 0, max: 199 }).map((i) => `p${i}`), fc.constantFrom('1', '100000')).map((t) => [...t]),
  // Collections big enough to span element records, changed while they are half written.
  fc.tuple(fc.constant('HSET'), fc.integer({ min: 0, max: 9 }).map((i) => `h${i}`), fc.integer({ min: 0, max: 150 }).map((i) => `f${i}`), fc.constantFrom('v', 'longer value')).map((t) => [...t]),
  fc.tuple(fc.constant('HDEL'), fc.integer({ min: 0, max: 9 }).map((i) => `h${i}`), fc.integer({ min: 0, max: 150 }).map((i) => `f${i}`)).map((t) => [...t]),
  fc.tuple(fc.constantFrom('DEL', 'PERSIST'), fc.integer({ min: 0, max: 9 }).map((i) => `h${i}`)).map((t) => [...t]),
  fc.tuple(fc.constant('SET'), fc.integer({ min: 0, max: 9 }).map((i) => `h${i}`), fc.constant('now a string')).map((t) => [...t]),
);

/** Hashes of 0 to 135 fields under keys h0…h9, so snapshots carry collections of every size. */
function seedHashes(h: Harness): void {
  for (let i = 0; i < 10; i++) {
    for (let f = 0; f < i * 15; f++) h.apply('HSET', `h${i}`, `f${f}`, `value ${f} of hash ${i}`);
    if (i % 4 === 1) h.apply('PEXPIRE', `h${i}`, '100000');
  }
}

test('a snapshot taken while writes continue equals the state at its index (property)', () => {
  fc.assert(fc.property(
    workloadArbitrary,
    fc.array(fc.record({ args: wideCommandArbitrary, advanceMs: fc.integer({ min: 0, max: 500 }), chunkBytes: fc.integer({ min: 64, max: 600 }), applies: fc.integer({ min: 0, max: 4 }) }), { maxLength: 80 }),
    workloadArbitrary,
    (prefix, interleaved, suffix) => {
      const live = new Harness();
      const clone = new Harness();
      for (let i = 0; i < 200; i++) {
        live.apply('SET', `p${i}`, String(i), ...(i % 3 === 0 ? ['PX', String(1000 + i)] : []));
        clone.apply('SET', `p${i}`, String(i), ...(i % 3 === 0 ? ['PX', String(1000 + i)] : []));
      }
      seedHashes(live);
      seedHashes(clone);
      run(live, prefix);
      run(clone, prefix);
      // The snapshot is at this index; live keeps applying between chunks.
      const source = live.kv.beginSnapshot();
      assert.equal(source.appliedIndex, clone.kv.appliedIndex);
      const chunks: Uint8Array[] = [];
      let step = 0;
      for (;;) {
        const plan = interleaved[step % Math.max(1, interleaved.length)];
        const chunk = source.next(plan?.chunkBytes ?? 256);
        if (chunk === null) break;
        chunks.push(Buffer.from(chunk));
        if (plan !== undefined && step < interleaved.length) {
          for (let i = 0; i < plan.applies; i++) run(live, [{ advanceMs: plan.advanceMs, args: plan.args }]);
        }
        step++;
      }
      source.close();
      const restored = new Harness();
      assert.equal(restore(restored.kv, chunks), null);
      assert.deepEqual(restored.kv.digest(), clone.kv.digest());
      assert.deepEqual(restored.kv.stats(), clone.kv.stats());
      // Stamps (SCAN order, LRU order) and the dedup table came across too: the same
      // suffix gives the same replies, including SCAN pages (and RANDOMKEY inside apply; a
      // client's RANDOMKEY draws from the node's own slots, any live key).
      restored.index = clone.index;
      restored.time = clone.time;
      const reads = [['SCAN', '0', 'COUNT', '5'], ['KEYS', '*'], ['DBSIZE'], ...Array.from({ length: 10 }, (_, i) => ['HGETALL', `h${i}`])];
      for (const args of reads) assert.deepEqual(plain(restored.read(...args)), plain(clone.read(...args)), args.join(' '));
      assertRandomKeyLive(restored);
      assert.deepEqual(run(restored, suffix), run(clone, suffix));
      assert.deepEqual(restored.kv.digest(), clone.kv.digest());
    },
  ), { numRuns: 40 });
});

/** A client's RANDOMKEY answers a live key, or nil only when no key is live (expired ones may wait for removal). */
function assertRandomKeyLive(h: Harness): void {
  const key = plain(h.read('RANDOMKEY'));
  if (key === null) assert.deepEqual(plain(h.read('KEYS', '*')), []);
  else assert.equal(plain(h.read('EXISTS', String(key))), 1, `RANDOMKEY answered ${String(key)}`);
}

test('FLUSHDB during an open snapshot does not change what it streams', () => {
  const live = new Harness();
  for (let i = 0; i < 100; i++) live.apply('SET', `k${i}`, String(i));
  const expected = live.kv.digest();
  const source = live.kv.beginSnapshot();
  const chunks = [Buffer.from(source.next(256) as Uint8Array)];
  live.apply('FLUSHDB');
  live.apply('SET', 'k1', 'new');
  for (let chunk = source.next(256); chunk !== null; chunk = source.next(256)) chunks.push(Buffer.from(chunk));
  const restored = new KvStateMachine();
  assert.equal(restore(restored, chunks), null);
  assert.deepEqual(restored.digest(), expected);
  assert.equal(live.kv.stats().keys, 1);
});

function stateWithData(): Harness {
  const h = new Harness();
  for (let i = 0; i < 50; i++) h.apply('SET', `key${i}`, `value${i}`, ...(i % 2 === 0 ? ['PX', '100000'] : []));
  return h;
}

test('a truncated stream is refused and the old state stays untouched (property)', () => {
  const bytes = Buffer.concat(takeSnapshot(stateWithData().kv, 300));
  fc.assert(fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 500 }), (cut, chunkBytes) => {
    const target = new Harness();
    target.apply('SET', 'mine', '1');
    const before = target.kv.digest();
    const truncated = bytes.subarray(0, cut);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < truncated.length; offset += chunkBytes) chunks.push(truncated.subarray(offset, offset + chunkBytes));
    assert.ok(restore(target.kv, chunks) instanceof Error);
    assert.deepEqual(target.kv.digest(), before);
    assert.equal(target.kv.appliedIndex, 1);
    assert.equal(plain(target.read('GET', 'mine')), '1');
  }), { numRuns: 200 });
});

test('any corrupted byte is detected and the old state stays untouched (property)', () => {
  const bytes = Buffer.concat(takeSnapshot(stateWithData().kv, 300));
  fc.assert(fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (position, flip) => {
    const target = new Harness();
    target.apply('SET', 'mine', '1');
    const before = target.kv.digest();
    const corrupted = Buffer.from(bytes);
    corrupted[position] = (corrupted[position] as number) ^ flip;
    assert.ok(restore(target.kv, [corrupted]) instanceof Error, `flip at ${position}`);
    assert.deepEqual(target.kv.digest(), before);
  }), { numRuns: 300 });
});

test('trailing bytes after the end record are refused', () => {
  const bytes = Buffer.concat(takeSnapshot(stateWithData().kv, 300));
  const target = new KvStateMachine();
  assert.ok(restore(target, [bytes, Buffer.from([1, 0, 0, 0, 4])]) instanceof Error);
  assert.equal(target.stats().keys, 0);
});

test('an empty state round-trips', () => {
  const target = new Harness();
  target.apply('SET', 'x', '1');
  assert.equal(restore(target.kv, takeSnapshot(new KvStateMachine(), 64)), null);
  assert.equal(target.kv.stats().keys, 0);
  assert.equal(target.kv.appliedIndex, 0);
});

test('the restored machine continues at the snapshot index', () => {
  const source = stateWithData();
  const target = new KvStateMachine();
  assert.equal(restore(target, takeSnapshot(source.kv, 1000)), null);
  assert.throws(() => target.apply(source.index, encodeCommand({ origin: 'n', client: 0, seq: 0, firstUnanswered: 0, time: baseTimeMs, argv: argvOf(['GET', 'x']) })), /apply of index/);
  assert.equal(plain(target.apply(source.index + 1, encodeCommand({ origin: 'n', client: 0, seq: 0, firstUnanswered: 0, time: baseTimeMs, argv: argvOf(['GET', 'key1']) }))), 'value1');
});

test('SCAN cursors are the same on a replica restored from a snapshot', () => {
  const live = new Harness();
  for (let i = 0; i < 40; i++) live.apply('SET', `k${i}`, 'v');
  for (let i = 0; i < 40; i += 3) live.apply('DEL', `k${i}`);
  const restored = new KvStateMachine();
  assert.equal(restore(restored, takeSnapshot(live.kv, 512)), null);
  for (const count of ['1', '2', '5', '7']) {
    let cursor = '0';
    do {
      const args = argvOf(['SCAN', cursor, 'COUNT', count]);
      const expected = plain(live.kv.read(args, live.time));
      assert.deepEqual(plain(restored.read(args, live.time)), expected, `SCAN ${cursor} COUNT ${count}`);
      cursor = (expected as [string, unknown])[0];
    } while (cursor !== '0');
  }
});

test('a restore driven in small steps builds aside: the old state serves until finish(), then is wholly replaced', () => {
  const source = new Harness();
  for (let i = 0; i < 500; i++) source.apply('SET', `key:${i}`, `value:${i}`, ...(i % 4 === 0 ? ['PX', String(10_000 + i)] : []));
  // Keys changed while the snapshot is open arrive out of creation order: the sorted path runs too.
  const view = source.kv.beginSnapshot();
  const chunks: Buffer[] = [];
  for (let chunk = view.next(1024); chunk !== null; chunk = view.next(1024)) {
    chunks.push(Buffer.from(chunk));
    if (chunks.length === 2) for (let i = 0; i < 500; i += 7) source.apply('SET', `key:${i}`, 'changed');
  }
  const target = new Harness();
  target.apply('SET', 'old', 'x');
  const before = target.kv.digest();
  const sink = target.kv.beginRestore();
  const workPerStep = 50;
  let steps = 0;
  for (const chunk of chunks) {
    assert.equal(sink.write(chunk), null);
    while (sink.step(workPerStep)) {
      steps++;
      assert.deepEqual(target.kv.digest(), before, `step ${steps}: the old state is untouched while the new one is built`);
    }
  }
  assert.ok(steps > chunks.length * 2, `${steps} steps for ${chunks.length} chunks: the work was spread, not done in one go`);
  assert.deepEqual(target.kv.digest(), before);
  assert.equal(sink.finish(), null);
  // The snapshot is of the state before the changes made while it was open.
  const expected = new Harness();
  for (let i = 0; i < 500; i++) expected.apply('SET', `key:${i}`, `value:${i}`, ...(i % 4 === 0 ? ['PX', String(10_000 + i)] : []));
  assert.deepEqual(target.kv.digest(), expected.kv.digest());
  assert.deepEqual(target.kv.stats(), expected.kv.stats());
  assert.equal(plain(target.read('GET', 'old')), null);
  for (const args of [['KEYS', '*'], ['SCAN', '0', 'COUNT', '7'], ['PTTL', 'key:8']]) {
    assert.deepEqual(plain(target.read(...args)), plain(expected.read(...args)), args.join(' '));
  }
  assertRandomKeyLive(target);
});

test('a corrupt stream found late in a stepped restore leaves the old state untouched', () => {
  const bytes = Buffer.concat(takeSnapshot(stateWithData().kv, 300));
  const corrupted = Buffer.from(bytes);
  corrupted[bytes.length - 3] = (corrupted[bytes.length - 3] as number) ^ 0xff; // inside the end record's checksum
  const target = new Harness();
  target.apply('SET', 'mine', '1');
  const before = target.kv.digest();
  const sink = target.kv.beginRestore();
  for (let offset = 0; offset < corrupted.length; offset += 100) {
    assert.equal(sink.write(corrupted.subarray(offset, offset + 100)), null);
    while (sink.step(16));
  }
  assert.match(String(sink.finish()), /checksum/);
  assert.deepEqual(target.kv.digest(), before);
});

test('one next() call serializes at most snapshotStepBytesMax, whatever chunk size is asked', () => {
  const h = new Harness();
  const value = 'v'.repeat(100);
  for (let i = 0; i < 4000; i++) h.apply('SET', `key:${i}`, value);
  const chunks = takeSnapshot(h.kv, 1 << 20);
  assert.ok(chunks.length > 2, `${chunks.length} chunks for about ${4000 * 130} bytes`);
  for (const chunk of chunks) assert.ok(chunk.length <= snapshotStepBytesMax + 200, `chunk of ${chunk.length} bytes`);
  const restored = new KvStateMachine();
  assert.equal(restore(restored, chunks), null);
  assert.deepEqual(restored.digest(), h.kv.digest());
});

for (const change of [['HSET', 'big', 'new field', 'x'], ['HDEL', 'big', 'f10'], ['HDEL', 'big', 'f450'], ['DEL', 'big'], ['SET', 'big', 'string'], ['RENAME', 'big', 'moved']]) {
  test(`a collection changed while its elements are half written is streamed as it was (${change.join(' ')})`, () => {
    const live = new Harness();
    const clone = new Harness();
    for (const h of [live, clone]) {
      h.apply('SET', 'before', '1');
      for (let f = 0; f < 500; f++) h.apply('HSET', 'big', `f${f}`, `value of field ${f}`);
      h.apply('SET', 'after', '2');
    }
    // A few chunks in, the big value is half written when `change` applies.
    const restored = restoreAcrossChange(live, change);
    assert.deepEqual(restored.kv.digest(), clone.kv.digest());
    assert.deepEqual(restored.kv.stats(), clone.kv.stats());
    assert.deepEqual(plain(restored.read('HGETALL', 'big')), plain(clone.read('HGETALL', 'big')));
  });
}

test('a collection whose key record is restored without all its elements is refused', () => {
  const h = new Harness();
  for (let f = 0; f < 300; f++) h.apply('HSET', 'big', `f${f}`, 'v');
  const chunks = takeSnapshot(h.kv, 256);
  assert.ok(chunks.length > 4, 'the hash spans several chunks');
  const target = new Harness();
  target.apply('SET', 'kept', '1');
  // Drop one chunk from the middle: the hash's elements fall short.
  assert.match(String(restore(target.kv, [...chunks.slice(0, 2), ...chunks.slice(3)])), /snapshot restore/);
  assert.equal(plain(target.read('GET', 'kept')), '1');
});

test('a restored replica gives every key the version WATCH saw on the original at the snapshot, removed keys included', () => {
  const live = new Harness();
  for (let i = 0; i < 30; i++) live.apply('SET', `k${i}`, 'v', ...(i % 5 === 0 ? ['PX', '10'] : []));
  for (let i = 0; i < 30; i += 3) live.apply('DEL', `k${i}`);
  live.advance(20); // k5, k10, k20, k25 expired, not yet removed
  live.apply('RAFTIS.EXPIRE', 'k10');
  const keys = Array.from({ length: 40 }, (_, i) => Buffer.from(`k${i}`));
  const versions = (h: Harness): number[] => keys.map((key) => h.kv.keyVersion(key, live.time));
  const atSnapshot = versions(live);
  assert.ok(new Set(atSnapshot).size > 20, 'removed keys do not all share one version');
  // Removals after the snapshot began are not in it.
  const restored = restoreAcrossChange(live, ['DEL', 'k1'], 1);
  assert.deepEqual(versions(restored), atSnapshot);
  assert.notDeepEqual(versions(live), atSnapshot);
});
