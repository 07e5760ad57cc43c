// The log entry of a client command: the request id for exactly-once, the cluster time the
// leader stamped on it, and the command's arguments. Encoded compactly, straight into one
// buffer, because every write goes through here on the hot path.
//
// Layout: u8 format version | string origin | varint client | varint seq
//         | varint firstUnanswered (format 2) | zigzag time (ms) | varint argc
//         | argc × (varint length, bytes)
// Format 1 entries (no firstUnanswered) still decode, as firstUnanswered = seq. Format 3
// has the layout of 2; what changed is how the state machine applies it: removals leave
// versions for WATCH (removal-stamps.ts). Entries of formats 1 and 2, replayed after an
// upgrade, are applied as the build that wrote them did, or replicas whose snapshots lie
// at different indexes would replay different parts of the old log with the new rules.
//
// A batch (format 4) carries several commands from one origin in one entry, applied one after
// another at the entry's index, each with its own request id, under one cluster time:
//   u8 4 | string origin | zigzag time | varint count
//   | count × (varint client | varint seq | varint firstUnanswered | varint argc | args)
// It is how the leader gathers the writes of one turn (write-path.ts): one log slot, one WAL
// record entry and one entry per Append for all of them, instead of one each.
//
// Format 5 is the effects entry, proposed by a leader with the records of script runs
// (script/effects-entry.ts has its layout).

import { ByteReader, ByteWriter, DecodeError } from './binary.js';

export const commandFormatVersion = 3;
/** The format of a batch of commands (see the layout above); applied with the rules of format 3. */
export const commandBatchFormat = 4;
/**
 * The effects entry: records of script runs for followers to replay (script/effects-entry.ts).
 * decodeCommand refuses it, as every build before it did.
 */
export const commandEffectsFormat = 5;
const commandFormatVersionWithoutFloor = 1;
/** The first format whose removals leave versions for WATCH (removal-stamps.ts). */
export const commandFormatRemovalVersions = 3;

export interface CommandEntry {
  /** The node that accepted the request from the client (part of the request id). */
  readonly origin: string;
  /** The client connection's id on that node. */
  readonly client: number;
  /** Per-client request sequence; 0 means "no deduplication" (internal commands). */
  readonly seq: number;
  /**
   * The client's lowest sequence not yet answered (≤ seq): every earlier request has had its
   * reply, so the state machine may forget those replies (dedup-table.ts).
   */
  readonly firstUnanswered: number;
  /** Cluster time in ms: the leader's clock, never running backwards. */
  readonly time: number;
  readonly argv: readonly Uint8Array[];
}

export function encodeCommand(command: CommandEntry): Uint8Array {
  const writer = new ByteWriter(argvBytes(command.argv) + command.origin.length * 3 + 40);
  writer.u8(commandFormatVersion);
  writer.string(command.origin);
  writer.varint(command.client);
  writer.varint(command.seq);
  writer.varint(command.firstUnanswered);
  writer.signed(command.time);
  writeArgv(writer, command.argv);
  return writer.finish();
}

/** Bytes the arguments take encoded, at most (a varint length of ≤ 5 bytes each, the count). */
function argvBytes(argv: readonly Uint8Array[]): number {
  let bytes = 5;
  for (const arg of argv) bytes += arg.length + 5;
  return bytes;
}

function writeArgv(writer: ByteWriter, argv: readonly Uint8Array[]): void {
  writer.varint(argv.length);
  for (const arg of argv) writer.bytes(arg);
}

/**
 * The command name decoded last, kept as its own copy and shared by every command after it that
 * names the same: a batch is mostly one command over and over, and a view per name was a third of
 * what decoding a SET allocated. Nothing writes into a command's arguments, so sharing is safe.
 */
let lastName: Buffer = Buffer.alloc(0);
const sharedNameBytesMax = 64;

/** The arguments, or an Error when their count cannot fit the bytes left. */
function readArgv(reader: ByteReader): Uint8Array[] | Error {
  const argc = reader.varint();
  // Each argument takes at least one byte, so a count beyond the remaining bytes is corrupt.
  if (argc > reader.remaining) return new Error(`command entry claims ${argc} arguments in ${reader.remaining} bytes`);
  const argv: Uint8Array[] = new Array<Uint8Array>(argc);
  if (argc === 0) return argv;
  const name = reader.bytesOr(lastName);
  // A command's name is short (a registry row's); anything longer is not kept past its entry.
  if (name !== lastName && name.length <= sharedNameBytesMax) lastName = Buffer.from(name);
  argv[0] = name.length <= sharedNameBytesMax ? lastName : name;
  for (let i = 1; i < argc; i++) argv[i] = reader.bytes();
  return argv;
}

/**
 * The origin decoded last. Entries come from the few nodes of the cluster, mostly in runs
 * from one, so comparing the bytes with the last ones usually saves decoding a string.
 */
let lastOrigin: { readonly bytes: Uint8Array; readonly text: string } = { bytes: new Uint8Array(0), text: '' };

