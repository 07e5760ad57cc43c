// Changes to one HyperLogLog value, made the way Redis makes them in place (hyperloglog.c:
// hllSparseSet, hllDenseSet): a sparse opcode is split into at most three, neighbours with
// the same value are merged within five opcodes, and the value becomes dense when a register
// needs more than 32 or the sparse form would grow past hll-sparse-max-bytes. Following the
// same steps is what keeps the bytes identical to Redis's for the same sequence of commands.

import {
  denseGet, denseSet, encodingDense, hllHeaderBytes, hllPattern, invalidateCache, sparseToDense,
} from './hyperloglog.js';

const sparseValueMax = 32;
const sparseValueRunMax = 4;
const sparseZeroRunMax = 64;
/** Opcodes after an edit that are looked at for merging (Redis's scanlen). */
const mergeScanOpcodes = 5;
/** Room kept beyond the length: a split adds at most 3 bytes, a merge reads the byte after the end. */
const sparseSlackBytes = 4;

const isZero = (op: number): boolean => (op & 0xc0) === 0;
const isXZero = (op: number): boolean => (op & 0xc0) === 0x40;
const isVal = (op: number): boolean => (op & 0x80) !== 0;
const valValue = (op: number): number => ((op >> 2) & 0x1f) + 1;
const valRun = (op: number): number => (op & 0x3) + 1;
const valOp = (value: number, run: number): number => 0x80 | ((value - 1) << 2) | (run - 1);

/** Opcode bytes for a run of `run` zero registers: ZERO up to 64, XZERO beyond. */
function zeroOps(run: number): number[] {
  if (run > sparseZeroRunMax) return [0x40 | ((run - 1) >> 8), (run - 1) & 0xff];
  return [run - 1];
}

/** Where register `index` lies in a sparse value: its opcode, the one before, and what it covers. */
interface Located {
  readonly at: number;
  readonly previous: number;
  readonly first: number;
  readonly span: number;
}

/** One HLL value being changed; `value()` is the result. Valid-looking input (isHllValue) only. */
export class HllWriter {
  /** The bytes, with room to grow; bytes at and after `length` are zero (C's NUL terminator). */
  private data: Buffer;
  private length: number;

  constructor(value: Uint8Array, private readonly sparseMaxBytes: number) {
    this.data = Buffer.alloc(value.length + sparseSlackBytes);
    this.data.set(value);
    this.length = value.length;
  }

  get isDense(): boolean {
    return this.data[4] === encodingDense;
  }

  value(): Buffer {
    return Buffer.from(this.data.subarray(0, this.length));
  }

  /** Adds an element: 1 when a register grew, 0 when none did, -1 when the sparse form is corrupt. */
  add(element: Uint8Array): number {
    const { index, count } = hllPattern(element);
    return this.set(index, count);
  }

  /** Raises register `index` to `count` if it is lower: 1 when it was, 0 when not, -1 when corrupt. */
  set(index: number, count: number): number {
    return this.isDense ? this.denseSet(index, count) : this.sparseSet(index, count);
  }

  /** Converts a sparse value to dense; false when it is corrupt. */
  toDense(): boolean {
    if (this.isDense) return true;
    const dense = sparseToDense(this.data.subarray(0, this.length));
    if (dense === null) return false;
    this.data = Buffer.alloc(dense.length + sparseSlackBytes);
    this.data.set(dense);
    this.length = dense.length;
    return true;
  }

  invalidateCache(): void {
    invalidateCache(this.data);
  }

  private denseSet(index: number, count: number): number {
    const registers = this.data.subarray(hllHeaderBytes, this.length);
    if (count <= denseGet(registers, index)) return 0;
    denseSet(registers, index, count);
    return 1;
  }

  /** The byte at `position`: 0 past the length (the bytes there are kept zero, like C's NUL). */
  private at(position: number): number {
    return this.data[position] ?? 0;
  }

