// The server's write path in the simulator: each incarnation of a node runs the real
// WritePath (src/server/write-path.ts), so a client's write on a follower is forwarded to the
// leader, retried across leader changes until its deadline, and answered once, with the
// request id (origin incarnation, client, seq) that makes retries exactly-once. Only the
// peer request it forwards with is simulated: one network hop to the leader, the leader's
// WritePath.handleForwarded, one hop back, and a time-out as the transport's request has.
import type { Reply } from '../kv/reply.js';
import type { Clock } from '../node/ports.js';
import type { RaftNode } from '../node/raft-node.js';
import { decodeForwardedReply, encodeForwardedReply } from '../server/forwarded-reply.js';
import { WritePath } from '../server/write-path.js';
import { EventKind } from './event-queue.js';
import { SIM_NO_LEADER_WAIT_MS, SIM_REQUEST_TIMEOUT_MS, SIM_TICK_MS, SIM_WRITE_BATCH_BYTES_MAX, SIM_WRITE_BATCH_COMMANDS_MAX } from './sim-options.js';

export interface ForwardHost {
  schedule(delayMs: number, node: number, kind: EventKind, run: () => void): void;
  /** Delivery delay for one message from → to, or null when it is lost. */
  hop(from: number, to: number): number | null;
  indexOf(id: string): number;
  /** The write path of the node's live incarnation, null while it is down. */
  writePathOf(index: number): WritePath | null;
}

export interface SimWritePathOptions {
  readonly index: number;
  /** Unique per incarnation, as the server's node id and boot id are. */
  readonly origin: string;
  readonly runtime: RaftNode<Reply>;
  readonly clock: Clock;
  readonly alive: () => boolean;
}

export function createSimWritePath(host: ForwardHost, options: SimWritePathOptions): WritePath {
  const { clock } = options;
  return new WritePath({
    origin: options.origin,
    node: options.runtime,
    requestTimeoutMs: SIM_REQUEST_TIMEOUT_MS,
    noLeaderWaitMs: SIM_NO_LEADER_WAIT_MS,
    retryDelayMs: SIM_TICK_MS,
    forward: (to, payload, timeoutMs) => forward(host, options, host.indexOf(to), payload, timeoutMs),
    encodeReply: encodeForwardedReply,
    decodeReply: decodeForwardedReply,
    now: () => clock.now(),
    setTimer: (ms, fn) => clock.setTimer(ms, fn),
    batchCommandsMax: SIM_WRITE_BATCH_COMMANDS_MAX,
    batchBytesMax: SIM_WRITE_BATCH_BYTES_MAX,
  });
}

/** A peer request: the answer comes back over the network, or the request times out; nothing reaches a crashed sender. */
function forward(host: ForwardHost, sender: SimWritePathOptions, target: number, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
  const from = sender.index;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (then: () => void): void => {
      if (settled || !sender.alive()) return;
      settled = true;
      then();
    };
    host.schedule(timeoutMs, from, EventKind.Forward, () => settle(() => reject(new Error(`no answer within ${timeoutMs} ms`))));
    const there = host.hop(from, target);
    if (there === null) return;
    host.schedule(there, target, EventKind.Forward, () => {
      const leader = host.writePathOf(target);
      if (leader === null) return;
      leader.handleForwarded(payload).then(
        (answer) => {
          const back = host.hop(target, from);
          if (back !== null) host.schedule(back, from, EventKind.Forward, () => settle(() => resolve(answer)));
        },
        (error: unknown) => settle(() => reject(error instanceof Error ? error : new Error(String(error)))),
      );
    });
  });
}
