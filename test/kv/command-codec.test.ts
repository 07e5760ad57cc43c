// The command entry codec: round trips, and corrupt input comes back as an error value.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { commandBatchFormat, commandFormatOf, commandFormatVersion, decodeCommand, decodeCommandBatch, encodeCommand, encodeCommandBatch, isCommandBatch, type CommandBatch, type CommandEntry } from '../../src/kv/command-codec.js';

const entryArbitrary = fc.record({
  origin: fc.string({ maxLength: 20 }),
  client: fc.nat(),
  seq: fc.nat(),
  behind: fc.nat(),
  time: fc.integer({ min: -1e15, max: 1e15 }),
  argv: fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
}).map(({ behind, ...entry }) => ({ ...entry, firstUnanswered: Math.max(0, entry.seq - behind) }));

function same(a: CommandEntry, b: CommandEntry): void {
  assert.deepEqual({ ...b, argv: b.argv.map((x) => Buffer.from(x)) }, { ...a, argv: a.argv.map((x) => Buffer.from(x)) });
}

test('encodeCommand/decodeCommand round-trip any entry', () => {
  fc.assert(fc.property(entryArbitrary, (entry) => {
    const decoded = decodeCommand(encodeCommand(entry));
    assert.ok(!(decoded instanceof Error), String(decoded));
    same(entry, decoded);
  }));
});

test('large arguments and many arguments round-trip', () => {
  const entry = { origin: 'n3', client: 2 ** 40, seq: Number.MAX_SAFE_INTEGER, firstUnanswered: Number.MAX_SAFE_INTEGER - 5, time: 1_700_000_000_123, argv: [Buffer.alloc(1 << 20, 7), ...Array.from({ length: 1000 }, (_, i) => Buffer.from(String(i)))] };
  const decoded = decodeCommand(encodeCommand(entry));
  assert.ok(!(decoded instanceof Error));
  same(entry, decoded);
});

test('every truncation of an encoded entry is an error value, never a throw', () => {
  fc.assert(fc.property(entryArbitrary, (entry) => {
    const data = encodeCommand(entry);
    for (let length = 0; length < data.length; length++) {
      assert.ok(decodeCommand(data.subarray(0, length)) instanceof Error, `prefix of ${length}/${data.length} bytes`);
    }
  }), { numRuns: 50 });
});

test('unknown version and trailing bytes are errors', () => {
  const data = Buffer.from(encodeCommand({ origin: 'a', client: 1, seq: 1, firstUnanswered: 1, time: 5, argv: [Buffer.from('GET'), Buffer.from('k')] }));
  const badVersion = Buffer.from(data);
  badVersion[0] = 99;
  assert.match(String(decodeCommand(badVersion)), /version 99/);
  assert.match(String(decodeCommand(Buffer.concat([data, Buffer.from([0])]))), /trailing/);
});

test('random bytes never make the decoder throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    decodeCommand(bytes);
  }));
});

test('format 1 entries (before firstUnanswered) still decode, as firstUnanswered = seq', () => {
  // u8 version 1 | string "n1" | varint client 7 | varint seq 9 | zigzag time 5 → 10 | argc 1 | "GET"
  const v1 = Buffer.from([1, 2, 0x6e, 0x31, 7, 9, 10, 1, 3, 0x47, 0x45, 0x54]);
  const decoded = decodeCommand(v1);
  assert.ok(!(decoded instanceof Error), String(decoded));
  same({ origin: 'n1', client: 7, seq: 9, firstUnanswered: 9, time: 5, argv: [Buffer.from('GET')] }, decoded);
});

test('a first unanswered sequence above the sequence is an error', () => {
  const data = encodeCommand({ origin: 'a', client: 1, seq: 3, firstUnanswered: 4, time: 5, argv: [Buffer.from('GET')] });
  assert.match(String(decodeCommand(data)), /first unanswered sequence 4 is above its sequence 3/);
});

