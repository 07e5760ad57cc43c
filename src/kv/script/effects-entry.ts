// The effects entry (command entry format 5): the records of the script entries a leader
// resolved by running them, proposed so that followers replay them instead of running the
// scripts (docs/internals/scripting.md, "Deferred effects"). At its own index it is applied as
// a no-op that advances only the applied index; what it carries is read by the runtime's
// look-ahead before the entries it names are applied.
//
// Layout: u8 5 | varint count
//         | count × ( varint scriptIndex | u8 kind (0 record, 1 run it)
//                     | kind 0 only: varint runs
//                     | runs × ( zigzag timeMs | varint readCalls | reply (reply-codec.ts)
//                              | varint calls
//                              | calls × ( varint seed | varint argc | argc × (varint length, bytes) ) ) )
// Every build before this format applies such an entry exactly so (decodeCommand refuses the
// format, and apply then advances the index alone), and runs every script itself.

import { ByteReader, ByteWriter, DecodeError } from '../binary.js';
import { commandBatchFormat, commandEffectsFormat } from '../command-codec.js';
import { readReply, writeReply } from '../reply-codec.js';
import type { EffectCall, ScriptEffects } from './script-effects.js';

/** One script entry's record: its runs' effects in order, or null ("run it": its record was too large to be worth sending). */
export interface EffectsRecordAt {
  readonly index: number;
  readonly runs: readonly ScriptEffects[] | null;
}

const recordKind = 0;
const runItKind = 1;

export function isEffectsEntry(data: Uint8Array): boolean {
  return data[0] === commandEffectsFormat;
}

/**
 * The records this process encoded, by their entry's bytes, until decoded once: the leader's
 * look-ahead reads every effects entry it proposed when it commits, and every record in it
 * names an entry it has applied, so decoding it there was all waste. The bytes are exactly
 * what the records encode. A WeakMap: an entry never applied here goes with its bytes.
 */
const encodedEntries = new WeakMap<Uint8Array, readonly EffectsRecordAt[]>();

export function encodeEffectsEntry(records: readonly EffectsRecordAt[]): Uint8Array {
  const writer = new ByteWriter(64 + records.length * 64);
  writer.u8(commandEffectsFormat);
  writer.varint(records.length);
  for (const record of records) {
    writer.varint(record.index);
    if (record.runs === null) {
      writer.u8(runItKind);
      continue;
    }
    writer.u8(recordKind);
    writer.varint(record.runs.length);
    for (const run of record.runs) writeRun(writer, run);
  }
  const data = writer.finish();
  encodedEntries.set(data, records);
  return data;
}

function writeRun(writer: ByteWriter, run: ScriptEffects): void {
  writer.signed(run.timeMs);
  writer.varint(run.readCalls);
  writeReply(writer, run.reply);
  writer.varint(run.calls.length);
  for (const call of run.calls) {
    writer.varint(call.seed);
    writer.varint(call.argv.length);
    for (const arg of call.argv) writer.bytes(arg);
  }
}

/** The records of an effects entry, or an Error naming what is wrong with its bytes. Arguments are views into `data`. */
export function decodeEffectsEntry(data: Uint8Array): readonly EffectsRecordAt[] | Error {
  const encoded = encodedEntries.get(data);
  if (encoded !== undefined) {
    encodedEntries.delete(data);
    return encoded;
  }
  try {
    const reader = new ByteReader(data);
    const format = reader.u8();
    if (format !== commandEffectsFormat) return new Error(`effects entry of format ${format} (expected ${commandEffectsFormat})`);
    const count = boundedCount(reader, 2, 'records');
    const records: EffectsRecordAt[] = [];
    for (let r = 0; r < count; r++) {
      const index = reader.varint();
      const kind = reader.u8();
      if (kind === runItKind) records.push({ index, runs: null });
      else if (kind === recordKind) records.push({ index, runs: readRuns(reader) });
      else return new Error(`effects entry record of kind ${kind}`);
    }
    if (reader.remaining !== 0) return new Error(`effects entry has ${reader.remaining} trailing bytes`);
    return records;
  } catch (error) {
    if (error instanceof DecodeError) return new Error(`bad effects entry: ${error.message}`);
    throw error;
  }
}

