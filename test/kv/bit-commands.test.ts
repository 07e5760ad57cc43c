// Bitmaps, BITFIELD and LCS on the state machine alone: BITFIELD against a model of the string
// as a list of bits with BigInt arithmetic, LCS against a naive recursion, and the limits a
// string or a transient table may reach (named, refused with Redis's errors, nothing stored).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Harness, plain, type Plain } from './harness.js';
import { engineStringBytesMax } from '../../src/kv/string-bits.js';

/** BITFIELD as a reader of the documentation would model it: bits in a list, exact integers. */
class BitfieldModel {
  bits: number[] = [];

  run(ops: readonly (readonly string[])[]): Plain[] {
    const replies: Plain[] = [];
    let overflow = 'WRAP';
    const writes = ops.filter((op) => op[0] !== 'GET' && op[0] !== 'OVERFLOW');
    for (const op of writes) this.grow(fieldOffset(op) + fieldBits(op));
    for (const op of ops) {
      if (op[0] === 'OVERFLOW') {
        overflow = op[1] as string;
        continue;
      }
      const old = this.read(op);
      if (op[0] === 'GET') {
        replies.push(Number(old));
        continue;
      }
      const next = this.fit(op, old, overflow);
      if (next === null) {
        replies.push(null);
        continue;
      }
      this.write(op, next);
      replies.push(Number(op[0] === 'INCRBY' ? next : old));
    }
    return replies;
  }

  bytes(): string {
    let text = '';
    for (let i = 0; i < this.bits.length; i += 8) text += String.fromCharCode(parseInt(this.bits.slice(i, i + 8).join(''), 2));
    return text;
  }

  private grow(bitCount: number): void {
    while (this.bits.length < Math.ceil(bitCount / 8) * 8) this.bits.push(0);
  }

  private read(op: readonly string[]): bigint {
    const offset = fieldOffset(op);
    const width = fieldBits(op);
    let digits = '';
    for (let i = 0; i < width; i++) digits += String(this.bits[offset + i] ?? 0);
    const unsigned = BigInt(`0b${digits}`);
    return isSigned(op) && digits[0] === '1' ? unsigned - (1n << BigInt(width)) : unsigned;
  }

  private write(op: readonly string[], value: bigint): void {
    const width = fieldBits(op);
    const digits = BigInt.asUintN(width, value).toString(2).padStart(width, '0');
    for (let i = 0; i < width; i++) this.bits[fieldOffset(op) + i] = Number(digits[i]);
  }

  /** The stored result, or null under FAIL. Redis computes a signed SET's limit in wrapping int64: far below the minimum counts as above. */
  private fit(op: readonly string[], old: bigint, overflow: string): bigint | null {
    const width = BigInt(fieldBits(op));
    const min = isSigned(op) ? -(1n << (width - 1n)) : 0n;
    const max = isSigned(op) ? (1n << (width - 1n)) - 1n : (1n << width) - 1n;
    const given = BigInt(op[3] as string);
    const value = op[0] === 'INCRBY' ? old + given : isSigned(op) ? given : BigInt.asUintN(64, given);
    if (value >= min && value <= max) return value;
    const above = value > max || (op[0] === 'SET' && isSigned(op) && max - value >= 1n << 63n);
    if (overflow === 'FAIL') return null;
    if (overflow === 'SAT') return above ? max : min;
    return isSigned(op) ? BigInt.asIntN(Number(width), value) : BigInt.asUintN(Number(width), value);
  }
}

const isSigned = (op: readonly string[]): boolean => (op[1] as string).startsWith('i');
const fieldBits = (op: readonly string[]): number => Number((op[1] as string).slice(1));
const fieldOffset = (op: readonly string[]): number => {
  const text = op[2] as string;
  return text.startsWith('#') ? Number(text.slice(1)) * fieldBits(op) : Number(text);
};

describe('BITFIELD', () => {
  test('matches a bit-list model with exact integers (property)', () => {
    const type = fc.tuple(fc.constantFrom('i', 'u'), fc.integer({ min: 1, max: 64 })).map(([sign, bits]) => `${sign}${sign === 'u' ? Math.min(bits, 63) : bits}`);
    // Small values stay below 2^53 so the model's Number() replies are exact; large ones exercise overflow.
    const value = fc.oneof(fc.integer({ min: -1000, max: 1000 }).map(String), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map(String));
    const offset = fc.oneof(fc.integer({ min: 0, max: 80 }).map(String), fc.integer({ min: 0, max: 4 }).map((n) => `#${n}`));
    const op = fc.oneof(
      fc.tuple(fc.constant('GET'), type, offset).map((t) => [...t]),
      fc.tuple(fc.constantFrom('SET', 'INCRBY'), type, offset, value).map((t) => [...t]),
      fc.tuple(fc.constant('OVERFLOW'), fc.constantFrom('WRAP', 'SAT', 'FAIL')).map((t) => [...t]),
    );
    fc.assert(fc.property(fc.array(fc.array(op, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }), (calls) => {
      const harness = new Harness();
      const model = new BitfieldModel();
      for (const ops of calls) {
        const replies = plain(harness.apply('BITFIELD', 'f', ...ops.flat())) as Plain[];
        const expected = model.run(ops);
        assert.equal(replies.length, expected.length);
        // Both sides hold exact bigints; Number() rounds both the same way.
        replies.forEach((reply, i) => assert.equal(reply, expected[i], ops.map((o) => o.join(' ')).join(' | ')));
      }
      const stored = plain(harness.apply('GET', 'f'));
      assert.equal(stored ?? '', model.bytes());
    }), { numRuns: 300 });
  });

  test('a write past the largest string is refused and stores nothing', () => {
    const harness = new Harness({ protoMaxBulkLen: 1024 });
    assert.deepEqual(plain(harness.apply('BITFIELD', 'f', 'SET', 'u8', '8192', '1')), { err: 'ERR bit offset is not an integer or out of range' });
    assert.deepEqual(plain(harness.apply('BITFIELD', 'f', 'SET', 'u8', '8184', '1')), [0]);
    assert.deepEqual(plain(harness.apply('STRLEN', 'f')), 1024);
    // A field starting in the last byte but ending past it: Redis would grow 8 bytes over; raftis refuses.
    assert.deepEqual(plain(harness.apply('BITFIELD', 'f', 'SET', 'u16', '8188', '1')), { err: 'ERR bit offset is not an integer or out of range' });
  });
});

