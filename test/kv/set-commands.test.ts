// Set commands: Redis 7's replies and error texts for each command (WRONGTYPE included), the
// reply kinds RESP3 needs, deterministic SPOP/SRANDMEMBER, SSCAN's guarantee under writes,
// *STORE replacing any destination, and the memory estimate kept by deltas.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, plain, type Plain } from './harness.js';
import { randomRepeatCountMax } from '../../src/kv/random-picks.js';

const wrongType = { err: 'WRONGTYPE Operation against a key holding the wrong kind of value' };

/** A harness with a string at 'str' and the set s = {a, b, c}. */
function seeded(): Harness {
  const h = new Harness();
  h.apply('SET', 'str', 'v');
  h.apply('SADD', 's', 'a', 'b', 'c');
  return h;
}

function expectReplies(h: Harness, cases: readonly (readonly [readonly string[], Plain])[]): void {
  for (const [args, expected] of cases) assert.deepEqual(plain(h.apply(...args)), expected, args.join(' '));
}

/** A reply's members, sorted (set order is ours, not Redis's). */
function sorted(reply: Plain): string[] {
  assert.ok(Array.isArray(reply), `not an array: ${JSON.stringify(reply)}`);
  return (reply as string[]).slice().sort();
}

function members(h: Harness, key: string): string[] {
  return sorted(plain(h.read('SMEMBERS', key)));
}

test('SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS; an emptied set is no key', () => {
  const h = seeded();
  expectReplies(h, [
    [['SADD', 's', 'c', 'd', 'd'], 1], [['SCARD', 's'], 4], [['SCARD', 'nokey'], 0],
    [['SISMEMBER', 's', 'a'], 1], [['SISMEMBER', 's', 'zz'], 0], [['SISMEMBER', 'nokey', 'a'], 0],
    [['SMISMEMBER', 's', 'a', 'zz', 'd'], [1, 0, 1]], [['SMISMEMBER', 'nokey', 'a', 'b'], [0, 0]],
    [['SMISMEMBER', 's'], { err: "ERR wrong number of arguments for 'smismember' command" }],
    [['SADD', 's'], { err: "ERR wrong number of arguments for 'sadd' command" }],
    [['SREM', 's', 'zz', 'zz'], 0], [['SREM', 'nokey', 'a'], 0], [['SREM', 's', 'a', 'b', 'zz'], 2], [['TYPE', 's'], 'set'],
    [['SMEMBERS', 'nokey'], []], [['SREM', 's', 'c', 'd', 'e', 'f'], 2], [['EXISTS', 's'], 0], [['TYPE', 's'], 'none'],
  ]);
  h.apply('SADD', 's', 'A', 'a', 'b', 'c', 'B', '');
  assert.deepEqual(members(h, 's'), ['', 'A', 'B', 'a', 'b', 'c']);
  assert.equal(h.read('SMEMBERS', 's').kind, 'set');
  assert.equal(h.read('SMEMBERS', 'nokey').kind, 'set');
});

test('every set command answers WRONGTYPE on another type, for any key of a multi-key command', () => {
  const h = seeded();
  expectReplies(h, [
    ...[
      ['SADD', 'str', 'a'], ['SREM', 'str', 'a'], ['SMEMBERS', 'str'], ['SISMEMBER', 'str', 'a'], ['SMISMEMBER', 'str', 'a'], ['SCARD', 'str'],
      ['SPOP', 'str'], ['SPOP', 'str', '0'], ['SRANDMEMBER', 'str'], ['SRANDMEMBER', 'str', '0'], ['SMOVE', 'str', 's', 'a'], ['SMOVE', 's', 'str', 'a'],
      ['SSCAN', 'str', '0'], ['SINTER', 'str', 'nokey'], ['SINTER', 'nokey', 'str'], ['SINTER', 's', 'str'], ['SINTERCARD', '2', 'nokey', 'str'],
      ['SUNION', 'nokey', 'str'], ['SDIFF', 'nokey', 'str'], ['SDIFF', 'str', 's'], ['SINTERSTORE', 'd', 'nokey', 'str'],
      ['SUNIONSTORE', 'd', 's', 'str'], ['SDIFFSTORE', 'd', 'nokey', 'str'], ['SDIFFSTORE', 's', 'str', 's'],
    ].map((args): readonly [readonly string[], Plain] => [args, wrongType]),
    [['EXISTS', 'd'], 0], [['SCARD', 's'], 3],
    [['SPOP', 'str', 'x'], { err: 'ERR value is out of range, must be positive' }],
    [['SRANDMEMBER', 'str', 'x'], { err: 'ERR value is not an integer or out of range' }],
    [['SMOVE', 'nokey', 'str', 'a'], 0],
  ]);
});

