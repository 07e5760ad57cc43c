// The kill point of a run that may pause (ScriptVm.start with a decision): past
// KILLABLE_AFTER_INSTRUCTIONS with no write call a run is killable; it stops at its first
// write call, or at its end, until its decision is filed; a kill ends it (at once, and at any
// later check, through pcall too), a "continue" lets it go on as it would have. A run that
// wrote before the point is never killable, and a decision does nothing to it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KILLABLE_AFTER_INSTRUCTIONS, ScriptVm, killedByUser, type KillDecision, type PausedRun, type ScriptRun } from '../../src/kv/script/script-vm.js';
import { sha1Hex } from '../../src/kv/script/sha1.js';
import type { Reply } from '../../src/kv/reply.js';
import { errorReply, okReply } from '../../src/kv/replies.js';
import { encodeCommand } from '../../src/kv/command-codec.js';
import { scriptDecisionArgv, unkillableReply } from '../../src/kv/script/kill-decisions.js';
import { encodeTransaction } from '../../src/kv/transaction.js';
import { Harness, argvOf } from './harness.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');
const WRITES = new Set(['set', 'incr']);

function scriptRun(body: string, calls: string[][]): ScriptRun {
  return {
    name: 'f_test', sha: sha1Hex(bytes(body)), body: bytes(body), keys: [bytes('k')], args: [], seed: 7,
    instructionsMax: 50_000_000, stringBytesMax: 64 * 1024 * 1024,
    call: (argv) => {
      calls.push(argv.map((arg) => Buffer.from(arg).toString('latin1')));
      return okReply;
    },
    writes: (argv) => WRITES.has(Buffer.from(argv[0] ?? new Uint8Array()).toString('latin1').toLowerCase()),
    aclCheck: () => true,
  };
}

function isPaused(outcome: Reply | PausedRun<Reply>): outcome is PausedRun<Reply> {
  return 'resume' in outcome;
}

/** A loop well past the kill point, reading only. */
const PAST_POINT = `local s = 0 for i = 1, ${KILLABLE_AFTER_INSTRUCTIONS} do s = s + i % 7 end`;

/**
 * Runs `body`, pausing at every check; `decide(pauses, run)` says which decision is filed at
 * each pause (null: none yet). Returns the reply, the calls made, and the run as it was at the
 * last pause.
 */
function runWith(body: string, decide: (pauses: number, run: PausedRun<Reply>) => KillDecision | null): { reply: Reply; calls: string[][]; last: PausedRun<Reply> | null; pauses: number } {
  const calls: string[][] = [];
  let decision: KillDecision | null = null;
  let outcome = new ScriptVm().start(scriptRun(body, calls), () => true, () => decision);
  let pauses = 0;
  let last: PausedRun<Reply> | null = null;
  while (isPaused(outcome)) {
    assert.ok(pauses < 100_000, 'the run ends');
    last = outcome;
    decision ??= decide(++pauses, outcome);
    outcome = outcome.resume();
  }
  return { reply: outcome, calls, last, pauses };
}

test('a run past the point stops at its first write call until its decision; "continue" makes the call once', () => {
  let waitedAtWrite = 0;
  const result = runWith(`${PAST_POINT} redis.call('GET', 'x') redis.call('SET', KEYS[1], s) redis.call('INCR', 'n') return s`, (_pauses, run) => {
    if (!run.awaitingDecision) return null;
    assert.equal(run.killable, true);
    // Resumed without a decision, it stays where it is.
    return ++waitedAtWrite < 3 ? null : 'continue';
  });
  assert.equal(waitedAtWrite, 3);
  assert.deepEqual(result.calls, [['GET', 'x'], ['SET', 'k', String(result.reply.kind === 'integer' ? result.reply.value : -1)], ['INCR', 'n']]);
  assert.equal(result.reply.kind, 'integer');
});

test('a kill at the write call ends the run before the call, through pcall too', () => {
  for (const write of ["redis.call('SET', KEYS[1], s)", "pcall(redis.call, 'SET', KEYS[1], s)", "redis.pcall('SET', KEYS[1], s)"]) {
    const result = runWith(`${PAST_POINT} local ok = pcall(function() ${write} end) return 'went on'`, (_pauses, run) => (run.awaitingDecision ? 'kill' : null));
    assert.deepEqual(result.reply, errorReply(killedByUser), write);
    assert.deepEqual(result.calls, [], write);
  }
});

test('a loop that never writes is killed at the next check once the kill is filed, pcall or not', () => {
  for (const body of ['while true do end', "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end"]) {
    const result = runWith(body, (pauses, run) => (pauses > 200 && run.killable ? 'kill' : null));
    assert.deepEqual(result.reply, errorReply(killedByUser), body);
  }
});

test('a read-only run that ends past the point waits for its decision at its end', () => {
  const ended = runWith(`${PAST_POINT} return s`, (_pauses, run) => (run.awaitingDecision ? 'continue' : null));
  assert.equal(ended.reply.kind, 'integer');
  assert.equal(ended.last?.awaitingDecision, true);
  const killed = runWith(`${PAST_POINT} return s`, (_pauses, run) => (run.awaitingDecision ? 'kill' : null));
  assert.deepEqual(killed.reply, errorReply(killedByUser));
});

