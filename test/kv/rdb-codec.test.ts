// The RDB value codec on its own: every value type round-trips through writeRdbValue and
// readRdbValue, LZF and listpack blobs decode as Redis lays them out, and malformed input is
// a DecodeError (never a crash or a huge allocation). Interchange with a real Redis is in
// redis-compare-dump.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DecodeError } from '../../src/kv/binary.js';
import { RdbReader, RdbWriter, readRdbValue, writeRdbValue, createDumpPayload, readDumpPayload, verifyDumpPayload } from '../../src/kv/rdb/index.js';
import { lzfDecompress } from '../../src/kv/rdb/lzf.js';
import { listpackElements, intsetElements } from '../../src/kv/rdb/listpack.js';
import { HashValue } from '../../src/kv/hash-value.js';
import { ListValue } from '../../src/kv/list-value.js';
import { SetValue } from '../../src/kv/set-value.js';
import { ZSetValue } from '../../src/kv/zset-value.js';
import type { Value } from '../../src/kv/value.js';
import { ListpackWriter } from '../../src/kv/rdb/listpack-writer.js';
import { Harness, plain, type Plain } from './harness.js';

const limit = 1 << 20;

function roundTrip(value: Value): Value {
  const writer = new RdbWriter();
  writeRdbValue(value, writer);
  return readRdbValue(new RdbReader(writer.bytes.finish(), limit));
}

const element = fc.oneof(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((code) => String.fromCharCode(code)), maxLength: 30 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String));

test('strings, lists, sets, sorted sets and hashes round-trip (property)', () => {
  fc.assert(fc.property(fc.uniqueArray(element, { minLength: 1, maxLength: 40 }), fc.array(fc.double({ noNaN: true }), { minLength: 40, maxLength: 40 }), (elements, scores) => {
    const text = elements[0] as string;
    const string = roundTrip({ type: 'string', data: Buffer.from(text, 'latin1') });
    assert.equal(string.type === 'string' && string.data.toString('latin1'), text);
    const list = roundTrip(new ListValue(elements)) as ListValue;
    assert.deepEqual(list.range(0, list.length - 1), elements);
    assert.deepEqual([...(roundTrip(SetValue.of(elements)) as SetValue).values()].sort(), [...elements].sort());
    const hash = HashValue.create();
    elements.forEach((field, i) => hash.set(field, String(i)));
    assert.deepEqual([...(roundTrip(hash) as HashValue).entries()].sort(), [...hash.entries()].sort());
    const zset = ZSetValue.create();
    elements.forEach((member, i) => zset.set(member, scores[i] as number));
    const scored: [string, number][] = [];
    (roundTrip(zset) as ZSetValue).forEach((member, score) => scored.push([member, score]));
    const expected: [string, number][] = [];
    zset.forEach((member, score) => expected.push([member, score]));
    assert.deepEqual(scored, expected);
  }), { numRuns: 200 });
});

test('a dump payload carries version 10 and a checksum that a changed byte breaks', () => {
  const payload = createDumpPayload({ type: 'string', data: Buffer.from('hello') });
  assert.equal(payload.readUInt16LE(payload.length - 10), 10);
  assert.ok(verifyDumpPayload(payload));
  const changed = Buffer.from(payload);
  changed[1] = (changed[1] as number) ^ 1;
  assert.ok(!verifyDumpPayload(changed));
  assert.ok(!verifyDumpPayload(payload.subarray(0, 9)));
  assert.deepEqual(readDumpPayload(payload, limit), { type: 'string', data: Buffer.from('hello') });
});

test('LZF: literals and overlapping back references', () => {
  // "abcabcabcabc": a literal run of 3, then a back reference of length 9 at distance 3.
  assert.equal(lzfDecompress(Buffer.from([2, 0x61, 0x62, 0x63, 0xe0, 0, 2]), 12).toString(), 'abcabcabcabc');
  assert.throws(() => lzfDecompress(Buffer.from([2, 0x61, 0x62, 0x63, 0xe0, 0, 9]), 12), DecodeError);
  assert.throws(() => lzfDecompress(Buffer.from([5, 0x61]), 6), DecodeError);
});

