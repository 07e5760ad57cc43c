// crc32c: known answers from RFC 3720 / the Castagnoli catalogue, and the slice-by-8 path
// against a bit-at-a-time reference on random inputs and split points.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CRC32C_INITIAL_STATE, crc32c, crc32cFinish, crc32cUpdate } from '../../src/storage/crc32c.js';

function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

test('crc32c("123456789") is 0xE3069283', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
});

test('crc32c known answers from RFC 3720 B.4', () => {
  assert.equal(crc32c(new Uint8Array(0)), 0);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});

test('slice-by-8 equals the bitwise reference, whole and incrementally at any split', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, cut) => {
      const split = bytes.length === 0 ? 0 : cut % (bytes.length + 1);
      const expected = reference(bytes);
      assert.equal(crc32c(bytes), expected);
      const state = crc32cUpdate(crc32cUpdate(CRC32C_INITIAL_STATE, bytes, 0, split), bytes, split, bytes.length);
      assert.equal(crc32cFinish(state), expected);
    }),
    { numRuns: 300 },
  );
});

test('crc32c over a sub-range ignores bytes outside it', () => {
  const bytes = new TextEncoder().encode('xx123456789yy');
  assert.equal(crc32c(bytes, 2, 11), 0xe3069283);
});
