// RAFT.BACKUP: a consistent copy of the whole state machine, pulled by `raftis backup` in
// chunks over an ordinary client connection, from any node.
//   RAFT.BACKUP BEGIN        after a linearizable read barrier, opens a snapshot of the state
//                            at this node's applied index (at or past the read point, so it
//                            holds every write acknowledged before BEGIN); replies
//                            [applied index, cluster id, node id]
//   RAFT.BACKUP NEXT         the next chunk of the snapshot stream (kv/snapshot.ts), or nil at the
//                            end (and again for every NEXT after it, so a client may pipeline NEXTs)
//   RAFT.BACKUP END          closes it early
// The snapshot is copy-on-write, so writes continue meanwhile; the client pulls, so a slow
// disk on its side slows only its own connection. One open backup per connection, a bounded
// number per node, and one left idle is closed (a client that went away without END).

import type { Reply } from '../kv/reply.js';
import type { SnapshotSource } from '../kv/snapshot.js';
import type { ClientConnection } from '../resp/server.js';
import { errorReply } from './errors.js';
import { serverCommand, unknownSubcommand, type ServerCommand } from './command-registry.js';

/** Backups open on one node at once: each keeps copies of the keys written while it runs. */
export const BACKUPS_OPEN_MAX = 4;
/** A backup with no NEXT for this long is closed (its client is gone or stuck). */
export const BACKUP_IDLE_MS = 60_000;

export interface BackupDeps {
  /** A linearizable read barrier: null once passed, or the error reply. */
  readonly barrier: (done: (error: Reply | null) => void) => void;
  readonly beginSnapshot: () => SnapshotSource;
  readonly clusterId: string;
  readonly nodeId: string;
  /** Bytes asked of the snapshot per NEXT (the snapshot itself bounds one step's work). */
  readonly chunkBytes: number;
  readonly now: () => number;
}

interface OpenBackup {
  readonly source: SnapshotSource;
  lastUseMs: number;
  /** The stream ended (the snapshot is closed); NEXT answers nil until END or the connection goes. */
  finished: boolean;
}

const bulk = (bytes: Uint8Array | string): Reply => ({ kind: 'bulk', value: typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
const OK: Reply = { kind: 'simple', value: 'OK' };

export class Backups {
  private readonly open = new Map<ClientConnection, OpenBackup>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly deps: BackupDeps) {}

  command(): ServerCommand {
    return serverCommand('raft.backup', 2, ['admin', 'noscript', 'no_multi'], ({ conn, argv, done }) => {
      const sub = argv[1]?.toString('latin1').toLowerCase();
      switch (sub) {
        case 'begin': return this.begin(conn, done);
        case 'next': return done(this.next(conn));
        case 'end':
          this.close(conn);
          return done(OK);
        default: return done(unknownSubcommand('raft.backup', argv[1]));
      }
    }, [0, 0, 0], { begin: 2, next: 2, end: 2 });
  }

  private begin(conn: ClientConnection, done: (reply: Reply) => void): void {
    this.close(conn);
    this.sweep();
    if (this.open.size >= BACKUPS_OPEN_MAX) return done(errorReply(`ERR ${BACKUPS_OPEN_MAX} backups are already running on this node; try again later`));
    this.deps.barrier((error) => {
      if (error !== null) return done(error);
      if (conn.closed) return;
      const source = this.deps.beginSnapshot();
      this.open.set(conn, { source, lastUseMs: this.deps.now(), finished: false });
      this.startSweeper();
      done({ kind: 'array', value: [{ kind: 'integer', value: source.appliedIndex }, bulk(this.deps.clusterId), bulk(this.deps.nodeId)] });
    });
  }

  private next(conn: ClientConnection): Reply {
    const backup = this.open.get(conn);
    if (backup === undefined) return errorReply('ERR no backup is open on this connection (RAFT.BACKUP BEGIN first)');
    backup.lastUseMs = this.deps.now();
    const chunk = backup.finished ? null : backup.source.next(this.deps.chunkBytes);
    if (chunk !== null) return bulk(chunk);
    if (!backup.finished) backup.source.close();
    backup.finished = true;
    return { kind: 'bulk', value: null };
  }

  private close(conn: ClientConnection): void {
    const backup = this.open.get(conn);
    if (backup === undefined) return;
    this.open.delete(conn);
    if (!backup.finished) backup.source.close();
    if (this.open.size === 0) this.stopSweeper();
  }

  /** Closes backups whose connection closed or that sat idle too long. */
  private sweep(): void {
    const now = this.deps.now();
    for (const [conn, backup] of [...this.open]) if (conn.closed || now - backup.lastUseMs > BACKUP_IDLE_MS) this.close(conn);
  }

  private startSweeper(): void {
    if (this.sweeper !== null) return;
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
  }

  private stopSweeper(): void {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
  }

}
