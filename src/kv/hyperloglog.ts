// HyperLogLog in Redis's own representation (hyperloglog.c), so a value is byte-for-byte what
// Redis would store for the same commands: GET/SET, DUMP/RESTORE and SETRANGE corruption
// behave the same on both. Layout:
//   header (16 bytes): "HYLL", encoding (0 dense, 1 sparse), 3 unused, cached cardinality
//     (8 bytes little-endian; the top bit of the last byte set = stale);
//   dense: 16384 registers of 6 bits, least significant bits first, 12288 bytes;
//   sparse: run-length opcodes ZERO 00xxxxxx (1..64 zeros), XZERO 01xxxxxx yyyyyyyy
//     (1..16384 zeros), VAL 1vvvvvxx (value 1..32 repeated 1..4 times).
// Elements hash with MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the register, the
// run of zeros above them (plus one) is the candidate value. The estimate is Ertl's improved
// estimator, as Redis computes it. A sparse value is edited in place exactly as Redis edits
// it (its encoding depends on the order of edits, not only on the registers), and becomes
// dense when a value exceeds 32 or its length would pass hll-sparse-max-bytes.

export const hllRegisterCount = 16384;
const hllP = 14;
const hllQ = 64 - hllP;
const registerMax = 63;
export const hllHeaderBytes = 16;
export const hllDenseBytes = hllHeaderBytes + (hllRegisterCount * 6) / 8;
export const encodingDense = 0;
const encodingSparse = 1;
const sparseXZeroRunMax = 16384;
/** Redis's default for hll-sparse-max-bytes. */
export const hllSparseMaxBytesDefault = 3000;
const murmurSeed = 0xadc83b19;
const alphaInfinity = 0.7213475204444817; // 0.5 / ln(2), as the double Redis uses

// ---- MurmurHash64A on 32-bit halves ------------------------------------------------------
// 64-bit words are kept as two unsigned 32-bit halves in locals; the multiply writes its result
// to two module variables instead of returning an object, so hashing allocates nothing.

const mHigh = 0xc6a4a793;
const mLow = 0x5bd1e995;
let productHigh = 0;
let productLow = 0;

/** (high, low) × m mod 2^64, into productHigh and productLow. */
function timesM(high: number, low: number): void {
  const a0 = low & 0xffff;
  const a1 = low >>> 16;
  const p01 = a0 * (mLow >>> 16);
  const p10 = a1 * (mLow & 0xffff);
  const middle = ((a0 * (mLow & 0xffff)) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const carry = a1 * (mLow >>> 16) + (p01 >>> 16) + (p10 >>> 16) + (middle >>> 16);
  productLow = Math.imul(low, mLow) >>> 0;
  productHigh = (carry + Math.imul(high, mLow) + Math.imul(low, mHigh)) >>> 0;
}

/** Redis's MurmurHash64A of `data` with `seed` (little-endian reading, as Redis does on every host), as [high, low]. */
function murmurHash64A(data: Uint8Array, seed: number): [number, number] {
  const length = data.length;
  timesM(0, length >>> 0);
  let high = productHigh;
  let low = (productLow ^ seed) >>> 0;
  const whole = length - (length & 7);
  for (let i = 0; i < whole; i += 8) {
    timesM(
      ((data[i + 4] as number) | ((data[i + 5] as number) << 8) | ((data[i + 6] as number) << 16) | ((data[i + 7] as number) << 24)) >>> 0,
      ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24)) >>> 0,
    );
    timesM(productHigh, (productLow ^ (productHigh >>> 15)) >>> 0);
    timesM((high ^ productHigh) >>> 0, (low ^ productLow) >>> 0);
    high = productHigh;
    low = productLow;
  }
  const rest = length & 7;
  if (rest > 0) {
    for (let i = rest - 1; i >= 0; i--) {
      const byte = data[whole + i] as number;
      if (i >= 4) high = (high ^ (byte << (8 * (i - 4)))) >>> 0;
      else low = (low ^ (byte << (8 * i))) >>> 0;
    }
    timesM(high, low);
    high = productHigh;
    low = productLow;
  }
  timesM(high, (low ^ (high >>> 15)) >>> 0);
  return [productHigh, (productLow ^ (productHigh >>> 15)) >>> 0];
}

/** Trailing zero bits of a non-zero 32-bit number. */
function trailingZeros(value: number): number {
  return 31 - Math.clz32(value & -value);
}

/** The register an element goes to and the value it offers (Redis's hllPatLen). */
export function hllPattern(element: Uint8Array): { index: number; count: number } {
  const [hashHigh, hashLow] = murmurHash64A(element, murmurSeed);
  const index = hashLow & (hllRegisterCount - 1);
  // hash >> 14, with bit Q set so the run ends: count = trailing zeros + 1, at most Q + 1.
  const low = ((hashLow >>> hllP) | (hashHigh << (32 - hllP))) >>> 0;
  const high = (hashHigh >>> hllP) | (1 << (hllQ - 32));
  const count = low !== 0 ? trailingZeros(low) + 1 : 32 + trailingZeros(high) + 1;
  return { index, count };
}

