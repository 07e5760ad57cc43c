// The hash type: fields mapped to values, both binary-safe (latin1 strings, one char per
// byte, like keys). Fields are kept by position in a MemberIndex (member-index.ts) with the
// values in a parallel PackedStringArray (packed-strings.ts: 64 values to a string): O(1)
// get, set and delete, O(1) pick of a random field (HRANDFIELD) and a HSCAN cursor that
// misses nothing. The position order is what HGETALL, HSCAN and snapshots see: the same on
// every replica, also on one restored from a snapshot (elements are restored in that order).

import { DecodeError, type ByteReader, type ByteWriter } from './binary.js';
import { fnv1aLatin1, fnvOffsetBasis, mixSeed } from './hash.js';
import { MemberIndex } from './member-index.js';
import { PackedStringArray } from './packed-strings.js';
import { positionalCursor } from './positional-cursor.js';
import type { CollectionBuilder, CollectionCodec, CollectionValue, ElementCursor } from './value.js';

/**
 * Memory estimate per field beyond its bytes: its place in the member index (a cached hash
 * and a slot), and the offsets of the field and of its value in packed chunks (about 19 bytes
 * in V8 on x64, measured with a million fields of 10–100-byte values: bench/collection-heap.ts).
 */
export const hashFieldOverheadBytes = 20;

export class HashValue implements CollectionValue {
  readonly type = 'hash' as const;
  accountedBytes = 0;
  private fieldBytes = 0;
  private changes = 0;

  /** Invariant: values.length === fields.size; values[i] is the value of fields.at(i). */
  private constructor(
    private readonly fields: MemberIndex,
    private readonly fieldValues: PackedStringArray,
  ) {
    for (let i = 0; i < fieldValues.length; i++) this.fieldBytes += fieldCost(fields.at(i), fieldValues.at(i));
  }

  static create(): HashValue {
    return new HashValue(MemberIndex.empty(true), new PackedStringArray());
  }

  get length(): number {
    return this.fieldValues.length;
  }

  get bytes(): number {
    return this.fieldBytes;
  }

  get version(): number {
    return this.changes;
  }

  get(field: string): string | undefined {
    const position = this.fields.positionOf(field);
    return position === undefined ? undefined : this.fieldValues.at(position);
  }

  has(field: string): boolean {
    return this.fields.has(field);
  }

  /** Sets a field; true when it is new. */
  set(field: string, value: string): boolean {
    this.changes++;
    const position = this.fields.positionOf(field);
    if (position === undefined) {
      this.fields.add(field);
      this.fieldValues.push(value);
      this.fieldBytes += fieldCost(field, value);
      return true;
    }
    this.fieldBytes += value.length - this.fieldValues.at(position).length;
    this.fieldValues.set(position, value);
    return false;
  }

  /** Deletes a field; true when it existed. The last field moves into its position. */
  delete(field: string): boolean {
    const position = this.fields.positionOf(field);
    if (position === undefined) return false;
    this.changes++;
    this.fieldBytes -= fieldCost(field, this.fieldValues.at(position));
    this.fields.removeAt(position);
    // As the index did: the last value moves into the position.
    const last = this.fieldValues.pop();
    if (position < this.fieldValues.length) this.fieldValues.set(position, last);
    return true;
  }

  /** The field at `position` (0 ≤ position < length). */
  fieldAt(position: number): string {
    return this.fields.at(position);
  }

  /** The value at `position` (0 ≤ position < length). */
  valueAt(position: number): string {
    return this.fieldValues.at(position);
  }

  /** Fields and values in position order. */
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.fieldValues.length; i++) yield [this.fields.at(i), this.fieldValues.at(i)];
  }

  keys(): IterableIterator<string> {
    return this.fields.values();
  }

  values(): IterableIterator<string> {
    return this.fieldValues.values();
  }

  clone(): HashValue {
    return new HashValue(this.fields.clone(), this.fieldValues.clone());
  }

  /** Order-independent: a sum of per-field hashes. */
  digest(): number {
    let sum = 0;
    for (let i = 0; i < this.fieldValues.length; i++) {
      sum = (sum + mixSeed(fnv1aLatin1(fnvOffsetBasis, this.fields.at(i)), fnv1aLatin1(fnvOffsetBasis, this.fieldValues.at(i)))) >>> 0;
    }
    return sum;
  }

  cursor(position: number): ElementCursor {
    return positionalCursor(this.fieldValues.length, position, (writer: ByteWriter, at: number) => {
      writer.latin1Bytes(this.fields.at(at));
      writer.latin1Bytes(this.fieldValues.at(at));
    });
  }

  /** Builds a hash from snapshot elements, in the order written (positions are kept). */
  static builder(): CollectionBuilder {
    const hash = HashValue.create();
    return {
      read(reader: ByteReader, count: number): void {
        for (let i = 0; i < count; i++) {
          const field = reader.bytes().toString('latin1');
          const value = reader.bytes().toString('latin1');
          if (!hash.set(field, value)) throw new DecodeError('duplicate field in a hash');
        }
      },
      finish: () => hash,
    };
  }
}

function fieldCost(field: string, value: string): number {
  return hashFieldOverheadBytes + field.length + value.length;
}

export const hashCodec: CollectionCodec = { type: 'hash', code: 2, builder: HashValue.builder };
