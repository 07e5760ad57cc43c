// Hash commands: Redis 7's replies and error texts for each command (WRONGTYPE included), the
// reply kinds RESP3 needs, deterministic HRANDFIELD, HSCAN's guarantee under writes, and the
// memory estimate kept by deltas.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, plain, type Plain } from './harness.js';
import { randomRepeatCountMax } from '../../src/kv/random-picks.js';

const wrongType = { err: 'WRONGTYPE Operation against a key holding the wrong kind of value' };

/** A harness with a string at 'str' and the hash h = {a: 1, b: x}. */
function seeded(): Harness {
  const h = new Harness();
  h.apply('SET', 'str', 'v');
  h.apply('HSET', 'h', 'a', '1', 'b', 'x');
  return h;
}

function expectReplies(h: Harness, cases: readonly (readonly [readonly string[], Plain])[]): void {
  for (const [args, expected] of cases) assert.deepEqual(plain(h.apply(...args)), expected, args.join(' '));
}

/** Field/value pairs of a flat reply, sorted (hash order is ours, not Redis's). */
function sortedPairs(flat: Plain): string[] {
  assert.ok(Array.isArray(flat));
  const pairs: string[] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push(`${String(flat[i])}=${String(flat[i + 1])}`);
  return pairs.sort();
}

test('HSET, HMSET, HSETNX, HGET, HMGET, HEXISTS, HSTRLEN, HLEN', () => {
  expectReplies(seeded(), [
    [['HSET', 'h', 'a', '2', 'c', '3'], 1], [['HGET', 'h', 'a'], '2'], [['HGET', 'h', 'zz'], null], [['HGET', 'nokey', 'a'], null],
    [['HMSET', 'h', 'd', '4'], 'OK'], [['HLEN', 'h'], 4], [['HLEN', 'nokey'], 0],
    [['HSET', 'h', 'a'], { err: "ERR wrong number of arguments for 'hset' command" }],
    [['HSET', 'h', 'a', '1', 'b'], { err: "ERR wrong number of arguments for 'hset' command" }],
    [['HMSET', 'h', 'a', '1', 'b'], { err: "ERR wrong number of arguments for 'hmset' command" }],
    [['HSETNX', 'h', 'a', 'new'], 0], [['HGET', 'h', 'a'], '2'], [['HSETNX', 'h', 'e', '5'], 1], [['HSETNX', 'fresh', 'f', 'v'], 1],
    [['HSETNX', 'h', 'a'], { err: "ERR wrong number of arguments for 'hsetnx' command" }],
    [['HMGET', 'h', 'a', 'zz', 'e'], ['2', null, '5']], [['HMGET', 'nokey', 'a', 'b'], [null, null]],
    [['HMGET', 'h'], { err: "ERR wrong number of arguments for 'hmget' command" }],
    [['HEXISTS', 'h', 'a'], 1], [['HEXISTS', 'h', 'zz'], 0], [['HEXISTS', 'nokey', 'a'], 0],
    [['HSET', 'h', 'long', 'x'.repeat(70)], 1], [['HSTRLEN', 'h', 'long'], 70], [['HSTRLEN', 'h', 'zz'], 0], [['HSTRLEN', 'nokey', 'a'], 0],
    [['HSET', 'h', 'empty', ''], 1], [['HSTRLEN', 'h', 'empty'], 0], [['HGET', 'h', 'empty'], ''],
  ]);
});

test('HDEL, HKEYS, HVALS, HGETALL; an emptied hash is no key', () => {
  const h = seeded();
  assert.deepEqual(sortedPairs(plain(h.apply('HGETALL', 'h'))), ['a=1', 'b=x']);
  assert.deepEqual((plain(h.apply('HKEYS', 'h')) as string[]).sort(), ['a', 'b']);
  assert.deepEqual((plain(h.apply('HVALS', 'h')) as string[]).sort(), ['1', 'x']);
  expectReplies(h, [
    [['HGETALL', 'nokey'], []], [['HKEYS', 'nokey'], []], [['HVALS', 'nokey'], []],
    [['HDEL', 'h', 'zz'], 0], [['HDEL', 'nokey', 'a'], 0], [['HDEL', 'h', 'a', 'a', 'zz'], 1], [['TYPE', 'h'], 'hash'],
    [['HDEL', 'h', 'b', 'c'], 1], [['EXISTS', 'h'], 0], [['TYPE', 'h'], 'none'],
    [['HDEL', 'h'], { err: "ERR wrong number of arguments for 'hdel' command" }],
    [['HKEYS', 'h', 'x'], { err: "ERR wrong number of arguments for 'hkeys' command" }],
  ]);
});