// ---- Dense registers ---------------------------------------------------------------------

/** Register `index` of dense `registers` (the bytes after the header); a byte past the end reads 0, like the C string's NUL. */
export function denseGet(registers: Uint8Array, index: number): number {
  const byte = (index * 6) >> 3;
  const shift = (index * 6) & 7;
  const b0 = registers[byte] ?? 0;
  const b1 = registers[byte + 1] ?? 0;
  return ((b0 >> shift) | (b1 << (8 - shift))) & registerMax;
}

export function denseSet(registers: Uint8Array, index: number, value: number): void {
  const byte = (index * 6) >> 3;
  const shift = (index * 6) & 7;
  registers[byte] = ((registers[byte] as number) & ~(registerMax << shift) | (value << shift)) & 0xff;
  if (byte + 1 < registers.length) {
    registers[byte + 1] = ((registers[byte + 1] as number) & ~(registerMax >> (8 - shift)) | (value >> (8 - shift))) & 0xff;
  }
}

/**
 * Raises `into` (one byte per register) to dense `registers` where they are higher: four
 * registers from each three bytes, without a call per register (PFCOUNT and PFMERGE read all
 * 16384 on every call).
 */
function raiseFromDense(registers: Uint8Array, into: Uint8Array): void {
  for (let index = 0, byte = 0; index < hllRegisterCount; index += 4, byte += 3) {
    const b0 = registers[byte] as number;
    const b1 = registers[byte + 1] as number;
    const b2 = registers[byte + 2] as number;
    const r0 = b0 & registerMax;
    const r1 = ((b0 >> 6) | (b1 << 2)) & registerMax;
    const r2 = ((b1 >> 4) | (b2 << 4)) & registerMax;
    const r3 = (b2 >> 2) & registerMax;
    if (r0 > (into[index] as number)) into[index] = r0;
    if (r1 > (into[index + 1] as number)) into[index + 1] = r1;
    if (r2 > (into[index + 2] as number)) into[index + 2] = r2;
    if (r3 > (into[index + 3] as number)) into[index + 3] = r3;
  }
}

// ---- The value ---------------------------------------------------------------------------

/** Whether `data` passes Redis's isHLLObjectOrReply checks (magic, encoding, dense length). */
export function isHllValue(data: Uint8Array): boolean {
  if (data.length < hllHeaderBytes) return false;
  if (data[0] !== 0x48 || data[1] !== 0x59 || data[2] !== 0x4c || data[3] !== 0x4c) return false; // "HYLL"
  const encoding = data[4] as number;
  if (encoding > encodingSparse) return false;
  return encoding !== encodingDense || data.length === hllDenseBytes;
}

/** A new, empty HLL: sparse, one XZERO opcode covering every register. */
export function emptyHll(): Buffer {
  const data = Buffer.alloc(hllHeaderBytes + 2);
  data.write('HYLL', 0, 'latin1');
  data[4] = encodingSparse;
  data[hllHeaderBytes] = 0x40 | ((sparseXZeroRunMax - 1) >> 8);
  data[hllHeaderBytes + 1] = (sparseXZeroRunMax - 1) & 0xff;
  return data;
}

/** Marks the cached cardinality stale. */
export function invalidateCache(data: Uint8Array): void {
  data[15] = (data[15] as number) | 0x80;
}

/**
 * The cached cardinality when valid, else null. A value edited by SETRANGE can cache any
 * 63-bit number, which Redis answers exactly: beyond 2^53 it stays a bigint.
 */
export function cachedCardinality(data: Uint8Array): number | bigint | null {
  if (((data[15] as number) & 0x80) !== 0) return null;
  const cached = new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(8, true);
  return cached <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(cached) : cached;
}

/** Visits the sparse opcodes of `data` after the header: (value, run length) per opcode; `visit` returns true to stop. */
function forEachRun(data: Uint8Array, visit: (value: number, run: number) => boolean): void {
  for (let p = hllHeaderBytes; p < data.length;) {
    const op = data[p] as number;
    let stop: boolean;
    if ((op & 0xc0) === 0) {
      stop = visit(0, (op & 0x3f) + 1);
      p++;
    } else if ((op & 0xc0) === 0x40) {
      stop = visit(0, (((op & 0x3f) << 8) | (data[p + 1] ?? 0)) + 1);
      p += 2;
    } else {
      stop = visit(((op >> 2) & 0x1f) + 1, (op & 0x3) + 1);
      p++;
    }
    if (stop) return;
  }
}