/** A count read from the entry, refused when that many items of at least `itemBytes` each cannot fit what is left. */
function boundedCount(reader: ByteReader, itemBytes: number, what: string): number {
  const count = reader.varint();
  if (count * itemBytes > reader.remaining) throw new DecodeError(`${count} ${what} claimed in ${reader.remaining} bytes`);
  return count;
}

function readRuns(reader: ByteReader): ScriptEffects[] {
  const runs: ScriptEffects[] = new Array<ScriptEffects>(boundedCount(reader, 4, 'runs'));
  for (let r = 0; r < runs.length; r++) {
    const timeMs = reader.signed();
    const readCalls = reader.varint();
    const reply = readReply(reader);
    const calls: EffectCall[] = new Array<EffectCall>(boundedCount(reader, 2, 'calls'));
    for (let c = 0; c < calls.length; c++) {
      const seed = reader.varint();
      const argv: Uint8Array[] = new Array<Uint8Array>(boundedCount(reader, 1, 'arguments'));
      for (let a = 0; a < argv.length; a++) argv[a] = reader.bytes();
      calls[c] = { argv, seed };
    }
    runs[r] = { timeMs, calls, readCalls, reply };
  }
  return runs;
}

/**
 * Whether an entry may run a script, decided from its bytes alone (so the same on every node):
 * a command entry or batch one of whose arguments is EVAL, EVALSHA or FCALL (or an _RO form),
 * in any case. Looking at every argument, not only names, covers RAFTIS.EXEC and
 * RAFTIS.AS-USER, which carry their commands as arguments. An entry named wrongly either way
 * costs speed only: one whose value spells "eval" gets a record with no runs (replayed as
 * running it would), and a script entry not named is run by every node.
 */
export function entryMayRunScript(data: Uint8Array): boolean {
  const format = data[0];
  if (format === undefined || format < 1 || format > commandBatchFormat) return false;
  const scan = new ArgScanner(data);
  scan.skip(); // origin
  if (format === commandBatchFormat) {
    scan.varint(); // time
    for (let count = scan.varint(); count > 0 && scan.ok; count--) {
      scan.varint(); scan.varint(); scan.varint(); // client, seq, firstUnanswered
      if (scan.argsNameScript()) return true;
    }
    return false;
  }
  scan.varint(); scan.varint(); // client, seq
  if (format > 1) scan.varint(); // firstUnanswered
  scan.varint(); // time
  return scan.argsNameScript();
}

/** Reads an entry's varints and arguments in place, allocating nothing; past the end it stops (ok false). */
class ArgScanner {
  at = 1;
  ok = true;

  constructor(private readonly data: Uint8Array) {}

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.data[this.at++];
      if (byte === undefined || scale > 2 ** 49) {
        this.ok = false;
        return 0;
      }
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  }

  skip(): void {
    const length = this.varint(); // read before `at`, which it moves
    this.at += length;
  }

  /** Reads argc and the arguments: true when one of them names a script command. */
  argsNameScript(): boolean {
    let found = false;
    for (let argc = this.varint(); argc > 0 && this.ok; argc--) {
      const length = this.varint();
      if (!found && length >= 4 && length <= 10 && this.at + length <= this.data.length) found = namesScript(this.data, this.at, length);
      this.at += length;
    }
    return found;
  }
}

function namesScript(data: Uint8Array, start: number, length: number): boolean {
  for (const name of scriptNameBytes) {
    if (name.length !== length) continue;
    let i = 0;
    // Lower-casing by | 0x20 also maps '_' to DEL, which no name has: at worst a false "yes".
    while (i < length && ((data[start + i] as number) | 0x20) === name[i]) i++;
    if (i === length) return true;
  }
  return false;
}

const scriptNameBytes: readonly Uint8Array[] = ['eval', 'evalsha', 'fcall', 'eval_ro', 'evalsha_ro', 'fcall_ro']
  .map((name) => Uint8Array.from(Buffer.from(name, 'latin1'), (byte) => byte | 0x20));