test('SMOVE: moves, same set, absent source or member, and a destination created on demand', () => {
  const h = seeded();
  h.apply('SADD', 'd', 'x');
  expectReplies(h, [
    [['SMOVE', 's', 'd', 'a'], 1], [['SMOVE', 's', 'd', 'zz'], 0], [['SMOVE', 'nokey', 'd', 'a'], 0], [['SMOVE', 's', 's', 'b'], 1],
    [['SMOVE', 's', 's', 'zz'], 0], [['SMOVE', 's', 'fresh', 'b'], 1], [['SMEMBERS', 'fresh'], ['b']], [['SMOVE', 's', 'd', 'c'], 1],
    [['EXISTS', 's'], 0], [['SMOVE', 'd', 'str', 'x'], wrongType], [['SMOVE', 's', 'd'], { err: "ERR wrong number of arguments for 'smove' command" }],
  ]);
  assert.deepEqual(members(h, 'd'), ['a', 'c', 'x']);
});

test('SMOVE of a member the destination has already is no write to the destination (WATCH)', () => {
  const h = seeded();
  h.apply('SADD', 'd', 'a');
  const before = h.kv.keyVersion(Buffer.from('d'), h.time);
  assert.equal(plain(h.apply('SMOVE', 's', 'd', 'a')), 1);
  assert.equal(h.kv.keyVersion(Buffer.from('d'), h.time), before);
  assert.deepEqual(members(h, 's'), ['b', 'c']);
});

test('SPOP: one member, a count, the whole set, and Redis error texts', () => {
  const h = new Harness();
  const all = Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i));
  h.apply('SADD', 's', ...all);
  const popped: string[] = [];
  for (const count of ['11', '9', '0', '4', '1', '0']) {
    const reply = h.apply('SPOP', 's', count);
    assert.equal(reply.kind, 'set');
    popped.push(...(plain(reply) as string[]));
  }
  popped.push(plain(h.apply('SPOP', 's')) as string);
  assert.deepEqual(plain(h.apply('SCARD', 's')), 0);
  assert.deepEqual(popped.sort(), all);
  h.apply('SADD', 's', 'x', 'y');
  expectReplies(h, [
    [['SPOP', 's', '5'], (plain(h.read('SMEMBERS', 's')) as string[]).reverse()], [['EXISTS', 's'], 0], [['SPOP', 'nokey'], null], [['SPOP', 'nokey', '3'], []],
    [['SPOP', 's', '-1'], { err: 'ERR value is out of range, must be positive' }], [['SPOP', 's', '1', '2'], { err: 'ERR syntax error' }],
    [['SADD', 's', 'a'], 1], [['SPOP', 's', '9223372036854775807'], ['a']],
  ]);
});

test('SPOP is a write: replicas applying the same entries pop the same members', () => {
  const replicas = [new Harness(), new Harness()];
  for (const h of replicas) h.apply('SADD', 's', ...Array.from({ length: 100 }, (_, i) => `m${i}`));
  const replies = replicas.map((h) => [plain(h.apply('SPOP', 's')), plain(h.apply('SPOP', 's', '10')), plain(h.apply('SRANDMEMBER', 's', '-5'))]);
  assert.deepEqual(replies[0], replies[1]);
  assert.deepEqual(members(replicas[0] as Harness, 's'), members(replicas[1] as Harness, 's'));
});

