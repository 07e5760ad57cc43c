// A small deterministic pseudo-random source for the core (mulberry32). The core never calls
// Math.random(): every random choice (the election timeout) comes from an injected Prng, so a
// run is replayed exactly from its seed.
import type { Prng } from './types.js';

/** A Prng seeded with a 32-bit integer; the same seed always yields the same sequence. */
export function seededPrng(seed: number): Prng {
  if (!Number.isInteger(seed)) throw new Error(`seededPrng: seed must be an integer (got ${seed})`);
  let state = seed >>> 0;
  const next32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    nextInt(bound: number): number {
      if (!Number.isInteger(bound) || bound <= 0 || bound > 0x1_0000_0000) {
        throw new Error(`Prng.nextInt: bound must be an integer in [1, 2^32] (got ${bound})`);
      }
      // Multiply-shift keeps the bias below 2^-32 per draw, far below anything a test can see.
      return Math.floor((next32() / 0x1_0000_0000) * bound);
    },
  };
}
