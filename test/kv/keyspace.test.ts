// The keyspace's compact representation: keys and values stored as latin1 strings must give
// back exactly the bytes that went in (every byte value, empty, large), callers must get
// copies they cannot use to change the stored bytes, and the write-order list must answer
// least-recently-written like a plain model through creates, updates and deletes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { imageOf, Keyspace, keyOverheadBytes, noExpiry, packedValueBytesMax, type KeyEntry, type Value } from '../../src/kv/keyspace.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import { argvOf, baseTimeMs, Harness, plain } from './harness.js';

function stringOf(data: Uint8Array): Value {
  return { type: 'string', data: Buffer.from(data) };
}

/** Every byte value 0..255, then 255..0: binary-safe round trips must keep each one. */
const allBytes = Buffer.from([...Array.from({ length: 256 }, (_, i) => i), ...Array.from({ length: 256 }, (_, i) => 255 - i)]);

function valueOf(entry: KeyEntry | undefined): Buffer {
  assert.ok(entry !== undefined, 'the key is present');
  const value = entry.value;
  assert.equal(value.type, 'string');
  return value.data;
}

/** A keyspace rebuilt from images of every entry, as a snapshot restore does. */
function rebuilt(keyspace: Keyspace): Keyspace {
  return Keyspace.fromImages([...keyspace.values()].map(imageOf), keyspace.stamp);
}

test('keys and values with every byte value come back byte for byte, also after a rebuild from images', () => {
  const keyspace = new Keyspace();
  const key = allBytes.subarray(0, 256);
  keyspace.create(key, stringOf(allBytes));
  keyspace.create(Buffer.from([0]), stringOf(Buffer.from([0xff, 0x00, 0x80])));
  for (const candidate of [keyspace, rebuilt(keyspace)]) {
    assert.deepEqual(valueOf(candidate.get(key, 0)), allBytes);
    assert.deepEqual(candidate.get(key, 0)?.key, key);
    assert.equal(candidate.get(key, 0)?.valueByteLength, allBytes.length);
    assert.deepEqual(valueOf(candidate.get(Buffer.from([0]), 0)), Buffer.from([0xff, 0x00, 0x80]));
    assert.equal(candidate.get(Buffer.from([0, 0]), 0), undefined, 'a longer key is another key');
    assert.equal(candidate.memoryBytes, 2 * keyOverheadBytes + 256 + allBytes.length + 1 + 3);
  }
});

test('an empty value and an empty key are stored and distinct from absent', () => {
  const keyspace = new Keyspace();
  keyspace.create(Buffer.alloc(0), stringOf(Buffer.alloc(0)));
  keyspace.create(Buffer.from('e'), stringOf(Buffer.alloc(0)));
  for (const candidate of [keyspace, rebuilt(keyspace)]) {
    assert.equal(candidate.size, 2);
    assert.deepEqual(valueOf(candidate.get(Buffer.alloc(0), 0)), Buffer.alloc(0));
    assert.deepEqual(valueOf(candidate.get(Buffer.from('e'), 0)), Buffer.alloc(0));
    assert.equal(candidate.get(Buffer.from('e'), 0)?.valueByteLength, 0);
  }
});

test('a large value (beyond a megabyte) with random bytes round-trips through the state machine and a snapshot', () => {
  const large = Buffer.alloc(3 * 1024 * 1024 + 7);
  for (let i = 0; i < large.length; i++) large[i] = (i * 2654435761) >>> 24;
  const h = new Harness();
  assert.equal(plain(h.apply('SET', allBytes, large)), 'OK');
  assert.equal(plain(h.apply('APPEND', allBytes, allBytes)), large.length + allBytes.length);
  const expected = Buffer.concat([large, allBytes]);
  const get = h.read('GET', allBytes);
  assert.ok(get.kind === 'bulk' && get.value !== null);
  assert.ok(Buffer.from(get.value).equals(expected), 'GET returns the appended bytes');

  const source = h.kv.beginSnapshot();
  const target = new KvStateMachine();
  const sink = target.beginRestore();
  for (let chunk = source.next(1 << 16); chunk !== null; chunk = source.next(1 << 16)) assert.equal(sink.write(chunk), null);
  assert.equal(sink.finish(), null);
  const restored = target.read(argvOf(['GET', allBytes]), baseTimeMs);
  assert.ok(restored.kind === 'bulk' && restored.value !== null);
  assert.ok(Buffer.from(restored.value).equals(expected), 'the restored value is the same bytes');
  assert.deepEqual(target.digest(), h.kv.digest());
});

