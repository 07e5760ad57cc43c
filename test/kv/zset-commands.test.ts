// Sorted-set commands: Redis 7's replies and error texts for each command (WRONGTYPE
// included), the RESP3 shapes (doubles, pairs), deterministic ZRANDMEMBER, ZSCAN's guarantee
// under writes, the memory estimate kept by deltas, and the sorted set against a naive
// sorted array (property).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, plain, type Plain } from './harness.js';
import { encodeReply } from '../../src/resp/reply-writer.js';
import { compareKeys } from '../../src/kv/order-tree.js';
import { ZSetValue } from '../../src/kv/zset-value.js';
import { CommandContext } from '../../src/kv/command-context.js';
import { Keyspace } from '../../src/kv/keyspace.js';
import { popOneWithKey } from '../../src/kv/zset-pop-commands.js';
import { zsetKind } from '../../src/kv/zset-reply.js';
import { randomRepeatCountMax } from '../../src/kv/random-picks.js';

const wrongType = { err: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const notFloat = { err: 'ERR value is not a valid float' };
const rangeNotFloat = { err: 'ERR min or max is not a float' };
const lexNotValid = { err: 'ERR min or max not valid string range item' };
const syntax = { err: 'ERR syntax error' };
const notInteger = { err: 'ERR value is not an integer or out of range' };

/** A harness with a string at 'str' and z = {a: 1, b: 2, c: 3}. */
function seeded(): Harness {
  const h = new Harness();
  h.apply('SET', 'str', 'v');
  h.apply('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
  return h;
}

function expectReplies(h: Harness, cases: readonly (readonly [readonly string[], Plain])[]): void {
  for (const [args, expected] of cases) assert.deepEqual(plain(h.apply(...args)), expected, args.join(' '));
}

test('ZADD with NX, XX, GT, LT, CH and INCR', () => {
  expectReplies(seeded(), [
    [['ZADD', 'z', '10', 'a', '4', 'd'], 1], [['ZSCORE', 'z', 'a'], '10'], [['ZADD', 'z', 'NX', '0', 'a', '5', 'e'], 1], [['ZSCORE', 'z', 'a'], '10'],
    [['ZADD', 'z', 'XX', '0', 'a', '6', 'f'], 0], [['ZSCORE', 'z', 'a'], '0'], [['ZSCORE', 'z', 'f'], null], [['ZADD', 'z', 'CH', '1', 'a', '2', 'b', '7', 'g'], 2],
    [['ZADD', 'z', 'GT', 'CH', '0', 'a', '5', 'b'], 1], [['ZADD', 'z', 'LT', 'CH', '9', 'a', '0', 'b'], 1], [['ZRANGE', 'z', '0', '1', 'WITHSCORES'], ['b', '0', 'a', '1']],
    [['ZADD', 'z', 'INCR', '2.5', 'a'], '3.5'], [['ZINCRBY', 'z', '-0.5', 'a'], '3'], [['ZADD', 'z', 'INCR', 'NX', '1', 'a'], null], [['ZADD', 'z', 'INCR', 'XX', '1', 'zz'], null],
    [['ZADD', 'z', 'LT', 'INCR', '1', 'a'], null], [['ZADD', 'z', 'GT', 'INCR', '1', 'a'], '4'], [['ZADD', 'z', 'inf', 'i'], 1], [['ZINCRBY', 'z', '-inf', 'i'], { err: 'ERR resulting score is not a number (NaN)' }],
    [['ZADD', 'nokey', 'XX', '1', 'a'], 0], [['EXISTS', 'nokey'], 0], [['ZADD', 'z', '0.1', 'p'], 1], [['ZSCORE', 'z', 'p'], '0.10000000000000001'],
  ]);
});

test('ZADD and ZINCRBY refuse bad arguments before changing anything', () => {
  expectReplies(seeded(), [
    [['ZADD', 'z', 'NX', 'XX', '1', 'a'], { err: 'ERR XX and NX options at the same time are not compatible' }],
    [['ZADD', 'z', 'GT', 'LT', '1', 'a'], { err: 'ERR GT, LT, and/or NX options at the same time are not compatible' }],
    [['ZADD', 'z', 'NX', 'GT', '1', 'a'], { err: 'ERR GT, LT, and/or NX options at the same time are not compatible' }],
    [['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'], { err: 'ERR INCR option supports a single increment-element pair' }],
    [['ZADD', 'z', '1', 'a', '2'], syntax], [['ZADD', 'z', 'CH', '1'], syntax], [['ZADD', 'z'], { err: "ERR wrong number of arguments for 'zadd' command" }],
    [['ZADD', 'z', '5', 'a', 'x', 'b'], notFloat], [['ZSCORE', 'z', 'a'], '1'], [['ZADD', 'z', 'nan', 'a'], notFloat], [['ZADD', 'z', '', 'a'], notFloat],
    [['ZADD', 'z', ' 1', 'a'], notFloat], [['ZADD', 'z', '1e999', 'a'], notFloat], [['ZINCRBY', 'z', 'x', 'a'], notFloat],
    [['ZINCRBY', 'z', '1', 'a', 'b'], { err: "ERR wrong number of arguments for 'zincrby' command" }],
    [['ZADD', 'str', '1', 'a'], wrongType], [['ZADD', 'str', 'x', 'a'], notFloat], [['ZINCRBY', 'str', '1', 'a'], wrongType], [['GET', 'str'], 'v'],
  ]);
});

test('ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK', () => {
  expectReplies(seeded(), [
    [['ZCARD', 'z'], 3], [['ZCARD', 'nokey'], 0], [['ZMSCORE', 'z', 'a', 'x', 'c'], ['1', null, '3']], [['ZMSCORE', 'nokey', 'a'], [null]],
    [['ZRANK', 'z', 'c'], 2], [['ZREVRANK', 'z', 'c'], 0], [['ZRANK', 'z', 'x'], null], [['ZRANK', 'nokey', 'x'], null],
    [['ZREM', 'z', 'a', 'x', 'a'], 1], [['ZREM', 'nokey', 'a'], 0], [['ZREM', 'z', 'b', 'c'], 2], [['EXISTS', 'z'], 0],
    [['ZCARD', 'str'], wrongType], [['ZSCORE', 'str', 'a'], wrongType], [['ZMSCORE', 'str', 'a'], wrongType], [['ZRANK', 'str', 'a'], wrongType],
    [['ZREVRANK', 'str', 'a'], wrongType], [['ZREM', 'str', 'a'], wrongType],
  ]);
});

test('ZRANGE by rank, BYSCORE and BYLEX, with REV, LIMIT and WITHSCORES, and the older forms', () => {
  const h = seeded();
  h.apply('ZADD', 'z', '-inf', 'lo', '+inf', 'hi', '2', 'bb');
  expectReplies(h, [
    [['ZRANGE', 'z', '0', '-1'], ['lo', 'a', 'b', 'bb', 'c', 'hi']], [['ZRANGE', 'z', '-2', '100', 'WITHSCORES'], ['c', '3', 'hi', 'inf']],
    [['ZRANGE', 'z', '0', '1', 'REV'], ['hi', 'c']], [['ZREVRANGE', 'z', '1', '2', 'WITHSCORES'], ['c', '3', 'bb', '2']], [['ZRANGE', 'z', '3', '1'], []],
    [['ZRANGE', 'z', '(1', '3', 'BYSCORE'], ['b', 'bb', 'c']], [['ZRANGE', 'z', '3', '(1', 'BYSCORE', 'REV', 'LIMIT', '1', '1'], ['bb']],
    [['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '4', '-1'], ['c', 'hi']], [['ZREVRANGEBYSCORE', 'z', '+inf', '-inf', 'LIMIT', '-1', '1'], []],
    [['ZRANGEBYSCORE', 'z', '2', '2', 'WITHSCORES'], ['b', '2', 'bb', '2']], [['ZRANGEBYSCORE', 'z', '(2', '2'], []],
    [['ZRANGEBYSCORE', 'z', 'x', '1'], rangeNotFloat], [['ZRANGEBYSCORE', 'z', '1', '2', 'REV'], syntax], [['ZREVRANGE', 'z', '0', '1', 'BYSCORE'], syntax],
    [['ZRANGE', 'z', '0', '1', 'LIMIT', '0', '1'], { err: 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX' }],
    [['ZRANGE', 'z', '-', '+', 'BYLEX', 'WITHSCORES'], { err: 'ERR syntax error, WITHSCORES not supported in combination with BYLEX' }],
    [['ZRANGE', 'z', 'a', 'b'], notInteger], [['ZRANGE', 'z', '0', '1', 'LIMIT', 'x', '1', 'BYSCORE'], notInteger], [['ZRANGE', 'nokey', '0', '-1'], []],
    [['ZRANGE', 'str', '0', '-1'], wrongType], [['ZRANGE', 'str', 'x', '1', 'BYSCORE'], rangeNotFloat],
  ]);
});

test('lex ranges: ZRANGEBYLEX, ZREVRANGEBYLEX, ZLEXCOUNT, ZREMRANGEBYLEX', () => {
  const h = new Harness();
  h.apply('ZADD', 'l', '0', 'alpha', '0', 'bar', '0', 'cool', '0', 'down', '0', 'elephant', '0', 'foo');
  expectReplies(h, [
    [['ZRANGEBYLEX', 'l', '-', '[cool'], ['alpha', 'bar', 'cool']], [['ZRANGEBYLEX', 'l', '(bar', '(down'], ['cool']], [['ZREVRANGEBYLEX', 'l', '+', '[d'], ['foo', 'elephant', 'down']],
    [['ZRANGEBYLEX', 'l', '-', '+', 'LIMIT', '1', '2'], ['bar', 'cool']], [['ZRANGEBYLEX', 'l', '+', '-'], []], [['ZLEXCOUNT', 'l', '[b', '(e'], 3],
    [['ZLEXCOUNT', 'l', '-', '+'], 6], [['ZRANGEBYLEX', 'l', 'a', '+'], lexNotValid], [['ZLEXCOUNT', 'l', '-x', '+'], lexNotValid],
    [['ZREMRANGEBYLEX', 'l', '[b', '[d'], 2], [['ZRANGE', 'l', '0', '-1'], ['alpha', 'down', 'elephant', 'foo']],
  ]);
});

test('ZCOUNT, ZREMRANGEBYRANK, ZREMRANGEBYSCORE', () => {
  const h = seeded();
  h.apply('ZADD', 'z', '4', 'd', '5', 'e');
  expectReplies(h, [
    [['ZCOUNT', 'z', '(1', '4'], 3], [['ZCOUNT', 'z', '4', '1'], 0], [['ZCOUNT', 'z', 'x', '1'], rangeNotFloat], [['ZCOUNT', 'nokey', '0', '1'], 0],
    [['ZREMRANGEBYRANK', 'z', '-1', '-1'], 1], [['ZREMRANGEBYRANK', 'z', '10', '20'], 0], [['ZREMRANGEBYRANK', 'z', 'x', '1'], notInteger],
    [['ZREMRANGEBYSCORE', 'z', '(1', '3'], 2], [['ZRANGE', 'z', '0', '-1'], ['a', 'd']], [['ZREMRANGEBYSCORE', 'z', '-inf', '+inf'], 2], [['EXISTS', 'z'], 0],
    [['ZCOUNT', 'str', '0', '1'], wrongType], [['ZREMRANGEBYRANK', 'str', '0', '1'], wrongType], [['ZREMRANGEBYSCORE', 'str', 'x', '1'], rangeNotFloat],
  ]);
});

test('ZRANGESTORE replaces the destination, or deletes it for an empty result', () => {
  expectReplies(seeded(), [
    [['ZRANGESTORE', 'dst', 'z', '1', '-1'], 2], [['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'], ['b', '2', 'c', '3']],
    [['ZRANGESTORE', 'str', 'z', '3', '+inf', 'BYSCORE'], 1], [['TYPE', 'str'], 'zset'], [['ZRANGESTORE', 'dst', 'z', '5', '6'], 0], [['EXISTS', 'dst'], 0],
    [['ZRANGESTORE', 'dst', 'z', '0', '-1', 'WITHSCORES'], syntax], [['ZRANGESTORE', 'z', 'z', '[b', '[b', 'BYLEX'], 1], [['ZRANGE', 'z', '0', '-1'], ['b']],
    [['SET', 's2', 'x'], 'OK'], [['ZRANGESTORE', 'dst', 's2', '0', '-1'], wrongType],
  ]);
});

test('ZPOPMIN, ZPOPMAX and ZMPOP reply as Redis in RESP2 and RESP3', () => {
  const h = new Harness();
  h.apply('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
  const resp = (args: string[], protocol: 2 | 3): string => encodeReply(h.apply(...args), protocol).toString('latin1');
  assert.equal(resp(['ZPOPMIN', 'z'], 3), '*2\r\n$1\r\na\r\n,1\r\n');
  assert.equal(resp(['ZPOPMAX', 'z', '1'], 3), '*1\r\n*2\r\n$1\r\nd\r\n,4\r\n');
  h.apply('ZADD', 'z', '4', 'd');
  assert.equal(resp(['ZPOPMAX', 'z', '1'], 2), '*2\r\n$1\r\nd\r\n$1\r\n4\r\n');
  assert.equal(resp(['ZMPOP', '2', 'nokey', 'z', 'MIN', 'COUNT', '5'], 2), '*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n');
  assert.equal(resp(['ZMPOP', '1', 'z', 'MIN'], 2), '*-1\r\n');
  assert.equal(resp(['ZMPOP', '1', 'z', 'MIN'], 3), '_\r\n');
  assert.equal(resp(['ZPOPMIN', 'z'], 3), '*0\r\n');
  assert.equal(resp(['ZPOPMIN', 'z', '1'], 3), '*0\r\n');
  expectReplies(h, [
    [['ZPOPMIN', 'z', '-1'], { err: 'ERR value is out of range, must be positive' }], [['ZPOPMIN', 'z', 'x'], { err: 'ERR value is out of range, must be positive' }],
    [['ZPOPMIN', 'z', '1', '2'], syntax], [['SET', 's', 'x'], 'OK'], [['ZPOPMIN', 's', '0'], wrongType], [['ZMPOP', '2', 'nokey', 's', 'MAX'], wrongType],
    [['ZMPOP', '0', 'z', 'MIN'], { err: 'ERR numkeys should be greater than 0' }], [['ZMPOP', '1', 'z', 'MIDDLE'], syntax],
    [['ZMPOP', '1', 'z', 'MIN', 'COUNT', '0'], { err: 'ERR count should be greater than 0' }], [['ZMPOP', '1', 'z', 'MIN', 'COUNT', '1', 'COUNT', '1'], syntax],
    [['ZMPOP', '1', 'z'], { err: "ERR wrong number of arguments for 'zmpop' command" }],
  ]);
});

test('ZUNION, ZINTER, ZDIFF, ZINTERCARD and the STORE forms, with weights, aggregates and plain sets', () => {
  const h = new Harness();
  h.apply('ZADD', 'a', '1', 'x', '2', 'y', '3', 'z');
  h.apply('ZADD', 'b', '10', 'y', '20', 'z', '30', 'w');
  h.apply('SADD', 'set', 'x', 'w', 'q');
  h.apply('SET', 'str', 'v');
  expectReplies(h, [
    [['ZUNION', '2', 'a', 'b', 'WITHSCORES'], ['x', '1', 'y', '12', 'z', '23', 'w', '30']], [['ZINTER', '2', 'a', 'b', 'AGGREGATE', 'MAX'], ['y', 'z']],
    [['ZINTER', '2', 'a', 'b', 'WEIGHTS', '2', '0.5', 'WITHSCORES'], ['y', '9', 'z', '16']], [['ZDIFF', '2', 'a', 'b', 'WITHSCORES'], ['x', '1']],
    [['ZUNION', '2', 'a', 'set', 'WITHSCORES'], ['q', '1', 'w', '1', 'x', '2', 'y', '2', 'z', '3']], [['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '1'], 1],
    [['ZUNIONSTORE', 'd', '2', 'a', 'b'], 4], [['ZRANGE', 'd', '0', '-1'], ['x', 'y', 'z', 'w']], [['ZINTERSTORE', 'd', '2', 'a', 'nokey'], 0], [['EXISTS', 'd'], 0],
    [['ZDIFFSTORE', 'str', '1', 'set'], 3], [['TYPE', 'str'], 'zset'], [['ZUNION', '0', 'a'], { err: "ERR at least 1 input key is needed for 'zunion' command" }],
    [['ZUNION', '2', 'a'], syntax], [['ZUNION', '1', 'a', 'WEIGHTS', 'x'], { err: 'ERR weight value is not a float' }], [['ZDIFF', '1', 'a', 'WEIGHTS', '1'], syntax],
    [['ZINTERCARD', '1', 'a', 'LIMIT', '-1'], { err: "ERR LIMIT can't be negative" }], [['ZUNIONSTORE', 'd', '1', 'a', 'WITHSCORES'], syntax],
    [['SET', 'str', 'v'], 'OK'], [['ZUNION', '2', 'a', 'str'], wrongType], [['ZUNION', '2', 'str', 'a', 'WEIGHTS', 'x'], wrongType],
  ]);
});

test('ZRANDMEMBER: replicas applying in step agree, successive reads draw independently and uniformly', () => {
  const [h, other] = [new Harness(), new Harness()];
  for (const replica of [h, other]) replica.apply('ZADD', 'z', ...Array.from({ length: 20 }, (_, i) => [String(i), `m${i}`]).flat());
  assert.deepEqual(plain(h.apply('ZRANDMEMBER', 'z', '5', 'WITHSCORES')), plain(other.apply('ZRANDMEMBER', 'z', '5', 'WITHSCORES')));
  assert.notDeepEqual(plain(h.read('ZRANDMEMBER', 'z', '-50')), plain(h.read('ZRANDMEMBER', 'z', '-50')));
  const counts = new Map<string, number>();
  for (let i = 0; i < 2000; i++) {
    const member = plain(h.read('ZRANDMEMBER', 'z')) as string;
    counts.set(member, (counts.get(member) ?? 0) + 1);
  }
  // Chi-square with 19 degrees of freedom: 60 has probability below 0.00001.
  const chiSquare = [...counts.values()].reduce((sum, observed) => sum + (observed - 100) ** 2 / 100, 0);
  assert.equal(counts.size, 20);
  assert.ok(chiSquare < 60, `chi-square ${chiSquare}`);
  const distinct = plain(h.read('ZRANDMEMBER', 'z', '10')) as string[];
  assert.equal(new Set(distinct).size, 10);
  assert.equal((plain(h.read('ZRANDMEMBER', 'z', '-50')) as string[]).length, 50);
  assert.deepEqual((plain(h.read('ZRANDMEMBER', 'z', '100')) as string[]).sort(), Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
  const withScores = plain(h.read('ZRANDMEMBER', 'z', '-3', 'WITHSCORES')) as string[];
  for (let i = 0; i < withScores.length; i += 2) assert.equal(`m${withScores[i + 1]}`, withScores[i]);
  assert.equal(encodeReply(h.read('ZRANDMEMBER', 'z', '2', 'WITHSCORES'), 3).toString('latin1').startsWith('*2\r\n*2\r\n'), true);
  assert.match((plain(h.read('ZRANDMEMBER', 'z', String(-randomRepeatCountMax - 1))) as { err: string }).err, /^ERR value is out of range/);
  expectReplies(h, [
    [['ZRANDMEMBER', 'nokey'], null], [['ZRANDMEMBER', 'nokey', '3'], []], [['ZRANDMEMBER', 'z', '0'], []], [['ZRANDMEMBER', 'z', 'x'], notInteger],
    [['ZRANDMEMBER', 'z', '1', 'x'], syntax], [['ZRANDMEMBER', 'z', '4611686018427387904', 'WITHSCORES'], { err: 'ERR value is out of range' }],
    [['SET', 's', 'x'], 'OK'], [['ZRANDMEMBER', 's'], wrongType], [['ZRANDMEMBER', 's', 'x'], notInteger],
  ]);
});

test('ZSCAN returns every member present for the whole iteration, while members come and go', () => {
  const h = new Harness();
  h.apply('ZADD', 'z', ...Array.from({ length: 200 }, (_, i) => [String(i), `m${i}`]).flat());
  const seen = new Set<string>();
  let cursor = '0';
  let round = 0;
  do {
    const [next, items] = plain(h.read('ZSCAN', 'z', cursor, 'COUNT', '7')) as [string, string[]];
    for (let i = 0; i < items.length; i += 2) {
      assert.equal(items[i + 1], items[i]!.startsWith('m') ? items[i]!.slice(1) : '-1');
      seen.add(items[i]!);
    }
    cursor = next;
    h.apply('ZREM', 'z', `m${(round * 13) % 100}`);
    h.apply('ZADD', 'z', '-1', `new${round}`);
    round++;
  } while (cursor !== '0');
  for (let i = 100; i < 200; i++) assert.ok(seen.has(`m${i}`), `m${i} present throughout`);
});

test('the memory estimate after changes equals a keyspace rebuilt with the same contents', () => {
  const h = new Harness();
  for (let i = 0; i < 300; i++) h.apply('ZADD', `z${i % 3}`, String(i % 17), `member-${i}-${'x'.repeat(i % 11)}`);
  h.apply('ZREM', 'z0', 'member-0-', 'member-3-xxx');
  h.apply('ZINCRBY', 'z1', '5', 'member-1-x');
  h.apply('ZPOPMIN', 'z2', '10');
  h.apply('ZREMRANGEBYSCORE', 'z1', '3', '7');
  h.apply('ZUNIONSTORE', 'u', '2', 'z0', 'z1');
  h.apply('ZRANGESTORE', 'r', 'z2', '0', '4');
  const rebuilt = new Harness();
  for (const key of ['z0', 'z1', 'z2', 'u', 'r']) {
    const flat = plain(h.read('ZRANGE', key, '0', '-1', 'WITHSCORES')) as string[];
    const pairs: string[] = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push(flat[i + 1]!, flat[i]!);
    if (pairs.length > 0) rebuilt.apply('ZADD', key, ...pairs);
  }
  assert.equal(h.kv.stats().memoryBytes, rebuilt.kv.stats().memoryBytes);
  assert.deepEqual(h.kv.digest().hash, rebuilt.kv.digest().hash);
});

test('a sorted set matches a naive sorted array under random changes (property)', () => {
  const change = fc.record({ remove: fc.boolean(), member: fc.integer({ min: 0, max: 300 }).map((i) => `m${i}`), score: fc.oneof(fc.integer({ min: -5, max: 40 }), fc.constantFrom(-Infinity, Infinity, 0.5, -0)) });
  fc.assert(fc.property(fc.array(change, { maxLength: 1500 }), fc.integer({ min: -6, max: 41 }), (changes, probe) => {
    const zset = ZSetValue.create();
    const model = new Map<string, number>();
    for (const { remove, member, score } of changes) {
      if (remove) assert.equal(zset.delete(member), model.delete(member));
      else {
        zset.set(member, score);
        model.set(member, score === 0 ? 0 : score);
      }
    }
    const sorted = [...model].map(([member, score]) => ({ member, score })).sort((a, b) => compareKeys(a.score, a.member, b.score, b.member));
    assert.equal(zset.length, sorted.length);
    assert.deepEqual(zset.slice(0, sorted.length, false), sorted);
    assert.deepEqual(zset.slice(sorted.length - 1, sorted.length, true), [...sorted].reverse());
    sorted.forEach(({ member, score }, rank) => {
      assert.equal(zset.rank(member), rank);
      assert.equal(zset.score(member), score);
    });
    assert.equal(zset.countBefore((score) => score >= probe), sorted.filter(({ score }) => score < probe).length);
    const positions = Array.from({ length: zset.length }, (_, position) => zset.at(position).member).sort();
    assert.deepEqual(positions, sorted.map(({ member }) => member).sort());
  }), { numRuns: 80 });
});

test('the state-machine form of BZPOPMIN answers [key, member, score] from the first existing key, or the nil array', () => {
  const context = new CommandContext(new Keyspace(), 0, true, 1 << 20, 0, { expiredKeys: 0, evictedKeys: 0, internalErrors: 0 });
  const zset = context.writeCollection(Buffer.from('z2'), zsetKind, true) as ZSetValue;
  zset.set('a', 1);
  zset.set('b', 2.5);
  context.finish();
  const keys = [Buffer.from('z1'), Buffer.from('z2')];
  assert.equal(encodeReply(popOneWithKey('max')(context, keys), 3).toString(), '*3\r\n$2\r\nz2\r\n$1\r\nb\r\n,2.5\r\n');
  assert.equal(encodeReply(popOneWithKey('min')(context, keys), 2).toString(), '*3\r\n$2\r\nz2\r\n$1\r\na\r\n$1\r\n1\r\n');
  context.finish();
  assert.equal(encodeReply(popOneWithKey('min')(context, keys), 2).toString(), '*-1\r\n');
  assert.equal(encodeReply(popOneWithKey('min')(context, keys), 3).toString(), '_\r\n');
});
