// The stream settings applying the log depends on: stream-node-max-entries decides where
// `~` trimming may cut (stream-value.ts), so every replica must hold the same value. Set at
// start-up to Redis's default and changed through the log (CONFIG SET proposes
// RAFTIS.STREAM-NODE-MAX-ENTRIES, src/server/notify-setting.ts).

import { command, noKeys, type CommandSpec } from './command-spec.js';
import type { CommandContext } from './command-context.js';
import type { Reply } from './reply.js';
import { errorReply, okReply } from './replies.js';
import { streamNodeMaxEntriesDefault } from './stream-value.js';

export class StreamSettings {
  /** Entries per radix-tree node as Redis counts them; 0 = no limit. */
  nodeMaxEntries = streamNodeMaxEntriesDefault;
}

export const raftisStreamNodeMaxEntriesName = 'raftis.stream-node-max-entries';

/** Redis's range for stream-node-max-entries: 0 to LONG_MAX. */
export function parseNodeMaxEntries(text: string): number | null {
  return /^\d{1,15}$/.test(text) ? Number(text) : null;
}

export const invalidNodeMaxEntries = "ERR CONFIG SET failed (possibly related to argument 'stream-node-max-entries') - argument couldn't be parsed into an integer";

function setNodeMaxEntries(context: CommandContext, argv: readonly Uint8Array[]): Reply {
  const value = parseNodeMaxEntries(Buffer.from(argv[1] ?? new Uint8Array(0)).toString('latin1'));
  if (value === null) return errorReply(invalidNodeMaxEntries);
  if (context.streams !== null) context.streams.nodeMaxEntries = value;
  return okReply;
}

export const streamSettingCommands: readonly CommandSpec[] = [
  command(raftisStreamNodeMaxEntriesName, 2, ['write', 'internal', 'fast'], noKeys, setNodeMaxEntries),
];