  /** The opcode covering register `index`, or null when the opcodes end first (corrupt). Hot: reads the bytes directly. */
  private locate(index: number): Located | null {
    const data = this.data;
    const end = this.length;
    let position = hllHeaderBytes;
    let previous = -1;
    let first = 0;
    let span = 0;
    while (position < end) {
      const op = data[position] as number;
      let width = 1;
      if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
      else if ((op & 0x80) !== 0) span = (op & 0x3) + 1;
      else {
        span = (((op & 0x3f) << 8) | (data[position + 1] as number)) + 1;
        width = 2;
      }
      if (index <= first + span - 1) break;
      previous = position;
      position += width;
      first += span;
    }
    if (span === 0 || position >= end) return null;
    return { at: position, previous, first, span };
  }

  private sparseSet(index: number, count: number): number {
    if (count > sparseValueMax) return this.promote(index, count);
    const found = this.locate(index);
    if (found === null) return -1;
    const op = this.at(found.at);
    if (isVal(op) && valValue(op) >= count) return 0;
    if ((isVal(op) || isZero(op)) && found.span === 1) {
      this.data[found.at] = valOp(count, 1);
    } else {
      const sequence = this.split(op, found, index, count);
      const delta = sequence.length - (isXZero(op) ? 2 : 1);
      if (delta > 0 && this.length + delta > this.sparseMaxBytes) return this.promote(index, count);
      this.replaceOpcode(found.at, isXZero(op) ? 2 : 1, sequence);
    }
    this.mergeFrom(found.previous === -1 ? hllHeaderBytes : found.previous);
    this.invalidateCache();
    return 1;
  }

  /** The opcodes that replace `op` once register `index` in it holds `count` (Redis's case D). */
  private split(op: number, found: Located, index: number, count: number): number[] {
    const last = found.first + found.span - 1;
    const sequence: number[] = [];
    const before = index - found.first;
    const after = last - index;
    if (isVal(op)) {
      if (before > 0) sequence.push(valOp(valValue(op), before));
      sequence.push(valOp(count, 1));
      if (after > 0) sequence.push(valOp(valValue(op), after));
    } else {
      if (before > 0) sequence.push(...zeroOps(before));
      sequence.push(valOp(count, 1));
      if (after > 0) sequence.push(...zeroOps(after));
    }
    return sequence;
  }

  private replaceOpcode(at: number, oldWidth: number, sequence: readonly number[]): void {
    const delta = sequence.length - oldWidth;
    this.reserve(this.length + Math.max(delta, 0));
    const next = at + oldWidth;
    if (delta !== 0 && next < this.length) this.data.copyWithin(next + delta, next, this.length);
    this.length += delta;
    this.data.set(sequence, at);
    if (delta < 0) this.data.fill(0, this.length, this.length - delta);
  }

  /** Merges neighbouring VAL opcodes of equal value (runs up to 4), scanning 5 opcodes from `from`. */
  private mergeFrom(from: number): void {
    let position = from;
    let scans = mergeScanOpcodes;
    while (position < this.length && scans-- > 0) {
      const op = this.at(position);
      if (isXZero(op)) {
        position += 2;
        continue;
      }
      if (isZero(op)) {
        position++;
        continue;
      }
      const next = this.at(position + 1);
      if (position + 1 < this.length && isVal(next) && valValue(op) === valValue(next)) {
        const run = valRun(op) + valRun(next);
        if (run <= sparseValueRunMax) {
          this.data[position + 1] = valOp(valValue(op), run);
          this.data.copyWithin(position, position + 1, this.length);
          this.length--;
          this.data[this.length] = 0;
          continue;
        }
      }
      position++;
    }
  }

  private reserve(length: number): void {
    if (length + sparseSlackBytes <= this.data.length) return;
    const grown = Buffer.alloc(length * 2 + sparseSlackBytes);
    this.data.copy(grown, 0, 0, this.length);
    this.data = grown;
  }

  /** Becomes dense, then sets the register: it always grows (a sparse value only promotes for a raise). */
  private promote(index: number, count: number): number {
    if (!this.toDense()) return -1;
    const result = this.denseSet(index, count);
    if (result !== 1) throw new Error(`hll: register ${index} not raised to ${count} after promotion to dense`);
    return result;
  }
}
