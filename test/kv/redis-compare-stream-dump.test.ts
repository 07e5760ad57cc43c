// DUMP and RESTORE of streams against a real redis-server: a stream Redis built (entries in
// one or many nodes, closed by entries or by bytes, same and different fields, integers, long
// values, extreme IDs, consumer groups with pending entries, consumers and unknown read
// counters, emptied streams) is DUMPed by Redis and RESTOREd into raftis with the same
// contents (XRANGE, XINFO STREAM FULL); raftis's DUMP of it RESTOREs into Redis as the same
// stream, byte for byte: Redis DUMPs the round-tripped copy exactly as it DUMPed the original
// (where no deleted entry sits inside a node: raftis does not keep those slots, so there the
// contents are compared). A stream raftis builds with the same XADDs as Redis has the same
// nodes, master entries and encodings: its DUMP restored into Redis is DUMPed back as Redis
// DUMPs its own. Malformed stream payloads are "Bad data format". Skipped when redis-server
// is missing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, plain, type Plain } from './harness.js';
import { describeWithRedis, redisReply } from './redis-compare-support.js';
import { crc64 } from '../../src/kv/rdb/index.js';

const entries = (count: number, make: (i: number) => string[]): string[][] => Array.from({ length: count }, (_, i) => make(i));
const xadds = (key: string, rows: readonly string[][]): string[][] => rows.map((fields, i) => ['XADD', key, `${i + 1}-${i % 3}`, ...fields]);

interface Case {
  readonly build: readonly string[][];
  /** False where deleted entries sit inside nodes: Redis keeps their slots, raftis does not, so only contents compare. */
  readonly sameBytes: boolean;
}

const groupOps: readonly string[][] = [
  ['XGROUP', 'CREATE', 'k', 'g1', '0'],
  ['XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '3', 'STREAMS', 'k', '>'],
  ['XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '2', 'STREAMS', 'k', '>'],
  ['XACK', 'k', 'g1', '2-1'],
  ['XCLAIM', 'k', 'g1', 'bob', '0', '1-0', 'RETRYCOUNT', '7'],
  ['XGROUP', 'CREATECONSUMER', 'k', 'g1', 'idle-one'],
  ['XGROUP', 'CREATE', 'k', '12345', '$'],
  ['XGROUP', 'CREATE', 'k', 'g0', '3-2'],
  ['XGROUP', 'SETID', 'k', 'g0', '2-1'],
];

const cases: Record<string, Case> = {
  'one node, the same fields': { build: xadds('k', entries(5, (i) => ['f', `v${i}`, 'n', String(i * 1000)])), sameBytes: true },
  'different fields, integers and long values': {
    build: xadds('k', [['a', '1'], ['a', '-5000', 'b', '9223372036854775807'], ['x'.repeat(70), 'y'.repeat(5000)], ['a', '-9223372036854775808'], ['', ''], ['007', '1.5']]),
    sameBytes: true,
  },
  'nodes closed by their bytes (stream-node-max-bytes)': {
    build: xadds('k', entries(120, (i) => ['payload', 'p'.repeat(i % 3 === 0 ? 300 : 40 + i), ...(i % 11 === 0 ? ['n', String(i * 7919)] : [])])),
    sameBytes: true,
  },
  'nodes by bytes, then trimmed and added to': {
    build: [...xadds('k', entries(60, () => ['v', 'x'.repeat(150)])), ['XTRIM', 'k', 'MAXLEN', '~', '40'], ['XADD', 'k', '99-1', 'v', 'y'.repeat(500)], ['XADD', 'k', '99-2', 'w', '1']],
    sameBytes: true,
  },
  'many nodes': { build: xadds('k', entries(250, (i) => ['item', String(i), ...(i % 7 === 0 ? ['extra', 'e'] : [])])), sameBytes: true },
  'extreme IDs': {
    build: [['XADD', 'k', '5-18446744073709551615', 'a', '1'], ['XADD', 'k', '6-0', 'a', '2'], ['XADD', 'k', '18446744073709551614-3', 'a', '3'], ['XSETID', 'k', '18446744073709551615-18446744073709551615']],
    sameBytes: true,
  },
  'consumer groups': { build: [...xadds('k', entries(8, (i) => ['f', String(i)])), ...groupOps], sameBytes: true },
  'emptied stream with a group': {
    build: [['XADD', 'k', '1-1', 'a', '1'], ['XADD', 'k', '2-1', 'a', '2'], ['XGROUP', 'CREATE', 'k', 'g', '0'], ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'k', '>'], ['XDEL', 'k', '1-1', '2-1']],
    sameBytes: true,
  },
  'group on a new empty stream': { build: [['XGROUP', 'CREATE', 'k', 'g', '$', 'MKSTREAM']], sameBytes: true },
  'trimmed whole nodes': { build: [...xadds('k', entries(320, (i) => ['v', String(i)])), ['XTRIM', 'k', 'MAXLEN', '~', '150']], sameBytes: true },
  'entries deleted inside nodes': {
    build: [...xadds('k', entries(120, (i) => ['v', String(i)])), ['XDEL', 'k', '3-2', '50-1', '101-2'], ['XTRIM', 'k', 'MAXLEN', '110'], ...groupOps.slice(0, 3)],
    sameBytes: false,
  },
};

const readsOf = (key: string): string[][] => [['XRANGE', key, '-', '+'], ['XINFO', 'STREAM', key, 'FULL', 'COUNT', '0'], ['XINFO', 'GROUPS', key]];

/** XINFO STREAM FULL without radix-tree-nodes: the count of the radix tree's inner nodes, which raftis estimates. */
function withoutInnerNodes(reply: Plain): Plain {
  if (!Array.isArray(reply)) return reply;
  const at = reply.indexOf('radix-tree-nodes');
  return at < 0 ? reply : [...reply.slice(0, at), ...reply.slice(at + 2)];
}

async function redisContents(redis: Parameters<typeof redisReply>[0], key: string): Promise<Plain[]> {
  const contents: Plain[] = [];
  for (const read of readsOf(key)) contents.push(withoutInnerNodes(await redisReply(redis, read)));
  return contents;
}

function withFooter(body: Buffer): Buffer {
  const checked = Buffer.concat([body, Buffer.from([10, 0])]);
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(checked), 0);
  return Buffer.concat([checked, crc]);
}

