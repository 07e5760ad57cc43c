// The blocked-clients registry on its own, driven by a state machine and a write path whose
// answers the test releases one at a time: waiters are served in the order they blocked, one
// that loses a race keeps its place, a serving with an unknown outcome is submitted again
// with the same request id, a timeout never drops what a serving in flight popped, and a
// client that leaves stops waiting.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCommand } from '../../src/kv/command-codec.js';
import type { Reply } from '../../src/kv/reply.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import { BlockedClients, type WaiterWrites } from '../../src/server/blocking.js';
import { plain } from '../kv/harness.js';

const args = (...words: string[]): Buffer[] => words.map((word) => Buffer.from(word, 'latin1'));

/** A state machine and a write path that applies a submitted write only when the test says so. */
class Bench {
  readonly kv = new KvStateMachine();
  private index = 0;
  readonly queued: { client: number; seq: number; argv: readonly Buffer[]; done: (reply: Reply) => void }[] = [];
  readonly blocked: BlockedClients;

  constructor(waitersMax = 100) {
    this.blocked = new BlockedClients({ kv: this.kv, waitersMax, retryDelayMs: 1, now: () => performance.now(), barrier: (done) => done(), holdMaxMs: 5000 });
  }

  /** Applies a write of nobody in particular (another client, maybe on another node). */
  apply(...words: string[]): unknown {
    return plain(this.kv.apply(++this.index, encodeCommand({ origin: 'n1', client: 0, seq: 0, firstUnanswered: 0, time: 1, argv: args(...words) })));
  }

  /** A connection's writes: each submission waits in `queued` until released. */
  writes(client: number): WaiterWrites & { readonly seqs: number[]; closed: boolean } {
    let seq = 0;
    const seqs: number[] = [];
    const queued = this.queued;
    return {
      seqs,
      closed: false,
      begin: () => ++seq,
      submit: (submitted, argv, done) => {
        seqs.push(submitted);
        queued.push({ client, seq: submitted, argv, done });
      },
      end: () => {},
    };
  }

  /** Applies the oldest queued write (or answers it with `reply` instead) and lets the registry react. */
  async release(reply?: Reply): Promise<string> {
    const next = this.queued.shift();
    assert.ok(next !== undefined, 'a write was submitted');
    const text = next.argv.map((arg) => arg.toString('latin1')).join(' ');
    next.done(reply ?? this.kv.apply(++this.index, encodeCommand({ origin: 'n1', client: next.client, seq: next.seq, firstUnanswered: next.seq, time: 1, argv: next.argv })));
    await settle();
    return text;
  }

  /** Starts a blocking command for `client`; its answer lands in the returned box. */
  block(client: number, writes: WaiterWrites, ...words: string[]): { answer?: unknown } {
    const box: { answer?: unknown } = {};
    this.blocked.run(client, args(...words), writes, (reply) => {
      box.answer = plain(reply);
    });
    return box;
  }
}

