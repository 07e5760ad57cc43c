// Exactly once: a request id (origin, client, seq) applied twice executes once and both
// entries return the first reply; the table is bounded, expires by log time and travels in
// snapshots.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteReader, ByteWriter } from '../../src/kv/binary.js';
import { encodeCommand, encodeCommandBatch } from '../../src/kv/command-codec.js';
import { fnv1a, fnvOffsetBasis } from '../../src/kv/hash.js';
import { KvStateMachine, type KvOptions } from '../../src/kv/state-machine.js';
import { encodeTransaction } from '../../src/kv/transaction.js';
import { argvOf, baseTimeMs, plain } from './harness.js';

function entry(origin: string, client: number, seq: number, time: number, ...args: string[]): Uint8Array {
  return encodeCommand({ origin, client, seq, firstUnanswered: seq, time, argv: argvOf(args) });
}

function machine(options: KvOptions = {}): { kv: KvStateMachine; apply: (data: Uint8Array) => unknown } {
  const kv = new KvStateMachine(options);
  let index = 0;
  return { kv, apply: (data) => plain(kv.apply(++index, data)) };
}

test('the same request applied twice executes once and both return the first reply', () => {
  const { kv, apply } = machine();
  const incr = entry('n1', 7, 1, baseTimeMs, 'INCR', 'counter');
  assert.equal(apply(incr), 1);
  assert.equal(apply(incr), 1);
  assert.equal(plain(kv.read(argvOf(['GET', 'counter']), baseTimeMs)), '1');
  assert.equal(apply(entry('n1', 7, 2, baseTimeMs, 'INCR', 'counter')), 2);
  assert.equal(apply(entry('n1', 7, 2, baseTimeMs + 5, 'INCR', 'counter')), 2);
  assert.equal(plain(kv.read(argvOf(['GET', 'counter']), baseTimeMs)), '2');
  assert.equal(kv.appliedIndex, 4, 'duplicates still advance the applied index');
});

test('request ids are per (origin, client); seq 0 is never deduplicated', () => {
  const { apply } = machine();
  assert.equal(apply(entry('n1', 1, 1, baseTimeMs, 'INCR', 'x')), 1);
  assert.equal(apply(entry('n2', 1, 1, baseTimeMs, 'INCR', 'x')), 2);
  assert.equal(apply(entry('n1', 2, 1, baseTimeMs, 'INCR', 'x')), 3);
  assert.equal(apply(entry('n1', 0, 0, baseTimeMs, 'INCR', 'x')), 4);
  assert.equal(apply(entry('n1', 0, 0, baseTimeMs, 'INCR', 'x')), 5);
});

test('an error reply is remembered like any other', () => {
  const { apply } = machine();
  apply(entry('n1', 1, 1, baseTimeMs, 'SET', 'x', 'notanumber'));
  const incr = entry('n1', 1, 2, baseTimeMs, 'INCR', 'x');
  assert.deepEqual(apply(incr), { err: 'ERR value is not an integer or out of range' });
  apply(entry('n1', 2, 1, baseTimeMs, 'SET', 'x', '10'));
  assert.deepEqual(apply(incr), { err: 'ERR value is not an integer or out of range' }, 'retry does not re-execute');
});

/** A request of client (n1, 1) with `seq`, while the client waits for every sequence from `firstUnanswered` on. */
function pipelined(seq: number, firstUnanswered: number, ...args: string[]): Uint8Array {
  return encodeCommand({ origin: 'n1', client: 1, seq, firstUnanswered, time: baseTimeMs, argv: argvOf(args) });
}

test('pipelined requests retried out of order are each applied once and answered with their own reply', () => {
  const { kv, apply } = machine();
  // Writes 1 to 3 are in flight; 2 and 3 are applied first (1's first attempt was lost).
  assert.equal(apply(pipelined(2, 1, 'INCR', 'x')), 1);
  assert.equal(apply(pipelined(3, 1, 'INCR', 'x')), 2);
  assert.equal(apply(pipelined(1, 1, 'INCR', 'x')), 3, 'a lower sequence never applied is new, not stale');
  // Retries after a leader change, in any order, get the first replies.
  assert.equal(apply(pipelined(3, 1, 'INCR', 'x')), 2);
  assert.equal(apply(pipelined(1, 1, 'INCR', 'x')), 3);
  assert.equal(apply(pipelined(2, 1, 'INCR', 'x')), 1);
  assert.equal(plain(kv.read(argvOf(['GET', 'x']), baseTimeMs)), '3');
  assert.equal(kv.stats().dedupReplies, 3);
});