test('HGETALL is a RESP3 map; HRANDFIELD WITHVALUES is pairs (nested in RESP3, flat in RESP2)', () => {
  const h = seeded();
  assert.equal(h.apply('HGETALL', 'h').kind, 'map');
  assert.equal(h.apply('HGETALL', 'nokey').kind, 'map');
  const withValues = h.apply('HRANDFIELD', 'h', '-3', 'WITHVALUES');
  assert.equal(withValues.kind, 'pairs');
  assert.equal(h.apply('HRANDFIELD', 'h', '2').kind, 'array');
  assert.deepEqual(h.apply('HRANDFIELD', 'nokey'), { kind: 'bulk', value: null });
  assert.deepEqual(h.apply('HRANDFIELD', 'nokey', '2', 'WITHVALUES'), { kind: 'pairs', value: [] });
});

test('every hash command answers WRONGTYPE on another type; argument errors come first where Redis checks them first', () => {
  expectReplies(seeded(), [
    ...[
      ['HSET', 'str', 'a', '1'], ['HMSET', 'str', 'a', '1'], ['HSETNX', 'str', 'a', '1'], ['HGET', 'str', 'a'], ['HMGET', 'str', 'a'],
      ['HEXISTS', 'str', 'a'], ['HSTRLEN', 'str', 'a'], ['HDEL', 'str', 'a'], ['HLEN', 'str'], ['HGETALL', 'str'], ['HKEYS', 'str'],
      ['HVALS', 'str'], ['HINCRBY', 'str', 'a', '1'], ['HINCRBYFLOAT', 'str', 'a', '1'], ['HRANDFIELD', 'str'], ['HRANDFIELD', 'str', '0'],
      ['HSCAN', 'str', '0'], ['HSCAN', 'str', '0', 'COUNT', '0'],
    ].map((args): readonly [readonly string[], Plain] => [args, wrongType]),
    [['HINCRBY', 'str', 'a', 'x'], { err: 'ERR value is not an integer or out of range' }],
    [['HINCRBYFLOAT', 'str', 'a', 'x'], { err: 'ERR value is not a valid float' }],
    [['HINCRBYFLOAT', 'str', 'a', 'inf'], { err: 'ERR value is NaN or Infinity' }],
    [['HRANDFIELD', 'str', 'x'], { err: 'ERR value is not an integer or out of range' }],
    [['HSCAN', 'str', 'x'], { err: 'ERR invalid cursor' }],
    [['GET', 'h'], wrongType],
  ]);
});

test('HINCRBY: integers, Redis error texts, 64-bit overflow', () => {
  expectReplies(seeded(), [
    [['HINCRBY', 'h', 'a', '5'], 6], [['HINCRBY', 'h', 'new', '-3'], -3], [['HINCRBY', 'fresh', 'f', '2'], 2], [['HGET', 'fresh', 'f'], '2'],
    [['HINCRBY', 'h', 'b', '1'], { err: 'ERR hash value is not an integer' }],
    [['HINCRBY', 'h', 'a', 'x'], { err: 'ERR value is not an integer or out of range' }],
    [['HINCRBY', 'h', 'a', '1.5'], { err: 'ERR value is not an integer or out of range' }],
    [['HSET', 'h', 's', ' 11'], 1], [['HINCRBY', 'h', 's', '1'], { err: 'ERR hash value is not an integer' }],
    [['HSET', 'h', 'n', '9223372036854775806'], 1], [['HINCRBY', 'h', 'n', '1'], Number(9223372036854775807n)],
    [['HINCRBY', 'h', 'n', '1'], { err: 'ERR increment or decrement would overflow' }],
    [['HSET', 'h', 'm', '-9223372036854775484'], 1], [['HINCRBY', 'h', 'm', '-1'], Number(-9223372036854775485n)],
    [['HINCRBY', 'h', 'm', '-10000'], { err: 'ERR increment or decrement would overflow' }],
    [['HINCRBY', 'h', 'a', '9223372036854775808'], { err: 'ERR value is not an integer or out of range' }],
  ]);
  const h = new Harness();
  h.apply('HSET', 'h', 'n', '9223372036854775807');
  assert.deepEqual(h.apply('HINCRBY', 'h', 'n', '0'), { kind: 'integer', value: 9223372036854775807n }, 'exact beyond 2^53');
  assert.equal(plain(h.apply('HGET', 'h', 'n')), '9223372036854775807');
});

