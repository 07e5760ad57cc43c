// redis-cli, unchanged, against a real 3-node cluster: plain and --raw/--no-raw output,
// binary-safe values through -x, error replies, RESP3 (-3), several commands piped on
// stdin, and --pipe mass insertion; on the leader and on every follower.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { missingTool } from '../support/redis-server.js';

const skip = missingTool('redis-cli');
const CLI_TIMEOUT_MS = 30_000;

interface CliResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly code: number;
}

/** Runs redis-cli with `args`, feeding `input` on stdin (stdin is closed either way). */
function redisCli(port: number, args: readonly string[], input: Buffer | string = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('redis-cli', ['-p', String(port), ...args], { encoding: 'buffer', timeout: CLI_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      if (code === null) reject(new Error(`redis-cli ${args.join(' ')} failed: ${error?.message ?? ''}`));
      else resolve({ stdout, stderr: stderr.toString(), code });
    });
    child.stdin?.on('error', () => {}); // redis-cli may exit without reading stdin
    child.stdin?.end(input);
  });
}

async function out(port: number, ...args: string[]): Promise<string> {
  const result = await redisCli(port, args);
  assert.equal(result.code, 0, `redis-cli ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout.toString('latin1');
}

describe('redis-cli against a 3-node cluster', { skip: skip ?? false }, () => {
  let cluster: TestCluster;
  let ordered: { id: string; role: string; port: number }[];

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
    const leader = await cluster.waitForLeader();
    ordered = [leader, ...cluster.nodes.map((n) => n.id).filter((id) => id !== leader)]
      .map((id, i) => ({ id, role: i === 0 ? 'leader' : 'follower', port: cluster.node(id).port }));
  });

  after(async () => {
    await cluster?.stop();
  });

  it('runs SET, GET, INCR, MSET and MGET on every node', async () => {
    for (const { id, role, port } of ordered) {
      const k = `cli:${id}`;
      assert.equal(await out(port, 'SET', k, 'hello world'), 'OK\n', `${role} ${id}`);
      assert.equal(await out(port, 'GET', k), 'hello world\n');
      assert.equal(await out(port, 'INCR', `${k}:n`), '1\n');
      assert.equal(await out(port, 'INCR', `${k}:n`), '2\n');
      assert.equal(await out(port, '--no-raw', 'INCR', `${k}:n`), '(integer) 3\n');
      assert.equal(await out(port, 'MSET', `${k}:a`, '1', `${k}:b`, 'two'), 'OK\n');
      assert.equal(await out(port, 'MGET', `${k}:a`, `${k}:b`, `${k}:missing`), '1\ntwo\n\n');
      assert.equal(await out(port, '--no-raw', 'MGET', `${k}:a`, `${k}:missing`), '1) "1"\n2) (nil)\n');
      assert.equal(await out(port, '--no-raw', 'GET', `${k}:missing`), '(nil)\n');
    }
    // Every node sees every other node's writes.
    for (const reader of ordered) {
      for (const writer of ordered) assert.equal(await out(reader.port, 'GET', `cli:${writer.id}:b`), 'two\n', `${reader.id} reads ${writer.id}'s write`);
    }
  });

  it('stores binary-safe values given with -x and prints them with --raw and quoted', async () => {
    const value = Buffer.from([0x61, 0x00, 0x62, 0x0d, 0x0a, 0xff, 0x63]);
    for (const { id, port } of ordered) {
      const set = await redisCli(port, ['-x', 'SET', `bin:${id}`], value);
      assert.equal(set.code, 0, set.stderr);
      assert.equal(set.stdout.toString(), 'OK\n');
      const raw = await redisCli(port, ['--raw', 'GET', `bin:${id}`]);
      assert.deepEqual(raw.stdout, Buffer.concat([value, Buffer.from('\n')]), 'the exact bytes come back');
      assert.equal(await out(port, '--no-raw', 'GET', `bin:${id}`), '"a\\x00b\\r\\n\\xffc"\n');
      assert.equal(await out(port, 'STRLEN', `bin:${id}`), `${value.length}\n`);
    }
  });

  it('prints error replies with their text', async () => {
    for (const { id, port } of ordered) {
      await out(port, 'SET', `err:${id}`, 'not-a-number');
      assert.equal(await out(port, '--no-raw', 'INCR', `err:${id}`), '(error) ERR value is not an integer or out of range\n');
      assert.equal(await out(port, 'GET'), "ERR wrong number of arguments for 'get' command\n\n");
      assert.equal(await out(port, 'NOSUCHCOMMAND', 'x'), "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' \n\n");
    }
  });

  it('speaks RESP3 with -3', async () => {
    for (const { port } of ordered) {
      assert.equal(await out(port, '-3', '--no-raw', 'GET', 'resp3:missing'), '(nil)\n');
      const hello = await out(port, '-3', '--no-raw', 'HELLO', '3');
      assert.match(hello, /^1# "server" => "redis"\n2# "version" => "[\d.]+"\n3# "proto" => \(integer\) 3\n/);
    }
  });

  it('runs several commands piped on stdin, in order', async () => {
    for (const { id, port } of ordered) {
      const result = await redisCli(port, [], `SET piped:${id} x\nAPPEND piped:${id} yz\nGET piped:${id}\nINCR piped:${id}:n\nINCR piped:${id}:n\n`);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.toString(), 'OK\n3\nxyz\n1\n2\n');
    }
  });

  it('mass-inserts with --pipe and reports the error count', async () => {
    for (const { id, port } of ordered) {
      const count = 500;
      const frames: string[] = [];
      for (let i = 0; i < count; i++) {
        const key = `pipe:${id}:${i}`;
        frames.push(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${String(i).length}\r\n${i}\r\n`);
      }
      const ok = await redisCli(port, ['--pipe'], frames.join(''));
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout.toString(), new RegExp(`errors: 0, replies: ${count}`));
      assert.equal(await out(port, 'GET', `pipe:${id}:${count - 1}`), `${count - 1}\n`);
      assert.equal(await out(port, 'DBSIZE').then((n) => Number(n) >= count), true);

      // One error among the replies: --pipe counts it and exits 1.
      const bad = await redisCli(port, ['--pipe'], `*2\r\n$4\r\nINCR\r\n$${`pipe:${id}:x`.length}\r\npipe:${id}:x\r\n*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1\r\nv\r\n*2\r\n$4\r\nINCR\r\n$1\r\nq\r\n`);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout.toString(), /errors: 1, replies: 3/);
      assert.match(bad.stdout.toString() + bad.stderr, /ERR value is not an integer or out of range/);
    }
    assert.deepEqual(cluster.crashes(), []);
  });
});