test('replies below the first unanswered sequence are dropped, and such a sequence is never applied again', () => {
  const { kv, apply } = machine();
  apply(pipelined(1, 1, 'INCR', 'x'));
  apply(pipelined(2, 1, 'INCR', 'x'));
  assert.equal(apply(pipelined(3, 3, 'INCR', 'x')), 3, 'the client has its answers for 1 and 2');
  assert.equal(kv.stats().dedupReplies, 1);
  assert.match(String((apply(pipelined(2, 2, 'INCR', 'x')) as { err: string }).err), /^ERR request is older than this connection's exactly-once window/);
  assert.equal(apply(pipelined(3, 3, 'INCR', 'x')), 3);
  assert.equal(plain(kv.read(argvOf(['GET', 'x']), baseTimeMs)), '3');
});

test('a client keeps at most dedupRepliesPerClientMax replies; the evicted one is refused, not applied again', () => {
  const { kv, apply } = machine({ dedupRepliesPerClientMax: 2 });
  apply(pipelined(1, 1, 'INCR', 'x'));
  apply(pipelined(2, 1, 'INCR', 'x'));
  apply(pipelined(3, 1, 'INCR', 'x'));
  assert.equal(kv.stats().dedupReplies, 2);
  assert.match(String((apply(pipelined(1, 1, 'INCR', 'x')) as { err: string }).err), /more than 2 of its writes were in flight/);
  assert.equal(apply(pipelined(2, 1, 'INCR', 'x')), 2);
  assert.equal(apply(pipelined(3, 1, 'INCR', 'x')), 3);
  assert.equal(plain(kv.read(argvOf(['GET', 'x']), baseTimeMs)), '3');
});

test('every pipelined retry schedule applies each request once (property)', () => {
  // Requests 1..n of one client are in flight together; each is delivered one or more times
  // in any order. Every delivery of request i answers what its first application answered,
  // and the counter ends at n.
  fc.assert(fc.property(fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.integer({ min: 1, max: n }), { minLength: n, maxLength: 4 * n }))), ([n, order]) => {
    const { kv, apply } = machine();
    const schedule = [...order, ...Array.from({ length: n }, (_, i) => i + 1)];
    const first = new Map<number, unknown>();
    for (const seq of schedule) {
      const reply = apply(pipelined(seq, 1, 'INCR', 'x'));
      if (!first.has(seq)) first.set(seq, reply);
      assert.equal(reply, first.get(seq), `request ${seq}`);
    }
    assert.equal(plain(kv.read(argvOf(['GET', 'x']), baseTimeMs)), String(n));
  }));
});

test('the table is bounded: the least recently used client is forgotten first', () => {
  const { apply } = machine({ dedupEntriesMax: 2 });
  const first = entry('n1', 1, 1, baseTimeMs, 'INCR', 'x');
  apply(first);
  apply(entry('n1', 2, 1, baseTimeMs, 'INCR', 'x'));
  apply(entry('n1', 3, 1, baseTimeMs, 'INCR', 'x'));
  assert.equal(apply(first), 4, 'client 1 was evicted, so its retry executes again');
  assert.equal(apply(entry('n1', 3, 1, baseTimeMs, 'INCR', 'x')), 3, 'client 3 is still remembered');
});

test('records expire by log time since their last use', () => {
  const { apply } = machine({ dedupRetentionMs: 1000 });
  const first = entry('n1', 1, 1, baseTimeMs, 'INCR', 'x');
  apply(first);
  assert.equal(apply(entry('n1', 1, 1, baseTimeMs + 1000, 'INCR', 'x')), 1, 'within retention');
  // Any entry moves log time on; the record is then older than the retention.
  apply(entry('n1', 9, 0, baseTimeMs + 1001, 'GET', 'x'));
  assert.equal(apply(first), 2, 'forgotten after the retention');
});

test('the dedup table travels in snapshots', () => {
  const source = machine();
  const incr = entry('n1', 5, 3, baseTimeMs, 'INCR', 'x');
  source.apply(incr);
  const snapshot = source.kv.beginSnapshot();
  const target = new KvStateMachine();
  const sink = target.beginRestore();
  for (let chunk = snapshot.next(1024); chunk !== null; chunk = snapshot.next(1024)) assert.equal(sink.write(chunk), null);
  assert.equal(sink.finish(), null);
  assert.equal(plain(target.apply(2, incr)), 1);
  assert.equal(plain(target.read(argvOf(['GET', 'x']), baseTimeMs)), '1');
});

