// The stream history checker (src/check/check-stream.ts) on small histories: a valid one
// passes with its counts, and each violation it exists for is caught and named.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkStreamHistory, compareStreamIds, type StreamAdd, type StreamEntry, type StreamHistory } from '../../src/check/index.js';

const add = (value: string, call: number, ret: number | null, id: string | null, outcome: StreamAdd['outcome'] = 'ok'): StreamAdd => ({ process: 0, key: 's', value, call, outcome, ret, id });
const stream: StreamEntry[] = [['5-0', 'a'], ['5-1', 'b'], ['9-0', 'c'], ['12-0', 'd']];

/** A valid history: four acknowledged XADDs, a refused one, an unknown one that was not applied, reads, deliveries, acknowledgements. */
function valid(): StreamHistory {
  return {
    adds: [add('a', 0, 1, '5-0'), add('b', 2, 3, '5-1'), add('x', 2, 4, null, 'fail'), add('c', 4, 6, '9-0'), add('d', 5, 8, '12-0'), add('u', 5, null, null, 'info')],
    reads: [{ process: 1, key: 's', call: 4, ret: 5, entries: [['5-1', 'b'], ['5-0', 'a']] }, { process: 1, key: 's', call: 9, ret: 9, entries: [['12-0', 'd'], ['9-0', 'c']] }],
    deliveries: [...stream.map((entry) => ({ key: 's', consumer: 'c1', entry, claimed: false })), { key: 's', consumer: 'c2', entry: ['9-0', 'c'] as const, claimed: true }],
    acknowledged: new Map([['s', ['5-0', '5-1']]]),
    pending: new Map([['s', new Map([['n1', ['9-0']], ['n2', ['9-0']]])]]),
    finals: new Map([['s', new Map([['n1', stream], ['n2', stream]])]]),
    drained: true,
  };
}

function problemsOf(history: StreamHistory, freshReads = true): string[] {
  return checkStreamHistory(history, freshReads).problems.map((line) => line.split(':')[0] as string);
}

test('IDs compare as two unsigned 64-bit parts', () => {
  assert.equal(compareStreamIds('9-0', '10-0'), -1);
  assert.equal(compareStreamIds('18446744073709551615-1', '18446744073709551615-0'), 1);
  assert.equal(compareStreamIds('3-3', '3-3'), 0);
});

test('a valid history passes, with its counts', () => {
  const result = checkStreamHistory(valid());
  assert.deepEqual(result.problems, []);
  assert.deepEqual(result.counts, {
    adds: { ok: 4, fail: 1, info: 1 }, entries: 4, reads: 2, deliveries: 5, redeliveries: 1, claimed: 1, acknowledged: 2, undelivered: 0, staleReads: 0,
  });
});

test('each violation is caught and named', () => {
  const cases: [string, (h: StreamHistory) => StreamHistory][] = [
    ['acknowledged XADD lost', (h) => ({ ...h, finals: new Map([['s', new Map([['n1', stream.slice(0, 3)], ['n2', stream.slice(0, 3)]])]]) })],
    ['nodes differ', (h) => ({ ...h, finals: new Map([['s', new Map([['n1', stream], ['n2', stream.slice(0, 3)]])]]) })],
    ['IDs not increasing', (h) => ({ ...h, finals: new Map([['s', new Map([['n1', [stream[0], stream[2], stream[1], stream[3]] as StreamEntry[]]])]]) })],
    ['duplicate entry', (h) => ({ ...h, finals: new Map([['s', new Map([['n1', [...stream, ['13-0', 'd']] as StreamEntry[]]])]]) })],
    ['refused XADD applied', (h) => ({ ...h, finals: new Map([['s', new Map([['n1', [...stream, ['13-0', 'x']] as StreamEntry[]]])]]) })],
    ['entry never sent', (h) => ({ ...h, finals: new Map([['s', new Map([['n1', [...stream, ['13-0', 'zz']] as StreamEntry[]]])]]) })],
    ['acknowledged XADD moved', (h) => ({ ...h, adds: h.adds.map((a) => (a.value === 'c' ? { ...a, id: '9-1' } : a)) })],
    // e is sent after d was acknowledged at 12-0, and answered a lower ID.
    ['ID went back', (h) => ({ ...h, adds: [...h.adds, add('e', 10, 11, '11-0')], finals: new Map([['s', new Map([['n1', [...stream, ['11-0', 'e']] as StreamEntry[]]])]]) })],
    ['stale read', (h) => ({ ...h, reads: [{ process: 1, key: 's', call: 9, ret: 9, entries: [['9-0', 'c']] }] })],
    ['read not a run of the stream', (h) => ({ ...h, reads: [{ process: 1, key: 's', call: 9, ret: 9, entries: [['12-0', 'd'], ['5-1', 'b']] }] })],
    ['delivered entry not in the stream', (h) => ({ ...h, deliveries: [...h.deliveries, { key: 's', consumer: 'c3', entry: ['9-0', 'other'], claimed: false }] })],
    ['entry never delivered', (h) => ({ ...h, deliveries: h.deliveries.filter((d) => d.entry[0] !== '12-0') })],
    ['acknowledged entry pending', (h) => ({ ...h, acknowledged: new Map([['s', ['5-0', '9-0']]]) })],
    ['pending lists differ', (h) => ({ ...h, pending: new Map([['s', new Map([['n1', ['9-0']], ['n2', []]])]]) })],
  ];
  for (const [name, breakIt] of cases) {
    const history = breakIt(valid());
    assert.ok(problemsOf(history).includes(name), `${name}: ${JSON.stringify(checkStreamHistory(history).problems)}`);
  }
});

test('stale reads are counted, not failed, when fresh reads are not required; an incomplete drain reports undelivered entries', () => {
  const stale = { ...valid(), reads: [{ process: 1, key: 's', call: 9, ret: 9, entries: [['9-0', 'c']] as StreamEntry[] }] };
  const result = checkStreamHistory(stale, false);
  assert.deepEqual(result.problems, []);
  assert.equal(result.counts.staleReads, 1);
  const undrained = { ...valid(), drained: false, deliveries: valid().deliveries.filter((d) => d.entry[0] !== '12-0') };
  const drainResult = checkStreamHistory(undrained);
  assert.deepEqual(drainResult.problems, []);
  assert.equal(drainResult.counts.undelivered, 1);
});
