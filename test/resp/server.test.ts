// The client connection layer on 127.0.0.1: ordering of pipelined replies, protocol
// errors, fuzzed garbage, limits, QUIT, RESP3, shutdown, and a real client library.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { RespServer, ClientFlag, type ClientConnection, type CommandHandler, type ReplySlot, type RespServerOptions } from '../../src/resp/server.js';
import { ReplyParser } from '../../src/resp/reply-parser.js';
import { isProtocolError } from '../../src/resp/protocol-error.js';
import { RESP_NIL, RESP_OK, RESP_PONG, type RespValue } from '../../src/resp/resp-value.js';
import { encodeRequest, waitFor } from './helpers.js';

/** A raw socket client that decodes replies as they come. */
class RawClient {
  readonly socket: Socket;
  readonly replies: RespValue[] = [];
  raw = Buffer.alloc(0);
  closed = false;
  private readonly parser = new ReplyParser();

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('data', (chunk: Buffer) => {
      this.raw = Buffer.concat([this.raw, chunk]);
      this.parser.feed(chunk);
      for (let value = this.parser.next(); value !== null; value = this.parser.next()) {
        if (isProtocolError(value)) throw new Error(value.message);
        this.replies.push(value);
      }
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
    });
  }

  async connected(): Promise<void> {
    if (!this.socket.connecting) return;
    await new Promise((resolve) => this.socket.once('connect', resolve));
  }

  send(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  async waitReplies(count: number): Promise<RespValue[]> {
    await waitFor(() => this.replies.length >= count, `${count} replies (have ${this.replies.length})`);
    return this.replies.slice(0, count);
  }

  async waitClosed(): Promise<void> {
    await waitFor(() => this.closed, 'the server to close the connection');
  }
}

const simple = (value: string): RespValue => ({ kind: 'simple', value });
const bulk = (text: string): RespValue => ({ kind: 'bulk', value: Buffer.from(text) });

/**
 * A test handler: PING, ECHO, SET/GET over a Map, HELLO, BIG <bytes>, and DEFER, whose
 * slot is parked until the test completes it.
 */
class TestHandler implements CommandHandler {
  readonly store = new Map<string, Buffer>();
  readonly deferred: { conn: ClientConnection; argv: string[]; slot: ReplySlot }[] = [];
  readonly commands: string[] = [];
  readonly disconnected: number[] = [];
  /** One object per event-loop turn in which commands arrived. */
  readonly turns: object[] = [];
  private turn: object | null = null;

  onCommand(conn: ClientConnection, argv: Buffer[], reply: ReplySlot): void {
    if (this.turn === null) {
      this.turn = {};
      setImmediate(() => {
        this.turn = null;
      });
    }
    this.turns.push(this.turn);
    const args = argv.map((a) => a.toString());
    const name = (args[0] ?? '').toUpperCase();
    this.commands.push(args.join(' '));
    switch (name) {
      case 'PING':
        return reply.send(RESP_PONG);
      case 'ECHO':
        return reply.send({ kind: 'bulk', value: Buffer.from(argv[1] ?? '') });
      case 'SET':
        this.store.set(args[1] ?? '', Buffer.from(argv[2] ?? ''));
        return reply.send(RESP_OK);
      case 'GET': {
        const value = this.store.get(args[1] ?? '');
        return reply.send(value === undefined ? RESP_NIL : { kind: 'bulk', value });
      }
      case 'HELLO':
        conn.setProtocol(args[1] === '3' ? 3 : 2);
        return reply.send({ kind: 'map', value: [[bulk('proto'), { kind: 'integer', value: conn.protocol }]] });
      case 'BIG':
        return reply.send({ kind: 'bulk', value: Buffer.alloc(Number(args[1]), 120) });
      case 'DEFER':
        this.deferred.push({ conn, argv: args, slot: reply });
        return;
      case 'HOLD':
        // Keeps the argument itself, not a copy: it must outlive the read it came in.
        this.store.set(args[1] ?? '', argv[2] ?? Buffer.alloc(0));
        return reply.send(RESP_OK);
      case 'THROW':
        throw new Error('handler bug');
      case 'BADREPLY':
        // An integer reply that has no RESP form: the encoder must refuse it.
        return reply.send({ kind: 'array', value: [{ kind: 'integer', value: 1 }, { kind: 'integer', value: 0.5 }] });
      default:
        return reply.send({ kind: 'error', message: `ERR unknown command '${args[0] ?? ''}'` });
    }
  }

