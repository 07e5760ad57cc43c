// The size Redis's listpack for a stream node has (t_stream.c streamAppendItem): Redis opens a
// new node when the tail node's listpack plus the new entry's field and value bytes would reach
// stream-node-max-bytes, so where nodes begin (and so what `~` trimming removes) depends on it.
//
// A node's listpack: header and end byte; the master entry (live count, deleted count, field
// count, the first entry's field names, a 0 terminator); then per entry: flags, its ID as
// differences from the node's first ID, [field count and names unless the entry has the
// master's names], values, and its element count. Deleted entries keep their bytes until the
// whole node goes; only the two counts change in place, so a node keeps the bytes of
// everything but them, and the counts are sized when asked.

import { listpackIntegerBytes, listpackStringBytes } from './rdb/listpack-writer.js';
import { msOf, seqOf, type StreamId } from './stream-id.js';

/** A listpack's header (total bytes, element count) and end marker. */
const listpackFrameBytes = 7;

/** The field names of an entry given as alternating fields and values. */
export function fieldNames(entry: readonly string[]): string[] {
  return entry.filter((_, i) => i % 2 === 0);
}

/** Whether the entry's field names are the master's (Redis's STREAM_ITEM_FLAG_SAMEFIELDS). */
export function hasMasterFields(entry: readonly string[], masterFields: readonly string[]): boolean {
  return entry.length === masterFields.length * 2 && masterFields.every((name, i) => entry[i * 2] === name);
}

/** A new node's bytes without its two counts: frame, field count, master field names, terminator. */
export function nodeBaseBytes(masterFields: readonly string[]): number {
  let bytes = listpackFrameBytes + listpackIntegerBytes(BigInt(masterFields.length)) + listpackIntegerBytes(0n);
  for (const name of masterFields) bytes += listpackStringBytes(name);
  return bytes;
}

/** The bytes of the master entry's live and deleted counts. */
export function countBytes(live: number, deleted: number): number {
  return listpackIntegerBytes(BigInt(live)) + listpackIntegerBytes(BigInt(deleted));
}

/** One entry's bytes in a node whose first ID is `masterId`. */
export function entryBytes(id: StreamId, entry: readonly string[], masterId: StreamId, masterFields: readonly string[]): number {
  const same = hasMasterFields(entry, masterFields);
  const pairs = entry.length / 2;
  let bytes = listpackIntegerBytes(same ? 2n : 0n);
  bytes += listpackIntegerBytes(BigInt.asIntN(64, msOf(id) - msOf(masterId)));
  bytes += listpackIntegerBytes(BigInt.asIntN(64, seqOf(id) - seqOf(masterId)));
  if (!same) bytes += listpackIntegerBytes(BigInt(pairs));
  entry.forEach((text, k) => {
    if (!same || k % 2 === 1) bytes += listpackStringBytes(text);
  });
  return bytes + listpackIntegerBytes(BigInt(3 + pairs + (same ? 0 : pairs + 1)));
}

/** streamAppendItem's totelelen: the entry's field and value bytes. */
export function entryTextBytes(entry: readonly string[]): number {
  let bytes = 0;
  for (const text of entry) bytes += text.length;
  return bytes;
}
