// Keyspace notifications in the state machine: notify-keyspace-events letters read and printed
// as Redis does, and the events of applied writes in Redis's order and names: the command's
// event, new keys, emptied collections, expirations found on the way, EXPIRE in the past,
// RENAME's two keys, and writes made by scripts.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.js';
import { formatNotifyFlags, parseNotifyFlags } from '../../src/kv/keyspace-events.js';

/** A harness with `flags` on, recording each delivered message as "channel payload". */
function recording(flags: string): { h: Harness; events: string[] } {
  const h = new Harness();
  const events: string[] = [];
  h.kv.events.sink = (channel, payload) => events.push(`${Buffer.from(channel).toString('latin1')} ${Buffer.from(payload).toString('latin1')}`);
  assert.deepEqual(h.apply('RAFTIS.CONFIG', 'notify-keyspace-events', flags), { kind: 'simple', value: 'OK' });
  return { h, events };
}

describe('keyspace events', () => {
  it('reads and prints the class letters as Redis does', () => {
    for (const [given, printed] of [['KA', 'AK'], ['EA', 'AE'], ['gKE', 'gKE'], ['$lshzxeKE', '$lshzxeKE'], ['KEA', 'AKE'], ['', ''], ['Kn', 'Kn']]) {
      assert.equal(formatNotifyFlags(parseNotifyFlags(given as string) ?? -1), printed, given);
    }
    assert.equal(parseNotifyFlags('KQ'), null);
  });

  it('names each write\'s events, with new and del around them', () => {
    const { h, events } = recording('KEA');
    h.apply('SET', 'k', 'v', 'EX', '100');
    h.apply('LPUSH', 'l', 'a');
    h.apply('RPOP', 'l');
    h.apply('SREM', 'nokey', 'x');
    h.apply('RENAME', 'k', 'k2');
    h.apply('EXPIRE', 'k2', '-1');
    assert.deepEqual(events, [
      '__keyspace@0__:k set', '__keyevent@0__:set k', '__keyspace@0__:k expire', '__keyevent@0__:expire k',
      '__keyspace@0__:l lpush', '__keyevent@0__:lpush l',
      '__keyspace@0__:l rpop', '__keyevent@0__:rpop l', '__keyspace@0__:l del', '__keyevent@0__:del l',
      '__keyspace@0__:k rename_from', '__keyevent@0__:rename_from k', '__keyspace@0__:k2 rename_to', '__keyevent@0__:rename_to k2',
      '__keyspace@0__:k2 del', '__keyevent@0__:del k2',
    ]);
  });

  it('reports a key found expired by a write, then new, and only the classes asked for', () => {
    const { h, events } = recording('Exn$');
    h.apply('SET', 'k', 'v', 'PX', '10');
    h.advance(20);
    h.apply('SET', 'k', 'w');
    assert.deepEqual(events, ['__keyevent@0__:new k', '__keyevent@0__:set k', '__keyevent@0__:expired k', '__keyevent@0__:new k', '__keyevent@0__:set k']);
  });

  it('reports no expiry for an expired key a write names but leaves in place', () => {
    const { h, events } = recording('Ex');
    h.apply('SET', 'due', 'v', 'PX', '10');
    h.advance(20);
    // The script makes no call: its declared key is never looked up, so nothing removes it.
    assert.deepEqual(h.apply('EVAL', 'return 1', '1', 'due'), { kind: 'integer', value: 1 });
    assert.deepEqual(events, []);
    assert.equal(h.kv.stats().expiredKeys, 0);
    h.apply('SET', 'due', 'w');
    assert.deepEqual(events, ['__keyevent@0__:expired due']);
  });

  it('reports the writes of a script like any other write', () => {
    const { h, events } = recording('K$gn');
    h.apply('EVAL', "redis.call('SET', KEYS[1], 'v') redis.call('DEL', KEYS[1]) return 1", '1', 'fromscript');
    // Each command's events once: the script reports none of its own on top.
    assert.deepEqual(events, ['__keyspace@0__:fromscript new', '__keyspace@0__:fromscript set', '__keyspace@0__:fromscript del']);
  });
});