test('SRANDMEMBER: count, negative count, Redis error texts and reply kinds', () => {
  const h = new Harness();
  const all = Array.from({ length: 50 }, (_, i) => `m${i}`);
  h.apply('SADD', 's', ...all);
  assert.ok(all.includes(plain(h.read('SRANDMEMBER', 's')) as string));
  for (const count of [1, 5, 45, 50, 100]) {
    const reply = plain(h.read('SRANDMEMBER', 's', String(count))) as string[];
    assert.equal(reply.length, Math.min(count, 50));
    assert.equal(new Set(reply).size, reply.length, `count ${count}: distinct`);
    for (const member of reply) assert.ok(all.includes(member));
  }
  const repeated = h.read('SRANDMEMBER', 's', '-100');
  assert.equal(repeated.kind, 'array');
  assert.equal((plain(repeated) as string[]).length, 100);
  expectReplies(h, [
    [['SRANDMEMBER', 's', '0'], []], [['SRANDMEMBER', 'nokey', '100'], []], [['SRANDMEMBER', 'nokey', '-3'], []], [['SRANDMEMBER', 'nokey'], null],
    [['SRANDMEMBER', 's', '1', '2'], { err: 'ERR syntax error' }], [['SRANDMEMBER', 's', 'x', '2'], { err: 'ERR syntax error' }],
    [['SRANDMEMBER', 's', 'x'], { err: 'ERR value is not an integer or out of range' }],
    [['SRANDMEMBER', 's', '-9223372036854775808'], { err: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807' }],
    [['SRANDMEMBER', 's', String(-randomRepeatCountMax - 1)], { err: `ERR value is out of range, value must between ${-randomRepeatCountMax} and 9223372036854775807` }],
  ]);
  assert.equal((plain(h.read('SRANDMEMBER', 's', String(-randomRepeatCountMax))) as string[]).length, randomRepeatCountMax);
});

test('SRANDMEMBER is uniform over successive reads at one read point (chi-square, as Redis tests it)', () => {
  const h = new Harness();
  const all = ['1', '5', '10', '50', '125', 'MARY', 'PATRICIA', 'LINDA', 'BARBARA', 'ELIZABETH'];
  h.apply('SADD', 's', ...all);
  for (const [count, calls] of [[-1000, 1], [8, 125], [2, 500]] as const) {
    const counts = new Map<string, number>();
    for (let i = 0; i < calls; i++) {
      for (const member of plain(h.read('SRANDMEMBER', 's', String(count))) as string[]) counts.set(member, (counts.get(member) ?? 0) + 1);
    }
    const expected = 1000 / all.length;
    const chiSquare = [...counts.values()].reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
    assert.ok(chiSquare < 40, `count ${count}: chi-square ${chiSquare}`);
  }
});

test('SINTER, SINTERCARD, SUNION, SDIFF; absent keys are empty sets', () => {
  const h = new Harness();
  for (let i = 0; i < 200; i++) h.apply('SADD', 'set1', String(i));
  for (let i = 195; i < 395; i++) h.apply('SADD', 'set2', String(i));
  h.apply('SADD', 'set3', '199', '195', '1000', '2000');
  for (let i = 5; i < 200; i++) h.apply('SADD', 'set4', String(i));
  h.apply('SADD', 'set5', '0');
  assert.deepEqual(sorted(plain(h.read('SINTER', 'set1', 'set2'))), ['195', '196', '197', '198', '199']);
  assert.deepEqual(sorted(plain(h.read('SINTER', 'set1', 'set2', 'set3'))), ['195', '199']);
  assert.deepEqual(plain(h.read('SINTER', 'set1', 'nokey')), []);
  assert.equal(h.read('SINTER', 'set1', 'nokey').kind, 'set');
  assert.deepEqual(sorted(plain(h.read('SDIFF', 'set1', 'set4', 'set5'))), ['1', '2', '3', '4']);
  assert.deepEqual(plain(h.read('SDIFF', 'nokey', 'set1')), []);
  assert.deepEqual(plain(h.read('SDIFF', 'set1', 'set1')), []);
  assert.equal((plain(h.read('SUNION', 'nokey', 'set1', 'set2')) as string[]).length, 395);
  assert.equal(h.read('SUNION', 'set1').kind, 'set');
  expectReplies(h, [
    [['SINTERCARD', '2', 'set1', 'set2'], 5], [['SINTERCARD', '2', 'set1', 'set2', 'LIMIT', '0'], 5], [['SINTERCARD', '2', 'set1', 'set2', 'limit', '3'], 3],
    [['SINTERCARD', '3', 'set1', 'set2', 'set3', 'LIMIT', '10'], 2], [['SINTERCARD', '1', 'nokey'], 0], [['SINTERCARD', '1', 'set1', 'LIMIT', '1', 'LIMIT', '2'], 2],
    [['SINTERCARD'], { err: "ERR wrong number of arguments for 'sintercard' command" }],
    [['SINTERCARD', '1'], { err: "ERR wrong number of arguments for 'sintercard' command" }],
    [['SINTERCARD', '0', 'set1'], { err: 'ERR numkeys should be greater than 0' }], [['SINTERCARD', 'a', 'set1'], { err: 'ERR numkeys should be greater than 0' }],
    [['SINTERCARD', '2', 'set1'], { err: "ERR Number of keys can't be greater than number of args" }],
    [['SINTERCARD', '9223372036854775807', 'set1'], { err: "ERR Number of keys can't be greater than number of args" }],
    [['SINTERCARD', '1', 'set1', 'set2'], { err: 'ERR syntax error' }], [['SINTERCARD', '1', 'set1', 'LIMIT'], { err: 'ERR syntax error' }],
    [['SINTERCARD', '1', 'set1', 'LIMIT', '-1'], { err: "ERR LIMIT can't be negative" }], [['SINTERCARD', '1', 'set1', 'LIMIT', 'a'], { err: "ERR LIMIT can't be negative" }],
    [['SUNION'], { err: "ERR wrong number of arguments for 'sunion' command" }], [['SINTERSTORE', 'd'], { err: "ERR wrong number of arguments for 'sinterstore' command" }],
  ]);
});

test('*STORE replaces the destination whatever it holds (its expiry too), and deletes it for an empty result', () => {
  const h = seeded();
  h.apply('SADD', 't', 'b', 'c', 'd');
  h.apply('SET', 'dst', 'string', 'PX', '100000');
  expectReplies(h, [
    [['SINTERSTORE', 'dst', 's', 't'], 2], [['TYPE', 'dst'], 'set'], [['PTTL', 'dst'], -1], [['SUNIONSTORE', 'dst', 's', 't'], 4],
    [['SDIFFSTORE', 'dst', 's', 't'], 1], [['SMEMBERS', 'dst'], ['a']], [['SDIFFSTORE', 'dst', 's', 's'], 0], [['EXISTS', 'dst'], 0],
    [['SET', 'dst', 'x'], 'OK'], [['SINTERSTORE', 'dst', 'foo', 'bar'], 0], [['EXISTS', 'dst'], 0], [['SUNIONSTORE', 'dst', 'foo'], 0],
    [['SUNIONSTORE', 's', 's', 't'], 4], [['SDIFFSTORE', 's', 's', 't'], 1], [['SMEMBERS', 's'], ['a']],
    [['SINTERSTORE', 'dst', 'nokey', 'str'], wrongType], [['SADD', 'dst', 'kept'], 1], [['SDIFFSTORE', 'dst', 's', 'str'], wrongType], [['SMEMBERS', 'dst'], ['kept']],
  ]);
});

test('SSCAN: cursors, MATCH, COUNT, and Redis error texts in its order of checks', () => {
  const h = seeded();
  h.apply('SADD', 'p', 'foo', 'fab', 'fiz', 'foobar', '1', '2', '3', '4');
  assert.deepEqual(sorted((plain(h.apply('SSCAN', 'p', '0', 'MATCH', 'foo*', 'COUNT', '10000')) as Plain[])[1] as Plain), ['foo', 'foobar']);
  assert.deepEqual(plain(h.apply('SSCAN', 'p', '0', 'COUNT', '3')), ['5', ['4', '3', '2']]);
  assert.deepEqual(plain(h.apply('SSCAN', 'p', '5', 'COUNT', '3', 'MATCH', '*')), ['2', ['1', 'foobar', 'fiz']]);
  assert.deepEqual(plain(h.apply('SSCAN', 'p', '2', 'COUNT', '3')), ['0', ['fab', 'foo']]);
  expectReplies(h, [
    [['SSCAN', 'nokey', '0', 'foo'], ['0', []]], [['SSCAN', 'nokey', 'x'], { err: 'ERR invalid cursor' }], [['SSCAN', 'p', '0', 'COUNT', '-1'], { err: 'ERR syntax error' }],
    [['SSCAN', 'p', '0', 'TYPE', 'string'], { err: 'ERR syntax error' }], [['SSCAN', 'p', '0', 'MATCH'], { err: 'ERR syntax error' }],
  ]);
});

/** Every member SSCAN returns from cursor 0 to 0, changing the set with `between` after each call. */
function scanAll(h: Harness, key: string, count: number, between: (call: number) => void): string[] {
  const found: string[] = [];
  let cursor = '0';
  for (let call = 0; ; call++) {
    const [next, items] = plain(h.read('SSCAN', key, cursor, 'COUNT', String(count))) as [string, string[]];
    found.push(...items);
    cursor = next;
    if (cursor === '0') return found;
    between(call);
  }
}

test('SSCAN returns every member present for the whole iteration, while others come and go (property)', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 12 }),
    fc.array(fc.tuple(fc.constantFrom('SADD', 'SREM', 'SPOP'), fc.integer({ min: 0, max: 99 })), { maxLength: 40 }),
    (stable, count, changes) => {
      const h = new Harness();
      h.apply('SADD', 's', ...Array.from({ length: 50 }, (_, i) => `churn${i}`));
      for (let i = 0; i < stable; i++) h.apply('SADD', 's', `keep${i}`);
      const seen = new Set(scanAll(h, 's', count, (call) => {
        for (const [command, n] of changes.slice(call * 3, call * 3 + 3)) {
          // SPOP may take a kept member: pop from a set of churn members only.
          if (command === 'SPOP') h.apply('SMOVE', 's', 'other', `churn${n}`);
          else h.apply(command, 's', `churn${n}`);
        }
      }));
      for (let i = 0; i < stable; i++) assert.ok(seen.has(`keep${i}`), `keep${i} missed`);
    },
  ), { numRuns: 200 });
});

