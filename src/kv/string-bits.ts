// String values as the byte- and bit-level commands (bitmaps, BITFIELD, SETRANGE, APPEND,
// HyperLogLog, LCS) use them: read a key's bytes or WRONGTYPE, change an existing string in
// place (mutable-string.ts: no copy of a large value per change), store new bytes whole, and
// the largest string a command may build.

import type { CommandContext } from './command-context.js';
import type { KeyEntry } from './keyspace.js';
import { CommandError, errorReply, wrongTypeError } from './replies.js';
import type { MutableString } from './mutable-string.js';

/**
 * The longest string the keyspace can hold: V8's String::kMaxLength on 64-bit hosts
 * (2^29 - 24 chars, one byte each). Redis's own limit is proto-max-bulk-len (512 MB =
 * 2^29 bytes by default), 24 bytes more than this, so a command that would grow a string
 * past it is refused with the same error Redis gives past proto-max-bulk-len.
 */
export const engineStringBytesMax = 2 ** 29 - 24;

/** The largest string a command may build: proto-max-bulk-len, within what the keyspace can store. */
export function stringBytesMax(context: CommandContext): number {
  return Math.min(context.protoMaxBulkLen, engineStringBytesMax);
}

export const bitOffsetError = errorReply('ERR bit offset is not an integer or out of range');

/** A string key's live entry and a private copy of its bytes. */
export interface StringAt {
  readonly entry: KeyEntry;
  readonly data: Buffer;
}

/**
 * The string at `key` (a private copy), undefined when absent; WRONGTYPE (thrown) for another
 * type. `source`: a write reads it as a source (BITOP's, PFMERGE's), so a miss is reported.
 */
export function readString(context: CommandContext, key: Uint8Array, source = false): StringAt | undefined {
  const entry = source ? context.lookupRead(key) : context.lookup(key);
  if (entry === undefined) return undefined;
  const value = entry.value;
  if (value.type !== 'string') throw new CommandError(wrongTypeError);
  return { entry, data: value.data };
}

/**
 * Byte `index` of the string at `key` read in place (no copy of the value: GETBIT on a large
 * bitmap stays O(1)); 0 beyond the end. Undefined when the key is absent; WRONGTYPE (thrown)
 * for another type.
 */
export function stringByteAt(context: CommandContext, key: Uint8Array, index: number): { entry: KeyEntry; byte: number; length: number } | undefined {
  const entry = context.lookup(key);
  if (entry === undefined) return undefined;
  const stored = entry.stored;
  if (typeof stored === 'string') return { entry, byte: index < stored.length ? stored.charCodeAt(index) : 0, length: stored.length };
  if (stored.type !== 'string') throw new CommandError(wrongTypeError);
  return { entry, byte: stored.byteAt(index), length: stored.length };
}

/**
 * The live bytes of the string at `key`, for a command that only reads them now (BITCOUNT,
 * GETRANGE): no copy of a string kept in place. Undefined when absent; WRONGTYPE (thrown) for
 * another type. Valid until the next change: copy what a reply keeps.
 */
export function peekString(context: CommandContext, key: Uint8Array): Buffer | undefined {
  const entry = context.lookup(key);
  if (entry === undefined) return undefined;
  const stored = entry.stored;
  if (typeof stored === 'string') return Buffer.from(stored, 'latin1');
  if (stored.type !== 'string') throw new CommandError(wrongTypeError);
  return stored.view();
}

/**
 * The existing string `entry` opened for change in place (settled when the command ends),
 * with room for `length` bytes; WRONGTYPE (thrown) for another type.
 */
export function openString(context: CommandContext, entry: KeyEntry, length: number): MutableString {
  if (entry.valueType !== 'string') throw new CommandError(wrongTypeError);
  return context.openString(entry, length);
}

/** Stores `data` at `key`: replaces the entry's value keeping its expiry, or creates the key. */
export function storeString(context: CommandContext, key: Uint8Array, found: StringAt | undefined, data: Buffer): void {
  context.assertWritable('store a string');
  if (found === undefined) context.keyspace.create(key, { type: 'string', data });
  else context.keyspace.update(found.entry, { type: 'string', data }, found.entry.expireAtMs);
}

/** Bit `offset` of `data` (bit 0 is the most significant bit of byte 0); 0 beyond the end. */
export function bitAt(data: Uint8Array, offset: number): number {
  const byte = Math.floor(offset / 8);
  if (byte >= data.length) return 0;
  return ((data[byte] as number) >> (7 - (offset % 8))) & 1;
}

/** Sets bit `offset` of `data` (which must be long enough) to `value`. */
export function setBitAt(data: Uint8Array, offset: number, value: number): void {
  const byte = Math.floor(offset / 8);
  const mask = 1 << (7 - (offset % 8));
  const current = data[byte] as number;
  data[byte] = value === 0 ? current & ~mask : current | mask;
}