test('HINCRBYFLOAT: long double arithmetic printed as Redis prints it, and its error texts', () => {
  expectReplies(seeded(), [
    [['HINCRBYFLOAT', 'h', 'f', '1.23'], '1.23'], [['HINCRBYFLOAT', 'h', 'f', '0.77'], '2'], [['HINCRBYFLOAT', 'h', 'f', '-0.1'], '1.9'],
    [['HINCRBYFLOAT', 'h', 'a', '2.5'], '3.5'], [['HINCRBYFLOAT', 'fresh', 'f', '10.5'], '10.5'],
    [['HSET', 'h', 'big', '17179869184'], 1], [['HINCRBYFLOAT', 'h', 'big', '17179869184'], '34359738368'],
    [['HINCRBYFLOAT', 'h', 'b', '1'], { err: 'ERR hash value is not a float' }],
    [['HSET', 'h', 'nul', '1\x002'], 1], [['HINCRBYFLOAT', 'h', 'nul', '1'], { err: 'ERR hash value is not a float' }],
    [['HINCRBYFLOAT', 'h', 'a', 'x'], { err: 'ERR value is not a valid float' }],
    [['HINCRBYFLOAT', 'h', 'a', '+inf'], { err: 'ERR value is NaN or Infinity' }],
    [['HINCRBYFLOAT', 'hfoo', 'f', '-inf'], { err: 'ERR value is NaN or Infinity' }], [['EXISTS', 'hfoo'], 0],
    [['HSET', 'h', 'inf', 'inf'], 1], [['HINCRBYFLOAT', 'h', 'inf', '1'], { err: 'ERR increment would produce NaN or Infinity' }],
    [['HINCRBYFLOAT', 'h', 'huge', '1e4000'], plain(new Harness().apply('INCRBYFLOAT', 'x', '1e4000'))],
    [['HINCRBYFLOAT', 'h', 'huger', '1e4932'], plain(new Harness().apply('INCRBYFLOAT', 'x', '1e4932'))],
    [['HINCRBYFLOAT', 'h', 'huger', '1e4932'], { err: 'ERR increment would produce NaN or Infinity' }],
  ]);
});

