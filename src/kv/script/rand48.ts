// Redis's PRNG for scripts' math.random (rand.c: a 48-bit linear congruential generator,
// drand48's constants), so math.randomseed(n) then math.random() gives Redis's numbers.
// Seeded per run from the entry, so every replica draws the same sequence.

const multiplier = 0x5deece66dn;
const increment = 0xbn;
const mask48 = (1n << 48n) - 1n;
/** REDIS_LRAND48_MAX: lrand48 values are 31-bit. */
const lrand48Max = 2147483647;

export class Rand48 {
  private state = 0n;

  constructor(seedValue: number) {
    this.seed(seedValue);
  }

  /** redisSrand48: the seed's 32 bits above 0x330E. */
  seed(seedValue: number): void {
    this.state = ((BigInt(seedValue >>> 0) << 16n) | 0x330en) & mask48;
  }

  /** redisLrand48: the next 31-bit value. */
  next(): number {
    this.state = (this.state * multiplier + increment) & mask48;
    return Number(this.state >> 17n);
  }

  /** Lua's math.random() in Redis: (lrand48 % MAX) / MAX, in [0, 1). */
  nextFraction(): number {
    return (this.next() % lrand48Max) / lrand48Max;
  }
}
