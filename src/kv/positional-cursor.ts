// The snapshot cursor of a collection stored by position (member-index.ts): writes elements
// in position order from a starting position. While a snapshot writes a live value, that
// value does not change (the snapshot switches to a copy before it would), so a position
// names the same element from one call to the next.

import type { ByteWriter } from './binary.js';
import type { ElementCursor } from './value.js';

/** A cursor over positions [position, length) that writes one element with `writeOne`. */
export function positionalCursor(length: number, position: number, writeOne: (writer: ByteWriter, position: number) => void): ElementCursor {
  if (!Number.isSafeInteger(position) || position < 0 || position > length) {
    throw new Error(`positional cursor: position ${position} outside [0, ${length}]`);
  }
  let next = position;
  return {
    get position() {
      return next;
    },
    get done() {
      return next >= length;
    },
    writeSome(writer: ByteWriter, untilBytes: number): number {
      const first = next;
      while (next < length && (next === first || writer.byteLength < untilBytes)) writeOne(writer, next++);
      return next - first;
    },
  };
}
