import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { infoFields, renderHuman, renderJson, table } from '../../src/cli/ctl-output.js';
import type { RespValue } from '../../src/resp/codec.js';

const bulk = (text: string): RespValue => ({ kind: 'bulk', value: Buffer.from(text) });
const row = (...words: (string | number)[]): RespValue => ({
  kind: 'array',
  value: words.map((word) => (typeof word === 'number' ? { kind: 'integer', value: word } : bulk(word))),
});
/** RAFT.NODES over RESP2: one flat field/value array per member. */
const nodes: RespValue = {
  kind: 'array',
  value: [
    row('id', 'n1', 'role', 'voter', 'leader', 1, 'peer', '127.0.0.1:16379', 'client', '127.0.0.1:6379', 'match', 1042, 'lag', 0),
    row('id', 'n12', 'role', 'learner', 'leader', 0, 'peer', '10.0.0.12:16379', 'client', '10.0.0.12:6379', 'match', 7, 'lag', 1035),
  ],
};

describe('raftis ctl output', () => {
  it('prints rows of fields as a table: upper-case headers, columns as wide as their widest cell', () => {
    assert.equal(renderHuman(nodes), [
      'ID   ROLE     LEADER  PEER             CLIENT          MATCH  LAG',
      'n1   voter    1       127.0.0.1:16379  127.0.0.1:6379  1042   0',
      'n12  learner  0       10.0.0.12:16379  10.0.0.12:6379  7      1035',
    ].join('\n'));
  });

  it('leaves a field a row lacks blank, in the order fields first appear', () => {
    assert.equal(table([[['a', '1']], [['b', '22'], ['a', '333']]]), ['A    B', '1', '333  22'].join('\n'));
  });

  it('prints anything else as redis-cli would: status, integers, nil, errors', () => {
    assert.equal(renderHuman({ kind: 'simple', value: 'OK' }), 'OK');
    assert.equal(renderHuman({ kind: 'integer', value: 3 }), '3');
    assert.equal(renderHuman({ kind: 'bulk', value: null }), '(nil)');
    assert.equal(renderHuman({ kind: 'error', message: 'ERR node n9 is not a member' }), '(error) ERR node n9 is not a member');
    assert.equal(renderHuman(bulk('role:leader\r\nterm:4\r\n')), 'role:leader\r\nterm:4\r\n');
  });

  it('--json: rows of fields become objects, integers numbers, errors an error field', () => {
    assert.deepEqual(JSON.parse(renderJson(nodes)), [
      { id: 'n1', role: 'voter', leader: 1, peer: '127.0.0.1:16379', client: '127.0.0.1:6379', match: 1042, lag: 0 },
      { id: 'n12', role: 'learner', leader: 0, peer: '10.0.0.12:16379', client: '10.0.0.12:6379', match: 7, lag: 1035 },
    ]);
    assert.deepEqual(JSON.parse(renderJson({ kind: 'error', message: 'ERR no' })), { error: 'ERR no' });
    assert.deepEqual(JSON.parse(renderJson({ kind: 'integer', value: 2n ** 70n })), (2n ** 70n).toString());
    assert.deepEqual(JSON.parse(renderJson({ kind: 'simple', value: 'OK' })), 'OK');
  });

  it('--json: INFO-style text becomes an object of its fields; numbers that JSON carries exactly as numbers', () => {
    const text = '# Raft\r\nrole:leader\r\nterm:4\r\ncommit_index:9007199254740993\r\nload:0.25\r\naddress:127.0.0.1:6379\r\n';
    assert.deepEqual(JSON.parse(renderJson(bulk(text))), { role: 'leader', term: 4, commit_index: '9007199254740993', load: 0.25, address: '127.0.0.1:6379' });
    assert.equal(infoFields('not info text'), null);
    assert.deepEqual(JSON.parse(renderJson(bulk('n1'))), 'n1');
  });
});
