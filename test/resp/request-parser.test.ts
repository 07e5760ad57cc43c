// Request decoder: every case runs on the whole input, byte by byte and at every two-way
// split; fast-check sends random binary commands through random chunkings.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RequestParser, requestParserLimits, type RequestParserLimits } from '../../src/resp/request-parser.js';
import { isProtocolError } from '../../src/resp/protocol-error.js';
import { byteByByte, encodeRequest, parseRequestBuffers, parseRequestBuffersBorrowed, parseRequests, splitAt, type ParsedRequest } from './helpers.js';

/**
 * Asserts the same result for the whole input, byte by byte, and every split in two, each fed
 * as fresh chunks and through one reused (borrowed) read buffer.
 */
function expectParse(input: string | Buffer, expected: ParsedRequest[], limits: Partial<RequestParserLimits> = {}): void {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  for (const borrowed of [false, true]) {
    const how = borrowed ? 'borrowed' : 'owned';
    assert.deepEqual(parseRequests([bytes], limits, borrowed), expected, `whole input, ${how}`);
    assert.deepEqual(parseRequests(byteByByte(bytes), limits, borrowed), expected, `byte by byte, ${how}`);
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.deepEqual(parseRequests(splitAt(bytes, [cut]), limits, borrowed), expected, `split at ${cut}, ${how}`);
    }
  }
}

function protocolFailure(message: string, code: string): ParsedRequest {
  return { error: `Protocol error: ${message}`, code } as ParsedRequest;
}

