// The membership bytes of a snapshot (log-store.ts): they must carry everything a node that
// learns of the members only from a snapshot needs, addresses, data-directory incarnations
// and promotion flags, and still read files written before incarnations were replicated.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeId } from '../../src/node/consensus.js';
import type { Member } from '../../src/server/identity.js';
import { decodeMembership, encodeMembership } from '../../src/server/log-store.js';

const at = (port: number): { host: string; port: number } => ({ host: '127.0.0.1', port });

describe('snapshot membership bytes', () => {
  it('round-trip the configuration, addresses, incarnations and promotion flags', () => {
    const members = new Map<string, Member>([
      ['n1', { id: 'n1', peer: at(7001), client: at(6001) }],
      ['n4', { id: 'n4', peer: at(7004), client: at(6004), promote: true, incarnation: '5e2cf6021f16d7e2' }],
      ['n5', { id: 'n5', peer: at(7005), client: at(6005), incarnation: 'bb3626aa2893a800' }],
    ]);
    const decoded = decodeMembership(encodeMembership({ voters: ['n1', 'n5'] as NodeId[], learners: ['n4'] as NodeId[] }, members));
    assert.deepEqual(decoded.confState, { voters: ['n1', 'n5'], learners: ['n4'] });
    assert.deepEqual(decoded.members, [...members.values()]);
  });

  it('read a member list written without incarnations or promotion flags', () => {
    const old = Buffer.from(JSON.stringify({ voters: ['n1'], learners: [], members: [{ id: 'n1', peer: '127.0.0.1:7001', client: '127.0.0.1:6001' }] }));
    const decoded = decodeMembership(old);
    assert.deepEqual(decoded.members, [{ id: 'n1', peer: at(7001), client: at(6001) }]);
  });
});