test('replies of requests in flight travel in snapshots, with the window floor', () => {
  const source = machine();
  source.apply(pipelined(1, 1, 'INCR', 'x'));
  source.apply(pipelined(2, 1, 'INCR', 'x'));
  source.apply(pipelined(4, 2, 'INCR', 'x'));
  const snapshot = source.kv.beginSnapshot();
  const target = new KvStateMachine();
  const sink = target.beginRestore();
  for (let chunk = snapshot.next(64); chunk !== null; chunk = snapshot.next(64)) assert.equal(sink.write(chunk), null);
  assert.equal(sink.finish(), null);
  let index = 3;
  assert.equal(plain(target.apply(++index, pipelined(2, 2, 'INCR', 'x'))), 2);
  assert.equal(plain(target.apply(++index, pipelined(4, 2, 'INCR', 'x'))), 3);
  assert.match((plain(target.apply(++index, pipelined(1, 1, 'INCR', 'x'))) as { err: string }).err, /exactly-once window/, 'the floor travelled too');
  assert.equal(plain(target.apply(++index, pipelined(3, 2, 'INCR', 'x'))), 4, 'request 3 was never applied');
  assert.equal(plain(target.read(argvOf(['GET', 'x']), baseTimeMs)), '4');
});

/**
 * Rewrites a snapshot stream's dedup records (type 5, one reply each here) into the older
 * single-reply form (type 2) and recomputes the end record's checksum, as an older raftis
 * wrote them.
 */
function toSingleReplyDedupRecords(stream: Buffer): Buffer {
  const out = new ByteWriter();
  let checksum = fnvOffsetBasis;
  for (let at = 0; at < stream.length;) {
    const length = stream.readUInt32LE(at);
    const type = stream[at + 4] ?? 0;
    const body = stream.subarray(at + 5, at + 4 + length);
    at += 4 + length;
    const mark = out.byteLength;
    out.u32(0);
    if (type === 5) {
      const reader = new ByteReader(body);
      const origin = reader.string();
      const client = reader.varint();
      reader.varint(); // floor
      const lastUsedMs = reader.signed();
      assert.equal(reader.varint(), 1, 'one reply per client in this fixture');
      const seq = reader.varint();
      out.u8(2);
      out.string(origin);
      out.varint(client);
      out.varint(seq);
      out.signed(lastUsedMs);
      out.raw(body.subarray(reader.position));
    } else if (type === 4) {
      const reader = new ByteReader(body);
      out.u8(4);
      out.varint(reader.varint());
      out.varint(reader.varint());
      out.u32(checksum);
    } else {
      out.u8(type);
      out.raw(body);
    }
    out.patchU32(mark, out.byteLength - mark - 4);
    if (type !== 4) checksum = fnv1a(checksum, out.backing, mark, out.byteLength);
  }
  return out.finish();
}

test('a snapshot written with single-reply dedup records restores them', () => {
  const source = machine();
  const incr = entry('n1', 5, 3, baseTimeMs, 'INCR', 'x');
  source.apply(incr);
  const snapshot = source.kv.beginSnapshot();
  const chunks: Uint8Array[] = [];
  for (let chunk = snapshot.next(1 << 20); chunk !== null; chunk = snapshot.next(1 << 20)) chunks.push(chunk);
  const older = toSingleReplyDedupRecords(Buffer.concat(chunks));
  const target = new KvStateMachine();
  const sink = target.beginRestore();
  assert.equal(sink.write(older), null);
  assert.equal(sink.finish(), null);
  assert.equal(plain(target.apply(2, incr)), 1, 'the retry gets its first reply');
  assert.match((plain(target.apply(3, entry('n1', 5, 2, baseTimeMs, 'INCR', 'x'))) as { err: string }).err, /exactly-once window/, 'an older sequence is not applied');
  assert.equal(plain(target.read(argvOf(['GET', 'x']), baseTimeMs)), '1');
});

/** A batch of client commands from n1 under one time: [client, seq, ...args] each. */
function batch(time: number, ...commands: [number, number, ...string[]][]): Uint8Array {
  return encodeCommandBatch({
    origin: 'n1', time,
    commands: commands.map(([client, seq, ...args]) => ({ client, seq, firstUnanswered: seq, argv: argvOf(args) })),
  });
}

