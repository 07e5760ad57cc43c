// Redis's CRC-64 (crc64.c): the Jones polynomial, reflected, initial value 0, no final xor,
// the checksum of a DUMP payload and of an RDB file. crc64("123456789") = 0xe9c6d914c4b8d9ca.
// The table is computed once; each step is BigInt-free (two 32-bit halves).

const polynomialHigh = 0x95ac9329;
const polynomialLow = 0xac4bc9b5;

const tableHigh = new Uint32Array(256);
const tableLow = new Uint32Array(256);

/** The reflected table: entry i is i shifted through 8 rounds of the reflected polynomial. */
function buildTable(): void {
  for (let i = 0; i < 256; i++) {
    let high = 0;
    let low = i;
    for (let bit = 0; bit < 8; bit++) {
      const carry = low & 1;
      low = ((low >>> 1) | ((high & 1) << 31)) >>> 0;
      high >>>= 1;
      if (carry !== 0) {
        high = (high ^ polynomialHigh) >>> 0;
        low = (low ^ polynomialLow) >>> 0;
      }
    }
    tableHigh[i] = high;
    tableLow[i] = low;
  }
}
buildTable();

/** crc64(crc, bytes) as Redis computes it; `crc` continues an earlier checksum (0 to start). */
export function crc64(bytes: Uint8Array, crc = 0n): bigint {
  let high = Number(crc >> 32n) >>> 0;
  let low = Number(crc & 0xffffffffn) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    const index = (low ^ (bytes[i] as number)) & 0xff;
    const nextLow = ((low >>> 8) | ((high & 0xff) << 24)) >>> 0;
    high = ((high >>> 8) ^ (tableHigh[index] as number)) >>> 0;
    low = (nextLow ^ (tableLow[index] as number)) >>> 0;
  }
  return (BigInt(high) << 32n) | BigInt(low);
}
