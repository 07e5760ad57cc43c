// The binary reply codec (exactly-once replies in snapshots, forwarded replies): every
// reply kind round-trips, and corrupt input is refused with a DecodeError.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteReader, ByteWriter, DecodeError } from '../../src/kv/binary.js';
import { readReply, writeReply } from '../../src/kv/reply-codec.js';
import { replyArbitrary } from '../support/reply-arbitrary.js';

function encode(reply: Parameters<typeof writeReply>[1]): Buffer {
  const writer = new ByteWriter(64);
  writeReply(writer, reply);
  return writer.finish();
}

test('every reply kind round-trips (property)', () => {
  fc.assert(fc.property(replyArbitrary, (reply) => {
    const reader = new ByteReader(encode(reply));
    assert.deepEqual(readReply(reader), reply);
    assert.equal(reader.remaining, 0);
  }), { numRuns: 300 });
});

test('corrupt or truncated input is refused with a DecodeError, never another exception (property)', () => {
  fc.assert(fc.property(replyArbitrary, fc.nat(), fc.nat(255), (reply, at, byte) => {
    const bytes = encode(reply);
    const corrupt = Buffer.from(bytes);
    corrupt[at % corrupt.length] = byte;
    for (const input of [corrupt, bytes.subarray(0, at % bytes.length)]) {
      try {
        readReply(new ByteReader(input));
      } catch (error) {
        assert.ok(error instanceof DecodeError, String(error));
      }
    }
  }), { numRuns: 500 });
});

test('pairs (RESP3 arrays of two) keep their kind, unlike a RESP round trip', () => {
  const pairs: Parameters<typeof writeReply>[1] = { kind: 'pairs', value: [[{ kind: 'bulk', value: Buffer.from('m') }, { kind: 'double', value: 0.1 }]] };
  const reader = new ByteReader(encode(pairs));
  assert.deepEqual(readReply(reader), pairs);
  assert.equal(reader.remaining, 0);
});

test("a double with its command's own digits (GEOPOS's long double) keeps them", () => {
  const coordinate: Parameters<typeof writeReply>[1] = { kind: 'double', value: 13.361389338970184, text: '13.36138933897018433' };
  const reader = new ByteReader(encode(coordinate));
  assert.deepEqual(readReply(reader), coordinate);
  assert.equal(reader.remaining, 0);
});
