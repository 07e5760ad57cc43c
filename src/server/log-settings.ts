// The replicated settings raftis keeps outside RAFTIS.CONFIG, as CONFIG SET and CONFIG GET see
// them: notify-keyspace-events (every node must emit the same events in the same order) and
// stream-node-max-entries (`~` trimming depends on it). CONFIG SET proposes the setting's log
// entry and answers once it applied; CONFIG GET reads this node's applied value. They wrap
// the registry's CONFIG row: everything else goes to that row.

import type { Reply } from '../kv/reply.js';
import { formatNotifyFlags, INVALID_NOTIFY_FLAGS, parseNotifyFlags, raftisNotifyCommandName, type KeyspaceEvents } from '../kv/keyspace-events.js';
import { invalidNodeMaxEntries, parseNodeMaxEntries, raftisStreamNodeMaxEntriesName, type StreamSettings } from '../kv/stream-settings.js';
import { globMatch } from '../kv/glob.js';
import type { ClientConnection } from '../resp/server.js';
import { errorReply } from './errors.js';
import type { ServerCall, ServerCommand } from './command-registry.js';

export interface LogSettingsDeps {
  readonly events: KeyspaceEvents;
  readonly streams: StreamSettings;
  /** Proposes `argv` as the connection's next write; `done` gets the applied reply. */
  write(conn: ClientConnection, argv: readonly Uint8Array[], done: (reply: Reply) => void): void;
}

interface LogSetting {
  readonly name: string;
  /** The log entry that sets it. */
  readonly entry: string;
  /** Redis's error for a value it refuses, or null. */
  check(text: string): string | null;
  get(deps: LogSettingsDeps): string;
}

const SETTINGS: readonly LogSetting[] = [
  {
    name: 'notify-keyspace-events',
    entry: raftisNotifyCommandName,
    check: (text) => (parseNotifyFlags(text) === null ? INVALID_NOTIFY_FLAGS : null),
    get: (deps) => formatNotifyFlags(deps.events.flags),
  },
  {
    name: 'stream-node-max-entries',
    entry: raftisStreamNodeMaxEntriesName,
    check: (text) => (parseNodeMaxEntries(text) === null ? invalidNodeMaxEntries : null),
    get: (deps) => String(deps.streams.nodeMaxEntries),
  },
];

/** The rows with CONFIG wrapped so that SET and GET of these settings reach their replicated values. */
export function withLogSettings(rows: readonly ServerCommand[], deps: LogSettingsDeps): ServerCommand[] {
  return rows.map((row) => (row.name === 'config' ? { ...row, run: (call: ServerCall) => configWithLogSettings(call, row, deps) } : row));
}

function configWithLogSettings(call: ServerCall, row: ServerCommand, deps: LogSettingsDeps): void {
  const { argv, conn, done } = call;
  const sub = argv[1]?.toString('latin1').toLowerCase();
  const setting = SETTINGS.find((candidate) => candidate.name === argv[2]?.toString('latin1').toLowerCase());
  if (sub === 'set' && argv.length === 4 && setting !== undefined) {
    const value = argv[3] as Buffer;
    const refused = setting.check(value.toString('latin1'));
    if (refused !== null) return done(errorReply(refused));
    return deps.write(conn, [Buffer.from(setting.entry), value], done);
  }
  if (sub !== 'get' || argv.length < 3) return row.run(call);
  const patterns = argv.slice(2).map((pattern) => Buffer.from(pattern.toString('latin1').toLowerCase(), 'latin1'));
  const wanted = SETTINGS.filter((candidate) => patterns.some((pattern) => globMatch(pattern, Buffer.from(candidate.name))));
  if (wanted.length === 0) return row.run(call);
  row.run({ ...call, done: (reply) => done(withPairs(reply, wanted.map((found) => [found.name, found.get(deps)] as const))) });
}

/** CONFIG GET's reply with the settings' pairs added (a flat array in RESP2, a map in RESP3). */
function withPairs(reply: Reply, pairs: readonly (readonly [string, string])[]): Reply {
  const bulk = (text: string): Reply => ({ kind: 'bulk', value: Buffer.from(text) });
  if (reply.kind === 'array' && reply.value !== null) return { kind: 'array', value: [...reply.value, ...pairs.flatMap(([name, value]) => [bulk(name), bulk(value)])] };
  if (reply.kind === 'map') return { kind: 'map', value: [...reply.value, ...pairs.map(([name, value]) => [bulk(name), bulk(value)] as const)] };
  return reply;
}