  onDisconnect(conn: ClientConnection): void {
    this.disconnected.push(conn.id);
  }
}

const servers: RespServer[] = [];
async function startServer(options: RespServerOptions = {}): Promise<{ server: RespServer; handler: TestHandler; port: number }> {
  const handler = new TestHandler();
  const server = new RespServer({ closeTimeoutMs: 2000, ...options }, handler);
  await server.listen('127.0.0.1', 0);
  servers.push(server);
  const address = server.address();
  assert.ok(address !== null);
  return { server, handler, port: address.port };
}

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('resp server', () => {
  it('answers a command whose handler throws or whose reply cannot be encoded with an error, and keeps serving', async () => {
    const failures: string[] = [];
    const log = { info() {}, warn() {}, error: (fields: Record<string, unknown>) => void failures.push(String(fields['stage'])) };
    const { server, port } = await startServer({ log });
    const client = new RawClient(port);
    const other = new RawClient(port);
    client.send(Buffer.concat([encodeRequest(['THROW']), encodeRequest(['BADREPLY']), encodeRequest(['PING'])]));
    const replies = await client.waitReplies(3);
    assert.deepEqual(replies, [
      { kind: 'error', message: 'ERR internal error: handler bug' },
      { kind: 'error', message: 'ERR internal error: reply writer: integer reply 0.5 is not an integer' },
      RESP_PONG,
    ]);
    assert.deepEqual(failures, ['dispatch', 'reply']);
    assert.equal(server.stats().commandFailures, 2);
    other.send(encodeRequest(['ECHO', 'still here']));
    assert.deepEqual(await other.waitReplies(1), [bulk('still here')]);
    assert.equal(client.closed, false);
  });

  it('answers pipelined commands in request order when the handler completes them out of order', async () => {
    const { handler, port } = await startServer();
    const client = new RawClient(port);
    client.send(Buffer.concat([
      encodeRequest(['DEFER', 'a']), encodeRequest(['ECHO', 'b']), encodeRequest(['DEFER', 'c']), encodeRequest(['ECHO', 'd']),
    ]));
    await waitFor(() => handler.commands.length === 4, 'four commands handed to the handler');
    assert.equal(new Set(handler.turns).size, 1, 'all commands of one read reach the handler in the same turn');
    // Let the server flush whatever it considers ready: nothing may go out before "a".
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(client.replies.length, 0, 'no reply overtakes the first');
    const [first, second] = handler.deferred;
    assert.ok(first !== undefined && second !== undefined);
    second.slot.send(bulk('c'));
    first.slot.send(bulk('a'));
    assert.deepEqual(await client.waitReplies(4), [bulk('a'), bulk('b'), bulk('c'), bulk('d')]);
    client.socket.destroy();
  });

  it('replies to a malformed frame with the protocol error, closes that client, and keeps serving others', async () => {
    const { server, port } = await startServer();
    const bad = new RawClient(port);
    const good = new RawClient(port);
    bad.send('PING\r\n*1\r\n$x\r\nPING\r\n');
    await bad.waitClosed();
    assert.equal(bad.raw.toString(), '+PONG\r\n-ERR Protocol error: invalid bulk length\r\n');
    good.send(encodeRequest(['PING']));
    assert.deepEqual(await good.waitReplies(1), [simple('PONG')]);
    assert.equal(server.stats().protocolErrors, 1);
    good.socket.destroy();
  });

  it('delivers the protocol error and closes cleanly even while the client keeps sending', async () => {
    const { port } = await startServer();
    const client = new RawClient(port);
    client.send(Buffer.concat([Buffer.from('*x\r\n'), Buffer.alloc(512 * 1024, 97)]));
    await client.waitClosed();
    assert.equal(client.raw.toString(), '-ERR Protocol error: invalid multibulk length\r\n');
  });

  it('survives arbitrary garbage from clients', async () => {
    const { server, port } = await startServer({ inlineMaxBytes: 64, protoMaxBulkLen: 128, queryBufferMaxBytes: 256 });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
        const client = new RawClient(port);
        await client.connected();
        client.send(Buffer.from(bytes));
        client.socket.end();
        await client.waitClosed();
      }),
      { numRuns: 40 },
    );
    const probe = new RawClient(port);
    probe.send(encodeRequest(['PING']));
    assert.deepEqual(await probe.waitReplies(1), [simple('PONG')]);
    probe.socket.destroy();
    await waitFor(() => server.stats().connectedClients === 0, 'all fuzz clients gone');
  });

  it('rejects clients beyond maxClients with Redis\'s error', async () => {
    const { server, port } = await startServer({ maxClients: 2 });
    const one = new RawClient(port);
    const two = new RawClient(port);
    one.send(encodeRequest(['PING']));
    two.send(encodeRequest(['PING']));
    await one.waitReplies(1);
    await two.waitReplies(1);
    const three = new RawClient(port);
    await three.waitClosed();
    assert.equal(three.raw.toString(), '-ERR max number of clients reached\r\n');
    assert.equal(server.stats().rejectedConnections, 1);
    assert.equal(server.stats().connectedClients, 2);
    one.socket.destroy();
    two.socket.destroy();
  });

  it('closes a client whose output buffer exceeds the limit', async () => {
    const warnings: string[] = [];
    const log = { info() {}, error() {}, warn: (_fields: Record<string, unknown>, message: string) => void warnings.push(message) };
    const { server, port } = await startServer({ clientOutputBufferMaxBytes: 64 * 1024, log });
    const client = new RawClient(port);
    client.send(encodeRequest(['BIG', String(100 * 1024)]));
    await client.waitClosed();
    assert.equal(client.replies.length, 0);
    assert.equal(server.stats().outputBufferLimitDisconnections, 1);
    assert.deepEqual(warnings, ['closing client that reached the output buffer limit']);
    const other = new RawClient(port);
    other.send(encodeRequest(['BIG', String(1024)]));
    assert.equal((await other.waitReplies(1)).length, 1, 'a reply under the limit goes out');
    other.socket.destroy();
  });

  it('pauses reading while the socket is congested and resumes on drain', async () => {
    const { server, handler, port } = await startServer();
    const client = new RawClient(port);
    await client.connected();
    client.socket.pause(); // the client stops reading: the server's writes back up
    const request = encodeRequest(['BIG', String(1024 * 1024)]);
    for (let i = 0; i < 8; i++) client.send(request);
    await waitFor(() => server.clients().some((c) => (c.flags & ClientFlag.ReadPausedForDrain) !== 0), 'reading paused');
    await waitFor(() => handler.commands.length === 8, 'the commands already read');
    client.send(encodeRequest(['PING']));
    await waitFor(() => client.socket.writableLength === 0, 'the PING to leave the client');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(handler.commands.length, 8, 'nothing more is read while the socket is congested');
    client.socket.resume();
    const replies = await client.waitReplies(9);
    assert.deepEqual(replies[8], simple('PONG'));
    assert.equal(handler.commands.length, 9);
    client.socket.destroy();
  });

  it('answers QUIT with +OK, runs nothing after it, and closes', async () => {
    const { handler, port } = await startServer();
    const client = new RawClient(port);
    client.send('PING\r\nQUIT\r\nPING\r\n');
    await client.waitClosed();
    assert.equal(client.raw.toString(), '+PONG\r\n+OK\r\n');
    assert.deepEqual(handler.commands, ['PING']);
  });

  it('switches to RESP3 for the HELLO reply and everything after it', async () => {
    const { port } = await startServer();
    const client = new RawClient(port);
    client.send(Buffer.concat([encodeRequest(['GET', 'missing']), encodeRequest(['HELLO', '3']), encodeRequest(['GET', 'missing'])]));
    await client.waitReplies(3);
    assert.equal(client.raw.toString(), '$-1\r\n%1\r\n$5\r\nproto\r\n:3\r\n_\r\n');
    client.socket.destroy();
  });

  it('drops a reply whose client has gone, without throwing', async () => {
    const { server, handler, port } = await startServer();
    const client = new RawClient(port);
    client.send(encodeRequest(['DEFER', 'x']));
    await waitFor(() => handler.deferred.length === 1, 'the deferred command');
    const [entry] = handler.deferred;
    assert.ok(entry !== undefined);
    client.socket.resetAndDestroy(); // an abrupt disconnect (RST)
    await waitFor(() => handler.disconnected.includes(entry.conn.id), 'the disconnect');
    assert.ok(entry.conn.closed);
    entry.slot.send(RESP_OK);
    assert.throws(() => entry.slot.send(RESP_OK), /sent twice/);
    assert.equal(server.stats().connectedClients, 0);
  });

  it('on close, delivers in-flight replies before closing connections', async () => {
    const { server, handler, port } = await startServer();
    const client = new RawClient(port);
    client.send(encodeRequest(['DEFER', 'last']));
    await waitFor(() => handler.deferred.length === 1, 'the deferred command');
    const closing = server.close();
    handler.deferred[0]?.slot.send(bulk('last'));
    await closing;
    await client.waitClosed();
    assert.deepEqual(client.replies, [bulk('last')]);
  });

  it('still answers a client that shut its write side', async () => {
    const { handler, port } = await startServer();
    const client = new RawClient(port);
    client.send(encodeRequest(['DEFER', 'x']));
    client.socket.end();
    await waitFor(() => handler.deferred.length === 1, 'the deferred command');
    await waitFor(() => ((handler.deferred[0]?.conn.flags ?? 0) & ClientFlag.CloseAfterReply) !== 0, 'the end of stream');
    handler.deferred[0]?.slot.send(bulk('x'));
    await client.waitClosed();
    assert.deepEqual(client.replies, [bulk('x')]);
  });

  it('stops accepting new clients while serving connected ones', async () => {
    const { server, port } = await startServer();
    const client = new RawClient(port);
    await client.connected();
    server.stopAccepting();
    const late = connect({ host: '127.0.0.1', port });
    const refused = await new Promise<boolean>((resolve) => {
      late.on('error', () => resolve(true));
      late.on('connect', () => resolve(false));
    });
    late.destroy();
    assert.ok(refused, 'a new connection is refused');
    client.send(encodeRequest(['PING']));
    assert.deepEqual(await client.waitReplies(1), [simple('PONG')]);
    client.socket.destroy();
  });

  it('on close, drops clients whose replies never come after the bounded wait', async () => {
    const { server, handler, port } = await startServer({ closeTimeoutMs: 100 });
    const client = new RawClient(port);
    client.send(encodeRequest(['DEFER', 'never']));
    await waitFor(() => handler.deferred.length === 1, 'the deferred command');
    await server.close();
    await client.waitClosed();
    assert.equal(client.replies.length, 0);
  });

  it('counts connections and commands, and describes clients', async () => {
    const { server, port } = await startServer();
    const client = new RawClient(port);
    client.send(Buffer.concat([encodeRequest(['PING']), encodeRequest(['PING'])]));
    await client.waitReplies(2);
    const stats = server.stats();
    assert.equal(stats.connectedClients, 1);
    assert.equal(stats.totalConnections, 1);
    assert.equal(stats.totalCommands, 2);
    const [conn] = server.clients();
    assert.ok(conn !== undefined);
    assert.match(conn.describe({ flags: 'N', multi: -1, cmd: 'ping', user: 'default' }),
      /^id=1 addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=-1 name= age=\d+ idle=\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 .* cmd=ping user=default redir=-1 resp=2$/);
    assert.deepEqual(conn.server.clients(), [conn]);
    client.socket.destroy();
  });

  it('validates its options', () => {
    const handler = new TestHandler();
    assert.throws(() => new RespServer({ maxClients: 0 }, handler), /invalid maxClients/);
    assert.throws(() => new RespServer({ clientOutputBufferMaxBytes: -1 }, handler), /invalid clientOutputBufferMaxBytes/);
    assert.throws(() => new RespServer({ protoMaxBulkLen: 0 }, handler), /invalid protoMaxBulkLen/);
    assert.throws(() => new RespServer({ readBufferBytes: 512 }, handler), /invalid readBufferBytes: 512/);
  });

  it('keeps every argument it handed out intact while other clients\' reads reuse the read buffer', async () => {
    const { handler, port } = await startServer({ readBufferBytes: 1024 });
    const holder = new RawClient(port);
    const other = new RawClient(port);
    const value = Buffer.alloc(300, 'v');
    const pending = encodeRequest(['HOLD', 'spans', 'abcdefghij']);
    // A command whole in one read, another whose value arrives in two reads, and a deferred one.
    holder.send(Buffer.concat([encodeRequest(['HOLD', 'whole', value]), encodeRequest(['DEFER', 'x']), pending.subarray(0, pending.length - 6)]));
    await waitFor(() => handler.deferred.length === 1, 'the first read handled');
    // The other client's commands fill the buffer many times over: binary junk in every byte.
    const junk = Buffer.alloc(900, 0xee);
    other.send(Buffer.concat(Array.from({ length: 20 }, () => encodeRequest(['ECHO', junk]))));
    await other.waitReplies(20);
    holder.send(pending.subarray(pending.length - 6));
    await waitFor(() => handler.store.has('spans'), 'the split command handled');
    other.send(Buffer.concat(Array.from({ length: 20 }, () => encodeRequest(['ECHO', junk]))));
    await other.waitReplies(40);
    assert.deepEqual(handler.deferred[0]?.argv, ['DEFER', 'x']);
    assert.ok(handler.store.get('whole')?.equals(value), 'a held argument from a whole read');
    assert.equal(handler.store.get('spans')?.toString(), 'abcdefghij', 'a held argument from two reads');
    handler.deferred[0]?.slot.send(RESP_OK);
    holder.send(encodeRequest(['GET', 'whole']));
    assert.deepEqual(await holder.waitReplies(4), [RESP_OK, RESP_OK, RESP_OK, { kind: 'bulk', value }]);
    holder.socket.destroy();
    other.socket.destroy();
  });

  it('reads pipelines and values larger than its read buffer', async () => {
    const { port } = await startServer({ readBufferBytes: 1024 });
    const client = new RawClient(port);
    const big = Buffer.alloc(200_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const requests = [encodeRequest(['SET', 'big', big])];
    for (let i = 0; i < 300; i++) requests.push(encodeRequest(['ECHO', `message ${i}`]));
    requests.push(encodeRequest(['GET', 'big']));
    client.send(Buffer.concat(requests));
    const replies = await client.waitReplies(302);
    assert.deepEqual(replies[0], RESP_OK);
    for (let i = 0; i < 300; i++) assert.deepEqual(replies[i + 1], bulk(`message ${i}`));
    assert.deepEqual(replies[301], { kind: 'bulk', value: big });
    client.socket.destroy();
  });

  it('works with ioredis', async () => {
    const { port } = await startServer();
    const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0 });
    try {
      await redis.connect();
      assert.equal(await redis.ping(), 'PONG');
      assert.equal(await redis.echo('hello'), 'hello');
      assert.equal(await redis.set('key', 'value'), 'OK');
      assert.equal(await redis.get('key'), 'value');
      assert.equal(await redis.get('nothing'), null);
      const binary = Buffer.from([0, 13, 10, 255]);
      await redis.set('bin', binary);
      assert.deepEqual(await redis.getBuffer('bin'), binary);
      const results = await redis.pipeline().set('a', '1').get('a').ping().exec();
      assert.deepEqual(results, [[null, 'OK'], [null, '1'], [null, 'PONG']]);
      await assert.rejects(redis.call('NOPE'), /unknown command 'NOPE'/);
    } finally {
      redis.disconnect();
    }
  });
});
