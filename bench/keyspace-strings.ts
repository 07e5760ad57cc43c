// The string keyspace in-process, without Raft or sockets: heap bytes per key after loading
// N keys of 100-byte values through KvStateMachine.apply (as committed entries), and the
// apply rate of SET and the read rate of GET. For A/B runs of the state machine alone:
//   node --expose-gc --import tsx bench/keyspace-strings.ts [--keys N] [--src DIR]
// where --src points at another checkout's src/ (default: this one's), so two builds are
// measured by the same script in one run. Prints one JSON line.

import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

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

const VALUE_BYTES = 100;
const TIME_MS = 1_700_000_000_000;

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { keys: { type: 'string', default: '1000000' }, src: { type: 'string', default: 'src' } } });
  const keys = Number(values.keys);
  const src = resolve(values.src);
  const kv = (await import(pathToFileURL(`${src}/kv/state-machine.ts`).href)) as KvModule;
  const codec = (await import(pathToFileURL(`${src}/kv/command-codec.ts`).href)) as CodecModule;
  const machine = new kv.KvStateMachine();
  const value = Buffer.alloc(VALUE_BYTES, 'v');
  const set = Buffer.from('SET');
  const keyOf = (i: number): Buffer => Buffer.from(`key:${String(i).padStart(8, '0')}`);
  // Encode outside the timed loop: the state machine's own cost is what is compared.
  const entries: Uint8Array[] = [];
  for (let i = 0; i < keys; i++) entries.push(codec.encodeCommand({ origin: 'n1', client: 1, seq: 0, firstUnanswered: 0, time: TIME_MS, argv: [set, keyOf(i), value] }));
  const heapBefore = collect();
  const applyStart = process.hrtime.bigint();
  for (let i = 0; i < keys; i++) machine.apply(i + 1, entries[i] as Uint8Array);
  const applySeconds = Number(process.hrtime.bigint() - applyStart) / 1e9;
  entries.length = 0;
  const heapAfter = collect();
  const get = Buffer.from('GET');
  const readArgv = Array.from({ length: 1000 }, (_, i) => [get, keyOf((i * 7919) % keys)]);
  const reads = keys;
  const readStart = process.hrtime.bigint();
  for (let i = 0; i < reads; i++) machine.read(readArgv[i % readArgv.length] as Uint8Array[], TIME_MS);
  const readSeconds = Number(process.hrtime.bigint() - readStart) / 1e9;
  process.stdout.write(`${JSON.stringify({
    src, keys, heapBytesPerKey: Math.round((heapAfter - heapBefore) / keys),
    setAppliesPerSecond: Math.round(keys / applySeconds), getReadsPerSecond: Math.round(reads / readSeconds),
  })}\n`);
}

await main();
