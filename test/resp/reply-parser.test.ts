// Reply decoder: round trips with the writer under arbitrary chunking, RESP3-only types,
// malformed input and limits.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { replyArbitrary } from '../support/reply-arbitrary.js';
import { ReplyParser, type ReplyParserLimits } from '../../src/resp/reply-parser.js';
import { encodeReply } from '../../src/resp/reply-writer.js';
import { isProtocolError } from '../../src/resp/protocol-error.js';
import type { RespValue } from '../../src/resp/resp-value.js';
import { byteByByte, splitAt } from './helpers.js';

type Parsed = RespValue | { error: string };

function parseReplies(pieces: readonly Buffer[], limits: Partial<ReplyParserLimits> = {}): Parsed[] {
  const parser = new ReplyParser(limits);
  const out: Parsed[] = [];
  for (const piece of pieces) {
    parser.feed(Buffer.from(piece));
    for (;;) {
      const value = parser.next();
      if (value === null) break;
      if (isProtocolError(value)) {
        out.push({ error: value.message });
        return out;
      }
      out.push(value);
    }
  }
  return out;
}

function expectReplies(input: string, expected: Parsed[], limits: Partial<ReplyParserLimits> = {}): void {
  const bytes = Buffer.from(input, 'latin1');
  assert.deepEqual(parseReplies([bytes], limits), expected, 'whole input');
  assert.deepEqual(parseReplies(byteByByte(bytes), limits), expected, 'byte by byte');
}

const bulk = (text: string): RespValue => ({ kind: 'bulk', value: Buffer.from(text, 'latin1') });

