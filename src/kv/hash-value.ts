// The hash type: fields mapped to values, both binary-safe (latin1 strings, one char per
// byte, like keys). A Map keeps insertion order, which is the order HGETALL, HSCAN and
// snapshots see: the same on every replica, also on one restored from a snapshot (elements
// are restored in that order).

import { DecodeError, type ByteReader, type ByteWriter } from './binary.js';
import { fnv1aLatin1, fnvOffsetBasis, mixSeed } from './hash.js';
import type { CollectionBuilder, CollectionCodec, CollectionValue, ElementCursor } from './value.js';

/** Memory estimate per field beyond its bytes (map slot and two strings). */
export const hashFieldOverheadBytes = 48;

export class HashValue implements CollectionValue {
  readonly type = 'hash' as const;
  accountedBytes = 0;
  private fieldBytes = 0;
  private changes = 0;

  constructor(private readonly fields: Map<string, string> = new Map()) {
    for (const [field, value] of fields) this.fieldBytes += hashFieldOverheadBytes + field.length + value.length;
  }

  static create(): HashValue {
    return new HashValue();
  }

  get length(): number {
    return this.fields.size;
  }

  get bytes(): number {
    return this.fieldBytes;
  }

  get version(): number {
    return this.changes;
  }

  get(field: string): string | undefined {
    return this.fields.get(field);
  }

  has(field: string): boolean {
    return this.fields.has(field);
  }

  /** Sets a field; true when it is new. */
  set(field: string, value: string): boolean {
    const previous = this.fields.get(field);
    this.fields.set(field, value);
    this.changes++;
    if (previous === undefined) {
      this.fieldBytes += hashFieldOverheadBytes + field.length + value.length;
      return true;
    }
    this.fieldBytes += value.length - previous.length;
    return false;
  }

  /** Deletes a field; true when it existed. */
  delete(field: string): boolean {
    const previous = this.fields.get(field);
    if (previous === undefined) return false;
    this.fields.delete(field);
    this.changes++;
    this.fieldBytes -= hashFieldOverheadBytes + field.length + previous.length;
    return true;
  }

  /** Fields and values in insertion order. */
  entries(): IterableIterator<[string, string]> {
    return this.fields.entries();
  }

  keys(): IterableIterator<string> {
    return this.fields.keys();
  }

  values(): IterableIterator<string> {
    return this.fields.values();
  }

  clone(): HashValue {
    return new HashValue(new Map(this.fields));
  }

  /** Order-independent: a sum of per-field hashes. */
  digest(): number {
    let sum = 0;
    for (const [field, value] of this.fields) sum = (sum + mixSeed(fnv1aLatin1(fnvOffsetBasis, field), fnv1aLatin1(fnvOffsetBasis, value))) >>> 0;
    return sum;
  }

  cursor(position: number): ElementCursor {
    const iterator = this.fields.entries();
    for (let i = 0; i < position; i++) iterator.next();
    let next = iterator.next();
    let written = position;
    return {
      get position() {
        return written;
      },
      get done() {
        return next.done === true;
      },
      writeSome(writer: ByteWriter, untilBytes: number): number {
        let count = 0;
        while (next.done !== true && (count === 0 || writer.byteLength < untilBytes)) {
          const [field, value] = next.value;
          writer.latin1Bytes(field);
          writer.latin1Bytes(value);
          count++;
          next = iterator.next();
        }
        written += count;
        return count;
      },
    };
  }
}

export const hashCodec: CollectionCodec = {
  type: 'hash',
  code: 2,
  builder(): CollectionBuilder {
    const fields = new Map<string, string>();
    return {
      read(reader: ByteReader, count: number): void {
        for (let i = 0; i < count; i++) {
          const field = reader.bytes().toString('latin1');
          const value = reader.bytes().toString('latin1');
          if (fields.has(field)) throw new DecodeError('duplicate field in a hash');
          fields.set(field, value);
        }
      },
      finish: () => new HashValue(fields),
    };
  },
};
