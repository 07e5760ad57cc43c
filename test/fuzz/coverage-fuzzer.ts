// A small coverage-guided fuzzer for raftis's decoders. The maintained engine on npm
// (@jazzer.js/core 4) ships a native addon built for glibc 2.38, newer than this machine's
// 2.36, so this one takes its coverage from V8 itself: precise block coverage through the
// inspector (Profiler.takePreciseCoverage, read and reset after every input). An input that
// reaches a block of src/ not reached before, or reaches one a new number of times (counts
// in AFL-style buckets), joins the corpus and is mutated further. Everything is drawn from a
// seeded PRNG, so a run is repeatable: same seed, same corpus, same inputs.
//
// The property of every target: any input gives a clear error or a valid result. A finding is
// an exception that escapes the target, an input that runs longer than `hangMs`, or one that
// leaves more than `allocationBytesMax` of new ArrayBuffer memory behind.

import { Session } from 'node:inspector';
import { createHash } from 'node:crypto';

export interface FuzzTarget {
  readonly name: string;
  /** Valid encodings the search starts from. */
  seeds(): Uint8Array[];
  /** Decodes `input`; returns (an error value is a fine result) or throws a finding. */
  run(input: Uint8Array): void;
  /** Byte strings worth inserting (keywords, markers, numbers of the format). */
  readonly dictionary?: readonly Uint8Array[];
  /** Largest input tried (default 4096). */
  readonly inputBytesMax?: number;
}

export interface Finding {
  readonly target: string;
  readonly input: Uint8Array;
  readonly problem: string;
}

export interface FuzzOptions {
  readonly seed: number;
  /** Mutated inputs to try (after the seeds and `extraInputs`). */
  readonly runs: number;
  /** Stop earlier once this many milliseconds have passed (default: no limit). */
  readonly timeMs?: number;
  /** Inputs run before mutation starts: a stored corpus, earlier findings. */
  readonly extraInputs?: readonly Uint8Array[];
  readonly hangMs?: number;
  readonly allocationBytesMax?: number;
  /** Stop at the first finding (default true). */
  readonly stopOnFinding?: boolean;
}

export interface FuzzReport {
  readonly target: string;
  readonly executions: number;
  readonly corpus: Uint8Array[];
  /** Distinct (block, hit-count bucket) pairs reached in src/. */
  readonly features: number;
  /** Blocks of src/ reached at least once, over the blocks V8 reported in the files reached. */
  readonly blocksReached: number;
  readonly findings: Finding[];
  readonly elapsedMs: number;
}

/** Only coverage of the project's own sources counts (not node_modules, not the tests). */
const SOURCE_URL = /\/src\/[^/].*\.ts$/;

interface CoverageRange { readonly startOffset: number; readonly endOffset: number; readonly count: number }
interface ScriptCoverage { readonly scriptId: string; readonly url: string; readonly functions: readonly { readonly ranges: readonly CoverageRange[] }[] }

/** The inspector session, shared by every run in this process (V8 keeps one coverage state). */
let session: Session | null = null;

function post<T>(method: string, params: object = {}): T {
  const active = session as Session;
  let result: T | undefined;
  let failure: Error | null = null;
  // The in-process session answers synchronously: the callback runs before post() returns.
  active.post(method, params, (error, value) => {
    failure = error ?? null;
    result = value as T;
  });
  if (failure !== null) throw failure;
  return result as T;
}

function startCoverage(): void {
  if (session !== null) return;
  session = new Session();
  session.connect();
  post('Profiler.enable');
  post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
}

/** AFL's hit-count buckets: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+. */
function bucket(count: number): number {
  if (count <= 3) return count;
  if (count < 8) return 4;
  if (count < 16) return 5;
  if (count < 32) return 6;
  return count < 128 ? 7 : 8;
}

/** The (block, bucket) features of the last input, read from V8 (which resets its counts). */
function takeFeatures(into: Set<string>, blocks: Set<string>): void {
  const { result } = post<{ result: ScriptCoverage[] }>('Profiler.takePreciseCoverage');
  for (const script of result) {
    if (!SOURCE_URL.test(script.url)) continue;
    for (const fn of script.functions) {
      for (const range of fn.ranges) {
        if (range.count === 0) continue;
        const block = `${script.scriptId}:${range.startOffset}:${range.endOffset}`;
        blocks.add(block);
        into.add(`${block}:${bucket(range.count)}`);
      }
    }
  }
}

/** xorshift32: small, fast and seedable. */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = (seed | 0) === 0 ? 0x9e3779b9 : seed | 0;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x;
    return x >>> 0;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }
}

const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
const INTERESTING_TEXT = ['0', '-1', '1', '-0', '4294967296', '9223372036854775807', '-9223372036854775808', '99999999999999999999', '1e400', 'nan', ' '];

