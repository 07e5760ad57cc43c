// Round trips of the control frames: handshake, snapshot stream frames, request/response.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AUTH_MAC_BYTES,
  AUTH_NONCE_BYTES,
  AuthMethod,
  FRAME_HEADER_BYTES,
  FrameKind,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_AUTH,
  SnapshotAckStatus,
  decodeAuthChallenge,
  decodeAuthProof,
  decodeHandshake,
  decodeHandshakeReply,
  decodeRequest,
  decodeResponse,
  decodeSnapshotAbort,
  decodeSnapshotAck,
  decodeSnapshotEnd,
  decodeStreamIdAndBytes,
  encodeAuthChallengeFrame,
  encodeAuthProofFrame,
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
    const versionWithoutAuth = fc.nat({ max: 0xffff }).filter((v) => v !== PROTOCOL_VERSION_AUTH);
    fc.assert(fc.property(versionWithoutAuth, shortString, shortString, shortString, shortString, (version, clusterId, fromNodeId, toNodeId, incarnation) => {
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

  it('round-trip: the version-2 handshake with its nonce, the auth challenge and the proof', () => {
    const nonce = fc.uint8Array({ minLength: AUTH_NONCE_BYTES, maxLength: AUTH_NONCE_BYTES });
    const mac = fc.uint8Array({ minLength: AUTH_MAC_BYTES, maxLength: AUTH_MAC_BYTES });
    fc.assert(fc.property(shortString, shortString, shortString, shortString, nonce, mac, (clusterId, fromNodeId, toNodeId, incarnation, n, m) => {
      const h = { version: PROTOCOL_VERSION_AUTH, clusterId, fromNodeId, toNodeId, incarnation, auth: { method: AuthMethod.HmacSha256, nonce: n } };
      const decoded = decodeHandshake(payloadOf(encodeHandshakeFrame(h), FrameKind.Handshake));
      assert.ok(decoded.ok);
      assert.deepStrictEqual({ ...decoded.value, auth: { ...decoded.value.auth, nonce: Uint8Array.from(decoded.value.auth?.nonce ?? []) } }, h);
      const challenge = decodeAuthChallenge(payloadOf(encodeAuthChallengeFrame({ nonce: n, mac: m }), FrameKind.AuthChallenge));
      assert.ok(challenge.ok);
      assert.deepStrictEqual([Uint8Array.from(challenge.value.nonce), Uint8Array.from(challenge.value.mac)], [n, m]);
      const proof = decodeAuthProof(payloadOf(encodeAuthProofFrame(m), FrameKind.AuthProof));
      assert.ok(proof.ok);
      assert.deepStrictEqual(Uint8Array.from(proof.value), m);
    }));
  });

  it('rejects a version-2 handshake cut short, with an unknown method, or with trailing bytes', () => {
    const payload = payloadOf(encodeHandshakeFrame({ version: PROTOCOL_VERSION_AUTH, clusterId: 'c', fromNodeId: 'n1', toNodeId: 'n2', incarnation: 'i', auth: { method: AuthMethod.HmacSha256, nonce: new Uint8Array(AUTH_NONCE_BYTES) } }), FrameKind.Handshake);
    assert.match(String((decodeHandshake(payload.subarray(0, payload.length - 1)) as { error: string }).error), /truncated handshake nonce/);
    const badMethod = Buffer.from(payload);
    badMethod[payload.length - AUTH_NONCE_BYTES - 1] = 7;
    assert.match(String((decodeHandshake(badMethod) as { error: string }).error), /unknown handshake auth method 7/);
    assert.match(String((decodeHandshake(Buffer.concat([payload, Buffer.of(0)])) as { error: string }).error), /1 trailing bytes after handshake/);
    assert.match(String((decodeAuthProof(new Uint8Array(AUTH_MAC_BYTES - 1)) as { error: string }).error), /truncated proof mac/);
    assert.match(String((decodeAuthChallenge(new Uint8Array(AUTH_NONCE_BYTES + AUTH_MAC_BYTES + 1)) as { error: string }).error), /trailing bytes after auth challenge/);
    assert.throws(() => encodeHandshakeFrame({ version: PROTOCOL_VERSION_AUTH, clusterId: 'c', fromNodeId: 'n1', toNodeId: 'n2', incarnation: '' }), /handshake version 2 without auth fields/);
    assert.throws(() => encodeHandshakeFrame({ version: PROTOCOL_VERSION, clusterId: 'c', fromNodeId: 'n1', toNodeId: 'n2', incarnation: '', auth: { method: AuthMethod.HmacSha256, nonce: new Uint8Array(AUTH_NONCE_BYTES) } }), /handshake version 1 with auth fields/);
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