/**
 * Calls `set` for every non-zero register of a sparse value; false when its runs do not cover
 * exactly every register (corrupt: Redis stops at a value run that passes the end).
 */
function forEachSparseRegister(data: Uint8Array, set: (index: number, value: number) => void): boolean {
  let index = 0;
  let overflow = false;
  forEachRun(data, (value, run) => {
    if (value !== 0) {
      if (index + run > hllRegisterCount) {
        overflow = true;
        return true;
      }
      for (let i = index; i < index + run; i++) set(i, value);
    }
    index += run;
    return false;
  });
  return !overflow && index === hllRegisterCount;
}

/**
 * The registers of `data` as one byte each (Redis's "raw" form), or null when a sparse value
 * is corrupt. Merges into `into` (max per register) when given.
 */
export function rawRegisters(data: Uint8Array, into: Uint8Array = new Uint8Array(hllRegisterCount)): Uint8Array | null {
  if (data[4] === encodingDense) {
    raiseFromDense(data.subarray(hllHeaderBytes), into);
    return into;
  }
  const raise = (index: number, value: number): void => {
    if (value > (into[index] as number)) into[index] = value;
  };
  return forEachSparseRegister(data, raise) ? into : null;
}

/** The dense form of a sparse `data` (header copied, cached cardinality included), or null when corrupt. */
export function sparseToDense(data: Uint8Array): Buffer | null {
  const dense = Buffer.alloc(hllDenseBytes);
  dense.set(data.subarray(0, hllHeaderBytes));
  dense[4] = encodingDense;
  const registers = dense.subarray(hllHeaderBytes);
  return forEachSparseRegister(data, (index, value) => denseSet(registers, index, value)) ? dense : null;
}

// ---- Cardinality ------------------------------------------------------------------------

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let zPrime: number;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let zPrime: number;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (zPrime !== z);
  return z / 3;
}

/** Redis's hllCount from a histogram of register values (64 slots). */
export function estimate(histogram: ArrayLike<number>): number {
  const m = hllRegisterCount;
  let z = m * tau((m - (histogram[hllQ + 1] as number)) / m);
  for (let j = hllQ; j >= 1; j--) {
    z += histogram[j] as number;
    z *= 0.5;
  }
  z += m * sigma((histogram[0] as number) / m);
  // llroundl: halves away from zero; the estimate is never negative.
  return Math.round((alphaInfinity * m * m) / z);
}

/** The histogram of one byte per register. */
export function rawHistogram(registers: Uint8Array): Uint32Array {
  const histogram = new Uint32Array(64);
  for (let i = 0; i < registers.length; i++) {
    const value = registers[i] as number;
    histogram[value] = (histogram[value] as number) + 1;
  }
  return histogram;
}

/**
 * The histogram of dense registers (the bytes after the header), counted straight from the
 * packed bytes, four registers from each three (Redis's hllDenseRegHisto), with no array per
 * register: PFCOUNT of a dense value not yet counted, and PFMERGE's sources.
 */
function denseHistogram(data: Uint8Array): Uint32Array {
  const histogram = new Uint32Array(64);
  for (let byte = hllHeaderBytes, end = hllHeaderBytes + (hllRegisterCount * 6) / 8; byte < end; byte += 3) {
    const b0 = data[byte] as number;
    const b1 = data[byte + 1] as number;
    const b2 = data[byte + 2] as number;
    const r0 = b0 & registerMax;
    const r1 = ((b0 >> 6) | (b1 << 2)) & registerMax;
    const r2 = ((b1 >> 4) | (b2 << 4)) & registerMax;
    const r3 = (b2 >> 2) & registerMax;
    histogram[r0] = (histogram[r0] as number) + 1;
    histogram[r1] = (histogram[r1] as number) + 1;
    histogram[r2] = (histogram[r2] as number) + 1;
    histogram[r3] = (histogram[r3] as number) + 1;
  }
  return histogram;
}

/**
 * The histogram of `data`'s registers, or null for a sparse value whose runs do not add up to
 * the register count. Like Redis, a sparse run is counted whole even past the end.
 */
function histogramOf(data: Uint8Array): Uint32Array | null {
  if (data[4] === encodingDense) return denseHistogram(data);
  const histogram = new Uint32Array(64);
  let index = 0;
  forEachRun(data, (value, run) => {
    index += run;
    histogram[value] = (histogram[value] as number) + run;
    return false;
  });
  return index === hllRegisterCount ? histogram : null;
}

/** The estimated cardinality of a valid-looking HLL (isHllValue), or null when it is corrupt. */
export function countOf(data: Uint8Array): number | null {
  const histogram = histogramOf(data);
  return histogram === null ? null : estimate(histogram);
}
