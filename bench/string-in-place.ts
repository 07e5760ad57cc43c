// Strings changed in place (src/kv/mutable-string.ts), measured where the cost is: the
// state machine's apply, which every node runs for every entry. This checkout and, with
// `--baseline DIR`, another checkout's sources (for a before/after in one run), each in turn:
//   - 10k SETBITs at random offsets into a 64 MiB bitmap, then BITCOUNT of it;
//   - APPEND growth: 2k APPENDs of 4 KiB to one key (8 MiB);
//   - the small-string hot path: SET and GET of 100-byte values, SETBIT and APPEND on 1 KiB strings.
// Prints per-operation times and the slowest single operation (a stall of the apply loop).
//
//   node --import tsx bench/string-in-place.ts [--baseline /path/to/other/checkout] [--rounds N] [--setbits N] [--appends N]

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { seededRandom } from '../src/transport/fault-injector.js';

interface Kv {
  apply(index: number, data: Uint8Array): unknown;
  read(argv: Uint8Array[], time: number): unknown;
}

interface Build {
  readonly label: string;
  readonly make: () => Kv;
  readonly encode: (time: number, argv: Uint8Array[]) => Uint8Array;
}

const TIME_MS = 1_700_000_000_000;
const BITMAP_BYTES = 64 * 1024 * 1024;
const BITCOUNTS = 20;
const APPEND_BYTES = 4096;
const SMALL_OPS = 100_000;
const SMALL_VALUE_BYTES = 100;
const SMALL_STRING_BYTES = 1024;
const SMALL_KEYS = 1_000;

async function loadBuild(label: string, root: string): Promise<Build> {
  const kvModule = (await import(pathToFileURL(resolve(root, 'src/kv/state-machine.ts')).href)) as { KvStateMachine: new () => Kv };
  const codec = (await import(pathToFileURL(resolve(root, 'src/kv/command-codec.ts')).href)) as {
    encodeCommand: (command: { origin: string; client: number; seq: number; firstUnanswered: number; time: number; argv: Uint8Array[] }) => Uint8Array;
  };
  return {
    label,
    make: () => new kvModule.KvStateMachine(),
    encode: (time, argv) => codec.encodeCommand({ origin: 'n1', client: 0, seq: 0, firstUnanswered: 0, time, argv }),
  };
}

const argv = (...args: (string | Uint8Array)[]): Uint8Array[] => args.map((arg) => (typeof arg === 'string' ? Buffer.from(arg, 'latin1') : arg));

interface Timing {
  readonly name: string;
  readonly ops: number;
  readonly totalMs: number;
  readonly maxMs: number;
}

/** Applies each command as the next entry (encoded beforehand: only apply is timed). */
function timeApply(build: Build, kv: Kv, next: { index: number }, name: string, commands: Uint8Array[][]): Timing {
  const entries = commands.map((command) => build.encode(TIME_MS, command));
  let maxMs = 0;
  const started = performance.now();
  for (const entry of entries) {
    const before = performance.now();
    kv.apply(++next.index, entry);
    maxMs = Math.max(maxMs, performance.now() - before);
  }
  return { name, ops: entries.length, totalMs: performance.now() - started, maxMs };
}

function timeRead(kv: Kv, name: string, commands: Uint8Array[][]): Timing {
  let maxMs = 0;
  const started = performance.now();
  for (const command of commands) {
    const before = performance.now();
    kv.read(command, TIME_MS);
    maxMs = Math.max(maxMs, performance.now() - before);
  }
  return { name, ops: commands.length, totalMs: performance.now() - started, maxMs };
}

/** Operation counts; the baseline's SETBITs and APPENDs can be fewer (each copies the whole value there). */
interface Counts {
  readonly setbits: number;
  readonly appends: number;
}

function runBuild(build: Build, counts: Counts): Timing[] {
  const random = seededRandom(16);
  const next = { index: 0 };
  const big = build.make();
  const timings: Timing[] = [];
  timings.push(timeApply(build, big, next, 'SETBIT creating a 64 MiB bitmap', [argv('SETBIT', 'bitmap', String(BITMAP_BYTES * 8 - 1), '1')]));
  const setbits = Array.from({ length: counts.setbits }, () => argv('SETBIT', 'bitmap', String(Math.floor(random() * BITMAP_BYTES * 8)), '1'));
  timings.push(timeApply(build, big, next, 'SETBIT at random offsets into it', setbits));
  timings.push(timeRead(big, 'BITCOUNT of it (read)', Array.from({ length: BITCOUNTS }, () => argv('BITCOUNT', 'bitmap'))));
  const chunk = Buffer.alloc(APPEND_BYTES, 'a');
  timings.push(timeApply(build, big, next, `APPEND ${APPEND_BYTES / 1024} KiB, growing to ${((counts.appends * APPEND_BYTES) / 1024 / 1024).toFixed(1)} MiB`, Array.from({ length: counts.appends }, () => argv('APPEND', 'grown', chunk))));

  const small = build.make();
  const value = Buffer.alloc(SMALL_VALUE_BYTES, 'v');
  timings.push(timeApply(build, small, next, `SET ${SMALL_VALUE_BYTES} B`, Array.from({ length: SMALL_OPS }, (_, i) => argv('SET', `key:${i % SMALL_KEYS}`, value))));
  timings.push(timeRead(small, `GET ${SMALL_VALUE_BYTES} B (read)`, Array.from({ length: SMALL_OPS }, (_, i) => argv('GET', `key:${i % SMALL_KEYS}`))));
  timings.push(timeApply(build, small, next, `SETBIT in ${SMALL_STRING_BYTES} B strings`, Array.from({ length: SMALL_OPS }, (_, i) => argv('SETBIT', `bits:${i % SMALL_KEYS}`, String(Math.floor(random() * SMALL_STRING_BYTES * 8)), '1'))));
  timings.push(timeApply(build, small, next, 'APPEND 10 B to short strings', Array.from({ length: SMALL_OPS }, (_, i) => argv(i % 100 === 0 ? 'DEL' : 'APPEND', `short:${i % SMALL_KEYS}`, 'abcdefghij'))));
  return timings;
}

function format(timings: readonly Timing[]): string[] {
  return timings.map((t) => `  ${t.name.padEnd(44)} ${String(t.ops).padStart(7)} ops  ${((t.totalMs * 1000) / t.ops).toFixed(2).padStart(10)} µs/op  max ${t.maxMs.toFixed(2).padStart(8)} ms  total ${t.totalMs.toFixed(0).padStart(7)} ms`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const baselineAt = args.indexOf('--baseline');
  const roundsAt = args.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 1;
  const option = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  const counts = { setbits: option('--setbits', 10_000), appends: option('--appends', 2_000) };
  const builds = [await loadBuild('this checkout', resolve(import.meta.dirname, '..'))];
  if (baselineAt >= 0) builds.unshift(await loadBuild(`baseline ${args[baselineAt + 1] ?? ''}`, args[baselineAt + 1] ?? '.'));
  for (let round = 1; round <= rounds; round++) {
    for (const build of round % 2 === 1 ? builds : [...builds].reverse()) {
      console.log(`${build.label} (round ${round}):`);
      for (const line of format(runBuild(build, counts))) console.log(line);
    }
  }
}

await main();
