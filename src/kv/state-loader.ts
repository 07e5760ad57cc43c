// A state machine of its own built from a snapshot stream (kv/snapshot.ts), chunk by chunk:
// what `raftis backup`'s file or RAFT.BACKUP's stream holds, decoded for export (RDB) or
// checks, without touching any running state.

import { KvStateMachine } from './state-machine.js';

/** Builds a state machine of its own from a snapshot stream, chunk by chunk (nothing else is touched). */
export class StateLoader {
  readonly kv = new KvStateMachine();
  private readonly sink;
  bytes = 0;

  constructor(private readonly what: string) {
    this.kv.acl.awaitCommands(); // users may name server commands, which a bare state machine lacks
    this.sink = this.kv.beginRestore();
  }

  write(chunk: Uint8Array): void {
    const refused = this.sink.write(chunk);
    if (refused !== null) throw new Error(`${this.what}: ${refused.message}`);
    while (this.sink.step(Number.MAX_SAFE_INTEGER));
    this.bytes += chunk.length;
  }

  /** Installs the state; `appliedIndex` is the index the stream claimed to be at. */
  finish(appliedIndex: number): KvStateMachine {
    const failed = this.sink.finish();
    if (failed !== null) throw new Error(`${this.what}: ${failed.message}`);
    if (this.kv.appliedIndex !== appliedIndex) throw new Error(`${this.what}: the header says index ${appliedIndex}, the state is at ${this.kv.appliedIndex}`);
    return this.kv;
  }
}

