// The simulator's one source of randomness: every delay, drop, fault and client choice of a
// run derives from its seed through this stream, so a seed replays the run exactly. The
// nodes' cores get their own seeds drawn from it (their election timeouts stay independent).
import { seededPrng } from '../raft/prng.js';
import type { Prng } from '../raft/types.js';

export class SimRandom {
  private readonly prng: Prng;

  constructor(seed: number) {
    this.prng = seededPrng(seed);
  }

  /** An integer in [0, bound). */
  int(bound: number): number {
    return this.prng.nextInt(bound);
  }

  /** An integer in [low, high] inclusive. */
  between(low: number, high: number): number {
    if (high < low) throw new Error(`SimRandom.between: high ${high} < low ${low}`);
    return low + this.prng.nextInt(high - low + 1);
  }

  /** A float in [0, 1) with 2^-32 resolution. */
  fraction(): number {
    return this.prng.nextInt(0x1_0000_0000) / 0x1_0000_0000;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.fraction() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('SimRandom.pick: no items');
    return items[this.prng.nextInt(items.length)] as T;
  }

  /** A 31-bit seed for a component that needs its own stream. */
  seed(): number {
    return this.prng.nextInt(0x8000_0000);
  }
}
