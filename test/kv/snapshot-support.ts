// Shared by the snapshot tests: a whole snapshot stream in chunks, and a restore from chunks.

import assert from 'node:assert/strict';
import type { KvStateMachine } from '../../src/kv/state-machine.js';
import { Harness } from './harness.js';

/** The state machine's snapshot as chunks of at most about `chunkBytes`. */
export function takeSnapshot(kv: KvStateMachine, chunkBytes: number): Buffer[] {
  const source = kv.beginSnapshot();
  const chunks: Buffer[] = [];
  for (let chunk = source.next(chunkBytes); chunk !== null; chunk = source.next(chunkBytes)) chunks.push(Buffer.from(chunk));
  return chunks;
}

/** Restores `kv` from `chunks`; the error if the stream is refused. */
export function restore(kv: KvStateMachine, chunks: readonly Uint8Array[]): Error | null {
  const sink = kv.beginRestore();
  for (const chunk of chunks) {
    const error = sink.write(chunk);
    if (error !== null) return sink.finish() ?? error;
  }
  return sink.finish();
}

/** Chunk size that puts a value of a few hundred elements across many chunks. */
const halfWrittenChunkBytes = 256;

/**
 * Snapshots `live` in 256-byte chunks, applies `change` after `chunksBefore` of them (while
 * a big value is half written), finishes the stream, and restores it into a new harness.
 */
export function restoreAcrossChange(live: Harness, change: readonly string[], chunksBefore = 8): Harness {
  const source = live.kv.beginSnapshot();
  const chunks: Uint8Array[] = [];
  let chunk = source.next(halfWrittenChunkBytes);
  for (let i = 0; i < chunksBefore && chunk !== null; i++, chunk = source.next(halfWrittenChunkBytes)) chunks.push(Buffer.from(chunk));
  live.apply(...change);
  for (; chunk !== null; chunk = source.next(halfWrittenChunkBytes)) chunks.push(Buffer.from(chunk));
  source.close();
  const restored = new Harness();
  assert.equal(restore(restored.kv, chunks), null);
  return restored;
}
