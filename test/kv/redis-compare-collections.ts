// Differential testing of hashes and sets against a real redis-server: both iterate in their
// own order (Redis's is its hash table's), so replies of the commands that list a collection
// are compared in a canonical order (sorted members, sorted field/value pairs).

import assert from 'node:assert/strict';
import { Harness, plain, type Plain } from './harness.js';
import type { RedisInstance } from './redis-server.js';
import { redisReply } from './redis-compare-support.js';

/** Commands whose reply lists members in iteration order (SPOP/SRANDMEMBER of a whole set too). */
const memberLists = new Set(['hkeys', 'hvals', 'smembers', 'sinter', 'sunion', 'sdiff', 'spop', 'srandmember']);
/** Commands whose reply lists field/value pairs in iteration order. */
const pairLists = new Set(['hgetall']);

function byText(a: Plain, b: Plain): number {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `reply` of `args` in a canonical order where the order is the implementation's own. */
export function canonicalReply(args: readonly string[], reply: Plain): Plain {
  if (!Array.isArray(reply)) return reply;
  const name = (args[0] as string).toLowerCase();
  if (memberLists.has(name)) return [...reply].sort(byText);
  if (!pairLists.has(name)) return reply;
  const pairs: Plain[] = [];
  for (let i = 0; i < reply.length; i += 2) pairs.push([reply[i] as Plain, reply[i + 1] as Plain]);
  return pairs.sort(byText);
}

/** Flushes redis, then applies each command to it and to `harness`, asserting equal canonical replies. */
export async function compareCollectionCommands(redis: RedisInstance, commands: readonly (readonly string[])[], harness = new Harness()): Promise<void> {
  await redis.client.flushall();
  for (const args of commands) {
    const expected = canonicalReply(args, await redisReply(redis, args));
    const actual = canonicalReply(args, plain(harness.apply(...args)));
    if (typeof actual === 'number' && typeof expected === 'number' && Math.abs(expected) > Number.MAX_SAFE_INTEGER) {
      // Beyond 2^53 neither side's JS number is exact (ioredis parses integers to numbers).
      assert.ok(Math.abs(actual - expected) / Math.abs(expected) < 1e-15, `${args.join(' ')}: ${actual} vs ${expected}`);
    } else assert.deepEqual(actual, expected, args.join(' '));
  }
}

/** Every element a full scan (HSCAN, SSCAN) returns, sorted: `run` answers one call at `cursor`. */
export async function scanAll(run: (cursor: string) => Promise<Plain>): Promise<Plain[]> {
  const items: Plain[] = [];
  let cursor = '0';
  do {
    const reply = await run(cursor);
    if (!Array.isArray(reply)) return [reply];
    cursor = reply[0] as string;
    items.push(...(reply[1] as Plain[]));
  } while (cursor !== '0');
  return items;
}
