// PFSELFTEST: Redis's self test of the HyperLogLog code, scaled to run within a few hundred
// milliseconds on the node that serves it (it is a read: it touches no key). It checks that
// dense registers keep what is written to them without disturbing their neighbours, that a
// sparse and a dense HLL fed the same elements agree on the count (and that the sparse one
// stays sparse while small), and that the estimate stays within six standard errors.

import type { Reply } from './reply.js';
import { errorReply, okReply } from './replies.js';
import { SeededDraws } from './random-picks.js';
import { countOf, denseGet, denseSet, emptyHll, encodingDense, hllDenseBytes, hllHeaderBytes, hllRegisterCount } from './hyperloglog.js';
import { HllWriter } from './hyperloglog-writer.js';

/** Rounds of random register values written and read back (Redis runs 1000). */
const registerRoundsMax = 16;
/** Elements added in the estimate test (Redis adds 10 million: several seconds of one thread). */
const estimateElementsMax = 100_000;
/** Fixed seed: the test is the same on every run and every node. */
const selfTestSeed = 0x5eed;

function checkRegisters(draws: SeededDraws): Reply | null {
  const registers = new Uint8Array(hllDenseBytes - hllHeaderBytes);
  const expected = new Uint8Array(hllRegisterCount);
  for (let round = 0; round < registerRoundsMax; round++) {
    for (let i = 0; i < hllRegisterCount; i++) {
      expected[i] = draws.below(64);
      denseSet(registers, i, expected[i] as number);
    }
    for (let i = 0; i < hllRegisterCount; i++) {
      const value = denseGet(registers, i);
      if (value !== expected[i]) return errorReply(`TESTFAILED Register ${i} should be ${expected[i]} but is ${value}`);
    }
  }
  return null;
}

function checkEstimates(draws: SeededDraws, sparseMaxBytes: number): Reply | null {
  const emptyDense = Buffer.alloc(hllDenseBytes);
  emptyDense.write('HYLL', 0, 'latin1');
  emptyDense[4] = encodingDense;
  const dense = new HllWriter(emptyDense, sparseMaxBytes);
  const sparse = new HllWriter(emptyHll(), sparseMaxBytes);
  const relativeError = 1.04 / Math.sqrt(hllRegisterCount);
  const salt = draws.below(2 ** 32);
  const element = Buffer.alloc(8);
  let checkpoint = 1;
  for (let j = 1; j <= estimateElementsMax; j++) {
    element.writeUInt32LE((j ^ salt) >>> 0, 0);
    element.writeUInt32LE(Math.floor(j / 2 ** 32), 4);
    dense.add(element);
    sparse.add(element);
    if (j !== checkpoint) continue;
    if (j < sparseMaxBytes / 2 && sparse.isDense) return errorReply('TESTFAILED sparse encoding not used');
    const count = countOf(dense.value());
    if (count !== countOf(sparse.value())) return errorReply('TESTFAILED dense/sparse disagree');
    const error = Math.abs(checkpoint - (count ?? 0));
    // At 10 a collision is likely enough to exceed the bound now and then (Redis allows 1).
    const errorMax = j === 10 ? 1 : Math.ceil(relativeError * 6 * checkpoint);
    if (error > errorMax) return errorReply(`TESTFAILED Too big error. card:${checkpoint} abserr:${error}`);
    checkpoint *= 10;
  }
  return null;
}

export function hllSelfTest(sparseMaxBytes: number): Reply {
  const draws = new SeededDraws(selfTestSeed);
  return checkRegisters(draws) ?? checkEstimates(draws, sparseMaxBytes) ?? okReply;
}
