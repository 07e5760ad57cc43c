// SCRIPT KILL and FUNCTION KILL (docs/internals/scripting.md, "BUSY and kill"): the leader
// proposes a kill decision for the script run its apply is paused in, once the run is past its
// kill point with no write; every replica's run obeys the first decision filed for its entry.
// A follower forwards the command to the leader (the admin forward, membership.ts).

import type { Reply } from '../kv/reply.js';
import { unkillableReply } from '../kv/script/kill-decisions.js';
import type { RaftNode } from '../node/raft-node.js';
import { errorReply, unknownError } from './errors.js';

const notBusy = errorReply('NOTBUSY No scripts in execution right now.');
const busyInFunction = errorReply('BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.');
const busyInScript = errorReply('BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.');

/** `SCRIPT KILL` or `FUNCTION KILL` (any case, nothing after): which, or null for any other command. */
export function killCommand(name: string, argv: readonly Uint8Array[]): 'script' | 'function' | null {
  if ((name !== 'script' && name !== 'function') || argv.length !== 2) return null;
  return Buffer.from(argv[1] as Uint8Array).toString('latin1').toLowerCase() === 'kill' ? name : null;
}

/** The leader's side of SCRIPT KILL / FUNCTION KILL: the reply, once the kill decision is applied or refused. */
export async function killOnLeader(node: RaftNode<Reply>, which: 'script' | 'function'): Promise<Reply> {
  try {
    const outcome = await node.killScript(which === 'function');
    switch (outcome.kind) {
      case 'notbusy': return notBusy;
      case 'unkillable': return unkillableReply;
      case 'other-kind': return which === 'script' ? busyInFunction : busyInScript;
      case 'decided': return outcome.reply;
    }
  } catch (error) {
    return unknownError(error);
  }
}
