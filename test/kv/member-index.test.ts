// The member index against a naive model (an array and a Map): random adds and removes,
// enough members that segments double, split and shrink many times, then every position
// and membership compared; clones are independent; a million members leave every segment
// within its bound, so an add never rehashes more than one bounded segment (the bounded
// growth that a JavaScript Map lacks).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemberIndex, removeParallel, seedMemberHashes, segmentSlotsMax } from '../../src/kv/member-index.js';

// As a server does at start-up, before any index exists: every test below runs on a seeded hash.
seedMemberHashes(0x5eed1234);

/** The model: positions as MemberIndex defines them (the last member fills a removed one's place). */
class Model {
  readonly members: string[] = [];
  readonly positions = new Map<string, number>();

  add(member: string): number {
    if (this.positions.has(member)) return -1;
    this.positions.set(member, this.members.length);
    this.members.push(member);
    return this.members.length - 1;
  }

  remove(member: string): number {
    const position = this.positions.get(member);
    if (position === undefined) return -1;
    this.positions.delete(member);
    removeParallel(this.members, position);
    if (position < this.members.length) this.positions.set(this.members[position]!, position);
    return position;
  }
}

function checkAgainst(index: MemberIndex, model: Model, absent: readonly string[]): void {
  assert.equal(index.size, model.members.length);
  assert.deepEqual([...index.values()], model.members);
  for (let position = 0; position < model.members.length; position++) {
    assert.equal(index.positionOf(model.members[position]!), position);
  }
  for (const member of absent) {
    if (!model.positions.has(member)) assert.equal(index.has(member), false, member);
  }
}

/** A small deterministic generator (xorshift32), so a failure replays. */
function random(seed: number): () => number {
  let state = seed || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

for (const packed of [false, true]) {
  test(`200k adds and removes across many segment splits and shrinks match the model (${packed ? 'packed' : 'plain'} members)`, () => {
    const next = random(15);
    const index = MemberIndex.empty(packed);
    const model = new Model();
    const member = (i: number): string => `m${i}:${'x'.repeat(i % 17)}`;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 50_000; i++) {
        const candidate = member(Math.floor(next() * 120_000));
        if (next() < 0.7) assert.equal(index.add(candidate), model.add(candidate));
        else assert.equal(index.remove(candidate), model.remove(candidate));
      }
      checkAgainst(index, model, Array.from({ length: 2000 }, (_, i) => member(i)));
    }
    // Empty it through removeAt from random positions: shrinks every segment and the hash column.
    while (model.members.length > 0) {
      const position = Math.floor(next() * model.members.length);
      const expected = model.members[position]!;
      assert.equal(index.removeAt(position), expected);
      model.remove(expected);
    }
    checkAgainst(index, model, [member(1), member(2)]);
    assert.equal(index.add('again'), 0);
  });
}

for (const packed of [false, true]) {
  test(`binary members (every byte value, empty, long) are distinct by bytes (${packed ? 'packed' : 'plain'} members)`, () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 40 })), { maxLength: 300 }), (steps) => {
      const index = MemberIndex.empty(packed);
      const model = new Model();
      for (const [adding, bytes] of steps) {
        const member = Buffer.from(bytes).toString('latin1');
        assert.equal(adding ? index.add(member) : index.remove(member), adding ? model.add(member) : model.remove(member));
      }
      checkAgainst(index, model, steps.map(([, bytes]) => Buffer.from(bytes).toString('latin1')));
    }));
  });
}

test('a seed set after indexes exist is ignored: their members stay found', () => {
  const index = MemberIndex.empty(true);
  for (let i = 0; i < 20_000; i++) index.add(`s${i}`);
  seedMemberHashes(0x0badf00d);
  for (let i = 0; i < 20_000; i += 997) assert.equal(index.positionOf(`s${i}`), i);
  assert.equal(MemberIndex.empty(true).add('s1'), 0);
});

for (const packed of [false, true]) {
  test(`a clone is independent of the original in both directions (${packed ? 'packed' : 'plain'} members)`, () => {
    const index = MemberIndex.empty(packed);
    for (let i = 0; i < 30_000; i++) index.add(`a${i}`);
    const copy = index.clone();
    for (let i = 0; i < 30_000; i += 2) index.remove(`a${i}`);
    for (let i = 0; i < 20_000; i++) copy.add(`b${i}`);
    assert.equal(index.size, 15_000);
    assert.equal(copy.size, 50_000);
    assert.equal(index.has('a0'), false);
    assert.equal(copy.has('a0'), true);
    assert.equal(index.has('b0'), false);
    assert.equal(copy.positionOf('b19999'), 49_999);
    assert.equal(index.positionOf('a1'), 1);
  });
}

test('growing to 1M members keeps every segment within the bound, so no add rehashes more than one bounded segment', () => {
  const index = MemberIndex.empty(true);
  for (let i = 0; i < 1 << 20; i++) index.add(`member:${i}`);
  assert.equal(index.size, 1 << 20);
  assert.ok(index.largestSegmentSlots() <= segmentSlotsMax, `largest segment ${index.largestSegmentSlots()} slots`);
  assert.equal(index.positionOf('member:123456'), 123_456);
});