describe('request parser: RESP arrays', () => {
  it('parses a command of bulk strings', () => {
    expectParse('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n', [['SET', 'key', 'value']]);
  });

  it('parses pipelined commands in order', () => {
    expectParse('*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n*1\r\n$4\r\nPING\r\n', [['PING'], ['ECHO', 'hi'], ['PING']]);
  });

  it('keeps empty and binary arguments intact', () => {
    expectParse('*3\r\n$0\r\n\r\n$4\r\n\r\n\0\xff\r\n$1\r\n*\r\n', [['', '\r\n\0\xff', '*']]);
  });

  it('skips empty and negative multibulk counts as Redis does', () => {
    expectParse('*0\r\n*-1\r\n*-10\r\n*1\r\n$4\r\nPING\r\n', [['PING']]);
  });

  it('rejects a bad multibulk count with Redis\'s text', () => {
    for (const count of ['x', '', '03', '+3', '-0', '1 ', '99999999999999999999999']) {
      expectParse(`*${count}\r\n`, [protocolFailure('invalid multibulk length', 'invalid-multibulk-length')]);
    }
  });

  it('rejects a count above maxMultibulkLength', () => {
    expectParse('*4\r\n', [protocolFailure('invalid multibulk length', 'invalid-multibulk-length')], { maxMultibulkLength: 3 });
    expectParse('*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n', [['a', 'b', 'c']], { maxMultibulkLength: 3 });
    expectParse('*1048577\r\n', [protocolFailure('invalid multibulk length', 'invalid-multibulk-length')]);
  });

  it('rejects a bad bulk length with Redis\'s text', () => {
    for (const length of ['-1', 'x', '', '01', '-0']) {
      expectParse(`*1\r\n$${length}\r\n`, [protocolFailure('invalid bulk length', 'invalid-bulk-length')]);
    }
  });

  it('rejects a bulk longer than protoMaxBulkLen', () => {
    expectParse('*1\r\n$5\r\nhello\r\n', [protocolFailure('invalid bulk length', 'invalid-bulk-length')], { protoMaxBulkLen: 4 });
    expectParse('*1\r\n$4\r\nhell\r\n', [['hell']], { protoMaxBulkLen: 4 });
    expectParse('*1\r\n$536870913\r\n', [protocolFailure('invalid bulk length', 'invalid-bulk-length')]);
  });

  it('names the byte found where "$" was expected', () => {
    expectParse('*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n', [protocolFailure("expected '$', got 'f'", 'expected-bulk-prefix')]);
    expectParse('*1\r\n:1\r\n', [protocolFailure("expected '$', got ':'", 'expected-bulk-prefix')]);
  });

  it('rejects a bulk whose payload is not followed by CRLF', () => {
    expectParse('*1\r\n$3\r\nabcd\r\n', [protocolFailure('expected CRLF after bulk argument', 'missing-bulk-terminator')]);
    expectParse('*1\r\n$3\r\nabc\rX', [protocolFailure('expected CRLF after bulk argument', 'missing-bulk-terminator')]);
  });

  it('rejects header lines longer than inlineMaxBytes', () => {
    const digits = '1'.repeat(20);
    expectParse(`*${digits}`, [protocolFailure('too big mbulk count string', 'too-big-mbulk-count')], { inlineMaxBytes: 16 });
    expectParse(`*1\r\n$${digits}`, [protocolFailure('too big bulk count string', 'too-big-bulk-count')], { inlineMaxBytes: 16 });
    // Default limit (64 KiB), the way Redis hits it: a count line that never ends.
    const long = Buffer.from(`*${'1'.repeat(64 * 1024 + 1)}`);
    assert.deepEqual(parseRequests([long]), [protocolFailure('too big mbulk count string', 'too-big-mbulk-count')]);
  });

  it('rejects a command bigger than queryBufferMaxBytes', () => {
    const limits = { queryBufferMaxBytes: 32, protoMaxBulkLen: 16 };
    expectParse('*2\r\n$16\r\n0123456789abcdef\r\n$1\r\nx\r\n', [
      protocolFailure('query buffer limit exceeded', 'query-buffer-limit'),
    ], limits);
    // 31 bytes of an unfinished command are within the limit: no error, no command yet.
    expectParse('*2\r\n$16\r\n0123456789abcdef\r\n$1\r\n', [], limits);
    expectParse('*2\r\n$13\r\n0123456789abc\r\n$1\r\nx\r\n', [['0123456789abc', 'x']], limits);
  });

  it('waits for more bytes on an incomplete command and returns nothing', () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nke'));
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedBytes, 19);
    parser.feed(Buffer.from('y\r\n'));
    assert.deepEqual(parser.next()?.toString(), ['GET', 'key'].toString());
    assert.equal(parser.bufferedBytes, 0);
  });

  it('keeps returning the same error once failed', () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from('*x\r\n*1\r\n$4\r\nPING\r\n'));
    const first = parser.next();
    assert.ok(isProtocolError(first));
    parser.feed(Buffer.from('*1\r\n$4\r\nPING\r\n'));
    assert.equal(parser.next(), first);
    assert.ok(parser.failed);
  });

  it('hands out arguments as subarrays of the read chunk when the frame lies in it', () => {
    const parser = new RequestParser();
    const chunk = Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n');
    parser.feed(chunk);
    const argv = parser.next();
    assert.ok(Array.isArray(argv));
    for (const arg of argv) assert.equal(arg.buffer, chunk.buffer, 'argument aliases the chunk');
    chunk[8] = 'X'.charCodeAt(0); // proves aliasing: the argument sees the write
    assert.equal(argv[0]?.toString(), 'XET');
  });

  it('copies every argument out of a borrowed chunk', () => {
    const parser = new RequestParser();
    const frame = '*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n';
    const chunk = Buffer.alloc(frame.length, frame, 'latin1'); // a buffer of its own, not a slice of Node's pool
    parser.feed(chunk, true);
    const argv = parser.next();
    assert.ok(Array.isArray(argv));
    assert.equal(parser.next(), null);
    parser.detach();
    for (const arg of argv) assert.notEqual(arg.buffer, chunk.buffer, 'argument owns its bytes');
    chunk.fill(0);
    assert.deepEqual(argv.map((a) => a.toString()), ['GET', 'key']);
  });

  it('keeps a borrowed chunk\'s unparsed bytes on detach, and the parts of a command already read', () => {
    const parser = new RequestParser();
    const shared = Buffer.alloc(64);
    const read = (text: string): void => {
      shared.write(text, 'latin1');
      parser.feed(shared.subarray(0, text.length), true);
    };
    read('*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$5\r\nhel');
    assert.deepEqual(parser.next()?.toString(), 'PING');
    parser.detach(); // the caller stopped before draining: the rest must survive the reuse
    shared.fill(0x5a);
    assert.equal(parser.bufferedBytes, 21, "the unparsed ECHO so far");
    assert.equal(parser.next(), null, 'ECHO is not complete yet');
    parser.detach();
    shared.fill(0x5a);
    read('lo\r\n');
    const echo = parser.next();
    parser.detach();
    shared.fill(0x5a);
    assert.ok(Array.isArray(echo));
    assert.deepEqual(echo.map((a) => a.toString()), ['ECHO', 'hello']);
    assert.equal(parser.bufferedBytes, 0);
  });

  it('copies an argument whose bytes span chunks', () => {
    const parser = new RequestParser();
    const first = Buffer.from('*1\r\n$6\r\nabc');
    const second = Buffer.from('def\r\n');
    parser.feed(first);
    assert.equal(parser.next(), null);
    parser.feed(second);
    const argv = parser.next();
    assert.ok(Array.isArray(argv));
    assert.equal(argv[0]?.toString(), 'abcdef');
    first.fill(0);
    second.fill(0);
    assert.equal(argv[0]?.toString(), 'abcdef', 'the argument owns its bytes');
  });

  it('accepts a feed before the previous chunk was drained', () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from('*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI'));
    parser.feed(Buffer.from('NG\r\n'));
    assert.deepEqual(parser.next()?.toString(), 'PING');
    assert.deepEqual(parser.next()?.toString(), 'PING');
    assert.equal(parser.next(), null);
  });

  it('collects a large argument arriving in many chunks', () => {
    const value = Buffer.alloc(200_000, 7);
    const input = encodeRequest(['SET', 'k', value]);
    const pieces: Buffer[] = [];
    for (let at = 0; at < input.length; at += 1000) pieces.push(input.subarray(at, at + 1000));
    const [argv] = parseRequestBuffers(pieces);
    assert.ok(Array.isArray(argv));
    assert.ok(argv[2]?.equals(value));
  });
});

