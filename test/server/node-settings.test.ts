// The node's runtime settings (CONFIG SET on the node asked): Redis's checks and texts,
// aliases shown under every name, all pairs or none.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeSettings } from '../../src/server/node-settings.js';

test('a threshold set under one name shows under both', () => {
  const settings = new NodeSettings();
  const pairs = ['zset-max-ziplist-entries', '0', 'ZSET-MAX-LISTPACK-VALUE', '7'];
  assert.equal(settings.check(pairs), null);
  settings.set(pairs);
  const values = new Map(settings.entries());
  assert.equal(values.get('zset-max-listpack-entries'), '0');
  assert.equal(values.get('zset-max-ziplist-entries'), '0');
  assert.equal(values.get('zset-max-ziplist-value'), '7');
  assert.equal(values.get('list-max-ziplist-size'), '-2');
  assert.equal(settings.thresholds().zsetEntries, 0);
});

test('bad values are refused with Redis texts; a refused set changes nothing', () => {
  const settings = new NodeSettings();
  assert.deepEqual(settings.check(['zset-max-ziplist-entries', '5', 'hash-max-ziplist-entries', 'abc']), {
    kind: 'error', message: "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - argument couldn't be parsed into an integer",
  });
  assert.deepEqual(settings.check(['zset-max-ziplist-entries', '-1']), {
    kind: 'error', message: "ERR CONFIG SET failed (possibly related to argument 'zset-max-ziplist-entries') - argument must be between 0 and 9223372036854775807 inclusive",
  });
  assert.throws(() => settings.set(['slowlog-max-len', 'x']), /set without check/);
  assert.equal(new Map(settings.entries()).get('zset-max-ziplist-entries'), '128');
  assert.equal(settings.has('maxmemory'), false);
  assert.equal(settings.has('SLOWLOG-LOG-SLOWER-THAN'), true);
});

test('the slow log and latency monitor thresholds start at Redis\'s defaults', () => {
  const settings = new NodeSettings();
  assert.equal(settings.number('slowlog-log-slower-than'), 10_000);
  assert.equal(settings.number('slowlog-max-len'), 128);
  assert.equal(settings.number('latency-monitor-threshold'), 0);
  settings.set(['slowlog-log-slower-than', '-1']);
  assert.equal(settings.number('slowlog-log-slower-than'), -1);
});
