// A state machine's state as an RDB file (version 10, Redis 7.0), in pieces: the header, the
// function libraries, then each live key, then the end and checksum. `raftis export-rdb`
// writes the pieces to a file; SYNC (redis-cli --rdb) sends them to the client. A caller that
// must not block for long takes the pieces a few at a time.

import type { KvStateMachine } from '../state-machine.js';
import { RdbFileWriter } from './rdb-file.js';

/** The redis-ver a file names: the version raftis answers as (INFO server). */
export const RDB_EXPORT_REDIS_VERSION = '7.0.0';

/** One piece of the file; `key` marks a key's record (for progress). */
export interface RdbPiece {
  readonly bytes: Buffer;
  readonly key: boolean;
}

/**
 * The file of `kv`'s state, piece by piece; nothing may change `kv` until the last. With
 * `functionsOnly` the file has no database at all, as Redis writes for redis-cli
 * --functions-rdb.
 */
export function* rdbFilePieces(kv: KvStateMachine, createdAtMs: number, options: { readonly functionsOnly?: boolean } = {}): Generator<RdbPiece> {
  const stats = kv.stats();
  const writer = new RdbFileWriter();
  yield { bytes: writer.header({ redisVersion: RDB_EXPORT_REDIS_VERSION, createdAtMs, usedMemoryBytes: stats.memoryBytes }), key: false };
  for (const code of kv.functionLibraries()) yield { bytes: writer.library(code), key: false };
  if (options.functionsOnly !== true) {
    yield { bytes: writer.database(stats.keys, stats.expires), key: false };
    for (const entry of kv.liveEntries()) yield { bytes: writer.entry(entry), key: true };
  }
  yield { bytes: writer.end(), key: false };
}
