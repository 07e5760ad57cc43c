// The config file in both formats and CONFIG REWRITE: redis.conf-style lines (quotes,
// comments, node settings by Redis's names) are read and validated like flags; a rewrite
// changes a setting's line in place, drops its repeats, appends what the file lacks after
// Redis's signature line (only when not at its default) and keeps comments and every other
// line; a JSON file keeps its other keys. On a running 3-node cluster, CONFIG REWRITE writes
// the node's file and a restart with it keeps the node settings; a node started without a
// file answers as Redis does.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/server/config.js';
import { REWRITE_SIGNATURE, rewrittenConfig, splitConfLine, type RewriteSetting } from '../../src/server/config-file.js';
import { TestCluster } from '../support/cluster.js';

const setting = (names: string[], value: string, isDefault = false): RewriteSetting => ({ names, value, isDefault });

describe('config file formats', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'raftis-config-file-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const write = (name: string, text: string): string => {
    const path = join(root, name);
    writeFileSync(path, text);
    return path;
  };

  it('splits lines as Redis does: blanks separate, quotes group, escapes inside double quotes', () => {
    assert.deepEqual(splitConfLine('tls-protocols "TLSv1.2 TLSv1.3"', 'x'), ['tls-protocols', 'TLSv1.2 TLSv1.3']);
    assert.deepEqual(splitConfLine("  notify-keyspace-events ''  ", 'x'), ['notify-keyspace-events', '']);
    assert.deepEqual(splitConfLine('requirepass "a\\"b\\\\c"', 'x'), ['requirepass', 'a"b\\c']);
    assert.throws(() => splitConfLine('requirepass "open', 'line 3'), /line 3: unbalanced quotes/);
  });

  it('reads a redis.conf-style file with flags and node settings, validated like flags', () => {
    const path = write('node.conf', '# a node\n\ntick-ms 40\nmaxmemory 10mb\ntls-protocols "TLSv1.2 TLSv1.3"\nslowlog-log-slower-than 2500\nhash-max-ziplist-entries 64\n');
    const config = loadConfig(['--config', path, '--id', 'n1', '--slowlog-max-len', '7'], {});
    assert.equal(config.tickMs, 40);
    assert.equal(config.maxmemoryBytes, 10 * 1024 * 1024);
    assert.equal(config.configFile, path);
    assert.deepEqual(config.nodeSettings, [['slowlog-log-slower-than', '2500'], ['hash-max-listpack-entries', '64'], ['slowlog-max-len', '7']]);
    const bad = write('bad.conf', 'tick-ms 40\nslowlog-max-len -3\n');
    assert.throws(() => loadConfig(['--config', bad], {}), (error: Error) => error instanceof ConfigError && /bad\.conf line 2 "slowlog-max-len": argument must be between 0 and/.test(error.message));
    const unknown = write('unknown.conf', '# fine\nno-such-thing 1\n');
    assert.throws(() => loadConfig(['--config', unknown], {}), /unknown\.conf line 2: unknown setting "no-such-thing"/);
    const words = write('words.conf', 'tls-protocols TLSv1.2 TLSv1.3\n');
    assert.throws(() => loadConfig(['--config', words], {}), /words\.conf line 1: expected "name value", got 3 words/);
  });

  it('rewrites a conf file in place, keeping comments and unknown lines, appending after the signature', () => {
    const before = '# my node\nslowlog-log-slower-than 100   # old\n\n# keep me\nsome-future-setting yes\nSLOWLOG-LOG-SLOWER-THAN 200\nlatency-monitor-threshold 0\n';
    const after = rewrittenConfig(before, [
      setting(['slowlog-log-slower-than'], '5000'),
      setting(['latency-monitor-threshold'], '0', true),
      setting(['slowlog-max-len'], '64'),
      setting(['maxmemory-policy', 'maxmemoryPolicy'], 'noeviction', true),
      setting(['notify-keyspace-events', 'notifyKeyspaceEvents'], 'KEA'),
    ]);
    assert.equal(after, `# my node\nslowlog-log-slower-than 5000\n\n# keep me\nsome-future-setting yes\nlatency-monitor-threshold 0\n${REWRITE_SIGNATURE}\nslowlog-max-len 64\nnotify-keyspace-events KEA\n`);
    assert.equal(rewrittenConfig(after, [setting(['slowlog-max-len'], '65'), setting(['notify-keyspace-events'], '')]),
      after.replace('slowlog-max-len 64', 'slowlog-max-len 65').replace('notify-keyspace-events KEA', 'notify-keyspace-events ""'), 'a second rewrite adds no second signature');
  });

  it('rewrites a JSON file, keeping its other keys', () => {
    const after = rewrittenConfig('{"tickMs": 40, "maxmemoryBytes": "1mb"}', [setting(['maxmemory', 'maxmemoryBytes'], '2097152'), setting(['slowlog-max-len'], '9'), setting(['slowlog-log-slower-than'], '10000', true)]);
    assert.deepEqual(JSON.parse(after), { tickMs: 40, maxmemoryBytes: '2097152', 'slowlog-max-len': '9' });
  });
});

describe('CONFIG REWRITE on a 3-node cluster', () => {
  let cluster: TestCluster;
  let file: string;

  before(async () => {
    const root = mkdtempSync(join(tmpdir(), 'raftis-rewrite-'));
    file = join(root, 'n1.conf');
    writeFileSync(file, '# n1, written by hand\nslowlog-log-slower-than 100\n');
    cluster = await TestCluster.start({ nodes: 3, nodeArgs: (id) => (id === 'n1' ? ['--config', file] : []) });
    await cluster.waitForLeader();
  });
  after(async () => {
    await cluster.stop();
  });

  it('writes the node settings and the flagged replicated ones into the file, and a restart keeps them', async () => {
    assert.equal(await cluster.call('n1', ['CONFIG', 'SET', 'slowlog-log-slower-than', '5000', 'slowlog-max-len', '33', 'maxmemory', '64mb']), 'OK');
    assert.equal(await cluster.call('n1', ['CONFIG', 'REWRITE']), 'OK');
    assert.equal(readFileSync(file, 'utf8'), `# n1, written by hand\nslowlog-log-slower-than 5000\n${REWRITE_SIGNATURE}\nslowlog-max-len 33\nmaxmemory 67108864\n`);
    await cluster.restart('n1');
    assert.deepEqual(await cluster.call('n1', ['CONFIG', 'GET', 'slowlog-*']), ['slowlog-log-slower-than', '5000', 'slowlog-max-len', '33']);
  });

  it('answers as Redis does on a node started without a config file', async () => {
    const reply = await cluster.call('n2', ['CONFIG', 'REWRITE']);
    assert.ok(reply instanceof Error);
    assert.equal(reply.message, 'ERR The server is running without a config file');
  });
});
