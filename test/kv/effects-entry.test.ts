// The effects entry (command entry format 5, src/kv/script/effects-entry.ts): records survive
// encoding exactly, a replica applies the entry at its own index as a no-op that only moves the
// applied index, records of a real BullMQ run replayed through the codec give the runner's
// state, and which entries may run a script is a function of their bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeCommand, encodeCommandBatch } from '../../src/kv/command-codec.js';
import { decodeEffectsEntry, encodeEffectsEntry, entryMayRunScript, type EffectsRecordAt } from '../../src/kv/script/effects-entry.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import { encodeTransaction } from '../../src/kv/transaction.js';
import type { Reply } from '../../src/kv/reply.js';
import { argvOf, baseTimeMs, plain } from './harness.js';
import { fixtureArgv, readFixture } from '../../bench/bullmq-fixture.js';

const bytes = fc.uint8Array({ maxLength: 12 }).map((array) => Buffer.from(array));

const reply: fc.Arbitrary<Reply> = fc.letrec<{ reply: Reply }>((tie) => ({
  reply: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('bulk' as const), value: fc.option(bytes, { nil: null }) }),
    fc.record({ kind: fc.constant('integer' as const), value: fc.integer() }),
    fc.record({ kind: fc.constant('error' as const), message: fc.string() }),
    fc.record({ kind: fc.constant('simple' as const), value: fc.string() }),
    fc.record({ kind: fc.constant('array' as const), value: fc.array(tie('reply'), { maxLength: 4 }) }),
  ),
})).reply;

const record: fc.Arbitrary<EffectsRecordAt> = fc.record({
  index: fc.nat(),
  runs: fc.option(fc.array(fc.record({
    timeMs: fc.integer({ min: -1e12, max: 1e13 }),
    readCalls: fc.nat(),
    reply,
    calls: fc.array(fc.record({ argv: fc.array(bytes, { minLength: 1, maxLength: 5 }), seed: fc.nat({ max: 0xffffffff }) }), { maxLength: 4 }),
  }), { maxLength: 3 }), { nil: null }),
});

/** Bytes as plain arrays, so a decoded view and the generated Buffer compare equal. */
function comparable(value: unknown): unknown {
  if (value instanceof Uint8Array) return Array.from(value);
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  return value;
}

test('an effects entry decodes to the records it was encoded from (property)', () => {
  fc.assert(fc.property(fc.array(record, { maxLength: 5 }), (records) => {
    const decoded = decodeEffectsEntry(Uint8Array.from(encodeEffectsEntry(records))); // a copy: as another node reads it
    assert.ok(!(decoded instanceof Error), String(decoded));
    assert.deepEqual(comparable(decoded), comparable(records));
  }));
});

test('a truncated or altered effects entry is refused with a reason, never misread as a shorter one', () => {
  const data = encodeEffectsEntry([{ index: 7, runs: [{ timeMs: 5, readCalls: 1, reply: { kind: 'integer', value: 3 }, calls: [{ argv: argvOf(['INCR', 'k']), seed: 9 }] }] }]);
  for (let length = 1; length < data.length; length++) assert.ok(decodeEffectsEntry(data.subarray(0, length)) instanceof Error, `${length} bytes`);
  assert.ok(decodeEffectsEntry(Buffer.concat([data, Buffer.from([0])])) instanceof Error, 'trailing byte');
  assert.ok(decodeEffectsEntry(Uint8Array.from([5, 1, 7, 2])) instanceof Error, 'unknown kind');
});

test('the process that encoded an effects entry gets its records back once without decoding, then decodes the bytes', () => {
  const records: EffectsRecordAt[] = [{ index: 3, runs: [] }, { index: 4, runs: null }];
  const data = encodeEffectsEntry(records);
  assert.equal(decodeEffectsEntry(data), records);
  const again = decodeEffectsEntry(data);
  assert.notEqual(again, records);
  assert.deepEqual(comparable(again), comparable(records));
});

