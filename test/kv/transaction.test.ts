// MULTI/EXEC as one log entry: the entry round-trips, its commands run together in order,
// a changed watched key (written, deleted, expired) runs none of them, and damaged entries
// are error replies that change nothing.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeTransaction, encodeTransaction, type Transaction } from '../../src/kv/transaction.js';
import { encodeCommand } from '../../src/kv/command-codec.js';
import { Harness, argvOf, plain } from './harness.js';

const text = (bytes: readonly Uint8Array[]): string[] => bytes.map((b) => Buffer.from(b).toString('latin1'));

function exec(h: Harness, watches: Transaction['watches'], ...commands: string[][]): unknown {
  return plain(h.apply(...encodeTransaction({ watches, commands: commands.map((c) => argvOf(c)) })));
}

describe('transaction entries', () => {
  it('round-trip any watches and commands', () => {
    const bytes = fc.uint8Array({ maxLength: 12 });
    fc.assert(fc.property(
      fc.array(fc.record({ key: bytes, version: fc.nat() }), { maxLength: 4 }),
      fc.array(fc.array(bytes, { minLength: 1, maxLength: 5 }), { maxLength: 5 }),
      (watches, commands) => {
        const decoded = decodeTransaction(encodeTransaction({ watches, commands }));
        assert.ok(!(decoded instanceof Error), String(decoded));
        assert.deepEqual(decoded.watches.map((w) => ({ key: Buffer.from(w.key), version: w.version })), watches.map((w) => ({ key: Buffer.from(w.key), version: w.version })));
        assert.deepEqual(decoded.commands.map(text), commands.map(text));
      },
    ));
  });

  it('refuse damaged counts as error values', () => {
    for (const argv of [['RAFTIS.EXEC'], ['RAFTIS.EXEC', 'x'], ['RAFTIS.EXEC', '2', 'k', '1'], ['RAFTIS.EXEC', '0', '3', 'GET', 'k'], ['RAFTIS.EXEC', '0', '0'], ['RAFTIS.EXEC', '1', 'k', '-1']]) {
      assert.ok(decodeTransaction(argvOf(argv)) instanceof Error, argv.join(' '));
    }
  });
});

describe('EXEC in the state machine', () => {
  it('runs every command in order and answers each reply; an error does not stop the rest', () => {
    const h = new Harness();
    h.apply('SET', 's', 'text');
    assert.deepEqual(exec(h, [], ['SET', 'a', '1'], ['INCR', 'a'], ['INCR', 's'], ['APPEND', 'a', 'x'], ['GET', 'a']), [
      'OK', 2, { err: 'ERR value is not an integer or out of range' }, 2, '2x',
    ]);
    assert.equal(plain(h.read('GET', 'a')), '2x');
  });

  it('runs nothing when a watched key was written, deleted or expired since WATCH', () => {
    const h = new Harness();
    h.apply('SET', 'w', '1');
    const seen = h.kv.keyVersion(Buffer.from('w'), h.time);
    assert.ok(seen > 0);
    h.apply('SET', 'w', '1'); // same value: still a write
    assert.equal(exec(h, [{ key: Buffer.from('w'), version: seen }], ['SET', 'out', 'x']), null);
    assert.equal(plain(h.read('GET', 'out')), null, 'nothing ran');

    const current = h.kv.keyVersion(Buffer.from('w'), h.time);
    assert.deepEqual(exec(h, [{ key: Buffer.from('w'), version: current }], ['SET', 'out', 'x']), ['OK'], 'unchanged: it runs');

    h.apply('DEL', 'w');
    assert.equal(exec(h, [{ key: Buffer.from('w'), version: current }], ['SET', 'out', 'y']), null, 'deleted');

    h.apply('SET', 'ttl', 'v', 'PX', '100');
    const beforeExpiry = h.kv.keyVersion(Buffer.from('ttl'), h.time);
    h.advance(101);
    assert.notEqual(h.kv.keyVersion(Buffer.from('ttl'), h.time), beforeExpiry, 'an expired key has another version');
    assert.equal(exec(h, [{ key: Buffer.from('ttl'), version: beforeExpiry }], ['SET', 'out', 'z']), null, 'expired');
    assert.equal(plain(h.read('GET', 'out')), 'x');
  });

  it('an absent watched key that is still absent lets the transaction run', () => {
    const h = new Harness();
    assert.equal(h.kv.keyVersion(Buffer.from('none'), h.time), 0);
    assert.deepEqual(exec(h, [{ key: Buffer.from('none'), version: 0 }], ['SET', 'none', 'created']), ['OK']);
    assert.equal(plain(h.read('GET', 'none')), 'created');
  });

  it('a damaged entry or a nested transaction is an error reply that changes nothing else', () => {
    const h = new Harness();
    assert.match((plain(h.apply('RAFTIS.EXEC', '1')) as { err: string }).err, /transaction entry claims 1 watched keys/);
    const nested = encodeTransaction({ watches: [], commands: [argvOf(['SET', 'inner', '1'])] });
    assert.deepEqual(exec(h, [], ['SET', 'outer', '1'], text(nested)), ['OK', { err: 'ERR transactions cannot be nested' }]);
    assert.equal(plain(h.read('GET', 'inner')), null);
  });
});

