// One big collection in-process, without Raft or sockets: the V8 heap bytes per element of a
// hash, list, set or sorted set of N elements of 10–100 bytes (bench/collection-data.ts),
// filled through KvStateMachine.apply with the type's write command in batches of 1000, the
// CPU time of the applies (process.cpuUsage: on a shared machine, less noisy than wall time)
// and of the worst single apply (a growing index rehashing shows there; so does a garbage
// collection that falls into it). Prints one JSON line:
//   node --expose-gc --import tsx bench/collection-heap.ts --type hash [--elements N] [--src DIR]
// --src points at another checkout's src/ (default: this one's) for A/B runs.

import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { COLLECTION_TYPES, dataBytes, fillCommand, type CollectionType } from './collection-data.js';

interface StateMachine {
  apply(index: number, data: Uint8Array): unknown;
  read(argv: readonly Uint8Array[], clusterTime: number): unknown;
}

interface KvModule {
  KvStateMachine: new () => StateMachine;
}

interface CodecModule {
  encodeCommand(command: { origin: string; client: number; seq: number; firstUnanswered: number; time: number; argv: readonly Uint8Array[] }): Uint8Array;
}

const BATCH = 1000;
const TIME_MS = 1_700_000_000_000;

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { type: { type: 'string', default: 'hash' }, elements: { type: 'string', default: '1000000' }, src: { type: 'string', default: 'src' } } });
  const type = values.type as CollectionType;
  if (!COLLECTION_TYPES.includes(type)) throw new Error(`--type must be one of ${COLLECTION_TYPES.join(', ')}`);
  const elements = Number(values.elements);
  const src = resolve(values.src);
  const kv = (await import(pathToFileURL(`${src}/kv/state-machine.ts`).href)) as KvModule;
  const codec = (await import(pathToFileURL(`${src}/kv/command-codec.ts`).href)) as CodecModule;
  const machine = new kv.KvStateMachine();
  let data = 0;
  for (let i = 0; i < elements; i++) data += dataBytes(type, i);
  const heapBefore = collect();
  let worstApplyMs = 0;
  let totalMs = 0;
  let index = 0;
  for (let from = 0; from < elements; from += BATCH) {
    const argv = fillCommand(type, 'big', from, Math.min(BATCH, elements - from)).map((arg) => Buffer.from(arg, 'latin1'));
    const entry = codec.encodeCommand({ origin: 'n1', client: 1, seq: 0, firstUnanswered: 0, time: TIME_MS, argv });
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