test('listpack and intset blobs decode every entry encoding', () => {
  // 7-bit int 5, 6-bit string "ab", 13-bit int -2, 16-bit int 1000, end.
  const entries = [0x05, 0x01, 0x82, 0x61, 0x62, 0x03, 0xdf, 0xfe, 0x02, 0xf1, 0xe8, 0x03, 0x03, 0xff];
  const blob = Buffer.from([0, 0, 0, 0, 4, 0, ...entries]);
  blob.writeUInt32LE(blob.length, 0);
  assert.deepEqual(listpackElements(blob), ['5', 'ab', '-2', '1000']);
  const intset = Buffer.from([2, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 7, 0]);
  assert.deepEqual(intsetElements(intset), ['-1', '7']);
  assert.throws(() => listpackElements(blob.subarray(0, blob.length - 1)), DecodeError);
});

test('malformed bodies are DecodeErrors, whatever the bytes (property)', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    try {
      readRdbValue(new RdbReader(bytes, 1024));
    } catch (error) {
      assert.ok(error instanceof DecodeError, String(error));
    }
  }), { numRuns: 3000 });
});

test('listpacks written as Redis lays them out read back element for element, at every size class (property)', () => {
  const text = fc.oneof(
    element,
    fc.integer({ min: 0, max: 20_000 }).map((length) => 'x'.repeat(length)),
    fc.constantFrom('0', '-0', '007', '127', '128', '-4096', '-4097', '4095', '32767', '-32769', '8388608', '2147483648', '9223372036854775808', ''),
  );
  fc.assert(fc.property(fc.array(text, { maxLength: 30 }), (elements) => {
    const lp = new ListpackWriter();
    for (const item of elements) lp.string(item);
    const blob = lp.finish();
    assert.equal(blob.length, lp.byteLength);
    assert.deepEqual(listpackElements(blob), elements);
  }), { numRuns: 300 });
});

test('a stream with groups, consumers and pending entries round-trips through its RDB form', () => {
  const harness = new Harness();
  for (let i = 1; i <= 230; i++) harness.apply('XADD', 's', `${i}-${i % 4}`, ...(i % 5 === 0 ? ['other', String(-i)] : ['f', `v${i}`]));
  harness.apply('XDEL', 's', '7-3', '150-2');
  harness.apply('XTRIM', 's', 'MAXLEN', '~', '200');
  harness.apply('XGROUP', 'CREATE', 's', 'g', '0');
  harness.apply('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '40', 'STREAMS', 's', '>');
  harness.advance(1234);
  harness.apply('XCLAIM', 's', 'g', 'bob', '0', '40-0', '41-1', 'RETRYCOUNT', '3');
  harness.apply('XGROUP', 'CREATE', 's', 'h', '$');
  harness.apply('XGROUP', 'SETID', 's', 'h', '60-0');
  const dumped = harness.apply('DUMP', 's');
  assert.ok(dumped.kind === 'bulk' && dumped.value !== null);
  assert.equal(plain(harness.apply('RESTORE', 'copy', '0', dumped.value)), 'OK');
  for (const read of [['XINFO', 'STREAM', '?', 'FULL', 'COUNT', '0'], ['XINFO', 'GROUPS', '?'], ['XINFO', 'CONSUMERS', '?', 'g']]) {
    const on = (key: string): Plain => plain(harness.read(...read.map((part) => (part === '?' ? key : part))));
    assert.deepEqual(on('copy'), on('s'), read.join(' '));
  }
  assert.deepEqual(plain(harness.apply('DUMP', 'copy')), plain(dumped));
});

test('malformed stream bodies are DecodeErrors, whatever the bytes (property)', () => {
  fc.assert(fc.property(fc.constantFrom(15, 19, 21), fc.uint8Array({ maxLength: 96 }), (type, bytes) => {
    try {
      readRdbValue(new RdbReader(Buffer.from([type, ...bytes]), 1024));
    } catch (error) {
      assert.ok(error instanceof DecodeError, String(error));
    }
  }), { numRuns: 3000 });
});