describe('reply parser', () => {
  it('reads RESP2 replies', () => {
    expectReplies('+OK\r\n-ERR bad\r\n:-12\r\n$3\r\nabc\r\n$-1\r\n*-1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n*0\r\n', [
      { kind: 'simple', value: 'OK' },
      { kind: 'error', message: 'ERR bad' },
      { kind: 'integer', value: -12 },
      bulk('abc'),
      { kind: 'bulk', value: null },
      { kind: 'array', value: null },
      { kind: 'array', value: [bulk('a'), { kind: 'array', value: [{ kind: 'integer', value: 1 }] }] },
      { kind: 'array', value: [] },
    ]);
  });

  it('reads every RESP3 reply type (attributes are dropped)', () => {
    expectReplies(
      '_\r\n,3.5\r\n,inf\r\n,-inf\r\n#t\r\n#f\r\n(12345678901234567890\r\n!9\r\nERR oops!\r\n=7\r\ntxt:abc\r\n%1\r\n+k\r\n:1\r\n~2\r\n:1\r\n:2\r\n>2\r\n+message\r\n+x\r\n|1\r\n+ttl\r\n:3\r\n:9\r\n',
      [
        { kind: 'null' },
        { kind: 'double', value: 3.5 },
        { kind: 'double', value: Infinity },
        { kind: 'double', value: -Infinity },
        { kind: 'boolean', value: true },
        { kind: 'boolean', value: false },
        { kind: 'bignum', value: 12345678901234567890n },
        { kind: 'error', message: 'ERR oops!' },
        { kind: 'verbatim', format: 'txt', value: 'abc' },
        { kind: 'map', value: [[{ kind: 'simple', value: 'k' }, { kind: 'integer', value: 1 }]] },
        { kind: 'set', value: [{ kind: 'integer', value: 1 }, { kind: 'integer', value: 2 }] },
        { kind: 'push', value: [{ kind: 'simple', value: 'message' }, { kind: 'simple', value: 'x' }] },
        { kind: 'integer', value: 9 }, // the attribute before it is dropped
      ],
    );
  });

  it('round-trips the RESP3 kinds through the writer, and reads their RESP2 forms as Redis writes them', () => {
    const values: RespValue[] = [
      { kind: 'set', value: [bulk('a'), bulk('b')] },
      { kind: 'push', value: [bulk('message'), bulk('ch'), bulk('hi')] },
      { kind: 'boolean', value: true },
      { kind: 'boolean', value: false },
      { kind: 'bignum', value: -123456789012345678901234567890n },
      { kind: 'set', value: [] },
    ];
    assert.deepEqual(parseReplies(values.map((value) => encodeReply(value, 3))), values);
    assert.deepEqual(parseReplies(values.map((value) => encodeReply(value, 2))), [
      { kind: 'array', value: [bulk('a'), bulk('b')] },
      { kind: 'array', value: [bulk('message'), bulk('ch'), bulk('hi')] },
      { kind: 'integer', value: 1 },
      { kind: 'integer', value: 0 },
      bulk('-123456789012345678901234567890'),
      { kind: 'array', value: [] },
    ]);
  });

  it('reads RESP2 downgrades written by the writer', () => {
    const map: RespValue = { kind: 'map', value: [[bulk('a'), { kind: 'double', value: 1.5 }]] };
    assert.deepEqual(parseReplies([encodeReply(map, 2)]), [{ kind: 'array', value: [bulk('a'), bulk('1.5')] }]);
    assert.deepEqual(parseReplies([encodeReply({ kind: 'null' }, 2)]), [{ kind: 'bulk', value: null }]);
    assert.deepEqual(parseReplies([encodeReply({ kind: 'verbatim', format: 'txt', value: 'hi' }, 2)]), [bulk('hi')]);
  });

  it('rejects malformed replies', () => {
    expectReplies('?x\r\n', [{ error: 'Protocol error: unknown reply type byte 63' }]);
    expectReplies(':12a\r\n', [{ error: 'Protocol error: invalid integer' }]);
    expectReplies('$-2\r\n', [{ error: 'Protocol error: invalid bulk length' }]);
    expectReplies('$3\r\nabcd', [{ error: 'Protocol error: bulk reply not terminated by CRLF' }]);
    expectReplies('+OK\n', [{ error: 'Protocol error: reply line not terminated by CRLF' }]);
    expectReplies('#x\r\n', [{ error: 'Protocol error: invalid boolean' }]);
    expectReplies(',1.2.3\r\n', [{ error: 'Protocol error: invalid double' }]);
    expectReplies('=3\r\nabc\r\n', [{ error: 'Protocol error: invalid verbatim string' }]);
  });

  it('enforces its limits', () => {
    expectReplies('$5\r\nhello\r\n', [{ error: 'Protocol error: invalid bulk length' }], { bulkMaxBytes: 4 });
    expectReplies('*3\r\n', [{ error: 'Protocol error: invalid aggregate length' }], { aggregateMaxLength: 2 });
    expectReplies('*1\r\n*1\r\n*1\r\n:1\r\n', [{ error: 'Protocol error: replies nested too deep' }], { depthMax: 2 });
    expectReplies('+0123456789\r\n', [{ error: 'Protocol error: reply line too long' }], { lineMaxBytes: 8 });
    assert.throws(() => new ReplyParser({ depthMax: 0 }), /invalid depthMax/);
  });

  it('round-trips every RESP3 value through the writer and any chunking', () => {
    const value = replyArbitrary;
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 20 }), (values, cuts) => {
        const input = Buffer.concat(values.map((v) => encodeReply(v, 3)));
        const pieces = splitAt(input, cuts.map((c) => c % (input.length + 1)));
        assert.deepEqual(parseReplies(pieces), values);
      }),
      { numRuns: 300 },
    );
  });

  it('reads simple strings and errors byte for byte, so a relayed reply is written back as it came', () => {
    const replies: RespValue[] = [
      { kind: 'error', message: "ERR unknown command '\xff\xe9', with args beginning with: " },
      { kind: 'error', message: 'ERR Unsupported option \x80' },
      { kind: 'simple', value: '\xfe' },
      { kind: 'error', message: 'ERR usage: a … b' }, // UTF-8 text: its bytes are relayed as they are
    ];
    for (const reply of replies) {
      for (const protocol of [2, 3] as const) {
        const bytes = encodeReply(reply, protocol);
        const [parsed] = parseReplies([bytes]);
        assert.ok(parsed !== undefined && 'kind' in parsed, `parsed ${JSON.stringify(reply)}`);
        assert.deepEqual(encodeReply(parsed, protocol), bytes, `relayed ${JSON.stringify(reply)} in RESP${protocol}`);
      }
    }
    expectReplies('-ERR \xff\r\n!5\r\nERR \xe9\r\n', [{ kind: 'error', message: 'ERR \xff' }, { kind: 'error', message: 'ERR \xe9' }]);
  });

  it('reads a large bulk reply arriving in many chunks', () => {
    const payload = Buffer.alloc(100_000, 3);
    const input = encodeReply({ kind: 'bulk', value: payload }, 2);
    const pieces: Buffer[] = [];
    for (let at = 0; at < input.length; at += 777) pieces.push(input.subarray(at, at + 777));
    assert.deepEqual(parseReplies(pieces), [{ kind: 'bulk', value: payload }]);
  });
});
