// Slow clients and resource attacks on a live node, each bounded by a named limit while the
// node keeps serving everyone else (Redis's unit/limits, unit/querybuf and unit/protocol are
// the references): --client-output-buffer-limit for one huge reply, a client that never
// reads a pipeline of large replies, --client-query-buffer-limit for a command that keeps
// growing, a huge multibulk count with nothing behind it, and a flood of connections past
// --maxclients.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { TestCluster } from '../support/cluster.js';
import { encode } from '../support/raw-resp.js';
import { waitFor } from '../support/wait.js';

const MAX_CLIENTS = 48;
const OUTPUT_LIMIT = 1024 * 1024;
const QUERY_LIMIT = 2 * 1024 * 1024;

interface RawSocket {
  readonly socket: Socket;
  /** Everything the node sent. */
  received(): string;
  readonly closed: Promise<void>;
  isClosed(): boolean;
}

function open(port: number): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let closed = false;
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {}); // a reset shows up as the close
    const closedPromise = new Promise<void>((done) => socket.on('close', () => { closed = true; done(); }));
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks).toString('latin1'), closed: closedPromise, isClosed: () => closed }));
    socket.once('error', reject);
  });
}

/** Resident memory of a process, from /proc (Linux). */
function residentBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? 'VmRSS: 0 kB';
  return Number(/(\d+)/.exec(line)?.[1] ?? 0) * 1024;
}

describe('client limits on a live node', () => {
  let cluster: TestCluster;
  let id: string;
  let port: number;
  let control: Redis;
  const sockets: Socket[] = [];

  before(async () => {
    cluster = await TestCluster.start({
      nodes: 1,
      args: ['--maxclients', String(MAX_CLIENTS), '--client-output-buffer-limit', '1mb', '--client-query-buffer-limit', '2mb', '--proto-max-bulk-len', '1mb'],
    });
    id = await cluster.waitForLeader();
    port = cluster.node(id).port;
    control = cluster.client(id);
    assert.equal(await control.set('big', 'b'.repeat(700 * 1024)), 'OK');
    assert.equal(await control.set('mid', 'm'.repeat(200 * 1024)), 'OK');
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    control?.disconnect();
    await cluster?.stop();
  });

  const raw = async (): Promise<RawSocket> => {
    const connection = await open(port);
    sockets.push(connection.socket);
    return connection;
  };

  it('shows each limit in CONFIG GET', async () => {
    assert.deepEqual(await control.call('CONFIG', 'GET', 'maxclients'), ['maxclients', String(MAX_CLIENTS)]);
    assert.deepEqual(await control.call('CONFIG', 'GET', 'client-query-buffer-limit'), ['client-query-buffer-limit', String(QUERY_LIMIT)]);
  });

  it('disconnects a client whose reply passes --client-output-buffer-limit, and serves the others', async () => {
    const greedy = await raw();
    greedy.socket.write(encode(['MGET', 'big', 'big'])); // 1.4 MB of reply
    await greedy.closed;
    assert.ok(greedy.received().length < OUTPUT_LIMIT, 'the reply over the limit is not sent');
    assert.equal(await control.ping(), 'PONG');
    assert.equal((await control.get('big'))?.length, 700 * 1024, 'a reply under the limit goes out whole');
  });

  it('keeps a client that never reads a pipeline of large replies bounded, while others are served', async () => {
    const slow = await raw();
    slow.socket.pause(); // reads nothing: the kernel's buffers fill, then the node stops reading it
    const request = encode(['GET', 'mid']);
    for (let i = 0; i < 100; i++) slow.socket.write(request); // 20 MB of replies asked for
    for (let i = 0; i < 50; i++) assert.equal(await control.ping(), 'PONG');
    await waitFor('the slow client paused or closed with a bounded backlog', async () => {
      const list = String(await control.call('CLIENT', 'LIST'));
      const others = list.split('\n').filter((line) => line.includes(`laddr=`) && !line.includes('cmd=client'));
      return others.every((line) => Number(/ omem=(\d+)/.exec(line)?.[1] ?? 0) <= OUTPUT_LIMIT);
    });
    assert.equal((await control.get('mid'))?.length, 200 * 1024);
    slow.socket.destroy();
  });

  it('disconnects a client whose command grows past --client-query-buffer-limit, and serves the others', async () => {
    const grower = await raw();
    const bulk = (n: number): Buffer => Buffer.concat([Buffer.from(`$${n}\r\n`), Buffer.alloc(n, 'q'), Buffer.from('\r\n')]);
    // Each argument is under proto-max-bulk-len (1 MB); the command as a whole passes 2 MB.
    grower.socket.write(Buffer.concat([Buffer.from('*7\r\n$4\r\nMSET\r\n$1\r\na\r\n'), bulk(1000 * 1024), Buffer.from('$1\r\nb\r\n'), bulk(1000 * 1024)]));
    grower.socket.write(Buffer.concat([Buffer.from('$1\r\nc\r\n'), bulk(1000 * 1024).subarray(0, 200 * 1024)]));
    await grower.closed;
    assert.match(grower.received(), /^(-ERR Protocol error: query buffer limit exceeded\r\n)?$/);
    assert.equal(await control.exists('a'), 0, 'nothing of the command ran');
    assert.equal(await control.ping(), 'PONG');
  });

  it('holds nothing in advance for a huge multibulk count with no arguments behind it', async () => {
    const pid = cluster.node(id).process?.pid ?? 0;
    const before = residentBytes(pid);
    const waiting: RawSocket[] = [];
    for (let i = 0; i < 30; i++) {
      const connection = await raw();
      connection.socket.write('*1048576\r\n$4\r\nPING\r\n'); // the most arguments allowed, one sent
      waiting.push(connection);
    }
    assert.equal(await control.ping(), 'PONG');
    // 30 arrays of a million slots would be 240 MB; what the node holds is the bytes sent.
    assert.ok(residentBytes(pid) - before < 64 * 1024 * 1024, `resident memory grew by ${residentBytes(pid) - before} bytes`);
    const over = await raw();
    over.socket.write('*1048577\r\n');
    await over.closed;
    assert.equal(over.received(), '-ERR Protocol error: invalid multibulk length\r\n');
    for (const connection of waiting) connection.socket.destroy();
  });

  it('refuses a flood of connections past --maxclients with Redis\'s error, serves those connected, and accepts again after', async () => {
    const flood: RawSocket[] = [];
    for (let i = 0; i < MAX_CLIENTS + 20; i++) flood.push(await raw());
    await waitFor('the connections past maxclients refused', () => flood.filter((c) => c.isClosed()).length >= 20);
    const refused = flood.filter((c) => c.isClosed());
    for (const connection of refused) assert.equal(connection.received(), '-ERR max number of clients reached\r\n');
    assert.equal(await control.ping(), 'PONG', 'a client connected before the flood is served');
    for (const connection of flood) connection.socket.destroy();
    await waitFor('a new client accepted once the flood is gone', async () => {
      const fresh = await raw();
      fresh.socket.write(encode(['PING']));
      await waitFor('a reply or a close', () => fresh.received().length > 0 || fresh.isClosed());
      fresh.socket.destroy();
      return fresh.received() === '+PONG\r\n';
    });
  });
});
