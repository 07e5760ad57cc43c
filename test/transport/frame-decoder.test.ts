// The resumable frame decoder must yield the same frames however the byte stream is split.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDecoder } from '../../src/transport/frame-decoder.js';
import { FRAME_HEADER_BYTES, FRAME_MAX_BYTES_MIN, FrameKind, encodeFrame } from '../../src/transport/frame.js';
import type { FrameKind as FrameKindType } from '../../src/transport/frame.js';

interface Frame {
  kind: number;
  payload: Uint8Array;
}

const kinds = Object.values(FrameKind);
const frameArb = fc.record({
  kind: fc.constantFrom(...kinds),
  payload: fc.uint8Array({ maxLength: 300 }),
}, { noNullPrototype: true });

function encodeAll(frames: readonly Frame[]): Buffer {
  return Buffer.concat(frames.map((f) => encodeFrame(f.kind as FrameKindType, f.payload)));
}

function decodeChunks(chunks: readonly Uint8Array[], frameMaxBytes = 4096): { frames: Frame[]; error: string | null; idle: boolean } {
  const decoder = new FrameDecoder(frameMaxBytes);
  const frames: Frame[] = [];
  let error: string | null = null;
  for (const chunk of chunks) {
    error = decoder.push(chunk, (kind, payload) => frames.push({ kind, payload: Uint8Array.from(payload) }));
    if (error !== null) break;
  }
  return { frames, error, idle: decoder.isIdle() };
}

function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.byteLength + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

const normalize = (frames: readonly Frame[]) => frames.map((f) => ({ kind: f.kind, payload: Uint8Array.from(f.payload) }));

describe('frame decoder', () => {
  it('decodes a stream delivered whole', () => {
    fc.assert(fc.property(fc.array(frameArb, { maxLength: 20 }), (frames) => {
      const result = decodeChunks([encodeAll(frames)]);
      assert.equal(result.error, null);
      assert.ok(result.idle);
      assert.deepStrictEqual(result.frames, normalize(frames));
    }));
  });

  it('decodes a stream delivered byte by byte', () => {
    fc.assert(fc.property(fc.array(frameArb, { maxLength: 8 }), (frames) => {
      const bytes = encodeAll(frames);
      const chunks = Array.from({ length: bytes.byteLength }, (_, i) => bytes.subarray(i, i + 1));
      const result = decodeChunks(chunks);
      assert.equal(result.error, null);
      assert.deepStrictEqual(result.frames, normalize(frames));
    }), { numRuns: 50 });
  });

  it('decodes a stream split at random points', () => {
    fc.assert(fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 40 }), (frames, cuts) => {
      const result = decodeChunks(splitAt(encodeAll(frames), cuts));
      assert.equal(result.error, null);
      assert.ok(result.idle);
      assert.deepStrictEqual(result.frames, normalize(frames));
    }), { numRuns: 500 });
  });

  it('reports a half-received frame as not idle', () => {
    const bytes = encodeFrame(FrameKind.Raft, new Uint8Array(10));
    assert.equal(decodeChunks([bytes.subarray(0, 3)]).idle, false);
    assert.equal(decodeChunks([bytes.subarray(0, 8)]).idle, false);
  });

  it('hands out views of the read for frames inside one read, and fresh buffers never reused', () => {
    const read = encodeAll([{ kind: FrameKind.Raft, payload: new Uint8Array([1, 2, 3]) }, { kind: FrameKind.Raft, payload: new Uint8Array([4, 5, 6, 7]) }]);
    const decoder = new FrameDecoder(FRAME_MAX_BYTES_MIN);
    const seen: Uint8Array[] = [];
    // The second frame straddles two reads.
    decoder.push(read.subarray(0, 14), (_kind, payload) => seen.push(payload));
    decoder.push(read.subarray(14), (_kind, payload) => seen.push(payload));
    assert.equal(seen.length, 2);
    assert.equal(seen[0]?.buffer, read.buffer, 'a frame inside one read is a view of it');
    assert.notEqual(seen[1]?.buffer, read.buffer, 'a split frame is assembled in its own buffer');
    assert.deepStrictEqual(seen.map((s) => [...s]), [[1, 2, 3], [4, 5, 6, 7]]);
  });

  it('refuses a frame over frameMaxBytes, whole or split, and stays failed', () => {
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32LE(FRAME_MAX_BYTES_MIN + 1, 0);
    header[4] = FrameKind.Raft;
    const whole = decodeChunks([Buffer.concat([header, Buffer.alloc(10)])], FRAME_MAX_BYTES_MIN);
    assert.match(whole.error ?? '', /frame of 1025 bytes exceeds frameMaxBytes 1024/);
    const split = decodeChunks([header.subarray(0, 2), header.subarray(2)], FRAME_MAX_BYTES_MIN);
    assert.match(split.error ?? '', /exceeds frameMaxBytes/);
    const decoder = new FrameDecoder(FRAME_MAX_BYTES_MIN);
    decoder.push(header, () => {});
    let delivered = 0;
    assert.notEqual(decoder.push(encodeFrame(FrameKind.Raft, new Uint8Array(1)), () => delivered++), null);
    assert.equal(delivered, 0);
  });

  it('validates frameMaxBytes', () => {
    assert.throws(() => new FrameDecoder(10), /invalid frameMaxBytes 10/);
    assert.throws(() => new FrameDecoder(FRAME_MAX_BYTES_MIN + 0.5), /invalid frameMaxBytes/);
  });
});
