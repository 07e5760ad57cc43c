// The peer-channel payloads of forwarded writes, admin commands and the leader's answers round-trip exactly and
// reject truncated or padded input with an error value.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeForwardAnswer, decodeForwardedAdmin, decodeForwardedWrite, encodeForwardAnswer, encodeForwardedAdmin, encodeForwardedWrite, FORWARD_REPLY, FORWARD_REPLY_TIMED, FORWARD_REPLY_WITH_CALLS } from '../../src/server/forward-codec.js';

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

test('a leader\'s answer carries the reply and its execution time; an older leader\'s answer reads as time 0', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat({ max: 0xffff_ffff }), (resp, executionUsec) => {
    const timed = decodeForwardAnswer(encodeForwardAnswer({ status: FORWARD_REPLY, resp, executionUsec }));
    assert.ok(!(timed instanceof Error) && timed.status === FORWARD_REPLY, String(timed));
    assert.deepEqual(Buffer.from(timed.resp), Buffer.from(resp));
    assert.equal(timed.executionUsec, executionUsec);
    const older = decodeForwardAnswer(encodeForwardAnswer({ status: FORWARD_REPLY, resp }));
    assert.ok(!(older instanceof Error) && older.status === FORWARD_REPLY, String(older));
    assert.deepEqual(Buffer.from(older.resp), Buffer.from(resp));
    assert.equal(older.executionUsec, 0);
  }));
  assert.ok(decodeForwardAnswer(Buffer.from([FORWARD_REPLY_TIMED, 0, 0])) instanceof Error, 'a timed answer cut inside its time');
  const clamped = decodeForwardAnswer(encodeForwardAnswer({ status: FORWARD_REPLY, resp: Buffer.alloc(0), executionUsec: 2 ** 40 }));
  assert.ok(!(clamped instanceof Error) && clamped.status === FORWARD_REPLY && clamped.executionUsec === 0xffff_ffff, 'a time past u32 is kept at its largest');
});

test('a leader\'s answer carries the calls its scripts made and whether its error was counted; cut anywhere, it is an error', () => {
  const call = fc.record({
    command: fc.option(fc.string({ maxLength: 30 }), { nil: null }),
    usec: fc.nat({ max: 0xffff_ffff }),
    outcome: fc.constantFrom('ok' as const, 'failed' as const, 'rejected' as const),
    error: fc.option(fc.string({ maxLength: 60 }), { nil: null }),
  });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat({ max: 0xffff_ffff }), fc.array(call, { minLength: 1, maxLength: 6 }), fc.boolean(), (resp, executionUsec, calls, replyCounted) => {
    const encoded = encodeForwardAnswer({ status: FORWARD_REPLY, resp, executionUsec, calls, replyCounted });
    assert.equal(encoded[0], FORWARD_REPLY_WITH_CALLS);
    const decoded = decodeForwardAnswer(encoded);
    assert.ok(!(decoded instanceof Error) && decoded.status === FORWARD_REPLY, String(decoded));
    assert.deepEqual(Buffer.from(decoded.resp), Buffer.from(resp));
    assert.equal(decoded.executionUsec, executionUsec);
    assert.deepEqual(decoded.calls, calls.map((c) => ({ ...c })));
    assert.equal(decoded.replyCounted, replyCounted);
    for (let cut = 1; cut < encoded.length - resp.length; cut++) assert.ok(decodeForwardAnswer(encoded.subarray(0, cut)) instanceof Error, `cut at ${cut}`);
  }));
  for (const replyCounted of [false, true]) {
    const plain = encodeForwardAnswer({ status: FORWARD_REPLY, resp: Buffer.from('-ERR x\r\n'), executionUsec: 1, calls: null, replyCounted });
    assert.equal(plain[0], FORWARD_REPLY_TIMED, 'an answer without calls (a retry answered from the exactly-once table) stays in the timed form older followers read');
  }
});
