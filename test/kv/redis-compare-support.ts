// Shared by the differential tests against a real redis-server (redis-compare*.test.ts):
// replies in one comparable form, and a runner that applies the same steps to both sides.

import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { Harness, plain, type Plain } from './harness.js';
import { redisServerPath, startRedis, type RedisInstance } from './redis-server.js';

export type Step = { readonly args: readonly string[]; readonly sort?: boolean };

export function normalize(value: unknown): Plain {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map(normalize);
  throw new Error(`unexpected redis value ${String(value)}`);
}

export function sortPlain(value: Plain): Plain {
  return Array.isArray(value) ? [...value].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0)) : value;
}

export async function redisReply(redis: RedisInstance, args: readonly string[]): Promise<Plain> {
  try {
    const [name, ...rest] = args;
    // Arguments go as bytes: ioredis would UTF-8-encode JS strings.
    return normalize(await redis.client.callBuffer(name as string, ...rest.map((arg) => Buffer.from(arg, 'latin1'))));
  } catch (error) {
    return { err: (error as Error).message };
  }
}

/** Flushes redis, then applies each step to it and to a fresh harness, asserting equal replies. */
export async function compareSteps(redis: RedisInstance, steps: readonly Step[]): Promise<void> {
  await redis.client.flushall();
  const harness = new Harness();
  for (const step of steps) {
    const expected = await redisReply(redis, step.args);
    const actual = plain(harness.apply(...step.args));
    const show = step.args.join(' ');
    if (step.sort === true) assert.deepEqual(sortPlain(actual), sortPlain(expected), show);
    else assertSameReply(actual, expected, show);
  }
}

/** deepEqual, except that integers beyond 2^53 agree to 15 digits: neither side's JS number is exact there (ioredis parses integers to numbers). */
export function assertSameReply(actual: Plain, expected: Plain, show: string): void {
  if (typeof actual === 'number' && typeof expected === 'number' && Math.abs(expected) > Number.MAX_SAFE_INTEGER) {
    assert.ok(Math.abs(actual - expected) / Math.abs(expected) < 1e-15, `${show}: ${actual} vs ${expected}`);
  } else assert.deepEqual(actual, expected, show);
}

/**
 * A describe block around a redis-server started before its tests and stopped after them,
 * skipped when redis-server is not installed; `body` declares the tests, reaching the server
 * through the getter it is given.
 */
export function describeWithRedis(title: string, body: (redis: () => RedisInstance) => void): void {
  const path = redisServerPath();
  describe(title, { skip: path === null ? 'redis-server is not installed' : false }, () => {
    let instance: RedisInstance | undefined;
    before(async () => {
      instance = await startRedis(path as string);
    });
    after(async () => {
      await instance?.stop();
    });
    body(() => {
      if (instance === undefined) throw new Error('redis-server not started');
      return instance;
    });
  });
}
