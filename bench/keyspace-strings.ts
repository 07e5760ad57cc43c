// The string keyspace in-process, without Raft or sockets: heap bytes per key after loading
// N keys of 100-byte values through KvStateMachine.apply (as committed entries), and the
// apply rate of SET and the read rate of GET, and the pause of a full collection with the keys
// loaded (what a node's idle collection costs, src/server/idle-collection.ts). For A/B runs of the state machine alone:
//   node --expose-gc --import tsx bench/keyspace-strings.ts [--keys N] [--src DIR]
// where --src points at another checkout's src/ (default: this one's), so two builds are
// measured by the same script in one run. Prints one JSON line.

import { parseArgs } from 'node:util';
import { TIME_MS, collectedHeapBytes as collect, loadSource } from './in-process.js';

const VALUE_BYTES = 100;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { keys: { type: 'string', default: '1000000' }, src: { type: 'string', default: 'src' } } });
  const keys = Number(values.keys);
  const { src, machine, entry } = await loadSource(values.src);
  const value = Buffer.alloc(VALUE_BYTES, 'v');
  const set = Buffer.from('SET');
  const keyOf = (i: number): Buffer => Buffer.from(`key:${String(i).padStart(8, '0')}`);
  // Measured before the entries exist: they are dropped before the heap is measured again
  // (measured after them, their million Buffer objects would be subtracted from the keyspace).
  const heapBefore = collect();
  // Encode outside the timed loop: the state machine's own cost is what is compared.
  const entries: Uint8Array[] = [];
  for (let i = 0; i < keys; i++) entries.push(entry([set, keyOf(i), value]));
  const applyStart = process.hrtime.bigint();
  for (let i = 0; i < keys; i++) machine.apply(i + 1, entries[i] as Uint8Array);
  const applySeconds = Number(process.hrtime.bigint() - applyStart) / 1e9;
  entries.length = 0;
  const heapAfter = collect();
  const fullGcStart = process.hrtime.bigint();
  (globalThis as { gc?: () => void }).gc?.();
  const fullGcMs = Number(process.hrtime.bigint() - fullGcStart) / 1e6;
  const get = Buffer.from('GET');
  const readArgv = Array.from({ length: 1000 }, (_, i) => [get, keyOf((i * 7919) % keys)]);
  const reads = keys;
  const readStart = process.hrtime.bigint();
  for (let i = 0; i < reads; i++) machine.read(readArgv[i % readArgv.length] as Uint8Array[], TIME_MS);
  const readSeconds = Number(process.hrtime.bigint() - readStart) / 1e9;
  process.stdout.write(`${JSON.stringify({
    src, keys, heapBytesPerKey: Math.round((heapAfter - heapBefore) / keys),
    setAppliesPerSecond: Math.round(keys / applySeconds), getReadsPerSecond: Math.round(reads / readSeconds),
    fullGcMs: Math.round(fullGcMs),
  })}\n`);
}

await main();
