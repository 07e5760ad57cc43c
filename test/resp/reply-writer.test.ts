// Reply writer: golden bytes for every kind in RESP2 and RESP3, and the output buffer.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseReply } from '../../src/resp/codec.js';
import { encodeReply, formatDouble, ReplyWriter, ENCODED_OK } from '../../src/resp/reply-writer.js';
import { OutputBuffer } from '../../src/resp/output-buffer.js';
import { encodeCommand } from '../../src/resp/command-writer.js';
import { Latin1Bulk } from '../../src/base/reply.js';
import { RESP_NIL, RESP_NULL, RESP_OK, RESP_ONE, RESP_ZERO, type RespValue } from '../../src/resp/resp-value.js';

const bulk = (text: string): RespValue => ({ kind: 'bulk', value: Buffer.from(text) });

/** [value, RESP2 bytes, RESP3 bytes] */
const golden: [string, RespValue, string, string][] = [
  ['simple', { kind: 'simple', value: 'PONG' }, '+PONG\r\n', '+PONG\r\n'],
  ['shared OK', RESP_OK, '+OK\r\n', '+OK\r\n'],
  ['error', { kind: 'error', message: 'ERR syntax error' }, '-ERR syntax error\r\n', '-ERR syntax error\r\n'],
  ['error with newlines', { kind: 'error', message: 'ERR a\r\nb' }, '-ERR a  b\r\n', '-ERR a  b\r\n'],
  ['error ending in newlines (dropped, as Redis does)', { kind: 'error', message: 'ERR Unsupported option x\r\n\n' }, '-ERR Unsupported option x\r\n', '-ERR Unsupported option x\r\n'],
  ['integer', { kind: 'integer', value: 1234 }, ':1234\r\n', ':1234\r\n'],
  ['negative integer', { kind: 'integer', value: -42 }, ':-42\r\n', ':-42\r\n'],
  ['zero', RESP_ZERO, ':0\r\n', ':0\r\n'],
  ['one', RESP_ONE, ':1\r\n', ':1\r\n'],
  ['big integer', { kind: 'integer', value: 9007199254740991 }, ':9007199254740991\r\n', ':9007199254740991\r\n'],
  ['bulk', bulk('hello'), '$5\r\nhello\r\n', '$5\r\nhello\r\n'],
  ['empty bulk', bulk(''), '$0\r\n\r\n', '$0\r\n\r\n'],
  ['binary bulk', { kind: 'bulk', value: new Uint8Array([0, 13, 10, 255]) }, '$4\r\n\0\r\n\xff\r\n', '$4\r\n\0\r\n\xff\r\n'],
  ['nil bulk', RESP_NIL, '$-1\r\n', '_\r\n'],
  ['array', { kind: 'array', value: [bulk('a'), { kind: 'integer', value: 2 }] }, '*2\r\n$1\r\na\r\n:2\r\n', '*2\r\n$1\r\na\r\n:2\r\n'],
  ['empty array', { kind: 'array', value: [] }, '*0\r\n', '*0\r\n'],
  ['nil array', { kind: 'array', value: null }, '*-1\r\n', '_\r\n'],
  ['nested array', { kind: 'array', value: [{ kind: 'array', value: [RESP_OK] }, RESP_NIL] }, '*2\r\n*1\r\n+OK\r\n$-1\r\n', '*2\r\n*1\r\n+OK\r\n_\r\n'],
  ['double', { kind: 'double', value: 3.5 }, '$3\r\n3.5\r\n', ',3.5\r\n'],
  ['integral double', { kind: 'double', value: 10 }, '$2\r\n10\r\n', ',10\r\n'],
  ['inf', { kind: 'double', value: Infinity }, '$3\r\ninf\r\n', ',inf\r\n'],
  ['-inf', { kind: 'double', value: -Infinity }, '$4\r\n-inf\r\n', ',-inf\r\n'],
  ['nan', { kind: 'double', value: NaN }, '$3\r\nnan\r\n', ',nan\r\n'],
  ['map', { kind: 'map', value: [[bulk('k'), { kind: 'integer', value: 1 }], [bulk('x'), RESP_NIL]] },
    '*4\r\n$1\r\nk\r\n:1\r\n$1\r\nx\r\n$-1\r\n', '%2\r\n$1\r\nk\r\n:1\r\n$1\r\nx\r\n_\r\n'],
  ['empty map', { kind: 'map', value: [] }, '*0\r\n', '%0\r\n'],
  ['pairs', { kind: 'pairs', value: [[bulk('a'), { kind: 'double', value: 1.5 }], [bulk('b'), { kind: 'double', value: 2 }]] },
    '*4\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n', '*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,2\r\n'],
  ['empty pairs', { kind: 'pairs', value: [] }, '*0\r\n', '*0\r\n'],
  ['double %.17g', { kind: 'double', value: 0.1 }, '$19\r\n0.10000000000000001\r\n', ',0.10000000000000001\r\n'],
  ['verbatim', { kind: 'verbatim', format: 'txt', value: 'héllo' }, '$6\r\nhéllo\r\n', '=10\r\ntxt:héllo\r\n'],
  ['null', RESP_NULL, '$-1\r\n', '_\r\n'],
  ['utf-8 simple', { kind: 'simple', value: 'a → b' }, '+a → b\r\n', '+a → b\r\n'],
];

