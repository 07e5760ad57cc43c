// Malformed and oversized client input on a live node: each bad frame gets Redis's
// `-ERR Protocol error: …` reply and its connection is closed, while another client on the
// same node keeps getting correct answers and the node process stays up. Fixed cases are
// compared with redis-server where it is installed; fast-check generates the rest.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { TestCluster } from '../support/cluster.js';
import { encode, parseFrame, RawConnection, type Resp } from '../support/raw-resp.js';
import { missingTool, RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

const PROTO_MAX_BULK_LEN = 1024 * 1024;
const INLINE_MAX_BYTES = 64 * 1024;

interface Outcome {
  readonly replies: Resp[];
  readonly rawReplies: string;
}

/** Sends `bytes`, shuts our side, and collects every reply until the server closes. */
async function sendAndDrain(port: number, bytes: Buffer, halfClose: boolean): Promise<Outcome> {
  const connection = await RawConnection.open(port);
  connection.write(bytes);
  if (halfClose) connection.end();
  const replies: Resp[] = [];
  const raw: string[] = [];
  for (;;) {
    try {
      const frame = await connection.read(10_000);
      replies.push(frame.value);
      raw.push(frame.raw.toString('latin1'));
    } catch (error) {
      if (!connection.closed) throw error;
      assert.equal(connection.pending(), '', 'the server closed the connection mid-reply');
      break;
    }
  }
  connection.close();
  return { replies, rawReplies: raw.join('') };
}

function isProtocolError(reply: Resp): boolean {
  return typeof reply === 'object' && reply !== null && 'error' in reply && reply.error.startsWith('ERR Protocol error');
}

const FIXED_CASES: { name: string; bytes: Buffer; reply: string }[] = [
  { name: 'a multibulk count beyond any limit', bytes: Buffer.from('*99999999999\r\n'), reply: '-ERR Protocol error: invalid multibulk length\r\n' },
  { name: 'a non-numeric multibulk count', bytes: Buffer.from('*abc\r\n'), reply: '-ERR Protocol error: invalid multibulk length\r\n' },
  { name: 'a bulk length beyond proto-max-bulk-len (default config)', bytes: Buffer.from('*1\r\n$600000000\r\n'), reply: '-ERR Protocol error: invalid bulk length\r\n' },
  { name: 'a negative bulk length', bytes: Buffer.from('*1\r\n$-3\r\n'), reply: '-ERR Protocol error: invalid bulk length\r\n' },
  { name: 'an argument that is not a bulk string', bytes: Buffer.from('*1\r\n+PING\r\n'), reply: "-ERR Protocol error: expected '$', got '+'\r\n" },
  { name: 'an inline line over 64 KiB', bytes: Buffer.alloc(INLINE_MAX_BYTES + 4096, 'a'), reply: '-ERR Protocol error: too big inline request\r\n' },
  { name: 'unbalanced quotes inline', bytes: Buffer.from('SET "a b\r\n'), reply: '-ERR Protocol error: unbalanced quotes in request\r\n' },
  { name: 'a multibulk count line with no end', bytes: Buffer.from(`*${'1'.repeat(INLINE_MAX_BYTES + 10)}`), reply: '-ERR Protocol error: too big mbulk count string\r\n' },
  { name: 'a bulk length line with no end', bytes: Buffer.from(`*1\r\n$${'1'.repeat(INLINE_MAX_BYTES + 10)}`), reply: '-ERR Protocol error: too big bulk count string\r\n' },
];

describe('malformed input on a live node', () => {
  let defaults: TestCluster;
  let small: TestCluster;
  let redisServer: RedisServer | null = null;
  let control: RawConnection;
  let controlCalls = 0;
  let stopControl = false;
  let controlLoop: Promise<void>;
  let controlFailure: unknown = null;

  before(async () => {
    [defaults, small] = await Promise.all([
      TestCluster.start({ nodes: 1 }),
      TestCluster.start({ nodes: 1, args: ['--proto-max-bulk-len', String(PROTO_MAX_BULK_LEN)] }),
    ]);
    await Promise.all([defaults.waitForLeader(), small.waitForLeader()]);
    if (missingTool('redis-server') === null) redisServer = await RedisServer.start();
    // A well-behaved client on the same node, checking every answer while the abuse goes on.
    control = await RawConnection.open(defaults.node('n1').port);
    assert.equal(await control.call('SET', 'control:value', 'intact'), 'OK');
    controlLoop = (async (): Promise<void> => {
      while (!stopControl) {
        const n = ++controlCalls;
        assert.equal(await control.call('INCR', 'control:count'), n, 'the control client\'s counter');
        assert.equal(await control.call('GET', 'control:value'), 'intact');
        assert.equal(await control.call('ECHO', `echo-${n}`), `echo-${n}`);
      }
    })().catch((error: unknown) => {
      controlFailure = error;
    });
  });

  after(async () => {
    stopControl = true;
    await controlLoop;
    control?.close();
    await Promise.all([defaults?.stop(), small?.stop(), redisServer?.stop()]);
  });

  for (const { name, bytes, reply } of FIXED_CASES) {
    it(`answers ${name} with a protocol error and closes`, async () => {
      const ours = await sendAndDrain(defaults.node('n1').port, bytes, false);
      assert.equal(ours.rawReplies, reply);
      if (redisServer !== null) {
        const theirs = await sendAndDrain(redisServer.port, bytes, false);
        assert.equal(ours.rawReplies, theirs.rawReplies, 'the same reply as redis-server');
      }
    });
  }

  it('answers the commands before a bad frame, then the protocol error, and runs nothing after it', async () => {
    const bytes = Buffer.concat([encode(['SET', 'before:bad', '1']), encode(['PING']), Buffer.from('*1\r\n$-7\r\n'), encode(['SET', 'after:bad', '1'])]);
    const outcome = await sendAndDrain(defaults.node('n1').port, bytes, false);
    assert.deepEqual(outcome.replies, ['OK', 'PONG', { error: 'ERR Protocol error: invalid bulk length' }]);
    const check = await RawConnection.open(defaults.node('n1').port);
    assert.equal(await check.call('GET', 'before:bad'), '1');
    assert.equal(await check.call('EXISTS', 'after:bad'), 0);
    check.close();
  });

  it('enforces --proto-max-bulk-len exactly at its value', async () => {
    const port = small.node('n1').port;
    const atLimit = await RawConnection.open(port);
    assert.equal(await atLimit.call('SET', 'big', Buffer.alloc(PROTO_MAX_BULK_LEN, 'x')), 'OK', 'a value of exactly proto-max-bulk-len bytes is accepted');
    assert.equal(await atLimit.call('STRLEN', 'big'), PROTO_MAX_BULK_LEN);
    atLimit.close();
    const over = await sendAndDrain(port, Buffer.from(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${PROTO_MAX_BULK_LEN + 1}\r\n`), false);
    assert.equal(over.rawReplies, '-ERR Protocol error: invalid bulk length\r\n');
  });

  it('survives generated garbage: well-formed replies, a protocol error only last, and the node keeps serving', async () => {
    const port = defaults.node('n1').port;
    const crlf = fc.constant('\r\n');
    const word = fc.constantFrom('PING', 'ECHO', 'GET', 'EXISTS', 'NOSUCH', '');
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
      fc.tuple(fc.constantFrom('*', '$', '+', '-', ':', '%', '~'), fc.oneof(fc.integer({ min: -10, max: 10 }).map(String), fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String), fc.string({ maxLength: 5 })), crlf).map((p) => p.join('')),
      fc.tuple(word, fc.string({ maxLength: 8 })).map(([w, a]) => `*2\r\n$${w.length}\r\n${w}\r\n$${Buffer.byteLength(a)}\r\n${a}\r\n`),
      fc.tuple(word, fc.constantFrom(' ', '"', "'", '\\x', '\t'), fc.string({ maxLength: 8 }), crlf).map((p) => p.join('')),
      crlf,
    );
    await fc.assert(fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 12 }), async (pieces) => {
      const outcome = await sendAndDrain(port, Buffer.from(pieces.join(''), 'latin1'), true);
      const errorAt = outcome.replies.findIndex(isProtocolError);
      assert.ok(errorAt === -1 || errorAt === outcome.replies.length - 1, `a protocol error is the last reply: ${JSON.stringify(outcome.rawReplies)}`);
      // Every reply is whole and well-formed RESP2 (the generator never sends HELLO 3).
      let offset = 0;
      const raw = Buffer.from(outcome.rawReplies, 'latin1');
      while (offset < raw.length) {
        const frame = parseFrame(raw, offset);
        assert.ok(frame !== null, 'whole frames only');
        assert.ok('+-:$*'.includes(String.fromCharCode(raw[offset] ?? 0)), `RESP2 reply type at ${offset}: ${JSON.stringify(outcome.rawReplies)}`);
        offset = frame.end;
      }
    }), { numRuns: 150 });
    assert.ok(controlCalls > 0, 'the control client ran meanwhile');
    assert.equal(controlFailure, null);
  });

  it('kept the node alive and the control client correct throughout', async () => {
    const seen = controlCalls;
    const check = await RawConnection.open(defaults.node('n1').port);
    assert.equal(await check.call('PING'), 'PONG');
    check.close();
    await waitFor('the control client to keep going', () => controlFailure !== null || controlCalls > seen + 3);
    assert.equal(controlFailure, null);
    assert.deepEqual(defaults.crashes(), []);
    assert.deepEqual(small.crashes(), []);
    assert.ok(defaults.node('n1').process !== null && small.node('n1').process !== null, 'both nodes still run');
  });
});
