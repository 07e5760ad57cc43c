// A script run paused between slices (ScriptVm.start with a pause predicate) ends exactly as
// the same run unpaused: same reply, same calls, same budget stop, and error texts with their
// place; another VM may run while one is paused without changing either's counts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptVm, type PausedRun, type ScriptRun } from '../../src/kv/script/script-vm.js';
import { sha1Hex } from '../../src/kv/script/sha1.js';
import type { Reply } from '../../src/kv/reply.js';
import { okReply } from '../../src/kv/replies.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'latin1');

function scriptRun(body: string, calls: string[][] = [], instructionsMax = 10_000_000): ScriptRun {
  return {
    name: 'f_test', sha: sha1Hex(bytes(body)), body: bytes(body), keys: [bytes('k')], args: [bytes('a')], seed: 7,
    instructionsMax, stringBytesMax: 64 * 1024 * 1024,
    call: (argv) => {
      calls.push(argv.map((arg) => Buffer.from(arg).toString('latin1')));
      return okReply;
    },
    aclCheck: () => true,
  };
}

function isPaused(outcome: Reply | PausedRun<Reply>): outcome is PausedRun<Reply> {
  return 'resume' in outcome;
}

/** Runs `body` pausing at every check, then unpaused in a fresh VM; both outcomes and how many pauses. */
function bothWays(body: string, instructionsMax?: number): { paused: Reply; plain: Reply; pauses: number; pausedCalls: string[][]; plainCalls: string[][] } {
  const pausedCalls: string[][] = [];
  let outcome = new ScriptVm().start(scriptRun(body, pausedCalls, instructionsMax), () => true);
  let pauses = 0;
  while (isPaused(outcome)) {
    pauses++;
    outcome = outcome.resume();
  }
  const plainCalls: string[][] = [];
  const plain = new ScriptVm().run(scriptRun(body, plainCalls, instructionsMax));
  return { paused: outcome, plain, pauses, pausedCalls, plainCalls };
}

const LOOP = 'local s = 0 for i = 1, 150000 do s = s + i % 7 end';

test('a long run pauses between slices and ends as it would unpaused', () => {
  const result = bothWays(`${LOOP} redis.call('SET', KEYS[1], s) return s`);
  assert.ok(result.pauses > 100, `pauses: ${result.pauses}`);
  assert.deepEqual(result.paused, result.plain);
  assert.deepEqual(result.paused, { kind: 'integer', value: 449998 });
  assert.deepEqual(result.pausedCalls, result.plainCalls);
});

test('a run pauses inside pcall too, and pcall still catches the error after the pauses', () => {
  const result = bothWays(`local ok, err = pcall(function() ${LOOP} error('late') end) return tostring(ok) .. ' ' .. err`);
  assert.ok(result.pauses > 100);
  assert.deepEqual(result.paused, result.plain);
});

test('an error after pauses keeps its script and line', () => {
  const result = bothWays(`${LOOP}\nredis.call('SET', 'x', 'y')\nerror('boom')`);
  assert.ok(result.pauses > 0);
  assert.deepEqual(result.paused, result.plain);
  assert.equal(result.paused.kind, 'error');
  assert.match((result.paused as { message: string }).message, /boom script: f_test, on @user_script:3\./);
});

test('the instruction budget stops a paused run at the same point', () => {
  const result = bothWays('local n = 0 while true do n = n + 1 if n % 1000 == 0 then redis.call("INCR", "n") end end', 300_000);
  assert.ok(result.pauses > 10, `pauses: ${result.pauses}`);
  assert.deepEqual(result.paused, result.plain);
  assert.match((result.paused as { message: string }).message, /Script killed after 300000 Lua instructions/);
  assert.equal(result.pausedCalls.length, result.plainCalls.length);
});

test('a table.sort comparator cannot pause: the run pauses after the sort, with the same result', () => {
  const result = bothWays('local t = {} for i = 1, 3000 do t[i] = (i * 7919) % 3001 end table.sort(t, function(a, b) return a < b end) return t[1] + t[3000]');
  assert.deepEqual(result.paused, result.plain);
});

