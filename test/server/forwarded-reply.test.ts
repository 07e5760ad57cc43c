// Replies forwarded from the leader keep their kind (pairs stay pairs, doubles stay doubles),
// and a RESP3 answer from a leader of the previous format is still read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Reply } from '../../src/kv/reply.js';
import { decodeForwardedReply, encodeForwardedReply } from '../../src/server/forwarded-reply.js';
import { encodeReply } from '../../src/resp/reply-writer.js';
import { replyArbitrary } from '../support/reply-arbitrary.js';

test('every reply kind comes back as it was (property)', () => {
  fc.assert(fc.property(replyArbitrary, (reply) => {
    assert.deepEqual(decodeForwardedReply(encodeForwardedReply(reply)), reply);
  }), { numRuns: 300 });
});

test('pairs (ZRANGE WITHSCORES in RESP3) stay pairs, so a RESP2 client on a follower gets them flat', () => {
  const pairs: Reply = { kind: 'pairs', value: [[{ kind: 'bulk', value: Buffer.from('a') }, { kind: 'double', value: 0.5 }]] };
  const back = decodeForwardedReply(encodeForwardedReply(pairs));
  assert.deepEqual(back, pairs);
  assert.equal(encodeReply(back as Reply, 2).toString(), '*2\r\n$1\r\na\r\n$3\r\n0.5\r\n');
});

test('a RESP3 answer (the previous format) is read, and garbage is an error', () => {
  assert.deepEqual(decodeForwardedReply(Buffer.from(':42\r\n')), { kind: 'integer', value: 42 });
  assert.ok(decodeForwardedReply(Buffer.from([6, 200])) instanceof Error);
  assert.ok(decodeForwardedReply(Buffer.concat([Buffer.from(encodeForwardedReply({ kind: 'null' })), Buffer.from([1])])) instanceof Error);
});
