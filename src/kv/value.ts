// What a key can hold. A string is stored as a latin1 string (one char per byte: the most
// compact form for a million small values), or as a MutableString once a command changed
// part of a large one in place (mutable-string.ts); every other type is a collection object that
// implements CollectionValue, in its own file (hash-value.ts, list-value.ts, ...), and is
// mutated in place through the keyspace's write API (command-context.ts: a snapshot in
// progress keeps the old value, memory is kept by deltas, an emptied collection's key goes).

import type { ByteReader, ByteWriter } from './binary.js';
import type { MutableString } from './mutable-string.js';

export type CollectionTypeName = 'hash' | 'list' | 'set' | 'zset' | 'stream';
export type TypeName = 'string' | CollectionTypeName;

/** A value as commands see it: a string's bytes (a fresh copy), or the live collection. */
export type Value = { readonly type: 'string'; readonly data: Buffer } | CollectionValue;

/** Writes a collection's elements into snapshot records, from a position, in bounded steps. */
export interface ElementCursor {
  /** Elements written so far (the position a cursor on a clone resumes from). */
  readonly position: number;
  readonly done: boolean;
  /**
   * Writes whole elements while `writer.byteLength < untilBytes` and elements remain
   * (at least one if any remain); returns how many it wrote.
   */
  writeSome(writer: ByteWriter, untilBytes: number): number;
}

/**
 * One collection value. Its mutators keep `bytes` and bump `version`; only the keyspace
 * writes `accountedBytes`. Element bytes are latin1 strings, like keys.
 */
export interface CollectionValue {
  readonly type: CollectionTypeName;
  /** Elements (fields, members, items). 0 only transiently: an emptied collection's key is deleted. */
  readonly length: number;
  /** Estimated memory of the elements, identical on every replica (not V8's real usage). */
  readonly bytes: number;
  /** Bumped by every mutation: a write that bumped it counts as a write to the key (WATCH, LRU). */
  readonly version: number;
  /** The bytes the keyspace's memory estimate counts for this value; owned by the keyspace. */
  accountedBytes: number;
  /** An independent deep copy (a snapshot in progress keeps it while the original changes). */
  clone(): CollectionValue;
  /** 32-bit digest of the contents, the same on every replica with the same contents. */
  digest(): number;
  /** A snapshot cursor over the elements from `position` (in the value's iteration order). */
  cursor(position: number): ElementCursor;
}

/** Builds a collection from snapshot element records. */
export interface CollectionBuilder {
  /** Reads `count` elements; throws DecodeError on malformed input. */
  read(reader: ByteReader, count: number): void;
  /** The finished value (at least one element). */
  finish(): CollectionValue;
}

/** A collection type's snapshot identity: its type code in key records and its decoder. */
export interface CollectionCodec {
  readonly type: CollectionTypeName;
  /** Snapshot value type code (strings are 1). Never reuse or renumber a code. */
  readonly code: number;
  builder(): CollectionBuilder;
}

/** What the keyspace stores: a string's bytes as a latin1 string or, once changed in place, a MutableString; or a collection. */
export type StoredValue = string | MutableString | CollectionValue;

export function isCollection(value: StoredValue): value is CollectionValue {
  return typeof value !== 'string' && value.type !== 'string';
}

/** A string stored in either form. */
export function isStoredString(value: StoredValue): value is string | MutableString {
  return typeof value === 'string' || value.type === 'string';
}
