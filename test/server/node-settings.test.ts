// CONFIG SET and GET of the encoding thresholds (zset-max-ziplist-entries, ...): accepted with
// Redis's checks and texts, shown under both names, and nothing else.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EncodingSettings } from '../../src/server/encoding-config.js';

test('a threshold set under one name shows under both', () => {
  const settings = new EncodingSettings();
  assert.deepEqual(settings.set(['zset-max-ziplist-entries', '0', 'ZSET-MAX-LISTPACK-VALUE', '7']), { kind: 'simple', value: 'OK' });
  const values = new Map(settings.entries());
  assert.equal(values.get('zset-max-listpack-entries'), '0');
  assert.equal(values.get('zset-max-ziplist-entries'), '0');
  assert.equal(values.get('zset-max-ziplist-value'), '7');
  assert.equal(values.get('list-max-ziplist-size'), '-2');
});

test('bad values are refused with Redis texts and change nothing; other settings are not ours', () => {
  const settings = new EncodingSettings();
  assert.deepEqual(settings.set(['zset-max-ziplist-entries', '5', 'hash-max-ziplist-entries', 'abc']), {
    kind: 'error', message: "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - argument couldn't be parsed into an integer",
  });
  assert.deepEqual(settings.set(['zset-max-ziplist-entries', '-1']), {
    kind: 'error', message: "ERR CONFIG SET failed (possibly related to argument 'zset-max-ziplist-entries') - argument must be between 0 and 9223372036854775807 inclusive",
  });
  assert.equal(new Map(settings.entries()).get('zset-max-ziplist-entries'), '128');
  assert.equal(settings.set(['zset-max-ziplist-entries', '5', 'maxmemory', '10']), undefined);
  assert.equal(new Map(settings.entries()).get('zset-max-ziplist-entries'), '128');
});
