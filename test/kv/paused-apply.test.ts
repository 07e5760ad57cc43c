// An entry applied with its script runs pausing between slices (KvStateMachine.applyPausable)
// ends exactly as the same entry applied in one go: the same replies, state, keyspace events,
// exactly-once records and ACL checks; while it is paused its index is not applied, nothing
// else may be applied and no snapshot taken.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, argvOf, plain } from './harness.js';
import { encodeCommand, encodeCommandBatch } from '../../src/kv/command-codec.js';
import { encodeTransaction } from '../../src/kv/transaction.js';
import { wrapAsUser } from '../../src/kv/acl/as-user.js';
import type { PausedApply } from '../../src/kv/state-machine.js';
import type { Reply } from '../../src/kv/reply.js';

/** Writes as it loops: slices fall between its writes. */
const LONG = "local n = 0 for i = 1, 30000 do n = n + i % 3 if i % 5000 == 0 then redis.call('INCRBY', KEYS[1], n) end end return n";

function isPaused(outcome: Reply | PausedApply): outcome is PausedApply {
  return 'resume' in outcome;
}

interface Command { readonly argv: readonly string[]; readonly seq?: number }

function single(h: Harness, command: Command): Uint8Array {
  const seq = command.seq ?? 0;
  return encodeCommand({ origin: 'n1', client: 7, seq, firstUnanswered: Math.min(seq, 1), time: h.time, argv: argvOf(command.argv) });
}

function batch(h: Harness, commands: readonly Command[]): Uint8Array {
  return encodeCommandBatch({ origin: 'n1', time: h.time, commands: commands.map((c) => ({ client: 7, seq: c.seq ?? 0, firstUnanswered: Math.min(c.seq ?? 0, 1), argv: argvOf(c.argv) })) });
}

/**
 * Applies `data` as the next entry, pausing at every check; between pauses checks what a
 * paused entry must hold. The entry's reply and how many times it paused.
 */
function applyPausing(h: Harness, data: Uint8Array): { reply: Reply; pauses: number } {
  h.index++;
  const index = h.index;
  let outcome = h.kv.applyPausable(index, data, () => true);
  let pauses = 0;
  while (isPaused(outcome)) {
    pauses++;
    assert.equal(outcome.index, index);
    assert.equal(h.kv.appliedIndex, index - 1, 'a paused entry is not applied');
    outcome = outcome.resume();
  }
  assert.equal(h.kv.appliedIndex, index);
  return { reply: outcome, pauses };
}

function applyWhole(h: Harness, data: Uint8Array): Reply {
  h.index++;
  return h.kv.apply(h.index, data);
}

/** The same entries applied in one go on one state machine and pausing on another: equal replies and states. */
function bothWays(entries: ((h: Harness) => Uint8Array)[], setup: (h: Harness) => void = () => {}): { pauses: number; replies: Reply[] } {
  const whole = new Harness();
  const pausing = new Harness();
  setup(whole);
  setup(pausing);
  let pauses = 0;
  const replies: Reply[] = [];
  for (const entry of entries) {
    const expected = applyWhole(whole, entry(whole));
    const got = applyPausing(pausing, entry(pausing));
    assert.deepEqual(plain(got.reply), plain(expected));
    pauses += got.pauses;
    replies.push(got.reply);
  }
  assert.deepEqual(pausing.kv.digest(), whole.kv.digest());
  return { pauses, replies };
}

test('a single script entry pauses between slices and ends as it would in one go', () => {
  const { pauses, replies } = bothWays([(h) => single(h, { argv: ['EVAL', LONG, '1', 'k'] }), (h) => single(h, { argv: ['GET', 'k'] })]);
  assert.ok(pauses > 20, `pauses: ${pauses}`);
  assert.deepEqual(plain(replies[0] as Reply), 30000);
});

test('a batch pauses in each of its scripts and goes on with the commands after them', () => {
  const { pauses, replies } = bothWays([(h) => batch(h, [
    { argv: ['SET', 'a', '1'], seq: 1 },
    { argv: ['EVAL', LONG, '1', 'a'], seq: 2 },
    { argv: ['INCR', 'a'], seq: 3 },
    { argv: ['EVAL', `${LONG}`, '1', 'b'], seq: 4 },
    { argv: ['EVAL', "return redis.call('GET', KEYS[1])", '1', 'a'], seq: 5 },
  ])]);
  assert.ok(pauses > 40, `pauses: ${pauses}`);
  assert.equal((plain(replies[0] as Reply) as unknown[]).length, 5);
});

