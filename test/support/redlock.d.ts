// Types of redlock 4 (the npm registry's current release, plain JavaScript), for the part the
// application tests use: acquire, extend, release, and its LockError.

declare module 'redlock' {
  import type { Redis } from 'ioredis';

  interface RedlockOptions {
    /** Multiplied by the TTL: the clock drift a lock's validity leaves out. */
    readonly driftFactor?: number;
    /** Attempts after the first; -1 retries until the lock is acquired. */
    readonly retryCount?: number;
    readonly retryDelay?: number;
    readonly retryJitter?: number;
  }

  class Lock {
    readonly resource: string;
    readonly value: string;
    /** When the lock's validity ends, ms since the epoch (the TTL less the drift). */
    readonly expiration: number;
    unlock(): Promise<void>;
    extend(ttlMs: number): Promise<Lock>;
  }

  class Redlock {
    /** What lock, extend and unlock reject with when the resource is held by another or the lock was lost. */
    static readonly LockError: new (message?: string) => Error;
    constructor(clients: readonly Redis[], options?: RedlockOptions);
    lock(resource: string | readonly string[], ttlMs: number): Promise<Lock>;
    unlock(lock: Lock): Promise<void>;
    quit(): Promise<void>;
  }

  export = Redlock;
}