test('a batch applies its commands in order at one index, each answered with its own reply', () => {
  const { kv, apply } = machine();
  assert.deepEqual(apply(batch(baseTimeMs, [1, 1, 'INCR', 'x'], [2, 1, 'INCRBY', 'x', '10'], [1, 2, 'GET', 'x'], [3, 1, 'INCR', 'notint'], [3, 2, 'LPUSH', 'x', 'a'])),
    [1, 11, '11', 1, { err: 'WRONGTYPE Operation against a key holding the wrong kind of value' }]);
  assert.equal(kv.appliedIndex, 1, 'one entry, one index');
  assert.equal(plain(kv.read(argvOf(['GET', 'x']), baseTimeMs)), '11');
});

test('a command of a batch that was applied before, alone or in another batch, is answered from the table', () => {
  const { kv, apply } = machine();
  assert.equal(apply(entry('n1', 1, 1, baseTimeMs, 'INCR', 'x')), 1);
  // The retry of (n1, 1, 1) rides in a batch beside a new command and a repeat of itself.
  assert.deepEqual(apply(batch(baseTimeMs, [1, 1, 'INCR', 'x'], [1, 2, 'INCR', 'x'], [1, 2, 'INCR', 'x'])), [1, 2, 2]);
  assert.deepEqual(apply(batch(baseTimeMs, [1, 2, 'INCR', 'x'], [0, 0, 'INCR', 'x'], [0, 0, 'INCR', 'x'])), [2, 3, 4], 'seq 0 is never deduplicated');
  assert.equal(plain(kv.read(argvOf(['GET', 'x']), baseTimeMs)), '4');
});

test('a batch advances the cluster time once, and a corrupt batch is an error that still advances the index', () => {
  const { kv, apply } = machine();
  apply(batch(baseTimeMs + 1000, [1, 1, 'SET', 'k', 'v', 'PX', '500']));
  assert.equal(kv.clusterTime, baseTimeMs + 1000);
  const corrupt = Buffer.from(batch(baseTimeMs + 2000, [1, 2, 'SET', 'k', 'v']));
  assert.match(String((apply(corrupt.subarray(0, corrupt.length - 1)) as { err: string }).err), /^ERR bad command batch/);
  assert.equal(kv.appliedIndex, 2);
});

test('random choices of a batch differ between its commands and are the same on every replica', () => {
  const members = Array.from({ length: 64 }, (_, i) => `m${i}`);
  const run = (): unknown => {
    const { apply } = machine();
    // Two equal sets: had both commands the same seed, they would pop the same members.
    apply(entry('n1', 9, 1, baseTimeMs, 'SADD', 's1', ...members));
    apply(entry('n1', 9, 2, baseTimeMs, 'SADD', 's2', ...members));
    return apply(batch(baseTimeMs, [1, 1, 'SPOP', 's1', '4'], [2, 1, 'SPOP', 's2', '4']));
  };
  const first = run() as string[][];
  assert.deepEqual(run(), first, 'deterministic');
  const sorted = (xs: string[]): string[] => [...xs].sort();
  assert.notDeepEqual(sorted(first[0] as string[]), sorted(first[1] as string[]));
});

