// Tells a live outbound connection from one that has silently stopped delivering.
//
// A connection whose packets are dropped (a partition made with iptables DROP) is neither
// closed nor reset: TCP retransmits with a timeout that doubles at each loss, so after a few
// seconds of drops the next retry may come many seconds after the network heals (chaos run:
// a voter heard nothing from a live leader for 12 s after a heal). Neither Node nor the Raft
// traffic shows it: a write is accepted into the kernel's send buffer at once (the socket's
// writableLength stays 0), keep-alive probes only idle sockets, and a peer's answers to our
// Raft messages come back on the peer's own connection, which may be healthy. So the link
// asks: once it has written and heard nothing back on this connection for half the bound, it
// sends a probe (answered by the peer's transport on the same connection); a connection that
// has taken writes and delivered nothing back for the whole bound, nor drained bytes Node
// was holding, is stalled and is redialled. A fresh connection starts with a fresh
// retransmission timer.

export type StallVerdict =
  /** Nothing written since the connection last answered: no check is due. */
  | { readonly kind: 'idle' }
  /** Check again at `atMs`. */
  | { readonly kind: 'wait'; readonly atMs: number }
  /** Send a probe now, then check again at `atMs`. */
  | { readonly kind: 'probe'; readonly atMs: number }
  /** Written to for `silentMs` with nothing heard back: redial. */
  | { readonly kind: 'stalled'; readonly silentMs: number };

/** The watch over one connection; pure (times and byte counts are passed in). */
export class LinkStallWatch {
  /** Time of the first write since the connection last delivered a frame to us; null: none since. */
  private unansweredSinceMs: number | null = null;
  private probed = false;
  /** At the last check: bytes the kernel had taken, and bytes Node still held. */
  private acceptedBytes = 0;
  private heldBytes = 0;

  constructor(private readonly stallMs: number) {}

  /** A write on the connection. True when the watch starts, so the caller schedules a check. */
  wrote(nowMs: number): boolean {
    if (this.unansweredSinceMs !== null) return false;
    this.unansweredSinceMs = nowMs;
    this.probed = false;
    return true;
  }

  /** A frame arrived on the connection: it delivers both ways. */
  heard(): void {
    this.unansweredSinceMs = null;
    this.probed = false;
  }

  /**
   * `acceptedBytes`: bytes of the connection's writes the kernel has taken so far;
   * `heldBytes`: bytes queued that it has not taken yet. When bytes were held at the last
   * check and the kernel has taken more since, the peer acknowledges data (a slow reader of
   * a big backlog, not a dead link): the clock starts again.
   */
  check(nowMs: number, acceptedBytes: number, heldBytes: number): StallVerdict {
    const drained = this.heldBytes > 0 && acceptedBytes > this.acceptedBytes;
    this.acceptedBytes = acceptedBytes;
    this.heldBytes = heldBytes;
    const since = this.unansweredSinceMs;
    if (since === null) return { kind: 'idle' };
    if (drained) {
      this.unansweredSinceMs = nowMs;
      this.probed = false;
      return { kind: 'wait', atMs: nowMs + this.halfMs() };
    }
    const silentMs = nowMs - since;
    if (silentMs >= this.stallMs) return { kind: 'stalled', silentMs };
    if (!this.probed && silentMs >= this.halfMs()) {
      this.probed = true;
      return { kind: 'probe', atMs: since + this.stallMs };
    }
    return { kind: 'wait', atMs: since + (this.probed ? this.stallMs : this.halfMs()) };
  }

  private halfMs(): number {
    return Math.max(1, Math.floor(this.stallMs / 2));
  }
}