describe('SETBIT limits', () => {
  test('an offset whose byte is past proto-max-bulk-len is refused, the last one is accepted', () => {
    const harness = new Harness({ protoMaxBulkLen: 1024 });
    assert.deepEqual(plain(harness.apply('SETBIT', 'b', String(1024 * 8), '1')), { err: 'ERR bit offset is not an integer or out of range' });
    assert.equal(plain(harness.apply('EXISTS', 'b')), 0);
    assert.equal(plain(harness.apply('SETBIT', 'b', String(1024 * 8 - 1), '1')), 0);
    assert.equal(plain(harness.apply('STRLEN', 'b')), 1024);
    assert.deepEqual(plain(harness.apply('GETBIT', 'b', String(1024 * 8))), { err: 'ERR bit offset is not an integer or out of range' });
  });

  test('offset 2^32-1 (a 512 MB string in Redis) is refused at the engine\'s string limit without allocating', () => {
    const harness = new Harness();
    const before = process.memoryUsage().arrayBuffers;
    assert.deepEqual(plain(harness.apply('SETBIT', 'b', String(2 ** 32 - 1), '1')), { err: 'ERR bit offset is not an integer or out of range' });
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'no 512 MB buffer was made');
    assert.equal(plain(harness.apply('EXISTS', 'b')), 0);
    // The largest offset the engine can store is accepted by the state-free check.
    assert.equal(harness.kv.validate(['SETBIT', 'b', String(engineStringBytesMax * 8 - 1), '1'].map((a) => Buffer.from(a))), null);
  });
});

/** The LCS length by plain recursion with memo (a different algorithm from the command's table walk). */
function naiveLcsLength(a: string, b: string): number {
  const memo = new Map<string, number>();
  const go = (i: number, j: number): number => {
    if (i === a.length || j === b.length) return 0;
    const key = `${i},${j}`;
    let found = memo.get(key);
    if (found === undefined) {
      found = a[i] === b[j] ? 1 + go(i + 1, j + 1) : Math.max(go(i + 1, j), go(i, j + 1));
      memo.set(key, found);
    }
    return found;
  };
  return go(0, 0);
}

function isSubsequence(part: string, whole: string): boolean {
  let i = 0;
  for (const char of whole) if (i < part.length && part[i] === char) i++;
  return i === part.length;
}

describe('LCS', () => {
  test('finds a common subsequence of the naive length, and ranges that spell it (property)', () => {
    const text = fc.stringMatching(/^[abcd]{0,25}$/);
    fc.assert(fc.property(text, text, (a, b) => {
      const harness = new Harness();
      harness.apply('MSET', 'a', a, 'b', b);
      const expected = naiveLcsLength(a, b);
      const sequence = plain(harness.read('LCS', 'a', 'b')) as string;
      assert.equal(sequence.length, expected);
      assert.ok(isSubsequence(sequence, a) && isSubsequence(sequence, b), `${sequence} in ${a} and ${b}`);
      assert.equal(plain(harness.read('LCS', 'a', 'b', 'LEN')), expected);
      const [, matches, , length] = plain(harness.read('LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN')) as [string, [number, number][][], string, number];
      assert.equal(length, expected);
      let spelled = '';
      for (const [[aStart, aEnd], [bStart, bEnd], matchLength] of matches as unknown as [[number, number], [number, number], number][]) {
        assert.equal(a.slice(aStart, aEnd + 1), b.slice(bStart, bEnd + 1));
        assert.equal(matchLength, aEnd - aStart + 1);
        spelled = a.slice(aStart, aEnd + 1) + spelled;
      }
      assert.equal(spelled, sequence, 'the ranges, last first, spell the subsequence');
    }), { numRuns: 300 });
  });

  test('a table larger than proto-max-bulk-len is refused', () => {
    const harness = new Harness({ protoMaxBulkLen: 4096 });
    harness.apply('MSET', 'a', 'x'.repeat(40), 'b', 'y'.repeat(40));
    // (40 + 1)^2 cells of 4 bytes = 6724 bytes > 4096.
    assert.deepEqual(plain(harness.read('LCS', 'a', 'b')), { err: 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len' });
    harness.apply('SET', 'b', 'y'.repeat(20));
    assert.equal(plain(harness.read('LCS', 'a', 'b', 'LEN')), 0);
  });
});
