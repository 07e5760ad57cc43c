// A string value changed in place: its bytes with room to grow. A string is normally stored
// as a latin1 JS string (keyspace.ts), which is compact but immutable, so a command that
// changes part of it (SETBIT, SETRANGE, APPEND, BITFIELD, PFADD) would copy the whole value:
// a SETBIT into a 64 MiB bitmap costs two 64 MiB copies and stalls the node. Once such a
// command leaves a string at least `mutableStringBytesMin` long, the string is kept in this
// form and changed in place through the keyspace's write handle (beginStringMutation /
// settle), which lets an open snapshot copy it first, as collections do. SET and every other
// whole-value write store a latin1 string again, so small strings keep their lean form.

/** Strings shorter than this stay latin1 strings, changed by copy (cheap at this size, and more compact). */
export const mutableStringBytesMin = 4096;
/** Growth doubles the room up to this size, then adds this much at a time (Redis's sdsMakeRoomFor: SDS_MAX_PREALLOC). */
const preallocBytesMax = 1024 * 1024;

export class MutableString {
  readonly type = 'string' as const;
  /** Bytes [0, length) are the value; the rest is zeroed room to grow. */
  private buffer: Buffer;
  private size: number;
  /** Bumped by every change: a command that bumped it wrote the key (WATCH, LRU). */
  version = 0;
  /** The bytes the keyspace's memory estimate counts for this value; owned by the keyspace. */
  accountedBytes = 0;

  private constructor(buffer: Buffer, length: number) {
    this.buffer = buffer;
    this.size = length;
  }

  /**
   * A latin1 string's bytes with room for `room` bytes in all. Buffer's own allocation: a
   * short string (changed in place only for the length of one command) comes from its pool.
   */
  static fromLatin1(text: string, room = text.length): MutableString {
    if (room <= text.length) return new MutableString(Buffer.from(text, 'latin1'), text.length);
    const buffer = Buffer.allocUnsafe(room);
    buffer.write(text, 'latin1');
    buffer.fill(0, text.length);
    return new MutableString(buffer, text.length);
  }

  get length(): number {
    return this.size;
  }

  /** The memory estimate: the value's length, the same on every replica whatever room each has. */
  get bytes(): number {
    return this.size;
  }

  /**
   * The value's bytes, live: valid until the next change (copy them to keep them). The
   * command that opened the string may write them in place, then calls changed().
   */
  view(): Buffer {
    return this.buffer.subarray(0, this.size);
  }

  /** Records a change written through view(). */
  changed(): void {
    this.version++;
  }

  byteAt(index: number): number {
    return index < this.size ? (this.buffer[index] as number) : 0;
  }

  /** Zero-pads the value to at least `length` bytes (Redis's sdsgrowzero). */
  growZero(length: number): void {
    if (length <= this.size) return;
    if (length > this.buffer.length) {
      const room = length < preallocBytesMax ? length * 2 : length + preallocBytesMax;
      const grown = Buffer.allocUnsafe(room);
      this.buffer.copy(grown, 0, 0, this.size);
      grown.fill(0, this.size);
      this.buffer = grown;
    }
    this.size = length;
    this.version++;
  }

  /** Writes `data` at `offset`, zero-padding first when it reaches past the end. */
  write(offset: number, data: Uint8Array): void {
    this.growZero(offset + data.length);
    this.buffer.set(data, offset);
    this.version++;
  }

  /** The value as a latin1 string (one char per byte: how strings are stored otherwise). */
  toLatin1(): string {
    return this.buffer.toString('latin1', 0, this.size);
  }
}