describeWithRedis('DUMP and RESTORE of streams against redis-server', (redis) => {
  for (const [name, { build, sameBytes }] of Object.entries(cases)) {
    test(`${name}: Redis's DUMP restores into raftis, raftis's DUMP restores into Redis`, async () => {
      await redis().client.flushall();
      for (const args of build) {
        const reply = await redisReply(redis(), args);
        assert.ok(reply === null || typeof reply !== 'object' || !('err' in reply), `${name}: ${args.join(' ')}: ${JSON.stringify(reply)}`);
      }
      const expected = await redisContents(redis(), 'k');
      const fromRedis = await redis().client.dumpBuffer('k');
      const harness = new Harness();
      assert.equal(plain(harness.apply('RESTORE', 'k', '0', fromRedis)), 'OK', name);
      assert.deepEqual(readsOf('k').map((read) => withoutInnerNodes(plain(harness.read(...read)))), expected, `${name}: Redis → raftis`);
      const fromRaftis = harness.apply('DUMP', 'k');
      assert.ok(fromRaftis.kind === 'bulk' && fromRaftis.value !== null);
      assert.equal(await redis().client.restore('copy', 0, Buffer.from(fromRaftis.value)), 'OK');
      const copied = await redisContents(redis(), 'copy');
      assert.deepEqual(copied, expected, `${name}: raftis → Redis`);
      if (sameBytes) assert.deepEqual(await redis().client.dumpBuffer('copy'), fromRedis, `${name}: Redis DUMPs the round trip as it DUMPed the original`);
    });
  }

  for (const [name, { build, sameBytes }] of Object.entries(cases)) {
    // Streams built by the same XADDs on both sides (no group: its times are each side's own clock).
    if (!sameBytes || !build.every(([command]) => ['XADD', 'XTRIM', 'XSETID'].includes(command as string))) continue;
    test(`${name}: raftis builds the same nodes as Redis (its DUMP restores into Redis as Redis's own DUMP, byte for byte)`, async () => {
      await redis().client.flushall();
      const harness = new Harness();
      for (const args of build) {
        await redisReply(redis(), args);
        harness.apply(...args);
      }
      const fromRaftis = harness.apply('DUMP', 'k');
      assert.ok(fromRaftis.kind === 'bulk' && fromRaftis.value !== null);
      assert.equal(await redis().client.restore('copy', 0, Buffer.from(fromRaftis.value)), 'OK');
      assert.deepEqual(await redis().client.dumpBuffer('copy'), await redis().client.dumpBuffer('k'), name);
    });
  }

  test('a stream written by raftis RESTOREs into Redis with its groups working', async () => {
    const harness = new Harness();
    for (const args of [...xadds('k', entries(30, (i) => ['f', String(i)])), ...groupOps]) harness.apply(...args);
    const dumped = harness.apply('DUMP', 'k');
    assert.ok(dumped.kind === 'bulk' && dumped.value !== null);
    await redis().client.flushall();
    assert.equal(await redis().client.restore('k', 0, Buffer.from(dumped.value)), 'OK');
    for (const args of [['XREADGROUP', 'GROUP', 'g1', 'carol', 'COUNT', '2', 'STREAMS', 'k', '>'], ['XACK', 'k', 'g1', '1-0', '3-2'], ['XADD', 'k', '*', 'f', 'new']]) {
      const expected = await redisReply(redis(), args);
      const actual = plain(harness.apply(...args));
      if (args[0] === 'XADD') continue; // auto IDs come from each side's clock
      assert.deepEqual(actual, expected, args.join(' '));
    }
    assert.deepEqual(plain(harness.read('XPENDING', 'k', 'g1')), await redisReply(redis(), ['XPENDING', 'k', 'g1']));
  });

  test('a payload DUMPed by Redis 5 (RDB_TYPE_STREAM_LISTPACKS, RDB version 9) restores with the read counters Redis estimates', async () => {
    // From unit/type/stream-cgroups "Loading from legacy": 6 entries, one deleted, two groups, four read by g1, trimmed to 2.
    const payload = Buffer.from('0f011000000000000000010000000000000000c3404a405716570000002300020104010101846461746105000103010020010381610204200a0001400a0062600a0002400a0063600a4022018164200a4039200a0065600a0005400a0066200a00ff02060002026731050004000000000000000100000000000000003ef783437a01000001000000000000000200000000000000003ef783437a01000001000000000000000400000000000000003ef783437a01000001000000000000000500000000000000003ef783437a0100000101036331313ef783437a01000004000000000000000100000000000000000000000000000002000000000000000000000000000000040000000000000000000000000000000500000000000000000267320000000009003d52ef6867521dfa', 'hex');
    await redis().client.flushall();
    assert.equal(await redis().client.restore('x', 0, payload), 'OK');
    const harness = new Harness();
    assert.equal(plain(harness.apply('RESTORE', 'x', '0', payload)), 'OK');
    for (const read of readsOf('x')) assert.deepEqual(withoutInnerNodes(plain(harness.read(...read))), withoutInnerNodes(await redisReply(redis(), read)), read.join(' '));
  });

  test('malformed stream payloads are "Bad data format" on both, and raftis keeps running', async () => {
    const valid = await (async () => {
      await redis().client.flushall();
      await redis().client.call('XADD', 'k', '1-1', 'a', '1');
      await redis().client.call('XGROUP', 'CREATE', 'k', 'g', '0');
      await redis().client.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'k', '>');
      const payload = await redis().client.dumpBuffer('k');
      return payload.subarray(0, payload.length - 10);
    })();
    const bodies = [
      Buffer.from([19, 0]), // ends after the node count
      Buffer.from([19, 1, 3, 0x61, 0x62, 0x63]), // a node key that is not 16 bytes
      valid.subarray(0, valid.length - 20), // the consumer's PEL cut short
      Buffer.concat([valid.subarray(0, 1), Buffer.from([2]), valid.subarray(2)]), // two nodes announced, one given
    ];
    const harness = new Harness();
    for (const body of bodies) {
      const payload = withFooter(body);
      const expected = await redisReply(redis(), ['RESTORE', 'bad', '0', payload.toString('latin1'), 'REPLACE']);
      assert.deepEqual(plain(harness.apply('RESTORE', 'bad', '0', payload, 'REPLACE')), expected, body.toString('hex'));
    }
    assert.equal(plain(harness.apply('SET', 'alive', '1')), 'OK');
  });
});
