// Reconnect backoff: exponential from a minimum to a maximum, with "equal jitter" (half
// fixed, half random) so that nodes that lost a peer together do not redial in lockstep.
// The random source is injected so tests can pin it.

export interface BackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

export function validateBackoff(minMs: number, maxMs: number): void {
  if (!Number.isInteger(minMs) || minMs < 1) throw new RangeError(`invalid reconnectBackoffMinMs ${minMs}: must be an integer >= 1`);
  if (!Number.isInteger(maxMs) || maxMs < minMs) throw new RangeError(`invalid reconnectBackoffMaxMs ${maxMs}: must be an integer >= reconnectBackoffMinMs (${minMs})`);
}

export class Backoff {
  private failures = 0;

  constructor(private readonly options: BackoffOptions) {
    validateBackoff(options.minMs, options.maxMs);
  }

  /** The wait before the next attempt, after one more failure. */
  nextDelayMs(): number {
    // Cap the exponent so the doubling never overflows before the max clamps it.
    const exponent = Math.min(this.failures, 30);
    this.failures += 1;
    const ceiling = Math.min(this.options.maxMs, this.options.minMs * 2 ** exponent);
    const half = ceiling / 2;
    return Math.round(half + half * this.options.random());
  }

  reset(): void {
    this.failures = 0;
  }
}
