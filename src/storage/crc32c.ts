// CRC-32C (Castagnoli), table-driven slice-by-8. Every WAL record and every snapshot file is
// checksummed with it, so it sits on the write hot path: one pass over each batch.
// Reflected polynomial 0x82F63B78; crc32c("123456789") = 0xE3069283.

const POLYNOMIAL_REFLECTED = 0x82f63b78;
const TABLE_SLICES = 8;

// TABLE[k * 256 + b] = CRC of byte b followed by k zero bytes; slice-by-8 folds 8 input
// bytes per step with 8 independent lookups.
const TABLE = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(TABLE_SLICES * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL_REFLECTED : c >>> 1;
    table[b] = c >>> 0;
  }
  for (let k = 1; k < TABLE_SLICES; k++) {
    for (let b = 0; b < 256; b++) {
      const previous = table[(k - 1) * 256 + b]!;
      table[k * 256 + b] = ((previous >>> 8) ^ table[previous & 0xff]!) >>> 0;
    }
  }
  return table;
}

/** Running state for an empty input; feed it to crc32cUpdate and finish with crc32cFinish. */
export const CRC32C_INITIAL_STATE = 0xffffffff;

/** Folds bytes[start, end) into a running CRC state (not yet finalized). */
export function crc32cUpdate(state: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = TABLE;
  let c = state >>> 0;
  let i = start;
  const end8 = end - ((end - start) & 7);
  while (i < end8) {
    const a = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    c =
      t[0x700 + (a & 0xff)]! ^
      t[0x600 + ((a >>> 8) & 0xff)]! ^
      t[0x500 + ((a >>> 16) & 0xff)]! ^
      t[0x400 + (a >>> 24)]! ^
      t[0x300 + bytes[i + 4]!]! ^
      t[0x200 + bytes[i + 5]!]! ^
      t[0x100 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < end) {
    c = (c >>> 8) ^ t[(c ^ bytes[i]!) & 0xff]!;
    i++;
  }
  return c >>> 0;
}

export function crc32cFinish(state: number): number {
  return (state ^ 0xffffffff) >>> 0;
}

/** CRC-32C of bytes[start, end). */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32cFinish(crc32cUpdate(CRC32C_INITIAL_STATE, bytes, start, end));
}