test('the memory estimate follows every change and equals a rebuild from scratch (property)', () => {
  const member = fc.integer({ min: 0, max: 30 }).map((i) => `m${i}${'x'.repeat(i)}`);
  const key = fc.constantFrom('s', 't');
  const command = fc.oneof(
    fc.tuple(fc.constant('SADD'), key, member, member).map((t) => [...t]),
    fc.tuple(fc.constant('SREM'), key, member).map((t) => [...t]),
    fc.tuple(fc.constant('SPOP'), key, fc.constantFrom('1', '3')).map((t) => [...t]),
    fc.tuple(fc.constant('SMOVE'), key, key, member).map((t) => [...t]),
    fc.tuple(fc.constantFrom('SUNIONSTORE', 'SINTERSTORE', 'SDIFFSTORE'), key, key, key).map((t) => [...t]),
  );
  fc.assert(fc.property(fc.array(command, { maxLength: 60 }), (commands) => {
    const h = new Harness();
    for (const args of commands) h.apply(...args);
    const rebuilt = new Harness();
    for (const name of ['s', 't']) {
      const found = plain(h.read('SMEMBERS', name)) as string[];
      if (found.length > 0) rebuilt.apply('SADD', name, ...found);
    }
    assert.equal(h.kv.stats().memoryBytes, rebuilt.kv.stats().memoryBytes);
    assert.deepEqual(h.kv.digest().hash, rebuilt.kv.digest().hash);
  }), { numRuns: 150 });
});