test('a run that needs no pause is answered at once', () => {
  const outcome = new ScriptVm().start(scriptRun('return 1'), () => true);
  assert.deepEqual(outcome, { kind: 'integer', value: 1 });
});

test('a paused run abandoned leaves the VM free, and the next run is unaffected', () => {
  const vm = new ScriptVm();
  const calls: string[][] = [];
  const outcome = vm.start(scriptRun(`${LOOP} redis.call('SET', 'never', 1) return 1`, calls), () => true);
  assert.ok(isPaused(outcome));
  assert.throws(() => vm.run(scriptRun('return 2')), /another runs/);
  outcome.abandon();
  assert.deepEqual(calls, []);
  assert.deepEqual(vm.run(scriptRun('return tostring(KEYS[1]) .. ARGV[1]')), { kind: 'bulk', value: bytes('ka') });
  assert.throws(() => outcome.resume(), /after it ended/);
});

test('another VM runs while one is paused, and neither count changes', () => {
  const budget = 'local s = "" for i = 1, 20 do s = s .. string.rep("x", 1000) .. string.gsub("aaaa", "a", "b") end return #s';
  const vm = new ScriptVm();
  let outcome = vm.start(scriptRun(`${LOOP} ${budget}`, [], 1_000_000), () => true);
  const other = new ScriptVm();
  let pauses = 0;
  while (isPaused(outcome)) {
    pauses++;
    assert.deepEqual(other.run(scriptRun(budget, [], 1_000_000)), { kind: 'integer', value: 20_080 });
    const instructions = outcome.instructions;
    outcome = outcome.resume();
    if (isPaused(outcome)) assert.ok(outcome.instructions > instructions);
  }
  assert.ok(pauses > 100);
  assert.deepEqual(outcome, new ScriptVm().run(scriptRun(`${LOOP} ${budget}`, [], 1_000_000)));
});

test('a function call pauses and ends as it would unpaused', () => {
  const library = bytes(`#!lua name=lib\nredis.register_function('f', function(keys, args) ${LOOP} return {keys[1], args[1], s} end)`);
  const limits = { instructionsMax: 10_000_000, stringBytesMax: 64 * 1024 * 1024 };
  const outcomes = [true, false].map((pausing) => {
    const vm = new ScriptVm();
    assert.ok(Array.isArray(vm.loadLibrary('lib', 'code', library, limits)));
    let outcome = vm.startFunction('lib', 'f', scriptRun(''), pausing ? () => true : null);
    let pauses = 0;
    while (isPaused(outcome)) {
      pauses++;
      outcome = outcome.resume();
    }
    assert.equal(pauses > 100, pausing);
    return outcome;
  });
  assert.deepEqual(outcomes[0], outcomes[1]);
  assert.deepEqual(outcomes[0], { kind: 'array', value: [{ kind: 'bulk', value: bytes('k') }, { kind: 'bulk', value: bytes('a') }, { kind: 'integer', value: 449998 }] });
});

test('a budget stop that a pcall caught leaves the budget counting, in this run and the next', () => {
  const vm = new ScriptVm();
  const runaway = 'local ok, err = pcall(function() while true do end end) while true do end';
  for (let run = 0; run < 2; run++) {
    const outcome = vm.start(scriptRun(runaway, [], 300_000), () => false);
    assert.ok(!isPaused(outcome));
    assert.match((outcome as { message: string }).message, /Script killed after 300000 Lua instructions/);
  }
  const counted = bothWays(runaway, 300_000);
  assert.deepEqual(counted.paused, counted.plain);
});

test('an error a pcall caught in a pausable run leaves the budget counting', () => {
  const outcome = new ScriptVm().start(scriptRun('for i = 1, 3 do pcall(error, "x") end while true do end', [], 300_000), () => false);
  assert.ok(!isPaused(outcome));
  assert.match((outcome as { message: string }).message, /Script killed after 300000 Lua instructions/);
});