test('a run that wrote before the point is never killable: a kill decision changes nothing', () => {
  const result = runWith(`redis.call('SET', KEYS[1], 'early') ${PAST_POINT} redis.call('INCR', 'n') return s`, (_pauses, run) => {
    assert.equal(run.killable, false);
    assert.equal(run.awaitingDecision, false);
    return 'kill';
  });
  assert.equal(result.reply.kind, 'integer');
  assert.deepEqual(result.calls, [['SET', 'k', 'early'], ['INCR', 'n']]);
});

test('a run that ends before the point never waits, and a run without a decision never stops for one', () => {
  const short = runWith("redis.call('GET', 'x') return 1", () => 'kill');
  assert.deepEqual(short.reply, { kind: 'integer', value: 1 });
  const calls: string[][] = [];
  let outcome = new ScriptVm().start(scriptRun(`${PAST_POINT} redis.call('SET', KEYS[1], s) return s`, calls), () => true);
  while (isPaused(outcome)) {
    assert.equal(outcome.awaitingDecision, false);
    outcome = outcome.resume();
  }
  assert.equal(calls.length, 1);
});

test('a first write from a callback that cannot stop fails the run, the same wherever it runs', () => {
  const result = runWith(`${PAST_POINT} local t = {3, 1, 2} table.sort(t, function(a, b) redis.call('SET', 'k', 'v') return a < b end) return 1`, (_pauses, run) => (run.awaitingDecision ? 'continue' : null));
  assert.equal(result.reply.kind, 'error');
  assert.match(result.reply.kind === 'error' ? result.reply.message : '', /kill point/);
});

// On the state machine: decision entries filed as they commit, before they are applied.

function decisionEntry(h: Harness, target: number, decision: KillDecision): Uint8Array {
  return encodeCommand({ origin: 'n1', client: 0, seq: 0, firstUnanswered: 0, time: h.time, argv: scriptDecisionArgv({ target, decision }) });
}

function evalEntry(h: Harness, body: string): Uint8Array {
  return encodeCommand({ origin: 'n1', client: 7, seq: 0, firstUnanswered: 0, time: h.time, argv: argvOf(['EVAL', body, '1', 'x']) });
}

/**
 * Applies a script entry pausing at every check; once its run waits for a decision (or has
 * paused `fileAfter` times), files the decision entries that follow it; then applies those.
 * Returns the script's reply and the decision entries' replies.
 */
function withDecisions(h: Harness, body: string, decisions: readonly KillDecision[], fileAfter = Infinity): { reply: Reply; decided: Reply[] } {
  const target = ++h.index;
  let outcome = h.kv.applyPausable(target, evalEntry(h, body), () => true);
  let pauses = 0;
  let filed = false;
  while ('resume' in outcome) {
    assert.ok(pauses++ < 100_000, 'the entry ends');
    if (!filed && (outcome.run.awaitingDecision || pauses >= fileAfter)) {
      filed = true;
      decisions.forEach((decision, i) => h.kv.fileDecision(target + 1 + i, decisionEntry(h, target, decision)));
    }
    outcome = outcome.resume();
  }
  const decided = decisions.map((decision) => {
    h.index++;
    return h.kv.apply(h.index, decisionEntry(h, target, decision));
  });
  return { reply: outcome, decided };
}

test('state machine: the first decision filed for a run decides it; the kill entry answers OK, a later one UNKILLABLE', () => {
  const h = new Harness();
  const killed = withDecisions(h, `${PAST_POINT} redis.call('SET', KEYS[1], s) return s`, ['kill', 'continue']);
  assert.deepEqual(killed.reply, errorReply(killedByUser));
  assert.deepEqual(killed.decided, [okReply, unkillableReply]);
  assert.deepEqual(h.read('EXISTS', 'x'), { kind: 'integer', value: 0 });

  const continued = withDecisions(h, `${PAST_POINT} redis.call('SET', KEYS[1], s) return s`, ['continue', 'kill']);
  assert.equal(continued.reply.kind, 'integer');
  assert.deepEqual(continued.decided, [unkillableReply, unkillableReply]);
  assert.deepEqual(h.read('EXISTS', 'x'), { kind: 'integer', value: 1 });

  // A loop that never writes: the kill is filed while it runs, not at a wait.
  const loop = withDecisions(h, 'while true do end', ['kill'], 300);
  assert.deepEqual(loop.reply, errorReply(killedByUser));
  assert.deepEqual(loop.decided, [okReply]);
});

test('state machine: a script in a transaction never waits for a decision (it cannot pause)', () => {
  const h = new Harness();
  h.index++;
  const reply = h.kv.applyPausable(h.index, encodeCommand({ origin: 'n1', client: 7, seq: 0, firstUnanswered: 0, time: h.time, argv: encodeTransaction({ watches: [], commands: [argvOf(['EVAL', `${PAST_POINT} redis.call('SET', KEYS[1], s) return s`, '1', 'x'])] }) }), () => true);
  assert.ok(!('resume' in reply));
  assert.deepEqual(h.read('EXISTS', 'x'), { kind: 'integer', value: 1 });
});