test('the leader applying the batches it encoded and a follower applying their bytes answer alike and end identical', () => {
  const command = fc.oneof(
    fc.tuple(fc.constant('SET'), fc.constantFrom('a', 'b', 'c'), fc.string({ maxLength: 8 })),
    fc.tuple(fc.constant('INCR'), fc.constantFrom('a', 'n')),
    fc.tuple(fc.constant('RPUSH'), fc.constantFrom('l', 'a'), fc.string({ maxLength: 4 })),
    fc.tuple(fc.constant('DEL'), fc.constantFrom('a', 'b', 'l')),
    // What a write's context carries per command: the entry's time (keys set with PX expire
    // between turns), the command's seed (SPOP) and the collections it opened (SADD, LPOP).
    fc.tuple(fc.constant('SET'), fc.constantFrom('a', 'b'), fc.string({ maxLength: 4 }), fc.constant('PX'), fc.constantFrom('15', '40')),
    fc.tuple(fc.constant('SADD'), fc.constantFrom('s', 'a'), fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })),
    fc.tuple(fc.constant('SPOP'), fc.constantFrom('s', 'a')),
    fc.tuple(fc.constant('LPOP'), fc.constantFrom('l', 'a')),
    fc.tuple(fc.constant('EVAL'), fc.constant("redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])"), fc.constant('2'), fc.constantFrom('b', 'c'), fc.constantFrom('n', 'a'), fc.string({ maxLength: 4 })),
  );
  fc.assert(fc.property(fc.array(fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), command), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }), (turns) => {
    const leader = machine();
    const follower = machine();
    const seqs = new Map<number, number>();
    turns.forEach((turn, t) => {
      const commands = turn.map(([client, args]) => {
        const seq = (seqs.get(client) ?? 0) + 1;
        seqs.set(client, seq);
        return { client, seq, firstUnanswered: seq, argv: argvOf(args) };
      });
      const data = encodeCommandBatch({ origin: 'n1', time: baseTimeMs + 10 * t, commands });
      const received = Uint8Array.from(data);
      assert.deepEqual(leader.apply(data), follower.apply(received));
    });
    assert.deepEqual(leader.kv.digest(), follower.kv.digest());
  }), { numRuns: 60 });
});

test('each write judges expiry at its own entry\'s time, command after command and entry after entry', () => {
  const { apply } = machine();
  assert.deepEqual(apply(batch(baseTimeMs, [1, 1, 'SET', 'k', 'v', 'PX', '100'], [1, 2, 'SET', 'j', 'v', 'PX', '50'])), ['OK', 'OK']);
  assert.match(String((apply(entry('n1', 1, 3, baseTimeMs + 50, 'INCR', 'k')) as { err: string }).err), /not an integer/);
  assert.deepEqual(apply(batch(baseTimeMs + 50, [1, 4, 'INCR', 'j'], [1, 5, 'APPEND', 'k', 'w'])), [1, 2]);
  assert.deepEqual(apply(batch(baseTimeMs + 100, [1, 6, 'INCR', 'j'], [1, 7, 'INCR', 'k'])), [2, 1]);
});

test('a transaction and a script inside a batch run their commands between the batch\'s other writes', () => {
  const { apply } = machine();
  const transaction = encodeTransaction({ watches: [], commands: [argvOf(['INCR', 'n']), argvOf(['RPUSH', 'l', 'x']), argvOf(['INCR', 'l'])] });
  const data = encodeCommandBatch({
    origin: 'n1', time: baseTimeMs,
    commands: [
      { client: 1, seq: 1, firstUnanswered: 1, argv: argvOf(['INCR', 'n']) },
      { client: 1, seq: 2, firstUnanswered: 2, argv: transaction },
      { client: 1, seq: 3, firstUnanswered: 3, argv: argvOf(['EVAL', "redis.call('RPUSH', KEYS[1], 'y'); return redis.call('INCR', KEYS[2])", '2', 'l', 'n']) },
      { client: 1, seq: 4, firstUnanswered: 4, argv: argvOf(['LRANGE', 'l', '0', '-1']) },
    ],
  });
  const [first, inTransaction, script, range] = apply(data) as unknown[];
  assert.deepEqual([first, script, range], [1, 3, ['x', 'y']]);
  const [incr, push, wrongType] = inTransaction as unknown[];
  assert.deepEqual([incr, push], [2, 1]);
  assert.match(String((wrongType as { err: string }).err), /^WRONGTYPE/);
});

test('writes after a restore change the restored keyspace, not the one a write before it changed', () => {
  const source = machine();
  source.apply(entry('n1', 1, 1, baseTimeMs, 'SET', 'x', '10'));
  const target = machine();
  target.apply(entry('n1', 2, 1, baseTimeMs, 'SET', 'y', 'old'));
  const snapshot = source.kv.beginSnapshot();
  const sink = target.kv.beginRestore();
  for (let chunk = snapshot.next(1024); chunk !== null; chunk = snapshot.next(1024)) assert.equal(sink.write(chunk), null);
  assert.equal(sink.finish(), null);
  assert.equal(plain(target.kv.apply(2, entry('n1', 3, 1, baseTimeMs, 'INCR', 'x'))), 11);
  assert.equal(plain(target.kv.read(argvOf(['GET', 'x']), baseTimeMs)), '11');
  assert.equal(plain(target.kv.read(argvOf(['GET', 'y']), baseTimeMs)), null);
});
