// The peer-channel payloads of forwarded writes and admin commands round-trip exactly and
// reject truncated or padded input with an error value.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeForwardedAdmin, decodeForwardedWrite, encodeForwardedAdmin, encodeForwardedWrite } from '../../src/server/forward-codec.js';

const argv = fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 });

test('a forwarded write round-trips its request id and arguments', () => {
  fc.assert(fc.property(fc.string({ maxLength: 60 }), fc.nat(), fc.nat(), fc.nat(), argv, (origin, client, seq, behind, args) => {
    const firstUnanswered = Math.max(0, seq - behind);
    const decoded = decodeForwardedWrite(encodeForwardedWrite({ origin, client, seq, firstUnanswered, argv: args }));
    assert.ok(!(decoded instanceof Error), String(decoded));
    assert.equal(decoded.origin, origin);
    assert.equal(decoded.client, client);
    assert.equal(decoded.seq, seq);
    assert.equal(decoded.firstUnanswered, firstUnanswered);
    assert.deepEqual(decoded.argv.map((a) => Buffer.from(a)), args.map((a) => Buffer.from(a)));
  }));
});

test('a forwarded admin command round-trips, and damaged payloads are errors, not exceptions', () => {
  fc.assert(fc.property(argv, (args) => {
    const encoded = encodeForwardedAdmin(args);
    const decoded = decodeForwardedAdmin(encoded);
    assert.ok(!(decoded instanceof Error), String(decoded));
    assert.deepEqual(decoded.map((a) => Buffer.from(a)), args.map((a) => Buffer.from(a)));
    if (args.some((a) => a.length > 0)) assert.ok(decodeForwardedAdmin(encoded.subarray(0, encoded.length - 1)) instanceof Error);
    assert.ok(decodeForwardedAdmin(Buffer.concat([encoded, Buffer.from([0])])) instanceof Error);
    assert.ok(decodeForwardedWrite(encoded) instanceof Error, 'an admin payload is not a write');
  }));
});
