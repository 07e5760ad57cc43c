// A script's recorded effects (src/kv/script/script-effects.ts) applied in place of the script
// on an identical state: the same keyspace, replies, keyspace events, blocking-key readiness
// and counters as running it, for generated scripts over every type with TIME, math.random,
// SPOP/SRANDMEMBER, XADD with `*`, lazy expiry, evictions and errors midway; and for the
// scripts of a real BullMQ run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { encodeCommand } from '../../src/kv/command-codec.js';
import { encodeTransaction } from '../../src/kv/transaction.js';
import { KvStateMachine, type KvOptions } from '../../src/kv/state-machine.js';
import { argvOf, baseTimeMs, plain } from './harness.js';
import type { Reply } from '../../src/kv/reply.js';
import type { ScriptEffects } from '../../src/kv/script/script-effects.js';
import { fixtureArgv, readFixture } from '../../bench/bullmq-fixture.js';

/** One replica: a state machine with its keyspace events and ready keys observed. */
class Replica {
  readonly kv: KvStateMachine;
  readonly events: string[] = [];
  readonly ready: string[] = [];
  index = 0;

  constructor(options: KvOptions, waited: readonly string[]) {
    this.kv = new KvStateMachine(options);
    this.kv.events.sink = (channel, payload) => this.events.push(`${Buffer.from(channel).toString('latin1')} ${Buffer.from(payload).toString('latin1')}`);
    for (const key of waited) this.kv.readyKeys.wait(key);
    this.kv.readyKeys.onReady = () => this.ready.push(...this.kv.readyKeys.take());
  }

  entry(time: number, args: readonly (string | Uint8Array)[]): { index: number; data: Uint8Array } {
    this.index++;
    return { index: this.index, data: encodeCommand({ origin: 'n1', client: 1, seq: this.index, firstUnanswered: this.index, time, argv: argvOf(args) }) };
  }

  /** What must be the same on the two replicas. */
  observed(): unknown {
    this.ready.push(...this.kv.readyKeys.take());
    const { keys, hash } = this.kv.digest();
    const { expiredKeys, evictedKeys, memoryBytes, dedupReplies } = this.kv.stats();
    return { keys, hash, expiredKeys, evictedKeys, memoryBytes, dedupReplies, events: this.events, ready: this.ready };
  }
}

/** applyRecording, checked to have given a record (every script here keeps far fewer calls than the limit). */
function recordOf(kv: KvStateMachine, index: number, data: Uint8Array): { reply: Reply; effects: readonly ScriptEffects[] } {
  const { reply, effects } = kv.applyRecording(index, data);
  assert.ok(effects !== null, 'the entry has a record');
  return { reply, effects };
}

/** The keys a generated script gets (KEYS[1..7]) are drawn from these, so types collide (WRONGTYPE). */
const KEY_NAMES = ['str', 'hash', 'list', 'set', 'zset', 'stream', 'gone'];

/** Entries run before the script: one value of each type, and keys that expire before it runs. */
const SETUP: readonly (readonly string[])[] = [
  ['SET', 'str', '10'], ['HSET', 'hash', 'f', '1', 'g', 'x'], ['RPUSH', 'list', 'a', 'b', 'c'], ['SADD', 'set', 'm1', 'm2', 'm3', 'm4', 'm5'],
  ['ZADD', 'zset', '1', 'a', '2', 'b', '3', 'c'], ['XADD', 'stream', '*', 'f', 'v'], ['SET', 'gone', 'v', 'PX', '5'], ['PEXPIRE', 'hash', '7'],
];

