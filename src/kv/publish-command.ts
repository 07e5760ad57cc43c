// RAFTIS.PUBLISH, the log entry of a PUBLISH or SPUBLISH (src/server/pubsub.ts): it changes
// no key; its reply carries the message, and every node delivers it to its own subscribers
// when it applies the entry, so every node delivers the cluster's messages in one order.

import { command, noKeys, type CommandSpec } from './command-spec.js';
import type { Reply } from './reply.js';
import { errorReply } from './replies.js';

export const raftisPublishCommandName = 'raftis.publish';

/** The reply of an applied publish: a push naming the kind ('message' or 'smessage'), the channel and the payload. */
export interface PublishedMessage {
  readonly sharded: boolean;
  readonly channel: Uint8Array;
  readonly payload: Uint8Array;
}

const MARK = Buffer.from(raftisPublishCommandName);
const KIND_SHARDED = Buffer.from('smessage');
const KIND_PLAIN = Buffer.from('message');

/** The entry's argv: RAFTIS.PUBLISH message|smessage channel payload. */
export function publishArgv(sharded: boolean, channel: Uint8Array, payload: Uint8Array): Uint8Array[] {
  return [MARK, sharded ? KIND_SHARDED : KIND_PLAIN, channel, payload];
}

function publish(_context: unknown, argv: readonly Uint8Array[]): Reply {
  const [, kind, channel, payload] = argv;
  if (kind === undefined || channel === undefined || payload === undefined) return errorReply('ERR wrong number of arguments for \'raftis.publish\' command');
  return { kind: 'push', value: [{ kind: 'bulk', value: MARK }, { kind: 'bulk', value: kind }, { kind: 'bulk', value: channel }, { kind: 'bulk', value: payload }] };
}

/** The message an applied entry's reply carries, or null when the reply is not a publish's. */
export function publishedMessage(reply: Reply): PublishedMessage | null {
  if (reply.kind !== 'push' || reply.value.length !== 4) return null;
  const [mark, kind, channel, payload] = reply.value;
  if (mark?.kind !== 'bulk' || mark.value === null || !MARK.equals(mark.value)) return null;
  if (kind?.kind !== 'bulk' || channel?.kind !== 'bulk' || payload?.kind !== 'bulk' || kind.value === null || channel.value === null || payload.value === null) return null;
  return { sharded: KIND_SHARDED.equals(kind.value), channel: channel.value, payload: payload.value };
}

export const publishCommands: readonly CommandSpec[] = [
  command(raftisPublishCommandName, 4, ['write', 'internal', 'fast'], noKeys, publish),
];