test('HRANDFIELD: count, negative count, WITHVALUES, Redis error texts', () => {
  const h = new Harness();
  const fields = Array.from({ length: 10 }, (_, i) => `f${i}`);
  h.apply('HSET', 'h', ...fields.flatMap((field, i) => [field, `v${i}`]));
  h.apply('SET', 'str', 'v');
  assert.ok(fields.includes(plain(h.read('HRANDFIELD', 'h')) as string));
  for (const count of [1, 3, 9, 10, 20]) {
    const reply = plain(h.read('HRANDFIELD', 'h', String(count))) as string[];
    assert.equal(reply.length, Math.min(count, 10), `count ${count}`);
    assert.equal(new Set(reply).size, reply.length, `count ${count}: distinct`);
    for (const field of reply) assert.ok(fields.includes(field));
  }
  const repeated = plain(h.read('HRANDFIELD', 'h', '-25')) as string[];
  assert.equal(repeated.length, 25);
  for (const field of repeated) assert.ok(fields.includes(field));
  const withValues = plain(h.read('HRANDFIELD', 'h', '-7', 'WITHVALUES')) as string[];
  assert.equal(withValues.length, 14);
  for (let i = 0; i < 14; i += 2) assert.equal(withValues[i + 1], `v${String(withValues[i]).slice(1)}`, 'each value with its field');
  assert.deepEqual(sortedPairs(plain(h.read('HRANDFIELD', 'h', '10', 'WITHVALUES'))), fields.map((field, i) => `${field}=v${i}`).sort());
  expectReplies(h, [
    [['HRANDFIELD', 'h', '0'], []], [['HRANDFIELD', 'h', '0', 'WITHVALUES'], []], [['HRANDFIELD', 'nokey', '100'], []], [['HRANDFIELD', 'nokey'], null],
    [['HRANDFIELD', 'h', '1', 'foo'], { err: 'ERR syntax error' }], [['HRANDFIELD', 'h', '1', 'withvalues', 'x'], { err: 'ERR syntax error' }],
    [['HRANDFIELD', 'h', 'x', 'foo'], { err: 'ERR value is not an integer or out of range' }],
    [['HRANDFIELD', 'h', '-9223372036854775808'], { err: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807' }],
    [['HRANDFIELD', 'h', '-9223372036854770000', 'withvalues'], { err: 'ERR value is out of range' }],
    [['HRANDFIELD', 'h', '4611686018427387904', 'withvalues'], { err: 'ERR value is out of range' }],
    [['HRANDFIELD', 'h', String(-randomRepeatCountMax - 1)], { err: `ERR value is out of range, value must between ${-randomRepeatCountMax} and 9223372036854775807` }],
    [['HRANDFIELD', 'h', '9223372036854775807'], plain(h.read('HKEYS', 'h'))],
  ]);
});

test('HRANDFIELD: replicas reading in step agree; successive reads at one read point draw independently, uniformly', () => {
  const [h, other] = [new Harness(), new Harness()];
  for (const replica of [h, other]) replica.apply('HSET', 'h', ...Array.from({ length: 10 }, (_, i) => [`f${i}`, 'v']).flat());
  assert.deepEqual(plain(h.read('HRANDFIELD', 'h', '-50')), plain(other.read('HRANDFIELD', 'h', '-50')));
  assert.notDeepEqual(plain(h.read('HRANDFIELD', 'h', '-50')), plain(h.read('HRANDFIELD', 'h', '-50')));
  const counts = new Map<string, number>();
  for (let i = 0; i < 1000; i++) {
    const field = plain(h.read('HRANDFIELD', 'h')) as string;
    counts.set(field, (counts.get(field) ?? 0) + 1);
  }
  // Chi-square with 9 degrees of freedom: 40 has probability about 0.00001 (Redis's own bound).
  const chiSquare = [...counts.values()].reduce((sum, observed) => sum + (observed - 100) ** 2 / 100, 0);
  assert.equal(counts.size, 10);
  assert.ok(chiSquare < 40, `chi-square ${chiSquare}`);
});

test('HSCAN: cursors, MATCH, COUNT, and Redis error texts in its order of checks', () => {
  const h = seeded();
  h.apply('HMSET', 'p', 'foo', '1', 'fab', '2', 'fiz', '3', 'foobar', '10', '1', 'a', '2', 'b');
  assert.deepEqual(plain(h.apply('HSCAN', 'p', '0', 'MATCH', 'foo*', 'COUNT', '100')), ['0', ['foobar', '10', 'foo', '1']]);
  assert.deepEqual(plain(h.apply('HSCAN', 'p', '0', 'COUNT', '2')), ['4', ['2', 'b', '1', 'a']]);
  assert.deepEqual(plain(h.apply('HSCAN', 'p', '4', 'COUNT', '3', 'MATCH', '*')), ['1', ['foobar', '10', 'fiz', '3', 'fab', '2']]);
  expectReplies(h, [
    [['HSCAN', 'nokey', '0'], ['0', []]], [['HSCAN', 'nokey', '0', 'COUNT', '0'], ['0', []]], [['HSCAN', 'nokey', 'x'], { err: 'ERR invalid cursor' }],
    [['HSCAN', 'p', 'x'], { err: 'ERR invalid cursor' }], [['HSCAN', 'p', '18446744073709551616'], { err: 'ERR invalid cursor' }],
    [['HSCAN', 'p', ' 1'], { err: 'ERR invalid cursor' }], [['HSCAN', 'p', '0', 'COUNT', '0'], { err: 'ERR syntax error' }],
    [['HSCAN', 'p', '0', 'COUNT', 'x'], { err: 'ERR value is not an integer or out of range' }], [['HSCAN', 'p', '0', 'MATCH'], { err: 'ERR syntax error' }],
    [['HSCAN', 'p', '0', 'NOVALUES'], { err: 'ERR syntax error' }], [['HSCAN', 'p', '0', 'TYPE', 'hash'], { err: 'ERR syntax error' }],
    [['HSCAN', 'p'], { err: "ERR wrong number of arguments for 'hscan' command" }],
  ]);
  assert.equal((plain(h.apply('HSCAN', 'p', '-1')) as Plain[])[0], '0', 'a negative cursor wraps to a huge one: past every position');
  assert.equal((plain(h.apply('HSCAN', 'p', '')) as Plain[])[0], '0', 'an empty cursor reads as 0, as strtoul reads it');
});

/** Every field HSCAN returns from cursor 0 to 0, changing the hash with `between` after each call. */
function scanAll(h: Harness, key: string, count: number, between: (call: number) => void): string[] {
  const fields: string[] = [];
  let cursor = '0';
  for (let call = 0; ; call++) {
    const [next, items] = plain(h.read('HSCAN', key, cursor, 'COUNT', String(count))) as [string, string[]];
    for (let i = 0; i < items.length; i += 2) fields.push(items[i] as string);
    cursor = next;
    if (cursor === '0') return fields;
    between(call);
  }
}

test('HSCAN returns every field present for the whole iteration, while others come and go (property)', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 12 }),
    fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 99 })), { maxLength: 40 }),
    (stable, count, changes) => {
      const h = new Harness();
      for (let i = 0; i < stable; i++) h.apply('HSET', 'h', `keep${i}`, 'v');
      for (let i = 0; i < 50; i++) h.apply('HSET', 'h', `churn${i}`, 'v');
      const seen = new Set(scanAll(h, 'h', count, (call) => {
        for (const [add, n] of changes.slice(call * 3, call * 3 + 3)) h.apply(add ? 'HSET' : 'HDEL', 'h', `churn${n}`, 'v');
      }));
      for (let i = 0; i < stable; i++) assert.ok(seen.has(`keep${i}`), `keep${i} missed`);
    },
  ), { numRuns: 200 });
});