test('an effects entry is applied at its own index as a no-op: the index moves; time, state and exactly-once table do not', () => {
  const kv = new KvStateMachine();
  kv.apply(1, encodeCommand({ origin: 'n1', client: 1, seq: 1, firstUnanswered: 1, time: baseTimeMs, argv: argvOf(['SET', 'k', 'v']) }));
  const before = { digest: kv.digest(), stats: kv.stats(), commands: kv.commandsApplied };
  const effects = encodeEffectsEntry([{ index: 1, runs: [{ timeMs: baseTimeMs + 10_000, readCalls: 0, reply: { kind: 'integer', value: 1 }, calls: [{ argv: argvOf(['DEL', 'k']), seed: 1 }] }] }]);
  kv.apply(2, effects);
  assert.equal(kv.appliedIndex, 2);
  assert.deepEqual({ ...kv.digest(), appliedIndex: 1 }, before.digest, 'the records it carries are not applied here');
  assert.deepEqual({ ...kv.stats(), appliedIndex: 1 }, before.stats, 'no time, no exactly-once record, no counters');
  assert.equal(kv.commandsApplied, before.commands);
});

const scriptNames = ['eval', 'evalsha', 'fcall', 'eval_ro', 'evalsha_ro', 'fcall_ro'];
const word = fc.oneof(fc.constantFrom('EVAL', 'evalsha', 'FCall', 'eval_RO', 'SET', 'GET', 'evalx', 'eva', '\x04eval', 'INCR'), fc.string({ maxLength: 12 }));
const argv = fc.array(word, { minLength: 1, maxLength: 6 });

test('whether an entry may run a script is whether one of its arguments names a script command, in any case (property)', () => {
  const names = (args: readonly string[]): boolean => args.some((arg) => scriptNames.includes(arg.toLowerCase()));
  fc.assert(fc.property(argv, fc.array(argv, { minLength: 1, maxLength: 4 }), fc.string(), (single, batch, origin) => {
    const command = encodeCommand({ origin, client: 3, seq: 200, firstUnanswered: 150, time: baseTimeMs, argv: argvOf(single) });
    assert.equal(entryMayRunScript(command), names(single));
    const commands = batch.map((args, i) => ({ client: i, seq: 300 + i, firstUnanswered: 1, argv: argvOf(args) }));
    assert.equal(entryMayRunScript(encodeCommandBatch({ origin, time: baseTimeMs, commands })), batch.some(names));
  }));
  const transaction = encodeTransaction({ watches: [], commands: [argvOf(['SET', 'a', 'b']), argvOf(['EVALSHA', 'f'.repeat(40), '0'])] });
  assert.ok(entryMayRunScript(encodeCommand({ origin: 'n1', client: 1, seq: 1, firstUnanswered: 1, time: 0, argv: transaction })), 'a script inside MULTI');
  assert.equal(entryMayRunScript(encodeEffectsEntry([])), false);
});

test('BullMQ\'s scripts recorded on one replica, sent through effects entries and replayed on another, give its replies and keyspace', () => {
  const { commands } = readFixture();
  const runner = new KvStateMachine();
  const replayer = new KvStateMachine();
  commands.forEach((command, i) => {
    const data = encodeCommand({ ...command, argv: fixtureArgv(command) });
    assert.ok(entryMayRunScript(data) || !fixtureArgv(command).some((arg) => scriptNames.includes(arg.toString('latin1').toLowerCase())));
    const recorded = runner.applyRecording(i + 1, data);
    const decoded = decodeEffectsEntry(Uint8Array.from(encodeEffectsEntry([{ index: i + 1, runs: recorded.effects }])));
    assert.ok(!(decoded instanceof Error) && decoded[0] !== undefined);
    const runs = decoded[0].runs;
    const reply = runs === null ? replayer.apply(i + 1, data) : replayer.applyReplaying(i + 1, data, runs);
    assert.deepEqual(plain(reply), plain(recorded.reply), `entry ${i + 1}`);
  });
  assert.deepEqual(replayer.digest(), runner.digest());
  assert.deepEqual(replayer.stats(), runner.stats());
});
