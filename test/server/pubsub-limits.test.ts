// A subscriber that stops reading is disconnected once its backlog passes
// --client-output-buffer-limit-pubsub (Redis's `client-output-buffer-limit pubsub`), on a
// real cluster: the node never holds an unbounded backlog, keeps serving, and a subscriber
// that reads keeps receiving. (As in Redis, the limit counts what one event-loop turn writes
// before the socket takes it: a burst bigger than the limit disconnects even a fast reader.)

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { TestCluster } from '../support/cluster.js';
import { encode } from '../support/raw-resp.js';
import { waitFor } from '../support/wait.js';

describe('a slow subscriber', () => {
  let cluster: TestCluster;
  const clients: Redis[] = [];
  const sockets: Socket[] = [];

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3, args: ['--client-output-buffer-limit-pubsub', '1mb'] });
    await cluster.waitForLeader();
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    for (const socket of sockets) socket.destroy();
    await cluster?.stop();
  });

  it('is disconnected past the pub/sub output limit (1 MB here) while a reading subscriber keeps receiving', async () => {
    const [publisherNode, subscriberNode] = cluster.nodes.map((n) => n.id) as [string, string];
    const port = cluster.node(subscriberNode).port;
    const slow = await new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
      socket.once('error', reject);
    });
    sockets.push(slow);
    slow.on('error', () => {});
    slow.write(encode(['SUBSCRIBE', 'flood']));
    await new Promise((resolve) => slow.once('data', resolve));
    slow.pause(); // reads nothing more: the kernel's buffers fill, then the node's

    const reader = new Redis({ ...cluster.connectOptions(subscriberNode), maxRetriesPerRequest: 0, retryStrategy: () => null });
    clients.push(reader);
    let received = 0;
    reader.on('message', () => {
      received++;
    });
    await reader.subscribe('flood');

    const publisher = new Redis({ ...cluster.connectOptions(publisherNode), maxRetriesPerRequest: 0, retryStrategy: () => null });
    clients.push(publisher);
    const message = 'm'.repeat(4 * 1024);
    // The node's view: the paused client cannot notice its own disconnection until it reads.
    const subscribers = async (): Promise<number> => Number(((await cluster.call(subscriberNode, ['PUBSUB', 'NUMSUB', 'flood'])) as unknown[])[1]);
    assert.equal(await subscribers(), 2);
    let published = 0;
    // Batches of 200 KB, well under the limit, so the reading subscriber never holds a
    // backlog near it; at most 80 MB, far more than the loopback buffers and the limit together.
    for (let batch = 0; batch < 400 && (await subscribers()) === 2; batch++) {
      await Promise.all(Array.from({ length: 50 }, () => publisher.publish('flood', message)));
      published += 50;
    }
    await waitFor('the slow subscriber to be disconnected', async () => (await subscribers()) === 1, { timeoutMs: 20_000 });
    await waitFor('the reading subscriber to receive every message', () => received === published, { timeoutMs: 30_000 });
    assert.equal(await cluster.call(subscriberNode, ['PING']), 'PONG');
  });
});