test('the memory estimate follows every change and equals a rebuild from scratch (property)', () => {
  const field = fc.integer({ min: 0, max: 30 }).map((i) => `f${i}`);
  const value = fc.constantFrom('', '1', 'x'.repeat(40), '2.5', 'abc');
  const command = fc.oneof(
    fc.tuple(fc.constant('HSET'), field, value).map(([c, f, v]) => [c, 'h', f, v]),
    fc.tuple(fc.constant('HSETNX'), field, value).map(([c, f, v]) => [c, 'h', f, v]),
    fc.tuple(fc.constant('HDEL'), field, field).map(([c, f, g]) => [c, 'h', f, g]),
    fc.tuple(fc.constant('HINCRBY'), field, fc.constantFrom('1', '-7')).map(([c, f, n]) => [c, 'h', f, n]),
    fc.tuple(fc.constant('HINCRBYFLOAT'), field, fc.constantFrom('0.5', '1e3')).map(([c, f, n]) => [c, 'h', f, n]),
  );
  fc.assert(fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
    const h = new Harness();
    for (const args of commands) h.apply(...args);
    const rebuilt = new Harness();
    const flat = plain(h.read('HGETALL', 'h')) as string[];
    if (flat.length > 0) rebuilt.apply('HSET', 'h', ...flat);
    assert.equal(h.kv.stats().memoryBytes, rebuilt.kv.stats().memoryBytes);
    assert.deepEqual(h.kv.digest().hash, rebuilt.kv.digest().hash);
  }), { numRuns: 150 });
});
