// Snapshots of sorted sets: a round trip keeps members, scores, order, positions (so ZSCAN
// cursors and seeded ZRANDMEMBER picks answer the same on a restored replica), memory and
// digest; a big sorted set changed while it is half written is streamed as it was when the
// snapshot began.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import { Harness, plain } from './harness.js';
import { restore, restoreAcrossChange, takeSnapshot } from './snapshot-support.js';
import { ByteReader, ByteWriter, DecodeError } from '../../src/kv/binary.js';
import { zsetCodec } from '../../src/kv/zset-value.js';

const member = fc.oneof(fc.integer({ min: 0, max: 80 }).map((i) => `m${i}`), fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString('latin1')));
const score = fc.oneof(fc.integer({ min: -50, max: 50 }).map(String), fc.constantFrom('0.1', '-inf', '+inf', '1e300', '-0', '2.5'));
const zsetCommand = fc.oneof(
  fc.tuple(fc.constant('ZADD'), fc.constantFrom('z1', 'z2'), score, member, score, member).map((t) => [...t]),
  fc.tuple(fc.constant('ZINCRBY'), fc.constantFrom('z1', 'z2'), score, member).map((t) => [...t]),
  fc.tuple(fc.constant('ZREM'), fc.constantFrom('z1', 'z2'), member).map((t) => [...t]),
  fc.tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), fc.constantFrom('z1', 'z2'), fc.constantFrom('1', '3')).map((t) => [...t]),
  fc.tuple(fc.constant('ZUNIONSTORE'), fc.constantFrom('z1', 'z2'), fc.constantFrom('z1', 'z2')).map(([c, d, s]) => [c, d, '2', s, 'z2']),
);

/** Replies that depend on order, position or seeded picks, at a read point. */
function orderedView(h: Harness | KvStateMachine, time: number): unknown[] {
  const read = (...args: string[]): unknown => plain(h instanceof Harness ? h.read(...args) : h.read(args.map((a) => Buffer.from(a, 'latin1')), time));
  return [
    read('ZRANGE', 'z1', '0', '-1', 'WITHSCORES'), read('ZRANGE', 'z2', '0', '-1', 'WITHSCORES'), read('ZSCAN', 'z1', '0', 'COUNT', '3'),
    read('ZSCAN', 'z2', '0'), read('ZRANDMEMBER', 'z1', '-5', 'WITHSCORES'), read('ZRANDMEMBER', 'z2', '3'), read('ZRANDMEMBER', 'z1'),
  ];
}

test('round trip of random sorted sets in random chunk sizes keeps order, positions, memory and picks (property)', () => {
  fc.assert(fc.property(fc.array(zsetCommand, { maxLength: 150 }), fc.integer({ min: 64, max: 3000 }), (commands, chunkBytes) => {
    const source = new Harness();
    for (const args of commands) source.apply(...args);
    const target = new KvStateMachine();
    assert.equal(restore(target, takeSnapshot(source.kv, chunkBytes)), null);
    assert.deepEqual(target.digest(), source.kv.digest());
    assert.equal(target.stats().memoryBytes, source.kv.stats().memoryBytes);
    assert.deepEqual(orderedView(target, source.time), orderedView(source, source.time));
  }), { numRuns: 80 });
});

test('a restored replica keeps applying as the original does (pops, positions after removals)', () => {
  const source = new Harness();
  source.apply('ZADD', 'z1', ...Array.from({ length: 300 }, (_, i) => [String(i % 37), `m${i}`]).flat());
  for (let i = 0; i < 300; i += 7) source.apply('ZREM', 'z1', `m${i}`);
  const restored = new Harness();
  assert.equal(restore(restored.kv, takeSnapshot(source.kv, 500)), null);
  restored.index = source.index;
  for (const args of [['ZPOPMIN', 'z1', '5'], ['ZREM', 'z1', 'm1', 'm99'], ['ZPOPMAX', 'z1'], ['ZADD', 'z1', '3', 'new'], ['ZINCRBY', 'z1', '100', 'm2']]) {
    assert.deepEqual(plain(restored.apply(...args)), plain(source.apply(...args)), args.join(' '));
  }
  assert.deepEqual(orderedView(restored, restored.time), orderedView(source, source.time));
});

const halfWrittenChanges: readonly (readonly string[])[] = [
  ['ZADD', 'big', '-1', 'new member'], ['ZREM', 'big', 'm10'], ['ZREM', 'big', 'm450'], ['ZINCRBY', 'big', '1000', 'm3'], ['ZPOPMIN', 'big', '3'],
  ['ZPOPMAX', 'big'], ['ZREMRANGEBYRANK', 'big', '100', '200'], ['ZINTERSTORE', 'big', '2', 'big', 'small'], ['ZUNIONSTORE', 'small', '2', 'big', 'small'],
  ['ZRANGESTORE', 'big', 'big', '0', '9'], ['DEL', 'big'], ['SET', 'big', 'string'], ['RENAME', 'big', 'moved'],
];

for (const change of halfWrittenChanges) {
  test(`a sorted set changed while its members are half written is streamed as it was (${change.join(' ')})`, () => {
    const live = new Harness();
    const clone = new Harness();
    for (const h of [live, clone]) {
      h.apply('SET', 'before', '1');
      h.apply('ZADD', 'big', ...Array.from({ length: 500 }, (_, i) => [String((i * 7919) % 500 / 10), `m${i}`]).flat());
      h.apply('ZADD', 'small', '1', 'm1', '2', 'm2', '3', 'x');
      h.apply('SET', 'after', '2');
    }
    // A few chunks in, the big value is half written when `change` applies.
    const restored = restoreAcrossChange(live, change);
    assert.deepEqual(restored.kv.digest(), clone.kv.digest());
    assert.deepEqual(restored.kv.stats(), clone.kv.stats());
    for (const args of [['ZRANGE', 'big', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'small', '0', '-1', 'WITHSCORES'], ['ZSCAN', 'big', '0', 'COUNT', '50']]) {
      assert.deepEqual(plain(restored.read(...args)), plain(clone.read(...args)), args.join(' '));
    }
  });
}

test('element records with a repeated member or a NaN score are refused', () => {
  for (const [members, scores] of [[['a', 'a'], [1, 2]], [['a'], [Number.NaN]]] as const) {
    const writer = new ByteWriter(64);
    members.forEach((member, i) => {
      writer.latin1Bytes(member);
      writer.float64(scores[i] as number);
    });
    assert.throws(() => zsetCodec.builder().read(new ByteReader(writer.finish()), members.length), DecodeError);
  }
});
