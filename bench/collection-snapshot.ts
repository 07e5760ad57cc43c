// A snapshot of one big collection, in-process: a key of N elements (a hash, list, set or
// sorted set, filled by the type's own write command in batches), written with next() at
// the size the server asks for and restored with step() at the work per turn the server
// uses; reports the longest single call of each (the event-loop stall a node would see)
// and the totals. Prints one JSON line:
//   node --expose-gc --import tsx bench/collection-snapshot.ts --type hash [--elements N]

import { parseArgs } from 'node:util';
import { encodeCommand } from '../src/kv/command-codec.js';
import { KvStateMachine } from '../src/kv/state-machine.js';
import { snapshotStepBytesMax } from '../src/kv/snapshot.js';

/** The work per turn node-server.ts gives a restore (restoreWorkPerTurn). */
const RESTORE_WORK_PER_TURN = 20_000;
const BATCH = 1000;
const TIME_MS = 1_700_000_000_000;

/** The write command that adds elements `from`…`from + count - 1` to `key`, per type. */
const fillers: Record<string, (key: string, from: number, count: number) => string[]> = {
  hash: (key, from, count) => ['HSET', key, ...range(from, count).flatMap((i) => [`field:${i}`, `value of field ${i}`])],
  list: (key, from, count) => ['RPUSH', key, ...range(from, count).map((i) => `item ${i} of the list`)],
  set: (key, from, count) => ['SADD', key, ...range(from, count).map((i) => `member:${i}`)],
  zset: (key, from, count) => ['ZADD', key, ...range(from, count).flatMap((i) => [String((i * 7919) % 1_000_003), `member:${i}`])],
};

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function main(): void {
  const { values } = parseArgs({ options: { type: { type: 'string', default: 'hash' }, elements: { type: 'string', default: '1000000' } } });
  const type = values.type;
  const fill = fillers[type];
  if (fill === undefined) throw new Error(`--type must be one of ${Object.keys(fillers).join(', ')}`);
  const elements = Number(values.elements);
  const source = new KvStateMachine();
  let index = 0;
  for (let from = 0; from < elements; from += BATCH) {
    const argv = fill('big', from, Math.min(BATCH, elements - from)).map((arg) => Buffer.from(arg, 'latin1'));
    source.apply(++index, encodeCommand({ origin: 'n1', client: 1, seq: 0, firstUnanswered: 0, time: TIME_MS, argv }));
  }
  const chunks: Uint8Array[] = [];
  const snapshot = source.beginSnapshot();
  let writeWorstMs = 0;
  const writeStart = process.hrtime.bigint();
  for (;;) {
    const callStart = process.hrtime.bigint();
    const chunk = snapshot.next(snapshotStepBytesMax);
    writeWorstMs = Math.max(writeWorstMs, elapsedMs(callStart));
    if (chunk === null) break;
    chunks.push(chunk);
  }
  const writeTotalMs = elapsedMs(writeStart);
  const target = new KvStateMachine();
  const sink = target.beginRestore();
  let restoreWorstMs = 0;
  const restoreStart = process.hrtime.bigint();
  const timedStep = (): boolean => {
    const callStart = process.hrtime.bigint();
    const more = sink.step(RESTORE_WORK_PER_TURN);
    restoreWorstMs = Math.max(restoreWorstMs, elapsedMs(callStart));
    return more;
  };
  for (const chunk of chunks) {
    const error = sink.write(chunk);
    if (error !== null) throw error;
    while (timedStep());
  }
  while (timedStep());
  const finishStart = process.hrtime.bigint();
  const error = sink.finish();
  const finishMs = elapsedMs(finishStart);
  if (error !== null) throw error;
  const restoreTotalMs = elapsedMs(restoreStart);
  if (target.digest().hash !== source.digest().hash) throw new Error('restored digest differs');
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  process.stdout.write(`${JSON.stringify({
    type, elements, snapshotBytes: bytes, chunks: chunks.length,
    writeTotalMs: Math.round(writeTotalMs), writeWorstCallMs: +writeWorstMs.toFixed(2),
    restoreTotalMs: Math.round(restoreTotalMs), restoreWorstStepMs: +restoreWorstMs.toFixed(2), restoreFinishMs: +finishMs.toFixed(2),
  })}\n`);
}

main();
