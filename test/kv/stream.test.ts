// Streams in the state machine: IDs come from the entry's cluster time (two replicas applying
// the same entries assign the same IDs and end with the same digest, also when the leader's
// clock stood still), consumer groups' pending lists, delivery counts and idle times are entry
// times, `~` trimming cuts only at Redis's node boundaries (closed by entries or by bytes),
// blocking forms answer the wait marker with `$` resolved, and a snapshot taken while a stream
// changes restores exactly, nodes included; the first snapshot format still reads.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, plain, type Plain } from './harness.js';
import { restore, restoreAcrossChange, takeSnapshot } from './snapshot-support.js';
import { encodeTransaction } from '../../src/kv/transaction.js';
import { ByteReader, ByteWriter } from '../../src/kv/binary.js';
import { streamCodecWithoutNodeSizes, type StreamValue } from '../../src/kv/stream-value.js';
import { createDumpPayload } from '../../src/kv/rdb/index.js';

/** Applies the same commands to two replicas and returns both replies. */
function both(replicas: readonly Harness[], ...args: string[]): Plain[] {
  return replicas.map((replica) => plain(replica.apply(...args)));
}

describe('streams in the state machine', () => {
  it('auto IDs are the entry time, the same on every replica, increasing when the time stands still', () => {
    const replicas = [new Harness(), new Harness()];
    const ids: Plain[] = [];
    for (let i = 0; i < 5; i++) {
      const [a, b] = both(replicas, 'XADD', 's', '*', 'n', String(i));
      assert.equal(a, b);
      ids.push(a as Plain);
      if (i === 2) for (const replica of replicas) replica.advance(7);
    }
    const time = replicas[0]?.time ?? 0;
    assert.deepEqual(ids, [`${time - 7}-0`, `${time - 7}-1`, `${time - 7}-2`, `${time}-0`, `${time}-1`]);
    assert.deepEqual(replicas[0]?.kv.digest(), replicas[1]?.kv.digest());
  });

  it('XADD ms-* and explicit IDs follow the last ID; errors as Redis', () => {
    const h = new Harness();
    assert.equal(plain(h.apply('XADD', 's', '5-*', 'a', '1')), '5-0');
    assert.equal(plain(h.apply('XADD', 's', '5-*', 'a', '1')), '5-1');
    assert.deepEqual(plain(h.apply('XADD', 's', '5-1', 'a', '1')), { err: 'ERR The ID specified in XADD is equal or smaller than the target stream top item' });
    assert.deepEqual(plain(h.apply('XADD', 's', '0-0', 'a', '1')), { err: 'ERR The ID specified in XADD must be greater than 0-0' });
    assert.deepEqual(plain(h.apply('XADD', 's', '*', 'a')), { err: "ERR wrong number of arguments for 'xadd' command" });
    assert.equal(plain(h.apply('XADD', 'n', 'NOMKSTREAM', '*', 'a', '1')), null);
    assert.equal(plain(h.apply('XADD', 'm', '0-*', 'a', '1')), '0-1');
  });

  it('consumer groups: deliveries, delivery counts and idle times are entry times, identical on every replica', () => {
    const replicas = [new Harness(), new Harness()];
    both(replicas, 'XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    for (let i = 1; i <= 3; i++) both(replicas, 'XADD', 's', `${i}-0`, 'f', String(i));
    const [read] = both(replicas, 'XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '>');
    assert.deepEqual(read, [['s', [['1-0', ['f', '1']], ['2-0', ['f', '2']]]]]);
    for (const replica of replicas) replica.advance(500);
    const [claimed] = both(replicas, 'XCLAIM', 's', 'g', 'bob', '400', '1-0');
    assert.deepEqual(claimed, [['1-0', ['f', '1']]]);
    for (const replica of replicas) replica.advance(100);
    const pending = replicas.map((replica) => plain(replica.read('XPENDING', 's', 'g', '-', '+', '10')));
    assert.deepEqual(pending[0], [['1-0', 'bob', 100, 2], ['2-0', 'alice', 600, 1]]);
    assert.deepEqual(pending[0], pending[1]);
    both(replicas, 'XACK', 's', 'g', '1-0');
    assert.deepEqual(plain(replicas[0]?.read('XPENDING', 's', 'g') ?? { kind: 'null' }), [1, '2-0', '2-0', [['alice', '1']]]);
    assert.deepEqual(replicas[0]?.kv.digest(), replicas[1]?.kv.digest());
  });

  it('~ trimming removes whole nodes only (stream-node-max-entries), = trims exactly', () => {
    const h = new Harness();
    h.apply('RAFTIS.CONFIG', 'stream-node-max-entries', '10');
    for (let i = 1; i <= 35; i++) h.apply('XADD', 's', `${i}-0`, 'f', 'v');
    assert.equal(plain(h.apply('XTRIM', 's', 'MAXLEN', '~', '12')), 20);
    assert.equal(plain(h.apply('XLEN', 's')), 15);
    assert.equal(plain(h.apply('XTRIM', 's', 'MAXLEN', '=', '12')), 3);
    assert.deepEqual(plain(h.apply('XRANGE', 's', '-', '+', 'COUNT', '1')), [['24-0', ['f', 'v']]]);
    assert.deepEqual(plain(h.apply('XTRIM', 's', 'MAXLEN', '5', 'LIMIT', '1')), { err: 'ERR syntax error, LIMIT cannot be used without the special ~ option' });
  });

  it('a blocking XREAD finding nothing answers the wait marker with $ resolved at its entry', () => {
    const h = new Harness();
    h.apply('XADD', 's', '7-3', 'f', 'v');
    const reply = h.apply('XREAD', 'BLOCK', '0', 'STREAMS', 's', 'other', '$', '$');
    assert.equal(reply.kind, 'push');
    assert.deepEqual(plain(reply), ['raftis.stream-wait', '7-3', '0-0']);
    assert.equal(plain(h.apply('XREAD', 'STREAMS', 's', '$')), null);
    // Inside MULTI a blocking read cannot wait: nil, as Redis answers there.
    const transaction = encodeTransaction({ watches: [], commands: [['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'].map((a) => Buffer.from(a))] });
    assert.deepEqual(plain(h.apply(...transaction)), [null]);
  });

  it('XRANGE finds its start by binary search: a range near the end of a large stream reads few entries', () => {
    const h = new Harness();
    for (let i = 1; i <= 20_000; i++) h.apply('XADD', 's', `${i}-0`, 'f', 'v');
    const started = performance.now();
    for (let i = 0; i < 2_000; i++) h.read('XRANGE', 's', '19990', '+');
    const perCallMs = (performance.now() - started) / 2_000;
    assert.deepEqual((plain(h.read('XRANGE', 's', '19999', '+')) as Plain[]).length, 2);
    // A scan of 20,000 entries per call would take well over 0.5 ms on any machine this runs on.
    assert.ok(perCallMs < 0.5, `XRANGE took ${perCallMs.toFixed(3)} ms per call`);
  });

  it('a snapshot holds entries, groups, consumers and pending lists; a change mid-stream keeps the old image', () => {
    const live = new Harness();
    for (let i = 1; i <= 300; i++) live.apply('XADD', 's', `${i}-1`, 'field', `value-${i}`);
    live.apply('XDEL', 's', '5-1');
    live.apply('XGROUP', 'CREATE', 's', 'g', '0');
    live.apply('XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '40', 'STREAMS', 's', '>');
    live.apply('XGROUP', 'CREATECONSUMER', 's', 'g', 'idle');
    const before = live.kv.digest();
    const restored = restoreAcrossChange(live, ['XADD', 's', '999-0', 'late', 'entry']);
    assert.deepEqual({ ...restored.kv.digest(), appliedIndex: before.appliedIndex }, before);
    for (const command of [['XINFO', 'STREAM', 's', 'FULL'], ['XPENDING', 's', 'g', '-', '+', '100'], ['XINFO', 'CONSUMERS', 's', 'g']]) {
      const fresh = new Harness();
      assert.equal(restore(fresh.kv, takeSnapshot(restored.kv, 128)), null);
      assert.deepEqual(plain(fresh.read(...command)), plain(restored.read(...command)), command.join(' '));
    }
    restored.index = restored.kv.appliedIndex;
    restored.time = live.time + 1;
    assert.equal(plain(restored.apply('XADD', 's', '*', 'after', 'restore')), `${live.time + 1}-0`);
  });

  it('nodes close by entries or by listpack bytes (stream-node-max-bytes), and a snapshot keeps where the next one opens', () => {
    const h = new Harness();
    // 50 entries of a 200-byte value: Redis's 4096-byte nodes hold 19 each (XINFO, XTRIM ~ as Redis answers them).
    for (let i = 1; i <= 50; i++) h.apply('XADD', 's', `${i}-0`, 'f', 'x'.repeat(200));
    assert.deepEqual((plain(h.read('XINFO', 'STREAM', 's')) as Plain[]).slice(0, 4), ['length', 50, 'radix-tree-keys', 3]);
    assert.equal(plain(h.apply('XTRIM', 's', 'MAXLEN', '~', '30')), 19);
    h.apply('RAFTIS.CONFIG', 'stream-node-max-bytes', '0');
    for (let i = 51; i <= 60; i++) h.apply('XADD', 's', `${i}-0`, 'f', 'x'.repeat(200));
    const restored = new Harness();
    assert.equal(restore(restored.kv, takeSnapshot(h.kv, 256)), null);
    restored.index = h.index;
    for (const replica of [h, restored]) for (let i = 61; i <= 200; i++) replica.apply('XADD', 's', `${i}-0`, 'f', String(i));
    assert.deepEqual(plain(restored.apply('DUMP', 's')), plain(h.apply('DUMP', 's')));
    assert.deepEqual((plain(h.read('XINFO', 'STREAM', 's')) as Plain[]).slice(0, 4), ['length', 181, 'radix-tree-keys', 3]);
  });

  it('a snapshot of the first stream format (nodes without sizes) restores with its nodes sized from their entries', () => {
    const writer = new ByteWriter();
    // Header: last ID, entries added, max deleted ID, first ID, next node id, nodes (id, added, live), entry count.
    writer.latin1Bytes('3-0'); writer.varint(3); writer.latin1Bytes('0-0'); writer.latin1Bytes('1-0');
    writer.varint(2); writer.varint(2); writer.varint(0); writer.varint(2); writer.varint(2); writer.varint(1); writer.varint(1); writer.varint(1); writer.varint(3);
    for (const [id, node] of [['1-0', 0], ['2-0', 0], ['3-0', 1]] as const) {
      writer.latin1Bytes(id); writer.varint(node); writer.varint(2); writer.latin1Bytes('f'); writer.latin1Bytes(id);
    }
    const builder = streamCodecWithoutNodeSizes.builder();
    builder.read(new ByteReader(writer.finish()), 4);
    const stream = builder.finish() as StreamValue;
    const expected = new Harness();
    expected.apply('RAFTIS.CONFIG', 'stream-node-max-entries', '2');
    for (const id of ['1-0', '2-0', '3-0']) expected.apply('XADD', 's', id, 'f', id);
    const built = expected.kv.collectionAt(Buffer.from('s'));
    assert.equal(built?.length, stream.length);
    const dumped = expected.apply('DUMP', 's');
    assert.ok(dumped.kind === 'bulk' && dumped.value !== null);
    assert.deepEqual(createDumpPayload(stream), Buffer.from(dumped.value));
  });

  it('a long pending list spans many snapshot elements and restores whole', () => {
    const live = new Harness();
    for (let i = 1; i <= 2_500; i++) live.apply('XADD', 's', `${i}-0`, 'f', 'v');
    live.apply('XGROUP', 'CREATE', 's', 'g1', '0');
    live.apply('XGROUP', 'CREATE', 's', 'g2', '0');
    live.apply('XREADGROUP', 'GROUP', 'g1', 'a', 'COUNT', '2100', 'STREAMS', 's', '>');
    live.apply('XREADGROUP', 'GROUP', 'g1', 'b', 'STREAMS', 's', '>');
    live.apply('XREADGROUP', 'GROUP', 'g2', 'c', 'COUNT', '10', 'STREAMS', 's', '>');
    const chunks = takeSnapshot(live.kv, 512);
    const restored = new Harness();
    assert.equal(restore(restored.kv, chunks), null);
    assert.deepEqual(restored.kv.digest(), live.kv.digest());
    for (const command of [['XPENDING', 's', 'g1'], ['XPENDING', 's', 'g1', '-', '+', '3000'], ['XINFO', 'GROUPS', 's'], ['XINFO', 'CONSUMERS', 's', 'g1']]) {
      assert.deepEqual(plain(restored.read(...command)), plain(live.read(...command)), command.join(' '));
    }
  });

  it('keyspace notifications of stream commands, group changes included', () => {
    const h = new Harness();
    const events: string[] = [];
    h.kv.events.sink = (channel, payload) => events.push(`${Buffer.from(channel).toString()} ${Buffer.from(payload).toString()}`);
    h.apply('RAFTIS.CONFIG', 'notify-keyspace-events', 'Kt');
    h.apply('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    h.apply('XADD', 's', '1-0', 'f', 'v');
    h.apply('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>');
    h.apply('XGROUP', 'DELCONSUMER', 's', 'g', 'nobody');
    h.apply('XDEL', 's', '1-0');
    assert.deepEqual(events, ['xgroup-create', 'xadd', 'xgroup-createconsumer', 'xdel'].map((event) => `__keyspace@0__:s ${event}`));
  });
});