test('the keyspace owns its bytes: changing the caller\'s buffers or a returned copy changes nothing stored', () => {
  const keyspace = new Keyspace();
  const key = Buffer.from('key');
  const data = Buffer.from('value');
  // A view, as commands pass one (stringValue does not copy).
  const entry = keyspace.create(key, { type: 'string', data: data.subarray(0) });
  key.fill(0);
  data.fill(0);
  assert.deepEqual(valueOf(keyspace.get(Buffer.from('key'), 0)), Buffer.from('value'));
  valueOf(keyspace.get(Buffer.from('key'), 0)).fill(1);
  entry.key.fill(1);
  assert.deepEqual(valueOf(keyspace.get(Buffer.from('key'), 0)), Buffer.from('value'));
  assert.deepEqual(entry.key, Buffer.from('key'));

  const h = new Harness();
  const argument = Buffer.from('original');
  h.apply('SET', 'k', argument);
  argument.fill(0x21);
  assert.equal(plain(h.read('GET', 'k')), 'original');
});

test('expiry: none reads as noExpiry, a set expiry reads back, and removing it restores noExpiry', () => {
  const keyspace = new Keyspace();
  const entry = keyspace.create(Buffer.from('k'), stringOf(Buffer.from('v')));
  assert.equal(entry.expireAtMs, noExpiry);
  assert.equal(keyspace.volatileSize, 0);
  keyspace.setExpiry(entry, baseTimeMs + 5);
  assert.equal(entry.expireAtMs, baseTimeMs + 5);
  assert.deepEqual(valueOf(entry), Buffer.from('v'), 'setting an expiry keeps the value');
  assert.equal(keyspace.volatileSize, 1);
  assert.equal(keyspace.get(Buffer.from('k'), baseTimeMs + 5), undefined, 'expired at its time');
  assert.equal(keyspace.get(Buffer.from('k'), baseTimeMs + 4)?.createdStamp, entry.createdStamp);
  keyspace.setExpiry(entry, noExpiry);
  assert.equal(entry.expireAtMs, noExpiry);
  assert.equal(keyspace.volatileSize, 0);
  assert.equal(keyspace.get(Buffer.from('k'), Number.MAX_SAFE_INTEGER)?.createdStamp, entry.createdStamp);
});

type Operation =
  | { readonly kind: 'set'; readonly key: number; readonly volatile: boolean }
  | { readonly kind: 'delete'; readonly key: number }
  | { readonly kind: 'persist'; readonly key: number };

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 7 }), volatile: fc.boolean() }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('persist' as const), key: fc.integer({ min: 0, max: 7 }) }),
);

test('least recently written follows a model through creates, updates, deletes and rebuilds (property)', () => {
  fc.assert(fc.property(fc.array(operationArbitrary, { maxLength: 80 }), (operations) => {
    let keyspace = new Keyspace();
    /** Model: key -> (written stamp, volatile). */
    const model = new Map<number, { written: number; volatile: boolean }>();
    let stamp = 0;
    const keyOf = (key: number): Buffer => Buffer.from([key, 0xff - key]);
    const oldest = (volatileOnly: boolean): number | undefined => {
      let best: number | undefined;
      let bestStamp = Number.POSITIVE_INFINITY;
      for (const [key, state] of model) {
        if ((!volatileOnly || state.volatile) && state.written < bestStamp) {
          best = key;
          bestStamp = state.written;
        }
      }
      return best;
    };
    operations.forEach((operation, step) => {
      const entry = keyspace.raw(keyOf(operation.key));
      switch (operation.kind) {
        case 'set':
          keyspace.set(keyOf(operation.key), stringOf(Buffer.from([step])), operation.volatile ? baseTimeMs + step : noExpiry, false);
          model.set(operation.key, { written: ++stamp, volatile: operation.volatile });
          break;
        case 'delete':
          if (entry === undefined) return;
          keyspace.delete(entry, 0);
          model.delete(operation.key);
          break;
        case 'persist':
          if (entry === undefined) return;
          keyspace.setExpiry(entry, noExpiry);
          model.set(operation.key, { written: ++stamp, volatile: false });
          break;
      }
      if (step % 10 === 9) keyspace = rebuilt(keyspace);
      for (const volatileOnly of [false, true]) {
        const expected = oldest(volatileOnly);
        const actual = keyspace.leastRecentlyWritten(volatileOnly);
        assert.deepEqual(actual?.key, expected === undefined ? undefined : keyOf(expected), `step ${step} volatileOnly ${volatileOnly}`);
      }
      assert.equal(keyspace.size, model.size);
    });
  }));
});