describe('request parser: inline commands', () => {
  it('splits on blanks and accepts LF or CRLF', () => {
    expectParse('PING\r\nset  a\tb\nGET a \r\n', [['PING'], ['set', 'a', 'b'], ['GET', 'a']]);
  });

  it('ignores empty and blank lines', () => {
    expectParse('\r\n\n   \r\nPING\r\n', [['PING']]);
  });

  it('takes double-quoted arguments with escapes', () => {
    expectParse('set "a b" "\\n\\r\\t\\b\\a\\x41\\x4a\\"\\\\\\q"\r\n', [['set', 'a b', '\n\r\t\b\x07AJ"\\q']]);
    expectParse('set "" x\r\n', [['set', '', 'x']]);
    expectParse('echo "\\xzz"\r\n', [['echo', 'xzz']]);
  });

  it('takes single-quoted arguments where only \\\' is an escape', () => {
    expectParse("set 'a \"b\" \\n' 'it\\'s'\r\n", [['set', 'a "b" \\n', "it's"]]);
  });

  it('joins a quoted part into an unquoted token as sdssplitargs does', () => {
    expectParse('set foo"bar baz" x\r\n', [['set', 'foobar baz', 'x']]);
  });

  it('rejects unbalanced quotes with Redis\'s text', () => {
    for (const line of ['set "abc\r\n', "set 'abc\r\n", 'set "a"b\r\n', "set 'a'b\r\n", 'set "abc\\"\r\n']) {
      expectParse(line, [protocolFailure('unbalanced quotes in request', 'unbalanced-quotes')]);
    }
  });

  it('rejects an inline request longer than inlineMaxBytes', () => {
    expectParse(`SET k ${'v'.repeat(20)}\r\n`, [protocolFailure('too big inline request', 'too-big-inline-request')], { inlineMaxBytes: 16 });
    expectParse(`SET k ${'v'.repeat(9)}\r\n`, [['SET', 'k', 'vvvvvvvvv']], { inlineMaxBytes: 16 });
    const long = Buffer.from('x'.repeat(64 * 1024 + 1));
    assert.deepEqual(parseRequests([long]), [protocolFailure('too big inline request', 'too-big-inline-request')]);
    assert.deepEqual(parseRequests([Buffer.from('x'.repeat(64 * 1024))]), []);
  });

  it('ends the line at a NUL byte, like the C string Redis splits', () => {
    expectParse('set a\0b c\r\nPING\r\n', [['set', 'a'], ['PING']]);
  });

  it('skips vertical tab and form feed between arguments but keeps them inside one', () => {
    expectParse('\v\fGET a\vb\r\n', [['GET', 'a\vb']]);
  });

  it('mixes inline and RESP commands on one connection', () => {
    expectParse('PING\r\n*1\r\n$4\r\nPING\r\nECHO x\r\n', [['PING'], ['PING'], ['ECHO', 'x']]);
  });
});