/** One random change to `input` (a copy), within `bytesMax`. */
function mutate(input: Uint8Array, rng: Prng, corpus: readonly Uint8Array[], dictionary: readonly Uint8Array[], bytesMax: number): Uint8Array {
  let bytes = Buffer.from(input);
  const at = (): number => rng.below(bytes.length + 1);
  const splice = (start: number, removed: number, inserted: Uint8Array): void => {
    bytes = Buffer.concat([bytes.subarray(0, start), inserted, bytes.subarray(Math.min(bytes.length, start + removed))]);
  };
  switch (rng.below(11)) {
    case 0: // flip a bit
      if (bytes.length > 0) { const i = rng.below(bytes.length); bytes[i] = (bytes[i] as number) ^ (1 << rng.below(8)); }
      break;
    case 1: // a random byte
      if (bytes.length > 0) bytes[rng.below(bytes.length)] = rng.below(256);
      break;
    case 2: { // an interesting 8/16/32-bit value, either byte order
      const value = INTERESTING_32[rng.below(INTERESTING_32.length)] as number;
      const width = [1, 2, 4][rng.below(3)] as number;
      const field = Buffer.alloc(4);
      if (rng.below(2) === 0) field.writeUInt32LE(value >>> 0); else field.writeUInt32BE(value >>> 0);
      const part = rng.below(2) === 0 ? field.subarray(0, width) : field.subarray(4 - width);
      if (bytes.length >= width) splice(rng.below(bytes.length - width + 1), width, part);
      break;
    }
    case 3: // delete a range
      if (bytes.length > 0) { const start = rng.below(bytes.length); splice(start, 1 + rng.below(Math.min(64, bytes.length - start)), new Uint8Array(0)); }
      break;
    case 4: { // insert random bytes
      const inserted = Buffer.alloc(1 + rng.below(16));
      for (let i = 0; i < inserted.length; i++) inserted[i] = rng.below(256);
      splice(at(), 0, inserted);
      break;
    }
    case 5: // duplicate a range
      if (bytes.length > 0) { const start = rng.below(bytes.length); const end = start + 1 + rng.below(Math.min(256, bytes.length - start)); splice(at(), 0, Buffer.from(bytes.subarray(start, end))); }
      break;
    case 6: { // splice with another corpus input
      const other = corpus[rng.below(corpus.length)] ?? new Uint8Array(0);
      const cut = at();
      bytes = Buffer.concat([bytes.subarray(0, cut), other.subarray(rng.below(other.length + 1))]);
      break;
    }
    case 7: // a dictionary token, inserted or written over
      if (dictionary.length > 0) { const token = dictionary[rng.below(dictionary.length)] as Uint8Array; splice(at(), rng.below(2) === 0 ? 0 : token.length, token); }
      break;
    case 8: { // a number written as text over a run of digits (or anywhere)
      const text = Buffer.from(INTERESTING_TEXT[rng.below(INTERESTING_TEXT.length)] as string, 'latin1');
      let start = at();
      while (start > 0 && isDigit(bytes[start - 1])) start--;
      let end = start;
      while (end < bytes.length && isDigit(bytes[end])) end++;
      splice(start, end - start, text);
      break;
    }
    case 9: // truncate
      bytes = bytes.subarray(0, at());
      break;
    default: // several changes at once
      for (let n = 2 + rng.below(4); n > 0; n--) bytes = Buffer.from(mutate(bytes, rng, corpus, dictionary, bytesMax));
  }
  return bytes.length > bytesMax ? bytes.subarray(0, bytesMax) : bytes;
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

/** Runs one input; the finding's text, or null. */
function execute(target: FuzzTarget, input: Uint8Array, hangMs: number, allocationBytesMax: number): string | null {
  const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  try {
    target.run(input);
  } catch (error) {
    return `threw ${error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error)}`;
  }
  const elapsed = performance.now() - started;
  if (elapsed > hangMs) return `ran ${Math.round(elapsed)} ms (limit ${hangMs} ms)`;
  const grown = process.memoryUsage().arrayBuffers - arrayBuffersBefore;
  if (grown > allocationBytesMax) return `left ${grown} bytes of buffers allocated for an input of ${input.length} bytes (limit ${allocationBytesMax})`;
  return null;
}

export function inputName(input: Uint8Array): string {
  return createHash('sha1').update(input).digest('hex').slice(0, 16);
}

/** Fuzzes `target`: the seeds and extra inputs first, then mutations of the corpus. */
export function fuzz(target: FuzzTarget, options: FuzzOptions): FuzzReport {
  startCoverage();
  const rng = new Prng(options.seed);
  const hangMs = options.hangMs ?? 2000;
  const allocationBytesMax = options.allocationBytesMax ?? 64 * 1024 * 1024;
  const bytesMax = target.inputBytesMax ?? 4096;
  const stopOnFinding = options.stopOnFinding ?? true;
  const deadline = options.timeMs === undefined ? Infinity : performance.now() + options.timeMs;
  const started = performance.now();
  const features = new Set<string>();
  const blocks = new Set<string>();
  const corpus: Uint8Array[] = [];
  const findings: Finding[] = [];
  let executions = 0;
  post('Profiler.takePreciseCoverage'); // drop counts gathered before this run
  const tryInput = (input: Uint8Array, always: boolean): void => {
    executions++;
    const problem = execute(target, input, hangMs, allocationBytesMax);
    const before = features.size;
    takeFeatures(features, blocks);
    if (problem !== null) findings.push({ target: target.name, input, problem });
    else if (always || features.size > before) corpus.push(input);
  };
  for (const input of [...target.seeds(), ...(options.extraInputs ?? [])]) tryInput(input, true);
  const dictionary = target.dictionary ?? [];
  for (let n = 0; n < options.runs && performance.now() < deadline; n++) {
    if (stopOnFinding && findings.length > 0) break;
    const parent = corpus[rng.below(corpus.length)] ?? new Uint8Array(0);
    tryInput(mutate(parent, rng, corpus, dictionary, bytesMax), false);
  }
  return { target: target.name, executions, corpus, features: features.size, blocksReached: blocks.size, findings, elapsedMs: performance.now() - started };
}
