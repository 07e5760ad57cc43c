// What a node counts of a script's calls (call-stats.ts): each call as a command of its own,
// with its outcome (ran, failed, rejected) and error, and whether the script's error reply is
// one a call answered (counted already where it arose, so not counted again), as Redis 7.0
// counts them in INFO commandstats and errorstats.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, plain } from './harness.js';
import type { ScriptCall } from '../../src/kv/script/call-stats.js';
import type { Reply } from '../../src/kv/reply.js';
import { encodeCommandBatch } from '../../src/kv/command-codec.js';
import type { CommandTiming } from '../../src/kv/state-machine.js';

/** A harness whose state machine counts script calls, on a clock that moves 1 ms per reading. */
function counting(): Harness {
  const h = new Harness();
  let ms = 0;
  h.kv.countScriptCalls(() => ms++, () => true);
  return h;
}

/** The calls without their times (which the clock gives), as [command, outcome, error]. */
function outcomes(calls: readonly ScriptCall[] | null): [string | null, string, string | null][] {
  return (calls ?? []).map((call) => [call.command, call.outcome, call.error]);
}

function isCounted(reply: Reply): boolean {
  return reply.kind === 'error' && reply.counted === true;
}

test('each call is told with its outcome: ran, failed with its error, or refused before it ran', () => {
  const h = counting();
  h.apply('SET', 's', 'text');
  const reply = h.apply('EVAL', "redis.pcall('incr', KEYS[1]); redis.pcall('nosuch'); redis.pcall('get'); return redis.call('set', KEYS[1], 'x')", '1', 's');
  assert.deepEqual(reply, { kind: 'simple', value: 'OK' });
  assert.deepEqual(outcomes(h.kv.lastAppliedCalls), [
    ['incr', 'failed', 'ERR value is not an integer or out of range'],
    [null, 'rejected', 'ERR Unknown Redis command called from script'],
    ['get', 'rejected', 'ERR Wrong number of args calling Redis command from script'],
    ['set', 'ok', null],
  ]);
  assert.ok(h.kv.lastAppliedCalls?.every((call) => call.outcome === 'rejected' ? call.usec === 0 : call.usec > 0), 'calls that ran are timed');
});

test('a container\'s subcommand is named as INFO commandstats names it; commands outside the table count under their own names', () => {
  const h = counting();
  h.apply('XADD', 'st', '1-1', 'f', 'v');
  h.apply('EVAL', "redis.pcall('XGROUP', 'CREATECONSUMER', KEYS[1], 'nogroup', 'c'); redis.call('select', 0); return redis.pcall('select', 9)", '1', 'st');
  assert.deepEqual(outcomes(h.kv.lastAppliedCalls), [
    ['xgroup|createconsumer', 'failed', "NOGROUP No such consumer group 'nogroup' for key name 'st'"],
    ['select', 'ok', null],
    ['select', 'failed', 'ERR DB index is out of range'],
  ]);
});

test('a script that fails with its call\'s error, or returns it, answers an error counted already; any other error is not', () => {
  const h = counting();
  h.apply('SET', 's', 'text');
  const raised = h.apply('EVAL', "return redis.call('lpush', KEYS[1], 'a')", '1', 's');
  assert.match(raised.kind === 'error' ? raised.message : '', /^WRONGTYPE .* script: \w+, on @user_script:1\.$/);
  assert.ok(isCounted(raised), 'redis.call raising the command\'s error');
  assert.ok(isCounted(h.apply('EVAL', "return redis.pcall('lpush', KEYS[1], 'a')", '1', 's')), 'the error table redis.pcall gave, returned');
  assert.ok(isCounted(h.apply('EVAL_RO', "return redis.call('set', KEYS[1], 'a')", '1', 's')), 'a call refused (a write from a read-only script)');
  assert.equal(plain(h.apply('EVAL', "local t = redis.pcall('lpush', KEYS[1], 'a'); return tostring(t['ignore_error_stats_update'])", '1', 's')), 'true', 'the mark scripts see, as in Redis');
  for (const script of ["return redis.error_reply('MY_ERR custom')", "return {err='MY_ERR own'}", 'error("boom")', 'return nosuch.field']) {
    const reply = h.apply('EVAL', script, '0');
    assert.equal(reply.kind, 'error', script);
    assert.ok(!isCounted(reply), `${script}: an error of the script's own`);
  }
});

test('calls are told per command: a batch keeps each command\'s, a command without scripts has none, a read script has its own', () => {
  const h = counting();
  const timing: CommandTiming = { clockMs: () => 0, usec: [], calls: [] };
  h.index++;
  h.kv.apply(h.index, encodeCommandBatch({
    origin: 'n1', time: h.time,
    commands: [
      { client: 1, seq: 1, firstUnanswered: 1, argv: ['EVAL', "return redis.call('incr', KEYS[1])", '1', 'n'].map((a) => Buffer.from(a)) },
      { client: 2, seq: 1, firstUnanswered: 1, argv: ['SET', 'plain', 'v'].map((a) => Buffer.from(a)) },
      { client: 3, seq: 1, firstUnanswered: 1, argv: ['EVAL', "return redis.call('get', KEYS[1])", '1', 'n'].map((a) => Buffer.from(a)) },
    ],
  }), timing);
  assert.deepEqual(timing.calls.map(outcomes), [[['incr', 'ok', null]], [], [['get', 'ok', null]]]);
  h.apply('SET', 'plain', 'again');
  assert.equal(h.kv.lastAppliedCalls, null);
  h.kv.readScript(['EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'n'].map((a) => Buffer.from(a)), h.time);
  assert.deepEqual(outcomes(h.kv.lastReadCalls), [['get', 'ok', null]]);
  assert.equal(h.kv.lastAppliedCalls, null, 'a read script leaves the applied command\'s calls alone');
});

test('a state machine that does not count keeps no log; one that answers no proposal keeps only its read scripts\' calls', () => {
  const h = new Harness();
  h.apply('EVAL', "return redis.call('incr', KEYS[1])", '1', 'n');
  assert.equal(h.kv.lastAppliedCalls, null);
  const follower = new Harness();
  follower.kv.countScriptCalls(() => 0, () => false);
  follower.apply('EVAL', "return redis.call('incr', KEYS[1])", '1', 'n');
  assert.equal(follower.kv.lastAppliedCalls, null);
  follower.kv.readScript(['EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'n'].map((a) => Buffer.from(a)), follower.time);
  assert.deepEqual(outcomes(follower.kv.lastReadCalls), [['get', 'ok', null]]);
});
