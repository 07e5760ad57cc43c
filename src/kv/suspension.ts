// An entry's apply suspended while a script in it is paused between slices (the VM's
// PausedRun, script/script-vm.ts), and resumed later with the outcome it would have had
// unpaused (docs/internals/scripting.md, "Long scripts").
//
// A script runs several calls deep in apply (the entry, the calling user, the keyspace events,
// the handler's context, the script command). When its run pauses, the script command answers
// `suspendedReply`, and each layer on the way out, seeing it, skips its work after the command
// and leaves a frame here instead: what it had set and must set again while the run goes on
// (`enter`, `leave`), and its work after the command (`finish`). Resuming puts the frames back,
// outermost first, and goes on with the run; when the run ends, each frame, innermost first,
// takes its setting off again and finishes, as the layer would have done unpaused.

import type { Reply } from './reply.js';
import { errorReply } from './replies.js';
import { isPausedRun, type PausedRun } from './script/script-vm.js';

/**
 * What a script command answers when its run paused: never a client's reply, compared by
 * identity, and seen only inside a pausable apply (KvStateMachine.applyPausable).
 */
export const suspendedReply: Reply = errorReply('ERR internal: the script paused between slices');

/** What one layer between the entry's apply and a paused script run does around the pause. */
export interface SuspendedFrame {
  /** Sets again what the layer had set while the command ran (before the run resumes). */
  readonly enter?: () => void;
  /** Takes that off again (the run paused again, or ended). */
  readonly leave?: () => void;
  /** The layer's work after the command, given the command's reply: the reply it answers. */
  readonly finish?: (reply: Reply) => Reply;
}

export class Suspension {
  /** Innermost first: the order the layers saw the suspended reply in. */
  private readonly frames: SuspendedFrame[] = [];
  /** The script command whose run paused (EVAL, FCALL...), as applied: FUNCTION STATS shows it. */
  command: readonly Uint8Array[] = [];

  constructor(private paused: PausedRun<Reply>) {}

  /** The paused run as it stands. */
  get run(): PausedRun<Reply> {
    return this.paused;
  }

  /** A layer the suspended command passed through on its way out. */
  push(frame: SuspendedFrame): void {
    this.frames.push(frame);
  }

  /** Ends the run where it paused; nothing of it runs any more (the frames are dropped). */
  abandon(): void {
    this.paused.abandon();
    this.frames.length = 0;
  }

  /** Goes on with the run: the command's reply through every layer, or null when it paused again. */
  resume(): Reply | null {
    const frames = this.frames;
    for (let i = frames.length - 1; i >= 0; i--) frames[i]?.enter?.();
    const outcome = this.paused.resume();
    if (isPausedRun(outcome)) {
      this.paused = outcome;
      for (const frame of frames) frame.leave?.();
      return null;
    }
    let reply = outcome;
    for (const frame of frames) {
      frame.leave?.();
      if (frame.finish !== undefined) reply = frame.finish(reply);
    }
    return reply;
  }
}