function originOf(bytes: Buffer): string {
  const last = lastOrigin.bytes;
  if (bytes.length === last.length) {
    let i = 0;
    while (i < last.length && bytes[i] === last[i]) i++;
    if (i === last.length) return lastOrigin.text;
  }
  lastOrigin = { bytes: Uint8Array.from(bytes), text: bytes.toString('utf8') };
  return lastOrigin.text;
}

/** Decodes a command entry; argv elements are views into `data` (no copies). */
export function decodeCommand(data: Uint8Array): CommandEntry | Error {
  try {
    const reader = new ByteReader(data);
    const version = reader.u8();
    if (!Number.isInteger(version) || version < commandFormatVersionWithoutFloor || version > commandFormatVersion) {
      return new Error(`unknown command entry format version ${version} (expected ${commandFormatVersionWithoutFloor} to ${commandFormatVersion})`);
    }
    const origin = originOf(reader.bytes());
    const client = reader.varint();
    const seq = reader.varint();
    const firstUnanswered = version === commandFormatVersionWithoutFloor ? seq : reader.varint();
    if (firstUnanswered > seq) return new Error(`command entry's first unanswered sequence ${firstUnanswered} is above its sequence ${seq}`);
    const time = reader.signed();
    const argv = readArgv(reader);
    if (argv instanceof Error) return argv;
    if (reader.remaining !== 0) return new Error(`command entry has ${reader.remaining} trailing bytes`);
    return { origin, client, seq, firstUnanswered, time, argv };
  } catch (error) {
    if (error instanceof DecodeError) return new Error(`bad command entry: ${error.message}`);
    throw error;
  }
}

/** One command of a batch: its request id and arguments (origin and time are the batch's). */
export type BatchedCommand = Omit<CommandEntry, 'origin' | 'time'>;

/** Several commands of one origin in one entry, under one cluster time. */
export interface CommandBatch {
  readonly origin: string;
  readonly time: number;
  readonly commands: readonly BatchedCommand[];
}

/**
 * The batches this process encoded, by their bytes, until they are decoded once: the leader
 * applies its own proposals from the objects it encoded them from (the same log entry's bytes
 * reach apply), instead of a view per argument and an object per command decoded from the bytes,
 * which a pipelined write's apply allocated most of. The bytes are exactly what the objects
 * encode, so apply runs the same commands as on the followers that decode them. A WeakMap: an
 * entry that is never applied here (a leader change truncated it) goes with its bytes.
 */
const encodedBatches = new WeakMap<Uint8Array, CommandBatch>();

export function encodeCommandBatch(batch: CommandBatch): Uint8Array {
  let payloadBytes = 0;
  for (const command of batch.commands) payloadBytes += 24 + argvBytes(command.argv);
  const writer = new ByteWriter(payloadBytes + batch.origin.length * 3 + 24);
  writer.u8(commandBatchFormat);
  writer.string(batch.origin);
  writer.signed(batch.time);
  writer.varint(batch.commands.length);
  for (const command of batch.commands) {
    writer.varint(command.client);
    writer.varint(command.seq);
    writer.varint(command.firstUnanswered);
    writeArgv(writer, command.argv);
  }
  const data = writer.finish();
  encodedBatches.set(data, batch);
  return data;
}

export function isCommandBatch(data: Uint8Array): boolean {
  return data[0] === commandBatchFormat;
}

export function decodeCommandBatch(data: Uint8Array): CommandBatch | Error {
  const encoded = encodedBatches.get(data);
  if (encoded !== undefined) {
    encodedBatches.delete(data);
    return encoded;
  }
  try {
    const reader = new ByteReader(data);
    const format = reader.u8();
    if (format !== commandBatchFormat) return new Error(`command batch of format ${format} (expected ${commandBatchFormat})`);
    const origin = originOf(reader.bytes());
    const time = reader.signed();
    const count = reader.varint();
    // Each command takes at least four bytes.
    if (count > reader.remaining / 4) return new Error(`command batch claims ${count} commands in ${reader.remaining} bytes`);
    const commands: BatchedCommand[] = new Array<BatchedCommand>(count);
    for (let c = 0; c < count; c++) {
      const client = reader.varint();
      const seq = reader.varint();
      const firstUnanswered = reader.varint();
      if (firstUnanswered > seq) return new Error(`batched command's first unanswered sequence ${firstUnanswered} is above its sequence ${seq}`);
      const argv = readArgv(reader);
      if (argv instanceof Error) return argv;
      commands[c] = { client, seq, firstUnanswered, argv };
    }
    if (reader.remaining !== 0) return new Error(`command batch has ${reader.remaining} trailing bytes`);
    return { origin, time, commands };
  } catch (error) {
    if (error instanceof DecodeError) return new Error(`bad command batch: ${error.message}`);
    throw error;
  }
}

/** The format version an encoded entry was written in (its first byte; 0 for no bytes). */
export function commandFormatOf(data: Uint8Array): number {
  return data[0] ?? 0;
}
