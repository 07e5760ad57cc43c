// raftis import-rdb and export-rdb against a real redis-server, both ways: a dump.rdb Redis
// 7.0 saved with every data type raftis has (strings raw, integer and LZF-compressed; hashes,
// lists, sets and sorted sets both compact and large; a stream with a consumer group; expiries;
// a function library; a key in another database) is imported into a 3-node cluster, which
// then holds every key of database 0 as Redis does; the cluster's export, and what
// redis-cli --rdb (and --functions-rdb) fetches from a node by SYNC, loaded by a fresh
// redis-server, hold the same keys again. Skipped when redis-server is missing.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ClusterUp, freeBasePort, runRaftis as raftis } from '../support/cluster-up.js';
import { RedisServer, missingTool } from '../support/redis-server.js';

/** Runs a program to its end: its exit code and output. */
function run(program: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') return reject(error);
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

const NODES = 3;
/** Two readings of one key's time to live, on two servers a moment apart, agree within this. */
const TTL_SLACK_MS = 60_000;

const long = (text: string, times: number): string => text.repeat(times);

/** Every data type, in the encodings Redis 7.0 picks for small and large values. */
const POPULATE: readonly (readonly (string | number)[])[] = [
  ['SET', 'str:raw', 'hello world'],
  ['SET', 'str:int', '12345'],
  ['SET', 'str:negative', '-987654321012'],
  ['SET', 'str:lzf', long('compressible ', 200)],
  ['SET', 'str:binary', '\u0000\u00ff\r\n'],
  ['SET', 'str:ttl', 'expires', 'PX', 50_000_000],
  ['HSET', 'hash:small', 'a', '1', 'b', 'two', 'c', '3.5'],
  ['HSET', 'hash:large', ...Array.from({ length: 600 }, (_, i) => [`field${i}`, long('v', i % 90)]).flat()],
  ['RPUSH', 'list:small', 'a', 'b', '1', '-2', long('x', 100)],
  ['RPUSH', 'list:large', ...Array.from({ length: 3000 }, (_, i) => `item${i}`)],
  ['SADD', 'set:intset', '1', '2', '3', '-40000', '5000000000'],
  ['SADD', 'set:strings', 'a', 'b', 'c'],
  ['SADD', 'set:large', ...Array.from({ length: 700 }, (_, i) => `m${i}`)],
  ['ZADD', 'zset:small', '1', 'a', '2.5', 'b', '-3', 'c', 'inf', 'top'],
  ['ZADD', 'zset:large', ...Array.from({ length: 400 }, (_, i) => [String(i / 7), `m${i}`]).flat()],
  ['PEXPIRE', 'zset:large', 70_000_000],
  ['XADD', 'stream', '1-1', 'f', 'v1'],
  ['XADD', 'stream', '2-5', 'f', 'v2', 'g', '7'],
  ['XADD', 'stream', '3-0', 'x', long('y', 300)],
  ['XGROUP', 'CREATE', 'stream', 'group', '0'],
  ['XREADGROUP', 'GROUP', 'group', 'alice', 'COUNT', '2', 'STREAMS', 'stream', '>'],
  ['FUNCTION', 'LOAD', "#!lua name=rdblib\nredis.register_function('rdbecho', function(keys, args) return args[1] end)"],
  ['SELECT', '1'],
  ['SET', 'elsewhere', 'in database 1'],
  ['SELECT', '0'],
];

/** A key's type and contents in a form two servers can be compared by. */
async function contents(redis: Redis, key: string): Promise<unknown> {
  const type = await redis.type(key);
  switch (type) {
    case 'string': return [type, await redis.getBuffer(key)];
    case 'hash': return [type, Object.entries(await redis.hgetall(key)).sort()];
    case 'list': return [type, await redis.lrange(key, 0, -1)];
    case 'set': return [type, (await redis.smembers(key)).sort()];
    case 'zset': return [type, await redis.zrange(key, 0, -1, 'WITHSCORES')];
    case 'stream': return [type, await redis.xrange(key, '-', '+'), await redis.call('XINFO', 'GROUPS', key), await redis.call('XPENDING', key, 'group')];
    default: return [type];
  }
}

async function keysOf(redis: Redis): Promise<string[]> {
  return (await redis.keys('*')).sort();
}

/** Every key of `expected` is in `actual` with the same contents and, within the slack, the same time to live. */
async function assertSameKeys(expected: Redis, actual: Redis, what: string): Promise<void> {
  const keys = await keysOf(expected);
  assert.deepEqual(await keysOf(actual), keys, `${what}: the same keys`);
  for (const key of keys) {
    assert.deepEqual(await contents(actual, key), await contents(expected, key), `${what}: ${key}`);
    const [want, got] = [await expected.pttl(key), await actual.pttl(key)];
    assert.ok(want < 0 ? got === want : Math.abs(got - want) < TTL_SLACK_MS, `${what}: ${key} PTTL ${got}, expected about ${want}`);
  }
}

const skip = missingTool('redis-server');

describe('raftis import-rdb and export-rdb against redis-server', { skip: skip ?? false }, () => {
  let root: string;
  let source: RedisServer;
  let cluster: ClusterUp;
  let base: number;
  const clients: Redis[] = [];
  const servers: RedisServer[] = [];

  const connect = async (port: number): Promise<Redis> => {
    const client = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 5 });
    await client.connect();
    clients.push(client);
    return client;
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'raftis-rdb-'));
    source = await RedisServer.start(['--dir', root, '--dbfilename', 'source.rdb']);
    servers.push(source);
    base = await freeBasePort(NODES);
    cluster = new ClusterUp(NODES, base, join(root, 'cluster'), []);
    await cluster.waitUp();
  });

  after(async () => {
    for (const client of clients) client.disconnect();
    for (const server of servers) await server.stop();
    if (cluster.child.exitCode === null && cluster.child.signalCode === null) await cluster.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('imports a dump.rdb redis-server saved, every key of database 0, through any node', async () => {
    const redis = await connect(source.port);
    for (const command of POPULATE) await redis.call(String(command[0]), ...command.slice(1).map(String));
    assert.equal(await redis.call('SAVE'), 'OK');
    const imported = await raftis('import-rdb', join(root, 'source.rdb'), '--server', `127.0.0.1:${base + 1}`, '--batch-keys', '4');
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /: 16 keys restored, 0 already expired left out, 1 function libraries loaded/);
    assert.match(imported.stderr, /1 keys of other databases are left out/);
    const raftisClient = await connect(base + 2);
    await assertSameKeys(redis, raftisClient, 'raftis after import');
    assert.equal(await raftisClient.call('FCALL', 'rdbecho', '0', 'hi'), 'hi');
  });

  it('refuses to overwrite keys unless told to, and then overwrites them', async () => {
    const refused = await raftis('import-rdb', join(root, 'source.rdb'), '--server', `127.0.0.1:${base}`);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /BUSYKEY Target key name already exists\. \(--replace overwrites\)|Library 'rdblib' already exists/);
    const replaced = await raftis('import-rdb', join(root, 'source.rdb'), '--server', `127.0.0.1:${base}`, '--replace');
    assert.equal(replaced.code, 0, replaced.stderr);
  });

  it('exports a dump.rdb that redis-server loads with the same keys', async () => {
    const out = join(root, 'export.rdb');
    const exported = await raftis('export-rdb', '--server', `127.0.0.1:${base + 1}`, '--out', out);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /: 16 keys, 1 function libraries, \d+ bytes, RDB version 10/);
    const loaded = await RedisServer.start(['--dir', root, '--dbfilename', 'export.rdb']);
    servers.push(loaded);
    const reloaded = await connect(loaded.port);
    await reloaded.select(0);
    await assertSameKeys(await connect(source.port), reloaded, 'redis-server loading the export');
    assert.equal(await reloaded.call('FCALL', 'rdbecho', '0', 'back'), 'back');
  });

  it('redis-cli --rdb against any node writes a dump.rdb that redis-server loads with the same keys; PSYNC is refused', { skip: missingTool('redis-cli') ?? false }, async () => {
    const out = join(root, 'cli.rdb');
    const fetched = await run('redis-cli', ['-p', String(base + 2), '--rdb', out]);
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.match(fetched.stderr, /Transfer finished with success/);
    const loaded = await RedisServer.start(['--dir', root, '--dbfilename', 'cli.rdb']);
    servers.push(loaded);
    const reloaded = await connect(loaded.port);
    await assertSameKeys(await connect(source.port), reloaded, 'redis-server loading redis-cli --rdb');
    assert.equal(await reloaded.call('FCALL', 'rdbecho', '0', 'cli'), 'cli');
    const functionsOnly = join(root, 'functions.rdb');
    const functions = await run('redis-cli', ['-p', String(base), '--functions-rdb', functionsOnly]);
    assert.equal(functions.code, 0, functions.stderr);
    const withFunctions = await RedisServer.start(['--dir', root, '--dbfilename', 'functions.rdb']);
    servers.push(withFunctions);
    const onlyFunctions = await connect(withFunctions.port);
    assert.deepEqual([await onlyFunctions.dbsize(), await onlyFunctions.call('FCALL', 'rdbecho', '0', 'f')], [0, 'f'], 'functions only');
    const raftisClient = await connect(base + 1);
    await assert.rejects(raftisClient.call('PSYNC', '?', '-1'), /ERR raftis does not replicate to Redis replicas/);
  });

  it('refuses a damaged file before writing anything', async () => {
    const damaged = join(root, 'damaged.rdb');
    const bytes = readFileSync(join(root, 'source.rdb'));
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 1;
    writeFileSync(damaged, bytes);
    const result = await raftis('import-rdb', damaged, '--server', `127.0.0.1:${base}`);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /RDB checksum mismatch: the file is damaged; nothing was imported/);
  });
});
