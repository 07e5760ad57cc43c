// Measures the list-append checker on a large history of a correct store (recorded in
// docs/testing.md; not a test, so no deadline):
//   node --import tsx test/check/list-append-scale.ts [TRANSACTIONS] [PROCESSES]
import { checkListAppend } from '../../src/check/check-list-append.js';
import { correctHistory } from './list-append-helpers.js';

const transactions = Number(process.argv[2] ?? 100_000);
const processes = Number(process.argv[3] ?? 10);
const generated = performance.now();
const history = correctHistory({ transactions, processes, keys: 5, appendsPerKey: 100, seed: 1 });
const checked = performance.now();
const result = checkListAppend(history);
const heapMb = process.memoryUsage().heapUsed / 1e6;
console.log(`${transactions} transactions, ${processes} processes: generated in ${((checked - generated) / 1000).toFixed(2)} s; ` +
  `checked in ${(result.elapsedMs / 1000).toFixed(2)} s: valid ${result.valid}, ${result.keys} keys, ${result.edges} edges, heap ${heapMb.toFixed(0)} MB`);
