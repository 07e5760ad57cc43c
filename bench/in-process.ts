// What the in-process benchmarks (keyspace-strings.ts, collection-heap.ts) share: a state
// machine loaded from a checkout's src/ (this one's by default, another's for A/B runs in one
// process) with its command encoder, and the heap in use after full collections.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface StateMachine {
  apply(index: number, data: Uint8Array): unknown;
  read(argv: readonly Uint8Array[], clusterTime: number): unknown;
}

interface KvModule {
  KvStateMachine: new () => StateMachine;
}

interface CodecModule {
  encodeCommand(command: { origin: string; client: number; seq: number; firstUnanswered: number; time: number; argv: readonly Uint8Array[] }): Uint8Array;
}

/** The cluster time every entry carries. */
export const TIME_MS = 1_700_000_000_000;

export interface LoadedSource {
  readonly src: string;
  readonly machine: StateMachine;
  /** Encodes `argv` as a committed entry's data (one client, no deduplication concerns). */
  entry(argv: readonly Uint8Array[]): Uint8Array;
}

export async function loadSource(srcDir: string): Promise<LoadedSource> {
  const src = resolve(srcDir);
  const kv = (await import(pathToFileURL(`${src}/kv/state-machine.ts`).href)) as KvModule;
  const codec = (await import(pathToFileURL(`${src}/kv/command-codec.ts`).href)) as CodecModule;
  return { src, machine: new kv.KvStateMachine(), entry: (argv) => codec.encodeCommand({ origin: 'n1', client: 1, seq: 0, firstUnanswered: 0, time: TIME_MS, argv }) };
}

/**
 * Heap bytes in use after three full collections (needs node --expose-gc), with the memory of
 * typed arrays and Buffers: their contents live outside the V8 heap (a member index's slots, a
 * sorted set's scores), and a node's RSS holds them all the same.
 */
export function collectedHeapBytes(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  const memory = process.memoryUsage();
  return memory.heapUsed + memory.arrayBuffers;
}
