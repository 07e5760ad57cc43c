// The binary form of ConfChange and the single-server change rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyConfChange, confChangeProblem, decodeConfChange, encodeConfChange } from '../../src/raft/conf-change.js';
import { ConfChangeType, nodeId, type ConfChange, type ConfState } from '../../src/raft/types.js';

const arbConfChange = fc.record({
  type: fc.constantFrom(ConfChangeType.AddVoter, ConfChangeType.AddLearner, ConfChangeType.RemoveNode, ConfChangeType.PromoteLearner, ConfChangeType.UpdateNode),
  nodeId: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map(nodeId),
  context: fc.uint8Array({ maxLength: 300 }),
});

test('encodeConfChange / decodeConfChange round-trip (property)', () => {
  fc.assert(fc.property(arbConfChange, (cc: ConfChange) => {
    const decoded = decodeConfChange(encodeConfChange(cc));
    assert.ok(decoded.ok);
    assert.equal(decoded.value.type, cc.type);
    assert.equal(decoded.value.nodeId, cc.nodeId);
    assert.deepEqual([...decoded.value.context], [...cc.context]);
  }), { numRuns: 500 });
});

test('decodeConfChange returns an error for every truncation and for trailing bytes', () => {
  const bytes = encodeConfChange({ type: ConfChangeType.AddVoter, nodeId: nodeId('n4'), context: new Uint8Array([1, 2, 3]) });
  for (let n = 0; n < bytes.length; n++) assert.equal(decodeConfChange(bytes.subarray(0, n)).ok, false, `prefix ${n}`);
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  assert.equal(decodeConfChange(longer).ok, false);
  const badVersion = bytes.slice();
  badVersion[0] = 9;
  assert.deepEqual(decodeConfChange(badVersion), { ok: false, error: 'conf change version 9, expected 1' });
});

test('decodeConfChange never throws on arbitrary bytes (property)', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
    decodeConfChange(b);
  }));
});

test('applyConfChange and confChangeProblem follow the single-server rules', () => {
  const cs: ConfState = { voters: [nodeId('a'), nodeId('b')], learners: [nodeId('l')] };
  const cc = (type: ConfChangeType, id: string): ConfChange => ({ type, nodeId: nodeId(id), context: new Uint8Array() });
  assert.deepEqual(applyConfChange(cs, cc(ConfChangeType.AddVoter, 'c')).voters, ['a', 'b', 'c']);
  assert.deepEqual(applyConfChange(cs, cc(ConfChangeType.AddLearner, 'm')).learners, ['l', 'm']);
  assert.deepEqual(applyConfChange(cs, cc(ConfChangeType.PromoteLearner, 'l')), { voters: ['a', 'b', 'l'], learners: [] });
  assert.deepEqual(applyConfChange(cs, cc(ConfChangeType.RemoveNode, 'a')), { voters: ['b'], learners: ['l'] });
  assert.equal(applyConfChange(cs, cc(ConfChangeType.AddVoter, 'a')), cs);
  assert.equal(confChangeProblem(cs, cc(ConfChangeType.AddVoter, 'a')), 'a is already a member');
  assert.equal(confChangeProblem(cs, cc(ConfChangeType.PromoteLearner, 'a')), 'a is not a learner');
  assert.equal(confChangeProblem(cs, cc(ConfChangeType.RemoveNode, 'z')), 'z is not a member');
  assert.equal(confChangeProblem({ voters: [nodeId('a')], learners: [] }, cc(ConfChangeType.RemoveNode, 'a')), 'cannot remove the last voter a');
  assert.equal(confChangeProblem(cs, cc(ConfChangeType.AddVoter, 'c')), null);
});

test('UpdateNode changes only the context: voters and learners stay, and it applies only to members', () => {
  const cs: ConfState = { voters: [nodeId('a'), nodeId('b')], learners: [nodeId('l')] };
  const update = (id: string): ConfChange => ({ type: ConfChangeType.UpdateNode, nodeId: nodeId(id), context: new Uint8Array([7]) });
  assert.deepEqual(applyConfChange(cs, update('a')), cs);
  assert.deepEqual(applyConfChange(cs, update('l')), cs);
  assert.deepEqual(applyConfChange(cs, update('z')), cs);
  assert.equal(confChangeProblem(cs, update('a')), null);
  assert.equal(confChangeProblem(cs, update('l')), null);
  assert.equal(confChangeProblem(cs, update('z')), 'z is not a member');
  const bytes = encodeConfChange(update('a'));
  assert.equal(bytes[1], 4, 'UpdateNode is type 4 on disk');
  const unknown = bytes.slice();
  unknown[1] = 5;
  assert.deepEqual(decodeConfChange(unknown), { ok: false, error: 'unknown conf change type 5' });
});