/** Statements of a generated script; `k(i)` is KEYS[i]. Each adds what its call answered to `out`. */
const STATEMENTS: readonly string[] = [
  "add(redis.pcall('SET', k(1), math.random(1000)))",
  "add(redis.pcall('INCRBY', k(1), math.random(10)))",
  "add(redis.pcall('APPEND', k(2), 'x'))",
  "add(redis.pcall('GET', k(math.random(7))))",
  "add(redis.pcall('EXPIRE', k(1), 100))",
  "add(redis.pcall('PEXPIRE', k(3), 1))",
  "local t = redis.call('TIME') add(redis.pcall('SET', k(4), t[1] .. '.' .. t[2]))",
  "add(redis.pcall('HSET', k(2), 'f' .. math.random(5), math.random()))",
  "add(redis.pcall('HINCRBY', k(2), 'f', 1))",
  "add(redis.pcall('HGETALL', k(2)))",
  "add(redis.pcall('HDEL', k(2), 'f', 'g'))",
  "add(redis.pcall('LPUSH', k(3), 'v' .. math.random(9)))",
  "add(redis.pcall('RPOP', k(3)))",
  "add(redis.pcall('LMOVE', k(3), k(5), 'LEFT', 'RIGHT'))",
  "add(redis.pcall('LRANGE', k(3), 0, -1))",
  "add(redis.pcall('SADD', k(4), 'm' .. math.random(8)))",
  "add(redis.pcall('SPOP', k(4)))",
  "add(redis.pcall('SPOP', k(4), 2))",
  "add(redis.pcall('SRANDMEMBER', k(4), -3))",
  "add(redis.pcall('SMEMBERS', k(4)))",
  "add(redis.pcall('ZADD', k(5), math.random(100), 'z' .. math.random(4)))",
  "add(redis.pcall('ZINCRBY', k(5), 2, 'a'))",
  "add(redis.pcall('ZPOPMIN', k(5)))",
  "add(redis.pcall('ZRANDMEMBER', k(5), 2))",
  "add(redis.pcall('ZRANGE', k(5), 0, -1, 'WITHSCORES'))",
  "add(redis.pcall('XADD', k(6), '*', 'n', math.random(100)))",
  "add(redis.pcall('XADD', k(6), 'MAXLEN', '2', '*', 'n', 1))",
  "add(redis.pcall('XRANGE', k(6), '-', '+'))",
  "add(redis.pcall('DEL', k(math.random(7))))",
  "add(redis.pcall('EXISTS', k(7)))",
  "add(redis.pcall('RENAME', k(6), k(7)))",
  "add(redis.pcall('SET', k(7), string.rep('x', 300)))",
  "add(redis.pcall('NOSUCHCOMMAND', k(1)))",
  "math.randomseed(7)",
];

/** Statements that end the script midway with an error (the writes before it stay). */
const ENDINGS: readonly string[] = [
  'return out',
  "error('stopped midway')",
  "redis.call('LPUSH', k(1), 'x') return out",
  "redis.call('INCR', k(2)) return out",
  "return redis.error_reply('MINE custom')",
];

const PRELUDE = "local out = {} local function add(v) out[#out + 1] = cjson.encode({v}) end local function k(i) return KEYS[i] end ";

const scriptArbitrary = fc.record({
  statements: fc.array(fc.constantFrom(...STATEMENTS), { minLength: 1, maxLength: 12 }),
  ending: fc.constantFrom(...ENDINGS),
  keys: fc.array(fc.constantFrom(...KEY_NAMES), { minLength: 7, maxLength: 7 }),
  advanceMs: fc.integer({ min: 0, max: 12 }),
  notify: fc.constantFrom('', 'KEA', 'KEAm', 'Egxm'),
  maxMemoryBytes: fc.constantFrom(0, 1200),
  evalsha: fc.boolean(),
  waited: fc.subarray(KEY_NAMES),
});

