// One big collection in-process, without Raft or sockets: the V8 heap bytes per element of a
// hash, list, set or sorted set of N elements of 10–100 bytes (bench/collection-data.ts),
// filled through KvStateMachine.apply with the type's write command in batches of 1000, the
// CPU time of the applies (process.cpuUsage: on a shared machine, less noisy than wall time)
// and of the worst single apply (a growing index rehashing shows there; so does a garbage
// collection that falls into it). Prints one JSON line:
//   node --expose-gc --import tsx bench/collection-heap.ts --type hash [--elements N] [--src DIR]
// --src points at another checkout's src/ (default: this one's) for A/B runs.

import { parseArgs } from 'node:util';
import { COLLECTION_TYPES, dataBytes, fillCommand, type CollectionType } from './collection-data.js';
import { TIME_MS, collectedHeapBytes as collect, loadSource } from './in-process.js';

const BATCH = 1000;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { type: { type: 'string', default: 'hash' }, elements: { type: 'string', default: '1000000' }, src: { type: 'string', default: 'src' } } });
  const type = values.type as CollectionType;
  if (!COLLECTION_TYPES.includes(type)) throw new Error(`--type must be one of ${COLLECTION_TYPES.join(', ')}`);
  const elements = Number(values.elements);
  const { src, machine, entry: encode } = await loadSource(values.src);
  let data = 0;
  for (let i = 0; i < elements; i++) data += dataBytes(type, i);
  const heapBefore = collect();
  let worstApplyMs = 0;
  let totalMs = 0;
  let index = 0;
  for (let from = 0; from < elements; from += BATCH) {
    const argv = fillCommand(type, 'big', from, Math.min(BATCH, elements - from)).map((arg) => Buffer.from(arg, 'latin1'));
    const entry = encode(argv);
    const start = process.cpuUsage();
    machine.apply(++index, entry);
    const used = process.cpuUsage(start);
    const ms = (used.user + used.system) / 1000;
    totalMs += ms;
    worstApplyMs = Math.max(worstApplyMs, ms);
  }
  const heapAfter = collect();
  // Read after measuring: keeps the machine (and the collection) reachable until here.
  const length = machine.read([Buffer.from({ hash: 'HLEN', list: 'LLEN', set: 'SCARD', zset: 'ZCARD' }[type]), Buffer.from('big')], TIME_MS);
  process.stdout.write(`${JSON.stringify({
    src, type, elements, length, dataBytesPerElement: +(data / elements).toFixed(1),
    heapBytesPerElement: Math.round((heapAfter - heapBefore) / elements),
    applyCpuMs: Math.round(totalMs), worstApplyCpuMs: +worstApplyMs.toFixed(1),
  })}\n`);
}

await main();
