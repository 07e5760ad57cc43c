// SYNC and REPLCONF for `redis-cli --rdb FILE` (and --functions-rdb): redis-cli 7.0 sends
// `REPLCONF rdb-only 1` (and `REPLCONF rdb-filter-only functions`), then SYNC, and reads the
// answer as `$<length>\r\n` and that many bytes of RDB. raftis answers SYNC with an RDB file
// (version 10, kv/rdb/rdb-export.ts, what `raftis export-rdb` writes) of the state at a
// linearizable read point: after the barrier it opens a copy-on-write snapshot of the state
// machine, decodes it into a state machine of its own and writes that out, a bounded amount
// per event-loop turn, so writes go on meanwhile. Replication itself is Raft's: PSYNC, what a
// Redis replica sends, is refused with the way to get a copy instead.

import type { Reply } from '../kv/reply.js';
import type { SnapshotSource } from '../kv/snapshot.js';
import { StateLoader } from '../kv/state-loader.js';
import { rdbFilePieces } from '../kv/rdb/rdb-export.js';
import type { KvStateMachine } from '../kv/state-machine.js';
import type { ClientConnection } from '../resp/server.js';
import { errorReply } from './errors.js';
import { serverCommand, type ServerCommand } from './command-registry.js';

/** SYNCs running on one node at once: each holds a decoded copy of the whole state while it runs. */
export const SYNCS_RUNNING_MAX = 1;

export interface SyncDeps {
  /** A linearizable read barrier: null once passed, or the error reply. */
  readonly barrier: (done: (error: Reply | null) => void) => void;
  readonly beginSnapshot: () => SnapshotSource;
  /** Bytes decoded or written per event-loop turn. */
  readonly chunkBytes: number;
  readonly now: () => number;
}

const OK: Reply = { kind: 'simple', value: 'OK' };
const PSYNC_REFUSED = 'ERR raftis does not replicate to Redis replicas: its nodes replicate with Raft (add one with raftis cluster add-node or --join); for a copy of the data use redis-cli --rdb, raftis backup or raftis export-rdb';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Syncs {
  private running = 0;
  /** Connections that asked for the function libraries only (REPLCONF rdb-filter-only functions). */
  private readonly functionsOnly = new WeakSet<ClientConnection>();

  constructor(private readonly deps: SyncDeps) {}

  commands(): ServerCommand[] {
    return [
      serverCommand('replconf', -1, ['admin', 'noscript', 'loading', 'stale', 'allow_busy'], ({ conn, argv, done }) => done(this.replconf(conn, argv))),
      serverCommand('sync', 1, ['admin', 'noscript', 'no_multi'], ({ conn, done }) => this.sync(conn, done)),
      serverCommand('psync', -3, ['admin', 'noscript', 'no_multi'], ({ done }) => done(errorReply(PSYNC_REFUSED))),
    ];
  }

  /** REPLCONF option value ...: Redis's checks; the options a replica sends are taken and ignored (its PSYNC is refused). */
  private replconf(conn: ClientConnection, argv: readonly Buffer[]): Reply {
    if (argv.length % 2 === 0) return errorReply('ERR syntax error');
    for (let i = 1; i < argv.length; i += 2) {
      const option = (argv[i] as Buffer).toString('latin1').toLowerCase();
      const value = (argv[i + 1] as Buffer).toString('latin1');
      if (option === 'rdb-filter-only') {
        if (value !== '' && value.toLowerCase() !== 'functions') return errorReply(`ERR Unsupported rdb-filter-only option: ${value}`);
        if (value === '') this.functionsOnly.delete(conn);
        else this.functionsOnly.add(conn);
      } else if (!['rdb-only', 'listening-port', 'ip-address', 'capa', 'ack', 'getack'].includes(option)) {
        return errorReply(`ERR Unrecognized REPLCONF option: ${(argv[i] as Buffer).toString('latin1')}`);
      }
    }
    return OK;
  }

  private sync(conn: ClientConnection, done: (reply: Reply) => void): void {
    if (this.running >= SYNCS_RUNNING_MAX) return done(errorReply(`ERR ${SYNCS_RUNNING_MAX} SYNC is already running on this node; try again later`));
    this.running++;
    const finish = (reply: Reply): void => {
      this.running--;
      done(reply);
    };
    this.deps.barrier((error) => {
      if (error !== null) return finish(error);
      this.rdbFile(this.deps.beginSnapshot(), conn, this.functionsOnly.has(conn)).then((file) => finish({ kind: 'bulk', value: file }), (failure: unknown) => {
        finish(errorReply(`ERR SYNC failed: ${failure instanceof Error ? failure.message : String(failure)}`));
      });
    });
  }

  /** The snapshot decoded into a state machine of its own, then written as an RDB file; a bounded step per turn. */
  private async rdbFile(source: SnapshotSource, conn: ClientConnection, functionsOnly: boolean): Promise<Buffer> {
    let kv: KvStateMachine;
    try {
      const loader = new StateLoader('the snapshot');
      for (let chunk = source.next(this.deps.chunkBytes); chunk !== null; chunk = source.next(this.deps.chunkBytes)) {
        loader.write(chunk);
        await turn();
        if (conn.closed) throw new Error('the client went away');
      }
      kv = loader.finish(source.appliedIndex);
    } finally {
      source.close();
    }
    const pieces: Buffer[] = [];
    let sinceTurn = 0;
    for (const piece of rdbFilePieces(kv, this.deps.now(), { functionsOnly })) {
      pieces.push(piece.bytes);
      sinceTurn += piece.bytes.length;
      if (sinceTurn < this.deps.chunkBytes) continue;
      sinceTurn = 0;
      await turn();
      if (conn.closed) throw new Error('the client went away');
    }
    return Buffer.concat(pieces);
  }
}