test('replaying a script\'s recorded effects gives the state, replies and events of running it (property)', () => {
  fc.assert(fc.property(scriptArbitrary, (c) => {
    const options: KvOptions = c.maxMemoryBytes === 0 ? {} : { maxMemoryBytes: c.maxMemoryBytes, evictionPolicy: 'allkeys-random' };
    const body = PRELUDE + c.statements.join(' ') + ' ' + c.ending;
    const runner = new Replica(options, c.waited);
    const replayer = new Replica(options, c.waited);
    const both = (time: number, args: readonly string[]): void => {
      for (const replica of [runner, replayer]) {
        const { index, data } = replica.entry(time, args);
        replica.kv.apply(index, data);
      }
    };
    both(baseTimeMs, ['RAFTIS.CONFIG', 'notify-keyspace-events', c.notify]);
    both(baseTimeMs, ['SCRIPT', 'LOAD', body]);
    for (const args of SETUP) both(baseTimeMs, args);
    const time = baseTimeMs + c.advanceMs;
    const sha = createHash('sha1').update(body).digest('hex');
    const call = c.evalsha ? ['EVALSHA', sha, '7', ...c.keys] : ['EVAL', body, '7', ...c.keys];
    const ran = runner.entry(time, call);
    const recorded = recordOf(runner.kv, ran.index, ran.data);
    const replayed = replayer.entry(time, call);
    const reply = replayer.kv.applyReplaying(replayed.index, replayed.data, recorded.effects);
    assert.deepEqual(plain(reply), plain(recorded.reply), 'the reply');
    assert.deepEqual(replayer.observed(), runner.observed(), 'state, events and readiness');
    // Later entries see the same state: stream IDs after XADD *, random picks, the same entry retried.
    for (const args of [['XADD', 'stream', '*', 'a', 'b'], ['SPOP', 'set'], ['RANDOMKEY']]) {
      const [a, b] = [runner, replayer].map((replica) => {
        const { index, data } = replica.entry(time + 1, args);
        return plain(replica.kv.apply(index, data));
      });
      assert.deepEqual(b, a, args.join(' '));
    }
    const retried = encodeCommand({ origin: 'n1', client: 1, seq: ran.index, firstUnanswered: ran.index, time: time + 2, argv: argvOf(call) });
    assert.deepEqual(plain(replayer.kv.apply(replayer.index + 1, retried)), plain(runner.kv.apply(runner.index + 1, retried)), 'a retried script answered once');
  }), {
    numRuns: 300,
    // Found once: a run's start evicted a key and the run made no call that reported it (the
    // replica that replays must not report the eviction again as the script's own delete).
    examples: [[{ statements: ["add(redis.pcall('ZRANDMEMBER', k(5), 2))", "add(redis.pcall('XRANGE', k(6), '-', '+'))"], ending: "return redis.error_reply('MINE custom')", keys: ['str', 'str', 'str', 'str', 'str', 'str', 'stream'], advanceMs: 0, notify: 'KEA', maxMemoryBytes: 1200, evalsha: false, waited: [] }]],
  });
});

test('a script\'s reads are kept only when they changed something or key misses are reported', () => {
  const runner = new Replica({}, []);
  const script = (args: readonly string[], time: number): readonly { argv: readonly Uint8Array[] }[] => {
    const { index, data } = runner.entry(time, args);
    const { effects } = recordOf(runner.kv, index, data);
    assert.equal(effects.length, 1);
    return (effects[0] as { calls: readonly { argv: readonly Uint8Array[] }[] }).calls;
  };
  const names = (calls: readonly { argv: readonly Uint8Array[] }[]): string[] => calls.map((call) => Buffer.from(call.argv[0] as Uint8Array).toString('latin1'));
  const rmw = "local v = redis.call('GET', KEYS[1]) local n = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 100) return n";
  assert.deepEqual(names(script(['EVAL', rmw, '1', 'counter'], baseTimeMs)), ['INCR', 'EXPIRE'], 'a read that changed nothing is not kept');
  const { index, data } = runner.entry(baseTimeMs, ['SET', 'old', 'v', 'PX', '1']);
  runner.kv.apply(index, data);
  assert.deepEqual(names(script(['EVAL', "return redis.call('GET', KEYS[1])", '1', 'old'], baseTimeMs + 5)), ['GET'], 'a read that expired a key is kept');
  const config = runner.entry(baseTimeMs + 5, ['RAFTIS.CONFIG', 'notify-keyspace-events', 'Em']);
  runner.kv.apply(config.index, config.data);
  assert.deepEqual(names(script(['EVAL', "return redis.call('GET', KEYS[1])", '1', 'absent'], baseTimeMs + 5)), ['GET'], 'with key misses on, every read is kept');
});

