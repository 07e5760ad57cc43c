// HyperLogLog on the state machine alone: PFCOUNT is a read that changes nothing (replicas stay
// identical), a sparse value turns dense at hll-sparse-max-bytes, counts stay within the
// error Redis promises, PFSELFTEST passes, corrupt values are refused without harm, and the
// node-local memo of counts answers exactly what a recount does, whatever changed the value.
// Byte-for-byte agreement with Redis is in redis-compare-hyperloglog.test.ts.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, plain } from './harness.js';
import { hllDenseBytes, hllSparseMaxBytesDefault } from '../../src/kv/hyperloglog.js';

const elements = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

describe('HyperLogLog', () => {
  test('PFCOUNT changes no byte of the state, answered in apply or as a read', () => {
    const harness = new Harness();
    harness.apply('PFADD', 'h', ...elements('e', 1000));
    const before = harness.kv.digest().hash;
    const stored = plain(harness.apply('GET', 'h'));
    assert.equal(plain(harness.read('PFCOUNT', 'h')), plain(harness.apply('PFCOUNT', 'h')));
    assert.equal(harness.kv.digest().hash, before);
    assert.equal(plain(harness.apply('GET', 'h')), stored);
  });

  test('a sparse value turns dense once it would pass hll-sparse-max-bytes', () => {
    const harness = new Harness();
    harness.apply('PFADD', 'h');
    let added = 0;
    while (plain(harness.apply('PFDEBUG', 'ENCODING', 'h')) === 'sparse') {
      assert.ok((plain(harness.apply('STRLEN', 'h')) as number) <= hllSparseMaxBytesDefault);
      harness.apply('PFADD', 'h', ...elements('x', 50).map((e) => `${e}:${added}`));
      added += 50;
      assert.ok(added < 20_000, 'promoted well before 20k elements');
    }
    assert.equal(plain(harness.apply('STRLEN', 'h')), hllDenseBytes);
  });

  test('hll-sparse-max-bytes is a replicated setting: CONFIG GET shows it, a change moves the promotion point', () => {
    const harness = new Harness();
    assert.equal(harness.kv.replicatedSettings.get('hll-sparse-max-bytes'), String(hllSparseMaxBytesDefault));
    assert.deepEqual(plain(harness.apply('RAFTIS.CONFIG', 'hll-sparse-max-bytes', 'x')), {
      err: "ERR CONFIG SET failed (possibly related to argument 'hll-sparse-max-bytes') - argument must be a memory value",
    });
    assert.equal(plain(harness.apply('RAFTIS.CONFIG', 'hll-sparse-max-bytes', '0')), 'OK');
    harness.apply('PFADD', 'h', 'a');
    assert.equal(plain(harness.apply('PFDEBUG', 'ENCODING', 'h')), 'dense', 'any growth of a sparse value passes 0 bytes');
  });

  test('counts stay within 2% (about five standard errors) of the truth', () => {
    const harness = new Harness();
    for (const total of [100, 1000, 10_000, 50_000]) {
      harness.apply('DEL', 'h');
      for (let start = 0; start < total; start += 1000) harness.apply('PFADD', 'h', ...elements(`n${total}:`, Math.min(1000, total - start)).map((e) => `${e}-${start}`));
      const count = plain(harness.read('PFCOUNT', 'h')) as number;
      assert.ok(Math.abs(count - total) <= total * 0.02, `${count} for ${total}`);
    }
  });

  test('the memo of counts answers what a recount does after any change to the value (property)', () => {
    const key = fc.constantFrom('h1', 'h2', 'h3');
    const step = fc.oneof(
      fc.tuple(fc.constant('PFADD'), key, fc.array(fc.integer({ min: 0, max: 30_000 }), { minLength: 1, maxLength: 400 })),
      fc.tuple(fc.constant('PFCOUNT'), key),
      fc.tuple(fc.constant('PFMERGE'), key, key),
      // In place: a register byte (a dense value is long enough to be changed in place), or the header's cached count.
      fc.tuple(fc.constant('SETRANGE'), key, fc.integer({ min: 8, max: 12_303 }), fc.integer({ min: 0, max: 255 })),
      fc.tuple(fc.constant('DEL'), key),
      fc.tuple(fc.constant('COPY'), key, key),
    );
    fc.assert(fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
      // One memo of a single entry, so keys push each other out too.
      const memo = new Harness({ hllCountMemoEntriesMax: 1 });
      const recount = new Harness({ hllCountMemoEntriesMax: 0 });
      for (const [name, k, ...rest] of steps) {
        const args: string[] = name === 'PFADD' ? [k, ...(rest[0] as number[]).map((n) => `e${n}`)]
          : name === 'SETRANGE' ? [k, String(rest[0]), String.fromCharCode(rest[1] as number)]
            : name === 'PFMERGE' || name === 'COPY' ? [k, String(rest[0]), ...(name === 'COPY' ? ['REPLACE'] : [])] : [k];
        assert.deepEqual(plain(memo.apply(name, ...args)), plain(recount.apply(name, ...args)));
        for (const counted of ['h1', 'h2', 'h3']) assert.deepEqual(plain(memo.read('PFCOUNT', counted)), plain(recount.read('PFCOUNT', counted)), `${counted} after ${name} ${args.join(' ').slice(0, 40)}`);
      }
    }), { numRuns: 60 });
  });

  test('PFSELFTEST passes', () => {
    assert.equal(plain(new Harness().read('PFSELFTEST')), 'OK');
  });

  test('a corrupt value is refused with Redis\'s errors and stays as it was', () => {
    const harness = new Harness();
    harness.apply('PFADD', 'h', 'a', 'b', 'c');
    harness.apply('APPEND', 'h', '\x7f\xff');
    const corrupt = plain(harness.apply('GET', 'h'));
    assert.deepEqual(plain(harness.apply('PFCOUNT', 'h')), { err: 'INVALIDOBJ Corrupted HLL object detected' });
    assert.deepEqual(plain(harness.apply('PFMERGE', 'd', 'h')), { err: 'INVALIDOBJ Corrupted HLL object detected' });
    assert.equal(plain(harness.apply('EXISTS', 'd')), 0);
    assert.equal(plain(harness.apply('GET', 'h')), corrupt);
    harness.apply('SETRANGE', 'h', '4', '\x02');
    assert.deepEqual(plain(harness.apply('PFADD', 'h', 'x')), { err: 'WRONGTYPE Key is not a valid HyperLogLog string value.' });
  });
});
