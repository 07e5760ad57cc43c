// Round trips of the control frames: handshake, snapshot stream frames, request/response.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FRAME_HEADER_BYTES,
  FrameKind,
  SnapshotAckStatus,
  decodeHandshake,
  decodeHandshakeReply,
  decodeRequest,
  decodeResponse,
  decodeSnapshotAbort,
  decodeSnapshotAck,
  decodeSnapshotEnd,
  decodeStreamIdAndBytes,
  encodeHandshakeFrame,
  encodeHandshakeReplyFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  encodeSnapshotAbortFrame,
  encodeSnapshotAckFrame,
  encodeSnapshotBeginFrame,
  encodeSnapshotChunkFrame,
  encodeSnapshotEndFrame,
  validateFrameMaxBytes,
} from '../../src/transport/frame.js';

/** Checks the header and returns the payload. */
function payloadOf(frame: Buffer, kind: number): Buffer {
  assert.equal(frame.readUInt32LE(0), frame.byteLength - FRAME_HEADER_BYTES);
  assert.equal(frame[4], kind);
  return frame.subarray(FRAME_HEADER_BYTES);
}

const shortString = fc.string({ maxLength: 40 });
const u32 = fc.nat({ max: 0xffff_ffff });
const bytes = fc.uint8Array({ maxLength: 100 });
const plain = <T>(x: T): T => ({ ...x });

describe('control frames', () => {
  it('round-trip: handshake and its reply', () => {
    fc.assert(fc.property(fc.nat({ max: 0xffff }), shortString, shortString, shortString, shortString, (version, clusterId, fromNodeId, toNodeId, incarnation) => {
      const h = { version, clusterId, fromNodeId, toNodeId, incarnation };
      const decoded = decodeHandshake(payloadOf(encodeHandshakeFrame(h), FrameKind.Handshake));
      assert.ok(decoded.ok);
      assert.deepStrictEqual(plain(decoded.value), h);
    }));
    fc.assert(fc.property(fc.boolean(), shortString, shortString, (ok, reason, incarnation) => {
      const decoded = decodeHandshakeReply(payloadOf(encodeHandshakeReplyFrame({ ok, reason, incarnation }), FrameKind.HandshakeReply));
      assert.ok(decoded.ok);
      assert.deepStrictEqual(plain(decoded.value), { ok, reason, incarnation });
    }));
  });

  it('round-trip: snapshot begin, chunk, end, abort, ack', () => {
    fc.assert(fc.property(u32, bytes, fc.maxSafeNat(), u32, shortString, fc.constantFrom(0, 1, 2) as fc.Arbitrary<SnapshotAckStatus>, (streamId, data, totalBytes, crc32, reason, status) => {
      for (const [frame, kind] of [[encodeSnapshotBeginFrame(streamId, data), FrameKind.SnapshotBegin], [encodeSnapshotChunkFrame(streamId, data), FrameKind.SnapshotChunk]] as const) {
        const decoded = decodeStreamIdAndBytes(payloadOf(frame, kind));
        assert.ok(decoded.ok);
        assert.equal(decoded.value.streamId, streamId);
        assert.deepStrictEqual(Uint8Array.from(decoded.value.bytes), Uint8Array.from(data));
      }
      const end = decodeSnapshotEnd(payloadOf(encodeSnapshotEndFrame({ streamId, totalBytes, crc32 }), FrameKind.SnapshotEnd));
      assert.ok(end.ok);
      assert.deepStrictEqual(plain(end.value), { streamId, totalBytes, crc32 });
      const abort = decodeSnapshotAbort(payloadOf(encodeSnapshotAbortFrame({ streamId, reason }), FrameKind.SnapshotAbort));
      assert.ok(abort.ok);
      assert.deepStrictEqual(plain(abort.value), { streamId, reason });
      const ack = { streamId, consumedChunks: crc32, status, reason };
      const decodedAck = decodeSnapshotAck(payloadOf(encodeSnapshotAckFrame(ack), FrameKind.SnapshotAck));
      assert.ok(decodedAck.ok);
      assert.deepStrictEqual(plain(decodedAck.value), ack);
    }));
  });

  it('round-trip: request and response', () => {
    fc.assert(fc.property(u32, bytes, fc.boolean(), (requestId, payload, ok) => {
      const request = decodeRequest(payloadOf(encodeRequestFrame(requestId, payload), FrameKind.Request));
      assert.ok(request.ok);
      assert.equal(request.value.requestId, requestId);
      assert.deepStrictEqual(Uint8Array.from(request.value.payload), Uint8Array.from(payload));
      const response = decodeResponse(payloadOf(encodeResponseFrame({ requestId, ok, payload }), FrameKind.Response));
      assert.ok(response.ok);
      assert.equal(response.value.ok, ok);
      assert.deepStrictEqual(Uint8Array.from(response.value.payload), Uint8Array.from(payload));
    }));
  });

  it('clips an over-long refusal reason to fit the wire', () => {
    const decoded = decodeHandshakeReply(payloadOf(encodeHandshakeReplyFrame({ ok: false, reason: 'é'.repeat(500), incarnation: 'x' }), FrameKind.HandshakeReply));
    assert.ok(decoded.ok);
    assert.ok(decoded.value.reason.length > 0 && Buffer.byteLength(decoded.value.reason) <= 255);
  });

  it('rejects a malformed ack status as an error value', () => {
    const frame = encodeSnapshotAckFrame({ streamId: 1, consumedChunks: 1, status: SnapshotAckStatus.Progress, reason: '' });
    frame[FRAME_HEADER_BYTES + 8] = 9;
    assert.equal(decodeSnapshotAck(frame.subarray(FRAME_HEADER_BYTES)).ok, false);
  });

  it('validates frameMaxBytes with a precise message', () => {
    assert.throws(() => validateFrameMaxBytes(0), /invalid frameMaxBytes 0: must be an integer in \[1024, 1073741824\]/);
    validateFrameMaxBytes(16 * 1024 * 1024);
  });
});