/** Lets queued microtasks and timers of 0-1 ms run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('blocked clients', () => {
  it('serves waiters in the order they blocked, as many as there are elements', async () => {
    const bench = new Bench();
    const boxes = [1, 2, 3].map((client) => bench.block(client, bench.writes(client), 'BLPOP', 'k', '0'));
    for (let i = 0; i < 3; i++) assert.equal(await bench.release(), 'BLPOP k 0');
    assert.equal(bench.blocked.waiting, 3);
    bench.apply('RPUSH', 'k', 'a', 'b');
    await settle();
    assert.deepEqual(bench.queued.map((write) => write.client), [1, 2], 'the two first waiters are served');
    await bench.release();
    await bench.release();
    assert.deepEqual(boxes.map((box) => box.answer), [['k', 'a'], ['k', 'b'], undefined]);
    assert.equal(bench.blocked.waiting, 1);
  });

  it('a waiter that lost the race keeps its place and takes the next element', async () => {
    const bench = new Bench();
    const first = bench.block(1, bench.writes(1), 'BLPOP', 'k', '0');
    const second = bench.block(2, bench.writes(2), 'BLPOP', 'k', '0');
    await bench.release();
    await bench.release();
    bench.apply('RPUSH', 'k', 'x');
    await settle();
    bench.apply('LPOP', 'k'); // another node's client got it before client 1's serving applied
    assert.equal(await bench.release(), 'BLPOP k 0');
    assert.equal(first.answer, undefined);
    assert.equal(bench.blocked.waiting, 2);
    bench.apply('RPUSH', 'k', 'y');
    await settle();
    assert.deepEqual(bench.queued.map((write) => write.client), [1], 'client 1 is still first');
    await bench.release();
    assert.deepEqual([first.answer, second.answer], [['k', 'y'], undefined]);
  });

  it('serves a multi-key waiter from the key that got elements, alone', async () => {
    const bench = new Bench();
    const box = bench.block(1, bench.writes(1), 'BLMPOP', '0', '3', 'a', 'b', 'c', 'RIGHT', 'COUNT', '2');
    await bench.release();
    bench.apply('RPUSH', 'b', '1', '2', '3');
    await settle();
    assert.equal(await bench.release(), 'BLMPOP 0 1 b RIGHT COUNT 2');
    assert.deepEqual(box.answer, ['b', ['3', '2']]);
  });

  it('a serving whose outcome is unknown is submitted again with the same request id', async () => {
    const bench = new Bench();
    const writes = bench.writes(1);
    const box = bench.block(1, writes, 'BRPOPLPUSH', 'src', 'dst', '0');
    await bench.release();
    bench.apply('RPUSH', 'src', 'v');
    await settle();
    await bench.release({ kind: 'error', message: 'TIMEOUT no result within 5000 ms; the outcome is unknown' });
    await settle();
    await bench.release({ kind: 'error', message: 'TRYAGAIN no leader' });
    await settle();
    await bench.release();
    assert.equal(box.answer, 'v');
    assert.deepEqual(writes.seqs, [1, 2, 2, 2]);
  });

  it('a timeout answers nil, but a serving in flight when it comes is answered with what it popped', async () => {
    const bench = new Bench();
    const waiting = bench.block(1, bench.writes(1), 'BLPOP', 'quiet', '0.01');
    await bench.release();
    await waitUntil(() => waiting.answer !== undefined);
    assert.equal(waiting.answer, null);

    // A timeout long enough that the push and its serving surely come first on a loaded
    // machine; the test then waits until the timeout has passed with the serving in flight.
    const timeoutMs = 500;
    const blockedAt = performance.now();
    const serving = bench.block(2, bench.writes(2), 'BLPOP', 'k', String(timeoutMs / 1000));
    await bench.release();
    bench.apply('RPUSH', 'k', 'late');
    await settle();
    assert.equal(bench.queued.length, 1, 'a serving is in flight');
    await waitUntil(() => performance.now() > blockedAt + 2 * timeoutMs);
    assert.equal(serving.answer, undefined, 'not answered nil while its serving may pop');
    await bench.release();
    assert.deepEqual(serving.answer, ['k', 'late']);
    assert.equal(bench.blocked.waiting, 0);
  });

  it('a client that leaves stops waiting and its keys are no longer watched', async () => {
    const bench = new Bench();
    const box = bench.block(1, bench.writes(1), 'BLPOP', 'a', 'b', '0');
    await bench.release();
    assert.equal(bench.kv.readyKeys.waitedKeys, 2);
    bench.blocked.disconnected(1);
    assert.equal(box.answer, null);
    assert.equal(bench.kv.readyKeys.waitedKeys, 0);
    bench.apply('RPUSH', 'a', 'kept');
    await settle();
    assert.equal(bench.queued.length, 0);
  });

  it('past its bound a client that would wait is refused, one that need not wait is served', async () => {
    const bench = new Bench(1);
    bench.block(1, bench.writes(1), 'BLPOP', 'k', '0');
    await bench.release();
    const refused = bench.block(2, bench.writes(2), 'BLPOP', 'k', '0');
    bench.apply('RPUSH', 'other', 'x');
    const served = bench.block(3, bench.writes(3), 'BLPOP', 'other', '0');
    await bench.release();
    assert.deepEqual(refused.answer, { err: 'ERR max number of blocked clients reached' });
    await bench.release();
    assert.deepEqual(served.answer, ['other', 'x']);
    assert.equal(bench.blocked.waiting, 1);
  });

  it('a state replaced by a snapshot wakes every waiter whose key now has elements', async () => {
    const bench = new Bench();
    const box = bench.block(1, bench.writes(1), 'BLPOP', 'k', '0');
    await bench.release();
    const source = new KvStateMachine();
    source.apply(1, encodeCommand({ origin: 'n1', client: 0, seq: 0, firstUnanswered: 0, time: 1, argv: args('RPUSH', 'k', 'restored') }));
    const snapshot = source.beginSnapshot();
    const sink = bench.kv.beginRestore();
    for (let chunk = snapshot.next(4096); chunk !== null; chunk = snapshot.next(4096)) assert.equal(sink.write(chunk), null);
    assert.equal(sink.finish(), null);
    await settle();
    await bench.release();
    assert.deepEqual(box.answer, ['k', 'restored']);
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