test('eviction under allkeys-lru walks the write order: evicting the oldest, then the next, across a delete of the newest', () => {
  const keyspace = new Keyspace();
  const entries = ['a', 'b', 'c', 'd'].map((name) => keyspace.create(Buffer.from(name), stringOf(Buffer.from(name))));
  keyspace.update(entries[0] as KeyEntry, stringOf(Buffer.from('A')), noExpiry); // a becomes newest: b c d a
  keyspace.delete(entries[0] as KeyEntry, 0); // b c d
  const order: string[] = [];
  for (let victim = keyspace.leastRecentlyWritten(false); victim !== undefined; victim = keyspace.leastRecentlyWritten(false)) {
    order.push(victim.key.toString('latin1'));
    keyspace.delete(victim, 0);
  }
  assert.deepEqual(order, ['b', 'c', 'd']);
  assert.equal(keyspace.size, 0);
  keyspace.create(Buffer.from('e'), stringOf(Buffer.from('e')));
  assert.deepEqual(keyspace.leastRecentlyWritten(false)?.key, Buffer.from('e'), 'an emptied list takes new keys');
});

test('a key keeps its bytes through every value form: short and long keys, values beside the key or apart, in-place changes, collections', () => {
  const keyspace = new Keyspace();
  const keys = [Buffer.alloc(0), Buffer.from([255]), allBytes.subarray(0, 254), allBytes.subarray(0, 255), Buffer.concat([allBytes, allBytes]), Buffer.alloc(20_000, 0x41)];
  const values = [Buffer.alloc(0), allBytes.subarray(0, 100), Buffer.alloc(packedValueBytesMax, 0xfe), Buffer.alloc(packedValueBytesMax + 1, 0x7f)];
  for (const key of keys) {
    for (const value of values) {
      const entry = keyspace.set(key, stringOf(value), noExpiry, false);
      assert.deepEqual(entry.key, key);
      assert.deepEqual(valueOf(keyspace.get(key, 0)), value);
      assert.equal(entry.valueByteLength, value.length);
      assert.equal(keyspace.memoryOf(entry), keyOverheadBytes + key.length + value.length);
    }
    const entry = keyspace.raw(key) as KeyEntry;
    const mutable = keyspace.beginStringMutation(entry, 4000);
    mutable.write(mutable.length, Buffer.from('!'));
    keyspace.settle(entry, true);
    assert.equal(keyspace.get(key, 0)?.valueByteLength, packedValueBytesMax + 2);
    assert.deepEqual(keyspace.get(key, 0)?.key, key);
  }
  assert.equal(keyspace.size, keys.length);
  for (const candidate of [keyspace, rebuilt(keyspace)]) {
    for (const key of keys) assert.deepEqual(candidate.get(key, 0)?.key, key);
  }
});

test('lookups stay right after the creation order is compacted and its slots renumbered', () => {
  const keyspace = new Keyspace();
  const keyOf = (i: number): Buffer => Buffer.from(`key:${i}`);
  const count = 5000;
  for (let i = 0; i < count; i++) keyspace.create(keyOf(i), stringOf(Buffer.from(`v${i}`)));
  // Deleting most keys passes the dead-slot threshold: the order array shrinks and the table is rebuilt.
  for (let i = 0; i < count; i++) if (i % 5 !== 0) keyspace.delete(keyspace.raw(keyOf(i)) as KeyEntry, 0);
  assert.equal(keyspace.size, count / 5);
  for (let i = 0; i < count; i++) {
    const entry = keyspace.get(keyOf(i), 0);
    if (i % 5 === 0) assert.deepEqual(valueOf(entry), Buffer.from(`v${i}`));
    else assert.equal(entry, undefined);
  }
  assert.deepEqual([...keyspace.values()].map((entry) => entry.key.toString()), Array.from({ length: count / 5 }, (_, i) => `key:${i * 5}`));
  keyspace.create(keyOf(1), stringOf(Buffer.from('again')));
  assert.deepEqual(valueOf(keyspace.get(keyOf(1), 0)), Buffer.from('again'));
});