describe('WATCH of a key that comes and goes', () => {
  const key = Buffer.from('k');
  const watch = (h: Harness): Transaction['watches'] => [{ key, version: h.kv.keyVersion(key, h.time) }];

  // The chaos finding of 2026-12-06 (docs/testing.md): WATCH saw the key absent, it was set
  // and deleted again before EXEC, and EXEC ran because "absent" had one version for all time.
  it('runs nothing when an absent watched key was created and deleted again', () => {
    const h = new Harness();
    const seen = watch(h);
    h.apply('SET', 'k', 'v');
    h.apply('DEL', 'k');
    assert.equal(exec(h, seen, ['SET', 'k', 'cas']), null);
    assert.equal(plain(h.read('GET', 'k')), null);
  });

  it('runs nothing when an absent watched key was created and expired (removed or not yet)', () => {
    for (const removed of [false, true]) {
      const h = new Harness();
      const seen = watch(h);
      h.apply('SET', 'k', 'v', 'PX', '10');
      h.advance(11);
      if (removed) h.apply('RAFTIS.EXPIRE', 'k');
      assert.equal(exec(h, seen, ['SET', 'k', 'cas']), null, removed ? 'expiry removed it' : 'expired, still stored');
    }
  });

  it('runs nothing when a key deleted before WATCH was created and deleted again, or flushed', () => {
    for (const remove of [['DEL', 'k'], ['FLUSHALL']]) {
      const h = new Harness();
      h.apply('SET', 'k', 'old');
      h.apply('DEL', 'k');
      const seen = watch(h);
      h.apply('SET', 'k', 'v');
      h.apply(...remove);
      assert.equal(exec(h, seen, ['SET', 'k', 'cas']), null, remove.join(' '));
    }
  });

  it('runs when the key stayed absent, also across deletes of other keys and FLUSHALL', () => {
    const h = new Harness();
    h.apply('SET', 'k', 'old');
    h.apply('DEL', 'k');
    const seen = watch(h);
    h.apply('SET', 'other', 'v');
    h.apply('DEL', 'other');
    h.apply('FLUSHALL');
    assert.deepEqual(exec(h, seen, ['SET', 'k', 'cas']), ['OK']);
  });

  it('runs when a key already expired at WATCH is removed meanwhile (no change, as Redis)', () => {
    for (const remove of [['RAFTIS.EXPIRE', 'k'], ['SET', 'other', 'x'], ['FLUSHALL']]) {
      const h = new Harness();
      h.apply('SET', 'k', 'v', 'PX', '10');
      h.advance(11);
      const seen = watch(h);
      h.apply(...remove);
      assert.deepEqual(exec(h, seen, ['SET', 'out', 'x']), ['OK'], remove.join(' '));
    }
  });

  it('runs nothing when a key expired at WATCH is written again', () => {
    const h = new Harness();
    h.apply('SET', 'k', 'v', 'PX', '10');
    h.advance(11);
    const seen = watch(h);
    h.apply('SET', 'k', 'again');
    h.apply('DEL', 'k');
    assert.equal(exec(h, seen, ['SET', 'out', 'x']), null);
  });

  it('an entry of format 2 (before removal versions) applies as that build did: an old log replays alike wherever a replica starts', () => {
    const h = new Harness();
    const applyFormat2 = (args: readonly (string | Uint8Array)[]): unknown => {
      const data = Buffer.from(encodeCommand({ origin: 'n1', client: 0, seq: 0, firstUnanswered: 0, time: h.time, argv: argvOf(args) }));
      data[0] = 2; // the same layout as format 3
      return plain(h.kv.apply(++h.index, data));
    };
    applyFormat2(['SET', 'k', 'v']);
    applyFormat2(['DEL', 'k']);
    assert.equal(h.kv.keyVersion(key, h.time), 0, 'a removal in a format-2 entry leaves no version');
    applyFormat2(['SET', 't', 'v', 'PX', '10']);
    h.advance(11);
    const absentOrExpired = [{ key, version: 0 }, { key: Buffer.from('t'), version: 0 }];
    assert.deepEqual(applyFormat2(encodeTransaction({ watches: absentOrExpired, commands: [argvOf(['SET', 'out', '2'])] })), ['OK'], 'format 2: absent and expired are version 0');
    assert.equal(exec(h, absentOrExpired, ['SET', 'out', '3']), null, 'format 3: an expired key has its own version');
  });
});
