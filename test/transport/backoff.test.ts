// Reconnect backoff: exponential growth, clamped, jittered by the injected source.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../src/transport/backoff.js';
import { seededRandom } from '../../src/transport/fault-injector.js';

describe('Backoff', () => {
  it('doubles from the minimum up to the maximum, with half of each wait jittered', () => {
    const low = new Backoff({ minMs: 10, maxMs: 100, random: () => 0 });
    assert.deepStrictEqual(Array.from({ length: 6 }, () => low.nextDelayMs()), [5, 10, 20, 40, 50, 50]);
    const high = new Backoff({ minMs: 10, maxMs: 100, random: () => 0.999999 });
    assert.deepStrictEqual(Array.from({ length: 6 }, () => high.nextDelayMs()), [10, 20, 40, 80, 100, 100]);
  });

  it('starts over after reset()', () => {
    const backoff = new Backoff({ minMs: 10, maxMs: 1000, random: () => 0 });
    backoff.nextDelayMs();
    backoff.nextDelayMs();
    backoff.reset();
    assert.equal(backoff.nextDelayMs(), 5);
  });

  it('rejects a maximum below the minimum', () => {
    assert.throws(() => new Backoff({ minMs: 10, maxMs: 5, random: () => 0 }), /invalid reconnectBackoffMaxMs 5/);
  });
});

describe('seededRandom', () => {
  it('is repeatable from its seed and stays in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const values = Array.from({ length: 1000 }, () => a());
    assert.deepStrictEqual(values, Array.from({ length: 1000 }, () => b()));
    assert.ok(values.every((v) => v >= 0 && v < 1));
    assert.notDeepStrictEqual(values.slice(0, 10), Array.from({ length: 10 }, seededRandom(8)));
  });
});