test('each key keeps its own expiry when the creation order is compacted, and due keys are the ones whose time came', () => {
  const keyspace = new Keyspace();
  const keyOf = (i: number): Buffer => Buffer.from(`e${i}`);
  // Expiries on a few keys spread over several pages of the expiry column, the rest without.
  const expiryOf = (i: number): number => (i % 7 === 0 ? baseTimeMs + i : noExpiry);
  const count = 6000;
  for (let i = 0; i < count; i++) keyspace.create(keyOf(i), stringOf(Buffer.from(`v${i}`)), expiryOf(i));
  for (let i = 0; i < count; i++) if (i % 4 !== 0) keyspace.delete(keyspace.raw(keyOf(i)) as KeyEntry, 0);
  for (let i = 0; i < count; i += 4) assert.equal(keyspace.raw(keyOf(i))?.expireAtMs, expiryOf(i), `key ${i}`);
  const due = keyspace.dueForExpiry(baseTimeMs + 2000, count).map((entry) => entry.key.toString()).sort();
  const expected = Array.from({ length: count }, (_, i) => i).filter((i) => i % 4 === 0 && i % 7 === 0 && i <= 2000).map((i) => `e${i}`).sort();
  assert.deepEqual(due, expected);
  // A key created after the compaction, in a slot that held an expiring key before, has none.
  assert.equal(keyspace.create(keyOf(count), stringOf(Buffer.from('new'))).expireAtMs, noExpiry);
});

test('an entry handle held while more than half the keys are removed (slots renumbered) still reaches its key, and a removed one still reads its key', () => {
  const keyspace = new Keyspace();
  const keyOf = (i: number): Buffer => Buffer.from(`k${i}`);
  const count = 3000;
  for (let i = 0; i < count; i++) keyspace.create(keyOf(i), stringOf(Buffer.from(`v${i}`)));
  const kept = keyspace.get(keyOf(count - 1), 0);
  const removed = keyspace.get(keyOf(0), 0);
  assert.ok(kept !== undefined && removed !== undefined);
  keyspace.delete(removed, 0);
  // Removing more than half (and more than the 1024 tolerated) compacts the creation order.
  for (let i = 1; i < count - 100; i++) keyspace.delete(keyspace.get(keyOf(i), 0) as KeyEntry, 0);
  assert.equal(keyspace.size, 100);
  assert.ok(keyspace.isLive(kept, 0));
  assert.deepEqual(valueOf(kept), Buffer.from(`v${count - 1}`));
  keyspace.update(kept, stringOf(Buffer.from('changed')), noExpiry);
  assert.deepEqual(valueOf(keyspace.get(keyOf(count - 1), 0)), Buffer.from('changed'));
  assert.equal(keyspace.isLive(removed, 0), false);
  assert.deepEqual(removed.key, keyOf(0), 'a removed entry still reads its key');
  assert.throws(() => keyspace.update(removed, stringOf(Buffer.from('x')), noExpiry), /not the live entry/);
  // The write order survived the renumbering: the oldest left is the first of the 100 kept.
  assert.deepEqual(keyspace.leastRecentlyWritten(false)?.key, keyOf(count - 100));
  assert.deepEqual([...keyspace.values()].map((entry) => entry.key.toString()), Array.from({ length: 100 }, (_, i) => `k${count - 100 + i}`));
});

test('a keyspace built from images in any order has the same creation order, write order, expiries and values as the one they came from', () => {
  const keyspace = new Keyspace();
  const keyOf = (i: number): Buffer => Buffer.from(`k${i}`);
  for (let i = 0; i < 50; i++) keyspace.create(keyOf(i), stringOf(Buffer.from(`v${i}`)), i % 3 === 0 ? baseTimeMs + i : noExpiry);
  // Rewrites change the write order away from the creation order.
  for (let i = 0; i < 50; i += 7) keyspace.update(keyspace.get(keyOf(i), 0) as KeyEntry, stringOf(Buffer.from(`w${i}`)), noExpiry);
  const images = [...keyspace.values()].map(imageOf).reverse();
  const copy = Keyspace.fromImages(images, keyspace.stamp);
  const described = (candidate: Keyspace): string[] => [...candidate.values()].map((entry) => `${entry.key.toString()}=${valueOf(entry).toString()}@${entry.expireAtMs}/${entry.createdStamp}/${entry.writtenStamp}`);
  assert.deepEqual(described(copy), described(keyspace));
  const writeOrder = (candidate: Keyspace): string[] => {
    const order: string[] = [];
    for (let entry = candidate.leastRecentlyWritten(false); entry !== undefined; entry = candidate.leastRecentlyWritten(false)) {
      order.push(entry.key.toString());
      candidate.delete(entry, 0);
    }
    return order;
  };
  assert.deepEqual(writeOrder(copy), writeOrder(keyspace));
  assert.equal(copy.size, 0);
});