describe('request parser: limits', () => {
  it('uses Redis defaults', () => {
    assert.deepEqual(requestParserLimits(), {
      protoMaxBulkLen: 512 * 1024 * 1024,
      maxMultibulkLength: 1024 * 1024,
      inlineMaxBytes: 64 * 1024,
      queryBufferMaxBytes: 1024 * 1024 * 1024,
    });
  });

  it('rejects invalid limits by name', () => {
    assert.throws(() => new RequestParser({ protoMaxBulkLen: 0 }), /invalid protoMaxBulkLen/);
    assert.throws(() => new RequestParser({ maxMultibulkLength: 1.5 }), /invalid maxMultibulkLength/);
    assert.throws(() => new RequestParser({ inlineMaxBytes: -1 }), /invalid inlineMaxBytes/);
    assert.throws(() => new RequestParser({ queryBufferMaxBytes: Number.NaN }), /invalid queryBufferMaxBytes/);
    assert.throws(() => new RequestParser({ protoMaxBulkLen: 100, queryBufferMaxBytes: 50 }), /invalid protoMaxBulkLen/);
  });
});

describe('request parser: properties', () => {
  const argument = fc.uint8Array({ maxLength: 40 });
  const command = fc.array(argument, { minLength: 1, maxLength: 6 });

  it('round-trips random binary commands through random chunkings', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 30 }), (commands, cuts) => {
        const input = Buffer.concat(commands.map((argv) => encodeRequest(argv)));
        const pieces = splitAt(input, cuts.map((c) => c % (input.length + 1)));
        const expected = commands.map((argv) => argv.map((a) => Buffer.from(a)));
        for (const parse of [parseRequestBuffers, parseRequestBuffersBorrowed]) {
          const parsed = parse(pieces);
          assert.deepEqual(parsed.map((argv) => (Array.isArray(argv) ? argv.map((a) => Buffer.from(a)) : argv)), expected, parse.name);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same result for arbitrary bytes however they are split, and never throws', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.constantFrom('*', '$', '\r', '\n', '1', '2', '-', '0', 'a', ' ', '"', "'", '\\', 'x'), { maxLength: 80 })
        .map((chars) => new Uint8Array(Buffer.from(chars.join('')))),
    );
    fc.assert(
      fc.property(bytes, fc.array(fc.nat(), { maxLength: 10 }), (input, cuts) => {
        const buffer = Buffer.from(input);
        const limits = { inlineMaxBytes: 32, protoMaxBulkLen: 64, queryBufferMaxBytes: 128, maxMultibulkLength: 16 };
        const whole = parseRequests([buffer], limits);
        assert.deepEqual(parseRequests(splitAt(buffer, cuts.map((c) => c % (buffer.length + 1))), limits), whole);
        assert.deepEqual(parseRequests(byteByByte(buffer), limits), whole);
        assert.deepEqual(parseRequests(splitAt(buffer, cuts.map((c) => c % (buffer.length + 1))), limits, true), whole, 'borrowed');
      }),
      { numRuns: 500 },
    );
  });
});