/** Error texts that echo client bytes hold them one per character (latin1): the same bytes go back, as Redis sends them. */
const echoedBytes: [string, RespValue, Buffer][] = [
  ['a high byte', { kind: 'error', message: "ERR unknown command '\xff', with args beginning with: " }, Buffer.from("-ERR unknown command '\xff', with args beginning with: \r\n", 'latin1')],
  ['a NUL and high bytes', { kind: 'error', message: 'ERR Unsupported option a\x00\xe9' }, Buffer.from('-ERR Unsupported option a\x00\xe9\r\n', 'latin1')],
  ['a simple string', { kind: 'simple', value: '\x80\xfe' }, Buffer.from('+\x80\xfe\r\n', 'latin1')],
];

describe('reply writer', () => {
  for (const [name, value, resp2, resp3] of golden) {
    it(`writes ${name} in RESP2 and RESP3`, () => {
      assert.deepEqual(encodeReply(value, 2), Buffer.from(resp2, name.includes('binary') ? 'latin1' : 'utf8'));
      assert.deepEqual(encodeReply(value, 3), Buffer.from(resp3, name.includes('binary') ? 'latin1' : 'utf8'));
    });
  }

  for (const [name, value, bytes] of echoedBytes) {
    it(`writes an error or simple string with ${name} as those bytes`, () => {
      assert.deepEqual(encodeReply(value, 2), bytes);
      assert.deepEqual(encodeReply(value, 3), bytes);
    });
  }

  it('writes a bulk string held as latin1 text as the bytes its characters stand for', () => {
    const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const text = new Latin1Bulk(everyByte.toString('latin1'));
    for (const protocol of [2, 3] as const) {
      assert.deepEqual(encodeReply(text, protocol), encodeReply({ kind: 'bulk', value: everyByte }, protocol));
      assert.deepEqual(encodeReply(new Latin1Bulk(''), protocol), Buffer.from('$0\r\n\r\n'));
      const nested: RespValue = { kind: 'array', value: [new Latin1Bulk('a\xffb'), text] };
      assert.deepEqual(encodeReply(nested, protocol), encodeReply({ kind: 'array', value: [{ kind: 'bulk', value: Buffer.from([0x61, 0xff, 0x62]) }, { kind: 'bulk', value: everyByte }] }, protocol));
    }
    // Readers that do not know the form read its bytes, the same object each time.
    assert.deepEqual(Buffer.from(text.value), everyByte);
    assert.equal(text.value, text.value);
  });

  it('formats doubles as Redis 7.0 does (%.17g)', () => {
    assert.equal(formatDouble(3.5), '3.5');
    assert.equal(formatDouble(0.1), '0.10000000000000001');
    assert.equal(formatDouble(-0), '-0');
    assert.equal(formatDouble(1e21), '1e+21');
    assert.equal(formatDouble(1e20), '1e+20');
    assert.equal(formatDouble(1.5e-7), '1.4999999999999999e-07');
    assert.equal(formatDouble(1e-5), '1.0000000000000001e-05');
    assert.equal(formatDouble(Number('123456789012345678')), '1.2345678901234568e+17');
    assert.equal(formatDouble(1e15), '1000000000000000');
    assert.equal(formatDouble(0.5), '0.5');
    assert.equal(formatDouble(1.7976931348623157e308), '1.7976931348623157e+308');
    assert.equal(formatDouble(5e-324), '4.9406564584124654e-324');
    // The exact value 1.00000762939453125 is a tie at 17 digits: glibc rounds it to even.
    assert.equal(formatDouble(1 + 2 ** -17), '1.0000076293945312');
    assert.equal(formatDouble(-(1 + 2 ** -17)), '-1.0000076293945312');
  });

  it('refuses a verbatim format that is not three bytes', () => {
    assert.throws(() => encodeReply({ kind: 'verbatim', format: 'text', value: 'x' }, 3), /not 3 bytes/);
  });

  it('refuses an integer reply that is not an integer', () => {
    assert.throws(() => encodeReply({ kind: 'integer', value: 1.5 }, 2), /not an integer/);
    assert.throws(() => encodeReply({ kind: 'integer', value: Number.NaN }, 2), /not an integer/);
  });

  it('writes an integral number beyond 2^53 as its exact decimal value', () => {
    assert.deepEqual(encodeReply({ kind: 'integer', value: 2 ** 63 }, 2), Buffer.from(':9223372036854775808\r\n'));
    assert.deepEqual(encodeReply({ kind: 'integer', value: -(2 ** 60) }, 3), Buffer.from(':-1152921504606846976\r\n'));
  });

  it('writes 64-bit integers beyond 2^53 exactly (bigint), and the reply parser reads them back exactly', () => {
    const big = 9223372036854775807n;
    assert.deepEqual(encodeReply({ kind: 'integer', value: big }, 2), Buffer.from(':9223372036854775807\r\n'));
    assert.deepEqual(parseReply(encodeReply({ kind: 'integer', value: -big - 1n }, 3)), { kind: 'integer', value: -big - 1n });
    assert.deepEqual(parseReply(Buffer.from(':9007199254740993\r\n')), { kind: 'integer', value: 9007199254740993n });
  });

  it('accumulates replies until taken, and never rewrites taken bytes', () => {
    const writer = new ReplyWriter(64);
    writer.write(RESP_OK, 2);
    writer.write({ kind: 'integer', value: 7 }, 2);
    assert.equal(writer.pendingBytes, 9);
    const first = writer.take();
    assert.equal(first?.toString(), '+OK\r\n:7\r\n');
    assert.equal(writer.take(), null);
    const snapshot = Buffer.from(first ?? Buffer.alloc(0));
    for (let i = 0; i < 100; i++) writer.write(bulk('x'.repeat(i)), 3); // forces growth past 64 bytes
    assert.deepEqual(first, snapshot, 'bytes already handed out are untouched');
    const second = writer.take();
    let expected = '';
    for (let i = 0; i < 100; i++) expected += `$${i}\r\n${'x'.repeat(i)}\r\n`;
    assert.equal(second?.toString(), expected);
  });

  it('writes pre-encoded bytes as they are', () => {
    const writer = new ReplyWriter();
    writer.writeRaw(ENCODED_OK);
    assert.equal(writer.take()?.toString(), '+OK\r\n');
  });

  it('validates the output buffer size', () => {
    assert.throws(() => new OutputBuffer(1), /invalid initialBytes/);
  });

  it('encodes client commands as arrays of bulk strings', () => {
    assert.equal(encodeCommand(['SET', 'k', new Uint8Array([1, 2])]).toString('latin1'), '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n\x01\x02\r\n');
    assert.equal(encodeCommand(['é']).toString(), '*1\r\n$2\r\né\r\n');
  });
});