test("a paused command's reply is kept for its retry, as one applied in one go", () => {
  const h = new Harness();
  const first = applyPausing(h, batch(h, [{ argv: ['EVAL', LONG, '1', 'k'], seq: 1 }]));
  assert.ok(first.pauses > 0);
  const retry = applyPausing(h, batch(h, [{ argv: ['EVAL', LONG, '1', 'k'], seq: 1 }]));
  assert.equal(retry.pauses, 0, 'a retry answers from the record, running nothing');
  assert.deepEqual(plain(retry.reply), plain(first.reply));
  const once = new Harness();
  applyWhole(once, single(once, { argv: ['EVAL', LONG, '1', 'k'] }));
  assert.deepEqual(plain(h.read('GET', 'k')), plain(once.read('GET', 'k')), 'the script ran once');
});

test('keyspace events of a paused script are those of the script run in one go, in order', () => {
  const events = (h: Harness): string[] => {
    const seen: string[] = [];
    h.kv.events.sink = (channel, payload) => seen.push(`${Buffer.from(channel).toString('latin1')} ${Buffer.from(payload).toString('latin1')}`);
    return seen;
  };
  const setup = (h: Harness): void => {
    assert.deepEqual(plain(h.apply('RAFTIS.CONFIG', 'notify-keyspace-events', 'KEA')), 'OK');
  };
  const whole = new Harness();
  const pausing = new Harness();
  setup(whole);
  setup(pausing);
  const wholeEvents = events(whole);
  const pausingEvents = events(pausing);
  const script = `${LONG.replace('return n', '')} redis.call('DEL', KEYS[1]) redis.call('SET', KEYS[2], 'x') return n`;
  applyWhole(whole, single(whole, { argv: ['EVAL', script, '2', 'k', 'j'] }));
  assert.ok(applyPausing(pausing, single(pausing, { argv: ['EVAL', script, '2', 'k', 'j'] })).pauses > 0);
  assert.ok(wholeEvents.length >= 8, wholeEvents.join('\n'));
  assert.deepEqual(pausingEvents, wholeEvents);
});

test("a paused script's calls are checked against the entry's user after every pause", () => {
  const setup = (h: Harness): void => {
    assert.deepEqual(plain(h.apply('raftis.acl', 'setuser', 's', 'on', 'nopass', '+eval', '+incrby', '~k*')), 'OK');
  };
  const script = `${LONG.replace('return n', '')} return redis.pcall('SET', 'other', 'v')`;
  const { replies } = bothWays([(h) => encodeCommand({ origin: 'n1', client: 7, seq: 0, firstUnanswered: 0, time: h.time, argv: wrapAsUser('s', argvOf(['EVAL', script, '1', 'k'])) })], setup);
  assert.match(JSON.stringify(plain(replies[0] as Reply)), /The user executing the script can't run this command/);
});

test('a function call pauses too', () => {
  const library = "#!lua name=lib\nredis.register_function('f', function(keys, args) local n = 0 for i = 1, 30000 do n = n + 1 if i % 5000 == 0 then redis.call('INCR', keys[1]) end end return n end)";
  const { pauses } = bothWays([(h) => single(h, { argv: ['FCALL', 'f', '1', 'k'] })], (h) => {
    assert.deepEqual(plain(h.apply('FUNCTION', 'LOAD', library)), 'lib');
  });
  assert.ok(pauses > 20, `pauses: ${pauses}`);
});

test('a script inside a transaction runs to its end', () => {
  const transaction = (h: Harness): Uint8Array => single(h, { argv: encodeTransaction({ watches: [], commands: [argvOf(['EVAL', LONG, '1', 'k']), argvOf(['GET', 'k'])] }).map((part) => Buffer.from(part).toString('latin1')) });
  const { pauses, replies } = bothWays([transaction]);
  assert.equal(pauses, 0);
  assert.equal((plain(replies[0] as Reply) as unknown[])[0], 30000);
});

test('while an entry is paused, nothing else is applied and no snapshot is taken', () => {
  const h = new Harness();
  h.index++;
  const paused = h.kv.applyPausable(h.index, single(h, { argv: ['EVAL', LONG, '1', 'k'] }), () => true);
  assert.ok(isPaused(paused));
  assert.throws(() => h.kv.apply(h.index + 1, single(h, { argv: ['SET', 'x', '1'] })), /while entry 1 is paused/);
  assert.throws(() => h.kv.beginSnapshot(), /paused/);
  let outcome: Reply | PausedApply = paused;
  while (isPaused(outcome)) outcome = outcome.resume();
  assert.throws(() => paused.resume(), /after it ended/);
  assert.deepEqual(plain(h.apply('SET', 'x', '1')), 'OK');
  assert.equal(h.kv.appliedIndex, 2);
});
