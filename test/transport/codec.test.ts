// Round-trip and robustness tests of the Raft message codec.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EntryType, MessageType, logIndex, nodeId, term } from '../../src/raft/types.js';
import type { AppendMessage } from '../../src/raft/types.js';
import { decodeMessage, encodeMessage, encodeMessageInto, messageEncodedBytes } from '../../src/transport/codec.js';
import { FRAME_HEADER_BYTES, FrameKind, encodeRaftFrame } from '../../src/transport/frame.js';
import { messageArb, oneOfEach } from './arbitraries.js';

describe('message codec', () => {
  it('round-trips every message variant (property)', () => {
    fc.assert(fc.property(messageArb, (msg) => {
      const decoded = decodeMessage(encodeMessage(msg));
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
      assert.deepStrictEqual(decoded.value, msg);
    }), { numRuns: 2000 });
  });

  it('round-trips a hand-written instance of each of the 13 message types', () => {
    const all = oneOfEach('n1', 'n2', 5);
    assert.equal(new Set(all.map((m) => m.type)).size, 13);
    for (const msg of all) {
      const decoded = decodeMessage(encodeMessage(msg));
      assert.ok(decoded.ok);
      assert.deepStrictEqual(decoded.value, msg);
    }
  });

  it('sizes exactly and encodes at an offset inside a larger buffer', () => {
    fc.assert(fc.property(messageArb, fc.nat({ max: 32 }), (msg, offset) => {
      const size = messageEncodedBytes(msg);
      const target = Buffer.alloc(offset + size + 3, 0xee);
      assert.equal(encodeMessageInto(msg, target, offset), offset + size);
      assert.equal(target[offset + size], 0xee, 'wrote past its size');
      const decoded = decodeMessage(target.subarray(offset, offset + size));
      assert.ok(decoded.ok);
      assert.deepStrictEqual(decoded.value, msg);
    }));
  });

  it('decodes Append entry data as views of the frame, not copies', () => {
    const msg: AppendMessage = {
      type: MessageType.Append, from: nodeId('n1'), to: nodeId('n2'), term: term(3), prevIndex: logIndex(9), prevTerm: term(2), commit: logIndex(8),
      entries: [{ term: term(3), index: logIndex(10), type: EntryType.Normal, data: new Uint8Array([1, 2, 3]) }],
    };
    const frame = encodeRaftFrame(msg);
    assert.equal(frame.readUInt32LE(0), frame.byteLength - FRAME_HEADER_BYTES);
    assert.equal(frame[4], FrameKind.Raft);
    const decoded = decodeMessage(frame.subarray(FRAME_HEADER_BYTES));
    assert.ok(decoded.ok);
    assert.equal(decoded.value.type, MessageType.Append);
    const data = decoded.value.type === MessageType.Append ? decoded.value.entries[0]?.data : undefined;
    assert.ok(data !== undefined);
    assert.equal(data.buffer, frame.buffer, 'entry data must share the frame memory');
    frame[frame.byteLength - 1] = 99;
    assert.equal(data[2], 99);
  });

  it('returns an error value for every truncation of a valid message', () => {
    fc.assert(fc.property(messageArb, fc.nat(), (msg, cut) => {
      const bytes = encodeMessage(msg);
      const length = cut % bytes.byteLength;
      const decoded = decodeMessage(bytes.subarray(0, length));
      assert.equal(decoded.ok, false);
    }));
  });

  it('rejects trailing bytes, unknown types and unknown entry types', () => {
    const msg = oneOfEach('n1', 'n2', 1)[0];
    assert.ok(msg !== undefined);
    const bytes = encodeMessage(msg);
    assert.equal(decodeMessage(Buffer.concat([bytes, Buffer.from([0])])).ok, false);
    const badType = Buffer.from(bytes);
    badType[0] = 200;
    assert.equal(decodeMessage(badType).ok, false);
    // Append layout: type, from(1+2), to(1+2), term, prevIndex, prevTerm, commit, count, then the first entry's term and index.
    const entryTypeOffset = 1 + 3 + 3 + 8 + 8 + 8 + 8 + 4 + 8 + 8;
    const badEntry = Buffer.from(bytes);
    assert.equal(badEntry[entryTypeOffset], EntryType.Normal);
    badEntry[entryTypeOffset] = 7;
    assert.equal(decodeMessage(badEntry).ok, false);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const decoded = decodeMessage(bytes);
      assert.equal(typeof decoded.ok, 'boolean');
    }), { numRuns: 3000 });
  });

  it('crashes loudly on a term that is not a safe non-negative integer', () => {
    const msg = { type: MessageType.TimeoutNow, from: nodeId('a'), to: nodeId('b'), term: term(-1) } as const;
    assert.throws(() => encodeMessage(msg), /non-negative safe integer, got -1/);
  });
});