test('format 2 entries (before removal versions, the same layout) still decode; commandFormatOf names the format', () => {
  const entry = { origin: 'n2', client: 4, seq: 6, firstUnanswered: 5, time: 1_700_000_000_000, argv: [Buffer.from('DEL'), Buffer.from('k')] };
  const data = Buffer.from(encodeCommand(entry));
  assert.equal(commandFormatOf(data), commandFormatVersion);
  data[0] = 2;
  assert.equal(commandFormatOf(data), 2);
  const decoded = decodeCommand(data);
  assert.ok(!(decoded instanceof Error), String(decoded));
  same(entry, decoded);
});

const batchArbitrary = fc.record({
  origin: fc.string({ maxLength: 20 }),
  time: fc.integer({ min: -1e15, max: 1e15 }),
  commands: fc.array(entryArbitrary.map(({ client, seq, firstUnanswered, argv }) => ({ client, seq, firstUnanswered, argv })), { minLength: 1, maxLength: 6 }),
});

/** A batch's fields as plain data, its arguments as Buffers (deepEqual compares those by content). */
function plainBatch(batch: CommandBatch): unknown {
  return { origin: batch.origin, time: batch.time, commands: batch.commands.map((c) => ({ client: c.client, seq: c.seq, firstUnanswered: c.firstUnanswered, argv: c.argv.map((x) => Buffer.from(x)) })) };
}

test('encodeCommandBatch/decodeCommandBatch round-trip any batch, marked as a batch', () => {
  fc.assert(fc.property(batchArbitrary, (batch) => {
    const data = encodeCommandBatch(batch);
    assert.ok(isCommandBatch(data));
    assert.equal(commandFormatOf(data), commandBatchFormat);
    // A copy of the bytes, as a follower or a restarted node reads them.
    const decoded = decodeCommandBatch(Uint8Array.from(data));
    assert.ok(!(decoded instanceof Error), 'decodes');
    assert.deepEqual(plainBatch(decoded), plainBatch(batch));
  }));
});

test('the encoding process decodes its own batch bytes once to what it encoded, then from the bytes, equal either way', () => {
  fc.assert(fc.property(batchArbitrary, (batch) => {
    const data = encodeCommandBatch(batch);
    const own = decodeCommandBatch(data);
    assert.ok(!(own instanceof Error), 'decodes');
    assert.equal(own, batch, 'the leader applies the batch it encoded (no decode)');
    const again = decodeCommandBatch(data);
    assert.ok(!(again instanceof Error), 'decodes');
    assert.notEqual(again, batch, 'a second decode reads the bytes');
    assert.deepEqual(plainBatch(again), plainBatch(batch));
  }), { numRuns: 50 });
});

test('a single command entry is not a batch, and every truncation of a batch is an error value', () => {
  assert.ok(!isCommandBatch(encodeCommand({ origin: 'a', client: 1, seq: 1, firstUnanswered: 1, time: 5, argv: [Buffer.from('GET')] })));
  fc.assert(fc.property(batchArbitrary, (batch) => {
    const data = encodeCommandBatch(batch);
    for (let length = 0; length < data.length; length++) {
      assert.ok(decodeCommandBatch(data.subarray(0, length)) instanceof Error, `prefix of ${length}/${data.length} bytes`);
    }
    assert.match(String(decodeCommandBatch(Buffer.concat([data, Buffer.from([0])]))), /trailing/);
  }), { numRuns: 50 });
});

test('random bytes after the batch mark never make the batch decoder throw', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    decodeCommandBatch(Buffer.concat([Buffer.from([commandBatchFormat]), bytes]));
  }));
});

test('batched commands keep their own names and arguments when names repeat, change, or are long', () => {
  const long = Buffer.alloc(200, 0x61);
  const commands = [['SET', 'a', '1'], ['SET', 'b', '2'], ['DEL', 'a'], [long, 'x'], ['SET', 'c', '3'], [long, 'y']].map((args, i) => ({
    client: 1, seq: i + 1, firstUnanswered: 1, argv: args.map((arg) => Buffer.from(arg)),
  }));
  const decoded = decodeCommandBatch(Uint8Array.from(encodeCommandBatch({ origin: 'n1', time: 7, commands })));
  assert.ok(!(decoded instanceof Error), 'decodes');
  assert.deepEqual(decoded.commands.map((c) => c.argv.map((arg) => Buffer.from(arg).toString('latin1'))), commands.map((c) => c.argv.map((arg) => arg.toString('latin1'))));
});
