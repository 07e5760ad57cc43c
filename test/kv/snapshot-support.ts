// Shared by the snapshot tests: a whole snapshot stream in chunks, and a restore from chunks.

import type { KvStateMachine } from '../../src/kv/state-machine.js';

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
