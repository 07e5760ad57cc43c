// Every decoder that reads bytes from outside, fuzzed briefly and repeatably in the default
// run: a fixed seed, the stored regression inputs (test/fuzz/corpus/<target>/), then a few
// hundred coverage-guided mutations. Long runs: scripts/fuzz.ts (docs/testing.md).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fuzz } from './coverage-fuzzer.js';
import { FUZZ_TARGETS } from './targets.js';
import { CORPUS_DIR, storedInputs } from './corpus.js';
import { decodeMembership } from '../../src/server/log-store.js';
import { decodeSnapshotHeader } from '../../src/node/raft-node.js';
import { SchemaError } from '../../src/base/schema.js';

const SEED = 19;
const RUNS = Number(process.env['RAFTIS_FUZZ_DECODER_RUNS'] ?? 200);

describe('decoders under coverage-guided fuzzing', () => {
  for (const target of FUZZ_TARGETS) {
    it(`${target.name}: every input gives a clear error or a valid result`, () => {
      const stored = storedInputs(join(CORPUS_DIR, target.name));
      // Generous limits: the machine is shared with other tests; a real hang or blow-up is far beyond them.
      const report = fuzz(target, { seed: SEED, runs: RUNS, extraInputs: stored, hangMs: 10_000, allocationBytesMax: 256 * 1024 * 1024 });
      const [first] = report.findings;
      assert.equal(first, undefined, first === undefined ? '' : `${first.problem}\ninput (hex): ${Buffer.from(first.input).toString('hex').slice(0, 400)}`);
      assert.ok(report.blocksReached > 10, `${target.name} reached only ${report.blocksReached} blocks: is the target wired to its decoder?`);
    });
  }
});

describe('JSON from disk and peers is checked against its schema', () => {
  it('membership names the field that is wrong', () => {
    const bad = (json: string): string => {
      try {
        decodeMembership(Buffer.from(json));
      } catch (error) {
        assert.ok(error instanceof SchemaError, String(error));
        return error.message;
      }
      return 'accepted';
    };
    assert.equal(bad('{"voters":"n1","learners":[]}'), 'snapshot membership: voters: expected an array of at most 65535 items, got the string "n1"');
    assert.equal(bad('{"voters":["n1"],"learners":[],"members":[{"id":"n1","client":"127.0.0.1:7000"}]}'), 'snapshot membership: members[0].peer: expected a non-empty string of at most 1024 characters, got undefined');
    assert.equal(bad('{"voters":["n1"],"learners":[],"members":[{"id":"n1","peer":"h:70000","client":"h:1"}]}'), 'snapshot membership: members[0].peer: expected host:port with a port in 0..65535, got the string "h:70000"');
    assert.match(bad('{"voters":'), /^snapshot membership: not JSON/);
    assert.equal(bad('{"voters":["n1"],"learners":[],"members":[{"id":"n1","peer":"h:1","client":"h:2","promote":true}]}'), 'accepted');
  });

  it('a snapshot header from a peer is refused with the field named', () => {
    assert.throws(() => decodeSnapshotHeader(Buffer.from('{"from":"n1","to":"n2","term":3,"snapshot":{"index":10,"term":2}}')), {
      name: 'SchemaError', message: 'snapshot header: snapshot.confState: expected an object, got undefined',
    });
    assert.throws(() => decodeSnapshotHeader(Buffer.from('{"from":"n1","to":"n2","term":-1,"snapshot":{"index":10,"term":2,"confState":{"voters":[],"learners":[]}}}')), {
      name: 'SchemaError', message: 'snapshot header: term: expected an integer in [0, 9007199254740991], got number -1',
    });
  });
});
