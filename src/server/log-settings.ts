// notify-keyspace-events as CONFIG SET and CONFIG GET see it. It is replicated state (every
// node must emit the same events in the same order), so CONFIG SET proposes it as a log
// entry and answers once that entry applied; CONFIG GET reads this node's applied value.
// The setting wraps the registry's CONFIG row: everything else goes to that row.

import type { Reply } from '../kv/reply.js';
import { formatNotifyFlags, INVALID_NOTIFY_FLAGS, parseNotifyFlags, raftisNotifyCommandName } from '../kv/keyspace-events.js';
import type { KeyspaceEvents } from '../kv/keyspace-events.js';
import { globMatch } from '../kv/glob.js';
import type { ClientConnection } from '../resp/server.js';
import { errorReply } from './errors.js';
import type { ServerCall, ServerCommand } from './command-registry.js';

const NAME = 'notify-keyspace-events';
const NAME_BYTES = Buffer.from(NAME);

export interface NotifySettingDeps {
  readonly events: KeyspaceEvents;
  /** Proposes `argv` as the connection's next write; `done` gets the applied reply. */
  write(conn: ClientConnection, argv: readonly Uint8Array[], done: (reply: Reply) => void): void;
}

/** The rows with CONFIG wrapped so that SET and GET of notify-keyspace-events reach the replicated setting. */
export function withNotifySetting(rows: readonly ServerCommand[], deps: NotifySettingDeps): ServerCommand[] {
  return rows.map((row) => (row.name === 'config' ? { ...row, run: (call: ServerCall) => configWithNotify(call, row, deps) } : row));
}

function configWithNotify(call: ServerCall, row: ServerCommand, deps: NotifySettingDeps): void {
  const { argv, conn, done } = call;
  const sub = argv[1]?.toString('latin1').toLowerCase();
  if (sub === 'set' && argv.length === 4 && argv[2]?.toString('latin1').toLowerCase() === NAME) {
    const value = argv[3] as Buffer;
    if (parseNotifyFlags(value.toString('latin1')) === null) return done(errorReply(INVALID_NOTIFY_FLAGS));
    return deps.write(conn, [Buffer.from(raftisNotifyCommandName), value], done);
  }
  if (sub !== 'get' || argv.length < 3) return row.run(call);
  const wanted = argv.slice(2).some((pattern) => globMatch(Buffer.from(pattern.toString('latin1').toLowerCase(), 'latin1'), NAME_BYTES));
  if (!wanted) return row.run(call);
  row.run({ ...call, done: (reply) => done(withPair(reply, formatNotifyFlags(deps.events.flags))) });
}

/** CONFIG GET's reply with the setting's pair added (a flat array in RESP2, a map in RESP3). */
function withPair(reply: Reply, value: string): Reply {
  const pair = [{ kind: 'bulk', value: NAME_BYTES }, { kind: 'bulk', value: Buffer.from(value) }] as const;
  if (reply.kind === 'array' && reply.value !== null) return { kind: 'array', value: [...reply.value, ...pair] };
  if (reply.kind === 'map') return { kind: 'map', value: [...reply.value, pair] };
  return reply;
}
