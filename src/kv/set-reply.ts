// What the set command files share: the type as commands name it and the reply shapes of
// members (SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count answer a RESP3 set, an
// array in RESP2; SRANDMEMBER with a count answers an array, since it may repeat members).

import type { Reply } from './reply.js';
import { bulkReply } from './replies.js';
import { SetValue } from './set-value.js';

export const setKind = { type: 'set', create: SetValue.create } as const;

export function memberReply(member: string): Reply {
  return bulkReply(Buffer.from(member, 'latin1'));
}

/** Distinct members as a RESP3 set (an array in RESP2). */
export function memberSetReply(members: Iterable<string>): Reply {
  return { kind: 'set', value: Array.from(members, memberReply) };
}