test('effects that do not fit the entry are refused, not guessed', () => {
  const runner = new Replica({}, []);
  const replayer = new Replica({}, []);
  const body = "redis.call('SET', KEYS[1], 'v') return 1";
  const ran = runner.entry(baseTimeMs, ['EVAL', body, '1', 'k']);
  const { effects } = recordOf(runner.kv, ran.index, ran.data);
  const replayed = replayer.entry(baseTimeMs + 1, ['EVAL', body, '1', 'k']);
  assert.throws(() => replayer.kv.applyReplaying(replayed.index, replayed.data, effects), /recorded at time .* replayed at/);
  const other = new Replica({}, []);
  const plainSet = other.entry(baseTimeMs, ['SET', 'k', 'v']);
  assert.throws(() => other.kv.applyReplaying(plainSet.index, plainSet.data, effects), /ran 0 scripts, 1 were recorded/);
});

test('BullMQ\'s scripts, recorded on one replica and replayed on another, give the same replies and keyspace', () => {
  const { commands } = readFixture();
  const runner = new KvStateMachine();
  const replayer = new KvStateMachine();
  let scriptsReplayed = 0;
  let callsReplayed = 0;
  commands.forEach((command, i) => {
    const data = encodeCommand({ ...command, argv: fixtureArgv(command) });
    const recorded = recordOf(runner, i + 1, data);
    const reply = replayer.applyReplaying(i + 1, data, recorded.effects);
    assert.deepEqual(plain(reply), plain(recorded.reply), `entry ${i + 1}`);
    scriptsReplayed += recorded.effects.length;
    for (const run of recorded.effects) callsReplayed += run.calls.length;
  });
  assert.ok(scriptsReplayed > 1000, `${scriptsReplayed} script runs replayed`);
  assert.ok(callsReplayed > scriptsReplayed, `${callsReplayed} calls replayed`);
  assert.deepEqual(replayer.digest(), runner.digest());
  assert.deepEqual(replayer.stats(), runner.stats());
});

test('FCALL\'s runs are recorded and replayed as EVAL\'s, two in one transaction in order', () => {
  const library = "#!lua name=lib\nredis.register_function('pick', function(keys, args) local m = redis.call('SPOP', keys[1]) redis.call('RPUSH', keys[2], m, math.random(100)) return m end)";
  const [runner, replayer] = [new Replica({}, ['out']), new Replica({}, ['out'])];
  for (const args of [['FUNCTION', 'LOAD', library], ['SADD', 'in', 'a', 'b', 'c', 'd', 'e', 'f']]) {
    for (const replica of [runner, replayer]) {
      const { index, data } = replica.entry(baseTimeMs, args);
      replica.kv.apply(index, data);
    }
  }
  const fcall = ['FCALL', 'pick', '2', 'in', 'out'];
  const transaction = encodeTransaction({ watches: [], commands: [argvOf(fcall), argvOf(['EVAL', "return redis.call('SPOP', KEYS[1])", '1', 'in'])] });
  for (const [args, runs] of [[argvOf(fcall), 1], [transaction, 2]] as const) {
    const ran = runner.entry(baseTimeMs + 3, args);
    const recorded = recordOf(runner.kv, ran.index, ran.data);
    assert.equal(recorded.effects.length, runs);
    const replayed = replayer.entry(baseTimeMs + 3, args);
    assert.deepEqual(plain(replayer.kv.applyReplaying(replayed.index, replayed.data, recorded.effects)), plain(recorded.reply));
  }
  assert.deepEqual(replayer.observed(), runner.observed());
});

test('a run that keeps more calls than scriptEffectsCallsMax leaves its entry without a record, and runs as usual', () => {
  const runner = new Replica({ scriptEffectsCallsMax: 3 }, []);
  const loop = "for i = 1, ARGV[1] do redis.call('INCR', KEYS[1]) end return redis.call('GET', KEYS[1])";
  const within = runner.entry(baseTimeMs, ['EVAL', loop, '1', 'n', '3']);
  assert.equal(runner.kv.applyRecording(within.index, within.data).effects?.[0]?.calls.length, 3);
  const beyond = runner.entry(baseTimeMs, ['EVAL', loop, '1', 'n', '4']);
  const { reply, effects } = runner.kv.applyRecording(beyond.index, beyond.data);
  assert.equal(effects, null);
  assert.deepEqual(plain(reply), '7');
  assert.throws(() => new KvStateMachine({ scriptEffectsCallsMax: 0 }), /invalid scriptEffectsCallsMax 0/);
});
